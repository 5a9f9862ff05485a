#!/usr/bin/env python3
"""Generate the hostile-input corpus for go-pickle's safety tests.

Run from anywhere:  python3 testdata/hostile/gen_hostile.py

Writes testdata/hostile/cases/<id>.pkl (one file per case) and
testdata/hostile/manifest.json, which says for every case what it is and what
the Go decoder must do with it. The output is deterministic (seeded RNG, sorted
output, no timestamps), so re-running the script must leave git clean.

Outcome vocabulary used in the manifest (checked by hostile_test.go):
  ok           decodes without error
  GlobalError  *pickle.GlobalError
  LimitError   *pickle.LimitError
  SyntaxError  *pickle.SyntaxError
  Truncated    *pickle.SyntaxError wrapping pickle.ErrTruncated
  Empty        an error wrapping pickle.ErrEmpty
  Trailing     an error wrapping pickle.ErrTrailingData
  Unhashable   a typed error wrapping pickle.ErrUnhashable
  UnmarshalTypeError  *pickle.UnmarshalTypeError
  error        any of the package's typed errors
  any          any clean outcome (ok, or a typed error)
Every error must in addition be well formed: one line, starting "pickle:",
with an offset inside the input.

Each case has:
  id, file, category, what   description
  expect       list of acceptable outcomes when decoding into `any`
  typed        (optional) acceptable outcomes for the typed targets, keyed by
               target name (struct, map, nest, nestmap); default: derived
               from expect (see hostile_test.go)
  keep         (optional) acceptable outcomes for `any` with KeepUnknown(true);
               default: expect
  opts         (optional) decoder options, e.g. {"MaxDepth": 3}
  truncate     (optional) list of prefix lengths: each prefix of the file is
               a case of its own, expected Truncated (Empty for length 0)
  solo         (optional) run in a process of its own (bombs)
  cpython      what CPython's C unpickler (restricted to the same safe
               globals, 2 GiB address space, 5 s) does with the input, for
               information: "ok", "global-refused" or "error: Type: msg"
"""

import io
import json
import os
import pickle
import pickletools
import random
import resource
import shutil
import signal
import struct
import sys
import _compat_pickle

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases")

# The globals the Go decoder accepts by default (after fix_imports mapping).
SAFE = {
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "bytearray"),
    ("builtins", "complex"),
    ("_codecs", "encode"),
}


class RestrictedUnpickler(pickle.Unpickler):
    """CPython's C unpickler, allowed only the globals go-pickle allows."""

    def find_class(self, module, name):
        m, n = module, name
        if (m, n) in _compat_pickle.NAME_MAPPING:
            m, n = _compat_pickle.NAME_MAPPING[(m, n)]
        elif m in _compat_pickle.IMPORT_MAPPING:
            m = _compat_pickle.IMPORT_MAPPING[m]
        if (m, n) in SAFE:
            return super().find_class(module, name)
        raise _GlobalRefused("%s.%s" % (module, name))

    def persistent_load(self, pid):
        raise _GlobalRefused("persistent id")


class _GlobalRefused(Exception):
    pass


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def cpython_verdict(data, isolated=False):
    """What CPython's C unpickler does with data, restricted and bounded.
    isolated runs it in a child process killed after 5 s (the C unpickler
    does not check for signals while it hashes or allocates)."""
    if isolated:
        return _verdict_in_child(data)
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(5)
    try:
        RestrictedUnpickler(io.BytesIO(data)).load()
        return "ok"
    except _GlobalRefused:
        return "global-refused"
    except _Timeout:
        return "error: timeout"
    except RecursionError:
        return "error: RecursionError"
    except BaseException as e:  # MemoryError, UnpicklingError, ...
        msg = str(e).splitlines()[0] if str(e) else ""
        return "error: %s: %s" % (type(e).__name__, msg[:80])
    finally:
        signal.alarm(0)


def python_verdict(data):
    """What CPython's pure-Python unpickler (pickle._Unpickler) does."""
    class R(pickle._Unpickler):
        find_class = RestrictedUnpickler.find_class
        persistent_load = RestrictedUnpickler.persistent_load
    try:
        R(io.BytesIO(data)).load()
        return "ok"
    except _GlobalRefused:
        return "global-refused"
    except BaseException as e:
        return "error: %s" % type(e).__name__


def _verdict_in_child(data):
    import subprocess
    code = ("import sys; sys.path.insert(0, %r); import gen_hostile as g, resource; "
            "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30)); "
            "sys.setrecursionlimit(10000); "
            "print(g.cpython_verdict(sys.stdin.buffer.read()))" % HERE)
    try:
        r = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, timeout=5)
    except subprocess.TimeoutExpired:
        return "error: timeout (killed after 5 s)"
    if r.returncode != 0:
        return "error: crashed with status %d" % r.returncode
    return r.stdout.decode().strip()


# ---------------------------------------------------------------- builders

def u8(n):
    return struct.pack("<Q", n)


def u4(n):
    return struct.pack("<I", n)


def i4(n):
    return struct.pack("<i", n)


def sbu(s):
    """SHORT_BINUNICODE for a str (utf-8, surrogatepass)."""
    b = s.encode("utf-8", "surrogatepass")
    if len(b) < 256:
        return b"\x8c" + bytes([len(b)]) + b
    return b"X" + u4(len(b)) + b


def binunicode(s):
    b = s.encode("utf-8", "surrogatepass")
    return b"X" + u4(len(b)) + b


def stack_global(module, name):
    return sbu(module) + sbu(name) + b"\x93"


def text_global(module, name, op=b"c"):
    return op + module.encode("utf-8", "surrogatepass") + b"\n" + name.encode("utf-8", "surrogatepass") + b"\n"


P2 = b"\x80\x02"
P4 = b"\x80\x04"
P5 = b"\x80\x05"


class Corpus:
    def __init__(self):
        self.cases = []
        self.ids = set()

    def add(self, cid, category, what, data, expect, **kw):
        assert cid not in self.ids, cid
        assert isinstance(data, bytes)
        self.ids.add(cid)
        case = {"id": cid, "category": category, "what": what,
                "file": "cases/%s.pkl" % cid, "expect": list(expect)}
        for k, v in kw.items():
            if v is not None:
                case[k] = v
        case["cpython"] = cpython_verdict(data, isolated=bool(kw.get("solo")))
        case["size"] = len(data)
        self.cases.append((case, data))

    def add_oracle(self, cid, category, what, data, reject="SyntaxError", **kw):
        """A case whose expectation follows CPython: accepted -> ok,
        global refused -> GlobalError, rejected -> reject."""
        v = cpython_verdict(data)
        if v != "ok" and python_verdict(data) == "ok":
            v = "ok"  # the two reference unpicklers disagree: accept either way
        if v == "ok":
            # Stricter than CPython on an odd form is safe; the test logs
            # every such difference.
            exp = ["ok", reject] if isinstance(reject, str) else ["ok"] + list(reject)
        elif v == "global-refused":
            exp = ["GlobalError"]
        else:
            exp = [reject] if isinstance(reject, str) else list(reject)
        self.add(cid, category, what, data, exp, **kw)


# ------------------------------------------------------------ code execution

