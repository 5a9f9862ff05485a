package pickle

import (
	"math/big"
	"reflect"
	"sync"
	"time"
	"unsafe"
)

// This file compiles one encoder function per Go type, once, and caches it
// in a sync.Map, as encoding/json does. Recursive types get an indirect
// function while their encoder is being built.

// encoderFunc writes the Python form of v. Every encoder starts with the
// per-save frame check (boundary), as each save() does in CPython.
type encoderFunc func(e *encodeState, v reflect.Value) error

var encoderCache sync.Map // reflect.Type -> encoderFunc

// typeEncoder returns the cached encoder of t, building it on first use.
func typeEncoder(t reflect.Type) encoderFunc {
	if f, ok := encoderCache.Load(t); ok {
		return f.(encoderFunc)
	}
	// Store an indirect encoder first so that a recursive type finds it
	// while its own encoder is being compiled.
	var (
		wg   sync.WaitGroup
		real encoderFunc
	)
	wg.Add(1)
	indirect := encoderFunc(func(e *encodeState, v reflect.Value) error {
		wg.Wait()
		return real(e, v)
	})
	if f, loaded := encoderCache.LoadOrStore(t, indirect); loaded {
		return f.(encoderFunc)
	}
	real = withPersistentID(newTypeEncoder(t, hintNone))
	wg.Done()
	encoderCache.Store(t, real)
	return real
}

type hintedKey struct {
	t    reflect.Type
	hint typeHint
}

var hintedCache sync.Map // hintedKey -> encoderFunc

// hintedEncoder returns the encoder of a struct field with a type hint
// (tuple, set, frozenset, bytearray).
func hintedEncoder(t reflect.Type, hint typeHint) encoderFunc {
	if hint == hintNone {
		return typeEncoder(t)
	}
	k := hintedKey{t, hint}
	if f, ok := hintedCache.Load(k); ok {
		return f.(encoderFunc)
	}
	f, _ := hintedCache.LoadOrStore(k, withPersistentID(newTypeEncoder(t, hint)))
	return f.(encoderFunc)
}

var (
	listPtrType      = reflect.TypeFor[*List]()
	setPtrType       = reflect.TypeFor[*Set]()
	frozenSetPtrType = reflect.TypeFor[*FrozenSet]()
	byteArrayPtrType = reflect.TypeFor[*ByteArray]()
	bigIntPtrType    = reflect.TypeFor[*big.Int]()
	encBigIntType    = reflect.TypeFor[big.Int]()
	timeType         = reflect.TypeFor[time.Time]()
	bigFloatType     = reflect.TypeFor[big.Float]()
	bigRatType       = reflect.TypeFor[big.Rat]()
)

// newTypeEncoder builds the encoder of t, with a struct field's type hint.
func newTypeEncoder(t reflect.Type, hint typeHint) encoderFunc {
	if hint != hintNone {
		return newHintedEncoder(t, hint)
	}
	if enc := hookEncoder(t); enc != nil {
		return enc
	}
	switch t {
	case listPtrType, dictPtrType, setPtrType, frozenSetPtrType, byteArrayPtrType, pickleBufferPtrType,
		objectType, bigIntPtrType, encGlobalType, encTupleType:
		return encodeModelValue
	case encBigIntType:
		return encodeBigIntValue
	case timeType, bigFloatType, bigRatType:
		return unsupportedEncoder(t, "no pickle form (no reduction is registered for it)")
	}
	if isNamedScalar(t) {
		return withEnumBinding(t, newScalarEncoder(t))
	}
	return newScalarEncoder(t)
}

