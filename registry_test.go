package pickle

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// pyPickles runs a python3 script that defines classes and a list `values`,
// and returns pickle.dumps(v, protocol=p) for every value and protocol 0..5
// (protocols a value cannot be pickled at are left out).
func pyPickles(t *testing.T, script string) map[string][]byte {
	t.Helper()
	py := pythonOrSkip(t)
	full := script + `
import pickle, sys
for name, v in values:
    for p in range(6):
        try:
            data = pickle.dumps(v, protocol=p)
        except Exception:
            continue
        sys.stdout.write("%s %d %s\n" % (name, p, data.hex()))
`
	out, err := exec.Command(py, "-c", full).CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	res := map[string][]byte{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var name string
		var p int
		var hex []byte
		if _, err := fmt.Sscanf(line, "%s %d %x", &name, &p, &hex); err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		res[fmt.Sprintf("%s.p%d", name, p)] = hex
	}
	return res
}

const pyClasses = `
import enum, collections
class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y
class Slotted:
    __slots__ = ('a', 'b')
    def __init__(self):
        self.a, self.b = 1, 'two'
class Versioned:
    def __init__(self):
        self.name = 'widget'
    def __getstate__(self):
        return ('v2', self.name.upper())
class Color(enum.Enum):
    RED = 1
    GREEN = 2
Pair = collections.namedtuple('Pair', 'left right')
p = Point(1, 2.5)
values = [
    ('point', p),
    ('shared', [p, p]),
    ('slotted', Slotted()),
    ('versioned', Versioned()),
    ('color', Color.GREEN),
    ('pair', Pair(3, 'x')),
]
`

type testPoint struct {
	X int     `pickle:"x"`
	Y float64 `pickle:"y"`
}

type testSlotted struct {
	A int    `pickle:"a"`
	B string `pickle:"b"`
}

type testVersioned struct {
	Name    string
	Version string
}

func (v *testVersioned) SetState(s State) error {
	if s.Kind() != "tuple" || s.Len() != 2 {
		return fmt.Errorf("unexpected state %s", s.Kind())
	}
	ver, _ := s.Index(0)
	name, _ := s.Index(1)
	if err := ver.Decode(&v.Version); err != nil {
		return err
	}
	return name.Decode(&v.Name)
}

type testColor int

type testPair struct {
	Left  int
	Right string
}

