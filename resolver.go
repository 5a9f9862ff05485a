package pickle

import (
	"strings"
	"unicode/utf8"
)

// The resolver is the one place where globals and the opcodes that call them
// (REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ) and BUILD are decided. Decoding never
// imports or calls anything: a global is accepted only if the resolver knows
// it, and a call is either one of the built-in constructors below, which the
// machine replaces by the value it would make, or an object node that the
// binder turns into a Go value (a bound Go type, or an inert *Object with
// KeepUnknown). Everything else is refused with a *GlobalError naming the
// module, the name, the opcode and the offset.

// builtinCtor identifies a constructor the machine evaluates itself.
type builtinCtor uint8

const (
	ctorNone      builtinCtor = iota
	ctorSet                   // builtins.set(iterable)
	ctorFrozenSet             // builtins.frozenset(iterable)
	ctorByteArray             // builtins.bytearray(bytes) or (str, encoding)
	ctorBytes                 // builtins.bytes() (CPython's empty bytes below protocol 3)
	ctorComplex               // builtins.complex(real, imag)
	ctorEncode                // _codecs.encode(str, encoding): bytes below protocol 3
	ctorGetattr               // builtins.getattr(global, name): a nested class below protocol 4
)

// resolver knows which globals a pickle may name.
type resolver struct {
	builtins map[Global]builtinCtor
}

// builtinResolver knows the safe built-in constructors only.
var builtinResolver = &resolver{builtins: map[Global]builtinCtor{
	{"builtins", "set"}:       ctorSet,
	{"builtins", "frozenset"}: ctorFrozenSet,
	{"builtins", "bytearray"}: ctorByteArray,
	{"builtins", "bytes"}:     ctorBytes,
	{"builtins", "complex"}:   ctorComplex,
	{"_codecs", "encode"}:     ctorEncode,
	{"builtins", "getattr"}:   ctorGetattr,
}}

// baseGlobals may be named as values (the base class argument of
// copyreg._reconstructor, a defaultdict's factory...) but never called.
var baseGlobals = map[Global]bool{
	{"builtins", "object"}: true,
	{"builtins", "tuple"}:  true,
	{"builtins", "list"}:   true,
	{"builtins", "dict"}:   true,
	reconstructor:          true,
}

// allowed reports whether a pickle may name g: a built-in constructor, a
// base class, or a class or function of the registry.
func (r *resolver) allowed(g Global, reg *Registry) bool {
	if _, ok := r.builtins[g]; ok || baseGlobals[g] || stdlibTypes[g] != nil {
		return true
	}
	return reg.classFor(g) != nil || reg.funcFor(g) != nil || reg.hasNested(g)
}

// callable reports whether g may be called by op, given the callable's
// argument nodes: a registered class by any of the object-building
// opcodes, a registered function by REDUCE, copyreg._reconstructor by
// REDUCE on a registered class.
func (m *machine) callable(g Global, args int32) bool {
	reg := m.cfg.reg()
	if reg.classFor(g) != nil || stdlibTypes[g] != nil {
		return true
	}
	if m.op != opReduce {
		return false
	}
	if reg.funcFor(g) != nil {
		return true
	}
	if g == reconstructor {
		a := m.nodes[m.resolve(args)]
		if a.count == 3 {
			cls, ok := m.globalOf(a.first)
			return ok && (reg.classFor(cls) != nil || stdlibTypes[cls] != nil)
		}
	}
	return false
}

// findClass maps a Python 2 name when the pickle's protocol is below 3 (as
// CPython's find_class does), checks it and pushes a global node.
func (m *machine) findClass(module, name string) error {
	if m.proto < 3 && m.cfg.fixImports {
		if mapped, ok := nameMapping[[2]string{module, name}]; ok {
			module, name = mapped[0], mapped[1]
		} else if mod, ok := importMapping[module]; ok {
			module = mod
		}
	}
	return m.pushGlobal(Global{Module: module, Name: name})
}

