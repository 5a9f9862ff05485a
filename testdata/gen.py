#!/usr/bin/env python3
"""Writes go-pickle's golden corpus: testdata/golden/*.pkl and
testdata/golden/manifest.json.

Run from the repository root:  python3 testdata/gen.py
The output is deterministic: the script re-executes itself with
PYTHONHASHSEED=0, and running it again rewrites identical files.

What it writes:
  NAME.pP.pkl    pickle.dumps(value, P) (C pickler) for each case and protocol
                 P it lists (py_* cases: the pure-Python pickler, pickle._dumps)
  NAME.pkl       a hand-assembled vector: opcodes CPython's pickler never
                 writes but its unpickler accepts (or rejects, for vec_rej_*)
  NAME.ref.pkl   for a vector: pickle.dumps(pickle.loads(vector), 4), the
                 value CPython loads from it, written the ordinary way
  manifest.json  one entry per case, see Manifest below

Each file's "deterministic" flag says whether CPython writes the same bytes
under other hash seeds (checked by regenerating in subprocesses with
PYTHONHASHSEED=1 and 2): sets of strings, for example, are not.

The script checks itself: every value case must load back (C and pure-Python
unpicklers) strictly equal to the value (testdata/pystrict.py), every vector
must load identically with both unpicklers, and every rejected vector must be
rejected by both.
"""

import hashlib
import json
import math
import os
import pickle
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "golden")
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # keep testdata/ free of __pycache__

import goldenclasses  # noqa: E402
import pystrict  # noqa: E402

ALL = (0, 1, 2, 3, 4, 5)
FRAMED = (4, 5)  # the protocols with frames
SEED = "0"
OTHER_SEEDS = ("1", "2")


# ---------------------------------------------------------------- the cases

class Case:
    """A value pickled at several protocols. build() returns a fresh value
    each call, so identity (sharing, cycles) is exactly what build makes."""

    def __init__(self, name, build, protocols=ALL, kind="value", pickler="c",
                 note="", equal_groups=None, equal_note=""):
        self.name = name
        self.build = build
        self.protocols = tuple(protocols)
        self.kind = kind  # "value" or "object" (needs KeepUnknown in Go)
        self.pickler = pickler  # "c": pickle.dumps, "python": pickle._dumps
        self.note = note
        self.equal_groups = equal_groups or [list(self.protocols)]
        self.equal_note = equal_note


CASES = []


def case(name, build, **kw):
    CASES.append(Case(name, build, **kw))


def const(v):
    """A builder for an immutable value."""
    return lambda: v


def _ints():
    bounds = {
        "0": 0, "1": 1, "m1": -1, "127": 127, "128": 128, "255": 255, "256": 256,
        "m255": -255, "m256": -256, "m257": -257,
        "65535": 2**16 - 1, "65536": 2**16, "m65536": -2**16,
        "2p31m1": 2**31 - 1, "2p31": 2**31, "m2p31": -2**31, "m2p31m1": -2**31 - 1,
        "2p32m1": 2**32 - 1, "2p32": 2**32, "m2p32": -2**32,
        "2p63m1": 2**63 - 1, "2p63": 2**63, "m2p63": -2**63, "m2p63m1": -2**63 - 1,
        "2p64m1": 2**64 - 1, "2p64": 2**64, "m2p64": -2**64,
        "2p100": 2**100, "m2p100": -2**100,
        "2p2039": 2**2039,  # 255 bytes of two's complement with the sign: LONG1
        "2p2040": 2**2040,  # 256 bytes: LONG4
        "m2p2040": -2**2040,
        "10p1000": 10**1000,  # 1001 digits in text form (protocols 0 and 1)
    }
    for suffix, v in bounds.items():
        case("int_" + suffix, const(v))
    case("int_list_boundaries", lambda: [v for v in bounds.values()])


def _floats():
    values = {
        "0": 0.0, "neg0": -0.0, "0p1": 0.1, "1": 1.0, "m1p5": -1.5,
        "nan": float("nan"), "inf": float("inf"), "minf": float("-inf"),
        "min_subnormal": 5e-324, "max_subnormal": 2.225073858507201e-308,
        "min_normal": 2.2250738585072014e-308, "max": 1.7976931348623157e308,
        "1e16": 1e16, "1e22": 1e22, "third": 1 / 3, "big_int_valued": 2.0**70,
        "m1e_300": -1e-300,
    }
    for suffix, v in values.items():
        case("float_" + suffix, const(v))
    # A NaN with the sign bit: protocol 0 writes "nan" (sign lost), binary
    # protocols keep the bits; both decode to a NaN.
    case("float_nan_negative", const(-float("nan")))
    case("float_list", lambda: list(values.values()))


