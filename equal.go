package pickle

import (
	"bytes"
	"math"
	"math/big"
	"reflect"
)

// Equal reports whether a and b are strictly the same Python value: the same
// types (bool, int and float differ; tuple and list differ; bytes and
// bytearray differ), equal values (NaN equals NaN, 0.0 and -0.0 differ),
// dicts with the same items in the same order, sets with the same members.
// It is made for tests: every model type's Equal method calls it, so go-cmp
// compares model values without options. Cycles are handled.
func Equal(a, b any) bool {
	return (&equaler{seen: map[[2]uintptr]bool{}}).equal(a, b)
}

type equaler struct {
	seen map[[2]uintptr]bool // pairs of containers already under comparison
}

// enter records a pair of containers; a pair seen before is taken as equal,
// which makes cyclic structures compare by shape.
func (q *equaler) enter(a, b any) bool {
	key := [2]uintptr{reflect.ValueOf(a).Pointer(), reflect.ValueOf(b).Pointer()}
	if q.seen[key] {
		return false
	}
	q.seen[key] = true
	return true
}

func (q *equaler) equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case *big.Int:
		y, ok := b.(*big.Int)
		return ok && (x == y || x != nil && y != nil && x.Cmp(y) == 0)
	case float64:
		y, ok := b.(float64)
		return ok && floatsSame(x, y)
	case complex128:
		y, ok := b.(complex128)
		return ok && floatsSame(real(x), real(y)) && floatsSame(imag(x), imag(y))
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case Global:
		y, ok := b.(Global)
		return ok && x == y
	case Tuple:
		y, ok := b.(Tuple)
		if !ok || len(x) != len(y) {
			return false
		}
		// Pairs compared before are not compared again: a tuple holding
		// another twice, level after level, is linear to compare.
		return len(x) == 0 || &x[0] == &y[0] || !q.enter(x, y) || q.items(x, y)
	case *ByteArray:
		y, ok := b.(*ByteArray)
		return ok && (x == y || x != nil && y != nil && bytes.Equal(x.Bytes, y.Bytes))
	case *List:
		y, ok := b.(*List)
		if !ok || x == nil || y == nil {
			return ok && x == y
		}
		return x == y || !q.enter(x, y) || q.items(x.Items, y.Items)
	case *Dict:
		y, ok := b.(*Dict)
		if !ok || x == nil || y == nil {
			return ok && x == y
		}
		return x == y || !q.enter(x, y) || q.dicts(&x.t, &y.t)
	case *Set:
		y, ok := b.(*Set)
		if !ok || x == nil || y == nil {
			return ok && x == y
		}
		return x == y || q.sets(&x.t, &y.t)
	case *FrozenSet:
		y, ok := b.(*FrozenSet)
		if !ok || x == nil || y == nil {
			return ok && x == y
		}
		return x == y || q.sets(&x.t, &y.t)
	case *Object:
		y, ok := b.(*Object)
		if !ok || x == nil || y == nil {
			return ok && x == y
		}
		return x == y || !q.enter(x, y) || q.objects(x, y)
	}
	if eq, ok := q.stdlibEqual(a, b); ok {
		return eq
	}
	return reflect.DeepEqual(a, b)
}

func floatsSame(x, y float64) bool {
	if math.IsNaN(x) || math.IsNaN(y) {
		return math.IsNaN(x) && math.IsNaN(y)
	}
	return x == y && math.Signbit(x) == math.Signbit(y)
}

func (q *equaler) items(x, y []any) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !q.equal(x[i], y[i]) {
			return false
		}
	}
	return true
}

func (q *equaler) dicts(x, y *table) bool {
	if x.live != y.live {
		return false
	}
	var xs, ys []*entry
	for i := range x.entries {
		if !x.entries[i].deleted {
			xs = append(xs, &x.entries[i])
		}
	}
	for i := range y.entries {
		if !y.entries[i].deleted {
			ys = append(ys, &y.entries[i])
		}
	}
	for i := range xs {
		if !q.equal(xs[i].key, ys[i].key) || !q.equal(xs[i].val, ys[i].val) {
			return false
		}
	}
	return true
}

// sets compares members regardless of order, each member of x needing a
// strictly equal member in y.
func (q *equaler) sets(x, y *table) bool {
	if x.live != y.live {
		return false
	}
	for i := range x.entries {
		e := &x.entries[i]
		if e.deleted {
			continue
		}
		j := y.find(e.key, e.hash)
		if j >= 0 && q.equal(e.key, y.entries[j].key) {
			continue
		}
		// NaN is never == NaN, so the hash lookup misses it; strictly it is
		// equal, so look through the members.
		if !q.anyMember(y, e.key) {
			return false
		}
	}
	return true
}

// anyMember reports whether some member of t is strictly equal to k.
func (q *equaler) anyMember(t *table, k any) bool {
	for i := range t.entries {
		if !t.entries[i].deleted && q.equal(k, t.entries[i].key) {
			return true
		}
	}
	return false
}

func (q *equaler) objects(x, y *Object) bool {
	if x.Build != y.Build || x.HasState != y.HasState {
		return false
	}
	if (x.Kwargs == nil) != (y.Kwargs == nil) {
		return false
	}
	if x.Kwargs != nil && !q.equal(x.Kwargs, y.Kwargs) {
		return false
	}
	return q.equal(x.Callable, y.Callable) && q.items(x.Args, y.Args) &&
		q.equal(x.State, y.State) && q.items(x.ListItems, y.ListItems) &&
		q.items(x.DictItems, y.DictItems)
}

// pyTypeName returns the Python type name of a model value, for messages.
func pyTypeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case complex128:
		return "complex"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case *ByteArray:
		return "bytearray"
	case Tuple:
		return "tuple"
	case *List:
		return "list"
	case *Dict:
		return "dict"
	case *Set:
		return "set"
	case *FrozenSet:
		return "frozenset"
	case Global:
		return "global " + quote(x.String())
	case *Object:
		if g, ok := x.Callable.(Global); ok {
			return quote(g.String()) + " object"
		}
		return "object"
	}
	return reflect.TypeOf(v).String()
}
