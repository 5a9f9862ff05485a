package pickle

import (
	"encoding/binary"
	"math"
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"
)

// This file holds the encoder's fast path for structs: each field is read
// from the struct's memory at its offset, with the common field types
// (int64, int, bool, float64, string, []string, []int64,
// map[string]string) written inline and the others through the encoder of
// their type, with a reflect.Value made only for them. The field names,
// the same strings for every value of the type, are looked up in the memo
// once per pickle and then written from a cache of their memo indices. The
// bytes are those of the generic path (writeDictGeneric), which is used
// with a PersistentID hook (which must see every value), for a struct with
// an inline field and for a value whose memory cannot be reached.

// genericStructs makes writeDict always take the generic path (for tests
// comparing the two).
var genericStructs bool

// fieldKind is how a field is written by the fast path.
type fieldKind uint8

const (
	fieldOther   fieldKind = iota // through fieldValue and the field's encoder
	fieldInt64                    // int64
	fieldInt                      // int
	fieldBool                     // bool
	fieldFloat64                  // float64
	fieldString                   // string
	fieldStrings                  // []string
	fieldInt64s                   // []int64
	fieldStrMap                   // map[string]string
)

// fieldWriter is one field of the fast path.
type fieldWriter struct {
	off  uintptr // offset in the struct, unless kind is fieldOther
	kind fieldKind
	tid  unsafe.Pointer // typeID of the field's type
}

// maxFastFields is the most fields the fast path handles (its bitset of
// left-out fields).
const maxFastFields = 256

// structNameIDs hands out the ids of the field names in encodeState.names.
var structNameIDs atomic.Int64

// compileWriters compiles the fast path of se, if it has one.
func (se *structEncoder) compileWriters() {
	if se.inline != nil || len(se.fields) > maxFastFields {
		return
	}
	se.writers = make([]fieldWriter, len(se.fields))
	for i, f := range se.info.fields {
		w := &se.writers[i]
		off, direct := encFieldOffset(se.t, f.index)
		if f.omitEmpty || f.omitZero || !direct {
			se.check = true
		}
		w.tid = typeID(f.typ)
		if !direct || f.hint != hintNone {
			se.other = true
			continue
		}
		w.off = off
		switch f.typ {
		case reflect.TypeFor[int64]():
			w.kind = fieldInt64
		case reflect.TypeFor[int]():
			w.kind = fieldInt
		case reflect.TypeFor[bool]():
			w.kind = fieldBool
		case reflect.TypeFor[float64]():
			w.kind = fieldFloat64
		case reflect.TypeFor[string]():
			w.kind = fieldString
		case reflect.TypeFor[[]string]():
			w.kind = fieldStrings
		case reflect.TypeFor[[]int64]():
			w.kind = fieldInt64s
		case reflect.TypeFor[map[string]string]():
			w.kind = fieldStrMap
		default:
			se.other = true
		}
	}
	se.tid = typeID(se.t)
	se.allInline = !se.check && !se.other && len(se.fields) >= 2 && len(se.fields) < batchSize
	n := len(se.fields)
	// One id per field name, and one more for namesReady's mark.
	se.nameBase = int(structNameIDs.Add(int64(n+1))) - (n + 1)
	se.fast = true
}

// encFieldOffset returns the offset of the field at index in t, or false when
// the path goes through an embedded pointer.
func encFieldOffset(t reflect.Type, index []int) (uintptr, bool) {
	var off uintptr
	for i, x := range index {
		if i > 0 && t.Kind() == reflect.Pointer {
			return 0, false
		}
		sf := t.Field(x)
		off += sf.Offset
		t = sf.Type
	}
	return off, true
}

// structPointer returns the address of the struct v's memory, to read it
// (and never write it). A value that is not addressable is reached through
// the interface holding it, which for a struct that is not pointer-shaped
// is its memory, not a copy.
func structPointer(v reflect.Value) (unsafe.Pointer, bool) {
	if v.CanAddr() {
		return v.Addr().UnsafePointer(), true
	}
	if v.CanInterface() && v.Type().Size() != unsafe.Sizeof(uintptr(0)) {
		x := v.Interface()
		return (*[2]unsafe.Pointer)(unsafe.Pointer(&x))[1], true
	}
	return nil, false
}