// pushGlobal checks g against the resolver and pushes a global node.
func (m *machine) pushGlobal(g Global) error {
	if g.Module == "" || g.Name == "" || strings.ContainsAny(g.Module+g.Name, "\n\x00") {
		// No Python module or attribute has such a name, not even an unknown
		// one kept inert: the pickle is malformed or playing tricks.
		return m.syntaxError("invalid global name " + quote(g.Module) + " " + quote(g.Name))
	}
	if !m.cfg.keepUnknown && !m.res.allowed(g, m.cfg.reg()) {
		return &GlobalError{Module: g.Module, Name: g.Name, Op: opName(m.op), Offset: m.offset()}
	}
	n := m.newNode(nGlobal)
	m.nodes[n].a = int64(len(m.globals))
	m.globals = append(m.globals, g)
	m.push(n)
	return nil
}

// readNameLine reads one line of GLOBAL or INST: UTF-8 text.
func (m *machine) readNameLine() (string, error) {
	line, err := m.readLine(m.cfg.maxStringLen, "MaxStringLen")
	if err != nil {
		return "", err
	}
	if !utf8.Valid(line) {
		return "", m.syntaxError("invalid UTF-8 in a global's name")
	}
	return string(line), nil
}

// readGlobalName reads the two lines of GLOBAL and INST: module and name.
func (m *machine) readGlobalName() (module, name string, err error) {
	if module, err = m.readNameLine(); err != nil {
		return "", "", err
	}
	name, err = m.readNameLine()
	return module, name, err
}

func (m *machine) loadGlobal() error {
	module, name, err := m.readGlobalName()
	if err != nil {
		return err
	}
	return m.findClass(module, name)
}

func (m *machine) loadStackGlobal() error {
	nameNode, err := m.pop()
	if err != nil {
		return err
	}
	modNode, err := m.pop()
	if err != nil {
		return err
	}
	name, ok1 := m.textOf(nameNode)
	module, ok2 := m.textOf(modNode)
	if !ok1 || !ok2 {
		return m.syntaxError("STACK_GLOBAL requires str module and name")
	}
	return m.findClass(module, name)
}

// textOf returns the text of a str node.
func (m *machine) textOf(n int32) (string, bool) {
	n = m.resolve(n)
	if m.nodes[n].kind != nStr {
		return "", false
	}
	return string(m.payload(n)), true
}

// payload returns the bytes of a str, bytes or bytearray node.
func (m *machine) payload(n int32) []byte {
	nd := &m.nodes[n]
	if nd.flags&flagSide != 0 {
		return m.side[nd.a : nd.a+nd.b]
	}
	return m.data[nd.a : nd.a+nd.b]
}

// --- calls -------------------------------------------------------------------

// popCall pops the arguments of REDUCE, NEWOBJ (a tuple) or NEWOBJ_EX (a
// tuple and a dict of keyword arguments) and returns them with the
// callable, which stays on the stack to be replaced by the result.
func (m *machine) popCall(withKwargs bool) (callable, args, kwargs int32, err error) {
	kwargs = -1
	if withKwargs {
		if kwargs, err = m.pop(); err != nil {
			return
		}
	}
	if args, err = m.pop(); err != nil {
		return
	}
	if callable, err = m.peek(); err != nil {
		return
	}
	if m.nodes[m.resolve(args)].kind != nTuple {
		err = m.syntaxError(m.op2name() + " arguments must be a tuple, not " + m.kindName(args))
	} else if withKwargs && m.nodes[m.resolve(kwargs)].kind != nDict {
		err = m.syntaxError(m.op2name() + " keyword arguments must be a dict, not " + m.kindName(kwargs))
	}
	return
}

func (m *machine) loadReduce() error {
	callable, args, _, err := m.popCall(false)
	if err != nil {
		return err
	}
	if g, ok := m.globalOf(callable); ok {
		if ctor := m.res.builtins[g]; ctor != ctorNone {
			n, err := m.construct(ctor, g, m.children(m.resolve(args)))
			if err != nil {
				return err
			}
			m.stack[len(m.stack)-1] = n
			return nil
		}
	}
	return m.replaceWithObject(callable, args, -1)
}

func (m *machine) loadNewobj() error {
	cls, args, kwargs, err := m.popCall(m.op == opNewobjEx)
	if err != nil {
		return err
	}
	return m.replaceWithObject(cls, args, kwargs)
}

