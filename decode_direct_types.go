package pickle

import (
	"encoding/binary"
	"math"
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Compiled direct decoders (see decode_direct.go), one per Go type, cached.
// A type gets one only if every type it reaches can be decoded directly with
// exactly the general decoder's result: bools, integers, floats, strings,
// []byte, slices, maps, structs (without a catch-all field or embedded
// pointers) and pointers to them. Types with SetState, the model types,
// *big.Int and interfaces are left to the general decoder.

// ptr is the address of the Go value being filled.
type ptr = unsafe.Pointer

// directFunc decodes the value whose first opcode op was just read into the
// Go value at p; false means give up.
type directFunc func(d *direct, op byte, p ptr) bool

// directType is the compiled direct decoder of one type; fn is nil when the
// type is not decoded directly.
type directType struct {
	t  reflect.Type
	fn directFunc
}

var (
	directCache sync.Map   // reflect.Type -> *directType
	directMu    sync.Mutex // serializes compiling
	structIDs   atomic.Int32
)

// directTypeOf returns the compiled direct decoder of t.
func directTypeOf(t reflect.Type) *directType {
	if dt, ok := directCache.Load(t); ok {
		return dt.(*directType)
	}
	directMu.Lock()
	defer directMu.Unlock()
	if dt, ok := directCache.Load(t); ok {
		return dt.(*directType)
	}
	c := directCompiler{types: map[reflect.Type]*directType{}}
	dt := c.compile(t)
	if c.failed {
		// A type of a recursive group is not supported: its members were
		// compiled before that was known, so none of them is used.
		for _, x := range c.types {
			x.fn = nil
		}
	}
	for t, x := range c.types {
		directCache.Store(t, x)
	}
	return dt
}

// directCompiler compiles the direct decoders of the types one type reaches.
type directCompiler struct {
	types  map[reflect.Type]*directType
	failed bool // some type reached is not supported
}

func (c *directCompiler) compile(t reflect.Type) *directType {
	if dt, ok := directCache.Load(t); ok {
		if dt.(*directType).fn == nil {
			c.failed = true
		}
		return dt.(*directType)
	}
	if dt, ok := c.types[t]; ok {
		return dt // being compiled: fn is set before any decode runs
	}
	dt := &directType{t: t}
	c.types[t] = dt
	dt.fn = c.build(t)
	if dt.fn == nil {
		c.failed = true
	}
	return dt
}

// build returns the directFunc of t, or nil.
func (c *directCompiler) build(t reflect.Type) directFunc {
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && reflect.PointerTo(t).Implements(stateSetterType) {
		return nil
	}
	if t == bigIntType || t == tupleType || t == globalType || modelPtrTypes[t] {
		return nil
	}
	switch t.Kind() {
	case reflect.Bool:
		return directBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return directIntOf(t)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return directUintOf(t)
	case reflect.Float32:
		return directFloat32
	case reflect.Float64:
		return directFloat64
	case reflect.String:
		return directString
	case reflect.Slice:
		return c.sliceFunc(t)
	case reflect.Map:
		return c.mapFunc(t)
	case reflect.Struct:
		return c.structFunc(t)
	case reflect.Pointer:
		return c.pointerFunc(t)
	}
	return nil
}

// --- scalars -------------------------------------------------------------------

func directBool(d *direct, op byte, p ptr) bool {
	if op != opNewtrue && op != opNewfalse {
		return false
	}
	*(*bool)(p) = op == opNewtrue
	_, ok := d.memoOps(memoNotStr, 0)
	return ok
}

func directIntOf(t reflect.Type) directFunc {
	bits := t.Bits()
	return func(d *direct, op byte, p ptr) bool {
		x, ok := d.integer(op)
		if !ok {
			return false
		}
		switch bits {
		case 64:
			*(*int64)(p) = x
		case 32:
			if int64(int32(x)) != x {
				return false
			}
			*(*int32)(p) = int32(x)
		case 16:
			if int64(int16(x)) != x {
				return false
			}
			*(*int16)(p) = int16(x)
		default:
			if int64(int8(x)) != x {
				return false
			}
			*(*int8)(p) = int8(x)
		}
		return true
	}
}

func directUintOf(t reflect.Type) directFunc {
	bits := t.Bits()
	return func(d *direct, op byte, p ptr) bool {
		x, ok := d.integer(op)
		if !ok || x < 0 || bits < 64 && uint64(x)>>bits != 0 {
			return false
		}
		switch bits {
		case 64:
			*(*uint64)(p) = uint64(x)
		case 32:
			*(*uint32)(p) = uint32(x)
		case 16:
			*(*uint16)(p) = uint16(x)
		default:
			*(*uint8)(p) = uint8(x)
		}
		return true
	}
}

func directFloat64(d *direct, op byte, p ptr) bool {
	f, ok := d.float(op)
	*(*float64)(p) = f
	return ok
}

func directFloat32(d *direct, op byte, p ptr) bool {
	f, ok := d.float(op)
	if !ok || !math.IsInf(f, 0) && math.Abs(f) > math.MaxFloat32 {
		return false
	}
	*(*float32)(p) = float32(f)
	return true
}

func directString(d *direct, op byte, p ptr) bool {
	off, n, slot, ok := d.str(op)
	if !ok {
		return false
	}
	*(*string)(p) = d.text(off, n, slot, op == opBinget || op == opLongBinget)
	return true
}

// directBytes decodes bytes into a []byte, copied unless ZeroCopy is on
// (or None into nil).
func directBytes(d *direct, op byte, p ptr) bool {
	if op == opNone {
		*(*[]byte)(p) = nil
		_, ok := d.memoOps(memoNotStr, 0)
		return ok
	}
	b, ok := d.bytesValue(op)
	if !ok {
		return false
	}
	if d.cfg.zeroCopy {
		*(*[]byte)(p) = aliasBytes(b)
	} else {
		*(*[]byte)(p) = cloneBytes(b)
	}
	return true
}

// skipScalar reads and drops a scalar value (the value of a dict key that
// names no field).
func (d *direct) skipScalar(op byte) bool {
	switch op {
	case opNone, opNewtrue, opNewfalse:
		_, ok := d.memoOps(memoNotStr, 0)
		return ok
	case opShortBinunicode, opBinunicode, opBinunicode8, opBinget, opLongBinget:
		_, _, _, ok := d.str(op)
		return ok
	case opBinfloat:
		_, ok := d.float(op)
		return ok
	case opShortBinbytes, opBinbytes, opBinbytes8:
		_, ok := d.bytesValue(op)
		return ok
	}
	_, ok := d.integer(op)
	return ok
}

// memoFollows reports whether a memo opcode comes next (after a frame
// header, if one is there): the general decoder makes a fresh Go value for
// a memoized container rather than filling the one the target holds.
func (d *direct) memoFollows() bool {
	q := d.pos
	if q < len(d.data) && d.data[q] == opFrame && (d.frameEnd < 0 || q == d.frameEnd) {
		q += 9
	}
	if q >= len(d.data) {
		return false
	}
	switch d.data[q] {
	case opMemoize, opBinput, opLongBinput, opPut:
		return true
	}
	return false
}

// --- batches -------------------------------------------------------------------

// items runs the opcodes that add items to the list or dict just opened:
// batches (MARK ... APPENDS or SETITEMS) and single items (... APPEND or
// SETITEM), calling item for each item's first opcode. It stops before the
// first opcode that belongs to the container's parent.
// first tells which opcodes can begin an item (a list) or a key (a dict):
// only those can begin a single item, which saves guessing about the
// others.
func (d *direct) items(dict bool, first *opSet, item func(d *direct, op byte) bool) bool {
	batchEnd, single := opAppends, opAppend
	if dict {
		batchEnd, single = opSetitems, opSetitem
	}
	count := 0
	for {
		op, ok := d.peekOp()
		if !ok {
			return false
		}
		switch {
		case op == opMark:
			d.pos++
			for {
				if op, ok = d.next(); !ok {
					return false
				}
				if op == batchEnd {
					break
				}
				if count++; !d.counted(count) || !item(d, op) {
					return false
				}
			}
		case first[op] && d.itemFollows(single):
			d.pos++
			if count++; !d.counted(count) || !item(d, op) {
				return false
			}
			if op, ok = d.next(); !ok || op != single {
				return false
			}
		default:
			// A memo opcode here would memoize the container after its
			// items: the general decoder then makes a fresh Go value for
			// it, which the caller did not check for. Nothing here takes
			// one, so the decode gives up on it.
			return true
		}
	}
}

// opSet is a set of opcodes.
type opSet [256]bool

func newOpSet(ops ...byte) (s opSet) {
	for _, op := range ops {
		s[op] = true
	}
	return s
}

// The opcodes that can begin a value of each kind the direct decoder reads.
var (
	intStarts   = newOpSet(opBinint1, opBinint2, opBinint, opLong1)
	floatStarts = newOpSet(opBinint1, opBinint2, opBinint, opLong1, opBinfloat)
	strStarts   = newOpSet(opShortBinunicode, opBinunicode, opBinunicode8, opBinget, opLongBinget)
	boolStarts  = newOpSet(opNewtrue, opNewfalse)
	bytesStarts = newOpSet(opShortBinbytes, opBinbytes, opBinbytes8, opNone)
	listStarts  = newOpSet(opEmptyList, opNone)
	dictStarts  = newOpSet(opEmptyDict, opNone)
)

// startOps returns the opcodes that can begin a value the direct decoder
// of t reads.
func startOps(t reflect.Type) *opSet {
	switch t.Kind() {
	case reflect.Bool:
		return &boolStarts
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return &intStarts
	case reflect.Float32, reflect.Float64:
		return &floatStarts
	case reflect.String:
		return &strStarts
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return &bytesStarts
		}
		return &listStarts
	case reflect.Map, reflect.Struct:
		return &dictStarts
	case reflect.Pointer:
		s := *startOps(t.Elem())
		s[opNone] = true
		return &s
	}
	return &opSet{}
}

