package pickle

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// This file compares Marshal's output with CPython's pickle.dumps (the C
// pickler) for a table of Go values and the Python expressions that make
// the same values, at every protocol, and has python3 load every Go output
// and compare it strictly (types, order, sharing) with the expression.

// encPyScript is run once per test binary; it answers one JSON line per
// request line.
const encPyScript = `
import sys, json, pickle, math, collections, types, argparse, copyreg

def cyc():
    l = []
    l.append(l)
    return l

def rtup(n):
    l = []
    t = (l,) + tuple(range(1, n))
    l.append(t)
    return t

def shared(x):
    return [x, x]

def selfref(d, k):
    d[k] = d
    return d

def same(a, b, seen, back):
    if type(a) is not type(b):
        return "type %s != %s" % (type(a).__name__, type(b).__name__)
    mutable = isinstance(a, (list, dict, set, bytearray)) or hasattr(a, '__dict__')
    if mutable:
        if id(a) in seen:
            return "" if seen[id(a)] is b else "sharing differs"
        if id(b) in back:
            return "sharing differs (one object twice)"
        seen[id(a)] = b
        back[id(b)] = a
    if isinstance(a, float):
        if math.isnan(a) and math.isnan(b):
            return ""
        if a != b or math.copysign(1, a) != math.copysign(1, b):
            return "float %r != %r" % (a, b)
        return ""
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return "len %d != %d" % (len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            m = same(x, y, seen, back)
            if m:
                return "[%d]: %s" % (i, m)
        return ""
    if isinstance(a, dict):
        if len(a) != len(b):
            return "dict len %d != %d" % (len(a), len(b))
        for (k1, v1), (k2, v2) in zip(a.items(), b.items()):
            m = same(k1, k2, seen, back) or same(v1, v2, seen, back)
            if m:
                return "[%r]: %s" % (k1, m)
        return ""
    if isinstance(a, (set, frozenset)):
        if a != b or sorted(map(repr, a)) != sorted(map(repr, b)):
            return "set %r != %r" % (a, b)
        return ""
    if hasattr(a, '__dict__') and not isinstance(a, type) and not callable(a):
        m = same(vars(a), vars(b), seen, back)
        if m:
            return "vars: " + m
        if isinstance(a, collections.OrderedDict):
            return same(list(a.items()), list(b.items()), {}, {})
        return ""
    if isinstance(a, complex) or isinstance(a, (int, str, bytes, bytearray)) or a is None:
        return "" if a == b else "%r != %r" % (a, b)
    if a is b:
        return ""
    return "" if a == b else "%r != %r" % (a, b)

env = dict(globals())
for line in sys.stdin:
    req = json.loads(line)
    out = []
    for item in req["items"]:
        try:
            if req["op"] == "dumps":
                expr, proto = item
                out.append(pickle.dumps(eval(expr, env), proto).hex())
            else:
                expr, data = item
                got = pickle.loads(bytes.fromhex(data))
                out.append(same(eval(expr, env), got, {}, {}))
        except Exception as e:
            out.append("ERR: %s: %s" % (type(e).__name__, e))
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
`

// encPython is a running python3 serving encPyScript.
type encPython struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

var (
	encPyOnce sync.Once
	encPy     *encPython
	encPyErr  error
)

// needPython returns the shared python3, or skips the test when python3 is
// missing (fails instead when PICKLE_REQUIRE_PYTHON=1).
func needPython(t *testing.T) *encPython {
	t.Helper()
	path, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("PICKLE_REQUIRE_PYTHON") == "1" {
			t.Fatalf("python3 not found and PICKLE_REQUIRE_PYTHON=1: %v", err)
		}
		t.Skip("python3 not found; skipping the comparison with CPython (set PICKLE_REQUIRE_PYTHON=1 to fail instead)")
	}
	encPyOnce.Do(func() {
		cmd := exec.Command(path, "-c", encPyScript)
		cmd.Env = append(os.Environ(), "PYTHONHASHSEED=0")
		cmd.Stderr = os.Stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			encPyErr = err
			return
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			encPyErr = err
			return
		}
		if err := cmd.Start(); err != nil {
			encPyErr = err
			return
		}
		encPy = &encPython{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}
	})
	if encPyErr != nil {
		t.Fatalf("starting python3: %v", encPyErr)
	}
	return encPy
}

