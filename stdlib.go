package pickle

import (
	"reflect"
)

// This file is the plug-in point for the Python standard library types the
// decoder understands without registration (datetime, decimal, uuid,
// collections, fractions, range...). Each one is a Global with Go code that
// builds the value from a view of the pickled call: nothing Python runs.
// A user registry entry for the same Global takes precedence.

// callView is what a pickled call consists of, as lazy views.
type callView struct {
	b         *binder
	n         int32 // the object node
	Callee    Global
	Build     string  // "REDUCE", "NEWOBJ", ...
	Args      []State // positional arguments
	Kwargs    []State // NEWOBJ_EX keyword arguments: key, value, key, value...
	States    []State // BUILD states, in order
	ListItems []State // what APPEND(S) added to the object
	DictItems []State // what SETITEM(S) added: key, value, key, value...
}

// stdlibType decodes one standard library callable.
type stdlibType struct {
	// toAny returns the model value (decoding into any).
	toAny func(c *callView) (any, error)
	// into decodes straight into a typed target; it reports false when it
	// does not handle v's type (then toAny's result is assigned if it fits).
	// It may be nil.
	into func(c *callView, v reflect.Value) (handled bool, err error)
}

var stdlibTypes = map[Global]*stdlibType{}

// registerStdlib adds a standard library callable; call it from init.
func registerStdlib(module, name string, t *stdlibType) {
	stdlibTypes[Global{module, name}] = t
}

// registerBaseGlobal allows a global as a plain value (never called), such
// as the factory of a defaultdict; call it from init.
func registerBaseGlobal(module, name string) {
	baseGlobals[Global{module, name}] = true
}

// newCallView builds the view of object node n.
func (b *binder) newCallView(n int32) *callView {
	on := &b.m.objects[b.m.nodes[n].a]
	c := &callView{b: b, n: n, Build: opName(on.build)}
	c.Callee, _ = b.m.globalOf(on.callable)
	for _, a := range b.m.children(b.m.resolve(on.args)) {
		c.Args = append(c.Args, b.state(a))
	}
	if on.kwargs >= 0 {
		for _, a := range b.m.children(b.m.resolve(on.kwargs)) {
			c.Kwargs = append(c.Kwargs, b.state(a))
		}
	}
	for _, s := range on.states {
		c.States = append(c.States, b.state(s))
	}
	for _, s := range on.listItems {
		c.ListItems = append(c.ListItems, b.state(s))
	}
	for _, s := range on.dictItems {
		c.DictItems = append(c.DictItems, b.state(s))
	}
	return c
}

// errorf returns a type error located at the call, for values a standard
// type refuses (a bad datetime state, say).
func (c *callView) errorf(msg string) error {
	nd := &c.b.m.nodes[c.n]
	return &GlobalError{Module: c.Callee.Module, Name: c.Callee.Name, Msg: "called with unsupported arguments: " + msg,
		Op: opName(nd.op), Offset: c.b.m.base + nd.off}
}

// stdlibAny decodes a standard library call into the model.
func (b *binder) stdlibAny(n int32, st *stdlibType, isShared bool) (any, error) {
	v, err := st.toAny(b.newCallView(n))
	if err != nil {
		return nil, err
	}
	return b.remember(n, isShared, v), nil
}

// stdlibInto decodes a standard library call into a typed target.
func (b *binder) stdlibInto(n int32, st *stdlibType, v reflect.Value) error {
	c := b.newCallView(n)
	if st.into != nil {
		handled, err := st.into(c, v)
		if handled || err != nil {
			return err
		}
	}
	x, err := st.toAny(c)
	if err != nil {
		return err
	}
	return b.assignResult(n, c.Callee, x, v)
}

// assignResult stores the result of a call in v if its type fits.
func (b *binder) assignResult(n int32, callee Global, r any, v reflect.Value) error {
	rv := reflect.ValueOf(r)
	switch {
	case r == nil:
		v.SetZero()
	case rv.Type().AssignableTo(v.Type()):
		v.Set(rv)
	case rv.Kind() == reflect.Pointer && rv.Elem().Type().AssignableTo(v.Type()):
		v.Set(rv.Elem())
	case rv.Type().ConvertibleTo(v.Type()) && rv.Kind() == v.Kind():
		v.Set(rv.Convert(v.Type()))
	default:
		return b.typeError(n, v.Type(), callee.String()+" gives a "+rv.Type().String())
	}
	return nil
}