// newScalarEncoder builds the encoder of t by its kind.
func newScalarEncoder(t reflect.Type) encoderFunc {
	switch t.Kind() {
	case reflect.Bool:
		return func(e *encodeState, v reflect.Value) error {
			e.boundary()
			e.writeBool(v.Bool())
			return nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(e *encodeState, v reflect.Value) error {
			e.boundary()
			e.writeInt(v.Int())
			return nil
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(e *encodeState, v reflect.Value) error {
			e.boundary()
			e.writeUint(v.Uint())
			return nil
		}
	case reflect.Float32, reflect.Float64:
		return func(e *encodeState, v reflect.Value) error {
			e.boundary()
			e.writeFloat(v.Float())
			return nil
		}
	case reflect.Complex64, reflect.Complex128:
		return func(e *encodeState, v reflect.Value) error {
			e.boundary()
			return e.writeComplex(v.Complex())
		}
	case reflect.String:
		return func(e *encodeState, v reflect.Value) error {
			e.boundary()
			return e.writeString(v.String())
		}
	case reflect.Interface:
		return encodeInterface
	case reflect.Pointer:
		return newPointerEncoder(t)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return encodeByteSlice
		}
		return newSliceEncoder(t)
	case reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return encodeByteArrayValue
		}
		return newArrayEncoder(t)
	case reflect.Map:
		return newMapEncoder(t)
	case reflect.Struct:
		return newStructEncoder(t)
	}
	return unsupportedEncoder(t, "")
}

// unsupportedEncoder fails with an *UnsupportedTypeError for t.
func unsupportedEncoder(t reflect.Type, msg string) encoderFunc {
	return func(e *encodeState, v reflect.Value) error {
		return &UnsupportedTypeError{GoType: t, Msg: msg}
	}
}

// encodeModelValue writes the model types, which encodeAny knows.
func encodeModelValue(e *encodeState, v reflect.Value) error {
	return e.encodeAny(v.Interface())
}

func encodeBigIntValue(e *encodeState, v reflect.Value) error {
	e.boundary()
	if v.CanAddr() {
		e.writeBigInt(v.Addr().Interface().(*big.Int))
		return nil
	}
	x := v.Interface().(big.Int)
	e.writeBigInt(&x)
	return nil
}

func encodeInterface(e *encodeState, v reflect.Value) error {
	if v.IsNil() {
		e.boundary()
		e.writeNone()
		return nil
	}
	return e.encodeAny(v.Interface())
}

// newPointerEncoder follows the pointer; nil is None. A chain of pointers
// and interfaces with no container between them counts towards MaxDepth, so
// that a pointer cycle such as p = &p cannot recurse forever.
func newPointerEncoder(t reflect.Type) encoderFunc {
	ek := t.Elem().Kind()
	counts := ek == reflect.Pointer || ek == reflect.Interface
	var elem encoderFunc
	var once sync.Once
	return func(e *encodeState, v reflect.Value) error {
		if v.IsNil() {
			e.boundary()
			e.writeNone()
			return nil
		}
		once.Do(func() { elem = typeEncoder(t.Elem()) })
		if counts {
			if err := e.enter(); err != nil {
				return err
			}
			defer e.leave()
		}
		return elem(e, v.Elem())
	}
}

// encodeByteSlice writes a []byte (or any slice of a byte kind) as bytes.
func encodeByteSlice(e *encodeState, v reflect.Value) error {
	e.boundary()
	return e.writeBytes(v.Bytes(), true)
}

// encodeByteArrayValue writes a [N]byte as bytes, with the identity of its
// address when it has one.
func encodeByteArrayValue(e *encodeState, v reflect.Value) error {
	e.boundary()
	if v.CanAddr() {
		b := unsafe.Slice((*byte)(v.Addr().UnsafePointer()), v.Len())
		if v.Len() == 0 {
			b = nil
		}
		return e.writeBytes(b, true)
	}
	b := make([]byte, v.Len())
	reflect.Copy(reflect.ValueOf(b), v)
	return e.writeBytes(b, false)
}

// addrKey is the memo identity of an addressable struct or array: its
// address and type (a struct and its first field share an address).
func addrKey(v reflect.Value) (memoKey, bool) {
	if !v.CanAddr() || v.Type().Size() == 0 {
		return memoKey{}, false
	}
	return memoKey{p: v.Addr().UnsafePointer(), t: typeID(v.Type()), kind: memoPtr}, true
}

// newSliceEncoder writes a slice as a list; nil and empty slices are new
// empty lists (they have no identity: two empty slices may share an
// address).
func newSliceEncoder(t reflect.Type) encoderFunc {
	if t.Elem().Kind() == reflect.Interface && t.Elem().NumMethod() == 0 {
		return func(e *encodeState, v reflect.Value) error {
			e.boundary()
			return e.writeAnySlice(unsafe.Slice((*any)(v.UnsafePointer()), v.Len()), t)
		}
	}
	if fast, ok := fastItems(t.Elem()); ok {
		return newFastSliceEncoder(t, fast, newGenericSliceEncoder(t))
	}
	if t.Elem().Kind() == reflect.Struct {
		return newStructSliceEncoder(t, newGenericSliceEncoder(t))
	}
	return newGenericSliceEncoder(t)
}

