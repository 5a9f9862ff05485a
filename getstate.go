package pickle

import "reflect"

// This file holds the encode-side hooks: GetState (Python's __getstate__),
// Reducer (Python's __reduce__), and the table through which standard
// library types (time.Time as datetime.datetime, ...) plug into the encoder.

// StateGetter is implemented by types bound to a Python class (see
// RegisterClass) that choose their pickled state themselves, as Python's
// __getstate__ does: to drop transient fields, add derived ones, or write a
// versioned layout. The value returned is pickled as the instance's state
// (the argument of BUILD) instead of the dict of its fields.
type StateGetter interface {
	GetState() (any, error)
}

// Reducer is implemented by Go types that should appear in Python as the
// result of a call, as Python's __reduce__ says: a Go money type as
// decimal.Decimal('12.50'), say. The returned Object names the callable
// (usually a Global), how it is called (Build: "REDUCE", the default when
// empty, or "NEWOBJ"), its arguments, and optionally a state and list or
// dict items, and is written exactly as such.
type Reducer interface {
	PickleReduce() (*Object, error)
}

var (
	stateGetterType = reflect.TypeOf((*StateGetter)(nil)).Elem()
	reducerType     = reflect.TypeOf((*Reducer)(nil)).Elem()
)

// stdlibReducers maps Go types the package does not own (time.Time, ...) to
// the reduction that writes them as their Python counterpart.
var stdlibReducers = map[reflect.Type]func(v reflect.Value) (*Object, error){}

// registerStdlibReducer adds a reduction for a Go type; call it from init.
func registerStdlibReducer(t reflect.Type, fn func(v reflect.Value) (*Object, error)) {
	stdlibReducers[t] = fn
}

// --- the encoder side -----------------------------------------------------------

// hookEncoder returns the encoder of a type that pickles through a hook:
// a registered standard library reduction or a Reducer method. It returns
// nil for other types.
func hookEncoder(t reflect.Type) encoderFunc {
	if t.Kind() != reflect.Interface && t.Implements(protoReducerType) {
		return func(e *encodeState, v reflect.Value) error {
			o, err := v.Interface().(protoReducer).pickleReduceEx(e.proto)
			if err != nil {
				return &UnsupportedTypeError{GoType: t, Msg: "PickleReduce: " + err.Error()}
			}
			return e.writeReduction(o, v)
		}
	}
	if fn, ok := stdlibReducers[t]; ok {
		return func(e *encodeState, v reflect.Value) error {
			o, err := fn(v)
			if err != nil {
				return &UnsupportedTypeError{GoType: t, Msg: err.Error()}
			}
			return e.writeReduction(o, v)
		}
	}
	if t.Kind() != reflect.Interface && (t.Implements(reducerType) || reflect.PointerTo(t).Implements(reducerType)) {
		return func(e *encodeState, v reflect.Value) error {
			r, ok := asInterface[Reducer](v)
			if !ok {
				return &UnsupportedTypeError{GoType: t, Msg: "PickleReduce has a pointer receiver: pass a pointer"}
			}
			o, err := r.PickleReduce()
			if err != nil {
				return &UnsupportedTypeError{GoType: t, Msg: "PickleReduce: " + err.Error()}
			}
			return e.writeReduction(o, v)
		}
	}
	return nil
}

// asInterface returns v as an I, through its address when the method has a
// pointer receiver (copying v first if it is not addressable).
func asInterface[I any](v reflect.Value) (I, bool) {
	if x, ok := v.Interface().(I); ok {
		return x, true
	}
	if !v.CanAddr() {
		c := reflect.New(v.Type())
		c.Elem().Set(v)
		v = c.Elem()
	}
	x, ok := v.Addr().Interface().(I)
	return x, ok
}

// writeReduction writes a reduction made for the Go value v, memoized
// under v's identity so that a value reached twice is written once.
func (e *encodeState) writeReduction(o *Object, v reflect.Value) error {
	if o == nil {
		return &UnsupportedTypeError{GoType: v.Type(), Msg: "nil reduction"}
	}
	e.pin(o) // made for this encode: see pin
	e.boundary()
	kv := v
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		kv = v.Elem() // a pointer's identity is its target's address
	}
	k, hasKey := addrKey(kv)
	if hasKey && e.getMemo(k) {
		return nil
	}
	return e.writeObjectAs(o, k, hasKey)
}

var (
	objectGlobal = Global{"builtins", "object"}
	tupleGlobal  = Global{"builtins", "tuple"}
)

// withClassBinding wraps the encoder of struct t: a value of a type bound
// to a Python class in the call's registry is written as an instance of
// that class; otherwise as a dict.
func withClassBinding(t reflect.Type, se *structEncoder) encoderFunc {
	getsState := reflect.PointerTo(t).Implements(stateGetterType) || t.Implements(stateGetterType)
	return func(e *encodeState, v reflect.Value) error {
		cb := se.classes.lookup(e.cfg.reg(), t)
		if cb == nil {
			return se.encode(e, v)
		}
		e.boundary()
		k, hasKey := addrKey(v)
		if hasKey && e.getMemo(k) {
			return nil
		}
		if cb.form == formNamedTuple {
			return e.writeNamedTuple(cb.class, se, v, k, hasKey)
		}
		return e.writeInstance(cb.class, k, hasKey, func() (bool, error) {
			if getsState {
				return e.writeGetState(v)
			}
			return se.writeDict(e, v, memoKey{}, false, false)
		})
	}
}

