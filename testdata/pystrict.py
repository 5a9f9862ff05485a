#!/usr/bin/env python3
"""Strict comparison of two Python object graphs, for the golden and interop
tests of go-pickle.

compare(a, b) returns None when a and b are strictly the same value, else a
one-line description of the first difference with its path. "Strictly the
same" means:

  * types are identical (bool is not int, tuple is not list, set is not
    frozenset, bytes is not bytearray, a subclass is not its base);
  * values are equal, with NaN equal to NaN and 0.0 different from -0.0
    (also inside complex numbers);
  * dicts hold the same items in the same insertion order;
  * sets hold the same members (order free), each matched member strictly
    the same;
  * the identity structure corresponds one-to-one: walking both graphs in
    parallel, every mutable object of a (list, dict, set, bytearray, class
    instance) is paired with exactly one object of b and vice versa, so
    sharing ([x, x]) and cycles (a list containing itself) must match.

Run as a program it checks a batch (see main): the live Go tests start one
python3 process for thousands of comparisons.
"""

import json
import math
import pickle
import sys
import types

# Types whose identity matters: mutating one would be visible through every
# reference, so sharing and cycles are part of the value.
_MUTABLE = (list, dict, set, bytearray)
_SCALARS = (type(None), bool, int, str, bytes)
# Classes and functions: pickled by name, so the same object must come back.
_NAMED = (type, types.BuiltinFunctionType, types.FunctionType)