DANGEROUS = [
    ("os", "system"), ("posix", "system"), ("nt", "system"),
    ("os", "popen"), ("os", "execv"),
    ("subprocess", "Popen"), ("subprocess", "check_output"), ("subprocess", "call"),
    ("builtins", "eval"), ("builtins", "exec"), ("builtins", "getattr"),
    ("builtins", "__import__"), ("builtins", "compile"), ("builtins", "open"),
    ("builtins", "setattr"), ("builtins", "globals"), ("builtins", "type"),
    ("builtins", "object"), ("builtins", "int"), ("builtins", "list"),
    ("__builtin__", "eval"), ("__builtin__", "getattr"), ("__builtin__", "__import__"),
    ("__builtin__", "execfile"), ("__builtin__", "file"),
    ("commands", "getoutput"), ("pty", "spawn"), ("shutil", "rmtree"),
    ("importlib", "import_module"), ("runpy", "_run_code"),
    ("copyreg", "_reconstructor"), ("copy_reg", "_reconstructor"),
    ("pickle", "loads"), ("_pickle", "loads"), ("marshal", "loads"),
    ("types", "FunctionType"), ("ctypes", "CDLL"), ("webbrowser", "open"),
    ("operator", "attrgetter"), ("functools", "partial"), ("sys", "exit"),
    ("codecs", "decode"), ("_codecs", "decode"), ("codecs", "encode"),
    ("__main__", "Evil"), ("collections", "OrderedDict"),
]


# Globals the decoder may return as inert Global values when only named
# (the base class argument of copyreg._reconstructor, a defaultdict factory).
BASE_REFERENCES = {("builtins", "object"), ("builtins", "list"), ("builtins", "tuple"), ("builtins", "dict"),
                   ("copyreg", "_reconstructor"), ("copy_reg", "_reconstructor")}


# Callables the decoder knows and evaluates itself, with checked arguments:
# getattr(Class, 'Nested') for nested class names below protocol 4 (the result
# must itself be allowed) and standard library constructors (stdlib.go).
KNOWN_CALLABLES = {("builtins", "getattr"), ("__builtin__", "getattr"), ("builtins", "int"),
                   ("collections", "OrderedDict")}


def code_execution(c):
    cmd = "id"
    for module, name in DANGEROUS:
        base = "%s.%s" % (module, name)
        slug = module + "-" + name
        variants = [
            ("global-reduce-p0", "GLOBAL + REDUCE at protocol 0",
             text_global(module, name) + b"(S'" + cmd.encode() + b"'\ntR."),
            ("global-reduce-p2", "GLOBAL + TUPLE1 + REDUCE at protocol 2",
             P2 + text_global(module, name) + binunicode(cmd) + b"\x85R."),
            ("stack-global-reduce-p4", "STACK_GLOBAL + REDUCE at protocol 4",
             P4 + stack_global(module, name) + b"\x94" + sbu(cmd) + b"\x85\x94R\x94."),
            ("inst-p0", "INST with a MARKed argument list",
             b"(S'" + cmd.encode() + b"'\n" + text_global(module, name, b"i") + b"."),
            ("obj-p1", "OBJ: MARK, class, args, OBJ",
             b"(" + text_global(module, name) + b"U\x02ido."),
            ("newobj-p2", "NEWOBJ of the global",
             P2 + text_global(module, name) + binunicode(cmd) + b"\x85\x81."),
            ("newobj-ex-p4", "NEWOBJ_EX of the global with keyword arguments",
             P4 + stack_global(module, name) + sbu(cmd) + b"\x85}" + sbu("shell") + b"\x88s\x92."),
            ("bare-p0", "a bare reference to the global (no call)",
             text_global(module, name) + b"."),
            ("in-list-p4", "the global called inside a list",
             P4 + b"](K\x01" + stack_global(module, name) + sbu(cmd) + b"\x85RK\x02e."),
            ("build-setstate-p2", "BUILD whose state dict installs the global as __setstate__",
             P2 + b"c__builtin__\nset\n)R}" + binunicode("__setstate__") + text_global(module, name) +
             b"sb" + binunicode(cmd) + b"b."),
        ]
        for vid, what, data in variants:
            exp = ["GlobalError"]
            keep = ["ok"] if vid != "build-setstate-p2" else ["ok", "error"]
            known = (module, name) in BASE_REFERENCES or (module, name) in KNOWN_CALLABLES
            if known and vid in ("bare-p0", "build-setstate-p2"):
                # Named but not called: an inert Global, allowed by design.
                exp = ["GlobalError", "ok" if vid == "bare-p0" else "SyntaxError"]
            if (module, name) in KNOWN_CALLABLES and keep == ["ok"]:
                # A constructor the decoder evaluates itself refuses these
                # arguments even with KeepUnknown.
                keep = ["ok", "GlobalError"]
            c.add("exec-%s-%s" % (slug, vid), "code-execution", "%s: %s" % (base, what),
                  data, exp, keep=keep)


SPELLINGS = [
    ("os.path", "join", "dotted module"),
    ("os", "path.join", "dotted name"),
    ("builtins", "set.__init__", "attribute of an allowed class"),
    ("builtins", "set.__class__", "the metaclass through an allowed class"),
    ("builtins", "set.mro", "method of an allowed class"),
    ("builtins", "bytearray.fromhex", "classmethod of an allowed class"),
    ("builtins", "frozenset.__new__", "__new__ of an allowed class"),
    ("builtins", "object.__subclasses__", "the classic escape"),
    ("builtins", "set.__reduce_ex__", "reduce hook"),
    ("builtins.set", "", "whole name in module, empty name"),
    ("builtins", "", "empty name"),
    ("", "set", "empty module"),
    ("", "", "empty module and name"),
    ("builtins", "set\x00", "NUL after an allowed name"),
    ("builtins\x00", "set", "NUL after the module"),
    ("builtins ", "set", "space after the module"),
    (" builtins", "set", "space before the module"),
    ("builtins", "set ", "space after the name"),
    ("Builtins", "set", "capitalized module"),
    ("builtins", "Set", "capitalized name"),
    ("BUILTINS", "SET", "upper case"),
    ("builtins", "\u0455et", "Cyrillic dze lookalike of set"),
    ("b\u03c5iltins", "set", "Greek upsilon lookalike in builtins"),
    ("builtins", "\uff53\uff45\uff54", "fullwidth set"),
    ("builtins", "set\u200b", "zero-width space after set"),
    ("_codecs", "encode.__globals__", "attribute of an allowed function"),
    ("_codecs\n", "encode", "newline inside the module (STACK_GLOBAL)"),
    ("builtins", "getattr", "getattr"),
    ("builtins", "__builtins__", "__builtins__"),
    ("builtins", "vars", "vars"),
    ("builtins", "breakpoint", "breakpoint"),
    ("builtins", "input", "input"),
    ("builtins", "memoryview", "memoryview"),
    ("builtins", "range", "range (harmless in Python, not allowed)"),
    ("__builtin__", "set", "Python 2 module name at protocol 4 (no fix_imports)"),
]