var encPyMu sync.Mutex

// call sends one request and returns the answers, one per item.
func (p *encPython) call(t *testing.T, op string, items [][2]any) []string {
	t.Helper()
	encPyMu.Lock()
	defer encPyMu.Unlock()
	req, err := json.Marshal(map[string]any{"op": op, "items": items})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.in.Write(append(req, '\n')); err != nil {
		t.Fatalf("writing to python3: %v", err)
	}
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		t.Fatalf("reading from python3: %v", err)
	}
	var out []string
	if err := json.Unmarshal(line, &out); err != nil {
		t.Fatalf("python3 answer: %v", err)
	}
	if len(out) != len(items) {
		t.Fatalf("python3 gave %d answers for %d items", len(out), len(items))
	}
	return out
}

// encCase pairs a Go value with the Python expression of the same value.
type encCase struct {
	name string
	val  func() any // a fresh value (cyclic ones cannot be shared between runs)
	expr string
	// differs says at which protocols the bytes may legitimately differ
	// from CPython's (nil: never); the loaded value must still be equal.
	differs func(proto int) bool
}

func v(x any) func() any { return func() any { return x } }

func bigInt(s string) *big.Int {
	x, ok := new(big.Int).SetString(s, 0)
	if !ok {
		panic(s)
	}
	return x
}

func intList(n int) *List {
	l := NewList()
	for i := 0; i < n; i++ {
		l.Append(int64(i))
	}
	return l
}

func mustSet(members ...any) *Set {
	s, err := NewSet(members...)
	if err != nil {
		panic(err)
	}
	return s
}

func mustFrozenSet(members ...any) *FrozenSet {
	f, err := NewFrozenSet(members...)
	if err != nil {
		panic(err)
	}
	return f
}

func rangeAny(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = int64(i)
	}
	return out
}

func mustDict(kv ...any) *Dict {
	d := NewDict()
	for i := 0; i < len(kv); i += 2 {
		if err := d.Set(kv[i], kv[i+1]); err != nil {
			panic(err)
		}
	}
	return d
}

type encPoint struct {
	X, Y int
}

type encNode struct {
	V    int
	Next *encNode
}

type encTagged struct {
	A     int
	B     string         `pickle:"b"`
	C     []int          `pickle:",omitempty"`
	D     *int           `pickle:",omitzero"`
	E     [2]int         // an array is a tuple
	S     []int          `pickle:"s,set"`
	F     map[string]int `pickle:"f,frozenset"`
	T     []string       `pickle:"t,tuple"`
	BA    []byte         `pickle:",bytearray"`
	Skip  int            `pickle:"-"`
	Extra map[string]any `pickle:",inline"`
}

const nanBits = 0x7ff8000000000000