// --- slices --------------------------------------------------------------------

// sliceHeader is the memory layout of a Go slice.
type sliceHeader struct {
	data ptr
	len  int
	cap  int
}

var (
	boolSliceType = reflect.TypeOf([]bool(nil))
	byteSliceKind = reflect.Uint8
)

func (c *directCompiler) sliceFunc(t reflect.Type) directFunc {
	if t.Elem().Kind() == byteSliceKind {
		return directBytes
	}
	switch t {
	case float64SliceType:
		return directFloat64s
	case int64SliceType:
		return directInt64s
	case stringSliceType:
		return directStrings
	}
	elem := c.compile(t.Elem())
	size := t.Elem().Size()
	elemStarts := startOps(t.Elem())
	return func(d *direct, op byte, p ptr) bool {
		if op != opEmptyList {
			return directNilSlice(d, op, p)
		}
		if !d.open() {
			return false
		}
		s := sliceHeader{data: reflect.MakeSlice(t, 0, 0).UnsafePointer()}
		start := d.pos
		ok := d.items(false, elemStarts, func(d *direct, op byte) bool {
			if s.len == s.cap {
				s = growSlice(t, s, d.itemsHint(start, s.len))
			}
			s.len++
			return elem.fn(d, op, unsafe.Add(s.data, uintptr(s.len-1)*size))
		})
		d.close()
		*(*sliceHeader)(p) = s
		return ok
	}
}