def spellings(c):
    for i, (module, name, what) in enumerate(SPELLINGS):
        exp = ["GlobalError"]
        if not module or not name or any(ch in module + name for ch in "\x00\n"):
            # Not a Python name at all: malformed input (or refused).
            exp = ["GlobalError", "SyntaxError"]
        if (module, name) == ("__builtin__", "set"):
            # CPython does not map names at protocol 4; refusing is safe,
            # accepting as builtins.set is harmless too.
            exp = ["GlobalError", "ok"]
        # An empty module or name, or a newline in one, is no Python name
        # (CPython: "Empty module name", AttributeError) and cannot be
        # written back: refused even with KeepUnknown.
        keep = ["GlobalError", "SyntaxError"] if (not module or not name or "\n" in module) else ["ok", "error"]
        c.add("spelling-%02d-stack-global" % i, "global-spelling",
              "STACK_GLOBAL %r %r: %s" % (module, name, what),
              P4 + stack_global(module, name) + b")R.", exp, keep=keep)
        if "\n" not in module and "\n" not in name:
            c.add("spelling-%02d-global-p2" % i, "global-spelling",
                  "GLOBAL %r %r at protocol 2: %s" % (module, name, what),
                  P2 + text_global(module, name) + b")R.", exp, keep=keep)
    # A module name containing a newline through GLOBAL is read as a
    # different (module, name) pair; both halves are unknown.
    c.add("spelling-global-invalid-utf8", "global-spelling", "GLOBAL with invalid UTF-8 names",
          b"c\xff\xfe\n\xc0\x80\n.", ["GlobalError", "SyntaxError"], keep=["ok", "error"])
    c.add("spelling-global-long-name", "global-spelling", "GLOBAL with a 256 KiB module name (error must stay short)",
          b"c" + b"a" * (1 << 18) + b"\nb\n)R.", ["GlobalError", "LimitError"], keep=["ok", "LimitError"], solo=True)
    c.add("spelling-global-no-newline", "global-spelling", "GLOBAL whose line never ends",
          b"c" + b"a" * (1 << 18), ["Truncated", "LimitError"], solo=True)
    # getattr(Class, name) is evaluated for nested class names: the result
    # must be refused unless it is itself an allowed name.
    ga = P2 + b"c__builtin__\ngetattr\n"
    for i, (mod, cls, attrs) in enumerate([
            ("builtins", "set", ["__init__"]), ("builtins", "object", ["__subclasses__"]),
            ("builtins", "set", ["mro"]), ("builtins", "list", ["append"]),
            ("collections", "OrderedDict", ["fromkeys"]), ("builtins", "getattr", ["__self__"]),
            ("builtins", "set", ["__init__", "__globals__"]), ("builtins", "object", ["__class__", "__subclasses__"]),
            ("builtins", "frozenset", ["__new__"]), ("_codecs", "encode", ["__globals__"])]):
        data = ga * len(attrs) + text_global(mod, cls)
        for a in attrs:
            data += binunicode(a) + b"\x86R"
        c.add("getattr-gadget-%02d" % i, "global-spelling",
              "getattr chain %s.%s.%s: the named attribute is no allowed global" % (mod, cls, ".".join(attrs)),
              data + b")R.", ["GlobalError"], keep=["ok", "GlobalError"])
    c.add("getattr-three-args", "global-spelling", "getattr(builtins.set, 'x', None)",
          ga + b"cbuiltins\nset\nX\x01\x00\x00\x00xN\x87R.", ["GlobalError", "SyntaxError"], keep=["any"])
    c.add("getattr-non-global", "global-spelling", "getattr([], 'append')",
          ga + b"]X\x06\x00\x00\x00append\x86R.", ["GlobalError", "SyntaxError"], keep=["any"])
    # Allowed constructors abused.
    c.add("safe-bytearray-huge-int", "constructor-abuse", "builtins.bytearray(2**40): allocates in CPython",
          P2 + b"c__builtin__\nbytearray\n\x8a\x06\x00\x00\x00\x00\x00\x01\x85R.",
          ["GlobalError", "LimitError", "SyntaxError"], keep=["ok", "error"], solo=True)
    c.add("safe-bytearray-int", "constructor-abuse", "builtins.bytearray(16)",
          P2 + b"c__builtin__\nbytearray\nK\x10\x85R.", ["any"])
    c.add("safe-set-int-arg", "constructor-abuse", "builtins.set(1): TypeError in CPython",
          P2 + b"c__builtin__\nset\nK\x01\x85R.", ["GlobalError", "SyntaxError"], keep=["ok", "error"])
    c.add("safe-set-three-args", "constructor-abuse", "builtins.set with three arguments",
          P2 + b"c__builtin__\nset\n]]]\x87R.", ["GlobalError", "SyntaxError"], keep=["ok", "error"])
    c.add("safe-set-args-none", "constructor-abuse", "REDUCE with None as the argument tuple",
          b"cbuiltins\nset\nNR.", ["GlobalError", "SyntaxError"], keep=["ok", "error"])
    c.add("safe-reduce-on-none", "constructor-abuse", "REDUCE calling None",
          b"N)R.", ["GlobalError", "SyntaxError"], keep=["ok", "error"])
    for enc in ["rot13", "hex_codec", "zlib_codec", "base64", "utf-7", "idna", "punycode", "uu"]:
        c.add("safe-codecs-encode-%s" % enc.replace("_", ""), "constructor-abuse",
              "_codecs.encode('x', %r): only latin1 is what CPython writes" % enc,
              P2 + b"c_codecs\nencode\nX\x01\x00\x00\x00x" + binunicode(enc) + b"\x86R.",
              ["GlobalError", "SyntaxError"], keep=["ok", "error"])
    # Every safe constructor with argument tuples of every arity and kind.
    arg_forms = [("empty-mark", b"(t"), ("empty", b")"), ("none", b"N\x85"), ("int", b"K\x01\x85"),
                 ("list", b"]\x85"), ("none2", b"NN\x86"), ("none3", b"NNN\x87"), ("none4", b"(NNNNt"),
                 ("bytes", b"C\x01x\x85"), ("str-none", b"X\x01\x00\x00\x00xN\x86"),
                 ("str-str", b"X\x01\x00\x00\x00xX\x01\x00\x00\x00x\x86"), ("false", b"\x89\x85"),
                 ("float", b"G" + b"\x00" * 8 + b"\x85"), ("args-not-tuple", b"N")]
    for g in ["_codecs\nencode", "__builtin__\nset", "__builtin__\nfrozenset", "__builtin__\nbytearray",
              "__builtin__\nbytes", "__builtin__\ncomplex"]:
        for name, args in arg_forms:
            c.add("safe-arity-%s-%s" % (g.split("\n")[1], name), "constructor-abuse",
                  "%s called with %s arguments" % (g.replace("\n", "."), name),
                  P2 + b"c" + g.encode() + b"\n" + args + b"R.", ["any"], keep=["any"])
    c.add("safe-codecs-encode-kwargs", "constructor-abuse", "_codecs.encode through NEWOBJ_EX with kwargs",
          P4 + stack_global("_codecs", "encode") + sbu("x") + b"\x85}" + sbu("encoding") + sbu("rot13") + b"s\x92.",
          ["GlobalError", "SyntaxError"], keep=["ok", "error"])
    c.add("safe-complex-string", "constructor-abuse", "builtins.complex('1+2j') (a string argument)",
          P2 + b"c__builtin__\ncomplex\nX\x04\x00\x00\x001+2j\x85R.", ["any"])
    c.add("build-on-set", "build", "BUILD with a __setstate__ dict on a set (no other global)",
          P2 + b"c__builtin__\nset\n)R}X\x0c\x00\x00\x00__setstate__Nsb.", ["SyntaxError", "GlobalError"],
          keep=["any"])
    c.add("build-slotstate-on-set", "build", "BUILD with (None, {'__setstate__': ...}) slot state on a set",
          P2 + b"c__builtin__\nset\n)RN}X\x0c\x00\x00\x00__setstate__Ns\x86b.", ["SyntaxError", "GlobalError"],
          keep=["any"])
    c.add("build-on-int", "build", "BUILD on an int", b"K\x01}b.", ["SyntaxError"])
    c.add("build-on-list", "build", "BUILD on a list", b"]}b.", ["SyntaxError"])
    c.add("build-on-dict", "build", "BUILD on a dict", b"}}b.", ["SyntaxError"])
    c.add("build-on-none", "build", "BUILD on None", b"N}b.", ["SyntaxError"])
    c.add("build-on-global", "build", "BUILD on a class reference (sets a class attribute in CPython)",
          b"cbuiltins\nset\n}X\x04\x00\x00\x00evilNsb.", ["SyntaxError", "GlobalError"], keep=["any"])
    c.add("persid", "persistent", "PERSID without a persistent_load", b"P123\n.", ["SyntaxError", "GlobalError"],
          keep=["any"])
    c.add("binpersid", "persistent", "BINPERSID without a persistent_load", b"NQ.", ["SyntaxError", "GlobalError"],
          keep=["any"])
    for op, arg in [(b"\x82", b"\x01"), (b"\x83", b"\x01\x00"), (b"\x84", b"\x01\x00\x00\x00")]:
        c.add("ext-%02x" % op[0], "extension", "EXT opcode %02x (extension registry)" % op[0],
              P2 + op + arg + b".", ["SyntaxError", "GlobalError"], keep=["any"])
    c.add("keep-object-as-dict-key", "keep", "an unknown object used as a dict key",
          P2 + b"}c__main__\nX\n)\x81K\x01s.", ["GlobalError"], keep=["any"])