// nameSlot is the memo index of one field name in one pickle (gen).
type nameSlot struct {
	gen uint32
	idx int32
}

// maxPooledNames is the largest name cache kept for the next encode.
const maxPooledNames = 1 << 16

// writeDictFast is writeDict for a struct at p (v's memory); opened says
// the caller wrote the dict and its memo entry already (openDict).
func (se *structEncoder) writeDictFast(e *encodeState, v reflect.Value, p unsafe.Pointer, k memoKey, hasKey, always, opened bool) (bool, error) {
	n := len(se.fields)
	var left [maxFastFields / 64]uint64 // fields left out
	if se.check {
		for i := range se.writers {
			if se.leaveOut(v, p, i) {
				left[i/64] |= 1 << (i % 64)
				n--
			}
		}
	}
	if !always && n == 0 {
		return false, nil
	}
	var names []string // nil: the plain names, through the cache
	if e.cfg.nameTransform != nil {
		names, _ = se.fieldNames(e.cfg)
	}
	if !opened {
		e.writeDictHead(k, hasKey)
	}
	if err := e.enter(); err != nil {
		return false, err
	}
	var err error
	switch {
	case n == 0:
	case e.proto == 0 || n >= batchSize:
		next := 0
		err = e.batchSetitems(n, func(int) error {
			for left[next/64]&(1<<(next%64)) != 0 {
				next++
			}
			i := next
			next++
			return se.writeFields(e, v, p, names, &left, i, i+1)
		})
	case n == 1:
		if err = se.writeFields(e, v, p, names, &left, 0, len(se.writers)); err == nil {
			e.op(opSetitem)
		}
	default:
		e.op(opMark)
		if names == nil && se.allInline && e.proto >= 1 && se.namesReady(e) {
			err = se.writeFieldsCached(e, p)
		} else {
			err = se.writeFields(e, v, p, names, &left, 0, len(se.writers))
		}
		if err == nil {
			e.op(opSetitems)
		}
	}
	e.leave()
	return true, err
}

// leaveOut reports whether field i is left out: by omitempty or omitzero,
// or for an embedded nil pointer in its way.
func (se *structEncoder) leaveOut(v reflect.Value, p unsafe.Pointer, i int) bool {
	f, w := &se.fields[i], &se.writers[i]
	if !f.omitE && !f.omitZ && w.kind != fieldOther {
		return false
	}
	q := unsafe.Add(p, w.off)
	switch w.kind {
	case fieldInt64:
		return *(*int64)(q) == 0
	case fieldInt:
		return *(*int)(q) == 0
	case fieldBool:
		return !*(*bool)(q)
	case fieldFloat64:
		return *(*float64)(q) == 0 // -0.0 too, as reflect's IsZero says
	case fieldString:
		return len(*(*string)(q)) == 0
	case fieldStrings, fieldInt64s:
		h := (*struct {
			data unsafe.Pointer
			n    int
		})(q)
		if f.omitE && h.n == 0 {
			return true
		}
		return f.omitZ && h.data == nil
	case fieldStrMap:
		m := *(*map[string]string)(q)
		if f.omitE && len(m) == 0 {
			return true
		}
		return f.omitZ && m == nil
	}
	fv, ok := fieldValue(v, f.index)
	return !ok || f.omit(fv)
}

// writeName writes the name of field i: from names when it is not nil,
// else the plain name, which is memoized by identity as writeString does
// (the same string every time), its memo index kept for the rest of the
// pickle.
func (se *structEncoder) writeName(e *encodeState, i int, names []string) error {
	if names != nil {
		return e.writeString(names[i])
	}
	id := se.nameBase + i
	if id < len(e.names) && e.names[id].gen == e.gen {
		e.get(int(e.names[id].idx))
		return nil
	}
	idx, err := se.writePlainName(e, i)
	if err != nil {
		return err
	}
	e.growNames(id)
	e.names[id] = nameSlot{gen: e.gen, idx: int32(idx)}
	return nil
}

// growNames makes room for id in the name cache.
func (e *encodeState) growNames(id int) {
	if id >= len(e.names) {
		e.names = append(e.names, make([]nameSlot, max(id+1-len(e.names), len(e.names), 64))...)
	}
}