// growSlice returns s with room for at least one more item: twice as
// much, or up to eight times as much if hint (a guess at the final
// length) says so. The bound keeps the memory a wrong guess wastes to a
// few times what the items read so far take.
func growSlice(t reflect.Type, s sliceHeader, hint int) sliceHeader {
	n := max(2*s.cap, 4, min(hint, 8*s.cap))
	grown := reflect.MakeSlice(t, s.len, n)
	reflect.Copy(grown, reflect.NewAt(t, unsafe.Pointer(&s)).Elem())
	return sliceHeader{data: grown.UnsafePointer(), len: s.len, cap: n}
}

// itemsHint guesses the final length of a list of n items so far, whose
// first item started at offset start: the rest of the input, at the
// bytes per item read so far. It guesses only from a sample of a few
// hundred items (0: no guess), and never beyond MaxContainerLen.
func (d *direct) itemsHint(start, n int) int {
	if n < 256 {
		return 0
	}
	per := max((d.pos-start)/n, 1)
	return int(min(int64(n+(len(d.data)-d.pos)/per+1), d.cfg.maxContainerLen))
}

// countAhead counts the items of the opcodes in sizes (argument sizes by
// opcode, 0 for others) in the batches ahead, to size a slice once.
func (d *direct) countAhead(sizes *[256]int8) int {
	n := 0
	for q := d.pos; q < len(d.data); {
		switch op := d.data[q]; {
		case sizes[op] > 0:
			n++
			q += 1 + int(sizes[op])
		case op == opMark || op == opAppends || op == opMemoize:
			q++
		case op == opFrame:
			q += 9
		default:
			return n
		}
	}
	return n
}

