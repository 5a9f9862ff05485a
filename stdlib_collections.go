package pickle

import (
	"fmt"
	"reflect"
)

// This file maps Python's collections.OrderedDict, defaultdict, Counter and
// deque. Decoding into any gives the pointer types below (they are mutable
// in Python, so sharing and cycles survive); typed targets get maps and
// slices directly.

// OrderedDict is a Python collections.OrderedDict: a Dict (insertion
// ordered, with all its methods) that pickles as an OrderedDict.
type OrderedDict struct {
	Dict
}

// DefaultDict is a Python collections.defaultdict: a Dict and its default
// factory, a Global such as builtins.list or builtins.int, or nil for None.
type DefaultDict struct {
	Dict
	Factory any
}

// Counter is a Python collections.Counter: a Dict of element to count.
type Counter struct {
	Dict
}

// Deque is a Python collections.deque. With Bounded, MaxLen is its maxlen
// (Python's deque(maxlen=n)); otherwise it is unbounded (maxlen None).
type Deque struct {
	Items   []any
	Bounded bool
	MaxLen  int
}

var (
	orderedDictGlobal = Global{"collections", "OrderedDict"}
	defaultDictGlobal = Global{"collections", "defaultdict"}
	counterGlobal     = Global{"collections", "Counter"}
	dequeGlobal       = Global{"collections", "deque"}
)

// NewOrderedDict returns an empty OrderedDict.
func NewOrderedDict() *OrderedDict { return &OrderedDict{} }

// NewDefaultDict returns an empty defaultdict with the factory (a Global
// such as Global{"builtins", "list"}, or nil).
func NewDefaultDict(factory any) *DefaultDict { return &DefaultDict{Factory: factory} }

// NewCounter returns an empty Counter.
func NewCounter() *Counter { return &Counter{} }

func init() {
	registerStdlib("collections", "OrderedDict", &stdlibType{toAny: anyOrderedDict, into: intoDictLike})
	registerStdlib("collections", "defaultdict", &stdlibType{toAny: anyDefaultDict, into: intoDictLike})
	registerStdlib("collections", "Counter", &stdlibType{toAny: anyCounter, into: intoDictLike})
	registerStdlib("collections", "deque", &stdlibType{toAny: anyDeque, into: intoDeque})
	// The usual default factories, allowed as values (never called).
	for _, name := range []string{"int", "float", "str", "bytes", "bool", "set", "frozenset", "list", "dict", "tuple", "complex", "bytearray", "object"} {
		registerBaseGlobal("builtins", name)
	}
}

// noState fails unless the call has no BUILD state other than None or an
// empty dict (an OrderedDict with attributes set on it, say).
func (c *callView) noState() error {
	for _, s := range c.States {
		if !s.IsNone() && !(s.Kind() == "dict" && s.Len() == 0) {
			return c.errorf("instance attributes (a BUILD state) are not supported")
		}
	}
	if len(c.Kwargs) > 0 {
		return c.errorf("keyword arguments are not supported")
	}
	return nil
}

// addPairs adds an iterable of (key, value) pairs (Python 2's
// OrderedDict([[k, v], ...]) argument) to d.
func addPairs(c *callView, d *Dict, pairs State) error {
	if k := pairs.Kind(); k != "list" && k != "tuple" {
		return c.errorf("needs a list of pairs, not " + k)
	}
	for i := 0; i < pairs.Len(); i++ {
		p, _ := pairs.Index(i)
		k, ok1 := p.Index(0)
		v, ok2 := p.Index(1)
		if !ok1 || !ok2 || p.Len() != 2 {
			return c.errorf(fmt.Sprintf("item %d is not a (key, value) pair", i))
		}
		if err := setFromStates(d, k, v); err != nil {
			return err
		}
	}
	return nil
}

// setFromStates decodes a key and a value into d.
func setFromStates(d *Dict, k, v State) error {
	var key, val any
	if err := k.Decode(&key); err != nil {
		return err
	}
	if err := v.Decode(&val); err != nil {
		return err
	}
	if err := d.Set(key, val); err != nil {
		return k.b.syntaxAt(k.n, err.Error(), err)
	}
	return nil
}