class _Comparer:
    def __init__(self):
        self.a_to_b = {}  # id(mutable of a) -> id(its partner in b)
        self.b_to_a = {}
        self.same_immutable = set()  # (id(a), id(b)) of tuples/frozensets found equal
        self.keep = []  # keeps compared objects alive so their ids stay unique

    def compare(self, a, b, path):
        ta, tb = type(a), type(b)
        if ta is not tb:
            return "%s: type %s != %s" % (path, ta.__name__, tb.__name__)
        if ta in _SCALARS:
            if a != b:
                return "%s: %s != %s" % (path, _short(a), _short(b))
            return None
        if ta is float:
            return None if _floats_same(a, b) else "%s: %r != %r" % (path, a, b)
        if ta is complex:
            if _floats_same(a.real, b.real) and _floats_same(a.imag, b.imag):
                return None
            return "%s: %r != %r" % (path, a, b)
        if ta is tuple or ta is frozenset:
            key = (id(a), id(b))
            if key in self.same_immutable:
                return None
            err = self._tuple(a, b, path) if ta is tuple else self._set(a, b, path)
            if err is None:
                self.same_immutable.add(key)
                self.keep.append((a, b))
            return err
        if isinstance(a, _NAMED):
            return None if a is b else "%s: %r is not %r" % (path, a, b)
        # Mutable (or unknown) objects: identity must correspond.
        err, seen = self._pair(a, b, path)
        if err or seen:
            return err
        if ta is list:
            return self._list(a, b, path)
        if ta is dict:
            return self._dict(a, b, path)
        if ta is set:
            return self._set(a, b, path)
        if ta is bytearray:
            return None if a == b else "%s: %s != %s" % (path, _short(a), _short(b))
        return self._instance(a, b, path)

    def _pair(self, a, b, path):
        """Records that a corresponds to b. Returns (error, already_seen)."""
        ia, ib = id(a), id(b)
        pa, pb = self.a_to_b.get(ia), self.b_to_a.get(ib)
        if pa is None and pb is None:
            self.a_to_b[ia] = ib
            self.b_to_a[ib] = ia
            self.keep.append((a, b))
            return None, False
        if pa == ib and pb == ia:
            return None, True
        return ("%s: identity differs: this %s is shared or cyclic in one graph "
                "but not the other" % (path, type(a).__name__)), True

    def _tuple(self, a, b, path):
        return self._items(a, b, path)

    def _list(self, a, b, path):
        return self._items(a, b, path)

    def _items(self, a, b, path):
        if len(a) != len(b):
            return "%s: length %d != %d" % (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            err = self.compare(x, y, "%s[%d]" % (path, i))
            if err:
                return err
        return None

    def _dict(self, a, b, path):
        if len(a) != len(b):
            return "%s: dict length %d != %d" % (path, len(a), len(b))
        for i, ((ka, va), (kb, vb)) in enumerate(zip(a.items(), b.items())):
            err = self.compare(ka, kb, "%s.key#%d" % (path, i))
            if err:
                return err
            err = self.compare(va, vb, "%s[%s]" % (path, _short(ka)))
            if err:
                return err
        return None

    def _set(self, a, b, path):
        if len(a) != len(b):
            return "%s: set length %d != %d" % (path, len(a), len(b))
        members = {}
        nans = []
        for y in b:
            if isinstance(y, float) and math.isnan(y):
                nans.append(y)
            else:
                members[y] = y
        for x in a:
            if isinstance(x, float) and math.isnan(x):
                if not nans:
                    return "%s: member nan missing" % path
                nans.pop()
                continue
            if x not in members:
                return "%s: member %s missing" % (path, _short(x))
            err = self.compare(x, members[x], "%s{%s}" % (path, _short(x)))
            if err:
                return err
        return None

    def _instance(self, a, b, path):
        if isinstance(a, list):
            err = self._items(a, b, path)
            if err:
                return err
        if isinstance(a, dict):
            err = self._dict(a, b, path)
            if err:
                return err
        if hasattr(a, "default_factory"):
            if a.default_factory is not b.default_factory:
                return "%s: default_factory %r != %r" % (path, a.default_factory, b.default_factory)
        da, db = getattr(a, "__dict__", None), getattr(b, "__dict__", None)
        if (da is None) != (db is None):
            return "%s: one object has a __dict__, the other not" % path
        if da is not None:
            return self._dict(dict(da), dict(db), path + ".__dict__")
        if not isinstance(a, (list, dict)) and a != b:
            return "%s: %s != %s" % (path, _short(a), _short(b))
        return None


def _floats_same(x, y):
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return x == y and math.copysign(1.0, x) == math.copysign(1.0, y)


def _short(v):
    r = repr(v)
    return r if len(r) <= 60 else r[:57] + "..."


def compare(a, b):
    """Returns None if a and b are strictly the same value, else a message."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))
    try:
        return _Comparer().compare(a, b, "$")
    finally:
        sys.setrecursionlimit(limit)


def sharing_signature(v):
    """Describes the identity structure of v: walking v depth-first (list and
    tuple items in order, dict keys then values in order, set members), every
    mutable container (list, dict, set, bytearray) met is numbered on first
    sight; the signature lists the numbers in visiting order, so a repeated
    number is a shared or cyclic reference. "0,1,1" is [x, x]; "0,0" is a
    list containing itself. The Go tests compute the same on decoded values.
    """
    ids = {}
    out = []
    keep = []

    def walk(x):
        t = type(x)
        if t in _MUTABLE:
            n = ids.get(id(x))
            if n is not None:
                out.append(n)
                return
            n = ids[id(x)] = len(ids)
            keep.append(x)
            out.append(n)
            if t is list:
                for y in x:
                    walk(y)
            elif t is dict:
                for k, y in x.items():
                    walk(k)
                    walk(y)
            elif t is set:
                for y in x:
                    walk(y)
        elif t is tuple or t is frozenset:
            for y in x:
                walk(y)

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))
    try:
        walk(v)
    finally:
        sys.setrecursionlimit(limit)
    return ",".join(map(str, out))


def _load_file(path):
    with open(path, "rb") as f:
        return pickle.loads(f.read())


def _want(check):
    if "want_file" in check:
        return _load_file(check["want_file"])
    import goldenclasses  # noqa: F401  (available to expressions)
    env = {"math": math, "goldenclasses": goldenclasses}
    exec(check.get("setup", ""), env)
    return eval(check["want_expr"], env)


def _selftest_pairs():
    """(a, b, same) pairs: the comparer must say "same" exactly when same."""
    x = [1]
    shared = [x, x]
    unshared = [[1], [1]]
    self_list = []
    self_list.append(self_list)
    nested = [[]]
    nested[0].append(nested)  # prints like self_list, different structure
    d1, d2 = {"a": 1, "b": 2}, {"b": 2, "a": 1}
    nan = float("nan")
    return [
        (1, 1, True), (1, True, False), (0, False, False), (1, 1.0, False),
        ((1, 2), [1, 2], False), ({1}, frozenset({1}), False),
        (b"a", bytearray(b"a"), False), (bytearray(b"a"), bytearray(b"a"), True),
        (0.0, -0.0, False), (-0.0, -0.0, True), (nan, float("nan"), True),
        (complex(0.0, -0.0), complex(0.0, 0.0), False), (complex(nan, 1), complex(nan, 1), True),
        ("\ud800", "\ud800", True), ("\ud800", "\udc00", False),
        (d1, dict(d1), True), (d1, d2, False), ({1: "a"}, {True: "a"}, False),
        ({1, 2, 3}, {3, 2, 1}, True), ({1, 2}, {1, 2.0}, False),
        (shared, [x, x], True), (shared, unshared, False), (unshared, shared, False),
        (self_list, self_list, True), (self_list, nested, False),
        ([[1], [1]], [[1], [1]], True), ({"k": x, "j": x}, {"k": [1], "j": [1]}, False),
        (2**100, 2**100, True), (2**100, 2**100 + 1, False), (list, list, True), (list, dict, False),
    ]


def selftest():
    """Checks the comparer on pairs with a known answer; returns failures."""
    failures = []
    for i, (a, b, same) in enumerate(_selftest_pairs()):
        err = compare(a, b)
        if (err is None) != same:
            failures.append("pair %d (%r vs %r): want same=%s, compare says %r" % (i, a, b, same, err))
    return failures


def _bytes_diff(want, got_path, protocol):
    """Compares the bytes Go wrote with pickle.dumps(want, protocol)."""
    with open(got_path, "rb") as f:
        got = f.read()
    exp = pickle.dumps(want, protocol)
    if got == exp:
        return ""
    i = 0
    while i < min(len(got), len(exp)) and got[i] == exp[i]:
        i += 1
    lo = max(0, i - 16)
    return "differs from pickle.dumps(want, %d) at offset %d (len %d, CPython %d): go %r, cpython %r" % (
        protocol, i, len(got), len(exp), got[lo:i + 24], exp[lo:i + 24])


def main(argv):
    """Usage: pystrict.py JOBS.json

    JOBS.json holds a list of checks, each {"id": ..., "got": PATH, and
    either "want_file": PATH (a pickle to load) or "want_expr": EXPR with an
    optional "setup": STATEMENTS, and optionally "bytes_protocol": P}. For
    each check the program loads got and want and compares them strictly;
    with bytes_protocol it also compares got's bytes with
    pickle.dumps(want, P). It prints one JSON object per check:
    {"id": ..., "ok": bool, "error": "...", "bytes_error": "..."}.
    """
    if argv[1:] == ["--selftest"]:
        failures = selftest()
        for f in failures:
            print(f)
        print("pystrict selftest: %d pairs, %d failures" % (len(_selftest_pairs()), len(failures)))
        return 1 if failures else 0
    sys.setrecursionlimit(20000)  # pickle.dumps of deeply nested values recurses
    with open(argv[1]) as f:
        checks = json.load(f)
    out = sys.stdout
    for check in checks:
        result = {"id": check["id"], "ok": False, "error": ""}
        try:
            want = _want(check)
        except Exception as e:  # a broken expected value is a test bug
            result["error"] = "want: %s: %s" % (type(e).__name__, e)
            out.write(json.dumps(result) + "\n")
            continue
        try:
            got = _load_file(check["got"])
        except Exception as e:
            result["error"] = "python3 cannot load Go's pickle: %s: %s" % (type(e).__name__, e)
            out.write(json.dumps(result) + "\n")
            continue
        err = compare(want, got)
        result["ok"] = err is None
        result["error"] = err or ""
        if "bytes_protocol" in check:
            result["bytes_error"] = _bytes_diff(want, check["got"], check["bytes_protocol"])
        out.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
