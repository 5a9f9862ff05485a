package pickle

import (
	"math/big"
	"reflect"
)

// stdlibEqual reports whether a and b are strictly equal standard library
// values (see Equal): the same type, and for containers the same items in
// the same order, compared with Equal's rules.
func stdlibEqual(a, b any) bool {
	eq, _ := (&equaler{seen: map[[2]uintptr]bool{}}).stdlibEqual(a, b)
	return eq
}

// stdlibEqual compares the types of this package's standard library
// mappings; handled is false for other types. Equal's fallback is meant to
// call it (see the report of the stdlib branch).
func (q *equaler) stdlibEqual(a, b any) (eq, handled bool) {
	switch x := a.(type) {
	case *OrderedDict:
		y, ok := b.(*OrderedDict)
		if !ok || x == nil || y == nil {
			return ok && x == y, true
		}
		return x == y || !q.enter(x, y) || q.dicts(&x.t, &y.t), true
	case *Counter:
		y, ok := b.(*Counter)
		if !ok || x == nil || y == nil {
			return ok && x == y, true
		}
		return x == y || !q.enter(x, y) || q.dicts(&x.t, &y.t), true
	case *DefaultDict:
		y, ok := b.(*DefaultDict)
		if !ok || x == nil || y == nil {
			return ok && x == y, true
		}
		return x == y || !q.enter(x, y) || (q.equal(x.Factory, y.Factory) && q.dicts(&x.t, &y.t)), true
	case *Deque:
		y, ok := b.(*Deque)
		if !ok || x == nil || y == nil {
			return ok && x == y, true
		}
		return x == y || !q.enter(x, y) || (x.Bounded == y.Bounded && (!x.Bounded || x.MaxLen == y.MaxLen) && q.items(x.Items, y.Items)), true
	case *big.Rat:
		y, ok := b.(*big.Rat)
		return ok && (x == y || x != nil && y != nil && x.Cmp(y) == 0), true
	case DateTime:
		y, ok := b.(DateTime)
		return ok && x.Equal(y), true
	case TimeOfDay:
		y, ok := b.(TimeOfDay)
		return ok && x.Equal(y), true
	case *TimeZone:
		y, ok := b.(*TimeZone)
		return ok && x.Equal(y), true
	case Decimal:
		y, ok := b.(Decimal)
		return ok && x.Equal(y), true
	case Date, TimeDelta, UUID, Range:
		return a == b, true
	}
	return false, false
}

// protoReducer is implemented by the standard library types whose pickled
// form depends on the protocol, as Python's __reduce_ex__(protocol) does
// (DateTime and TimeOfDay keep fold only from protocol 4; UUID is written
// through copyreg._reconstructor below protocol 2). The encoder's
// hookEncoder is meant to prefer it to PickleReduce (see the report of the
// stdlib branch).
type protoReducer interface {
	pickleReduceEx(proto int) (*Object, error)
}

var protoReducerType = reflect.TypeOf((*protoReducer)(nil)).Elem()