func encCases() []encCase {
	lowProto := func(p int) bool { return p < 2 }
	always := func(int) bool { return true }
	return []encCase{
		{name: "None", val: v(nil), expr: "None"},
		{name: "True", val: v(true), expr: "True"},
		{name: "False", val: v(false), expr: "False"},
		{name: "ints", val: v(NewList(int64(0), int64(1), int64(255), int64(256), int64(65535), int64(65536), int64(-1),
			int64(math.MaxInt32), int64(math.MinInt32), int64(math.MaxInt32)+1, int64(math.MinInt32)-1,
			int64(math.MaxInt64), int64(math.MinInt64), int64(127), int64(128), int64(-128), int64(-129))),
			expr: "[0, 1, 255, 256, 65535, 65536, -1, 2**31-1, -2**31, 2**31, -2**31-1, 2**63-1, -2**63, 127, 128, -128, -129]"},
		{name: "int 2**31", val: v(int64(1) << 31), expr: "2**31"},
		{name: "int -2**63", val: v(int64(math.MinInt64)), expr: "-2**63"},
		{name: "go int kinds", val: v([]any{int8(-5), int16(-300), int32(70000), uint8(200), uint16(65535), uint32(math.MaxUint32),
			uint64(math.MaxUint64), uint(7), uintptr(9), int(-7)}),
			expr: "[-5, -300, 70000, 200, 65535, 2**32-1, 2**64-1, 7, 9, -7]"},
		{name: "big 2**64", val: v(bigInt("18446744073709551616")), expr: "2**64"},
		{name: "big -2**64", val: v(bigInt("-18446744073709551616")), expr: "-2**64"},
		{name: "big -2**63-1", val: v(bigInt("-9223372036854775809")), expr: "-2**63-1"},
		{name: "big huge", val: v(new(big.Int).Exp(big.NewInt(10), big.NewInt(100), nil)), expr: "10**100"},
		{name: "big LONG1 max", val: v(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 2039), big.NewInt(1))), expr: "2**2039-1"},
		{name: "big LONG4", val: v(new(big.Int).Lsh(big.NewInt(1), 2040)), expr: "2**2040"},
		{name: "big negative LONG4", val: v(new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 2047))), expr: "-2**2047"},
		{name: "big.Int value", val: v([]big.Int{*big.NewInt(5), *bigInt("0x10000000000000000")}), expr: "[5, 2**64]"},
		{name: "floats", val: v([]float64{0.0, math.Copysign(0, -1), 1.5, 1e100, math.Float64frombits(nanBits), math.Inf(1), math.Inf(-1), 0.1,
			1e16, 1e15, 1e-5, 1e-4, 123456789.123, 5e-324, math.MaxFloat64, -2.5e-10, 1e22, 100.0}),
			expr: "[0.0, -0.0, 1.5, 1e100, float('nan'), float('inf'), float('-inf'), 0.1, 1e16, 1e15, 1e-5, 1e-4, 123456789.123, 5e-324, 1.7976931348623157e308, -2.5e-10, 1e22, 100.0]"},
		{name: "float32", val: v(float32(0.1)), expr: "0.10000000149011612"},
		{name: "complex", val: v(complex(1, 2)), expr: "1+2j"},
		{name: "complex64", val: v(complex64(complex(-1.5, 0.25))), expr: "complex(-1.5, 0.25)"},
		{name: "empty str", val: v(""), expr: "''"},
		{name: "strs", val: v(NewList("a", "é", "€", "😀", "a\\b\n\r\x00\x1az", "tab\there")),
			expr: "['a', 'é', '€', '😀', 'a\\\\b\\n\\r\\x00\\x1az', 'tab\\there']"},
		{name: "lone surrogates", val: v(NewList("\xed\xb2\x80", "a\xed\xa0\x80b", "\xed\xbf\xbf")), expr: "['\\udc80', 'a\\ud800b', '\\udfff']"},
		{name: "str 255", val: v(strings.Repeat("a", 255)), expr: "'a'*255"},
		{name: "str 256", val: v(strings.Repeat("a", 256)), expr: "'a'*256"},
		{name: "str 128 é", val: v(strings.Repeat("é", 128)), expr: "'é'*128"},
		{name: "str 65535", val: v(strings.Repeat("b", 65535)), expr: "'b'*65535"},
		{name: "str 65536", val: v(strings.Repeat("c", 65536)), expr: "'c'*65536"},
		{name: "bytes", val: v(NewList([]byte{}, []byte("a"), []byte{0, 0xff, 0x80, '\\', '\n'})), expr: "[b'', b'a', b'\\x00\\xff\\x80\\\\\\n']"},
		{name: "bytes 255", val: v(make([]byte, 255)), expr: "bytes(255)"},
		{name: "bytes 256", val: v(make([]byte, 256)), expr: "bytes(256)"},
		{name: "bytes 65536", val: v([]byte(strings.Repeat("\xff", 65536))), expr: "b'\\xff'*65536"},
		// Frames: several closed by size, payloads of a frame's size or
		// more written between them, back to back, first and last.
		{name: "frames around payloads", val: func() any {
			l := NewList()
			for i := range 20000 {
				l.Append(fmt.Sprintf("s%d", i))
			}
			l.Append(bytes.Repeat([]byte{1}, 70000))
			for i := range 5 {
				l.Append(fmt.Sprintf("t%d", i))
			}
			l.Append(bytes.Repeat([]byte{2}, 70000), bytes.Repeat([]byte{3}, 65536), "end")
			return l
		}, expr: "['s%d' % i for i in range(20000)] + [b'\\x01'*70000] + ['t%d' % i for i in range(5)] + [b'\\x02'*70000, b'\\x03'*65536, 'end']"},
		{name: "payloads only", val: v(NewList(bytes.Repeat([]byte{4}, 70000), bytes.Repeat([]byte{5}, 70000))), expr: "[b'\\x04'*70000, b'\\x05'*70000]"},
		{name: "payload alone", val: v(bytes.Repeat([]byte{6}, 70000)), expr: "b'\\x06'*70000"},
		{name: "bytes shared", val: func() any { x := []byte("ab"); return []any{x, x} }, expr: "shared(b'ab')"},
		{name: "bytes singletons", val: v([]any{[]byte("a"), []byte("a"), []byte{}, []byte{}}), expr: "[b'a', b'a', b'', b'']"},
		{name: "byte array [3]byte", val: v([3]byte{1, 2, 3}), expr: "b'\\x01\\x02\\x03'"},
		{name: "bytearray empty", val: v(&ByteArray{}), expr: "bytearray()"},
		{name: "bytearray", val: v(&ByteArray{Bytes: []byte("xy")}), expr: "bytearray(b'xy')"},
		{name: "bytearray 1", val: v(&ByteArray{Bytes: []byte("x")}), expr: "bytearray(b'x')"},
		{name: "empty tuple", val: v(Tuple{}), expr: "()"},
		{name: "tuples", val: v(NewList(Tuple{int64(1)}, Tuple{int64(1), int64(2)}, Tuple{int64(1), int64(2), int64(3)},
			Tuple{int64(1), int64(2), int64(3), int64(4)}, Tuple{Tuple{}}, [2]int{5, 6}, [0]int{})),
			expr: "[(1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), ((),), (5, 6), ()]"},
		{name: "empty containers", val: v(NewList(NewList(), NewDict(), Tuple{}, []int(nil), map[string]int(nil), []int{})),
			expr: "[[], {}, (), [], {}, []]"},
		{name: "nested", val: v(NewList(NewList(NewList(int64(1))), mustDict("a", NewList(Tuple{int64(1), "x"})))),
			expr: "[[[1]], {'a': [(1, 'x')]}]"},
		{name: "list 1", val: v(intList(1)), expr: "list(range(1))"},
		{name: "list 999", val: v(intList(999)), expr: "list(range(999))"},
		{name: "list 1000", val: v(intList(1000)), expr: "list(range(1000))"},
		{name: "list 1001", val: v(intList(1001)), expr: "list(range(1001))"},
		{name: "list 2500", val: v(intList(2500)), expr: "list(range(2500))"},
		{name: "go slice 2500", val: v(rangeAny(2500)), expr: "list(range(2500))"},
		{name: "go int slice 1001", val: func() any {
			s := make([]int, 1001)
			for i := range s {
				s[i] = i
			}
			return s
		}, expr: "list(range(1001))"},
		{name: "dict 1", val: v(mustDict(int64(1), int64(2))), expr: "{1: 2}"},
		{name: "dict mixed keys", val: v(mustDict(int64(1), "i", "a", "s", Tuple{int64(1), int64(2)}, "t", mustFrozenSet(int64(3)), "f",
			nil, "n", false, "b", []byte("x"), "y", 2.5, "fl")),
			expr: "{1: 'i', 'a': 's', (1, 2): 't', frozenset({3}): 'f', None: 'n', False: 'b', b'x': 'y', 2.5: 'fl'}"},
		{name: "go map sorted", val: v(map[string]int{"b": 2, "a": 1, "c": 3}), expr: "{'a': 1, 'b': 2, 'c': 3}"},
		{name: "go int map", val: v(map[int]string{3: "c", -1: "z", 1: "a"}), expr: "{-1: 'z', 1: 'a', 3: 'c'}"},
		{name: "go any map", val: v(map[any]any{"x": int64(1), int64(2): "two", nil: int64(0), [2]int{1, 2}: "t", 1.5: "f"}),
			expr: "{None: 0, 1.5: 'f', 2: 'two', 'x': 1, (1, 2): 't'}"},
		{name: "go map 1001", val: func() any {
			m := map[int]int{}
			for i := 0; i < 1001; i++ {
				m[i] = -i
			}
			return m
		}, expr: "{i: -i for i in range(1001)}"},
		{name: "go map 2500 str", val: func() any {
			m := map[string]int{}
			for i := 0; i < 2500; i++ {
				m[fmt.Sprintf("k%05d", i)] = i
			}
			return m
		}, expr: "{'k%05d' % i: i for i in range(2500)}"},
		{name: "shared list", val: func() any { x := NewList(int64(1)); return NewList(x, x) }, expr: "shared([1])"},
		{name: "shared go slice", val: func() any { x := []int{1, 2}; return [][]int{x, x} }, expr: "shared([1, 2])"},
		{name: "shared go map", val: func() any { m := map[string]int{"a": 1}; return []map[string]int{m, m} }, expr: "shared({'a': 1})"},
		{name: "cyclic list", val: func() any { l := NewList(); l.Append(l); return l }, expr: "cyc()"},
		{name: "cyclic dict", val: func() any { d := NewDict(); _ = d.Set("me", d); return d }, expr: "selfref({}, 'me')"},
		{name: "recursive tuple 1", val: func() any { l := NewList(); t := Tuple{l}; l.Append(t); return t }, expr: "rtup(1)"},
		{name: "recursive tuple 3", val: func() any { l := NewList(); t := Tuple{l, int64(1), int64(2)}; l.Append(t); return t }, expr: "rtup(3)"},
		{name: "recursive tuple 4", val: func() any {
			l := NewList()
			t := Tuple{l, int64(1), int64(2), int64(3)}
			l.Append(t)
			return t
		}, expr: "rtup(4)"},
		{name: "recursive tuple in list", val: func() any { l := NewList(); t := Tuple{l, int64(1)}; l.Append(t); return NewList(t, l) },
			expr: "(lambda t: [t, t[0]])(rtup(2))"},
		{name: "empty set", val: v(mustSet()), expr: "set()"},
		{name: "set", val: v(mustSet(int64(1), int64(2), int64(3))), expr: "{1, 2, 3}"},
		{name: "set 1", val: v(mustSet(int64(7))), expr: "{7}"},
		{name: "set 2500", val: v(mustSet(rangeAny(2500)...)), expr: "set(range(2500))"},
		{name: "set 1000", val: v(mustSet(rangeAny(1000)...)), expr: "set(range(1000))"},
		{name: "set 2000", val: v(mustSet(rangeAny(2000)...)), expr: "set(range(2000))"},
		{name: "list 2000", val: v(intList(2000)), expr: "list(range(2000))"},
		{name: "dict 1000", val: func() any {
			d := NewDict()
			for i := 0; i < 1000; i++ {
				_ = d.Set(int64(i), "v")
			}
			return d
		}, expr: "{i: 'v' for i in range(1000)}"},
		{name: "object 1001 items", val: func() any {
			o := &Object{Callable: Global{"collections", "OrderedDict"}, Build: "REDUCE", Args: Tuple{}}
			for i := 0; i < 1001; i++ {
				o.DictItems = append(o.DictItems, int64(i), int64(i))
			}
			return o
		}, expr: "collections.OrderedDict((i, i) for i in range(1001))"},
		{name: "empty frozenset", val: v(mustFrozenSet()), expr: "frozenset()"},
		{name: "frozenset", val: v(mustFrozenSet(int64(1), int64(2))), expr: "frozenset({1, 2})"},
		{name: "frozenset 1001", val: v(mustFrozenSet(rangeAny(1001)...)), expr: "frozenset(range(1001))"},
		{name: "sets shared", val: func() any { s := mustSet(int64(1)); f := mustFrozenSet(int64(2)); return NewList(s, s, f, f) },
			expr: "(lambda s, f: [s, s, f, f])({1}, frozenset({2}))"},
		{name: "global", val: v(Global{"builtins", "set"}), expr: "set"},
		{name: "globals shared", val: v(NewList(Global{"builtins", "set"}, Global{"builtins", "set"}, Global{"builtins", "frozenset"},
			Global{"collections", "OrderedDict"})), expr: "[set, set, frozenset, collections.OrderedDict]"},
		{name: "global renamed", val: v(Global{"copyreg", "_reconstructor"}), expr: "copyreg._reconstructor"},
		{name: "global dotted", val: v(Global{"collections", "Counter.most_common"}), expr: "collections.Counter.most_common"},
		{name: "object REDUCE", val: func() any {
			return &Object{Callable: Global{"collections", "OrderedDict"}, Build: "REDUCE", Args: Tuple{}, DictItems: []any{"a", int64(1), "b", int64(2)}}
		}, expr: "collections.OrderedDict([('a', 1), ('b', 2)])"},
		{name: "object state", val: func() any {
			return &Object{Callable: Global{"types", "SimpleNamespace"}, Build: "REDUCE", Args: Tuple{}, State: mustDict("a", int64(1)), HasState: true}
		}, expr: "types.SimpleNamespace(a=1)"},
		{name: "object NEWOBJ", val: func() any {
			return &Object{Callable: Global{"argparse", "Namespace"}, Build: "NEWOBJ", Args: Tuple{}, State: mustDict("a", int64(1)), HasState: true}
		}, expr: "argparse.Namespace(a=1)", differs: lowProto},
		// CPython 3 never writes these three; Python must still load them.
		{name: "object INST", val: func() any {
			return &Object{Callable: Global{"argparse", "Namespace"}, Build: "INST", Args: Tuple{}, State: mustDict("a", int64(1)), HasState: true}
		}, expr: "argparse.Namespace(a=1)", differs: always},
		{name: "object OBJ", val: func() any {
			return &Object{Callable: Global{"argparse", "Namespace"}, Build: "OBJ", Args: Tuple{}, State: mustDict("a", int64(1)), HasState: true}
		}, expr: "argparse.Namespace(a=1)", differs: always},
		{name: "object NEWOBJ_EX", val: func() any {
			return &Object{Callable: Global{"argparse", "Namespace"}, Build: "NEWOBJ_EX", Args: Tuple{}, Kwargs: NewDict(),
				State: mustDict("a", int64(1)), HasState: true}
		}, expr: "argparse.Namespace(a=1)", differs: always},
		{name: "objects shared", val: func() any {
			o := &Object{Callable: Global{"types", "SimpleNamespace"}, Build: "REDUCE", Args: Tuple{}, State: mustDict("a", int64(1)), HasState: true}
			return NewList(o, o)
		}, expr: "shared(types.SimpleNamespace(a=1))"},
		{name: "large str in list", val: v(NewList(strings.Repeat("x", 70000), int64(1), "tail")), expr: "['x'*70000, 1, 'tail']"},
		{name: "large payloads", val: v(NewList([]byte(strings.Repeat("a", 70000)), strings.Repeat("b", 70000),
			&ByteArray{Bytes: []byte(strings.Repeat("c", 70000))}, int64(1))),
			expr: "[b'a'*70000, 'b'*70000, bytearray(b'c'*70000), 1]"},
		{name: "many frames", val: func() any {
			l := NewList()
			for i := 0; i < 2000; i++ {
				l.Append(strings.Repeat(fmt.Sprintf("%05d", i), 20))
			}
			return l
		}, expr: "[('%05d' % i) * 20 for i in range(2000)]"},
		{name: "frames nested", val: func() any {
			l := NewList()
			for i := 0; i < 300; i++ {
				l.Append(mustDict("k", strings.Repeat(fmt.Sprintf("%04d", i), 100), "n", int64(i)))
			}
			return l
		}, expr: "[{'k': ('%04d' % i) * 100, 'n': i} for i in range(300)]"},
		{name: "struct", val: v(encPoint{1, 2}), expr: "{'X': 1, 'Y': 2}"},
		{name: "struct tags", val: v(encTagged{A: 1, B: "x", E: [2]int{1, 2}, S: []int{1, 2}, F: map[string]int{"q": 1},
			T: []string{"u", "v"}, BA: []byte("hi"), Skip: 9, Extra: map[string]any{"zz": int64(5), "A": int64(99)}}),
			expr: "{'A': 1, 'b': 'x', 'E': (1, 2), 's': {1, 2}, 'f': frozenset({'q'}), 't': ('u', 'v'), 'BA': bytearray(b'hi'), 'zz': 5}"},
		{name: "struct pointer shared", val: func() any { p := &encPoint{1, 2}; return []*encPoint{p, p} }, expr: "shared({'X': 1, 'Y': 2})"},
		{name: "struct cycle", val: func() any { n := &encNode{V: 1}; n.Next = n; return n }, expr: "selfref({'V': 1}, 'Next')"},
		{name: "pointers", val: func() any { i := 5; s := "s"; return []any{&i, &s, (*int)(nil)} }, expr: "[5, 's', None]"},
	}
}