// namesReady reports whether every field name of se has been written in
// this pickle with a memo index below 256, so that writeFieldsCached can
// write each as a BINGET. The answer is kept, once true, in the name
// cache's slot after the fields' (its gen is the pickle's).
func (se *structEncoder) namesReady(e *encodeState) bool {
	mark := se.nameBase + len(se.writers)
	if mark < len(e.names) && e.names[mark].gen == e.gen {
		return true
	}
	e.growNames(mark)
	for _, s := range e.names[se.nameBase:mark] {
		if s.gen != e.gen || uint32(s.idx) >= 256 {
			return false
		}
	}
	e.names[mark] = nameSlot{gen: e.gen}
	return true
}

// writePlainName writes the plain name of field i as writeStringIdx does,
// from its opcodes made in advance at protocol 4 and above.
func (se *structEncoder) writePlainName(e *encodeState, i int) (int, error) {
	if e.proto < 4 || se.short[i] == "" {
		return e.writeStringIdx(se.plain[i])
	}
	idx, found := e.memo.getOrPutStr(se.plain[i], e.nmemo)
	if found {
		e.get(idx)
		return idx, nil
	}
	e.buf = append(e.buf, se.short[i]...)
	e.nmemo++
	return idx, nil
}

// shortStrOps returns the SHORT_BINUNICODE and MEMOIZE opcodes of a str of
// protocol 4 and above, or "" when s is too long for them or not text.
func shortStrOps(s string) string {
	if len(s) == 0 || len(s) > 0xff || !validText(s) {
		return ""
	}
	ops := append([]byte{opShortBinunicode, byte(len(s))}, s...)
	return string(append(ops, opMemoize))
}

// writeFields writes the names and values of the fields lo to hi-1 that
// are not left out, as their encoders do: the usual kinds of field are
// read from memory and written here, in one loop with no call per field,
// the others by their encoders.
func (se *structEncoder) writeFields(e *encodeState, v reflect.Value, p unsafe.Pointer, names []string, left *[maxFastFields / 64]uint64, lo, hi int) error {
	// The memo indices of the plain names, when they may have been
	// written before in this pickle.
	var cached []nameSlot
	if names == nil && e.proto >= 1 && se.nameBase+len(se.writers) <= len(e.names) {
		cached = e.names[se.nameBase : se.nameBase+len(se.writers)]
	}
	gen := e.gen
	for i := lo; i < hi; i++ {
		if se.check && left[uint(i)/64]&(1<<(uint(i)%64)) != 0 {
			continue
		}
		e.boundary()
		if cached != nil && cached[i].gen == gen && uint32(cached[i].idx) < 256 {
			// The plain name, written before in this pickle: writeName's
			// usual case, inlined.
			e.op1(opBinget, byte(cached[i].idx))
		} else if err := se.writeName(e, i, names); err != nil {
			return withPath(err, "."+se.fields[i].goName)
		}
		var err error
		if w := &se.writers[i]; w.kind == fieldOther || e.proto == 0 && (w.kind == fieldStrings || w.kind == fieldInt64s) {
			err = se.writeOther(e, v, i) // protocol 0 writes lists through reflect
		} else {
			err = e.writeInlineField(w, unsafe.Add(p, w.off))
		}
		if err != nil {
			return withPath(err, "."+se.fields[i].goName)
		}
	}
	return nil
}

// writeFieldsCached is writeFields for the usual case, once a struct's
// names are in the memo (namesReady): every field, each of a kind written
// here (no fieldOther: the struct's reflect.Value is not needed), the
// plain names written as BINGET, at protocol 1 or more. Carrying only the
// struct's address and the names through the loop, it keeps fewer values
// alive across the calls that write strs and containers, which Go's
// calling convention (no register survives a call) makes the loop save
// and reload at each call.
func (se *structEncoder) writeFieldsCached(e *encodeState, p unsafe.Pointer) error {
	writers := se.writers
	slots := e.names[se.nameBase : se.nameBase+len(writers)]
	for i := range writers {
		w := &writers[i]
		e.boundary()
		e.op1(opBinget, byte(slots[i].idx))
		if err := e.writeInlineField(w, unsafe.Add(p, w.off)); err != nil {
			return withPath(err, "."+se.fields[i].goName)
		}
	}
	return nil
}