var (
	binFloatArgSizes = [256]int8{opBinfloat: 8}
	binIntArgSizes   = [256]int8{opBinint1: 1, opBinint2: 2, opBinint: 4}
)

// directFloat64s decodes a list into a []float64 with no call per item
// for runs of BINFLOAT items.
func directFloat64s(d *direct, op byte, p ptr) bool {
	return directNumbers(d, op, p, &binFloatArgSizes, &floatStarts, (*direct).floatRun, &d.box.floatSlices)
}

// directNumbers decodes a list into a []T sized by counting the items of
// the opcodes in sizes ahead, with run reading the items in runs; a short
// one is cut from chunk.
func directNumbers[T int64 | float64](d *direct, op byte, p ptr, sizes *[256]int8, starts *opSet,
	run func(d *direct, op byte, out []T, maxLen int) ([]T, bool), chunk *[]T) bool {
	if op != opEmptyList {
		return directNilSlice(d, op, p)
	}
	if !d.open() {
		return false
	}
	maxLen := int(min(d.cfg.maxContainerLen, math.MaxInt))
	out := carve(chunk, min(d.countAhead(sizes), maxLen))
	ok := d.items(false, starts, func(d *direct, op byte) bool {
		var ok bool
		out, ok = run(d, op, out, maxLen)
		return ok
	})
	d.close()
	*(*[]T)(p) = out
	return ok && len(out) <= maxLen
}

// floatRun appends the float whose opcode op was just read, and the
// BINFLOAT items that follow it in the frame, to out.
func (d *direct) floatRun(op byte, out []float64, maxLen int) ([]float64, bool) {
	data, pos, limit := d.data, d.pos, d.limit
	for op == opBinfloat && pos+8 <= limit {
		out = append(out, math.Float64frombits(binary.BigEndian.Uint64(data[pos:])))
		pos += 8
		if pos >= limit || data[pos] != opBinfloat || len(out) > maxLen {
			d.pos = pos
			return out, true
		}
		pos++ // the next item's opcode
	}
	d.pos = pos
	f, ok := d.float(op)
	return append(out, f), ok
}

// directInt64s decodes a list into an []int64 with no call per item for
// runs of BININT1 and BININT2 items.
func directInt64s(d *direct, op byte, p ptr) bool {
	return directNumbers(d, op, p, &binIntArgSizes, &intStarts, (*direct).intRun, &d.box.intSlices)
}

