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