// newGenericSliceEncoder writes a slice as a list, item by item through the
// encoder of the item type.
func newGenericSliceEncoder(t reflect.Type) encoderFunc {
	var elem encoderFunc
	var once sync.Once
	return func(e *encodeState, v reflect.Value) error {
		e.boundary()
		n := v.Len()
		if n == 0 {
			e.writeListHead(memoKey{}, false)
			return nil
		}
		k := sliceKey(v.UnsafePointer(), n, t)
		if e.getMemo(k) {
			return nil
		}
		once.Do(func() { elem = typeEncoder(t.Elem()) })
		e.writeListHead(k, true)
		if err := e.enter(); err != nil {
			return err
		}
		err := e.batchAppends(n, func(i int) error {
			if err := elem(e, v.Index(i)); err != nil {
				return withPath(err, indexSeg(i))
			}
			return nil
		})
		e.leave()
		return err
	}
}

// newArrayEncoder writes an array as a tuple.
func newArrayEncoder(t reflect.Type) encoderFunc {
	var elem encoderFunc
	var once sync.Once
	return func(e *encodeState, v reflect.Value) error {
		e.boundary()
		k, hasKey := addrKey(v)
		if hasKey && e.getMemo(k) {
			return nil
		}
		once.Do(func() { elem = typeEncoder(t.Elem()) })
		return e.writeTuple(v.Len(), func(i int) error {
			if err := elem(e, v.Index(i)); err != nil {
				return withPath(err, indexSeg(i))
			}
			return nil
		}, k, hasKey)
	}
}

// newHintedEncoder writes a struct field whose tag asks for tuple, set,
// frozenset or bytearray. Pointers are followed first.
func newHintedEncoder(t reflect.Type, hint typeHint) encoderFunc {
	if t.Kind() == reflect.Pointer {
		elem := hintedEncoder(t.Elem(), hint)
		return func(e *encodeState, v reflect.Value) error {
			if v.IsNil() {
				e.boundary()
				e.writeNone()
				return nil
			}
			return elem(e, v.Elem())
		}
	}
	switch hint {
	case hintTuple:
		return newSeqTupleEncoder(t)
	case hintSet, hintFrozenSet:
		return newSetEncoder(t, hint == hintFrozenSet)
	case hintByteArray:
		return encodeByteArrayHinted
	}
	return unsupportedEncoder(t, "bad type hint")
}

// newSeqTupleEncoder writes a slice or array as a tuple.
func newSeqTupleEncoder(t reflect.Type) encoderFunc {
	if t.Kind() == reflect.Array {
		return newArrayEncoder(t)
	}
	var elem encoderFunc
	var once sync.Once
	return func(e *encodeState, v reflect.Value) error {
		e.boundary()
		n := v.Len()
		var k memoKey
		if n > 0 {
			k = sliceKey(v.UnsafePointer(), n, t)
			if e.getMemo(k) {
				return nil
			}
		}
		once.Do(func() { elem = typeEncoder(t.Elem()) })
		return e.writeTuple(n, func(i int) error {
			if err := elem(e, v.Index(i)); err != nil {
				return withPath(err, indexSeg(i))
			}
			return nil
		}, k, n > 0)
	}
}

// encodeByteArrayHinted writes a []byte or [N]byte as a bytearray.
func encodeByteArrayHinted(e *encodeState, v reflect.Value) error {
	e.boundary()
	var b []byte
	var k memoKey
	hasKey := false
	switch {
	case v.Kind() == reflect.Slice:
		b = v.Bytes()
		if len(b) > 0 {
			k, hasKey = sliceKey(v.UnsafePointer(), len(b), v.Type()), true
		}
	case v.CanAddr():
		b = unsafe.Slice((*byte)(v.Addr().UnsafePointer()), v.Len())
		k, hasKey = addrKey(v)
	default:
		b = make([]byte, v.Len())
		reflect.Copy(reflect.ValueOf(b), v)
	}
	return e.writeByteArray(b, k, hasKey)
}

