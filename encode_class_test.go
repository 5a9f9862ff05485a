package pickle

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

type getStateOrder struct {
	ID    int
	Cache []byte // transient: not pickled
}

func (o *getStateOrder) GetState() (any, error) {
	d := NewDict()
	d.Set("id", int64(o.ID))
	d.Set("version", int64(2))
	return d, nil
}

type reducedMoney struct{ Cents int64 }

func (m reducedMoney) PickleReduce() (*Object, error) {
	return &Object{Callable: Global{"decimal", "Decimal"}, Args: Tuple{fmt.Sprintf("%d.%02d", m.Cents/100, m.Cents%100)}}, nil
}

// TestEncodeBoundClassesMatchCPython writes instances of bound Go types at
// every protocol and checks that the bytes are those pickle.dumps writes
// for the same Python objects, and that python3 loads them as equal
// objects.
func TestEncodeBoundClassesMatchCPython(t *testing.T) {
	py := pythonOrSkip(t)
	reg := testRegistry(t)
	if err := reg.RegisterClass("__main__", "Order", &getStateOrder{}); err != nil {
		t.Fatal(err)
	}
	p := &testPoint{X: 1, Y: 2.5}
	cases := []struct {
		name   string
		goVal  any
		pyExpr string
	}{
		{"point", &testPoint{X: 1, Y: 2.5}, "mk(Point, x=1, y=2.5)"},
		{"point by value", testPoint{X: 3, Y: 0.5}, "mk(Point, x=3, y=0.5)"},
		{"shared points", []*testPoint{p, p}, "[P, P]"},
		{"empty point omitted fields", &struct{}{}, "{}"},
		{"enum", testColor(2), "Color.GREEN"},
		{"enums repeated", []testColor{1, 2, 1}, "[Color.RED, Color.GREEN, Color.RED]"},
		{"namedtuple", testPair{Left: 3, Right: "x"}, "Pair(3, 'x')"},
		{"getstate", &getStateOrder{ID: 7, Cache: []byte("tmp")}, "mk(Order, id=7, version=2)"},
		{"reducer", reducedMoney{1250}, "decimal.Decimal('12.50')"},
		{"in a dict", map[string]any{"p": &testPoint{X: 1, Y: 2.5}}, "{'p': mk(Point, x=1, y=2.5)}"},
	}
	var script strings.Builder
	script.WriteString(pyClasses + `
import decimal, pickle, sys
class Order:
    pass
def mk(cls, **kw):
    o = cls.__new__(cls)
    o.__dict__.update(kw)
    return o
P = mk(Point, x=1, y=2.5)
def same(a, b):
    if type(a) is not type(b):
        return False
    if hasattr(a, '__dict__') and not isinstance(a, type):
        return a.__dict__ == b.__dict__
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b
for line in sys.stdin:
    name, p, expr, data = line.rstrip('\n').split('\t')
    want = eval(expr)
    got = pickle.loads(bytes.fromhex(data))
    ident = pickle.dumps(want, protocol=int(p)).hex() == data
    print(name, p, 'ok' if same(got, want) else 'DIFF %r %r' % (got, want), 'identical' if ident else 'bytes-differ ' + pickle.dumps(want, protocol=int(p)).hex())
`)
	var input bytes.Buffer
	for _, c := range cases {
		for proto := 0; proto <= HighestProtocol; proto++ {
			data, err := Marshal(c.goVal, Protocol(proto), WithRegistry(reg))
			if err != nil {
				t.Fatalf("%s p%d: %v", c.name, proto, err)
			}
			fmt.Fprintf(&input, "%s\t%d\t%s\t%s\n", strings.ReplaceAll(c.name, " ", "_"), proto, c.pyExpr, hex.EncodeToString(data))
		}
	}
	cmd := exec.Command(py, "-c", script.String())
	cmd.Stdin = &input
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	identical, total := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		total++
		if len(f) < 4 || f[2] != "ok" {
			t.Errorf("python3 loaded a different value: %s", line)
			continue
		}
		if f[3] == "identical" {
			identical++
		} else {
			t.Errorf("bytes differ from pickle.dumps: %s", line)
		}
	}
	t.Logf("%d of %d bound-class pickles byte-identical to CPython", identical, total)
	if total != len(cases)*(HighestProtocol+1) {
		t.Errorf("python3 answered %d cases, want %d", total, len(cases)*(HighestProtocol+1))
	}
}

func TestEncodeBoundRoundTrip(t *testing.T) {
	reg := testRegistry(t)
	type Graph struct {
		A, B *testPoint
	}
	p := &testPoint{X: 5, Y: 1}
	for proto := 0; proto <= HighestProtocol; proto++ {
		data, err := Marshal(Graph{p, p}, Protocol(proto), WithRegistry(reg))
		if err != nil {
			t.Fatal(err)
		}
		var g Graph
		if err := Unmarshal(data, &g, WithRegistry(reg)); err != nil {
			t.Fatalf("p%d: %v", proto, err)
		}
		if g.A != g.B || *g.A != *p {
			t.Errorf("p%d: %+v", proto, g)
		}
		var c []testColor
		data, _ = Marshal([]testColor{1, 2}, Protocol(proto), WithRegistry(reg))
		if err := Unmarshal(data, &c, WithRegistry(reg)); err != nil || len(c) != 2 || c[1] != 2 {
			t.Errorf("p%d enums: %v %v", proto, c, err)
		}
	}
}
