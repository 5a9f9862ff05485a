package pickle

import (
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
)

// A Registry binds Go types to Python classes, and Python callables to Go
// constructors. It is how the decoder learns which globals a pickle may
// name beyond the safe built-ins: every entry is an allowlist entry with Go
// code behind it, and nothing Python is ever imported or called.
//
// Pass a registry to a call with WithRegistry; calls without one use
// DefaultRegistry. A Registry is safe for concurrent use.
type Registry struct {
	mu      sync.RWMutex
	byClass map[Global]*classBinding
	byType  map[reflect.Type]*classBinding
	funcs   map[Global]*funcBinding
	gen     atomic.Uint64 // counts the changes to byType, for classCache
}

// classForm says how instances of a bound class are pickled.
type classForm uint8

const (
	formObject     classForm = iota // NEWOBJ (or copyreg._reconstructor) + BUILD with a dict of fields
	formNamedTuple                  // NEWOBJ with the fields as positional arguments
	formValue                       // REDUCE class(value): enum members
)

// classBinding is one Go type bound to one Python class.
type classBinding struct {
	class Global
	typ   reflect.Type // the Go type, never a pointer
	ptr   bool         // registered as a pointer: decoding into any gives *T
	form  classForm
}

// funcBinding is a Go constructor for a Python callable.
type funcBinding struct {
	fn   Global
	call func(args State) (any, error)
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{
		byClass: map[Global]*classBinding{},
		byType:  map[reflect.Type]*classBinding{},
		funcs:   map[Global]*funcBinding{},
	}
}

// DefaultRegistry is used by every call that is given no WithRegistry
// option.
var DefaultRegistry = NewRegistry()

// RegisterClass binds the Go type of v (a struct, or a pointer to one) to
// the Python class module.name (name is the qualified name, such as
// "Outer.Inner").
//
// Encoding a value of that type writes what CPython writes for an instance
// of a plain class: NEWOBJ with the class and BUILD with a dict of the
// fields at protocol 2 and above, copyreg._reconstructor and BUILD below.
// Decoding accepts the class and builds the Go type from the instance's
// state: a dict, the (dict, slots) pair of a class with __slots__, or
// anything a __getstate__ returned, handed to the type's SetState method.
// Into an `any`, an instance decodes to the type as registered: *T if v was
// a pointer, T otherwise.
//
// A Go type whose kind is not struct (type Color int, type Mode string) is
// bound as an enum: its values pickle as module.name(value), the way
// CPython pickles enum members.
//
// The binding is one-to-one: binding a class or a type twice to different
// partners is an error.
func (r *Registry) RegisterClass(module, name string, v any) error {
	form := formObject
	t := reflect.TypeOf(v)
	if t != nil && baseType(t).Kind() != reflect.Struct {
		form = formValue
	}
	return r.register(module, name, v, form)
}

// RegisterNamedTuple binds the Go struct type of v to a Python
// collections.namedtuple (or typing.NamedTuple) class: its fields, in
// declaration order, are the tuple's items.
func (r *Registry) RegisterNamedTuple(module, name string, v any) error {
	return r.register(module, name, v, formNamedTuple)
}

// RegisterFunc lets pickles call the Python callable module.name: decoding
// a call of it runs fn with a view of the arguments tuple and uses what fn
// returns as the value. It is the safe way to extend the decoder: a pickle
// that writes Decimal('12.50') can decode into a Go money type through a
// function registered for decimal.Decimal.
func (r *Registry) RegisterFunc(module, name string, fn func(args State) (any, error)) error {
	if fn == nil || module == "" || name == "" {
		return &OptionError{Option: "RegisterFunc", Value: module + "." + name, Msg: "needs a module, a name and a function"}
	}
	g := Global{module, name}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.funcs[g]; dup {
		return &OptionError{Option: "RegisterFunc", Value: g.String(), Msg: "already registered"}
	}
	if _, dup := r.byClass[g]; dup {
		return &OptionError{Option: "RegisterFunc", Value: g.String(), Msg: "already registered as a class"}
	}
	r.funcs[g] = &funcBinding{fn: g, call: fn}
	return nil
}