# ------------------------------------------------------------ allocation bombs

def allocation(c):
    big = [(1 << 40, "2**40"), ((1 << 64) - 1, "2**64-1"), (1 << 63, "2**63"), (1 << 32, "2**32")]
    under = [(1 << 31, "2**31 (the default MaxStringLen itself)"), ((1 << 31) - 1, "2**31-1"), (1 << 30, "2**30")]
    for op, name in [(b"\x8e", "BINBYTES8"), (b"\x8d", "BINUNICODE8"), (b"\x96", "BYTEARRAY8")]:
        for n, s in big:
            c.add("alloc-%s-%s" % (name.lower(), s.replace("*", "").replace("-", "m")), "allocation",
                  "%s claiming %s bytes with a 3-byte body" % (name, s),
                  P5 + op + u8(n) + b"abc.", ["LimitError"], solo=True)
        for n, s in under:
            c.add("alloc-%s-%s" % (name.lower(), s.split()[0].replace("*", "").replace("-", "m")), "allocation",
                  "%s claiming %s bytes with a 3-byte body" % (name, s),
                  P5 + op + u8(n) + b"abc.", ["Truncated"], solo=True)
    for op, name in [(b"B", "BINBYTES"), (b"X", "BINUNICODE")]:
        c.add("alloc-%s-ffffffff" % name.lower(), "allocation", "%s claiming 2**32-1 bytes" % name,
              P4 + op + u4(0xFFFFFFFF) + b"abc.", ["LimitError"], solo=True)
        c.add("alloc-%s-80000001" % name.lower(), "allocation", "%s claiming 2**31+1 bytes" % name,
              P4 + op + u4(0x80000001) + b"abc.", ["LimitError"], solo=True)
        c.add("alloc-%s-7fffffff" % name.lower(), "allocation", "%s claiming 2**31-1 bytes" % name,
              P4 + op + u4(0x7FFFFFFF) + b"abc.", ["Truncated"], solo=True)
    c.add("alloc-binstring-7fffffff", "allocation", "BINSTRING claiming 2**31-1 bytes",
          b"T" + i4(0x7FFFFFFF) + b"abc.", ["Truncated"], solo=True)
    c.add("alloc-binstring-negative", "allocation", "BINSTRING with a negative length",
          b"T" + i4(-1) + b"abc.", ["SyntaxError"])
    c.add("alloc-long4-7fffffff", "allocation", "LONG4 claiming 2**31-1 bytes",
          P2 + b"\x8b" + i4(0x7FFFFFFF) + b"abc.", ["Truncated", "LimitError"], solo=True)
    c.add("alloc-long4-negative", "allocation", "LONG4 with a negative length",
          P2 + b"\x8b" + i4(-5) + b"abc.", ["SyntaxError"])
    c.add("alloc-long4-2mib", "allocation", "LONG4 with a real 2 MiB body (a 16-Mbit integer)",
          P2 + b"\x8b" + i4(2 << 20) + bytes(range(256)) * 8192 + b".",
          ["ok", "LimitError"], solo=True)
    for n, s in [(1 << 40, "2p40"), ((1 << 64) - 1, "2p64m1"), (1 << 30, "2p30"), (1 << 63, "2p63")]:
        c.add("alloc-frame-%s" % s, "allocation", "FRAME claiming %s bytes around a tiny pickle" % s,
              P4 + b"\x95" + u8(n) + b"N.", ["Truncated", "LimitError"], solo=True)
    c.add("alloc-frame-zero", "allocation", "FRAME of length 0 then a pickle",
          P4 + b"\x95" + u8(0) + b"N.", ["ok"])
    c.add("alloc-frame-in-frame", "allocation", "FRAME opened inside a FRAME",
          P4 + b"\x95" + u8(11) + b"\x95" + u8(1) + b"N" + b".", ["SyntaxError"])
    c.add("alloc-frame-straddle", "allocation", "BINUNICODE straddling the end of its FRAME",
          P4 + b"\x95" + u8(3) + b"X\x01\x00\x00\x00a.", ["SyntaxError"])
    c.add("alloc-frame-straddle-stop", "allocation", "a frame ending inside an argument, then STOP",
          P4 + b"\x95" + u8(1) + b"K\x01.", ["SyntaxError"])
    # Text integers: CPython refuses more than 4300 digits.
    d = b"9" * 4300
    c.add("int-text-4300-digits", "int-digits", "INT with 4300 digits (the limit)", b"I" + d + b"\n.", ["ok"])
    c.add("int-text-4300-digits-neg", "int-digits", "INT -(4300 digits): the sign is not a digit",
          b"I-" + d + b"\n.", ["ok"])
    c.add("int-text-4301-digits", "int-digits", "INT with 4301 digits", b"I9" + d + b"\n.", ["LimitError"])
    c.add("long-text-4301-digits", "int-digits", "LONG with 4301 digits", b"L9" + d + b"L\n.", ["LimitError"])
    c.add("long-text-100k-digits", "int-digits", "LONG with 100000 digits",
          b"L" + b"7" * 100000 + b"L\n.", ["LimitError"], solo=True)
    c.add_oracle("float-text-100k-digits", "float-digits", "FLOAT with 100000 digits (overflows)",
                 b"F" + b"1" * 100000 + b"\n.", reject=["SyntaxError", "LimitError"], solo=True)
    c.add("float-text-100k-digits-fraction", "float-digits", "FLOAT 0.(100000 digits)",
          b"F0." + b"1" * 100000 + b"\n.", ["ok", "LimitError"], solo=True)
    c.add("string-text-300k", "text", "STRING of 300000 characters", b"S'" + b"a" * 300000 + b"'\n.", ["ok"], solo=True)
    c.add("unicode-text-escapes", "text", "UNICODE of 50000 \\u escapes",
          b"V" + b"\\u20ac" * 50000 + b"\n.", ["ok"], solo=True)
    # Limits given as options.
    c.add("opt-maxstringlen-unicode", "option-limit", "MaxStringLen 3, BINUNICODE of 4 bytes",
          binunicode("abcd") + b".", ["LimitError"], opts={"MaxStringLen": 3})
    c.add("opt-maxstringlen-bytes", "option-limit", "MaxStringLen 3, SHORT_BINBYTES of 4 bytes",
          P4 + b"C\x04abcd.", ["LimitError"], opts={"MaxStringLen": 3})
    c.add("opt-maxstringlen-string", "option-limit", "MaxStringLen 3, STRING of 4 bytes",
          b"S'abcd'\n.", ["LimitError"], opts={"MaxStringLen": 3})
    c.add("opt-maxstringlen-ok", "option-limit", "MaxStringLen 3, BINUNICODE of 3 bytes",
          binunicode("abc") + b".", ["ok"], opts={"MaxStringLen": 3})
    c.add("opt-maxcontainerlen-list", "option-limit", "MaxContainerLen 3, list of 4",
          b"](K\x01K\x02K\x03K\x04e.", ["LimitError"], opts={"MaxContainerLen": 3})
    c.add("opt-maxcontainerlen-append", "option-limit", "MaxContainerLen 3, list grown by APPEND to 4",
          b"]K\x01aK\x02aK\x03aK\x04a.", ["LimitError"], opts={"MaxContainerLen": 3})
    c.add("opt-maxcontainerlen-tuple", "option-limit", "MaxContainerLen 3, tuple of 4",
          b"(K\x01K\x02K\x03K\x04t.", ["LimitError"], opts={"MaxContainerLen": 3})
    c.add("opt-maxcontainerlen-dict", "option-limit", "MaxContainerLen 3, dict of 4",
          b"}(K\x01NK\x02NK\x03NK\x04Nu.", ["LimitError"], opts={"MaxContainerLen": 3})
    c.add("opt-maxcontainerlen-set", "option-limit", "MaxContainerLen 3, set of 4",
          P4 + b"\x8f(K\x01K\x02K\x03K\x04\x90.", ["LimitError"], opts={"MaxContainerLen": 3})
    c.add("opt-maxcontainerlen-ok", "option-limit", "MaxContainerLen 3, list of 3",
          b"](K\x01K\x02K\x03e.", ["ok"], opts={"MaxContainerLen": 3})
    c.add("opt-maxmemo", "option-limit", "MaxMemo 2, three MEMOIZE",
          P4 + b"N\x94N\x94N\x94.", ["LimitError"], opts={"MaxMemo": 2})
    c.add("opt-maxmemo-ok", "option-limit", "MaxMemo 2, two MEMOIZE", P4 + b"N\x94N\x94.", ["ok"],
          opts={"MaxMemo": 2})
    c.add("opt-maxdepth", "option-limit", "MaxDepth 3, lists nested 10 deep",
          b"(" * 10 + b"l" * 10 + b".", ["LimitError"], opts={"MaxDepth": 3})
    c.add("opt-maxdepth-ok", "option-limit", "MaxDepth 3, a flat list", b"(K\x01l.", ["ok"], opts={"MaxDepth": 3})
    c.add("opt-maxintdigits", "option-limit", "MaxIntDigits 5, INT of 6 digits", b"I123456\n.", ["LimitError"],
          opts={"MaxIntDigits": 5})
    c.add("opt-maxwork", "option-limit", "MaxWork 10, 100 empty lists into the nested-slice target",
          b"(" + b"]" * 100 + b"l.", ["ok", "LimitError"], opts={"MaxWork": 10},
          typed={"nest": ["LimitError"]})