// newSetEncoder writes a slice or array (its items) or a map (its keys) as
// a set or frozenset. Members must be hashable in Python.
func newSetEncoder(t reflect.Type, frozen bool) encoderFunc {
	mt := t.Elem()
	if t.Kind() == reflect.Map {
		mt = t.Key()
	}
	if msg := unhashableType(mt); msg != "" {
		return unsupportedEncoder(t, "set members would be "+msg)
	}
	var elem encoderFunc
	var once sync.Once
	return func(e *encodeState, v reflect.Value) error {
		e.boundary()
		once.Do(func() { elem = typeEncoder(mt) })
		var members []reflect.Value
		var k memoKey
		hasKey := false
		switch t.Kind() {
		case reflect.Map:
			if !v.IsNil() {
				k, hasKey = memoKey{p: v.UnsafePointer(), t: typeID(t), kind: memoMap}, true
			}
			keys, _, err := sortedMapEntries(e, v)
			if err != nil {
				return err
			}
			members = keys
		case reflect.Slice:
			if v.Len() > 0 {
				k, hasKey = sliceKey(v.UnsafePointer(), v.Len(), t), true
			}
			fallthrough
		default:
			if t.Kind() == reflect.Array {
				k, hasKey = addrKey(v)
			}
			members = make([]reflect.Value, v.Len())
			for i := range members {
				members[i] = v.Index(i)
			}
		}
		member := func(i int) error {
			m := members[i]
			if m.Kind() == reflect.Interface && !m.IsNil() {
				if msg := unhashableValue(m.Elem()); msg != "" {
					return &UnsupportedTypeError{GoType: m.Elem().Type(), Path: indexSeg(i), Msg: "set member is " + msg}
				}
			}
			if err := elem(e, m); err != nil {
				return withPath(err, indexSeg(i))
			}
			return nil
		}
		if frozen {
			return e.writeFrozenSetOf(len(members), member, k, hasKey)
		}
		return e.writeSetOf(len(members), member, k, hasKey)
	}
}

// newMapEncoder writes a map as a dict, its keys sorted so that the same
// map always gives the same bytes. A nil map is a new empty dict.
func newMapEncoder(t reflect.Type) encoderFunc {
	if msg := unhashableType(t.Key()); msg != "" {
		return unsupportedEncoder(t, "keys would be "+msg)
	}
	if t.Key() == stringType {
		return newStringMapEncoder(t, newGenericMapEncoder(t))
	}
	return newGenericMapEncoder(t)
}

// newGenericMapEncoder writes a map as a dict through the encoders of its
// key and value types.
func newGenericMapEncoder(t reflect.Type) encoderFunc {
	var keyEnc, valEnc encoderFunc
	var once sync.Once
	return func(e *encodeState, v reflect.Value) error {
		e.boundary()
		if v.IsNil() {
			e.writeDictHead(memoKey{}, false)
			return nil
		}
		k := memoKey{p: v.UnsafePointer(), t: typeID(t), kind: memoMap}
		if e.getMemo(k) {
			return nil
		}
		once.Do(func() {
			keyEnc, valEnc = typeEncoder(t.Key()), typeEncoder(t.Elem())
		})
		keys, vals, err := sortedMapEntries(e, v)
		if err != nil {
			return err
		}
		e.writeDictHead(k, true)
		if err := e.enter(); err != nil {
			return err
		}
		err = e.batchSetitems(len(keys), func(i int) error {
			if err := keyEnc(e, keys[i]); err != nil {
				return withPath(err, mapKeySeg(keys[i]))
			}
			if err := valEnc(e, vals[i]); err != nil {
				return withPath(err, mapKeySeg(keys[i]))
			}
			return nil
		})
		e.leave()
		return err
	}
}

// fieldEncoder is one compiled struct field.
type fieldEncoder struct {
	name   string // the dict key
	goName string // for error paths
	index  []int
	enc    encoderFunc
	omitE  bool
	omitZ  bool
}

