package pickle

import (
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// The second pass of decoding, for typed targets: the tape is bound straight
// into Go values, without building the generic model first. A decodeFunc is
// compiled once per Go type and cached, as encoding/json does.

// decodeFunc binds node n (never a reference) into v, which is settable.
type decodeFunc func(b *binder, n int32, v reflect.Value) error

// typedKey identifies a shared node bound to a Go type.
type typedKey struct {
	n int32
	t reflect.Type
}

// pathElem is one step of the Go path shown in errors.
type pathElem struct {
	field string // struct field name, or "" for an index or key
	index int    // slice or array index, or -1
	key   int32  // node of a map key, rendered only for an error message
}

var decoderCache sync.Map // reflect.Type -> decodeFunc

// typeDecoder returns the compiled decoder for t. A recursive type gets a
// placeholder while its decoder is being built, which waits for it.
func typeDecoder(t reflect.Type) decodeFunc {
	if f, ok := decoderCache.Load(t); ok {
		return f.(decodeFunc)
	}
	var wg sync.WaitGroup
	var f decodeFunc
	wg.Add(1)
	fi, loaded := decoderCache.LoadOrStore(t, decodeFunc(func(b *binder, n int32, v reflect.Value) error {
		wg.Wait()
		return f(b, n, v)
	}))
	if loaded {
		return fi.(decodeFunc)
	}
	f = newTypeDecoder(t)
	wg.Done()
	decoderCache.Store(t, f)
	return f
}

var (
	bigIntType    = reflect.TypeOf(big.Int{})
	tupleType     = reflect.TypeOf(Tuple(nil))
	globalType    = reflect.TypeOf(Global{})
	anyType       = reflect.TypeOf((*any)(nil)).Elem()
	modelPtrTypes = map[reflect.Type]bool{
		reflect.TypeOf((*List)(nil)):      true,
		reflect.TypeOf((*Dict)(nil)):      true,
		reflect.TypeOf((*Set)(nil)):       true,
		reflect.TypeOf((*FrozenSet)(nil)): true,
		reflect.TypeOf((*ByteArray)(nil)): true,
		reflect.TypeOf((*Object)(nil)):    true,
	}
)

func newTypeDecoder(t reflect.Type) decodeFunc {
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && reflect.PointerTo(t).Implements(stateSetterType) {
		return newSetStateDecoder(t)
	}
	switch {
	case t == bigIntType:
		return decodeBigInt
	case t == tupleType || t == globalType || modelPtrTypes[t]:
		return decodeModel
	}
	switch t.Kind() {
	case reflect.Bool:
		return decodeBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return decodeInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return decodeUint
	case reflect.Float32, reflect.Float64:
		return decodeFloat
	case reflect.Complex64, reflect.Complex128:
		return decodeComplex
	case reflect.String:
		return decodeString
	case reflect.Interface:
		return decodeInterface
	case reflect.Pointer:
		return newPointerDecoder(t)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return decodeByteSlice
		}
		return newSliceDecoder(t)
	case reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return decodeByteArray
		}
		return newArrayDecoder(t)
	case reflect.Map:
		return newMapDecoder(t)
	case reflect.Struct:
		return newStructDecoder(t)
	}
	return func(b *binder, n int32, v reflect.Value) error {
		return b.typeError(n, v.Type(), "Go type not supported")
	}
}

// bind binds node n (resolving references) into v with decoder dec.
func (b *binder) bind(n int32, v reflect.Value, dec decodeFunc) error {
	n = b.m.resolve(n)
	if err := b.enter(n); err != nil {
		return err
	}
	var err error
	switch k := b.m.nodes[n].kind; {
	case k == nObject && objectNeedsCall(v.Type()):
		err = b.bindObject(n, v) // an enum member or a registered function's result
	case k == nPersistent || k == nBuffer:
		err = b.bindSpecial(n, v)
	default:
		err = dec(b, n, v)
	}
	b.leave()
	return err
}

// objectNeedsCall reports whether an object decoded into t must go through
// bindObject because t's own decoder knows nothing of objects: every kind
// but structs, pointers and interfaces, unless t has SetState.
func objectNeedsCall(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct, reflect.Pointer, reflect.Interface:
		return false
	}
	return t != tupleType && !reflect.PointerTo(t).Implements(stateSetterType)
}

// --- errors and paths --------------------------------------------------------