# ------------------------------------------------------------ memo bombs

def memo_bombs(c):
    levels = 40
    # Lists: level i = [level i-1, level i-1].
    p = bytearray(P4 + b"]\x94")
    for i in range(1, levels + 1):
        p += b"(h" + bytes([i - 1]) + b"h" + bytes([i - 1]) + b"l\x94"
    p += b"."
    c.add("memo-bomb-list-40", "memo-bomb", "40 levels of lists each holding the previous twice (2**40 leaves)",
          bytes(p), ["ok"], typed={"nest": ["ok", "LimitError"]}, solo=True)
    # Dicts: level i = {'a': level i-1, 'b': level i-1}.
    p = bytearray(P4 + b"}\x94")
    for i in range(1, levels + 1):
        p += b"}(\x8c\x01ah" + bytes([i - 1]) + b"\x8c\x01bh" + bytes([i - 1]) + b"u\x94"
    p += b"."
    c.add("memo-bomb-dict-40", "memo-bomb", "40 levels of dicts {'a': prev, 'b': prev}",
          bytes(p), ["ok"], typed={"nestmap": ["ok", "LimitError"], "map": ["ok", "LimitError"],
                                   "struct": ["ok", "LimitError", "UnmarshalTypeError"]}, solo=True)
    # Tuples: hashing level 40 without a cache visits 2**40 leaves.
    p = bytearray(P4 + b")\x94")
    for i in range(1, levels + 1):
        p += b"h" + bytes([i - 1]) + b"h" + bytes([i - 1]) + b"\x86\x94"
    c.add("memo-bomb-tuple-40", "memo-bomb", "40 levels of 2-tuples (prev, prev), not hashed",
          bytes(p) + b".", ["ok"], typed={"nest": ["ok", "LimitError"]}, solo=True)
    c.add("memo-bomb-tuple-40-as-key", "memo-bomb",
          "the 40-level tuple used as a dict key: hashing must not visit 2**40 leaves",
          bytes(p) + b"}\x94h" + bytes([levels]) + b"Ns.", ["ok", "LimitError"], solo=True)
    c.add("memo-bomb-tuple-40-in-set", "memo-bomb", "the 40-level tuple added to a set",
          bytes(p) + b"\x8f(h" + bytes([levels]) + b"\x90.", ["ok", "LimitError"], solo=True)
    c.add("memo-bomb-tuple-40-in-frozenset", "memo-bomb", "the 40-level tuple in a frozenset",
          bytes(p) + b"(h" + bytes([levels]) + b"\x91.", ["ok", "LimitError"], solo=True)
    # Frozensets: level i = frozenset({level i-1, (level i-1,)}).
    p = bytearray(P4 + b"(\x91\x94")
    for i in range(1, levels + 1):
        p += b"(h" + bytes([i - 1]) + b"h" + bytes([i - 1]) + b"\x85\x91\x94"
    c.add("memo-bomb-frozenset-40", "memo-bomb", "40 levels of frozenset({prev, (prev,)}) then used as a key",
          bytes(p) + b"}h" + bytes([levels]) + b"Ns.", ["ok", "LimitError"], solo=True)
    # Tuples nested 1000 deep with memo: each level is (prev, prev, i) for 255 levels via LONG_BINGET.
    p = bytearray(P4 + b")\x94")
    n = 1000
    for i in range(1, n + 1):
        p += b"j" + u4(i - 1) + b"j" + u4(i - 1) + b"\x86\x94"
    c.add("memo-bomb-tuple-1000", "memo-bomb", "1000 levels of (prev, prev) then used as a dict key",
          bytes(p) + b"}j" + u4(n) + b"Ns.", ["ok", "LimitError"], solo=True)
    # A big tuple key inserted 20000 times through the memo: hashing must be cached or cheap.
    m = 20000
    p = bytearray(P4 + b"(" + b"K\x07" * m + b"t\x94}")
    p += b"(" + b"h\x00N" * m + b"u."
    c.add("memo-big-tuple-key-repeated", "memo-bomb",
          "a 20000-item tuple as the key of 20000 SETITEMS (quadratic without a hash cache)",
          bytes(p), ["ok", "LimitError"], solo=True)
    # Sparse memo.
    c.add("memo-sparse-ffffffff", "memo", "LONG_BINPUT 0xffffffff then LONG_BINGET it",
          b"Nr\xff\xff\xff\xffj\xff\xff\xff\xff.", ["ok"])
    c.add("memo-sparse-many", "memo", "10000 LONG_BINPUTs at scattered huge indices",
          b"N" + b"".join(b"r" + u4((i * 2654435761) & 0xFFFFFFFF) for i in range(10000)) + b".", ["ok"], solo=True)
    c.add("memo-put-huge-decimal", "memo", "PUT with an index beyond 64 bits",
          b"Np99999999999999999999999\n.", ["ok", "SyntaxError", "LimitError"])
    c.add("memo-put-negative", "memo", "PUT -1", b"Va\np-1\n.", ["SyntaxError"])
    c.add("memo-get-missing", "memo", "GET of a missing index", b"g5\n.", ["SyntaxError"])
    c.add("memo-binget-missing", "memo", "BINGET of a missing index", b"h\x05.", ["SyntaxError"])
    c.add("memo-long-binget-missing", "memo", "LONG_BINGET of a missing index", b"j\x05\x00\x00\x00.",
          ["SyntaxError"])
    c.add("memo-get-huge-missing", "memo", "LONG_BINGET 0xffffffff missing", b"j\xff\xff\xff\xff.",
          ["SyntaxError"])
    c.add("memo-get-bad-text", "memo", "GET of a non-number", b"Ngabc\n.", ["SyntaxError"])
    c.add("memo-memoize-empty", "memo", "MEMOIZE with an empty stack", P4 + b"\x94N.", ["SyntaxError"])