// intRun appends the int whose opcode op was just read, and the BININT1
// and BININT2 items that follow it in the frame, to out. (Locals, not
// fields of d, keep the loop in registers.)
func (d *direct) intRun(op byte, out []int64, maxLen int) ([]int64, bool) {
	data, pos, limit := d.data, d.pos, d.limit
	for {
		switch {
		case op == opBinint1 && pos < limit:
			out = append(out, int64(data[pos]))
			pos++
		case op == opBinint2 && pos+2 <= limit:
			out = append(out, int64(data[pos])|int64(data[pos+1])<<8)
			pos += 2
		default:
			d.pos = pos
			x, ok := d.integer(op)
			return append(out, x), ok
		}
		if pos >= limit || len(out) > maxLen {
			break
		}
		if op = data[pos]; op != opBinint1 && op != opBinint2 {
			break
		}
		pos++
	}
	d.pos = pos
	return out, true
}

// directStrings decodes a list into a []string. A short list's strings
// are written straight into the room left in the chunk of string slices
// (nothing else takes from that chunk while they are read: the items are
// strings), and the slice is cut there when the list ends, so that it costs
// no scan ahead and no copy; a list that outgrows the room is moved to a
// slice of its own, sized by counting the strings ahead.
func directStrings(d *direct, op byte, p ptr) bool {
	if op != opEmptyList {
		return directNilSlice(d, op, p)
	}
	if !d.open() {
		return false
	}
	chunk := &d.box.strSlices
	if cap(*chunk)-len(*chunk) < boxChunkMin {
		*chunk = make([]string, 0, nextChunk(cap(*chunk), boxChunkMin, boxChunkMax))
	}
	at := len(*chunk)
	room := (*chunk)[at:cap(*chunk)]
	n := 0
	var out []string // set once the list outgrows the room
	ok := d.items(false, &strStarts, func(d *direct, op byte) bool {
		off, size, slot, ok := d.str(op)
		if !ok {
			return false
		}
		s := d.text(off, size, slot, op == opBinget || op == opLongBinget)
		switch {
		case out != nil:
			out = append(out, s)
		case n < len(room):
			room[n] = s
			n++
		default:
			out = make([]string, n, n+1+min(d.countFlat(d.pos), int(min(d.cfg.maxContainerLen, math.MaxInt32))))
			copy(out, room)
			clear(room)
			out = append(out, s)
		}
		return true
	})
	d.close()
	if out == nil {
		*chunk = (*chunk)[:at+n]
		out = (*chunk)[at : at+n : at+n]
	}
	*(*[]string)(p) = out
	return ok
}

// directNilSlice decodes None into a nil slice; anything else but a list
// is left to the general decoder.
func directNilSlice(d *direct, op byte, p ptr) bool {
	if op != opNone {
		return false
	}
	*(*sliceHeader)(p) = sliceHeader{}
	_, ok := d.memoOps(memoNotStr, 0)
	return ok
}

// --- maps ----------------------------------------------------------------------

var (
	mapStringStringType = reflect.TypeOf(map[string]string(nil))
	mapStringInt64Type  = reflect.TypeOf(map[string]int64(nil))
)

func (c *directCompiler) mapFunc(t reflect.Type) directFunc {
	key, elem := c.compile(t.Key()), c.compile(t.Elem())
	keyStarts := startOps(t.Key())
	switch t {
	case mapStringStringType:
		return directStringMap(directText)
	case mapStringInt64Type:
		return directStringMap(directInt64)
	}
	return func(d *direct, op byte, p ptr) bool {
		if op == opNone {
			*(*ptr)(p) = nil
			_, ok := d.memoOps(memoNotStr, 0)
			return ok
		}
		if op != opEmptyDict {
			return false
		}
		m := reflect.NewAt(t, p).Elem()
		if m.IsNil() || d.memoFollows() {
			m.Set(reflect.MakeMap(t))
		}
		if !d.open() {
			return false
		}
		kv, ev := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
		ok := d.items(true, keyStarts, func(d *direct, op byte) bool {
			kv.SetZero()
			ev.SetZero()
			if !key.fn(d, op, kv.Addr().UnsafePointer()) {
				return false
			}
			vop, ok := d.next()
			if !ok || !elem.fn(d, vop, ev.Addr().UnsafePointer()) {
				return false
			}
			m.SetMapIndex(kv, ev)
			return true
		})
		d.close()
		return ok
	}
}