func (b *binder) typeError(n int32, t reflect.Type, msg string) error {
	nd := &b.m.nodes[n]
	return &UnmarshalTypeError{
		PyType: b.m.kindName(n), GoType: t, Path: b.pathString(), Msg: msg,
		Value: b.shortValue(n), Op: opName(nd.op), Offset: b.m.base + nd.off,
	}
}

// shortValue renders a scalar node for an error message.
func (b *binder) shortValue(n int32) string {
	nd := &b.m.nodes[n]
	switch nd.kind {
	case nInt:
		return strconv.FormatInt(nd.a, 10)
	case nBig:
		x := b.m.bigs[nd.a]
		if x.BitLen() > 256 { // printing a huge int in decimal is slow
			return "(an int of " + strconv.Itoa(x.BitLen()) + " bits)"
		}
		return clip(x.String())
	case nFloat:
		return strconv.FormatFloat(bitsFloat(uint64(nd.a)), 'g', -1, 64)
	case nStr:
		return quote(string(b.m.payload(n)))
	case nBool:
		if nd.a != 0 {
			return "True"
		}
		return "False"
	}
	return ""
}

func (b *binder) pathString() string {
	var s strings.Builder
	for _, p := range b.path {
		switch {
		case p.field != "":
			s.WriteByte('.')
			s.WriteString(p.field)
		case p.index >= 0:
			s.WriteByte('[')
			s.WriteString(strconv.Itoa(p.index))
			s.WriteByte(']')
		case p.key >= 0:
			s.WriteByte('[')
			s.WriteString(b.keyLabel(p.key))
			s.WriteByte(']')
		}
	}
	return s.String()
}

func (b *binder) pushIndex(i int)    { b.path = append(b.path, pathElem{index: i, key: -1}) }
func (b *binder) pushField(f string) { b.path = append(b.path, pathElem{field: f, index: -1, key: -1}) }
func (b *binder) pushKey(k int32)    { b.path = append(b.path, pathElem{key: k, index: -1}) }
func (b *binder) popPath()           { b.path = b.path[:len(b.path)-1] }
func (b *binder) setPathIndex(i int) { b.path[len(b.path)-1].index = i }

// --- scalars -----------------------------------------------------------------

func decodeBool(b *binder, n int32, v reflect.Value) error {
	nd := &b.m.nodes[n]
	if nd.kind != nBool {
		return b.typeError(n, v.Type(), "")
	}
	v.SetBool(nd.a != 0)
	return nil
}

func decodeInt(b *binder, n int32, v reflect.Value) error {
	nd := &b.m.nodes[n]
	switch nd.kind {
	case nInt:
		if v.OverflowInt(nd.a) {
			return b.typeError(n, v.Type(), "value overflows "+v.Type().String())
		}
		v.SetInt(nd.a)
		return nil
	case nBig:
		return b.typeError(n, v.Type(), "value overflows "+v.Type().String())
	}
	return b.typeError(n, v.Type(), "")
}

func decodeUint(b *binder, n int32, v reflect.Value) error {
	nd := &b.m.nodes[n]
	switch nd.kind {
	case nInt:
		if nd.a < 0 || v.OverflowUint(uint64(nd.a)) {
			return b.typeError(n, v.Type(), "value overflows "+v.Type().String())
		}
		v.SetUint(uint64(nd.a))
		return nil
	case nBig:
		x := b.m.bigs[nd.a]
		if x.Sign() < 0 || !x.IsUint64() || v.OverflowUint(x.Uint64()) {
			return b.typeError(n, v.Type(), "value overflows "+v.Type().String())
		}
		v.SetUint(x.Uint64())
		return nil
	}
	return b.typeError(n, v.Type(), "")
}

func decodeFloat(b *binder, n int32, v reflect.Value) error {
	f, ok := b.m.realValueOrNot(n)
	if !ok {
		return b.typeError(n, v.Type(), "")
	}
	if err := b.checkFloatRange(n, f, v.Type(), v.Kind() == reflect.Float32); err != nil {
		return err
	}
	v.SetFloat(f)
	return nil
}

// checkFloatRange refuses an integer too large for a float (Python raises
// OverflowError) and a finite value too large for a 32-bit float.
func (b *binder) checkFloatRange(n int32, f float64, t reflect.Type, is32 bool) error {
	if math.IsInf(f, 0) && b.m.nodes[n].kind == nBig {
		return b.typeError(n, t, "integer too large for a float")
	}
	if is32 && !math.IsInf(f, 0) && math.Abs(f) > math.MaxFloat32 {
		return b.typeError(n, t, "value overflows "+t.String())
	}
	return nil
}