func (m *machine) loadInst() error {
	module, name, err := m.readGlobalName()
	if err != nil {
		return err
	}
	items, err := m.popMark()
	if err != nil {
		return err
	}
	args := m.newNode(nTuple)
	if err := m.linkAll(args, items); err != nil {
		return err
	}
	if err := m.findClass(module, name); err != nil {
		return err
	}
	return m.replaceWithObject(m.stack[len(m.stack)-1], args, -1)
}

func (m *machine) loadObj() error {
	items, err := m.popMark()
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return m.stackUnderflow()
	}
	cls := items[0]
	args := m.newNode(nTuple)
	if err := m.linkAll(args, items[1:]); err != nil {
		return err
	}
	m.push(cls)
	return m.replaceWithObject(cls, args, -1)
}

// replaceWithObject replaces the callable on top of the stack by an object
// node built by calling it. In strict mode only registered classes and
// functions get here; the binder makes Go values of them (or inert
// *Object values with KeepUnknown).
func (m *machine) replaceWithObject(callable, args, kwargs int32) error {
	g, isGlobal := m.globalOf(callable)
	if ctor := m.res.builtins[g]; isGlobal && ctor != ctorNone {
		return m.instantiateBuiltin(ctor, g, args, kwargs)
	}
	switch m.nodes[m.resolve(callable)].kind {
	case nGlobal, nObject, nPersistent:
	default: // None, numbers, text, containers: nothing to call, even inert
		return m.syntaxError(m.op2name() + " calls a " + m.kindName(callable) + ", which is not callable")
	}
	if !m.cfg.keepUnknown && !(isGlobal && m.callable(g, args)) {
		if !isGlobal {
			return m.syntaxError(m.op2name() + " calls a " + m.kindName(callable) + ", not a class or function")
		}
		return &GlobalError{Module: g.Module, Name: g.Name, Msg: "cannot be called with " + m.op2name(), Op: opName(m.op), Offset: m.offset()}
	}
	n := m.newNode(nObject)
	m.nodes[n].a = int64(len(m.objects))
	obj := objectNode{callable: m.ref(callable), build: m.op, args: m.ref(args), kwargs: -1}
	m.markHeld(obj.callable)
	m.markHeld(obj.args)
	if kwargs >= 0 {
		obj.kwargs = m.ref(kwargs)
		m.markHeld(obj.kwargs)
	}
	m.objects = append(m.objects, obj)
	m.stack[len(m.stack)-1] = n
	return nil
}

// markHeld records that node n is referred to by an object node.
func (m *machine) markHeld(n int32) {
	m.nodes[n].flags |= flagLinked
}

// loadBuild runs BUILD: state goes to an object; on anything else only an
// empty state is accepted (Python would set attributes it cannot have).
func (m *machine) loadBuild() error {
	state, err := m.pop()
	if err != nil {
		return err
	}
	inst, err := m.peek()
	if err != nil {
		return err
	}
	target := m.resolve(inst)
	if m.nodes[target].kind == nObject {
		o := &m.objects[m.nodes[target].a]
		s := m.ref(state)
		m.markHeld(s)
		o.states = append(o.states, s)
		return nil
	}
	if m.emptyState(state, true) {
		return nil
	}
	return m.syntaxError("BUILD on a " + m.kindName(inst) + ", which cannot take state")
}

// emptyState reports whether BUILD with this state asks nothing of an
// object without __setstate__ or __dict__, by the rules of CPython's C
// unpickler: a state of None, or a (None, slots) pair whose slots dict is
// empty. Any other state, even an empty dict, needs the object's __dict__.
func (m *machine) emptyState(n int32, top bool) bool {
	nd := &m.nodes[m.resolve(n)]
	switch nd.kind {
	case nNone:
		return top
	case nTuple:
		if nd.count != 2 || !top {
			return false
		}
		slots := &m.nodes[m.resolve(m.nodes[nd.first].next)]
		return m.nodes[m.resolve(nd.first)].kind == nNone && slots.kind == nDict && slots.count == 0
	}
	return false
}

