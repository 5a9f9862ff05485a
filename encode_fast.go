package pickle

import (
	"encoding/binary"
	"math"
	"reflect"
	"unsafe"
)

// This file holds the encoder's fast paths for slices of the predeclared
// scalar types ([]float64, []int64, []string, ...): the items are read as a
// typed Go slice, with no reflection and no function value per item, and
// written straight into the buffer. The bytes are those of the generic path
// (newSliceEncoder): the same MARK ... APPENDS batches, and the same frame
// check before each item that boundary makes.

// itemsWriter writes items [start, end) of the slice with data at p.
type itemsWriter func(e *encodeState, p unsafe.Pointer, start, end int) error

// itemsSizer returns the size in bytes of the n items at p, as written at
// protocol 2 or more (an estimate where the size depends on the protocol).
type itemsSizer func(p unsafe.Pointer, n int) int

// fastList is the fast path of one item type.
type fastList struct {
	items   itemsWriter
	size    itemsSizer // nil: the items' size is not worth computing
	minItem int        // the smallest size of one item, in bytes
}

// fastItems returns the fast path of slices of et, or false when et has
// none. Only the predeclared types qualify: a defined type may be bound to
// an enum class or have a reduction of its own.
func fastItems(et reflect.Type) (fastList, bool) {
	switch et {
	case reflect.TypeFor[float64]():
		return fastList{floatItems[float64], floatsSize, 9}, true
	case reflect.TypeFor[float32]():
		return fastList{floatItems[float32], floatsSize, 9}, true
	case reflect.TypeFor[int64]():
		return fastList{intItems[int64], intsSize[int64], 2}, true
	case reflect.TypeFor[int]():
		return fastList{intItems[int], intsSize[int], 2}, true
	case reflect.TypeFor[int32]():
		return fastList{intItems[int32], intsSize[int32], 2}, true
	case reflect.TypeFor[int16]():
		return fastList{intItems[int16], intsSize[int16], 2}, true
	case reflect.TypeFor[int8]():
		return fastList{intItems[int8], intsSize[int8], 2}, true
	case reflect.TypeFor[uint64]():
		return fastList{uintItems[uint64], nil, 0}, true
	case reflect.TypeFor[uint]():
		return fastList{uintItems[uint], nil, 0}, true
	case reflect.TypeFor[uint32]():
		return fastList{uintItems[uint32], nil, 0}, true
	case reflect.TypeFor[uint16]():
		return fastList{uintItems[uint16], nil, 0}, true
	case reflect.TypeFor[uintptr]():
		return fastList{uintItems[uintptr], nil, 0}, true
	case reflect.TypeFor[string]():
		return fastList{stringItems, nil, 0}, true
	case reflect.TypeFor[bool]():
		return fastList{boolItems, nil, 0}, true
	}
	return fastList{}, false
}

// minSizedList is the length from which a list's size is computed up front,
// so that the buffer is allocated once at the right size instead of grown.
const minSizedList = 4096

// newFastSliceEncoder writes a slice whose items have a fast path. At
// protocol 0 (one APPEND per item, floats as text) and with a PersistentID
// hook (which must see every item) it defers to the generic encoder.
func newFastSliceEncoder(t reflect.Type, fast fastList, generic encoderFunc) encoderFunc {
	tid := typeID(t)
	return func(e *encodeState, v reflect.Value) error {
		if e.proto == 0 || e.cfg.persistentID != nil {
			return generic(e, v)
		}
		return e.writeFastSlice(tid, fast, v.UnsafePointer(), v.Len())
	}
}