def _text():
    def pattern(n):
        s = "".join(chr(0x20 + i % 95) for i in range(n))
        return s

    for n in (0, 1, 255, 256, 65535, 65536):
        # 65535 and 65536 differ only in framing (protocols 4 and 5).
        case("str_len%d" % n, lambda n=n: pattern(n), protocols=FRAMED if n == 65535 else ALL)
    case("str_utf8_255", const("\u00e9" * 127 + "a"), note="255 UTF-8 bytes, 128 chars")
    case("str_utf8_256", const("\u00e9" * 128), note="256 UTF-8 bytes, 128 chars: BINUNICODE")
    case("str_utf8_65536", const("\u20ac" * 21845 + "a"), protocols=FRAMED,
         note="65536 UTF-8 bytes in 21846 chars: outside frames")
    case("str_latin1", const("".join(chr(i) for i in range(256))))
    case("str_specials", const("a\\b\nc\rd\x00e\x1af\u0085g\u2028h'\"\t"),
         note="characters protocol 0's UNICODE escapes")
    case("str_non_bmp", const("\U0001F600 \U00010000 \U0010FFFF"))
    case("str_mixed", const("a\u00e9\u20ac\U0001F600"))
    case("str_lone_high", const("\ud800"))
    case("str_lone_low", const("\udfff"))
    case("str_lone_inside", const("a\ud800b\udc00c"))
    case("str_surrogate_pair_codepoints", const("\ud83d\ude00"),
         note="two lone surrogates that form a pair: not U+1F600 in Python")
    case("str_backslash_u", const("\\u0041 \\U0001F600"),
         note="literal backslash-u text, not an escape")
    case("str_shared", lambda: (lambda s: [s, s, {s: s}])("".join(["sha", "red"])),
         note="one str object referenced 4 times: memo GET")
    case("str_equal_distinct", lambda: ["".join(["di", "st"]), "".join(["di", "st"])],
         note="two equal but distinct str objects: CPython writes both")


def _bytes():
    def pattern(n):
        return bytes(0x20 + i % 95 for i in range(n))

    for n in (0, 1, 255, 256, 65535, 65536):
        case("bytes_len%d" % n, lambda n=n: pattern(n), protocols=FRAMED if n == 65535 else ALL)
    case("bytes_all256", const(bytes(range(256))))
    case("bytes_high", const(b"\x80\xff\x00\n\\"))
    case("bytes_list", lambda: [b"", b"a", bytes(range(256)), b"\xff" * 300],
         note="several bytes objects: protocols < 3 reuse the _codecs.encode global")
    case("bytes_shared", lambda: (lambda b: [b, b])(bytes([1, 2, 3]) + b"x"))
    case("bytearray_empty", lambda: bytearray())
    case("bytearray_small", lambda: bytearray(b"ab\x00\xff"))
    case("bytearray_256", lambda: bytearray(range(256)))
    case("bytearray_65536", lambda: bytearray(pattern(65536)), protocols=(3, 4, 5))
    case("bytearray_shared", lambda: (lambda b: [b, b, bytearray(b"z")])(bytearray(b"xy")))


def _scalars_misc():
    case("none", const(None))
    case("true", const(True))
    case("false", const(False))
    case("bool_list", lambda: [True, False, None, 1, 0, 1.0])
    case("complex_simple", const(1 + 2j))
    case("complex_specials", lambda: [complex(0.0, -0.0), complex(float("nan"), float("inf")),
                                      complex(-1e300, 5e-324), 3j])
    case("complex_shared", lambda: (lambda c: [c, c])(complex(1.5, -2.5)),
         note="one complex object twice: CPython memoizes it (GET); "
              "a Go complex128 has no identity")