// realValueOrNot is realValue without bools: a Python bool is no float.
func (m *machine) realValueOrNot(n int32) (float64, bool) {
	if m.nodes[n].kind == nBool {
		return 0, false
	}
	return m.realValue(n)
}

func decodeComplex(b *binder, n int32, v reflect.Value) error {
	nd := &b.m.nodes[n]
	is64 := v.Kind() == reflect.Complex64
	if nd.kind == nComplex {
		re, im := bitsFloat(uint64(nd.a)), bitsFloat(uint64(nd.b))
		if err := b.checkFloatRange(n, re, v.Type(), is64); err != nil {
			return err
		}
		if err := b.checkFloatRange(n, im, v.Type(), is64); err != nil {
			return err
		}
		v.SetComplex(complex(re, im))
		return nil
	}
	f, ok := b.m.realValueOrNot(n)
	if !ok {
		return b.typeError(n, v.Type(), "")
	}
	if err := b.checkFloatRange(n, f, v.Type(), is64); err != nil {
		return err
	}
	v.SetComplex(complex(f, 0))
	return nil
}

func decodeString(b *binder, n int32, v reflect.Value) error {
	if b.m.nodes[n].kind != nStr {
		return b.typeError(n, v.Type(), "")
	}
	v.SetString(b.text(n))
	return nil
}

func decodeBigInt(b *binder, n int32, v reflect.Value) error {
	x := v.Addr().Interface().(*big.Int)
	switch nd := &b.m.nodes[n]; nd.kind {
	case nInt:
		x.SetInt64(nd.a)
	case nBig:
		x.Set(b.m.bigs[nd.a])
	default:
		return b.typeError(n, v.Type(), "")
	}
	return nil
}

func decodeByteSlice(b *binder, n int32, v reflect.Value) error {
	switch b.m.nodes[n].kind {
	case nBytes, nByteArray:
		v.SetBytes(b.bytesOf(n))
		return nil
	case nNone:
		v.SetZero()
		return nil
	case nList, nTuple:
		return newSliceDecoder(v.Type())(b, n, v)
	}
	return b.typeError(n, v.Type(), "")
}

func decodeByteArray(b *binder, n int32, v reflect.Value) error {
	switch b.m.nodes[n].kind {
	case nBytes, nByteArray:
		p := b.m.payload(n)
		if len(p) != v.Len() {
			return b.typeError(n, v.Type(), "length "+strconv.Itoa(len(p))+" does not fit "+v.Type().String())
		}
		reflect.Copy(v, reflect.ValueOf(p))
		return nil
	case nList, nTuple:
		return newArrayDecoder(v.Type())(b, n, v)
	}
	return b.typeError(n, v.Type(), "")
}

// cloneBytes copies b into new memory, never nil. Appending to a nil slice
// skips zeroing memory that the copy overwrites anyway (make would not).
func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return []byte{}
	}
	return append([]byte(nil), b...)
}

// decodeModel decodes into a model type (Tuple, Global, *List, ...).
func decodeModel(b *binder, n int32, v reflect.Value) error {
	if b.m.nodes[n].kind == nNone && v.Kind() == reflect.Pointer {
		v.SetZero()
		return nil
	}
	x, err := b.anyValue(n)
	if err != nil {
		return err
	}
	rx := reflect.ValueOf(x)
	if !rx.IsValid() || !rx.Type().AssignableTo(v.Type()) {
		return b.typeError(n, v.Type(), "")
	}
	v.Set(rx)
	return nil
}

// decodeInterface decodes into an interface: the model value for an empty
// interface, or into the pointer a non-empty one already holds.
func decodeInterface(b *binder, n int32, v reflect.Value) error {
	if v.NumMethod() > 0 {
		if v.IsNil() || v.Elem().Kind() != reflect.Pointer || v.Elem().IsNil() {
			return b.typeError(n, v.Type(), "cannot decode into a nil non-empty interface")
		}
		e := v.Elem()
		return typeDecoder(e.Type().Elem())(b, n, e.Elem())
	}
	x, err := b.anyValue(n)
	if err != nil {
		return err
	}
	if x == nil {
		v.SetZero()
		return nil
	}
	v.Set(reflect.ValueOf(x))
	return nil
}