func (r *Registry) register(module, name string, v any, form classForm) error {
	g := Global{module, name}
	t := reflect.TypeOf(v)
	if t == nil || module == "" || name == "" {
		return &OptionError{Option: "RegisterClass", Value: g.String(), Msg: "needs a module, a name and a Go value of the type"}
	}
	ptr := t.Kind() == reflect.Pointer
	bt := baseType(t)
	if form != formValue && bt.Kind() != reflect.Struct {
		return &OptionError{Option: "RegisterClass", Value: g.String(), Msg: "needs a struct type, not " + t.String()}
	}
	if form != formValue {
		if _, err := cachedStructInfo(bt); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, dup := r.byClass[g]; dup {
		if old.typ == bt && old.ptr == ptr && old.form == form {
			return nil
		}
		return &OptionError{Option: "RegisterClass", Value: g.String(), Msg: "already bound to Go type " + old.typ.String()}
	}
	if old, dup := r.byType[bt]; dup {
		return &OptionError{Option: "RegisterClass", Value: g.String(), Msg: "Go type " + bt.String() + " is already bound to " + old.class.String()}
	}
	if _, dup := r.funcs[g]; dup {
		return &OptionError{Option: "RegisterClass", Value: g.String(), Msg: "already registered as a function"}
	}
	b := &classBinding{class: g, typ: bt, ptr: ptr, form: form}
	r.byClass[g] = b
	r.byType[bt] = b
	r.gen.Add(1)
	return nil
}

// RegisterClass binds a Go type to a Python class in DefaultRegistry; see
// Registry.RegisterClass.
func RegisterClass(module, name string, v any) error {
	return DefaultRegistry.RegisterClass(module, name, v)
}

// RegisterNamedTuple binds a Go struct to a Python namedtuple class in
// DefaultRegistry; see Registry.RegisterNamedTuple.
func RegisterNamedTuple(module, name string, v any) error {
	return DefaultRegistry.RegisterNamedTuple(module, name, v)
}

// RegisterFunc registers a Go constructor for a Python callable in
// DefaultRegistry; see Registry.RegisterFunc.
func RegisterFunc(module, name string, fn func(args State) (any, error)) error {
	return DefaultRegistry.RegisterFunc(module, name, fn)
}

// WithRegistry makes a call use r instead of DefaultRegistry (both
// directions). A nil r means an empty registry.
func WithRegistry(r *Registry) Option {
	return optionFunc(func(c *config) error {
		if r == nil {
			r = NewRegistry()
		}
		c.registry = r
		return nil
	})
}

func (r *Registry) classFor(g Global) *classBinding {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byClass[g]
}

// hasNested reports whether a registered class is nested in g (its
// qualified name starts with g's name and a dot): CPython names such a
// class as getattr(g, 'Inner') below protocol 4, so g may be named.
func (r *Registry) hasNested(g Global) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	prefix := g.Name + "."
	for c := range r.byClass {
		if c.Module == g.Module && strings.HasPrefix(c.Name, prefix) {
			return true
		}
	}
	return false
}

func (r *Registry) funcFor(g Global) *funcBinding {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.funcs[g]
}

// classOfType returns the binding of Go type t (or of what t points to).
func (r *Registry) classOfType(t reflect.Type) *classBinding {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byType[baseType(t)]
}

// classCache remembers the binding of one Go type in one registry, as of
// one generation of the registry, so that the encoder need not take the
// registry's lock for every value: a later registration changes the
// generation, and the next lookup asks the registry again.
type classCache struct {
	p atomic.Pointer[classCacheEntry]
}

type classCacheEntry struct {
	reg *Registry
	gen uint64
	cb  *classBinding
}

// lookup returns r.classOfType(t), through the cache.
func (c *classCache) lookup(r *Registry, t reflect.Type) *classBinding {
	if en := c.p.Load(); en != nil && en.reg == r && en.gen == r.gen.Load() {
		return en.cb
	}
	gen := r.gen.Load() // before the lookup: a registration after it is seen next time
	cb := r.classOfType(t)
	c.p.Store(&classCacheEntry{reg: r, gen: gen, cb: cb})
	return cb
}

func baseType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}
