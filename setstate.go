package pickle

import (
	"errors"
	"iter"
	"reflect"
)

// This file is the decode side of Python objects: the State view, the
// SetState hook (Python's __setstate__) and the default BUILD semantics that
// apply when a type has no SetState.

// StateSetter is implemented by types that take their decoded state
// themselves, as Python's __setstate__ does: to migrate old records, accept
// several layouts, or restore fields that were not pickled. The method must
// have a pointer receiver.
//
// SetState receives the instance's BUILD state for a pickled object, or the
// value itself for anything else (a dict, a tuple...). To decode into the
// receiver's own fields from inside SetState, call s.DecodeFields(x): it
// applies the default rules without calling SetState again (s.Decode(x)
// would call it again, endlessly, until the depth limit stops it). Another
// way is a defined type without the method: type plain T; s.Decode((*plain)(x)).
type StateSetter interface {
	SetState(s State) error
}

// State is a read-only view of a decoded Python value, handed to SetState
// and to functions registered with RegisterFunc. Nothing is built until it
// is asked for; Decode binds with the same options, limits and error paths
// as the decode that called the hook.
type State struct {
	b *binder
	n int32 // the node, resolved
}

func (b *binder) state(n int32) State { return State{b: b, n: b.m.resolve(n)} }

// Kind returns the Python type name of the value: "dict", "tuple", "list",
// "str", "int", "NoneType", ...; for an object, "module.Class object".
func (s State) Kind() string { return s.b.m.kindName(s.n) }

// IsNone reports whether the value is None.
func (s State) IsNone() bool { return s.b.m.nodes[s.n].kind == nNone }

// Len returns the number of items of a dict, list, tuple, set or frozenset,
// or the length in bytes of a str, bytes or bytearray; 0 otherwise.
func (s State) Len() int {
	nd := &s.b.m.nodes[s.n]
	switch nd.kind {
	case nDict:
		return int(nd.count / 2)
	case nList, nTuple, nSet, nFrozenSet:
		return int(nd.count)
	case nStr, nBytes, nByteArray:
		return int(nd.b)
	}
	return 0
}

// Get returns the item of a dict under the str key, and whether there is
// one. With duplicate keys the last one wins, as in Python.
func (s State) Get(key string) (State, bool) {
	found := int32(-1)
	for k, v := range s.b.dictPairs(s.n) {
		if txt, ok := s.b.m.textOf(k); ok && txt == key {
			found = v
		}
	}
	if found < 0 {
		return State{}, false
	}
	return s.b.state(found), true
}

// Keys iterates over the str keys of a dict, in order (keys of other types
// are skipped: use Items for those).
func (s State) Keys() iter.Seq[string] {
	return func(yield func(string) bool) {
		for k := range s.b.dictPairs(s.n) {
			if txt, ok := s.b.m.textOf(k); ok && !yield(txt) {
				return
			}
		}
	}
}

// Items iterates over the keys and values of a dict, in order.
func (s State) Items() iter.Seq2[State, State] {
	return func(yield func(State, State) bool) {
		for k, v := range s.b.dictPairs(s.n) {
			if !yield(s.b.state(k), s.b.state(v)) {
				return
			}
		}
	}
}

// Index returns item i of a list or tuple, and whether it exists.
func (s State) Index(i int) (State, bool) {
	nd := &s.b.m.nodes[s.n]
	if (nd.kind != nList && nd.kind != nTuple) || i < 0 || i >= int(nd.count) {
		return State{}, false
	}
	c := nd.first
	for ; i > 0; i-- {
		c = s.b.m.nodes[c].next
	}
	return s.b.state(c), true
}

// Decode decodes the value into the Go value v points to, like Unmarshal.
func (s State) Decode(v any) error {
	target, err := checkTarget(v)
	if err != nil {
		return err
	}
	if p, ok := v.(*any); ok {
		x, err := s.b.anyValue(s.n)
		if err == nil {
			*p = x
		}
		return err
	}
	return s.b.bind(s.n, target, typeDecoder(target.Type()))
}