def _containers():
    case("list_empty", lambda: [])
    case("dict_empty", lambda: {})
    case("set_empty", lambda: set())
    case("frozenset_empty", lambda: frozenset())
    case("tuple_empty", lambda: ())
    for n in (1, 2, 3, 4):
        case("tuple_len%d" % n, lambda n=n: tuple(range(n)))
    case("tuple_len1001", lambda: tuple(range(1001)))
    case("tuple_nested", lambda: ((1,), ((2,), ()), (((),),), ("a", (b"b", (None,)))))
    for n in (999, 1000, 1001, 2001):
        case("list_%d" % n, lambda n=n: list(range(n)))
        case("dict_%d" % n, lambda n=n: {i: -i for i in range(n)})
        case("set_%d" % n, lambda n=n: set(range(n)))
    case("frozenset_1001", lambda: frozenset(range(1001)))
    case("set_ints_mixed", lambda: {-1, 0, 2**40, -2**70, 7, 2**64})
    case("set_tuples", lambda: {(1, 2), (3, (4, 5)), ()})
    case("set_strings", lambda: {"a", "b", "c", "dd", "eee"},
         note="string hashes depend on the hash seed: member order is not deterministic")
    case("frozenset_ints", lambda: frozenset({3, 1, 2}))
    case("frozenset_nested", lambda: frozenset({frozenset({1, 2}), frozenset(), 3}))
    case("frozenset_in_list_shared", lambda: (lambda f: [f, f])(frozenset({1, 2})))
    case("list_of_scalars", lambda: [None, True, False, 0, -1, 2**31, 2**70, 0.5, -0.0,
                                     "s", b"b", bytearray(b"ba"), 1j, (), [], {}, set(),
                                     frozenset()])
    case("list_of_empty_lists", lambda: [[], [], []],
         note="three distinct empty lists: no sharing")
    case("dict_str_keys", lambda: {"a": 1, "b": [2], "c": {"d": None}})
    case("dict_mixed_keys", lambda: {1: "int", "k": "str", b"k": "bytes", 2.5: "float",
                                     None: "none", (1, "a"): "tuple",
                                     frozenset({1, 2}): "frozenset", False: "false",
                                     -2**70: "bigint", (): "empty tuple",
                                     (1, (2, frozenset({3}))): "nested tuple"})
    case("dict_key_collapse", _key_collapse,
         note="1 == 1.0 == True and 0 == 0.0 == -0.0 == False: one key each; "
              "the first key object stays, the last value wins")
    case("dict_frozenset_str_key", lambda: {frozenset({"x", "y", "z"}): 1},
         note="frozenset of str as key: member order depends on the hash seed")
    case("dict_insertion_order", _dict_order)
    case("dict_values_shared", lambda: (lambda v: {"a": v, "b": v, "c": [v]})([1, 2]))
    case("frames_many_strings", lambda: ["item%06d" % i for i in range(5500)],
         protocols=FRAMED, note="about 72 KiB at protocol 4: two frames")
    case("frames_large_payload", lambda: ["a", "x" * 66000, b"y" * 66000, "b"],
         protocols=FRAMED, note="payloads of 64 KiB or more are written outside frames")
    case("frames_just_under", lambda: ["z" * 65000, "w" * 600, 1, 2], protocols=FRAMED,
         note="a frame that reaches 64 KiB in the middle of a list")
    case("memo_over_256", _memo_over_256,
         note="more than 256 memo entries: LONG_BINPUT and LONG_BINGET (protocols 1-3)")


def _memo_over_256():
    strings = ["s%d" % i for i in range(300)]
    return strings + [strings[280], strings[3]]


def _key_collapse():
    d = {}
    d[1] = "one"
    d[1.0] = "float one"
    d[True] = "true"
    d[0] = "zero"
    d[0.0] = "float zero"
    d[-0.0] = "negative zero"
    d[False] = "false"
    d[2] = "two"
    return d


def _dict_order():
    d = {}
    for k in ("z", "a", "m", 3, 1, 2):
        d[k] = k
    del d["a"]
    d["a"] = "again"
    return d


def _sharing():
    case("shared_list", lambda: (lambda x: [x, x])([]))
    case("shared_list_items", lambda: (lambda x: [x, [x], (x,), {"k": x}])([1, "two"]))
    case("shared_dict", lambda: (lambda d: [d, d, (d,)])({"a": 1}))
    case("shared_set", lambda: (lambda s: [s, s])({1, 2, 3}))
    case("shared_tuple", lambda: (lambda t: [t, t, {"t": t}])((1, "x", [2])))
    case("shared_across_depth", lambda: (lambda x: [x, [[x]], {"d": [x, x]}])([0]))