// --- built-in constructors ---------------------------------------------------

// construct evaluates a built-in constructor on its argument nodes and
// returns the node of the result.
func (m *machine) construct(ctor builtinCtor, g Global, args []int32) (int32, error) {
	bad := func() (int32, error) {
		return -1, &GlobalError{Module: g.Module, Name: g.Name, Msg: "called with unsupported arguments " + m.describeArgs(args), Op: opName(m.op), Offset: m.offset()}
	}
	for i := range args {
		args[i] = m.resolve(args[i])
	}
	switch ctor {
	case ctorSet, ctorFrozenSet:
		k := nSet
		if ctor == ctorFrozenSet {
			k = nFrozenSet
		}
		n := m.newNode(k)
		if len(args) == 0 {
			return n, nil
		}
		if len(args) != 1 {
			return bad()
		}
		src := args[0]
		switch m.nodes[src].kind {
		case nList, nTuple, nSet, nFrozenSet:
		default:
			return bad()
		}
		count := int64(m.nodes[src].count)
		if m.nodes[src].flags&flagFrom != 0 {
			src, count = int32(m.nodes[src].a), m.nodes[src].b
		}
		nd := &m.nodes[n]
		nd.flags |= flagFrom
		nd.a, nd.b = int64(src), count
		nd.count = int32(count)
		m.nodes[src].flags |= flagShared
		return n, nil
	case ctorGetattr:
		// getattr(Outer, 'Inner') names the nested class Outer.Inner, which
		// must itself be allowed; nothing else is looked up.
		if len(args) != 2 {
			return bad()
		}
		parent, ok1 := m.globalOf(args[0])
		attr, ok2 := m.textOf(args[1])
		if !ok1 || !ok2 {
			return bad()
		}
		if err := m.pushGlobal(Global{parent.Module, parent.Name + "." + attr}); err != nil {
			return -1, err
		}
		n, _ := m.pop()
		return n, nil
	case ctorComplex:
		var parts [2]float64
		if len(args) > 2 {
			return bad()
		}
		for i, a := range args {
			f, ok := m.realValue(a)
			if !ok {
				return bad()
			}
			parts[i] = f
		}
		n := m.newNode(nComplex)
		m.nodes[n].a, m.nodes[n].b = int64(floatBits(parts[0])), int64(floatBits(parts[1]))
		return n, nil
	case ctorBytes, ctorByteArray, ctorEncode:
		k := nBytes
		if ctor == ctorByteArray {
			k = nByteArray
		}
		if len(args) == 0 && ctor != ctorEncode {
			return m.newSpanNode(k, 0, 0, flagSide), nil
		}
		if len(args) == 1 && ctor != ctorEncode {
			src := &m.nodes[args[0]]
			if src.kind != nBytes && src.kind != nByteArray {
				return bad()
			}
			return m.newSpanNode(k, src.a, src.b, src.flags&flagSide), nil
		}
		if len(args) == 0 || len(args) > 2 || m.nodes[args[0]].kind != nStr {
			return bad()
		}
		enc := "utf-8"
		if len(args) == 2 {
			e, ok := m.textOf(args[1])
			if !ok {
				return bad()
			}
			enc = e
		}
		b, err := encodeText(m.payload(args[0]), enc)
		if err != nil {
			return -1, &GlobalError{Module: g.Module, Name: g.Name, Msg: "called with " + err.Error(), Op: opName(m.op), Offset: m.offset()}
		}
		at := len(m.side)
		m.side = append(m.side, b...)
		return m.newSpanNode(k, int64(at), int64(len(b)), flagSide), nil
	}
	return bad()
}

func (m *machine) newSpanNode(k nodeKind, at, n int64, flags uint8) int32 {
	i := m.newNode(k)
	m.nodes[i].a, m.nodes[i].b, m.nodes[i].flags = at, n, flags
	return i
}

// realValue returns the value of an int or float node as float64.
func (m *machine) realValue(n int32) (float64, bool) {
	nd := &m.nodes[n]
	switch nd.kind {
	case nInt:
		return float64(nd.a), true
	case nBool:
		return float64(nd.a), true
	case nFloat:
		return bitsFloat(uint64(nd.a)), true
	case nBig:
		f, _ := new(bigFloat).SetInt(m.bigs[nd.a]).Float64()
		return f, true
	}
	return 0, false
}

