package pickle

import (
	"iter"
	"math/big"
)

// The generic model: what a pickle decodes to when the target is `any`, and
// what Marshal writes for these types. Immutable Python values are plain Go
// values; mutable ones are pointers so that shared references and cycles
// survive a round trip.
//
//	Python            Go
//	None              nil
//	bool              bool
//	int               int64, or *big.Int when it does not fit in int64
//	float             float64
//	complex           complex128
//	str               string (lone surrogates kept in their UTF-8-style form)
//	bytes             []byte
//	bytearray         *ByteArray
//	tuple             Tuple
//	list              *List
//	dict              *Dict
//	set               *Set
//	frozenset         *FrozenSet
//	class or function Global
//	other objects     *Object (only with KeepUnknown)
//
// See docs/types.md for the full table, including typed Go targets.

// Tuple is a Python tuple.
type Tuple []any

// Equal reports whether t and u hold strictly equal items (see Equal).
func (t Tuple) Equal(u Tuple) bool { return Equal(t, u) }

// List is a Python list.
type List struct {
	Items []any
}

// NewList returns a list holding items.
func NewList(items ...any) *List { return &List{Items: items} }

// Len returns the number of items.
func (l *List) Len() int { return len(l.Items) }

// At returns item i; it panics if i is out of range, like a slice index.
func (l *List) At(i int) any { return l.Items[i] }

// Append adds items at the end.
func (l *List) Append(items ...any) { l.Items = append(l.Items, items...) }

// All iterates over the index and value of every item.
func (l *List) All() iter.Seq2[int, any] {
	return func(yield func(int, any) bool) {
		for i, v := range l.Items {
			if !yield(i, v) {
				return
			}
		}
	}
}

// Equal reports whether l and m are strictly equal (see Equal).
func (l *List) Equal(m *List) bool { return Equal(l, m) }

// ByteArray is a Python bytearray.
type ByteArray struct {
	Bytes []byte
}

// Len returns the number of bytes.
func (b *ByteArray) Len() int { return len(b.Bytes) }

// Equal reports whether b and c hold the same bytes.
func (b *ByteArray) Equal(c *ByteArray) bool { return Equal(b, c) }

// Global is a reference to a Python class or function by module and
// qualified name, such as builtins.list (a defaultdict's factory, say).
// Decoding yields a Global only for names the resolver allows, or for any
// name with KeepUnknown.
type Global struct {
	Module string
	Name   string
}

// String returns "module.name".
func (g Global) String() string { return g.Module + "." + g.Name }

// Object is a Python object that the decoder kept as inert data instead of
// constructing it (see KeepUnknown): nothing is called, nothing is imported.
// Encoding an Object writes the same opcodes back, so an Object survives a
// round trip.
type Object struct {
	// Callable is what the pickle calls to make the object, usually a Global
	// (the class, or a reduce function such as copyreg._reconstructor).
	Callable any
	// Build says how it is called: "REDUCE", "NEWOBJ", "NEWOBJ_EX", "INST"
	// or "OBJ".
	Build string
	// Args are the positional arguments; Kwargs the keyword arguments of
	// NEWOBJ_EX (nil otherwise).
	Args   Tuple
	Kwargs *Dict
	// State is the argument of BUILD, if any (HasState says whether there
	// was one; None is a valid state).
	State    any
	HasState bool
	// ListItems and DictItems hold what APPEND(S) and SETITEM(S) added to the
	// object (list and dict subclasses); DictItems alternates key and value.
	ListItems []any
	DictItems []any
}

// Equal reports whether o and p are strictly equal (see Equal).
func (o *Object) Equal(p *Object) bool { return Equal(o, p) }

// bigIntOrInt64 returns x as int64 when it fits, otherwise x itself: the
// model never returns a *big.Int for a value that fits in int64.
func bigIntOrInt64(x *big.Int) any {
	if x.IsInt64() {
		return x.Int64()
	}
	return x
}