// writeGetState writes what the value's GetState returns as its state;
// None means no state, as in CPython.
func (e *encodeState) writeGetState(v reflect.Value) (bool, error) {
	g, ok := asInterface[StateGetter](v)
	if !ok {
		return false, &UnsupportedTypeError{GoType: v.Type(), Msg: "GetState has a pointer receiver: pass a pointer"}
	}
	state, err := g.GetState()
	if err != nil {
		return false, &UnsupportedTypeError{GoType: v.Type(), Msg: "GetState: " + err.Error()}
	}
	e.pin(state) // made for this encode: see pin
	if state == nil {
		return false, nil
	}
	return true, withPath(e.encodeAny(state), ".GetState()")
}

// writeInstance writes an instance of the plain class cls as CPython does:
// cls.__new__(cls) with NEWOBJ from protocol 2, copyreg._reconstructor(cls,
// object, None) below; then, if writeState writes a state, BUILD.
func (e *encodeState) writeInstance(cls Global, k memoKey, hasKey bool, writeState func() (bool, error)) error {
	if err := e.enter(); err != nil {
		return err
	}
	var err error
	if e.proto >= 2 {
		err = e.writeNewobj(cls, 0, nil)
	} else {
		err = e.writeReconstructor(cls, objectGlobal, func() error {
			e.boundary()
			e.writeNone()
			return nil
		})
	}
	if err != nil {
		return err
	}
	e.afterBuild(k, hasKey)
	wrote, err := writeState()
	if err != nil {
		return err
	}
	if wrote {
		e.op(opBuild)
	}
	e.leave()
	return nil
}

// writeNewobj writes cls, the n arguments written by item, and NEWOBJ.
func (e *encodeState) writeNewobj(cls Global, n int, item func(i int) error) error {
	if err := e.writeGlobal(cls); err != nil {
		return err
	}
	e.boundary()
	if err := e.writeTuple(n, item, memoKey{}, false); err != nil {
		return err
	}
	e.op(opNewobj)
	return nil
}

// writeReconstructor writes copyreg._reconstructor(cls, base, value) with
// REDUCE, CPython's form of instances below protocol 2.
func (e *encodeState) writeReconstructor(cls, base Global, value func() error) error {
	if err := e.writeGlobal(reconstructor); err != nil {
		return err
	}
	e.boundary()
	err := e.writeTuple(3, func(i int) error {
		switch i {
		case 0:
			return e.writeGlobal(cls)
		case 1:
			return e.writeGlobal(base)
		}
		return value()
	}, memoKey{}, false)
	if err != nil {
		return err
	}
	e.op(opReduce)
	return nil
}

// writeNamedTuple writes a struct bound to a namedtuple class: NEWOBJ with
// the fields as arguments, or copyreg._reconstructor(cls, tuple, fields)
// below protocol 2.
func (e *encodeState) writeNamedTuple(cls Global, se *structEncoder, v reflect.Value, k memoKey, hasKey bool) error {
	if err := e.enter(); err != nil {
		return err
	}
	item := func(i int) error {
		f := &se.fields[i]
		fv, ok := fieldValue(v, f.index)
		if !ok {
			e.boundary()
			e.writeNone()
			return nil
		}
		return withPath(f.enc(e, fv), "."+f.goName)
	}
	var err error
	if e.proto >= 2 {
		err = e.writeNewobj(cls, len(se.fields), item)
	} else {
		err = e.writeReconstructor(cls, tupleGlobal, func() error {
			e.boundary()
			return e.writeTuple(len(se.fields), item, memoKey{}, false)
		})
	}
	if err != nil {
		return err
	}
	e.afterBuild(k, hasKey)
	e.leave()
	return nil
}

// isNamedScalar reports whether t is a defined type of a scalar kind, which
// may be bound to an enum class.
func isNamedScalar(t reflect.Type) bool {
	if t.PkgPath() == "" {
		return false
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.String:
		return true
	}
	return false
}

// withEnumBinding wraps the encoder of a defined scalar type: when the
// call's registry binds it to an enum class, a value is written as the
// member cls(value), memoized by value as Python's members are singletons.
func withEnumBinding(t reflect.Type, plain encoderFunc) encoderFunc {
	var classes classCache
	return func(e *encodeState, v reflect.Value) error {
		cb := classes.lookup(e.cfg.reg(), t)
		if cb == nil {
			return plain(e, v)
		}
		e.boundary()
		k, hasKey := enumKey(v)
		if hasKey && e.getMemo(k) {
			return nil
		}
		if err := e.writeGlobal(cb.class); err != nil {
			return err
		}
		e.boundary()
		if err := e.writeTuple(1, func(int) error { return plain(e, v) }, memoKey{}, false); err != nil {
			return err
		}
		e.op(opReduce)
		e.afterBuild(k, hasKey)
		return nil
	}
}

// enumKey identifies an enum member by its type and value.
func enumKey(v reflect.Value) (memoKey, bool) {
	t := typeID(v.Type())
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return memoKey{n: int(v.Int()), t: t, kind: memoEnum}, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return memoKey{n: int(v.Uint()), t: t, kind: memoEnum}, true
	case reflect.Bool:
		if v.Bool() {
			return memoKey{n: 1, t: t, kind: memoEnum}, true
		}
		return memoKey{t: t, kind: memoEnum}, true
	}
	return memoKey{}, false
}