// writePlainRecord writes the struct at p as encodeAt does with no memo
// key, for a plain struct (every field written by writeFieldsCached, 2 to
// batchSize-1 of them) whose names are in the memo: the dict, its memo
// entry, and its fields in one MARK ... SETITEMS batch.
func (se *structEncoder) writePlainRecord(e *encodeState, p unsafe.Pointer) error {
	e.boundary()
	e.writeDictHead(memoKey{}, false)
	if err := e.enter(); err != nil {
		return err
	}
	e.op(opMark)
	err := se.writeFieldsCached(e, p)
	if err == nil {
		e.op(opSetitems)
	}
	e.leave()
	return err
}

// writeInlineField writes the value at q of a field of a kind written
// inline (any but fieldOther; at protocol 0, not a list kind, which goes
// through reflect), as its encoder would.
func (e *encodeState) writeInlineField(w *fieldWriter, q unsafe.Pointer) error {
	// An if chain, not a switch: a switch of this many cases compiles to a
	// jump table, whose one indirect jump per field the processor
	// mispredicted often enough to cost 5% of W2's encode; each
	// conditional branch here is predicted on its own.
	if k := w.kind; k == fieldInt64 {
		e.boundary()
		if x := *(*int64)(q); uint64(x) <= 0xff && e.proto >= 1 {
			e.op1(opBinint1, byte(x)) // writeInt's first case
		} else {
			e.writeInt(x)
		}
	} else if k == fieldInt {
		e.boundary()
		e.writeInt(int64(*(*int)(q)))
	} else if k == fieldBool {
		e.boundary()
		if e.proto >= 2 {
			e.op(opNewfalse - b2u8(*(*bool)(q))) // writeBool at protocol 2 and more: NEWTRUE is NEWFALSE-1
		} else {
			e.writeBool(*(*bool)(q))
		}
	} else if k == fieldFloat64 {
		e.boundary()
		if e.proto >= 1 {
			e.writeBinFloat(*(*float64)(q))
		} else {
			e.writeFloat(*(*float64)(q))
		}
	} else if k == fieldString {
		e.boundary()
		return e.writeString(*(*string)(q))
	} else if k == fieldStrings {
		s := *(*[]string)(q)
		return e.writeFastSlice(w.tid, fastList{stringItems, nil, 0}, unsafe.Pointer(unsafe.SliceData(s)), len(s))
	} else if k == fieldInt64s {
		s := *(*[]int64)(q)
		return e.writeFastSlice(w.tid, fastList{intItems[int64], intsSize[int64], 2}, unsafe.Pointer(unsafe.SliceData(s)), len(s))
	} else {
		return e.writeStrStrMap(w.tid, *(*unsafe.Pointer)(q)) // fieldStrMap
	}
	return nil
}

// NEWTRUE is NEWFALSE-1, which writeFields relies on: otherwise one of
// these byte constants is negative, and the package does not compile.
const _ = (opNewfalse - opNewtrue - 1) + (1 - (opNewfalse - opNewtrue))

// writeBinFloat writes f as BINFLOAT (writeFloat at protocol 1 or more),
// in place.
func (e *encodeState) writeBinFloat(f float64) {
	e.reserve(9)
	at := len(e.buf)
	b := e.buf[at : at+9]
	b[0] = opBinfloat
	binary.BigEndian.PutUint64(b[1:], math.Float64bits(f))
	e.buf = e.buf[:at+9]
}

// b2u8 is 1 for true and 0 for false, without a branch.
func b2u8(b bool) byte {
	var x byte
	if b {
		x = 1
	}
	return x
}

// writeOther writes the value of field i by its encoder, through reflect.
func (se *structEncoder) writeOther(e *encodeState, v reflect.Value, i int) error {
	fv, _ := fieldValue(v, se.fields[i].index) // not left out: reachable
	return se.fields[i].enc(e, fv)
}

// structEncoders maps a struct type to its compiled encoder, for the types
// whose encoder is the struct encoder (no hook of their own).
var structEncoders sync.Map // reflect.Type -> *structEncoder

