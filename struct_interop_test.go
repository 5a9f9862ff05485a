package pickle

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Structs with every tag option, embedded and nested structs, pointers and
// shared or cyclic graphs, round tripped through python3 in both directions
// at every protocol.

type ifBase struct {
	BaseID int    `pickle:"base_id"`
	Note   string `pickle:"note,omitempty"`
}

type ifInner struct {
	Label string `pickle:"label"`
}

type zeroable struct{ V int }

func (z zeroable) IsZero() bool { return z.V < 0 }

type ifRecord struct {
	ifBase                        // flattened: base_id, note
	Name     string               `pickle:"name,alias=title"`
	Skipped  string               `pickle:"-"`
	Empty    []int                `pickle:"empty,omitempty"`
	Zero     zeroable             `pickle:"zero,omitzero"`
	Pair     []int                `pickle:"pair,tuple"`
	Tags     []string             `pickle:"tags,set"`
	Frozen   []int                `pickle:"frozen,frozenset"`
	Buf      []byte               `pickle:"buf,bytearray"`
	Raw      []byte               `pickle:"raw"`
	Inner    ifInner              `pickle:"inner"`
	InnerPtr *ifInner             `pickle:"inner_ptr"`
	NilPtr   *ifInner             `pickle:"nil_ptr"`
	Extra    map[string]any       `pickle:",inline"`
	Counts   map[string]int       `pickle:"counts"`
	private  int                  //nolint:unused // unexported: never pickled
	Nested   map[string][]ifInner `pickle:"nested"`
	Matrix   [][]float64          `pickle:"matrix"`
	Keys     map[[2]int]string    `pickle:"keys"`
	Any      any                  `pickle:"any"`
}

func sampleRecord() ifRecord {
	return ifRecord{
		ifBase:   ifBase{BaseID: 9},
		Name:     "rec",
		Skipped:  "not written",
		Zero:     zeroable{-1},
		Pair:     []int{1, 2},
		Tags:     []string{"a"},
		Frozen:   []int{3},
		Buf:      []byte("ba"),
		Raw:      []byte{0, 255},
		Inner:    ifInner{"in"},
		InnerPtr: &ifInner{"ptr"},
		Extra:    map[string]any{"legacy": int64(1)},
		Counts:   map[string]int{"x": 1, "y": 2},
		Nested:   map[string][]ifInner{"k": {{"n1"}, {"n2"}}},
		Matrix:   [][]float64{{1.5, math.Copysign(0, -1)}, {}},
		Keys:     map[[2]int]string{{1, 2}: "t"},
		Any:      NewList(int64(1), "two"),
	}
}

// sampleRecordPy is the Python value Marshal writes for sampleRecord.
const sampleRecordPy = `{'base_id': 9, 'name': 'rec', 'pair': (1, 2), 'tags': {'a'}, 'frozen': frozenset({3}),
 'buf': bytearray(b'ba'), 'raw': b'\x00\xff', 'inner': {'label': 'in'}, 'inner_ptr': {'label': 'ptr'},
 'nil_ptr': None, 'counts': {'x': 1, 'y': 2}, 'nested': {'k': [{'label': 'n1'}, {'label': 'n2'}]},
 'matrix': [[1.5, -0.0], []], 'keys': {(1, 2): 't'}, 'any': [1, 'two'], 'legacy': 1}`

const pyStrictEq = `
import math, pickle, sys
def strict(a, b, seen=None):
    seen = {} if seen is None else seen
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, (list, tuple, dict)):
        if id(a) in seen:
            return seen[id(a)] is b
        seen[id(a)] = b
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(strict(x, y, seen) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(strict(a[k], b[k], seen) for k in a)
    return a == b
`

func TestStructsRoundTripThroughPython(t *testing.T) {
	py := pythonOrSkip(t)
	rec := sampleRecord()
	var input bytes.Buffer
	for proto := 0; proto <= HighestProtocol; proto++ {
		data, err := Marshal(&rec, Protocol(proto))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&input, "%d %s\n", proto, hex.EncodeToString(data))
	}
	script := pyStrictEq + `
want = ` + sampleRecordPy + `
for line in sys.stdin:
    p, data = line.split()
    got = pickle.loads(bytes.fromhex(data))
    if not strict(got, want):
        print('DIFF', p, repr(got))
    # python3 writes the same value back at the same protocol, with an old
    # name for 'name' (alias 'title').
    back = dict(got)
    back['title'] = back.pop('name')
    print('BACK', p, pickle.dumps(back, protocol=int(p)).hex())
`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = &input
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	want := rec
	want.Skipped, want.Zero = "", zeroable{}
	backs := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if f[0] == "DIFF" {
			t.Errorf("python3 loaded a different value at protocol %s: %s", f[1], line)
			continue
		}
		data, _ := hex.DecodeString(f[2])
		var got ifRecord
		if err := Unmarshal(data, &got); err != nil {
			t.Errorf("protocol %s: decoding python3's pickle: %v", f[1], err)
			continue
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(ifRecord{}), cmp.Comparer(func(a, b zeroable) bool { return a == b })); diff != "" {
			t.Errorf("protocol %s: (-want +got)\n%s", f[1], diff)
		}
		backs++
	}
	if backs != HighestProtocol+1 {
		t.Errorf("%d round trips, want %d", backs, HighestProtocol+1)
	}
}