// writeFastSlice writes the slice with n items at p, of the type whose
// typeID is tid, by its fast path (protocol 1 or more, no PersistentID
// hook), frame check included.
func (e *encodeState) writeFastSlice(tid unsafe.Pointer, fast fastList, p unsafe.Pointer, n int) error {
	e.boundary()
	if n == 0 {
		e.writeListHead(memoKey{}, false)
		return nil
	}
	if e.openList(memoKey{p: p, n: n, t: tid, kind: memoSlice}) {
		return nil
	}
	if err := e.enter(); err != nil {
		return err
	}
	if fast.size != nil && n >= minSizedList && cap(e.buf)-len(e.buf) < listSize(n, fast.minItem*n) {
		// The buffer must grow whatever the items are: grow it once, to
		// their size. (When it may already be large enough, as a pooled
		// buffer usually is, the items' own checks grow it if need be.)
		e.reserve(listSize(n, fast.size(p, n)))
	}
	var err error
	if n > 1 && n <= batchSize {
		// One batch (appendBatches' usual case, without its closure).
		e.op(opMark)
		if err = fast.items(e, p, 0, n); err == nil {
			e.op(opAppends)
		}
	} else {
		err = e.appendBatches(n, func(start, end int) error { return fast.items(e, p, start, end) })
	}
	e.leave()
	return err
}

// listSize is the size of n list items of itemBytes bytes in all, with
// their batch and frame opcodes.
func listSize(n, itemBytes int) int {
	return itemBytes + 2*(n/batchSize+1) + frameHeaderSize*(itemBytes/frameSizeTarget+2)
}

func floatsSize(_ unsafe.Pointer, n int) int { return 9 * n }

// intsSize is exact for ints that fit in 32 bits and an upper bound (LONG1
// of 8 bytes) for others.
func intsSize[T int | int8 | int16 | int32 | int64](p unsafe.Pointer, n int) int {
	size := 0
	for _, x := range unsafe.Slice((*T)(p), n) {
		switch u := uint64(int64(x)); {
		case u <= 0xffff:
			size += 2 + int((u>>8|-(u>>8))>>63)
		case int64(x) >= math.MinInt32 && int64(x) <= math.MaxInt32:
			size += 5
		default:
			size += 10
		}
	}
	return size
}

// appendBatches writes the n items of a list (n > 0, protocol 1 or more)
// as batchAppends does: APPEND after a single item, else MARK ... APPENDS
// per batch of batchSize items. run writes a range of items.
func (e *encodeState) appendBatches(n int, run func(start, end int) error) error {
	if n == 1 {
		if err := run(0, 1); err != nil {
			return err
		}
		e.op(opAppend)
		return nil
	}
	for start := 0; start < n; start += batchSize {
		end := min(start+batchSize, n)
		e.op(opMark)
		if err := run(start, end); err != nil {
			return err
		}
		e.op(opAppends)
	}
	return nil
}

// frameLimit returns the length the buffer may reach before the frame check
// made before an item has work to do: a frame to close, or output to hand
// to the stream. An open frame (when framing) must have been started.
func (e *encodeState) frameLimit() int {
	switch {
	case e.frameStart >= 0:
		return e.frameStart + frameHeaderSize + frameSizeTarget
	case !e.framing && e.w != nil:
		return frameSizeTarget
	}
	return math.MaxInt
}

// nextFrame makes the frame check before an item whose predecessors filled
// the buffer to the limit, opens the next frame, and returns the new limit.
// It keeps room for more bytes in the buffer.
func (e *encodeState) nextFrame(more int) int {
	e.boundary()
	e.reserve(more)
	return e.frameLimit()
}

// floatItems writes float items as BINFLOAT.
func floatItems[T float32 | float64](e *encodeState, p unsafe.Pointer, start, end int) error {
	const size = 9
	xs := unsafe.Slice((*T)(p), end)[start:]
	e.reserve(len(xs)*size + frameHeaderSize + 2)
	limit := e.frameLimit()
	buf := e.buf
	for _, x := range xs {
		if len(buf) >= limit {
			e.buf = buf
			limit = e.nextFrame(len(xs)*size + 2)
			buf = e.buf
		}
		n := len(buf)
		buf = buf[:n+size]
		buf[n] = opBinfloat
		binary.BigEndian.PutUint64(buf[n+1:], math.Float64bits(float64(x)))
	}
	e.buf = buf
	return nil
}

// maxIntItem is the size of the longest int item the fast loops write
// themselves (BININT); longer ones go through writeInt.
const maxIntItem = 5

