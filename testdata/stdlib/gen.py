#!/usr/bin/env python3
"""Writes go-pickle's standard library goldens: testdata/stdlib/*.pkl and
testdata/stdlib/manifest.json.

Run from the repository root:  python3 testdata/stdlib/gen.py
The output is deterministic (no sets of strings are pickled).

  NAME.pP.pkl    pickle.dumps(value, P) for each case of stdcheck.CASES and
                 DECODE_ONLY, P = 0..5 (C pickler; checked equal to the
                 pure-Python pickler's bytes)
  NAME.pkl       a vector of stdcheck.VECTORS: a form older writers made
  manifest.json  cases (name, expression, files, decode_only) and vectors
                 (name, file, encoding, expression, origin)

It checks itself: every pickle loads back (C and pure-Python unpicklers)
strictly equal to its expression's value.
"""

import json
import os
import pickle
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True

import stdcheck  # noqa: E402


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def check(data, want, encoding, what):
    for loads in (pickle.loads, pickle._loads):
        got = loads(data, encoding=encoding)
        diff = stdcheck.strict(got, want)
        if diff:
            raise SystemExit("%s: %s" % (what, diff))


def main():
    manifest = {"generator": "testdata/stdlib/gen.py", "python": sys.version.split()[0], "cases": [], "vectors": []}
    cases = [(n, e, False) for n, e in stdcheck.CASES] + [(n, e, True) for n, e in stdcheck.DECODE_ONLY.items()]
    for name, expr, decode_only in cases:
        value = stdcheck.value_of(expr)
        files = []
        for p in range(6):
            data = pickle.dumps(value, p)
            if pickle._dumps(value, p) != data:
                raise SystemExit("%s p%d: the C and pure-Python picklers differ" % (name, p))
            check(data, stdcheck.at_protocol(value, p), "ASCII", "%s p%d" % (name, p))
            fname = "%s.p%d.pkl" % (name, p)
            write(fname, data)
            files.append({"protocol": p, "file": fname})
        manifest["cases"].append({"name": name, "expr": expr, "decode_only": decode_only, "files": files})
    for name, data, encoding, expr, origin in stdcheck.VECTORS:
        check(data, stdcheck.value_of(expr), encoding, name)
        fname = name + ".pkl"
        write(fname, data)
        manifest["vectors"].append({"name": name, "file": fname, "encoding": encoding, "expr": expr, "origin": origin})
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print("wrote %d cases (%d files) and %d vectors" % (len(cases), 6 * len(cases), len(stdcheck.VECTORS)))


if __name__ == "__main__":
    main()