// --- pointers ----------------------------------------------------------------

func newPointerDecoder(t reflect.Type) decodeFunc {
	elem := typeDecoder(t.Elem())
	return func(b *binder, n int32, v reflect.Value) error {
		nd := &b.m.nodes[n]
		if nd.kind == nNone {
			v.SetZero()
			return nil
		}
		shared := nd.flags&(flagShared|flagMemo) != 0
		if shared {
			if p, ok := b.lookupTyped(n, t); ok {
				v.Set(p)
				return nil
			}
		}
		if v.IsNil() || shared {
			v.Set(reflect.New(t.Elem()))
		}
		if shared {
			b.cacheTyped(n, t, v)
		}
		return elem(b, n, v.Elem())
	}
}

// lookupTyped returns the value node n was bound to as a t, if it was.
func (b *binder) lookupTyped(n int32, t reflect.Type) (reflect.Value, bool) {
	if slot := b.m.nodes[n].slot; slot > 0 {
		if c := &b.cache[slot-1]; c.t == t {
			return c.v, true
		}
	}
	v, ok := b.typed[typedKey{n, t}]
	return v, ok
}

// cacheTyped records that node n was bound to v, of type t: in the node's
// cache slot, or in a map when the slot holds another type already.
func (b *binder) cacheTyped(n int32, t reflect.Type, v reflect.Value) {
	c := b.slotOf(n)
	if c.t == nil || c.t == t {
		c.t, c.v = t, v
		return
	}
	if b.typed == nil {
		b.typed = map[typedKey]reflect.Value{}
	}
	b.typed[typedKey{n, t}] = v
}

// --- sequences ---------------------------------------------------------------

// seqSpan returns the first item node and the number of items of a list,
// tuple, set or frozenset node; items follow each other through next.
func (b *binder) seqSpan(n int32) (first int32, count int, ok bool) {
	nd := &b.m.nodes[n]
	switch nd.kind {
	case nList, nTuple:
		return nd.first, int(nd.count), true
	case nSet, nFrozenSet:
		if nd.flags&flagFrom != 0 {
			return b.m.nodes[nd.a].first, int(nd.b), true
		}
		return nd.first, int(nd.count), true
	}
	return -1, 0, false
}

var (
	float64SliceType = reflect.TypeOf([]float64(nil))
	int64SliceType   = reflect.TypeOf([]int64(nil))
	intSliceType     = reflect.TypeOf([]int(nil))
	stringSliceType  = reflect.TypeOf([]string(nil))
)

func newSliceDecoder(t reflect.Type) decodeFunc {
	elem := typeDecoder(t.Elem())
	return func(b *binder, n int32, v reflect.Value) error {
		if b.m.nodes[n].kind == nNone {
			v.SetZero()
			return nil
		}
		first, count, ok := b.seqSpan(n)
		if !ok {
			return b.typeError(n, t, "")
		}
		shared := b.m.nodes[n].flags&(flagShared|flagMemo) != 0
		if shared {
			if s, ok := b.lookupTyped(n, t); ok {
				v.Set(s)
				return nil
			}
		}
		s := reflect.MakeSlice(t, count, count)
		v.Set(s)
		if shared {
			b.cacheTyped(n, t, s)
		}
		b.pushIndex(0)
		err := b.fillSlice(first, count, s, elem)
		b.popPath()
		return err
	}
}

// fillSlice binds count items starting at node c into s. Slices of the
// common scalar types are filled without reflection per item; an item of
// another kind goes through its decoder (for the error, or an enum).
func (b *binder) fillSlice(c int32, count int, s reflect.Value, elem decodeFunc) error {
	nodes := b.m.nodes
	switch s.Type() {
	case float64SliceType:
		out := s.Interface().([]float64)
		for i := 0; i < count; i, c = i+1, nodes[c].next {
			if nd := &nodes[b.m.resolve(c)]; nd.kind == nFloat {
				out[i] = bitsFloat(uint64(nd.a))
			} else if err := b.bindItem(i, c, s, elem); err != nil {
				return err
			}
		}
		return b.countWork(count)
	case int64SliceType, intSliceType:
		ints64, _ := s.Interface().([]int64)
		ints, _ := s.Interface().([]int)
		for i := 0; i < count; i, c = i+1, nodes[c].next {
			nd := &nodes[b.m.resolve(c)]
			if nd.kind != nInt || ints != nil && int64(int(nd.a)) != nd.a {
				if err := b.bindItem(i, c, s, elem); err != nil {
					return err
				}
			} else if ints64 != nil {
				ints64[i] = nd.a
			} else {
				ints[i] = int(nd.a)
			}
		}
		return b.countWork(count)
	case stringSliceType:
		out := s.Interface().([]string)
		for i := 0; i < count; i, c = i+1, nodes[c].next {
			r := b.m.resolve(c)
			if nodes[r].kind == nStr {
				out[i] = b.text(r)
			} else if err := b.bindItem(i, c, s, elem); err != nil {
				return err
			}
		}
		return b.countWork(count)
	}
	for i := 0; i < count; i, c = i+1, nodes[c].next {
		if err := b.bindItem(i, c, s, elem); err != nil {
			return err
		}
	}
	return nil
}