def _cycles():
    def self_list():
        l = [1]
        l.append(l)
        return l

    def self_dict():
        d = {"a": 1}
        d["self"] = d
        return d

    def recursive_tuple_short():
        t = ([],)
        t[0].append(t)
        return t

    def recursive_tuple_long():
        t = ([], 1, 2, 3)
        t[0].append(t)
        return t

    def recursive_tuple_in_list():
        l = []
        t = (l, "x")
        l.append(t)
        return [t, l]

    def mutual():
        a, b = [], {}
        a.append(b)
        b["a"] = a
        return a

    def list_in_dict_in_list():
        outer = []
        inner = {"outer": outer}
        outer.append([inner, inner])
        return outer

    def tuple_cycle_deep():
        l = []
        t = ((l,), [l])
        l.append(t)
        return t

    case("cycle_list_self", self_list)
    case("cycle_dict_self", self_dict)
    case("cycle_tuple_short", recursive_tuple_short,
         note="tuple of 1 item reached again while saving its items: POP + GET "
              "(protocol 0 pops the MARK with POP too)")
    case("cycle_tuple_long", recursive_tuple_long,
         note="tuple of 4 items: POP_MARK + GET at protocols 1+, POP * 5 at 0")
    case("cycle_tuple_in_list", recursive_tuple_in_list)
    case("cycle_mutual", mutual)
    case("cycle_list_dict_list", list_in_dict_in_list)
    case("cycle_tuple_deep", tuple_cycle_deep)


def _deep():
    def nested_lists(n):
        v = []
        for _ in range(n):
            v = [v]
        return v

    def nested_dicts(n):
        v = {}
        for i in range(n):
            v = {i: v}
        return v

    def nested_tuples(n):
        v = ()
        for _ in range(n):
            v = (v,)
        return v

    def nested_mixed(n):
        v = None
        for i in range(n):
            v = [v] if i % 3 == 0 else ({"k": v} if i % 3 == 1 else (v, i))
        return v

    case("deep_lists_500", lambda: nested_lists(500))
    case("deep_dicts_500", lambda: nested_dicts(500))
    case("deep_tuples_500", lambda: nested_tuples(500))
    case("deep_mixed_300", lambda: nested_mixed(300))


def _objects():
    objects = dict(kind="object", equal_groups=[[0, 1], [2, 3, 4, 5]],
                   equal_note="an inert *Object records how the pickle builds it: "
                              "copyreg._reconstructor at protocols 0-1, NEWOBJ at 2+")

    def point():
        return goldenclasses.Point(1, [2, "three"])

    def mylist():
        l = goldenclasses.MyList([1, 2, 3])
        l.tag = "t"
        return l

    def mydict():
        d = goldenclasses.MyDict(a=1, b=[2])
        d.tag = "t"
        return d

    def shared_points():
        p = goldenclasses.Point(0, 0)
        return [p, p, goldenclasses.Point(p, None)]

    def self_point():
        p = goldenclasses.Point()
        p.x = p
        return p

    case("obj_point", point, **objects)
    case("obj_mylist", mylist, **objects)
    case("obj_mydict", mydict, **objects)
    case("obj_shared", shared_points, **objects)
    case("obj_cycle", self_point, **objects)
    case("obj_point_ex", lambda: goldenclasses.PointEx(1, y=(2, 3)), protocols=(4, 5),
         kind="object", note="__getnewargs_ex__: NEWOBJ_EX")

    import collections
    import types
    case("obj_simplenamespace", lambda: types.SimpleNamespace(a=1, b="x"), kind="object",
         note="REDUCE + BUILD with a dict state")
    # Standard library types the decoder knows (stdlib_collections.go): values.
    case("obj_ordereddict", lambda: collections.OrderedDict([("b", 1), ("a", [2])]),
         note="SETITEMS applied to an object; decodes to *OrderedDict")
    case("obj_defaultdict", lambda: collections.defaultdict(list, {"k": [1]}),
         note="a global (builtins.list) as a constructor argument; decodes to *DefaultDict")


def _pure_python():
    """The same values through pickle._dumps, the pure-Python pickler."""
    py = dict(pickler="python")

    def mixed():
        shared = [1, 2]
        return {"ints": [0, 255, 256, 2**31, 2**63, -2**70], "f": [0.1, -0.0],
                "s": "text\u20ac", "b": b"\x00\xff", "ba": bytearray(b"x"),
                "t": (1, (2, 3)), "set": {1, 2}, "fs": frozenset({3}),
                "shared": [shared, shared], "c": 1 + 1j, "n": None, "bool": [True, False]}

    def recursive():
        t = ([], 1, 2, 3)
        t[0].append(t)
        return [t, t[0]]

    case("py_mixed", mixed, **py)
    case("py_recursive", recursive, **py)
    case("py_frames", lambda: ["item%06d" % i for i in range(5500)] + ["x" * 66000],
         protocols=(4,), **py)
    case("py_bytes", lambda: [b"", b"abc", bytearray(b"\x00\xff")], **py)