# ------------------------------------------------------------ depth bombs

def depth_bombs(c):
    n = 100000
    c.add("depth-emptylist-append-100k", "depth", "100000 nested lists by EMPTY_LIST + APPEND",
          b"]" * n + b"a" * (n - 1) + b".", ["LimitError"], solo=True)
    c.add("depth-mark-list-100k", "depth", "100000 nested lists by MARK + LIST",
          b"(" * n + b"l" * n + b".", ["LimitError"], solo=True)
    c.add("depth-mark-tuple-100k", "depth", "100000 nested tuples by MARK + TUPLE",
          b"(" * n + b"t" * n + b".", ["LimitError"], solo=True)
    c.add("depth-tuple1-100k", "depth", "100000 nested tuples by TUPLE1",
          P2 + b")" + b"\x85" * n + b".", ["LimitError"], solo=True)
    c.add("depth-frozenset-100k", "depth", "100000 nested frozensets (hashing each level)",
          P4 + b"(" * n + b"\x91" * n + b".", ["LimitError"], solo=True)
    c.add("depth-dict-100k", "depth", "100000 nested dicts by MARK + DICT",
          b"(K\x01" * n + b"}" + b"d" * n + b".", ["LimitError"], solo=True)
    c.add("depth-dict-setitem-100k", "depth", "100000 nested dicts by EMPTY_DICT + SETITEM",
          b"}K\x01" * n + b"}" + b"s" * n + b".", ["LimitError"], solo=True)
    c.add("depth-tuple-key-100k", "depth", "a 100000-deep tuple used as a dict key",
          b"}" + b"(" * n + b")" + b"t" * n + b"Ns.", ["LimitError"], solo=True)
    c.add("depth-tuple-key-9000", "depth", "a 9000-deep tuple used as a dict key",
          b"}" + b"(" * 9000 + b")" + b"t" * 9000 + b"Ns.", ["ok"], solo=True)
    c.add("depth-list-1m", "depth", "a million nested lists by MARK + LIST",
          b"(" * 1000000 + b"l" * 1000000 + b".", ["LimitError"], solo=True)
    c.add("depth-list-9000", "depth", "9000 nested lists (within the default MaxDepth)",
          b"(" * 9000 + b"l" * 9000 + b".", ["ok"], solo=True)
    c.add("depth-frozenset-5000", "depth", "5000 nested frozensets (within bounds)",
          P4 + b"(" * 5000 + b"\x91" * 5000 + b".", ["ok"], solo=True)
    c.add("depth-inst-10k", "depth", "objects nested by INST of a safe class, 20000 deep",
          b"(" * 20000 + b"ibuiltins\nset\n" * 20000 + b".", ["GlobalError", "LimitError", "SyntaxError", "ok"],
          keep=["any"], solo=True)
    c.add("depth-reduce-set-chain", "depth", "set(set(...set(((),))...)) 20000 calls deep (each copies {()})",
          P2 + b"c__builtin__\nset\n\x94" + b"h\x00" * 20000 + b")" + b"\x85R" * 20000 + b".",
          ["ok", "LimitError"], solo=True)
    c.add("depth-object-state-20k", "depth", "20000 unknown objects nested through BUILD state",
          P2 + b"c__main__\nX\n\x94" + b"h\x00)\x81" * 20000 + b"b" * 19999 + b".",
          ["GlobalError"], keep=["LimitError"], solo=True)
    # Mark storms.
    c.add("mark-storm-300k-stop", "mark", "300000 MARKs then STOP", b"(" * 300000 + b".",
          ["SyntaxError", "LimitError"], solo=True)
    c.add("mark-storm-300k-none", "mark", "300000 MARKs, None, STOP (CPython returns None)",
          b"(" * 300000 + b"N.", ["ok", "LimitError", "SyntaxError"], solo=True)
    c.add("mark-popmark-300k", "mark", "300000 MARK + POP_MARK pairs then None",
          b"(1" * 300000 + b"N.", ["ok"], solo=True)
    c.add("mark-nested-popmark", "mark", "300000 MARKs closed by 300000 POP_MARKs",
          b"(" * 300000 + b"1" * 300000 + b"N.", ["ok", "LimitError"], solo=True)
    c.add("dup-storm-300k", "stack", "None DUPed 300000 times", b"N" + b"2" * 300000 + b".", ["ok"], solo=True)
    c.add("dup-list-storm", "stack", "a list holding itself by DUP+APPEND 200000 times",
          b"]" + b"2a" * 200000 + b"0.", ["SyntaxError"], solo=True)
    c.add("dup-list-self-append", "stack", "a list APPENDing itself 200000 times (a cycle)",
          b"]\x94" + b"h\x00a" * 200000 + b".", ["ok", "LimitError"], solo=True)
    c.add("tuple-1m-items", "stack", "a tuple of a million Nones", b"(" + b"N" * 1000000 + b"t.", ["ok"], solo=True)
    c.add("dict-100k-keys", "stack", "a dict of 100000 distinct int keys",
          b"}(" + b"".join(b"J" + i4(i) + b"N" for i in range(100000)) + b"u.", ["ok"], solo=True)
    c.add("dict-100k-float-int-keys", "stack", "100000 keys alternating i and float(i): equal keys collapse",
          P4 + b"}(" + b"".join((b"J" + i4(i) if i % 2 else b"G" + struct.pack(">d", float(i - 1))) + b"N"
                                for i in range(100000)) + b"u.", ["ok"], solo=True)


# ------------------------------------------------------------ malformed

def opcode_arg(arg):
    """A well-formed argument for a pickletools ArgumentDescriptor."""
    if arg is None:
        return b""
    name = arg.name
    table = {
        "uint1": b"\x00", "uint2": b"\x00\x00", "int4": b"\x00\x00\x00\x00", "uint4": b"\x00\x00\x00\x00",
        "uint8": b"\x00" * 8, "decimalnl_short": b"0\n", "decimalnl_long": b"0\n", "floatnl": b"0.0\n",
        "stringnl": b"'a'\n", "stringnl_noescape": b"a\n", "stringnl_noescape_pair": b"builtins\nset\n",
        "unicodestringnl": b"a\n", "float8": b"\x00" * 8, "long1": b"\x00", "long4": b"\x00\x00\x00\x00",
        "string1": b"\x00", "string4": b"\x00\x00\x00\x00", "bytes1": b"\x00", "bytes4": b"\x00\x00\x00\x00",
        "bytes8": b"\x00" * 8, "unicodestring1": b"\x00", "unicodestring4": b"\x00\x00\x00\x00",
        "unicodestring8": b"\x00" * 8, "bytearray8": b"\x00" * 8,
    }
    return table[name]