// newStructSliceEncoder writes a slice of structs as the generic encoder
// does, with the items that are written as dicts (no PersistentID hook, no
// class bound) reached by their address rather than through a
// reflect.Value and the encoders that wrap the struct encoder.
func newStructSliceEncoder(t reflect.Type, generic encoderFunc) encoderFunc {
	et := t.Elem()
	var (
		se       *structEncoder
		elem     encoderFunc
		isolated bool
		once     sync.Once
	)
	return func(e *encodeState, v reflect.Value) error {
		once.Do(func() {
			elem = typeEncoder(et) // built first: it stores se
			if x, ok := structEncoders.Load(et); ok && x.(*structEncoder).fast {
				se = x.(*structEncoder)
			}
			isolated = isolatedType(et)
		})
		if se == nil || e.cfg.persistentID != nil || genericStructs {
			return generic(e, v)
		}
		e.boundary()
		n := v.Len()
		if n == 0 {
			e.writeListHead(memoKey{}, false)
			return nil
		}
		base := v.UnsafePointer()
		k := sliceKey(base, n, t)
		if e.getMemo(k) {
			return nil
		}
		// The items of the value being written, when nothing else in it
		// can refer to them, need no memo key (their dicts are memoized,
		// under no identity).
		size := et.Size()
		keyed := size != 0 && !(isolated && e.depth == 0)
		e.writeListHead(k, true)
		if err := e.enter(); err != nil {
			return err
		}
		reg := e.cfg.reg()
		// A class bound to the item type (looked up once for the slice:
		// a registration made during the encode counts from the next one)
		// takes every item through the item encoder.
		bound := se.classes.lookup(reg, et) != nil
		// Unkeyed items of a plain struct (see writeFieldsCached) are
		// written by writePlainRecord once their names are in the memo.
		plain := !keyed && se.allInline && e.proto >= 1 && e.cfg.nameTransform == nil
		err := e.batchAppends(n, func(i int) error {
			var err error
			if bound {
				err = elem(e, v.Index(i))
			} else if plain && se.namesReady(e) {
				err = se.writePlainRecord(e, unsafe.Add(base, uintptr(i)*size))
			} else {
				err = se.encodeAt(e, v, i, unsafe.Add(base, uintptr(i)*size), keyed)
			}
			if err != nil {
				return withPath(err, indexSeg(i))
			}
			return nil
		})
		e.leave()
		return err
	}
}

// isolatedType reports whether nothing in a value of type t can refer to
// another object, nor be referred to other than by t's own place: no
// pointer, interface, unsafe pointer, function or channel anywhere in it,
// t nowhere inside itself (through a slice or a map), and no type the
// encoder writes through a hook (hookEncoder's reductions, or GetState).
// The items of a []t that is the value being written can then be reached
// only once, through the slice.
func isolatedType(t reflect.Type) bool {
	seen := map[reflect.Type]bool{}
	var walk func(u reflect.Type, top bool) bool
	walk = func(u reflect.Type, top bool) bool {
		if u == t && !top {
			return false
		}
		if seen[u] {
			return true
		}
		seen[u] = true
		if hookEncoder(u) != nil || u.Implements(stateGetterType) || reflect.PointerTo(u).Implements(stateGetterType) {
			return false
		}
		switch u.Kind() {
		case reflect.Pointer, reflect.Interface, reflect.UnsafePointer, reflect.Func, reflect.Chan:
			return false
		case reflect.Slice, reflect.Array:
			return walk(u.Elem(), false)
		case reflect.Map:
			return walk(u.Key(), false) && walk(u.Elem(), false)
		case reflect.Struct:
			for i := range u.NumField() {
				if !walk(u.Field(i).Type, false) {
					return false
				}
			}
		}
		return true
	}
	return walk(t, true)
}

// encodeAt is encode for item i of the slice v, at p, memoized under its
// address if hasKey.
func (se *structEncoder) encodeAt(e *encodeState, v reflect.Value, i int, p unsafe.Pointer, hasKey bool) error {
	e.boundary()
	var k memoKey
	if hasKey {
		// One memo lookup, which also memoizes the dict it opens.
		k = memoKey{p: p, t: se.tid, kind: memoPtr}
		if e.openDict(k) {
			return nil
		}
	}
	var ev reflect.Value
	if se.other || e.proto == 0 { // at protocol 0 the lists go through reflect
		ev = v.Index(i)
	}
	_, err := se.writeDictFast(e, ev, p, k, hasKey, true, hasKey)
	return err
}