func TestMarshalMatchesCPython(t *testing.T) {
	py := needPython(t)
	cases := encCases()
	type run struct {
		c     *encCase
		proto int
		got   []byte
	}
	var runs []run
	var dumps, checks [][2]any
	for i := range cases {
		c := &cases[i]
		for p := 0; p <= HighestProtocol; p++ {
			got, err := Marshal(c.val(), Protocol(p))
			if err != nil {
				t.Errorf("%s protocol %d: Marshal: %v", c.name, p, err)
				continue
			}
			runs = append(runs, run{c, p, got})
			dumps = append(dumps, [2]any{c.expr, p})
			checks = append(checks, [2]any{c.expr, hex.EncodeToString(got)})
		}
	}
	want := py.call(t, "dumps", dumps)
	loaded := py.call(t, "check", checks)
	var identical, total [HighestProtocol + 1]int
	for i, r := range runs {
		if strings.HasPrefix(want[i], "ERR") {
			t.Errorf("%s: python: %s", r.c.name, want[i])
			continue
		}
		if loaded[i] != "" {
			t.Errorf("%s protocol %d: python loads Go's pickle as a different value: %s", r.c.name, r.proto, loaded[i])
		}
		total[r.proto]++
		wantBytes, _ := hex.DecodeString(want[i])
		if string(wantBytes) == string(r.got) {
			identical[r.proto]++
			continue
		}
		if r.c.differs != nil && r.c.differs(r.proto) {
			continue
		}
		t.Errorf("%s protocol %d: bytes differ from CPython\n%s", r.c.name, r.proto, diffPickles(r.got, wantBytes))
	}
	for p := range total {
		t.Logf("protocol %d: %d of %d cases byte-identical to CPython", p, identical[p], total[p])
	}
}