def malformed(c):
    o = c.add_oracle
    # Text numbers.
    for i, t in enumerate([b"abc", b"1.5", b"", b" 1", b"1 ", b"1_000", b"0x10", b"010", b"+5", b"--1", b"1e3",
                           b"\xff", b"9" * 30, b"-", b"0b1", b"00", b"01", b"02", b"1\x00"]):
        o("malformed-int-%02d" % i, "malformed", "INT %r" % t, b"I" + t + b"\n.")
    for i, t in enumerate([b"abc", b"12LL", b"", b"L", b"0x10", b"1_0", b" 7", b"-", b"5l", b"\xff", b"--1L"]):
        o("malformed-long-%02d" % i, "malformed", "LONG %r" % t, b"L" + t + b"\n.")
    for i, t in enumerate([b"abc", b"1.5.5", b"", b"nan", b"inf", b"-inf", b"1e999", b"1_0", b" 1.5", b"0x1p3",
                           b"infinity", b"1e", b"\xff", b"1.0\x00"]):
        o("malformed-float-%02d" % i, "malformed", "FLOAT %r" % t, b"F" + t + b"\n.")
    # STRING quoting and escapes.
    for i, t in enumerate([b"'abc", b"abc'", b"'abc'junk", b"'\\x4'", b"'\\x'", b"'\\q'", b"'\\777'", b"'\\'",
                           b"'a'b'", b"\"abc'", b"'\\u20ac'", b"'\\N{DASH}'", b"'\xff'", b"'", b"''", b'""',
                           b"'\\\\'", b"'\\n\\t\\r\\0'", b"'\\x41\\101'", b"'a\\\nb'"]):
        o("malformed-string-%02d" % i, "malformed", "STRING %r" % t, b"S" + t + b"\n.")
    # UNICODE (raw-unicode-escape).
    for i, t in enumerate([b"\\u12", b"\\U00110000", b"\\ud800", b"\xff", b"\\x41", b"\\U0001F600", b"\\u",
                           b"\\\\u0041", b"a\\ub"]):
        o("malformed-unicode-%02d" % i, "malformed", "UNICODE %r" % t, b"V" + t + b"\n.")
    # Invalid UTF-8 in the binary unicode opcodes.
    for i, body in enumerate([b"\xff\xfe", b"\xc0\x80", b"\xed\xa0\x80", b"\xed\xb0\x80\xed\xa0\x80",
                              b"\xf4\x90\x80\x80", b"\xe2\x82", b"a\x00b", b"\xf0\x9f\x98\x80"]):
        n = len(body)
        o("malformed-binunicode-%02d" % i, "malformed", "BINUNICODE %r" % body, b"X" + u4(n) + body + b".")
        o("malformed-shortbinunicode-%02d" % i, "malformed", "SHORT_BINUNICODE %r" % body,
          P4 + b"\x8c" + bytes([n]) + body + b".")
        o("malformed-binunicode8-%02d" % i, "malformed", "BINUNICODE8 %r" % body, P4 + b"\x8d" + u8(n) + body + b".")
    # Containers misused.
    o("malformed-setitems-odd", "malformed", "SETITEMS with an odd number of items", b"}(K\x01u.")
    o("malformed-setitems-on-list", "malformed", "SETITEMS on a list", b"](K\x01K\x02u.")
    o("malformed-setitem-on-int", "malformed", "SETITEM on an int", b"K\x01K\x02K\x03s.")
    o("malformed-setitem-on-tuple", "malformed", "SETITEM on a tuple", b")K\x02K\x03s.")
    o("malformed-appends-on-int", "malformed", "APPENDS on an int", b"K\x01(K\x02e.")
    o("malformed-appends-on-tuple", "malformed", "APPENDS on a tuple", b")(K\x02e.")
    o("malformed-append-on-dict", "malformed", "APPEND on a dict", b"}K\x01a.")
    o("malformed-append-on-set", "malformed", "APPEND on a set", P4 + b"\x8fK\x01a.")
    o("malformed-append-on-none", "malformed", "APPEND on None", b"NK\x01a.")
    o("malformed-additems-on-list", "malformed", "ADDITEMS on a list", P4 + b"](K\x01\x90.")
    o("malformed-additems-on-frozenset", "malformed", "ADDITEMS on a frozenset", P4 + b"(\x91(K\x01\x90.")
    o("malformed-appends-on-frozenset", "malformed", "APPENDS on a frozenset", P4 + b"(\x91(K\x01e.")
    # Unhashable keys and members.
    c.add("unhashable-list-key", "unhashable", "a list as a dict key", b"}]K\x01s.", ["Unhashable"])
    c.add("unhashable-dict-key", "unhashable", "a dict as a dict key (SETITEMS)", b"}(}K\x01u.", ["Unhashable"])
    c.add("unhashable-list-in-set", "unhashable", "a list in a set", P4 + b"\x8f(]\x90.", ["Unhashable"])
    c.add("unhashable-bytearray-in-set", "unhashable", "a bytearray in a set",
          P5 + b"\x8f(\x96\x01\x00\x00\x00\x00\x00\x00\x00x\x90.", ["Unhashable"])
    c.add("unhashable-dict-in-frozenset", "unhashable", "a dict in a frozenset", P4 + b"(}\x91.", ["Unhashable"])
    c.add("unhashable-set-key", "unhashable", "a set as a dict key", P4 + b"}\x8fK\x01s.", ["Unhashable"])
    c.add("unhashable-tuple-of-list-key", "unhashable", "a tuple holding a list as a dict key",
          P2 + b"}]\x85K\x01s.", ["Unhashable"])
    c.add("unhashable-bytearray-key-p2", "unhashable", "a bytearray (via builtins.bytearray) as a dict key",
          P2 + b"}c__builtin__\nbytearray\nC\x01x\x85RK\x01s.", ["Unhashable"])
    c.add("unhashable-list-in-set-reduce", "unhashable", "builtins.set([[1]]) at protocol 2",
          P2 + b"c__builtin__\nset\n]]K\x01aa\x85R.", ["Unhashable"])
    c.add("hashable-bytes-in-set", "unhashable", "bytes in a set (hashable)", P4 + b"\x8f(C\x01x\x90.", ["ok"])
    c.add("hashable-frozenset-key", "unhashable", "a frozenset as a dict key", P4 + b"}(K\x01\x91K\x01s.", ["ok"])
    c.add("hashable-nan-keys", "unhashable", "two NaN keys stay two keys (NaN != NaN)",
          P4 + b"}(G\x7f\xf8\x00\x00\x00\x00\x00\x00K\x01G\x7f\xf8\x00\x00\x00\x00\x00\x00K\x02u.", ["ok"])
    # Unknown opcodes and protocols.
    known = {op.code.encode("latin-1")[0] for op in pickletools.opcodes}
    for b in range(256):
        if b not in known:
            c.add("opcode-unknown-%02x" % b, "unknown-opcode", "unknown opcode 0x%02x" % b,
                  P5 + bytes([b]) + b".", ["SyntaxError"])
    for v in [6, 7, 100, 255]:
        c.add("proto-%d" % v, "protocol", "PROTO %d" % v, bytes([0x80, v]) + b"N.", ["SyntaxError"])
    o("proto-midstream", "protocol", "PROTO in the middle of a pickle", b"N\x80\x02.")
    o("proto-twice", "protocol", "PROTO 2 then PROTO 4", b"\x80\x02\x80\x04N.")
    c.add("stop-empty", "stack", "STOP with an empty stack", b".", ["SyntaxError"])
    c.add("stop-after-mark", "stack", "STOP right after MARK", b"N(.", ["SyntaxError"])
    c.add("empty-input", "stack", "no bytes at all", b"", ["Empty"])
    c.add("trailing-after-stop", "stack", "bytes after STOP", b"N.N.", ["Trailing"])
    c.add("trailing-garbage", "stack", "garbage after STOP", b"N.\xff\xff", ["Trailing"])
    c.add("leftover-stack", "stack", "items left on the stack at STOP (CPython ignores them)", b"NNN.", ["ok"])
    # Stack underflow for every opcode that pops; mark underflow for every opcode that needs a mark.
    for op in pickletools.opcodes:
        code = op.code.encode("latin-1")
        if not op.stack_before:
            continue
        slug = op.name.lower().replace("_", "")
        arg = opcode_arg(op.arg)
        if op.name in ("PROTO", "FRAME"):
            continue
        pfx = P5 if op.proto >= 2 else b""
        rj = ["SyntaxError", "GlobalError"] if op.name in ("INST", "GLOBAL") else "SyntaxError"
        o("underflow-%s" % slug, "stack-underflow", "%s with an empty stack" % op.name, pfx + code + arg + b".",
          reject=rj)
        o("underflow-mark-%s" % slug, "stack-underflow", "%s with only a MARK on the stack" % op.name,
          pfx + b"(" + code + arg + b".", reject=rj)
        if pickletools.markobject in op.stack_before:
            o("nomark-%s" % slug, "mark", "%s with items but no MARK" % op.name,
              pfx + b"K\x01K\x02K\x03K\x04" + code + arg + b".", reject=rj)
    o("popmark-no-mark", "mark", "POP_MARK without a MARK", b"N1.")
    o("mark-inside-setitems", "mark", "MARK between key and value of SETITEMS", b"}(K\x01(K\x02u.")
    o("mark-unclosed", "mark", "a MARK never closed before STOP with a value above it", b"(K\x01.")