def build_cases():
    _ints()
    _floats()
    _text()
    _bytes()
    _scalars_misc()
    _containers()
    _sharing()
    _cycles()
    _deep()
    _objects()
    _pure_python()
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"


# ------------------------------------------------------ hand-assembled vectors

def G(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


F1 = b"G?\xf0\x00\x00\x00\x00\x00\x00"  # BINFLOAT 1.0
F2 = b"G@\x00\x00\x00\x00\x00\x00\x00"  # BINFLOAT 2.0

# (name, bytes, note). CPython's unpickler accepts all of these and loads a
# plain value, identically in its C and pure-Python implementations.
VECTORS = [
    ("vec_dup", b"(]2t.", "DUP: a tuple holding one list twice"),
    ("vec_pop", b"K\x01K\x020.", "POP drops the top item"),
    ("vec_pop_mark", b"K\x01(K\x02K\x031.", "POP_MARK drops items down to the MARK"),
    ("vec_pop_pops_mark", b"K\x01(0.", "POP with a MARK on top removes the MARK"),
    ("vec_list", b"(K\x01K\x02l.", "LIST after MARK"),
    ("vec_list_empty", b"(l.", "LIST of nothing"),
    ("vec_dict", b"(K\x01K\x02K\x03K\x04d.", "DICT after MARK"),
    ("vec_dict_empty", b"(d.", "DICT of nothing"),
    ("vec_dict_dup_keys", b"(K\x01K\x02F1.0\nK\x03I01\nK\x04K\x05K\x06d.",
     "DICT with keys 1, 1.0, True: the first key stays, the last value wins"),
    ("vec_setitems_dup_keys", b"}(K\x01K\x02F1.0\nK\x03u.", "SETITEMS with equal keys"),
    ("vec_tuple_mark", b"(K\x01K\x02t.", "TUPLE after MARK"),
    ("vec_tuple_mark_empty", b"(t.", "TUPLE of nothing"),
    ("vec_put_get_text", b"(lp0\nI1\nag0\na.", "text PUT/GET: a list containing itself"),
    ("vec_put_sparse_text", b"(lp99999\nI7\nag99999\na.", "text PUT at a sparse index"),
    ("vec_long_binput_sparse", b"]r\x40\x42\x0f\x00j\x40\x42\x0f\x00\x86.",
     "LONG_BINPUT/LONG_BINGET 1000000: a sparse memo"),
    ("vec_binput_255", b"]q\xffh\xff\x86.", "BINPUT/BINGET 255"),
    ("vec_put_overwrite", b"K\x01p0\n0K\x02p0\n0g0\n.", "PUT twice at one index: the last wins"),
    ("vec_memoize_after_put", b"\x80\x04K\x01q\x05\x94K\x02\x94h\x02.",
     "MEMOIZE stores at len(memo), not after the highest index"),
    ("vec_long_no_l", b"L123\n.", "LONG without the trailing L"),
    ("vec_long_l", b"L123L\n.", "LONG with L"),
    ("vec_long_big_neg", b"L-99999999999999999999L\n.", "LONG beyond int64"),
    ("vec_long_zero", b"L0\n.", "LONG 0"),
    ("vec_long_plus", b"L+5\n.", "LONG with a plus sign"),
    ("vec_long1_empty", b"\x8a\x00.", "LONG1 of zero bytes is 0"),
    ("vec_long4_small", b"\x8b\x02\x00\x00\x00\xff\x7f.", "LONG4 holding a small value"),
    ("vec_long1_minimal", b"\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00.",
     "LONG1 of 9 bytes holding 2**63"),
    ("vec_int_true", b"I01\n.", "INT 01 is True"),
    ("vec_int_false", b"I00\n.", "INT 00 is False"),
    ("vec_int_neg", b"I-5\n.", "INT negative"),
    ("vec_int_plus", b"I+7\n.", "INT with a plus sign"),
    ("vec_int_big", b"I99999999999999999999\n.", "INT beyond int64 is a big int"),
    ("vec_string_single", b"S'abc'\n.", "STRING single-quoted"),
    ("vec_string_double", b"S\"it's\"\n.", "STRING double-quoted"),
    ("vec_string_empty", b"S''\n.", "STRING empty"),
    ("vec_string_escapes", b"S'a\\'b\\\\c\\n\\x41\\101\\t'\n.", "STRING escapes: \\' \\\\ \\n \\x41 \\101 \\t"),
    ("vec_binstring", b"T\x03\x00\x00\x00abc.", "BINSTRING (Python 2 str)"),
    ("vec_short_binstring", b"U\x03abc.", "SHORT_BINSTRING (Python 2 str)"),
    ("vec_unicode_escapes", b"Vabc\\u20ac\\U0001f600\\u005c\n.", "UNICODE raw-unicode-escape"),
    ("vec_unicode_latin1_raw", b"V\xe9\xff\n.", "UNICODE bytes >= 0x80 are Latin-1 code points"),
    ("vec_float_text", b"(F1e300\nF-0.0\nF1\nF-inf\nF.5\nt.", "FLOAT text forms"),
    ("vec_binbytes8", b"\x8e\x03\x00\x00\x00\x00\x00\x00\x00abc.", "BINBYTES8 with a small length"),
    ("vec_binunicode8", b"\x8d\x03\x00\x00\x00\x00\x00\x00\x00abc.", "BINUNICODE8 with a small length"),
    ("vec_binbytes", b"B\x03\x00\x00\x00abc.", "BINBYTES with a small length"),
    ("vec_binunicode_surrogate", b"X\x03\x00\x00\x00\xed\xa0\x80.",
     "BINUNICODE holding a lone surrogate (surrogatepass)"),
    ("vec_bytearray8_empty", b"\x96\x00\x00\x00\x00\x00\x00\x00\x00.", "BYTEARRAY8 empty"),
    ("vec_empty_set_additems", b"\x8f(K\x01K\x02\x90(\x90.", "ADDITEMS twice, once empty"),
    ("vec_frozenset_mark", b"(K\x01K\x02\x91.", "FROZENSET after MARK"),
    ("vec_appends_empty", b"](e.", "APPENDS of nothing"),
    ("vec_setitems_empty", b"}(u.", "SETITEMS of nothing"),
    ("vec_obj_set", b"(" + G("builtins", "set") + b"(lK\x01aK\x02ao.", "OBJ: set([1, 2])"),
    ("vec_obj_set_noargs", b"(" + G("builtins", "set") + b"o.", "OBJ without arguments: set()"),
    ("vec_obj_complex", b"(" + G("builtins", "complex") + F1 + F2 + b"o.", "OBJ: complex(1.0, 2.0)"),
    ("vec_inst_set", b"((lI1\naI2\naibuiltins\nset\n.", "INST builtins.set"),
    ("vec_inst_py2_frozenset", b"((lI1\nai__builtin__\nfrozenset\n.",
     "INST with a Python 2 name (fix_imports)"),
    ("vec_inst_complex", b"(F1.0\nF2.0\nibuiltins\ncomplex\n.", "INST builtins.complex"),
    ("vec_newobj_complex", b"\x80\x02" + G("builtins", "complex") + F1 + F2 + b"\x86\x81.",
     "NEWOBJ: complex.__new__(complex, 1.0, 2.0)"),
    ("vec_newobj_ex_complex", b"\x80\x04" + G("builtins", "complex") + b")}(\x8c\x04real" + F1 +
     b"\x8c\x04imag" + F2 + b"u\x92.", "NEWOBJ_EX: complex.__new__(complex, real=1.0, imag=2.0)"),
    ("vec_newobj_set_ignores_args", b"\x80\x02" + G("builtins", "set") + b"]K\x01a\x85\x81.",
     "NEWOBJ calls set.__new__(set, [1]) only: an EMPTY set (__init__ fills sets)"),
    ("vec_newobj_frozenset", b"\x80\x02" + G("builtins", "frozenset") + b"]K\x01a\x85\x81.",
     "NEWOBJ: frozenset.__new__(frozenset, [1]) is frozenset({1})"),
    ("vec_newobj_bytearray_ignores_args", b"\x80\x02" + G("builtins", "bytearray") + b"C\x02ab\x85\x81.",
     "NEWOBJ: bytearray.__new__(bytearray, b'ab') is an EMPTY bytearray"),
    ("vec_stack_global_set", b"\x80\x04\x8c\x08builtins\x8c\x03set\x93](K\x01e\x85R.",
     "STACK_GLOBAL without memo"),
    ("vec_py2_set", b"c__builtin__\nset\n((lI1\natR.", "__builtin__.set (fix_imports)"),
    ("vec_codecs_encode", G("_codecs", "encode") + b"(V\xe9\nVlatin1\ntR.", "_codecs.encode to bytes"),
    ("vec_bytearray_reduce", G("builtins", "bytearray") + b"(C\x02ab" + b"tR.", "bytearray(b'ab')"),
    ("vec_stop_leftover", b"K\x01K\x02.", "STOP with two items on the stack loads the top"),
    ("vec_frame_empty_then_data", b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00\x95\x02\x00\x00\x00\x00\x00\x00\x00K\x05.",
     "an empty FRAME, then a frame holding BININT1; STOP outside"),
    ("vec_proto_twice", b"\x80\x02\x80\x04K\x01.", "PROTO twice"),
]

# Vectors whose objects the Go decoder keeps only with KeepUnknown.
VECTORS_OBJECT = [
    ("vec_obj_inst_point", b"(igoldenclasses\nPoint\n(dVx\nI1\nsb.", "INST of a class, then BUILD"),
    ("vec_obj_obj_point", b"(" + G("goldenclasses", "Point") + b"o}(Vx\nK\x01Vy\nK\x02ub.",
     "OBJ of a class, then BUILD"),
    ("vec_obj_build_slots", b"\x80\x02" + G("goldenclasses", "Point") + b")\x81N}X\x01\x00\x00\x00xK\x09s\x86b.",
     "BUILD with a (None, slotstate) pair"),
]

# Opcodes that need hooks (persistent_load, the extension registry, out-of-band
# buffers): CPython's default Unpickler rejects them, except READONLY_BUFFER on
# a bytes object, which it accepts as a no-op.
VECTORS_HOOK = [
    ("vec_rej_persid", b"Pid\n.", "PERSID: needs persistent_load"),
    ("vec_rej_binpersid", b"K\x01Q.", "BINPERSID: needs persistent_load"),
    ("vec_rej_ext1", b"\x82\x01.", "EXT1: unregistered extension code"),
    ("vec_rej_ext2", b"\x83\x01\x02.", "EXT2: unregistered extension code"),
    ("vec_rej_ext4", b"\x84\x01\x02\x03\x04.", "EXT4: unregistered extension code"),
    ("vec_rej_next_buffer", b"\x80\x05\x97.", "NEXT_BUFFER: no out-of-band buffers"),
    ("vec_rej_readonly_buffer", b"\x80\x05C\x03abc\x98.",
     "READONLY_BUFFER on bytes: CPython accepts (a no-op)"),
]


# ------------------------------------------------------------------ writing

def dumps(c, value, protocol):
    if c.pickler == "python":
        return pickle._dumps(value, protocol)
    return pickle.dumps(value, protocol)


def render_all():
    """Returns {filename: bytes} for every pickle of every case."""
    files = {}
    for c in CASES:
        for p in c.protocols:
            files["%s.p%d.pkl" % (c.name, p)] = dumps(c, c.build(), p)
    return files


def check_case(c, files):
    for p in c.protocols:
        data = files["%s.p%d.pkl" % (c.name, p)]
        for loads in (pickle.loads, pickle._loads):
            err = pystrict.compare(c.build(), loads(data))
            if err:
                raise SystemExit("gen: %s protocol %d does not round-trip: %s" % (c.name, p, err))


def check_vector(name, data):
    """Both unpicklers must load the vector into strictly the same value."""
    try:
        a, b = pickle.loads(data), pickle._loads(data)
    except Exception as e:
        raise SystemExit("gen: %s does not load: %r" % (name, e))
    err = pystrict.compare(a, b)
    if err:
        raise SystemExit("gen: %s loads differently in C and Python: %s" % (name, err))
    return a


def check_hook_vector(name, data):
    """Returns "error" or "ok", which both unpicklers must agree on."""
    outcomes = []
    for loads in (pickle.loads, pickle._loads):
        try:
            loads(data)
            outcomes.append("ok")
        except Exception:
            outcomes.append("error")
    if outcomes[0] != outcomes[1]:
        raise SystemExit("gen: %s: C %s, Python %s" % (name, outcomes[0], outcomes[1]))
    return outcomes[0]


def sha(data):
    return hashlib.sha256(data).hexdigest()


def seed_hashes(seed):
    """Runs this script with another hash seed and returns its file hashes."""
    env = dict(os.environ, PYTHONHASHSEED=seed)
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--hashes"],
                         env=env, check=True, capture_output=True).stdout
    return json.loads(out)