// DecodeFields decodes the value into the struct v points to with the
// default rules (fields from a dict, or from an object's state), without
// calling v's SetState method: the way to fill the receiver from inside
// SetState.
func (s State) DecodeFields(v any) error {
	target, err := checkTarget(v)
	if err != nil {
		return err
	}
	if target.Kind() != reflect.Struct {
		return s.Decode(v)
	}
	return s.b.bind(s.n, target, structDecoderOf(target.Type()).decode)
}

// dictPairs iterates over the key and value nodes of a dict node.
func (b *binder) dictPairs(n int32) iter.Seq2[int32, int32] {
	return func(yield func(int32, int32) bool) {
		if b.m.nodes[n].kind != nDict {
			return
		}
		for k := b.m.nodes[n].first; k >= 0; {
			v := b.m.nodes[k].next
			if !yield(k, v) {
				return
			}
			k = b.m.nodes[v].next
		}
	}
}

var stateSetterType = reflect.TypeOf((*StateSetter)(nil)).Elem()

// newSetStateDecoder wraps the decoder of a type whose pointer has
// SetState.
func newSetStateDecoder(t reflect.Type) decodeFunc {
	return func(b *binder, n int32, v reflect.Value) error {
		st := n
		nd := &b.m.nodes[n]
		if nd.kind == nObject {
			on := &b.m.objects[nd.a]
			if len(on.states) == 0 {
				// No BUILD: nothing for __setstate__ either; bind by default.
				return b.bindObject(n, v)
			}
			if t.Kind() == reflect.Struct {
				if err := b.bindPositional(n, v); err != nil {
					return err
				}
			}
			st = on.states[len(on.states)-1]
		}
		err := v.Addr().Interface().(StateSetter).SetState(b.state(st))
		if err != nil {
			return b.hookError(n, t, "SetState", err)
		}
		return nil
	}
}

// hookError gives an error from user code the location of the value.
func (b *binder) hookError(n int32, t reflect.Type, hook string, err error) error {
	var se *SyntaxError
	var te *UnmarshalTypeError
	var le *LimitError
	var ge *GlobalError
	if errors.As(err, &se) || errors.As(err, &te) || errors.As(err, &le) || errors.As(err, &ge) {
		return err
	}
	e := b.typeError(n, t, hook+": "+err.Error()).(*UnmarshalTypeError)
	e.Value = ""
	e.Err = err
	return e
}

// --- objects -------------------------------------------------------------------

var reconstructor = Global{"copyreg", "_reconstructor"}

// objectCall returns the class or function an object node calls, the
// argument nodes, and the positional values for a struct (a namedtuple's
// items), looking through copyreg._reconstructor(cls, base, value).
func (b *binder) objectCall(n int32) (callee Global, args []int32, positional int32) {
	on := &b.m.objects[b.m.nodes[n].a]
	callee, _ = b.m.globalOf(on.callable)
	args = b.m.children(b.m.resolve(on.args))
	positional = -1
	if callee == reconstructor && len(args) == 3 {
		callee, _ = b.m.globalOf(args[0])
		if k := b.m.nodes[b.m.resolve(args[2])].kind; k == nTuple || k == nList {
			positional = b.m.resolve(args[2])
		}
		return callee, nil, positional
	}
	if on.build == opNewobj || on.build == opNewobjEx || on.build == opObj || on.build == opInst {
		if len(args) > 0 {
			positional = b.m.resolve(on.args)
		}
	}
	return callee, args, positional
}