// bindItem binds node c into item i of the slice or array s.
func (b *binder) bindItem(i int, c int32, s reflect.Value, elem decodeFunc) error {
	b.setPathIndex(i)
	return b.bind(c, s.Index(i), elem)
}

// countWork adds n steps of work done without calling bind.
func (b *binder) countWork(n int) error {
	b.work += int64(n)
	if b.work > b.maxWork {
		return &LimitError{Limit: "MaxWork", Max: b.maxWork, Tried: b.work, Offset: -1}
	}
	return nil
}

// text returns the Go string of a str node, sharing one string among the
// references to a memoized node.
func (b *binder) text(n int32) string {
	nd := &b.m.nodes[n]
	if nd.flags&flagShared != 0 {
		if nd.slot > 0 {
			if c := &b.cache[nd.slot-1]; c.hasAny {
				if s, ok := c.anyVal.(string); ok {
					return s
				}
			}
		}
		str := b.stringOf(n)
		b.remember(n, true, str)
		return str
	}
	return b.stringOf(n)
}

// aliasable reports whether the payload of node n may be a result as it is
// with ZeroCopy: the verbatim payload (in the input) of a binary str or
// bytes opcode.
func (b *binder) aliasable(n int32) bool {
	nd := &b.m.nodes[n]
	return b.cfg.zeroCopy && nd.flags&flagSide == 0 && aliasableOp(nd.op)
}

// aliasableOp reports whether op is an opcode whose payload ZeroCopy lets a
// result share: str and bytes in binary form (not bytearray, not Python 2
// str).
func aliasableOp(op byte) bool {
	switch op {
	case opShortBinunicode, opBinunicode, opBinunicode8, opShortBinbytes, opBinbytes, opBinbytes8:
		return true
	}
	return false
}

// stringOf returns the Go string of str node n: a copy of its payload, or
// the payload itself with ZeroCopy.
func (b *binder) stringOf(n int32) string {
	if b.aliasable(n) {
		return aliasString(b.m.payload(n))
	}
	return string(b.m.payload(n))
}

// bytesOf returns the []byte of bytes or bytearray node n: a copy of its
// payload, or the payload itself with ZeroCopy.
func (b *binder) bytesOf(n int32) []byte {
	if b.aliasable(n) {
		return aliasBytes(b.m.payload(n))
	}
	return cloneBytes(b.m.payload(n))
}

// aliasString returns a string sharing p's memory (ZeroCopy); "" if p is
// empty.
func aliasString(p []byte) string {
	if len(p) == 0 {
		return ""
	}
	return unsafe.String(&p[0], len(p))
}

// aliasBytes returns p as a result sharing its memory (ZeroCopy), with its
// capacity cut to its length so that appending to it copies; an empty p
// gives a new empty slice, as cloneBytes does.
func aliasBytes(p []byte) []byte {
	if len(p) == 0 {
		return []byte{}
	}
	return p[:len(p):len(p)]
}

func newArrayDecoder(t reflect.Type) decodeFunc {
	elem := typeDecoder(t.Elem())
	return func(b *binder, n int32, v reflect.Value) error {
		first, count, ok := b.seqSpan(n)
		if !ok {
			return b.typeError(n, t, "")
		}
		if count != t.Len() {
			return b.typeError(n, t, "length "+strconv.Itoa(count)+" does not fit "+t.String())
		}
		b.pushIndex(0)
		err := b.fillSlice(first, count, v, elem)
		b.popPath()
		return err
	}
}