def main():
    if os.environ.get("PYTHONHASHSEED") != SEED and "--hashes" not in sys.argv:
        env = dict(os.environ, PYTHONHASHSEED=SEED)
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    sys.setrecursionlimit(20000)  # deep_* cases: the C pickler recurses
    build_cases()
    files = render_all()
    if "--hashes" in sys.argv:
        json.dump({k: sha(v) for k, v in files.items()}, sys.stdout)
        return
    others = [seed_hashes(s) for s in OTHER_SEEDS]

    manifest = {
        "generator": "testdata/gen.py",
        "python": "%d.%d.%d" % sys.version_info[:3],
        "hash_seed": int(SEED),
        "cases": [],
    }
    out = {}
    for c in CASES:
        check_case(c, files)
        value = c.build()
        entry = {
            "name": c.name,
            "kind": c.kind,
            "pickler": c.pickler,
            "keep_unknown": c.kind == "object",
            "note": c.note,
            "files": [],
            "equal_groups": c.equal_groups,
            "equal_note": c.equal_note,
            "sharing": pystrict.sharing_signature(value) if c.kind == "value" else None,
        }
        for p in c.protocols:
            fn = "%s.p%d.pkl" % (c.name, p)
            data = files[fn]
            det = all(o[fn] == sha(data) for o in others)
            f = {"protocol": p, "file": fn, "deterministic": det}
            if c.pickler == "python":
                cdata = pickle.dumps(value, p)
                f["same_as_c"] = cdata == data
                if cdata != data:
                    cfn = "%s.p%d.c.pkl" % (c.name, p)
                    out[cfn] = cdata
                    f["c_file"] = cfn
            entry["files"].append(f)
            out[fn] = data
        manifest["cases"].append(entry)

    for group, keep, vectors in (("vector", False, VECTORS), ("vector", True, VECTORS_OBJECT)):
        for name, data, note in vectors:
            value = check_vector(name, data)
            fn = name + ".pkl"
            out[fn] = data
            entry = {"name": name, "kind": group, "pickler": "hand", "keep_unknown": keep,
                     "note": note, "files": [{"protocol": vector_protocol(data), "file": fn,
                                              "deterministic": True}],
                     "equal_groups": [], "equal_note": "", "sharing": None}
            if not keep:
                ref = pickle.dumps(value, 4)
                out[name + ".ref.pkl"] = ref
                entry["ref"] = name + ".ref.pkl"
                entry["sharing"] = pystrict.sharing_signature(value)
            manifest["cases"].append(entry)
    for name, data, note in VECTORS_HOOK:
        fn = name + ".pkl"
        out[fn] = data
        manifest["cases"].append({
            "name": name, "kind": "hook", "pickler": "hand", "keep_unknown": False,
            "note": note, "cpython": check_hook_vector(name, data),
            "files": [{"protocol": vector_protocol(data), "file": fn,
                       "deterministic": True}],
            "equal_groups": [], "equal_note": "", "sharing": None})

    write_output(out, manifest)