// addDictItems adds what SETITEM(S) added to the object.
func addDictItems(c *callView, d *Dict) error {
	for i := 0; i+1 < len(c.DictItems); i += 2 {
		if err := setFromStates(d, c.DictItems[i], c.DictItems[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func anyOrderedDict(c *callView) (any, error) {
	if err := c.noState(); err != nil {
		return c.inertOr(err)
	}
	od := &OrderedDict{}
	c.rememberEarly(od)
	switch len(c.Args) {
	case 0:
	case 1: // Python 2: OrderedDict([[k, v], ...])
		if err := addPairs(c, &od.Dict, c.Args[0]); err != nil {
			return nil, err
		}
	default:
		return nil, c.errorf("takes at most 1 argument")
	}
	return od, addDictItems(c, &od.Dict)
}

func anyDefaultDict(c *callView) (any, error) {
	if err := c.noState(); err != nil {
		return c.inertOr(err)
	}
	dd := &DefaultDict{}
	c.rememberEarly(dd)
	if len(c.Args) > 2 {
		return nil, c.errorf("takes at most 2 arguments")
	}
	if len(c.Args) > 0 {
		if err := c.Args[0].Decode(&dd.Factory); err != nil {
			return nil, err
		}
		switch dd.Factory.(type) {
		case nil, Global, *Object:
		default:
			return nil, c.errorf("default factory must be callable or None, not " + c.Args[0].Kind())
		}
	}
	if len(c.Args) == 2 {
		if err := addMapping(c, &dd.Dict, c.Args[1]); err != nil {
			return nil, err
		}
	}
	return dd, addDictItems(c, &dd.Dict)
}

// addMapping adds the items of a dict argument (or a list of pairs).
func addMapping(c *callView, d *Dict, m State) error {
	if m.Kind() != "dict" {
		return addPairs(c, d, m)
	}
	for k, v := range m.Items() {
		if err := setFromStates(d, k, v); err != nil {
			return err
		}
	}
	return nil
}

func anyCounter(c *callView) (any, error) {
	if err := c.noState(); err != nil {
		return c.inertOr(err)
	}
	ctr := &Counter{}
	c.rememberEarly(ctr)
	switch len(c.Args) {
	case 0:
	case 1:
		if c.Args[0].Kind() != "dict" {
			return nil, c.errorf("needs a dict argument, not " + c.Args[0].Kind())
		}
		if err := addMapping(c, &ctr.Dict, c.Args[0]); err != nil {
			return nil, err
		}
	default:
		return nil, c.errorf("takes at most 1 argument")
	}
	return ctr, addDictItems(c, &ctr.Dict)
}

// dequeMaxLen reads deque's optional maxlen argument.
func dequeMaxLen(c *callView) (bounded bool, maxlen int, err error) {
	if len(c.Args) < 2 || c.Args[1].IsNone() {
		return false, 0, nil
	}
	var n int64
	if err := c.Args[1].Decode(&n); err != nil {
		return false, 0, err
	}
	if n < 0 || n > 1<<40 {
		return false, 0, c.errorf("maxlen must be non-negative")
	}
	return true, int(n), nil
}

func anyDeque(c *callView) (any, error) {
	if err := c.noState(); err != nil {
		return c.inertOr(err)
	}
	if len(c.Args) > 2 {
		return nil, c.errorf("takes at most 2 arguments")
	}
	dq := &Deque{}
	c.rememberEarly(dq)
	var err error
	if dq.Bounded, dq.MaxLen, err = dequeMaxLen(c); err != nil {
		return nil, err
	}
	items := c.ListItems
	if len(c.Args) > 0 { // Python 2 and 3.4: deque(list(d)[, maxlen])
		first, err := iterableItems(c, c.Args[0])
		if err != nil {
			return nil, err
		}
		items = append(first, items...)
	}
	for _, s := range items {
		var x any
		if err := s.Decode(&x); err != nil {
			return nil, err
		}
		dq.Items = append(dq.Items, x)
	}
	if dq.Bounded && len(dq.Items) > dq.MaxLen {
		dq.Items = dq.Items[len(dq.Items)-dq.MaxLen:] // appends past maxlen drop from the left
	}
	return dq, nil
}

// iterableItems returns the items of a list or tuple argument.
func iterableItems(c *callView, s State) ([]State, error) {
	if k := s.Kind(); k != "list" && k != "tuple" {
		return nil, c.errorf("needs a list or tuple argument, not " + k)
	}
	out := make([]State, s.Len())
	for i := range out {
		out[i], _ = s.Index(i)
	}
	return out, nil
}

// intoDictLike decodes an OrderedDict, defaultdict or Counter into a Go
// map, key by key.
func intoDictLike(c *callView, v reflect.Value) (bool, error) {
	if v.Kind() != reflect.Map {
		return false, nil
	}
	if err := c.noState(); err != nil {
		return true, err
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	put := func(k, val State) error {
		kv := reflect.New(v.Type().Key())
		ev := reflect.New(v.Type().Elem())
		if err := k.Decode(kv.Interface()); err != nil {
			return err
		}
		if err := val.Decode(ev.Interface()); err != nil {
			return err
		}
		v.SetMapIndex(kv.Elem(), ev.Elem())
		return nil
	}
	var mapping State
	hasMapping := false
	switch c.Callee {
	case counterGlobal:
		hasMapping = len(c.Args) == 1
		if hasMapping {
			mapping = c.Args[0]
		}
	case defaultDictGlobal:
		hasMapping = len(c.Args) == 2
		if hasMapping {
			mapping = c.Args[1]
		}
	case orderedDictGlobal:
		hasMapping = len(c.Args) == 1
		if hasMapping {
			mapping = c.Args[0]
		}
	}
	if hasMapping {
		if mapping.Kind() == "dict" {
			for k, val := range mapping.Items() {
				if err := put(k, val); err != nil {
					return true, err
				}
			}
		} else {
			pairs, err := iterableItems(c, mapping)
			if err != nil {
				return true, err
			}
			for i, p := range pairs {
				k, ok1 := p.Index(0)
				val, ok2 := p.Index(1)
				if !ok1 || !ok2 || p.Len() != 2 {
					return true, c.errorf(fmt.Sprintf("item %d is not a (key, value) pair", i))
				}
				if err := put(k, val); err != nil {
					return true, err
				}
			}
		}
	}
	for i := 0; i+1 < len(c.DictItems); i += 2 {
		if err := put(c.DictItems[i], c.DictItems[i+1]); err != nil {
			return true, err
		}
	}
	return true, nil
}

// intoDeque decodes a deque into a Go slice.
func intoDeque(c *callView, v reflect.Value) (bool, error) {
	if v.Kind() != reflect.Slice {
		return false, nil
	}
	if err := c.noState(); err != nil {
		return true, err
	}
	bounded, maxlen, err := dequeMaxLen(c)
	if err != nil {
		return true, err
	}
	items := c.ListItems
	if len(c.Args) > 0 {
		first, err := iterableItems(c, c.Args[0])
		if err != nil {
			return true, err
		}
		items = append(first, items...)
	}
	if bounded && len(items) > maxlen {
		items = items[len(items)-maxlen:]
	}
	s := reflect.MakeSlice(v.Type(), len(items), len(items))
	for i, it := range items {
		if err := it.Decode(s.Index(i).Addr().Interface()); err != nil {
			return true, err
		}
	}
	v.Set(s)
	return true, nil
}

// --- encoding ----------------------------------------------------------------------

// dictItems flattens d into key, value, key, value...
func dictItems(d *Dict) []any {
	out := make([]any, 0, 2*d.Len())
	for k, v := range d.All() {
		out = append(out, k, v)
	}
	return out
}

// PickleReduce writes od as CPython does: OrderedDict() then its items
// with SETITEMS.
func (od *OrderedDict) PickleReduce() (*Object, error) {
	return &Object{Callable: orderedDictGlobal, Build: "REDUCE", Args: Tuple{}, DictItems: dictItems(&od.Dict)}, nil
}

// PickleReduce writes dd as CPython does: defaultdict(factory) (or
// defaultdict() without a factory) then its items with SETITEMS.
func (dd *DefaultDict) PickleReduce() (*Object, error) {
	args := Tuple{}
	if dd.Factory != nil {
		args = Tuple{dd.Factory}
	}
	return &Object{Callable: defaultDictGlobal, Build: "REDUCE", Args: args, DictItems: dictItems(&dd.Dict)}, nil
}

// PickleReduce writes c as CPython does: Counter(dict(c)).
func (c *Counter) PickleReduce() (*Object, error) {
	d := NewDict()
	for k, v := range c.All() {
		if err := d.Set(k, v); err != nil {
			return nil, err
		}
	}
	return &Object{Callable: counterGlobal, Build: "REDUCE", Args: Tuple{d}}, nil
}

// PickleReduce writes dq as CPython does: deque() or deque((), maxlen),
// then its items with APPENDS.
func (dq *Deque) PickleReduce() (*Object, error) {
	args := Tuple{}
	if dq.Bounded {
		if dq.MaxLen < 0 || len(dq.Items) > dq.MaxLen {
			return nil, fmt.Errorf("Deque has %d items, more than its MaxLen %d", len(dq.Items), dq.MaxLen)
		}
		args = Tuple{Tuple{}, int64(dq.MaxLen)}
	}
	return &Object{Callable: dequeGlobal, Build: "REDUCE", Args: args, ListItems: dq.Items}, nil
}

// --- equality -----------------------------------------------------------------------

// Equal reports whether od and o hold strictly equal items in the same
// order (see Equal).
func (od *OrderedDict) Equal(o *OrderedDict) bool { return stdlibEqual(od, o) }

// Equal reports whether dd and o have the same factory and strictly equal
// items in the same order.
func (dd *DefaultDict) Equal(o *DefaultDict) bool { return stdlibEqual(dd, o) }

// Equal reports whether c and o hold strictly equal counts in the same
// order.
func (c *Counter) Equal(o *Counter) bool { return stdlibEqual(c, o) }

// Equal reports whether dq and o have the same maxlen and strictly equal
// items.
func (dq *Deque) Equal(o *Deque) bool { return stdlibEqual(dq, o) }