// diffPickles shows two pickles around their first difference.
func diffPickles(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-40)
	show := func(b []byte) string {
		return fmt.Sprintf("%q", b[from:min(len(b), i+60)])
	}
	return fmt.Sprintf(" first difference at offset %d (got %d bytes, want %d)\n got  ...%s\n want ...%s", i, len(got), len(want), show(got), show(want))
}

// TestPythonCheckerNoticesDifferences makes sure the strict comparison used
// above can fail: a different type, order, value or sharing is reported.
func TestPythonCheckerNoticesDifferences(t *testing.T) {
	py := needPython(t)
	mustHex := func(v any) string {
		b, err := Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(b)
	}
	x := NewList(int64(1))
	items := [][2]any{
		{"[1]", mustHex(NewList(1.0))},
		{"{'a': 1, 'b': 2}", mustHex(mustDict("b", int64(2), "a", int64(1)))},
		{"shared([1])", mustHex(NewList(NewList(int64(1)), NewList(int64(1))))},
		{"[[1], [1]]", mustHex(NewList(x, x))},
		{"(1, 2)", mustHex(NewList(int64(1), int64(2)))},
		{"-0.0", mustHex(0.0)},
		{"b'a'", mustHex("a")},
	}
	for i, msg := range py.call(t, "check", items) {
		if msg == "" {
			t.Errorf("python3 took %s for %v", items[i][1], items[i][0])
		}
	}
	if msg := py.call(t, "check", [][2]any{{"shared([1])", mustHex(NewList(x, x))}})[0]; msg != "" {
		t.Errorf("equal values reported as different: %s", msg)
	}
}
