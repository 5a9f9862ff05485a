package pickle

import (
	"math/big"
	"reflect"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// This file writes the containers and the generic model types (Tuple,
// *List, *Dict, *Set, *FrozenSet, *ByteArray, Global, *Object) in the shapes
// CPython's save_tuple, save_list, save_dict, save_set, save_frozenset,
// save_global and save_reduce give them.

// encodeAny writes any Go value: the model types directly, everything else
// through the compiled encoder of its type.
func (e *encodeState) encodeAny(v any) error {
	e.boundary()
	if e.cfg.persistentID != nil && !e.persisting {
		if done, err := e.checkPersistentID(v); done {
			return err
		}
	}
	switch x := v.(type) {
	case nil:
		e.writeNone()
		return nil
	case bool:
		e.writeBool(x)
		return nil
	case int64:
		e.writeInt(x)
		return nil
	case int:
		e.writeInt(int64(x))
		return nil
	case float64:
		e.writeFloat(x)
		return nil
	case string:
		return e.writeString(x)
	case []byte:
		return e.writeBytes(x, true)
	case Tuple:
		return e.writeTupleValue(x)
	case *List:
		if x == nil {
			e.writeNone()
			return nil
		}
		return e.writeList(x)
	case *Dict:
		if x == nil {
			e.writeNone()
			return nil
		}
		return e.writeDict(x)
	case []any:
		return e.writeAnySlice(x, reflect.TypeFor[[]any]())
	case *PickleBuffer:
		if x == nil {
			e.writeNone()
			return nil
		}
		return e.writePickleBuffer(x)
	case map[string]any:
		return e.encodeReflect(reflect.ValueOf(x))
	case *Set:
		if x == nil {
			e.writeNone()
			return nil
		}
		return e.writeSet(x)
	case *FrozenSet:
		if x == nil {
			e.writeNone()
			return nil
		}
		return e.writeFrozenSet(x)
	case *ByteArray:
		if x == nil {
			e.writeNone()
			return nil
		}
		return e.writeByteArray(x.Bytes, memoKey{p: unsafe.Pointer(x), kind: memoPtr}, true)
	case Global:
		return e.writeGlobal(x)
	case *Object:
		if x == nil {
			e.writeNone()
			return nil
		}
		return e.writeObject(x)
	case *big.Int:
		if x == nil {
			e.writeNone()
			return nil
		}
		e.writeBigInt(x)
		return nil
	case complex128:
		return e.writeComplex(x)
	}
	return e.encodeReflect(reflect.ValueOf(v))
}

// encodeReflect writes v with the compiled encoder of its type.
func (e *encodeState) encodeReflect(v reflect.Value) error {
	return typeEncoder(v.Type())(e, v)
}

// ---- batches ----

// batchMode selects one of the C pickler's three batching loops.
type batchMode uint8

const (
	// batchListExact is batch_list_exact (a list): APPEND for a list of one
	// item, else MARK ... APPENDS per 1000 items, even for a last batch of
	// one.
	batchListExact batchMode = iota
	// batchDictExact is batch_dict_exact (a dict): as batchListExact, but a
	// dict whose size is a multiple of 1000 ends with an empty MARK
	// SETITEMS.
	batchDictExact
	// batchIter is batch_list and batch_dict (the items of a reduce
	// iterator) and pickle.py's loops: a last batch of one item gets APPEND
	// or SETITEM.
	batchIter
)

// batchAppends writes the n items of a list; item(i) is called for i = 0
// to n-1 in order. At protocol 0 each item gets its own APPEND.
func (e *encodeState) batchAppends(n int, item func(i int) error) error {
	return e.batch(n, opAppend, opAppends, item, batchListExact)
}

// batchSetitems writes the n items of a dict: item(i) writes a key and its
// value.
func (e *encodeState) batchSetitems(n int, item func(i int) error) error {
	return e.batch(n, opSetitem, opSetitems, item, batchDictExact)
}

// batch writes n items in batches of 1000 as the mode says.
func (e *encodeState) batch(n int, one, many byte, item func(i int) error, mode batchMode) error {
	if e.proto == 0 {
		for i := 0; i < n; i++ {
			if err := item(i); err != nil {
				return err
			}
			e.op(one)
		}
		return nil
	}
	if n == 0 {
		return nil
	}
	for start := 0; ; start += batchSize {
		end := min(start+batchSize, n)
		if end-start == 1 && (mode == batchIter || n == 1) {
			if err := item(start); err != nil {
				return err
			}
			e.op(one)
			return nil
		}
		if end > start || mode == batchDictExact {
			e.op(opMark)
			for i := start; i < end; i++ {
				if err := item(i); err != nil {
					return err
				}
			}
			e.op(many)
		}
		if end-start < batchSize || (end == n && mode != batchDictExact) {
			return nil
		}
	}
}

// ---- tuples ----

// writeEmptyTuple writes (), which CPython never memoizes.
func (e *encodeState) writeEmptyTuple() {
	if e.proto >= 1 {
		e.op(opEmptyTuple)
		return
	}
	e.buf = append(e.buf, opMark, opTuple)
}

// writeTuple writes a tuple of n items as save_tuple does, including its
// handling of a tuple that became memoized while its items were written
// (a recursive tuple). The caller has checked the memo for k.
func (e *encodeState) writeTuple(n int, item func(i int) error, k memoKey, hasKey bool) error {
	if n == 0 {
		e.writeEmptyTuple()
		return nil
	}
	if err := e.enter(); err != nil {
		return err
	}
	short := n <= 3 && e.proto >= 2
	if !short {
		e.op(opMark)
	}
	for i := 0; i < n; i++ {
		if err := item(i); err != nil {
			return err
		}
	}
	e.leave()
	if hasKey {
		if idx, ok := e.memoized(k); ok {
			switch {
			case short:
				for i := 0; i < n; i++ {
					e.op(opPop)
				}
			case e.proto >= 1:
				e.op(opPopMark)
			default:
				for i := 0; i <= n; i++ {
					e.op(opPop)
				}
			}
			e.get(idx)
			return nil
		}
	}
	if short {
		e.op(opTuple1 + byte(n-1))
	} else {
		e.op(opTuple)
	}
	if hasKey {
		e.memoizeKey(k)
	} else {
		e.memoize()
	}
	return nil
}

// writeTransientTuple1 writes a one-item tuple made on the fly (the
// argument tuple of a reduce), as save(args) does.
func (e *encodeState) writeTransientTuple1(a func() error) error {
	e.boundary()
	return e.writeTuple(1, func(int) error { return a() }, memoKey{}, false)
}

// writeTransientTuple2 writes a two-item tuple made on the fly.
func (e *encodeState) writeTransientTuple2(a, b func() error) error {
	e.boundary()
	return e.writeTuple(2, func(i int) error {
		if i == 0 {
			return a()
		}
		return b()
	}, memoKey{}, false)
}

// sliceKey is the memo identity of a non-empty slice of type t.
func sliceKey(p unsafe.Pointer, n int, t reflect.Type) memoKey {
	return memoKey{p: p, n: n, t: typeID(t), kind: memoSlice}
}

var encTupleType = reflect.TypeFor[Tuple]()

// writeTupleValue writes a Tuple; a non-empty one is memoized by identity.
func (e *encodeState) writeTupleValue(t Tuple) error {
	if len(t) == 0 {
		e.writeEmptyTuple()
		return nil
	}
	k := sliceKey(unsafe.Pointer(unsafe.SliceData(t)), len(t), encTupleType)
	if e.getMemo(k) {
		return nil
	}
	return e.writeTuple(len(t), func(i int) error {
		if err := e.encodeAny(t[i]); err != nil {
			return withPath(err, indexSeg(i))
		}
		return nil
	}, k, true)
}

// ---- lists ----

// writeListHead starts a list: EMPTY_LIST (MARK LIST at protocol 0), then
// its memo entry, before the items, so that the items can refer to it.
func (e *encodeState) writeListHead(k memoKey, hasKey bool) {
	if e.proto >= 1 {
		e.op(opEmptyList)
	} else {
		e.buf = append(e.buf, opMark, opList)
	}
	if hasKey {
		e.memoizeKey(k)
	} else {
		e.memoize()
	}
}

// writeItems writes the items of a list of any.
func (e *encodeState) writeItems(items []any) error {
	if err := e.enter(); err != nil {
		return err
	}
	err := e.batchAppends(len(items), func(i int) error {
		if err := e.encodeAny(items[i]); err != nil {
			return withPath(err, indexSeg(i))
		}
		return nil
	})
	e.leave()
	return err
}

func (e *encodeState) writeList(l *List) error {
	k := memoKey{p: unsafe.Pointer(l), kind: memoPtr}
	if e.getMemo(k) {
		return nil
	}
	e.writeListHead(k, true)
	if err := e.writeItems(l.Items); err != nil {
		return withPath(err, ".Items")
	}
	return nil
}

// writeAnySlice writes a []any (or a named type of it) as a list.
func (e *encodeState) writeAnySlice(s []any, t reflect.Type) error {
	if len(s) == 0 {
		e.writeListHead(memoKey{}, false)
		return nil
	}
	k := sliceKey(unsafe.Pointer(unsafe.SliceData(s)), len(s), t)
	if e.getMemo(k) {
		return nil
	}
	e.writeListHead(k, true)
	return e.writeItems(s)
}

// ---- dicts ----

// writeDictHead starts a dict: EMPTY_DICT (MARK DICT at protocol 0), then
// its memo entry.
func (e *encodeState) writeDictHead(k memoKey, hasKey bool) {
	if e.proto >= 1 {
		e.op(opEmptyDict)
	} else {
		e.buf = append(e.buf, opMark, opDict)
	}
	if hasKey {
		e.memoizeKey(k)
	} else {
		e.memoize()
	}
}

// liveEntries returns the entries of t that are not deleted.
func liveEntries(t *table) []entry {
	if t.live == len(t.entries) {
		return t.entries
	}
	out := make([]entry, 0, t.live)
	for _, en := range t.entries {
		if !en.deleted {
			out = append(out, en)
		}
	}
	return out
}

func (e *encodeState) writeDict(d *Dict) error {
	k := memoKey{p: unsafe.Pointer(d), kind: memoPtr}
	if e.getMemo(k) {
		return nil
	}
	e.writeDictHead(k, true)
	if err := e.enter(); err != nil {
		return err
	}
	entries := liveEntries(&d.t)
	err := e.batchSetitems(len(entries), func(i int) error {
		en := &entries[i]
		if err := e.encodeAny(en.key); err != nil {
			return withPath(err, keySeg(en.key))
		}
		if err := e.encodeAny(en.val); err != nil {
			return withPath(err, keySeg(en.key))
		}
		return nil
	})
	e.leave()
	return err
}

// ---- sets ----

// writeSetOf writes a set of n members, as save_set does: EMPTY_SET and
// ADDITEMS batches at protocol 4+, builtins.set([...]) below.
func (e *encodeState) writeSetOf(n int, member func(i int) error, k memoKey, hasKey bool) error {
	if hasKey && e.getMemo(k) {
		return nil
	}
	if e.proto < 4 {
		return e.writeSetReduce("set", n, member, k, hasKey)
	}
	e.op(opEmptySet)
	if hasKey {
		e.memoizeKey(k)
	} else {
		e.memoize()
	}
	if err := e.enter(); err != nil {
		return err
	}
	// The C pickler's loop: a set whose size is a multiple of 1000 ends
	// with an empty MARK ADDITEMS.
	for start := 0; n > 0; start += batchSize {
		end := min(start+batchSize, n)
		e.op(opMark)
		for i := start; i < end; i++ {
			if err := member(i); err != nil {
				return err
			}
		}
		e.op(opAdditems)
		if end-start < batchSize {
			break
		}
	}
	e.leave()
	return nil
}

// writeFrozenSetOf writes a frozenset as save_frozenset does.
func (e *encodeState) writeFrozenSetOf(n int, member func(i int) error, k memoKey, hasKey bool) error {
	if hasKey && e.getMemo(k) {
		return nil
	}
	if e.proto < 4 {
		return e.writeSetReduce("frozenset", n, member, k, hasKey)
	}
	if err := e.enter(); err != nil {
		return err
	}
	e.op(opMark)
	for i := 0; i < n; i++ {
		if err := member(i); err != nil {
			return err
		}
	}
	e.leave()
	if hasKey {
		if idx, ok := e.memoized(k); ok {
			e.op(opPopMark)
			e.get(idx)
			return nil
		}
		e.op(opFrozenset)
		e.memoizeKey(k)
		return nil
	}
	e.op(opFrozenset)
	e.memoize()
	return nil
}

// writeSetReduce writes builtins.set([...]) or builtins.frozenset([...]).
func (e *encodeState) writeSetReduce(name string, n int, member func(i int) error, k memoKey, hasKey bool) error {
	if err := e.writeGlobal(Global{"builtins", name}); err != nil {
		return err
	}
	err := e.writeTransientTuple1(func() error {
		e.boundary()
		e.writeListHead(memoKey{}, false)
		if err := e.enter(); err != nil {
			return err
		}
		err := e.batchAppends(n, member)
		e.leave()
		return err
	})
	if err != nil {
		return err
	}
	e.op(opReduce)
	e.afterBuild(k, hasKey)
	return nil
}

// tableMember returns a member function over the live entries of t.
func (e *encodeState) tableMember(t *table) (int, func(i int) error) {
	entries := liveEntries(t)
	return len(entries), func(i int) error {
		if err := e.encodeAny(entries[i].key); err != nil {
			return withPath(err, indexSeg(i))
		}
		return nil
	}
}

func (e *encodeState) writeSet(s *Set) error {
	n, member := e.tableMember(&s.t)
	return e.writeSetOf(n, member, memoKey{p: unsafe.Pointer(s), kind: memoPtr}, true)
}

func (e *encodeState) writeFrozenSet(f *FrozenSet) error {
	n, member := e.tableMember(&f.t)
	return e.writeFrozenSetOf(n, member, memoKey{p: unsafe.Pointer(f), kind: memoPtr}, true)
}

// ---- globals ----

// writeGlobal writes a class or function reference as save_global does,
// memoized by name: STACK_GLOBAL at protocol 4+, GLOBAL below (with Python
// 2 names at protocols 0 to 2 when FixImports is on), and getattr(parent,
// name) for a dotted name below protocol 4.
func (e *encodeState) writeGlobal(g Global) error {
	e.boundary()
	if idx, ok := e.globals[g]; ok {
		e.get(idx)
		return nil
	}
	if err := checkGlobal(g, e.proto); err != nil {
		return err
	}
	if code, ok := e.cfg.extByGlobal[g]; ok && e.proto >= 2 {
		e.writeExt(code) // save_global writes extensions without memoizing
		return nil
	}
	dot := strings.LastIndexByte(g.Name, '.')
	switch {
	case e.proto >= 4:
		e.writeGlobalString(g.Module, g.Module)
		e.writeGlobalString(g.Name, "\x00"+g.Name) // names are not shared with modules
		e.op(opStackGlobal)
	case dot >= 0:
		if err := e.writeGlobal(Global{"builtins", "getattr"}); err != nil {
			return err
		}
		parent, last := Global{g.Module, g.Name[:dot]}, g.Name[dot+1:]
		err := e.writeTransientTuple2(func() error { return e.writeGlobal(parent) }, func() error {
			e.boundary()
			if err := e.writeStrBody(last); err != nil {
				return err
			}
			e.memoize()
			return nil
		})
		if err != nil {
			return err
		}
		e.op(opReduce)
	default:
		mod, name := g.Module, g.Name
		if e.proto < 3 && e.cfg.fixImports {
			mod, name = py2Name(mod, name)
		}
		e.buf = append(e.buf, opGlobal)
		e.buf = append(e.buf, mod...)
		e.buf = append(e.buf, '\n')
		e.buf = append(e.buf, name...)
		e.buf = append(e.buf, '\n')
	}
	idx := e.memoize()
	if e.globals == nil {
		e.globals = make(map[Global]int)
	}
	e.globals[g] = idx
	return nil
}

// py2Name maps a Python 3 module and name to the Python 2 ones, as
// save_global does with fix_imports.
func py2Name(mod, name string) (string, string) {
	if r, ok := reverseNameMapping[[2]string{mod, name}]; ok {
		return r[0], r[1]
	}
	if m, ok := reverseImportMapping[mod]; ok {
		return m, name
	}
	return mod, name
}

// checkGlobal rejects names that cannot be written: empty ones, names with
// a newline (GLOBAL is line based), non-ASCII names below protocol 3.
func checkGlobal(g Global, proto int) error {
	bad := ""
	switch {
	case g.Module == "" || g.Name == "":
		bad = "empty module or name"
	case strings.ContainsAny(g.Module, "\n\r") || strings.ContainsAny(g.Name, "\n\r"):
		bad = "newline in module or name"
	case !utf8.ValidString(g.Module) || !utf8.ValidString(g.Name):
		bad = "module or name is not valid UTF-8"
	case proto < 3 && (!isASCII(g.Module) || !isASCII(g.Name)):
		bad = "non-ASCII module or name needs protocol 3"
	}
	if bad != "" {
		return &UnsupportedTypeError{GoType: encGlobalType, Msg: "global " + quote(g.String()) + ": " + bad}
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// writeGlobalString writes a module or name string of STACK_GLOBAL. CPython
// interns these, so equal strings are one object: memoized by value.
func (e *encodeState) writeGlobalString(s, key string) {
	e.boundary()
	if idx, ok := e.gstrings[key]; ok {
		e.get(idx)
		return
	}
	_ = e.writeUTF8(s) // checkGlobal validated it; it is short
	idx := e.memoize()
	if e.gstrings == nil {
		e.gstrings = make(map[string]int)
	}
	e.gstrings[key] = idx
}

// ---- objects ----

var (
	encGlobalType = reflect.TypeFor[Global]()
	objectType    = reflect.TypeFor[*Object]()
	stringType    = reflect.TypeFor[string]()
	bytesType     = reflect.TypeFor[[]byte]()
)

// writeObject writes an inert object back with the construction it was
// decoded from, in save_reduce's order: the call, the memo entry, list
// items, dict items, then the state and BUILD.
func (e *encodeState) writeObject(o *Object) error {
	k := memoKey{p: unsafe.Pointer(o), kind: memoPtr}
	if e.getMemo(k) {
		return nil
	}
	return e.writeObjectAs(o, k, true)
}

// writeObjectAs writes o memoized under k (an object without identity when
// hasKey is false).
func (e *encodeState) writeObjectAs(o *Object, k memoKey, hasKey bool) error {
	if err := e.enter(); err != nil {
		return err
	}
	if err := e.writeConstruction(o); err != nil {
		return err
	}
	e.afterBuild(k, hasKey)
	if len(o.ListItems) > 0 {
		items := o.ListItems
		err := e.batch(len(items), opAppend, opAppends, func(i int) error {
			if err := e.encodeAny(items[i]); err != nil {
				return withPath(err, ".ListItems"+indexSeg(i))
			}
			return nil
		}, batchIter)
		if err != nil {
			return err
		}
	}
	if len(o.DictItems)%2 != 0 {
		return &UnsupportedTypeError{GoType: objectType, Msg: "DictItems has an odd number of entries"}
	}
	if len(o.DictItems) > 0 {
		items := o.DictItems
		err := e.batch(len(items)/2, opSetitem, opSetitems, func(i int) error {
			for j := 2 * i; j < 2*i+2; j++ {
				if err := e.encodeAny(items[j]); err != nil {
					return withPath(err, ".DictItems"+indexSeg(j))
				}
			}
			return nil
		}, batchIter)
		if err != nil {
			return err
		}
	}
	if o.HasState {
		if err := e.encodeAny(o.State); err != nil {
			return withPath(err, ".State")
		}
		e.op(opBuild)
	}
	e.leave()
	return nil
}

// writeConstruction writes the opcodes that make the object, up to and
// including REDUCE, NEWOBJ, NEWOBJ_EX, INST or OBJ.
func (e *encodeState) writeConstruction(o *Object) error {
	args := func() error {
		if err := e.writeTupleValue(o.Args); err != nil {
			return withPath(err, ".Args")
		}
		return nil
	}
	callable := func() error {
		if err := e.encodeAny(o.Callable); err != nil {
			return withPath(err, ".Callable")
		}
		return nil
	}
	switch o.Build {
	case "REDUCE", "":
		if err := callable(); err != nil {
			return err
		}
		e.boundary()
		if err := args(); err != nil {
			return err
		}
		e.op(opReduce)
	case "NEWOBJ":
		if e.proto < 2 {
			// What save_reduce writes for copyreg.__newobj__ below protocol 2.
			return e.writeCopyregCall("__newobj__", append(Tuple{o.Callable}, o.Args...))
		}
		if err := callable(); err != nil {
			return err
		}
		e.boundary()
		if err := args(); err != nil {
			return err
		}
		e.op(opNewobj)
	case "NEWOBJ_EX":
		kwargs := o.Kwargs
		if kwargs == nil {
			kwargs = NewDict()
		}
		if e.proto < 4 {
			return e.writeCopyregCall("__newobj_ex__", Tuple{o.Callable, o.Args, kwargs})
		}
		if err := callable(); err != nil {
			return err
		}
		e.boundary()
		if err := args(); err != nil {
			return err
		}
		if err := e.encodeAny(kwargs); err != nil {
			return withPath(err, ".Kwargs")
		}
		e.op(opNewobjEx)
	case "INST":
		return e.writeInst(o)
	case "OBJ":
		e.op(opMark)
		if err := callable(); err != nil {
			return err
		}
		if err := e.writeArgItems(o.Args); err != nil {
			return err
		}
		e.op(opObj)
	default:
		return &UnsupportedTypeError{GoType: objectType, Msg: "unknown Build " + quote(o.Build)}
	}
	return nil
}

// writeCopyregCall writes copyreg.NAME(*args) with REDUCE.
func (e *encodeState) writeCopyregCall(name string, args Tuple) error {
	if err := e.writeGlobal(Global{"copyreg", name}); err != nil {
		return err
	}
	e.boundary()
	if err := e.writeTuple(len(args), func(i int) error { return e.encodeAny(args[i]) }, memoKey{}, false); err != nil {
		return err
	}
	e.op(opReduce)
	return nil
}

// writeInst writes MARK args INST module name, the protocol 0 instance
// opcode of Python 2 classic classes.
func (e *encodeState) writeInst(o *Object) error {
	g, ok := o.Callable.(Global)
	if !ok {
		return &UnsupportedTypeError{GoType: objectType, Msg: "INST needs a Global callable"}
	}
	if err := checkGlobal(g, e.proto); err != nil {
		return err
	}
	e.op(opMark)
	if err := e.writeArgItems(o.Args); err != nil {
		return err
	}
	mod, name := g.Module, g.Name
	if e.proto < 3 && e.cfg.fixImports {
		mod, name = py2Name(mod, name)
	}
	e.buf = append(e.buf, opInst)
	e.buf = append(e.buf, mod...)
	e.buf = append(e.buf, '\n')
	e.buf = append(e.buf, name...)
	e.buf = append(e.buf, '\n')
	return nil
}

// writeArgItems writes the arguments of INST and OBJ one by one.
func (e *encodeState) writeArgItems(args Tuple) error {
	for i, a := range args {
		if err := e.encodeAny(a); err != nil {
			return withPath(err, ".Args"+indexSeg(i))
		}
	}
	return nil
}

// writeExt writes a registered extension code.
func (e *encodeState) writeExt(code int32) {
	switch {
	case code <= 0xff:
		e.op1(opExt1, byte(code))
	case code <= 0xffff:
		e.buf = append(e.buf, opExt2, byte(code), byte(code>>8))
	default:
		e.opUint32(opExt4, uint32(code))
	}
}