def vector_protocol(data):
    """The protocol a vector declares (PROTO), or 0."""
    return data[1] if data[:1] == b"\x80" else 0


def manifest_json(manifest):
    """Renders the manifest with one line per case, for readable diffs."""
    head = {k: v for k, v in manifest.items() if k != "cases"}
    lines = [json.dumps(c, sort_keys=True) for c in manifest["cases"]]
    body = json.dumps(head, sort_keys=True)[:-1]
    return body + ', "cases": [\n' + ",\n".join(lines) + "\n]}\n"


def write_output(out, manifest):
    os.makedirs(OUT, exist_ok=True)
    for fn in os.listdir(OUT):
        if (fn.endswith(".pkl") and fn not in out) or fn == "manifest.json":
            os.remove(os.path.join(OUT, fn))
    for fn, data in sorted(out.items()):
        path = os.path.join(OUT, fn)
        try:
            with open(path, "rb") as f:
                if f.read() == data:
                    continue
        except FileNotFoundError:
            pass
        with open(path, "wb") as f:
            f.write(data)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        f.write(manifest_json(manifest))
    total = sum(len(v) for v in out.values())
    n_det = sum(1 for c in manifest["cases"] for f in c["files"] if not f["deterministic"])
    print("gen: %d cases, %d files, %d bytes, %d nondeterministic files" %
          (len(manifest["cases"]), len(out), total, n_det))


if __name__ == "__main__":
    main()