// structEncoder writes a struct as a dict of its pickled fields, in
// declaration order, then the entries of its inline field.
type structEncoder struct {
	t      reflect.Type
	info   *structInfo
	fields []fieldEncoder // as info.fields
	inline *fieldEncoder
	names  map[string]bool   // the regular field names, which inline entries cannot override
	plain  []string          // the field names, without NameTransform
	short  []string          // their SHORT_BINUNICODE and MEMOIZE ("" if too long or not UTF-8)
	taken  func(string) bool // isPlainName, made once (a method value allocates)

	// The compiled fast path (encode_struct.go).
	writers []fieldWriter // as fields
	fast    bool          // writeDictFast may be used
	check   bool          // some field may be left out: choose them first
	other   bool          // some field is written through a reflect.Value
	// allInline: every field is written inline and none is left out, and
	// there are 2 to batchSize-1 of them (writeFieldsCached, writePlainRecord)
	allInline bool
	nameBase  int // the first of the fields' ids in encodeState.names
	tid       unsafe.Pointer
	classes   classCache // the type's binding in the registry last used
}

func newStructEncoder(t reflect.Type) encoderFunc {
	info, err := cachedStructInfo(t)
	if err != nil {
		return func(*encodeState, reflect.Value) error { return err }
	}
	if len(info.fields) == 0 && info.inline == nil && hasUnexportedFields(t) {
		return unsupportedEncoder(t, "struct has no exported fields")
	}
	se := compileStructEncoder(t, info)
	structEncoders.Store(t, se)
	return withClassBinding(t, se)
}

// compileStructEncoder builds the field encoders of struct t.
func compileStructEncoder(t reflect.Type, info *structInfo) *structEncoder {
	se := &structEncoder{t: t, info: info, names: make(map[string]bool, len(info.fields))}
	se.taken = se.isPlainName
	for _, f := range info.fields {
		se.fields = append(se.fields, se.compileField(f))
		se.names[f.name] = true
		se.plain = append(se.plain, f.name)
		se.short = append(se.short, shortStrOps(f.name))
	}
	if info.inline != nil {
		fe := se.compileField(*info.inline)
		se.inline = &fe
	}
	se.compileWriters()
	return se
}

// isPlainName reports whether k is the name of a regular field.
func (se *structEncoder) isPlainName(k string) bool { return se.names[k] }

func (se *structEncoder) compileField(f field) fieldEncoder {
	return fieldEncoder{
		name: f.name, goName: se.t.FieldByIndex(f.index).Name, index: f.index,
		enc: hintedEncoder(f.typ, f.hint), omitE: f.omitEmpty, omitZ: f.omitZero,
	}
}

// hasUnexportedFields reports whether t has an unexported field, such as
// the internals of sync.Mutex or of a struct that is not plain data.
func hasUnexportedFields(t reflect.Type) bool {
	for i := 0; i < t.NumField(); i++ {
		if !t.Field(i).IsExported() {
			return true
		}
	}
	return false
}