type cyclicNode struct {
	Name string        `pickle:"name"`
	Next *cyclicNode   `pickle:"next"`
	Kids []*cyclicNode `pickle:"kids"`
}

func TestCyclicStructGraphThroughPython(t *testing.T) {
	py := pythonOrSkip(t)
	a := &cyclicNode{Name: "a"}
	b := &cyclicNode{Name: "b", Next: a}
	a.Next = b
	a.Kids = []*cyclicNode{a, b}
	var input bytes.Buffer
	for proto := 0; proto <= HighestProtocol; proto++ {
		data, err := Marshal(a, Protocol(proto))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&input, "%d %s\n", proto, hex.EncodeToString(data))
	}
	script := `
import pickle, sys
for line in sys.stdin:
    p, data = line.split()
    a = pickle.loads(bytes.fromhex(data))
    b = a['next']
    ok = a['name'] == 'a' and b['name'] == 'b' and b['next'] is a and a['kids'][0] is a and a['kids'][1] is b and b['kids'] == []
    print(p, 'ok' if ok else 'BAD', pickle.dumps(a, protocol=int(p)).hex())
`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = &input
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if f[1] != "ok" {
			t.Errorf("protocol %s: python3 did not get the cycle", f[0])
		}
		data, _ := hex.DecodeString(f[2])
		var got *cyclicNode
		if err := Unmarshal(data, &got); err != nil {
			t.Fatalf("protocol %s: %v", f[0], err)
		}
		if got.Name != "a" || got.Next.Next != got || got.Kids[0] != got || got.Kids[1] != got.Next {
			t.Errorf("protocol %s: cycle lost decoding python3's pickle", f[0])
		}
		n++
	}
	if n != HighestProtocol+1 {
		t.Errorf("%d protocols checked", n)
	}
}

// A Python class with __slots__ has (None, {slot: value}) as its state.
// Go writes that state through GetState and reads it without help.
type slotsPoint struct {
	A int    `pickle:"a"`
	B string `pickle:"b"`
}

func (s *slotsPoint) GetState() (any, error) {
	d := NewDict()
	d.Set("a", int64(s.A))
	d.Set("b", s.B)
	return Tuple{nil, d}, nil
}

func TestSlotsClassBothWays(t *testing.T) {
	py := pythonOrSkip(t)
	reg := NewRegistry()
	if err := reg.RegisterClass("__main__", "Slotted", &slotsPoint{}); err != nil {
		t.Fatal(err)
	}
	var input bytes.Buffer
	for proto := 2; proto <= HighestProtocol; proto++ {
		data, err := Marshal(&slotsPoint{A: 4, B: "x"}, Protocol(proto), WithRegistry(reg))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&input, "%d %s\n", proto, hex.EncodeToString(data))
	}
	script := `
import pickle, sys
class Slotted:
    __slots__ = ('a', 'b')
for line in sys.stdin:
    p, data = line.split()
    o = pickle.loads(bytes.fromhex(data))
    want = Slotted.__new__(Slotted); want.a = 4; want.b = 'x'
    print(p, 'ok' if (o.a, o.b) == (4, 'x') else 'BAD', 'same' if pickle.dumps(want, protocol=int(p)).hex() == data else 'differ', pickle.dumps(o, protocol=int(p)).hex())
`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = &input
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if f[1] != "ok" || f[2] != "same" {
			t.Errorf("protocol %s: %s %s", f[0], f[1], f[2])
		}
		data, _ := hex.DecodeString(f[3])
		var got slotsPoint
		if err := Unmarshal(data, &got, WithRegistry(reg)); err != nil || got != (slotsPoint{4, "x"}) {
			t.Errorf("protocol %s: %+v %v", f[0], got, err)
		}
	}
}