// encodeText encodes text (WTF-8) with a codec Go can do without tables.
func encodeText(text []byte, enc string) ([]byte, error) {
	switch strings.ToLower(strings.ReplaceAll(enc, "_", "-")) {
	case "latin1", "latin-1", "iso-8859-1", "iso8859-1", "l1":
		out := make([]byte, 0, len(text))
		for _, r := range string(text) {
			if r > 0xFF {
				return nil, errorString("text that is not Latin-1")
			}
			out = append(out, byte(r))
		}
		return out, nil
	case "utf-8", "utf8":
		if !utf8.Valid(text) {
			return nil, errorString("text with surrogates for UTF-8")
		}
		return append([]byte(nil), text...), nil
	case "ascii":
		for _, c := range text {
			if c >= utf8.RuneSelf {
				return nil, errorString("text that is not ASCII")
			}
		}
		return append([]byte(nil), text...), nil
	}
	return nil, errorString("encoding " + quote(enc) + ", which is not supported")
}

type errorString string

func (e errorString) Error() string { return string(e) }

// describeArgs renders argument kinds for an error message.
func (m *machine) describeArgs(args []int32) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = m.kindName(a)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// instantiateBuiltin runs NEWOBJ, NEWOBJ_EX, INST or OBJ on a built-in
// type the way CPython does: INST and OBJ call the class with the
// arguments (or __new__ without any, which gives the same empty value);
// NEWOBJ calls only __new__, which ignores its arguments for set and
// bytearray and uses them for frozenset, bytes and complex.
func (m *machine) instantiateBuiltin(ctor builtinCtor, g Global, args, kwargs int32) error {
	argNodes := m.children(m.resolve(args))
	if m.op == opNewobj || m.op == opNewobjEx {
		switch ctor {
		case ctorEncode, ctorGetattr:
			return &GlobalError{Module: g.Module, Name: g.Name, Msg: "is not a class (" + m.op2name() + ")", Op: opName(m.op), Offset: m.offset()}
		case ctorSet, ctorByteArray:
			argNodes = nil
		}
		if kwargs >= 0 && m.nodes[m.resolve(kwargs)].count > 0 {
			var ok bool
			if argNodes, ok = m.keywordsAsPositional(ctor, argNodes, m.resolve(kwargs)); !ok {
				return &GlobalError{Module: g.Module, Name: g.Name, Msg: "called with unsupported keyword arguments", Op: opName(m.op), Offset: m.offset()}
			}
		}
	}
	n, err := m.construct(ctor, g, argNodes)
	if err != nil {
		return err
	}
	m.stack[len(m.stack)-1] = n
	return nil
}

// keywordParams are the keyword parameters of the built-in types that take
// any, in positional order.
var keywordParams = map[builtinCtor][]string{
	ctorComplex: {"real", "imag"},
	ctorBytes:   {"source", "encoding"},
}

// keywordsAsPositional merges the keyword arguments of dict node kw into
// the positional ones, as Python binds them.
func (m *machine) keywordsAsPositional(ctor builtinCtor, args []int32, kw int32) ([]int32, bool) {
	params := keywordParams[ctor]
	out := make([]int32, len(params))
	for i := range out {
		out[i] = -1
	}
	if len(args) > len(params) {
		return nil, false
	}
	copy(out, args)
	for k := m.nodes[kw].first; k >= 0; k = m.nodes[m.nodes[k].next].next {
		name, ok := m.textOf(k)
		if !ok {
			return nil, false
		}
		i := indexOf(params, name)
		if i < 0 || out[i] >= 0 {
			return nil, false
		}
		out[i] = m.nodes[k].next
	}
	n := len(out)
	for n > 0 && out[n-1] < 0 {
		n--
	}
	for _, a := range out[:n] {
		if a < 0 {
			return nil, false // a gap: an earlier parameter is missing
		}
	}
	return out[:n], true
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