// --- maps --------------------------------------------------------------------

func newMapDecoder(t reflect.Type) decodeFunc {
	keyDec := typeDecoder(t.Key())
	elemDec := typeDecoder(t.Elem())
	isSetLike := t.Elem().Kind() == reflect.Bool || t.Elem().Kind() == reflect.Struct && t.Elem().NumField() == 0
	return func(b *binder, n int32, v reflect.Value) error {
		nd := &b.m.nodes[n]
		switch {
		case nd.kind == nNone:
			v.SetZero()
			return nil
		case nd.kind == nDict:
		case (nd.kind == nSet || nd.kind == nFrozenSet) && isSetLike:
		default:
			return b.typeError(n, t, "")
		}
		shared := nd.flags&(flagShared|flagMemo) != 0
		if shared {
			if mv, ok := b.lookupTyped(n, t); ok {
				v.Set(mv)
				return nil
			}
		}
		if v.IsNil() || shared {
			v.Set(reflect.MakeMapWithSize(t, int(nd.count)/2))
		}
		if shared {
			b.cacheTyped(n, t, v)
		}
		if nd.kind != nDict {
			return b.fillMapFromSet(n, v, keyDec)
		}
		kv := reflect.New(t.Key()).Elem()
		ev := reflect.New(t.Elem()).Elem()
		b.pushKey(-1)
		for k := nd.first; k >= 0; {
			val := b.m.nodes[k].next
			kv.SetZero()
			b.path[len(b.path)-1].key = k
			if err := b.bindMapKey(k, kv, keyDec); err != nil {
				b.popPath()
				return err
			}
			ev.SetZero()
			if err := b.bind(val, ev, elemDec); err != nil {
				b.popPath()
				return err
			}
			v.SetMapIndex(kv, ev)
			k = b.m.nodes[val].next
		}
		b.popPath()
		return nil
	}
}

// bindMapKey binds a key node into kv and checks that Go can use it as a
// map key (a Python tuple decoded into `any` cannot be one).
func (b *binder) bindMapKey(k int32, kv reflect.Value, dec decodeFunc) error {
	if err := b.bind(k, kv, dec); err != nil {
		return err
	}
	if kv.Kind() == reflect.Interface && !kv.IsNil() && !kv.Elem().Comparable() {
		return b.typeError(b.m.resolve(k), kv.Type(), "a "+b.m.kindName(k)+" key cannot be a Go map key of type any; decode into *pickle.Dict or a typed key")
	}
	return nil
}

func (b *binder) fillMapFromSet(n int32, v reflect.Value, keyDec decodeFunc) error {
	t := v.Type()
	kv := reflect.New(t.Key()).Elem()
	present := reflect.New(t.Elem()).Elem()
	if present.Kind() == reflect.Bool {
		present.SetBool(true)
	}
	for _, c := range b.members(n) {
		kv.SetZero()
		if err := b.bindMapKey(c, kv, keyDec); err != nil {
			return err
		}
		v.SetMapIndex(kv, present)
	}
	return nil
}

// keyLabel renders a key node for a Go path: a quoted string or a number.
func (b *binder) keyLabel(k int32) string {
	k = b.m.resolve(k)
	if s := b.shortValue(k); s != "" {
		return s
	}
	return b.m.kindName(k)
}

// --- structs -----------------------------------------------------------------

// structDecoder decodes into one struct type.
type structDecoder struct {
	t          reflect.Type
	info       *structInfo
	plainNames []string // the fields' names without a name transform
	err        error    // a bad tag
	decs       []decodeFunc
	inlineDec  decodeFunc
}

var structDecoders sync.Map // reflect.Type -> *structDecoder

// structDecoderOf returns the cached struct decoder of t.
func structDecoderOf(t reflect.Type) *structDecoder {
	if sd, ok := structDecoders.Load(t); ok {
		return sd.(*structDecoder)
	}
	sd := &structDecoder{t: t}
	sd.info, sd.err = cachedStructInfo(t)
	if sd.err == nil {
		for _, f := range sd.info.fields {
			sd.plainNames = append(sd.plainNames, f.name)
		}
		sd.decs = make([]decodeFunc, len(sd.info.fields))
		for i := range sd.info.fields {
			sd.decs[i] = typeDecoder(sd.info.fields[i].typ)
		}
		if sd.info.inline != nil && sd.info.inline.typ.Kind() == reflect.Map {
			sd.inlineDec = typeDecoder(sd.info.inline.typ.Elem())
		}
	}
	actual, _ := structDecoders.LoadOrStore(t, sd)
	return actual.(*structDecoder)
}