// directText reads a str value whose opcode op was just read.
func directText(d *direct, op byte) (string, bool) {
	off, n, slot, ok := d.str(op)
	if !ok {
		return "", false
	}
	return d.text(off, n, slot, op == opBinget || op == opLongBinget), true
}

// directInt64 reads an int value whose opcode op was just read.
func directInt64(d *direct, op byte) (int64, bool) { return d.integer(op) }

// directStringMap decodes a dict into a map[string]V without reflection;
// elem reads one value. A new map is made without a size (a map of up to 8
// entries has no use for one), and only when a 9th pair comes are the
// pairs ahead counted, and the map moved to one of that size.
func directStringMap[V any](elem func(d *direct, op byte) (V, bool)) directFunc {
	return func(d *direct, op byte, p ptr) bool {
		if op == opNone {
			*(*map[string]V)(p) = nil
			_, ok := d.memoOps(memoNotStr, 0)
			return ok
		}
		if op != opEmptyDict {
			return false
		}
		m := *(*map[string]V)(p)
		fresh := m == nil || d.memoFollows()
		if fresh {
			m = map[string]V{}
			*(*map[string]V)(p) = m
		}
		if !d.open() {
			return false
		}
		ok := d.items(true, &strStarts, func(d *direct, op byte) bool {
			k, v, ok := directPair(d, op, elem)
			if fresh && len(m) == smallMap {
				if _, there := m[k]; !there {
					sized := make(map[string]V, smallMap+1+d.countFlat(d.pos)/2)
					for k, v := range m {
						sized[k] = v
					}
					m = sized
					*(*map[string]V)(p) = m
				}
				fresh = false
			}
			m[k] = v
			return ok
		})
		d.close()
		return ok
	}
}

// smallMap is the number of entries a Go map holds without growing from
// its first allocation (one group).
const smallMap = 8

// directPair reads a key, whose opcode op was just read, and its value.
func directPair[V any](d *direct, op byte, elem func(d *direct, op byte) (V, bool)) (k string, v V, ok bool) {
	if k, ok = directText(d, op); !ok {
		return k, v, false
	}
	vop, ok := d.next()
	if !ok {
		return k, v, false
	}
	v, ok = elem(d, vop)
	return k, v, ok
}

// --- pointers ------------------------------------------------------------------

func (c *directCompiler) pointerFunc(t reflect.Type) directFunc {
	elem := c.compile(t.Elem())
	et := t.Elem()
	return func(d *direct, op byte, p ptr) bool {
		switch op {
		case opNone:
			*(*ptr)(p) = nil
			_, ok := d.memoOps(memoNotStr, 0)
			return ok
		case opBinget, opLongBinget:
			return false // a shared value: the general decoder shares it
		}
		target := *(*ptr)(p)
		if target == nil {
			target = reflect.New(et).UnsafePointer()
			*(*ptr)(p) = target
			return elem.fn(d, op, target)
		}
		if op == opEmptyDict || op == opEmptyList {
			// A memoized container gets a fresh Go value, as the general
			// decoder gives it one; otherwise it fills the one there.
			if d.memoFollows() {
				target = reflect.New(et).UnsafePointer()
				*(*ptr)(p) = target
			}
			return elem.fn(d, op, target)
		}
		// A scalar: whether it is memoized shows only after it is read.
		fresh := reflect.New(et)
		memoized := d.nmemo
		if !elem.fn(d, op, fresh.UnsafePointer()) {
			return false
		}
		if d.nmemo != memoized {
			*(*ptr)(p) = fresh.UnsafePointer()
		} else {
			reflect.NewAt(et, target).Elem().Set(fresh.Elem())
		}
		return true
	}
}