// fieldValue returns the field at index, or false when an embedded nil
// pointer is in the way (the field is then skipped, as encoding/json does).
func fieldValue(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// omit reports whether the field's value is left out by omitempty or
// omitzero.
func (f *fieldEncoder) omit(v reflect.Value) bool {
	if f.omitE && isEmptyValue(v) {
		return true
	}
	return f.omitZ && isZeroValue(v)
}

func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return v.IsZero()
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

type isZeroer interface{ IsZero() bool }

var isZeroerType = reflect.TypeFor[isZeroer]()

// isZeroValue honours an IsZero method, else reflect's zero test.
func isZeroValue(v reflect.Value) bool {
	if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil() {
		return true
	}
	if v.Type().Implements(isZeroerType) {
		return v.Interface().(isZeroer).IsZero()
	}
	if v.CanAddr() && reflect.PointerTo(v.Type()).Implements(isZeroerType) {
		return v.Addr().Interface().(isZeroer).IsZero()
	}
	return v.IsZero()
}

func (se *structEncoder) encode(e *encodeState, v reflect.Value) error {
	e.boundary()
	k, hasKey := addrKey(v)
	if hasKey && e.getMemo(k) {
		return nil
	}
	_, err := se.writeDict(e, v, k, hasKey, true)
	return err
}

// writeDict writes the struct's fields as a dict, memoized under k. Unless
// always is set, nothing is written when no field is to be written (the
// state of an instance with an empty __dict__ is None in CPython), and it
// reports whether it wrote the dict.
func (se *structEncoder) writeDict(e *encodeState, v reflect.Value, k memoKey, hasKey, always bool) (bool, error) {
	if se.fast && e.cfg.persistentID == nil && !genericStructs {
		if p, ok := structPointer(v); ok {
			return se.writeDictFast(e, v, p, k, hasKey, always, false)
		}
	}
	return se.writeDictGeneric(e, v, k, hasKey, always)
}

// writeDictGeneric is writeDict through a reflect.Value per field.
func (se *structEncoder) writeDictGeneric(e *encodeState, v reflect.Value, k memoKey, hasKey, always bool) (bool, error) {
	// Choose the fields first: the batching needs the count up front.
	var small [16]reflect.Value
	var smallIdx [16]int
	vals, idx := small[:0], smallIdx[:0]
	for i := range se.fields {
		f := &se.fields[i]
		fv, ok := fieldValue(v, f.index)
		if !ok || f.omit(fv) {
			continue
		}
		vals = append(vals, fv)
		idx = append(idx, i)
	}
	names, taken := se.fieldNames(e.cfg)
	extra, err := se.inlineEntries(e, v, taken)
	if err != nil {
		return false, err
	}
	if !always && len(vals)+len(extra) == 0 {
		return false, nil
	}
	e.writeDictHead(k, hasKey)
	if err := e.enter(); err != nil {
		return false, err
	}
	err = e.batchSetitems(len(vals)+len(extra), func(i int) error {
		if i >= len(vals) {
			return extra[i-len(vals)].write(e)
		}
		f := &se.fields[idx[i]]
		e.boundary()
		if err := e.writeString(names[idx[i]]); err != nil {
			return withPath(err, "."+f.goName)
		}
		if err := f.enc(e, vals[i]); err != nil {
			return withPath(err, "."+f.goName)
		}
		return nil
	})
	e.leave()
	return true, err
}

// inlineEntry is one entry of a struct's inline field.
type inlineEntry struct {
	key, val reflect.Value // a map entry
	dk, dv   any           // or a *Dict entry
	isDict   bool
	path     string
	valEnc   encoderFunc
}

func (x *inlineEntry) write(e *encodeState) error {
	if x.isDict {
		if err := e.encodeAny(x.dk); err != nil {
			return withPath(err, x.path)
		}
		if err := e.encodeAny(x.dv); err != nil {
			return withPath(err, x.path)
		}
		return nil
	}
	e.boundary()
	if err := e.writeString(x.key.String()); err != nil {
		return withPath(err, x.path)
	}
	if err := x.valEnc(e, x.val); err != nil {
		return withPath(err, x.path)
	}
	return nil
}

// fieldNames returns the dict keys of the fields (in se.fields order) and
// a test for keys taken by a field, after the NameTransform option.
func (se *structEncoder) fieldNames(cfg *config) ([]string, func(string) bool) {
	if cfg.nameTransform == nil {
		return se.plain, se.taken
	}
	nf := se.info.withTransform(cfg.nameTransformKey, cfg.nameTransform)
	return nf.names, func(k string) bool {
		i, ok := nf.byName[k]
		return ok && nf.names[i] == k
	}
}

// inlineEntries lists the entries of the inline field that do not collide
// with a regular field name (the field wins).
func (se *structEncoder) inlineEntries(e *encodeState, v reflect.Value, taken func(string) bool) ([]inlineEntry, error) {
	if se.inline == nil {
		return nil, nil
	}
	fv, ok := fieldValue(v, se.inline.index)
	if !ok || fv.IsNil() {
		return nil, nil
	}
	base := "." + se.inline.goName
	var out []inlineEntry
	if d, isDict := fv.Interface().(*Dict); isDict {
		for k, val := range d.All() {
			if s, isStr := k.(string); isStr && taken(s) {
				continue
			}
			out = append(out, inlineEntry{dk: k, dv: val, isDict: true, path: base + keySeg(k)})
		}
		return out, nil
	}
	keys, vals, err := sortedMapEntries(e, fv)
	if err != nil {
		return nil, withPath(err, base)
	}
	valEnc := typeEncoder(fv.Type().Elem())
	for i, k := range keys {
		if taken(k.String()) {
			continue
		}
		out = append(out, inlineEntry{key: k, val: vals[i], path: base + mapKeySeg(k), valEnc: valEnc})
	}
	return out, nil
}