// intItems writes signed integer items as writeInt does.
func intItems[T int | int8 | int16 | int32 | int64](e *encodeState, p unsafe.Pointer, start, end int) error {
	xs := unsafe.Slice((*T)(p), end)[start:]
	e.reserve(len(xs)*maxIntItem + frameHeaderSize + 2)
	limit := e.frameLimit()
	buf := e.buf
	for _, x := range xs {
		if len(buf) >= limit {
			e.buf = buf
			limit = e.nextFrame(len(xs)*maxIntItem + 2)
			buf = e.buf
		}
		if u := uint64(int64(x)); u <= 0xffff {
			// BININT1 or BININT2 without an unpredictable branch: they
			// differ only in the opcode and in whether the third byte counts.
			wide := (u>>8 | -(u >> 8)) >> 63 // 1 if u > 0xff
			n := len(buf)
			b := buf[n : n+3]
			b[0], b[1], b[2] = opBinint1+2*byte(wide), byte(u), byte(u>>8)
			buf = buf[:n+2+int(wide)]
			continue
		}
		if int64(x) >= math.MinInt32 && int64(x) <= math.MaxInt32 {
			n := len(buf)
			b := buf[n : n+5]
			b[0] = opBinint
			binary.LittleEndian.PutUint32(b[1:], uint32(int32(x)))
			buf = buf[:n+5]
			continue
		}
		buf = e.appendIntItem(buf, int64(x), len(xs)*maxIntItem+2)
	}
	e.buf = buf
	return nil
}

// uintItems writes unsigned integer items as writeUint does.
func uintItems[T uint | uint16 | uint32 | uint64 | uintptr](e *encodeState, p unsafe.Pointer, start, end int) error {
	xs := unsafe.Slice((*T)(p), end)[start:]
	e.reserve(len(xs)*maxIntItem + frameHeaderSize + 2)
	limit := e.frameLimit()
	buf := e.buf
	for _, x := range xs {
		if len(buf) >= limit {
			e.buf = buf
			limit = e.nextFrame(len(xs)*maxIntItem + 2)
			buf = e.buf
		}
		if uint64(x) > math.MaxInt64 {
			e.buf = buf
			e.writeUint(uint64(x))
			e.reserve(len(xs)*maxIntItem + 2) // the long item used more than its share
			buf = e.buf
			continue
		}
		buf = e.appendIntItem(buf, int64(x), len(xs)*maxIntItem+2)
	}
	e.buf = buf
	return nil
}

// appendIntItem appends x as writeInt writes it (protocol 1 or more), to a
// buffer with room for maxIntItem bytes. An int longer than that (LONG1)
// uses more room than the caller reserved for it, so after one the buffer
// is given room again: room bytes, the caller's reservation for the rest.
func (e *encodeState) appendIntItem(buf []byte, x int64, room int) []byte {
	n := len(buf)
	switch {
	case uint64(x) <= 0xff:
		buf = buf[:n+2]
		buf[n], buf[n+1] = opBinint1, byte(x)
	case uint64(x) <= 0xffff:
		buf = buf[:n+3]
		buf[n], buf[n+1], buf[n+2] = opBinint2, byte(x), byte(x>>8)
	case x >= math.MinInt32 && x <= math.MaxInt32:
		buf = buf[:n+5]
		buf[n] = opBinint
		binary.LittleEndian.PutUint32(buf[n+1:], uint32(int32(x)))
	default:
		e.buf = buf
		e.writeInt(x)
		e.reserve(room)
		buf = e.buf
	}
	return buf
}

// stringItems writes str items, each memoized by identity.
func stringItems(e *encodeState, p unsafe.Pointer, start, end int) error {
	xs := unsafe.Slice((*string)(p), end)
	for i := start; i < end; i++ {
		e.boundary()
		if err := e.writeString(xs[i]); err != nil {
			return withPath(err, indexSeg(i))
		}
	}
	return nil
}

// boolItems writes bool items.
func boolItems(e *encodeState, p unsafe.Pointer, start, end int) error {
	xs := unsafe.Slice((*bool)(p), end)
	for i := start; i < end; i++ {
		e.boundary()
		e.writeBool(xs[i])
	}
	return nil
}
