#!/usr/bin/env python3
"""CPython's side of the go-pickle benchmark (see docs/performance.md).

Generates the workloads W1..W7 exactly as bench/workload/workload.go does
(one splitmix64 stream per workload, integer arithmetic only, floats k/1024),
and times the C pickle module on them.

Usage (W... defaults to all of W1..W7):
  cpython_bench.py write DIR [W...]  write DIR/Wn.py4.pickle (protocol 4)
  cpython_bench.py check DIR [W...]  load DIR/Wn.go4.pickle (written by Go) and
                                     compare with the generated value; exit 1
                                     on a mismatch
  cpython_bench.py version           print the Python version
  cpython_bench.py serve             read commands from stdin, one per line, and
                                     answer one JSON object per line:
      write W PATH            write W's protocol-4 pickle to PATH
      check W PATH            load PATH and compare it with W (strictly)
      dumps W PROTO SECONDS   time pickle.dumps(W, PROTO)
      loads W SECONDS         time pickle.loads(W's protocol-4 pickle)
      drop W                  forget W (free its memory)
      quit
"""

import gc
import hashlib
import json
import os
import pickle
import sys
import time
import timeit

MASK = (1 << 64) - 1

W2_RECORDS = 10_000
W3_FLOATS = 1_000_000
W4_BYTES = 16 << 20
W5_KEYS = 100_000
W6_INTS = 1_000_000
W7_STRINGS = 100_000

# 60 ASCII characters (a-z, A-Z, 0-7) and 4 non-ASCII ones.
ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234567éü中€"
assert len(ALPHABET) == 64

ATTR_KEYS = ("color", "size", "origin")


class Rng:
    """splitmix64, as in workload.go."""

    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n

    def str(self, lo, hi):
        n = lo + self.below(hi - lo + 1)
        return "".join([ALPHABET[self.next() % 64] for _ in range(n)])

    def float(self):
        k = (self.next() >> 12) - (1 << 51)
        return k / 1024  # exact: |k| < 2**53 and 1024 is a power of two

    def record(self, i):
        rec = {}
        rec["id"] = 1_000_000 + 7 * i
        name = self.str(5, 16)
        rec["name"] = name
        rec["email"] = name + "@example.com"
        rec["active"] = self.next() & 1 == 1
        rec["score"] = self.below(1 << 20) / 1024
        rec["balance"] = self.float()
        rec["age"] = 18 + self.below(80)
        rec["tags"] = [self.str(3, 8) for _ in range(5)]
        rec["counts"] = [self.below(100_000) for _ in range(8)]
        rec["attrs"] = {k: self.str(2, 10) for k in ATTR_KEYS}
        return rec


def w1():
    return Rng(1).record(0)


def w2():
    r = Rng(2)
    return [r.record(i) for i in range(W2_RECORDS)]


def w3():
    r = Rng(3)
    return [r.float() for _ in range(W3_FLOATS)]


def w4():
    blocks = []
    for i in range(W4_BYTES // 32):
        blocks.append(hashlib.sha256(b"w4" + i.to_bytes(8, "little")).digest())
    return b"".join(blocks)


def w5():
    r = Rng(5)
    out = {}
    for i in range(W5_KEYS):
        key = "k%d_%s" % (i, r.str(0, 8))
        out[key] = (r.next() >> 16) - (1 << 47)
    return out


def w6():
    r = Rng(6)
    return [r.below(1000) for _ in range(W6_INTS)]


def w7():
    r = Rng(7)
    return [r.str(1, 20) for _ in range(W7_STRINGS)]


GENERATORS = {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W5": w5, "W6": w6, "W7": w7}


def write(directory, names):
    for name in names:
        data = pickle.dumps(GENERATORS[name](), protocol=4)
        with open(os.path.join(directory, name + ".py4.pickle"), "wb") as f:
            f.write(data)
        print("%s %d bytes sha256 %s" % (name, len(data), hashlib.sha256(data).hexdigest()))


def strict_equal(a, b):
    """Equality that also requires equal types all the way down (so True is
    not 1 and 1.0 is not 1); dict key order is not compared, since a Go map
    has none."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(strict_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b))
    return a == b


def check_file(path, want):
    """Load the pickle at path (written by Go) and compare it with want."""
    with open(path, "rb") as f:
        got = pickle.loads(f.read())
    return strict_equal(got, want)


def check(directory, names):
    bad = 0
    for name in names:
        if check_file(os.path.join(directory, name + ".go4.pickle"), GENERATORS[name]()):
            print("%s: ok" % name)
        else:
            print("%s: Go's pickle does not load as the generated value" % name)
            bad += 1
    return 1 if bad else 0


def measure(stmt, seconds):
    """Time stmt with gc enabled (as it is in a real program), raising the
    number of calls until one measurement takes at least `seconds`, like Go's
    testing.Benchmark. Returns (ns per call, calls)."""
    timer = timeit.Timer(stmt, setup=gc.enable)
    number = 1
    while True:
        t = timer.timeit(number)
        if t >= seconds or number >= 1 << 30:
            return t / number * 1e9, number
        if t <= 0:
            number *= 100
            continue
        number = max(number + 1, min(number * 100, int(number * seconds / t * 1.2)))


def serve():
    values = {}
    p4 = {}

    def value(name):
        if name not in values:
            values[name] = GENERATORS[name]()
            p4[name] = pickle.dumps(values[name], protocol=4)
        return values[name]

    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            cmd = words[0]
            if cmd == "quit":
                return 0
            if cmd == "write":
                name, path = words[1], words[2]
                value(name)
                with open(path, "wb") as f:
                    f.write(p4[name])
                reply = {"bytes": len(p4[name]), "sha256": hashlib.sha256(p4[name]).hexdigest()}
            elif cmd == "check":
                name, path = words[1], words[2]
                reply = {"ok": check_file(path, value(name))}
            elif cmd == "drop":
                values.pop(words[1], None)
                p4.pop(words[1], None)
                gc.collect()
                reply = {}
            elif cmd == "dumps":
                name, proto, seconds = words[1], int(words[2]), float(words[3])
                v = value(name)
                size = len(pickle.dumps(v, protocol=proto))
                if not strict_equal(pickle.loads(pickle.dumps(v, protocol=proto)), v):
                    raise ValueError("dumps does not round-trip")
                ns, n = measure(lambda: pickle.dumps(v, protocol=proto), seconds)
                reply = {"ns": ns, "n": n, "bytes": size}
            elif cmd == "loads":
                name, seconds = words[1], float(words[2])
                v = value(name)
                data = p4[name]
                if not strict_equal(pickle.loads(data), v):
                    raise ValueError("loads does not give back the value")
                ns, n = measure(lambda: pickle.loads(data), seconds)
                reply = {"ns": ns, "n": n, "bytes": len(data)}
            else:
                raise ValueError("unknown command %r" % cmd)
        except Exception as e:  # reported to the driver, which stops
            reply = {"error": "%s: %s" % (type(e).__name__, e)}
        print(json.dumps(reply), flush=True)
    return 0


def main(argv):
    if len(argv) >= 3 and argv[1] in ("write", "check"):
        names = argv[3:] or list(GENERATORS)
        unknown = [n for n in names if n not in GENERATORS]
        if unknown:
            sys.stderr.write("unknown workload(s): %s\n" % " ".join(unknown))
            return 2
        if argv[1] == "write":
            write(argv[2], names)
            return 0
        return check(argv[2], names)
    if len(argv) == 2 and argv[1] == "serve":
        return serve()
    if len(argv) == 2 and argv[1] == "version":
        print(sys.version.split()[0])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