// --- structs -------------------------------------------------------------------

// directStruct decodes a dict into a struct type by field name.
type directStruct struct {
	id     int32
	info   *structInfo
	plain  []string // field names without a name transform
	fields []directField
}

type directField struct {
	offset uintptr
	dt     *directType
}

func (c *directCompiler) structFunc(t reflect.Type) directFunc {
	info, err := cachedStructInfo(t)
	if err != nil || info.inline != nil {
		return nil
	}
	ds := &directStruct{id: structIDs.Add(1), info: info}
	for i := range info.fields {
		f := &info.fields[i]
		off, ok := fieldOffset(t, f.index)
		if !ok {
			return nil
		}
		dt := c.compile(f.typ)
		ds.plain = append(ds.plain, f.name)
		ds.fields = append(ds.fields, directField{offset: off, dt: dt})
	}
	return ds.decode
}

// fieldOffset returns the offset of the field at index in t, if the path
// has no pointer to follow and every field on it is exported (the general
// decoder sets fields through reflect, which needs that).
func fieldOffset(t reflect.Type, index []int) (uintptr, bool) {
	var off uintptr
	for i, x := range index {
		if i > 0 {
			if t.Kind() != reflect.Struct {
				return 0, false
			}
		}
		f := t.Field(x)
		if !f.IsExported() && !(f.Anonymous && f.Type.Kind() == reflect.Struct) {
			return 0, false
		}
		off += f.Offset
		t = f.Type
	}
	return off, true
}

func (ds *directStruct) decode(d *direct, op byte, p ptr) bool {
	if op != opEmptyDict || !d.open() {
		return false
	}
	names, byName := ds.plain, ds.info.byName
	if d.cfg.nameTransform != nil {
		nf := ds.info.withTransform(d.cfg.nameTransformKey, d.cfg.nameTransform)
		names, byName = nf.names, nf.byName
	}
	hint := 0
	ok := d.items(true, &strStarts, func(d *direct, op byte) bool {
		i, ok := ds.fieldOf(d, op, names, byName, hint)
		if !ok {
			return false
		}
		vop, ok := d.next()
		if !ok {
			return false
		}
		if i < 0 {
			return !d.cfg.disallowUnknown && d.skipScalar(vop)
		}
		hint = i + 1
		f := &ds.fields[i]
		return f.dt.fn(d, vop, unsafe.Add(p, f.offset))
	})
	d.close()
	return ok
}

// fieldOf reads a key and returns the field it names (-1 for none). A
// memoized key remembers its field, so that the keys of the records after
// the first, which CPython writes as memo references, cost no lookup.
func (ds *directStruct) fieldOf(d *direct, op byte, names []string, byName map[string]int, hint int) (int, bool) {
	if op == opBinget && d.pos < d.limit {
		// The common case inline: a key met before.
		if i := d.data[d.pos]; int(i) < len(d.memo) {
			if e := &d.memo[i]; e.owner == ds.id && e.off >= 0 {
				d.pos++
				return int(e.field), true
			}
		}
	}
	off, n, slot, ok := d.str(op)
	if !ok {
		return 0, false
	}
	if slot >= 0 {
		if e := &d.memo[slot]; e.owner == ds.id {
			return int(e.field), true
		}
	}
	name := d.data[off : off+n]
	i, found := hint, hint < len(names) && names[hint] == string(name)
	if !found {
		i, found = byName[string(name)]
	}
	if !found {
		i = -1
	}
	if slot >= 0 {
		d.memo[slot].owner, d.memo[slot].field = ds.id, int32(i)
	}
	return i, true
}