# ------------------------------------------------------------ valid pickles, truncations, garbage

def valid_objects():
    l = [1]
    rec = []
    rec.append(rec)
    d = {}
    d["self"] = d
    return [
        None, True, False, 0, -1, 255, 65535, 65536, 2 ** 31 - 1, -2 ** 31, 2 ** 63 - 1, -2 ** 63, 2 ** 64,
        -(10 ** 40), 1.5, -0.0, float("inf"), "", "h\u00e9llo w\u00f6rld \u2603 \U0001F600", "\ud800x",
        "a\nb\\c'\"", b"", bytes(range(256)), bytearray(b"abc"), [], [1, [2, [3, []]]], (), (1,), (1, 2),
        (1, 2, 3), (1, 2, 3, 4), {}, {"a": 1, "b": [1, 2], "c": {"d": None}}, {1, 2, 3}, frozenset({1, "a"}),
        complex(1, -2), [l, l], rec, d, {(1, 2): frozenset({3}), 1.0: "one"}, list(range(1005)),
        {i: str(i) for i in range(1003)}, set(range(1001)), "x" * 70000, b"y" * 300,
        [bytearray(b"q"), b"q", "q", (b"q",)],
    ]


def interesting_prefixes(data):
    """All prefix lengths for small pickles; for big ones, the first 300,
    the last 64, and every opcode boundary +-1 (bounded)."""
    n = len(data)
    if n <= 600:
        return list(range(n))
    s = set(range(300)) | set(range(n - 64, n))
    try:
        for _, _, pos in pickletools.genops(data):
            for p in (pos - 1, pos, pos + 1):
                if 0 <= p < n:
                    s.add(p)
    except Exception:
        pass
    out = sorted(s)
    if len(out) > 900:
        rng = random.Random(n)
        keep = set(range(300)) | set(range(n - 64, n))
        rest = [p for p in out if p not in keep]
        out = sorted(keep | set(rng.sample(rest, 900 - len(keep))))
    return out


def truncations(c):
    for i, obj in enumerate(valid_objects()):
        for proto in range(6):
            data = pickle.dumps(obj, protocol=proto)
            c.add("valid-%02d-p%d" % (i, proto), "valid", "pickle.dumps(%s, protocol=%d)" % (
                repr(obj)[:60], proto), data, ["ok"], truncate=interesting_prefixes(data))
        data = pickletools.optimize(pickle.dumps(obj, protocol=4))
        c.add("valid-%02d-opt" % i, "valid", "pickletools.optimize(pickle.dumps(%s, protocol=4))" % repr(obj)[:60],
              data, ["ok"], truncate=interesting_prefixes(data))
    a = pickle.dumps([1, 2], protocol=4)
    b = pickle.dumps({"k": "v"}, protocol=2)
    c.add("stream-two-pickles", "valid", "two pickles back to back (Unmarshal: trailing data; Decoder: two records)",
          a + b, ["Trailing"])
    c.add("stream-second-truncated", "valid", "a pickle then the first half of another",
          a + b[: len(b) // 2], ["Trailing"], stream=["ok", "Truncated"])


def garbage(c):
    rng = random.Random(20240601)
    alphabet = bytes(sorted({op.code.encode("latin-1")[0] for op in pickletools.opcodes})) + b"\x00\x01\n'"
    for i in range(150):
        n = rng.randint(1, 200)
        data = bytes(rng.getrandbits(8) for _ in range(n))
        c.add("garbage-random-%03d" % i, "garbage", "seeded random bytes", data, ["any"])
    for i in range(150):
        n = rng.randint(1, 120)
        data = bytes([0x80, rng.randint(0, 5)]) + bytes(rng.choice(alphabet) for _ in range(n)) + b"."
        c.add("garbage-opcodes-%03d" % i, "garbage", "seeded random opcode bytes after PROTO", data, ["any"])
    bases = [pickle.dumps(o, protocol=p) for o in valid_objects()[:45] for p in (0, 2, 4, 5)]
    for i in range(300):
        data = bytearray(rng.choice(bases))
        for _ in range(rng.randint(1, 4)):
            k = rng.randrange(len(data))
            r = rng.random()
            if r < 0.5:
                data[k] = rng.getrandbits(8)
            elif r < 0.75:
                del data[k]
            else:
                data.insert(k, rng.choice(alphabet))
        c.add("garbage-mutated-%03d" % i, "garbage", "a valid pickle with seeded byte mutations", bytes(data),
              ["any"])


def main():
    # Set and frozenset order depends on str hashing: fix the seed.
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    # Bound the oracle: CPython would happily try to allocate what a bomb claims.
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    sys.setrecursionlimit(10000)
    random.seed(1)
    c = Corpus()
    code_execution(c)
    spellings(c)
    allocation(c)
    memo_bombs(c)
    depth_bombs(c)
    malformed(c)
    truncations(c)
    garbage(c)
    if os.path.isdir(CASES):
        shutil.rmtree(CASES)
    os.makedirs(CASES)
    manifest = []
    for case, data in sorted(c.cases, key=lambda cd: cd[0]["id"]):
        with open(os.path.join(HERE, case["file"]), "wb") as f:
            f.write(data)
        manifest.append(case)
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump({"generator": "testdata/hostile/gen_hostile.py", "cases": manifest}, f, indent=1,
                  sort_keys=True, ensure_ascii=True)
        f.write("\n")
    counts = {}
    for case in manifest:
        k = "/".join(case["expect"])
        counts[k] = counts.get(k, 0) + 1
    ntrunc = sum(len(case.get("truncate", [])) for case in manifest)
    print("%d cases (+%d truncation prefixes), %d bytes" % (
        len(manifest), ntrunc, sum(case["size"] for case in manifest)))
    for k in sorted(counts):
        print("  %-40s %d" % (k, counts[k]))


if __name__ == "__main__":
    main()
