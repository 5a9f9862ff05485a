#!/usr/bin/env python3
"""Copies Python 2 pickles from CPython's own test suite into testdata/py2/.

Run from the repository root:  python3 testdata/py2/gen.py

test/pickletester.py holds pickles written by Python 2 (or in the form
Python 2 writes): DATA0, DATA1, DATA2 (create_data() at protocols 0, 1, 2,
with __builtin__ names and a __main__.C instance), DATA_SET, DATA_XRANGE,
DATA_SET2, DATA_UEERR and exception_pickle. Each is written as NAME.pkl,
"""

import os
import pickle
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True

from test import pickletester  # noqa: E402

NAMES = ["DATA0", "DATA1", "DATA2", "DATA_SET", "DATA_XRANGE", "DATA_SET2", "DATA_UEERR"]


def main():
    import __main__
    __main__.C = pickletester.C
    for name in NAMES:
        data = getattr(pickletester, name)
        with open(os.path.join(HERE, name + ".pkl"), "wb") as f:
            f.write(data)
        pickle.loads(data)  # python3 loads each one
    data = pickletester.exception_pickle.replace(b"?", b"StandardError")
    with open(os.path.join(HERE, "exception_StandardError.pkl"), "wb") as f:
        f.write(data)
    print("wrote %d pickles" % (len(NAMES) + 1))


if __name__ == "__main__":
    main()