// bindObject binds an object node into v: through a registered function, as
// an enum member, or as an instance whose positional arguments and BUILD
// states fill a struct.
func (b *binder) bindObject(n int32, v reflect.Value) error {
	callee, args, _ := b.objectCall(n)
	reg := b.cfg.reg()
	if fb := reg.funcFor(callee); fb != nil {
		return b.callFunc(n, fb, v)
	}
	if st := stdlibTypes[callee]; st != nil && reg.classFor(callee) == nil {
		return b.stdlibInto(n, st, v)
	}
	on := &b.m.objects[b.m.nodes[n].a]
	if v.Kind() != reflect.Struct {
		if len(args) == 1 && len(on.states) == 0 && on.build == opReduce {
			return b.bind(args[0], v, typeDecoder(v.Type())) // an enum member: Class(value)
		}
		return b.typeError(n, v.Type(), "")
	}
	if err := b.bindPositional(n, v); err != nil {
		return err
	}
	sd := structDecoderOf(v.Type())
	for _, s := range on.states {
		if err := b.applyState(s, v, sd); err != nil {
			return err
		}
	}
	return nil
}

// bindPositional fills a struct's fields in declaration order from an
// object's positional arguments (a namedtuple's items).
func (b *binder) bindPositional(n int32, v reflect.Value) error {
	_, _, positional := b.objectCall(n)
	if positional < 0 {
		return nil
	}
	sd := structDecoderOf(v.Type())
	items := b.m.children(positional)
	if len(items) > len(sd.info.fields) {
		return b.typeError(positional, v.Type(), "more items than fields")
	}
	for i, c := range items {
		f := &sd.info.fields[i]
		fv, err := fieldByIndexAlloc(v, f.index)
		if err != nil {
			return b.typeError(c, v.Type(), err.Error())
		}
		b.pushField(f.name)
		err = b.bind(c, fv, sd.decs[i])
		b.popPath()
		if err != nil {
			return err
		}
	}
	return nil
}

// applyState applies one BUILD state to a struct the way CPython's BUILD
// does without __setstate__: a dict sets attributes, a (dict, slots) pair
// sets both, None does nothing.
func (b *binder) applyState(s int32, v reflect.Value, sd *structDecoder) error {
	s = b.m.resolve(s)
	switch nd := &b.m.nodes[s]; nd.kind {
	case nNone:
		return nil
	case nDict:
		return sd.fillFromDict(b, s, v)
	case nTuple:
		if nd.count == 2 {
			if err := b.applyState(nd.first, v, sd); err != nil {
				return err
			}
			return b.applyState(b.m.nodes[nd.first].next, v, sd)
		}
	}
	return b.typeError(s, v.Type(), "this state needs a SetState method on "+v.Type().String())
}

// callFunc runs a registered function on an object node's arguments and
// stores its result in v.
func (b *binder) callFunc(n int32, fb *funcBinding, v reflect.Value) error {
	on := &b.m.objects[b.m.nodes[n].a]
	r, err := fb.call(b.state(on.args))
	if err != nil {
		return b.hookError(n, v.Type(), fb.fn.String(), err)
	}
	return b.assignResult(n, fb.fn, r, v)
}

// anyObject returns the model value of an object node: a bound Go type, a
// registered function's result, or an inert *Object with KeepUnknown.
func (b *binder) anyObject(n int32, isShared bool) (any, error) {
	callee, _, _ := b.objectCall(n)
	reg := b.cfg.reg()
	if fb := reg.funcFor(callee); fb != nil {
		var r any
		err := b.callFunc(n, fb, reflect.ValueOf(&r).Elem())
		return b.remember(n, isShared, r), err
	}
	if st := stdlibTypes[callee]; st != nil && reg.classFor(callee) == nil {
		return b.stdlibAny(n, st, isShared)
	}
	if cb := reg.classFor(callee); cb != nil {
		p := reflect.New(cb.typ)
		var out any = p.Interface()
		if !cb.ptr {
			if err := b.bind(n, p.Elem(), typeDecoder(cb.typ)); err != nil {
				return nil, err
			}
			return b.remember(n, isShared, p.Elem().Interface()), nil
		}
		b.remember(n, isShared, out)
		return out, b.bind(n, p.Elem(), typeDecoder(cb.typ))
	}
	if !b.cfg.keepUnknown {
		return nil, b.syntaxAt(n, "no Go type is bound to "+callee.String(), nil)
	}
	o := &Object{}
	b.remember(n, isShared, o)
	return o, b.fillObject(n, o)
}