func testRegistry(t *testing.T) *Registry {
	r := NewRegistry()
	for _, err := range []error{
		r.RegisterClass("__main__", "Point", &testPoint{}),
		r.RegisterClass("__main__", "Slotted", testSlotted{}),
		r.RegisterClass("__main__", "Versioned", &testVersioned{}),
		r.RegisterClass("__main__", "Color", testColor(0)),
		r.RegisterNamedTuple("__main__", "Pair", testPair{}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func TestDecodeBoundClassesFromPython(t *testing.T) {
	pk := pyPickles(t, pyClasses)
	reg := testRegistry(t)
	for key, data := range pk {
		name := key[:strings.IndexByte(key, '.')]
		t.Run(key, func(t *testing.T) {
			var v any
			if err := Unmarshal(data, &v, WithRegistry(reg)); err != nil {
				t.Fatal(err)
			}
			switch name {
			case "point":
				if p, ok := v.(*testPoint); !ok || *p != (testPoint{1, 2.5}) {
					t.Errorf("got %#v", v)
				}
				var p testPoint // typed target directly
				if err := Unmarshal(data, &p, WithRegistry(reg)); err != nil || p != (testPoint{1, 2.5}) {
					t.Errorf("typed: %+v %v", p, err)
				}
			case "shared":
				l := v.(*List)
				if l.At(0).(*testPoint) != l.At(1).(*testPoint) {
					t.Errorf("shared instance decoded twice")
				}
				var ps []*testPoint
				if err := Unmarshal(data, &ps, WithRegistry(reg)); err != nil || ps[0] != ps[1] || *ps[0] != (testPoint{1, 2.5}) {
					t.Errorf("typed shared: %v %v", ps, err)
				}
			case "slotted":
				if s, ok := v.(testSlotted); !ok || s != (testSlotted{1, "two"}) {
					t.Errorf("got %#v", v)
				}
			case "versioned":
				if s, ok := v.(*testVersioned); !ok || *s != (testVersioned{"WIDGET", "v2"}) {
					t.Errorf("got %#v", v)
				}
			case "color":
				if c, ok := v.(testColor); !ok || c != 2 {
					t.Errorf("got %#v", v)
				}
			case "pair":
				if p, ok := v.(testPair); !ok || p != (testPair{3, "x"}) {
					t.Errorf("got %#v", v)
				}
			}
		})
	}
	// Without the registry, the classes are refused by name.
	var v any
	err := Unmarshal(pk["point.p2"], &v)
	var ge *GlobalError
	if !errors.As(err, &ge) || ge.Module != "__main__" || ge.Name != "Point" {
		t.Errorf("unbound class: %v", err)
	}
}

func TestRegistryConflicts(t *testing.T) {
	r := NewRegistry()
	if err := r.RegisterClass("m", "A", testPoint{}); err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterClass("m", "A", testPoint{}); err != nil {
		t.Errorf("same binding twice: %v", err)
	}
	if err := r.RegisterClass("m", "B", testPoint{}); !errors.As(err, new(*OptionError)) {
		t.Errorf("type bound twice: %v", err)
	}
	if err := r.RegisterClass("m", "A", testSlotted{}); !errors.As(err, new(*OptionError)) {
		t.Errorf("class bound twice: %v", err)
	}
	if err := r.RegisterFunc("m", "A", func(State) (any, error) { return nil, nil }); !errors.As(err, new(*OptionError)) {
		t.Errorf("func over class: %v", err)
	}
	type bad struct {
		X int `pickle:"x,bogus"`
	}
	if err := r.RegisterClass("m", "Bad", bad{}); !errors.As(err, new(*TagError)) {
		t.Errorf("bad tag: %v", err)
	}
}

type money struct{ Cents int64 }

func TestRegisterFuncDecodes(t *testing.T) {
	pk := pyPickles(t, `
import decimal
values = [('price', {'price': decimal.Decimal('12.50')})]
`)
	reg := NewRegistry()
	err := reg.RegisterFunc("decimal", "Decimal", func(args State) (any, error) {
		var s string
		a, ok := args.Index(0)
		if !ok {
			return nil, errors.New("no argument")
		}
		if err := a.Decode(&s); err != nil {
			return nil, err
		}
		var whole, frac int64
		if _, err := fmt.Sscanf(s, "%d.%d", &whole, &frac); err != nil {
			return nil, err
		}
		return money{whole*100 + frac}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for key, data := range pk {
		var rec struct {
			Price money `pickle:"price"`
		}
		if err := Unmarshal(data, &rec, WithRegistry(reg)); err != nil || rec.Price.Cents != 1250 {
			t.Errorf("%s: %+v %v", key, rec, err)
		}
	}
}

type migrating struct {
	Name  string
	Price int64 // cents; v1 stored a float "cost" in units
}

func (m *migrating) SetState(s State) error {
	if _, ok := s.Get("cost"); ok { // v1 layout
		var v1 struct {
			Name string  `pickle:"name"`
			Cost float64 `pickle:"cost"`
		}
		if err := s.Decode(&v1); err != nil {
			return err
		}
		m.Name, m.Price = v1.Name, int64(v1.Cost*100+0.5)
		return nil
	}
	return s.DecodeFields(m)
}

func TestSetStateMigrationAndErrors(t *testing.T) {
	// {'name': 'a', 'cost': 1.25} and {'Name': 'b', 'Price': 300} at protocol 2
	var m migrating
	if err := Unmarshal([]byte("\x80\x02}q\x00(X\x04\x00\x00\x00nameq\x01X\x01\x00\x00\x00aq\x02X\x04\x00\x00\x00costq\x03G?\xf4\x00\x00\x00\x00\x00\x00u."), &m); err != nil || m != (migrating{"a", 125}) {
		t.Errorf("v1: %+v %v", m, err)
	}
	m = migrating{}
	if err := Unmarshal([]byte("\x80\x02}q\x00(X\x04\x00\x00\x00Nameq\x01X\x01\x00\x00\x00bq\x02X\x05\x00\x00\x00Priceq\x03M,\x01u."), &m); err != nil || m != (migrating{"b", 300}) {
		t.Errorf("v2: %+v %v", m, err)
	}
	// An error inside SetState keeps its Go path.
	var wrap struct{ Items []migrating }
	err := Unmarshal([]byte("\x80\x02}X\x05\x00\x00\x00Items](}X\x04\x00\x00\x00costX\x01\x00\x00\x00xsea."[:0]+"\x80\x02}X\x05\x00\x00\x00Items](}X\x04\x00\x00\x00costX\x01\x00\x00\x00xses."), &wrap)
	var te *UnmarshalTypeError
	if !errors.As(err, &te) || te.Path != ".Items[0].cost" {
		t.Errorf("error from inside SetState: %v", err)
	}
}

func TestDisallowUnknownFields(t *testing.T) {
	var p testPoint
	data := []byte("\x80\x02}(X\x01\x00\x00\x00xK\x01X\x01\x00\x00\x00zK\x02u.")
	if err := Unmarshal(data, &p); err != nil || p.X != 1 {
		t.Errorf("unknown keys are ignored by default: %v", err)
	}
	err := Unmarshal(data, &p, DisallowUnknownFields())
	var te *UnmarshalTypeError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), `unknown field "z"`) {
		t.Errorf("got %v", err)
	}
}

func TestSnakeCaseAndNameTransform(t *testing.T) {
	for in, want := range map[string]string{"UserID": "user_id", "HTTPServer": "http_server", "Name": "name", "A": "a", "createdAt2": "created_at2", "X1Y": "x1_y"} {
		if got := SnakeCase(in); got != want {
			t.Errorf("SnakeCase(%q) = %q, want %q", in, got, want)
		}
	}
	var v struct {
		UserID   int
		FullName string `pickle:"FullName"`
	}
	// {'user_id': 7, 'FullName': 'x'} at protocol 4
	data := []byte("\x80\x04}(\x8c\x07user_id\x94K\x07\x8c\x08FullName\x94\x8c\x01x\x94u.")
	if err := Unmarshal(data, &v, NameTransform(SnakeCase)); err != nil || v.UserID != 7 || v.FullName != "x" {
		t.Errorf("got %+v %v", v, err)
	}
}