func newStructDecoder(t reflect.Type) decodeFunc {
	return func(b *binder, n int32, v reflect.Value) error {
		return structDecoderOf(t).decode(b, n, v)
	}
}

// decode fills the struct v from a dict, or from an object's arguments and
// state.
func (sd *structDecoder) decode(b *binder, n int32, v reflect.Value) error {
	if sd.err != nil {
		return sd.err
	}
	switch b.m.nodes[n].kind {
	case nDict:
		return sd.fillFromDict(b, n, v)
	case nObject:
		return b.bindObject(n, v)
	}
	return b.typeError(n, sd.t, "")
}

// fillFromDict sets the fields named by the keys of dict.
func (sd *structDecoder) fillFromDict(b *binder, dict int32, v reflect.Value) error {
	next := 0 // keys usually come in field order: try the next field first
	for k := b.m.nodes[dict].first; k >= 0; {
		val := b.m.nodes[k].next
		i, err := b.bindField(sd, k, val, v, next)
		if err != nil {
			return err
		}
		next = i + 1
		k = b.m.nodes[val].next
	}
	return nil
}

// bindField binds one key/value pair of a dict into the struct v.
// bindField binds one key/value pair of a dict into the struct v, trying
// field hint before the name lookup; it returns the field's position (or
// hint-1 for a key that names no field).
func (b *binder) bindField(sd *structDecoder, k, val int32, v reflect.Value, hint int) (int, error) {
	t, info := sd.t, sd.info
	kn := b.m.resolve(k)
	if b.m.nodes[kn].kind != nStr {
		return 0, b.typeError(kn, t, "a "+b.m.kindName(kn)+" key cannot name a field")
	}
	name := b.m.payload(kn)
	names, byName := sd.plainNames, info.byName
	if b.cfg.nameTransform != nil {
		nf := info.withTransform(b.cfg.nameTransformKey, b.cfg.nameTransform)
		names, byName = nf.names, nf.byName
	}
	i, ok := hint, hint < len(names) && names[hint] == string(name)
	if !ok {
		i, ok = byName[string(name)]
	}
	if !ok {
		if info.inline != nil {
			return hint - 1, b.bindInline(info.inline, sd.inlineDec, string(name), val, v)
		}
		if b.cfg.disallowUnknown {
			return 0, b.typeError(kn, t, "unknown field "+quote(string(name)))
		}
		return hint - 1, nil
	}
	f := &info.fields[i]
	fv, err := fieldByIndexAlloc(v, f.index)
	if err != nil {
		return 0, b.typeError(kn, t, err.Error())
	}
	b.pushField(f.name)
	err = b.bind(val, fv, sd.decs[i])
	b.popPath()
	return i, err
}

// bindInline stores an unknown key in the struct's catch-all field.
func (b *binder) bindInline(f *field, elemDec decodeFunc, name string, val int32, v reflect.Value) error {
	fv, err := fieldByIndexAlloc(v, f.index)
	if err != nil {
		return err
	}
	b.pushField(name)
	err = b.bindInlineValue(f, elemDec, name, val, fv)
	b.popPath()
	return err
}

func (b *binder) bindInlineValue(f *field, elemDec decodeFunc, name string, val int32, fv reflect.Value) error {
	if f.typ == dictPtrType {
		if fv.IsNil() {
			fv.Set(reflect.ValueOf(NewDict()))
		}
		x, err := b.anyValue(val)
		if err != nil {
			return err
		}
		return fv.Interface().(*Dict).Set(name, x)
	}
	if fv.IsNil() {
		fv.Set(reflect.MakeMap(f.typ))
	}
	ev := reflect.New(f.typ.Elem()).Elem()
	if err := b.bind(val, ev, elemDec); err != nil {
		return err
	}
	fv.SetMapIndex(reflect.ValueOf(name).Convert(f.typ.Key()), ev)
	return nil
}

// fieldByIndexAlloc returns the field at index, allocating nil embedded
// struct pointers on the way.
func fieldByIndexAlloc(v reflect.Value, index []int) (reflect.Value, error) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return reflect.Value{}, errorString("cannot set embedded pointer to unexported struct " + v.Type().Elem().String())
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, nil
}
