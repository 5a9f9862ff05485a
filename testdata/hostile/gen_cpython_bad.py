#!/usr/bin/env python3
"""Extract the unpickling inputs of CPython's own test suite.

Run from anywhere:  python3 testdata/hostile/gen_cpython_bad.py

CPython's Lib/test/pickletester.py (AbstractUnpickleTests) feeds its
unpicklers a long list of byte strings: bad stacks and marks, truncated data,
badly quoted and escaped strings, Python 2 pickles, ... This script runs those
tests against CPython's C unpickler (as Lib/test/test_pickle.py does) with the
unpickler instrumented to record every input, whether the test expects it to be
rejected (check_unpickling_error) or loaded, and the keyword arguments used.
It writes testdata/hostile/cpython/<id>.pkl and
testdata/hostile/cpython_manifest.json in the manifest format of
gen_hostile.py, which cpython_bad_test.go checks:

  rejected by CPython  -> the Go decoder must refuse with a typed error
                          (Truncated for test_truncated_data, Empty for b'')
  accepted by CPython  -> the Go decoder must decode it, or refuse a global it
                          does not allow (GlobalError); with KeepUnknown(true)
                          it must decode
"""

import hashlib
import json
import os
import pickle
import pickletools
import shutil
import struct
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cpython")

from test import pickletester  # noqa: E402

SKIP = {
    "test_unpickle_module_race",  # imports a module from a temporary directory, threads
}

records = []  # (test, data, kwargs, expected_rejection)


class Recorder(pickletester.AbstractUnpickleTests, unittest.TestCase):
    bad_stack_errors = (pickle.UnpicklingError, IndexError)
    truncated_errors = (pickle.UnpicklingError, EOFError, AttributeError, ValueError,
                        struct.error, IndexError, ImportError)
    _in_check = False

    def loads(self, buf, **kwds):
        records.append((self._testMethodName, bytes(buf), dict(kwds), self._in_check))
        return pickle.loads(buf, **kwds)

    def check_unpickling_error(self, errors, data):
        self._in_check = True
        try:
            super().check_unpickling_error(errors, data)
        finally:
            self._in_check = False


def stop_offset(data):
    """Offset of the STOP opcode that ends the first pickle in data."""
    try:
        for op, _, pos in pickletools.genops(data):
            if op.name == "STOP":
                return pos
    except Exception:
        # pickletools cannot parse some Python 2 str arguments; no such
        # input has trailing bytes.
        pass
    return len(data)


def main():
    names = sorted(n for n in dir(Recorder) if n.startswith("test_") and n not in SKIP)
    suite = unittest.TestSuite(Recorder(n) for n in names)
    result = unittest.TextTestRunner(stream=open(os.devnull, "w"), verbosity=0).run(suite)
    if result.errors or result.failures:
        for t, tb in result.errors + result.failures:
            print("CPython test failed while recording:", t, tb.splitlines()[-1], file=sys.stderr)
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    cases = {}
    for test, data, kwargs, rejected in records:
        key = (data, json.dumps(kwargs, sort_keys=True, default=str))
        if key in cases:
            cases[key]["tests"].add(test)
            continue
        digest = hashlib.sha256(key[0] + key[1].encode()).hexdigest()[:12]
        cid = "%s-%s" % (test[len("test_"):], digest)
        opts = {}
        notes = []
        for k, v in kwargs.items():
            if k == "encoding":
                if v.lower().replace("-", "") in ("ascii", "utf8", "bytes", "latin1"):
                    opts["Encoding"] = v
                else:
                    notes.append("encoding=%r not supported, decoded with the default" % v)
            elif k == "fix_imports":
                opts["FixImports"] = v
            elif k == "errors":
                opts["_errors"] = v  # no Go equivalent: recorded, checked loosely
        if rejected:
            if test == "test_truncated_data":
                expect = ["Empty"] if data == b"" else ["Truncated"]
            elif test in ("test_bad_stack", "test_bad_mark", "test_bad_reduce", "test_bad_newobj",
                          "test_bad_newobj_ex"):
                # The callable of some of these is a global the decoder refuses first.
                expect = ["SyntaxError", "GlobalError"]
            else:
                expect = ["error"]
            keep = ["error"]
            if test in ("test_bad_newobj", "test_bad_newobj_ex"):
                # The error is in calling a function as a class: KeepUnknown
                # keeps the call inert without knowing what the global is.
                keep = ["any"]
        elif stop_offset(data) + 1 < len(data):
            # pickle.loads ignores bytes after STOP; Unmarshal refuses them.
            expect, keep = ["Trailing"], ["Trailing"]
            notes.append("bytes after STOP")
        else:
            expect = ["ok", "GlobalError"]
            keep = ["ok"]
        if "_errors" in opts:
            expect, keep = ["any"], ["any"]
            del opts["_errors"]
        cases[key] = {"id": cid, "category": "cpython-" + ("rejects" if rejected else "accepts"),
                      "tests": {test}, "file": "cpython/%s.pkl" % cid, "expect": expect, "keep": keep,
                      "opts": opts or None, "size": len(data),
                      "cpython": "error: rejected by " + test if rejected else "ok", "notes": notes}
        with open(os.path.join(OUT, cid + ".pkl"), "wb") as f:
            f.write(data)
    manifest = []
    for c in sorted(cases.values(), key=lambda c: c["id"]):
        c["what"] = "from pickletester.py " + ", ".join(sorted(c.pop("tests")))
        notes = c.pop("notes")
        if notes:
            c["what"] += " (" + "; ".join(notes) + ")"
        if c["opts"] is None:
            del c["opts"]
        manifest.append(c)
    with open(os.path.join(HERE, "cpython_manifest.json"), "w") as f:
        json.dump({"generator": "testdata/hostile/gen_cpython_bad.py (from %s)" % pickletester.__file__.split(
            "lib/")[-1], "cases": manifest}, f, indent=1, sort_keys=True)
        f.write("\n")
    rej = sum(1 for c in manifest if c["category"] == "cpython-rejects")
    print("%d inputs: %d rejected by CPython, %d accepted" % (len(manifest), rej, len(manifest) - rej))


if __name__ == "__main__":
    main()
