package pickle

import (
	"encoding/binary"
	"math"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// The direct decoder: a single pass from the pickle's bytes into a typed Go
// value, for the shapes CPython writes for plain data (protocol 2 and up:
// dicts, lists, str, bytes, int, float, bool, None, with their memo
// entries, batches and frames). It exists for speed: the general decoder
// (machine.go, then bind_typed.go) records a tape of every value before it
// binds any, which costs a node per value and a second pass.
//
// The direct decoder never reports an error. Whenever it meets something it
// does not handle (an opcode of another protocol, a global, a shared
// container, a limit, a type mismatch, anything malformed), it gives up and
// Unmarshal runs the general decoder on the same input, from the start,
// which then decides and reports exactly as it always does. This is sound
// because the direct decoder interprets every opcode it accepts exactly as
// the pickle machine does, writes only what the general decoder would write
// for the same input, and accepts no input the general decoder refuses. Its
// one guess (is the value after a finished list or dict an item of it, or
// the next item of its parent?) only decides how far it gets: a wrong guess
// makes the next opcode unexpected, and it gives up.
//
// directFunc values are compiled per Go type (decode_direct_types.go).

// direct is the state of one direct decode.
type direct struct {
	data     []byte
	pos      int
	limit    int     // end of the current frame, or len(data)
	frameEnd int     // end of the current frame, or -1
	cfg      *config // &conf
	conf     config

	memo  []directMemo
	nmemo int64       // memo indices in use, as machine.memo.count
	strs  []string    // Go strings made for memoized str fetched by GET (directMemo.str)
	depth int         // containers open
	peek  int         // lookahead steps left, bounding the guesses' cost
	box   boxes       // chunks the short strings are made in
	am    *anyMachine // the machine of decodes into any, kept with the pool

	// sizeHint, when not 0, is a guess at the size of the pickle at the
	// start of data, which may be followed by more (a Decoder's buffer):
	// chunks are sized from it rather than from len(data).
	sizeHint int
}

// directMemo is one memo entry: a str (its text in data) or some other
// value, which the direct decoder cannot fetch again.
type directMemo struct {
	off   int64 // start of the text in data; -1 for a value that is no str, -2 for none
	n     int32 // length of the text
	owner int32 // id of the struct decoder whose field field names, or 0
	field int32
	str   int32 // 1 + the index in strs of the Go string made for it, or 0
}

const (
	memoNotStr = -1
	memoAbsent = -2
)

// directEnabled lets tests compare the direct decoder with the general one.
var directEnabled = true

var directPool = sync.Pool{New: func() any { return new(direct) }}

// maxPooledMemo is the largest memo a pooled direct decoder keeps.
const maxPooledMemo = 1 << 20

// decodeDirect tries to decode the pickle at the start of data into the
// value at p, of the type dec was compiled for. It returns the offset just
// past STOP, or ok false if the general decoder must do it.
func decodeDirect(cfg *config, data []byte, dec *directType, p ptr) (end int, ok bool) {
	d := directPool.Get().(*direct)
	defer d.release()
	d.conf = *cfg
	return d.decode(data, dec, p)
}

// begin prepares d, from the pool and with its configuration set, to read
// data.
func (d *direct) begin(data []byte) {
	d.data, d.pos, d.limit, d.frameEnd = data, 0, len(data), -1
	d.cfg = &d.conf
	d.memo, d.nmemo, d.depth = d.memo[:0], 0, 0
	d.peek = 4*len(data) + 1<<16
	d.box = boxes{input: len(data)}
	if d.sizeHint > 0 {
		d.box.input = min(d.sizeHint, len(data))
	}
}

// decode is decodeDirect with d's configuration.
func (d *direct) decode(data []byte, dec *directType, p ptr) (end int, ok bool) {
	if d.conf.maxWork != 0 {
		return 0, false // an explicit work limit is counted by the general decoder
	}
	d.begin(data)
	if !d.proto() {
		return 0, false
	}
	op, ok := d.next()
	if !ok || !dec.fn(d, op, p) {
		return 0, false
	}
	if op, ok = d.next(); !ok || op != opStop || d.frameEnd >= 0 && d.pos != d.frameEnd {
		return 0, false
	}
	return d.pos, true
}

func (d *direct) release() {
	if cap(d.memo) > maxPooledMemo {
		d.memo = nil
	}
	clear(d.strs)
	d.strs = d.strs[:0]
	if cap(d.strs) > maxPooledMemo {
		d.strs = nil
	}
	d.data, d.cfg, d.conf, d.box, d.sizeHint = nil, nil, config{}, boxes{}, 0
	directPool.Put(d)
}

// proto reads the PROTO opcode the direct decoder requires (protocol 2 or
// later: the earlier ones write bools and containers in text forms).
func (d *direct) proto() bool {
	if len(d.data) < 2 || d.data[0] != opProto || d.data[1] < 2 || int(d.data[1]) > HighestProtocol {
		return false
	}
	d.pos = 2
	return true
}

// --- input -------------------------------------------------------------------

// next returns the next opcode, entering frames on the way.
func (d *direct) next() (byte, bool) {
	for {
		if d.pos == d.frameEnd {
			d.frameEnd, d.limit = -1, len(d.data)
		}
		if d.pos >= d.limit {
			return 0, false
		}
		op := d.data[d.pos]
		d.pos++
		if op != opFrame {
			return op, true
		}
		if !d.frame() {
			return 0, false
		}
	}
}

// peekOp returns the next opcode without consuming it (frames before it are
// entered).
func (d *direct) peekOp() (byte, bool) {
	op, ok := d.next()
	if ok {
		d.pos--
	}
	return op, ok
}

// frame enters the frame whose FRAME opcode was just read.
func (d *direct) frame() bool {
	if d.frameEnd >= 0 || d.pos+8 > d.limit {
		return false
	}
	n := binary.LittleEndian.Uint64(d.data[d.pos:])
	d.pos += 8
	if n > uint64(len(d.data)-d.pos) || int64(n) > d.cfg.maxStringLen && n > 1<<20 {
		return false
	}
	d.frameEnd = d.pos + int(n)
	d.limit = d.frameEnd
	return true
}

// take returns the next n bytes of the current frame (or input).
func (d *direct) take(n int) ([]byte, bool) {
	if n < 0 || n > d.limit-d.pos {
		return nil, false
	}
	b := d.data[d.pos : d.pos+n]
	d.pos += n
	return b, true
}

// leUint is the little-endian unsigned integer of 1, 4 or 8 bytes.
func leUint(b []byte) uint64 {
	switch len(b) {
	case 1:
		return uint64(b[0])
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	}
	return binary.LittleEndian.Uint64(b)
}

// lengthSize is the size of the length argument of a str or bytes opcode.
func lengthSize(op byte) int {
	switch op {
	case opShortBinunicode, opShortBinbytes:
		return 1
	case opBinunicode8, opBinbytes8:
		return 8
	}
	return 4
}

// length reads a length argument of size 1, 4 or 8 bytes, as the opcodes
// of str and bytes have.
func (d *direct) length(size int) (int, bool) {
	b, ok := d.take(size)
	if !ok {
		return 0, false
	}
	n := leUint(b)
	if n > uint64(d.cfg.maxStringLen) || n > uint64(d.limit-d.pos) {
		return 0, false
	}
	return int(n), true
}

// --- the memo ------------------------------------------------------------------

// memoOps runs the PUT and MEMOIZE opcodes that follow a value, storing
// what it is (a str at off, n, or not a str when off is memoNotStr). It
// returns the last memo index used, or -1.
func (d *direct) memoOps(off int64, n int) (int32, bool) {
	slot := int32(-1)
	for {
		if d.pos == d.frameEnd {
			d.frameEnd, d.limit = -1, len(d.data)
		}
		if d.pos >= d.limit {
			return slot, true // the caller's next opcode read decides
		}
		var i uint64
		switch d.data[d.pos] {
		case opMemoize:
			d.pos++
			i = uint64(d.nmemo)
		case opBinput:
			if d.pos+2 > d.limit {
				return slot, false
			}
			i = uint64(d.data[d.pos+1])
			d.pos += 2
		case opLongBinput:
			if d.pos+5 > d.limit {
				return slot, false
			}
			i = uint64(binary.LittleEndian.Uint32(d.data[d.pos+1:]))
			d.pos += 5
		case opFrame:
			d.pos++
			if !d.frame() {
				return slot, false
			}
			continue
		default:
			return slot, true
		}
		if !d.memoPut(i, off, n) {
			return slot, false
		}
		slot = int32(i)
	}
}

// memoPut stores an entry at index i. Sparse or overwritten indices, and
// the MaxMemo limit, are left to the general decoder.
func (d *direct) memoPut(i uint64, off int64, n int) bool {
	if i != uint64(len(d.memo)) {
		if i < uint64(len(d.memo)) || i > uint64(len(d.memo))+denseSlack {
			return false
		}
		for uint64(len(d.memo)) < i {
			d.memo = append(d.memo, directMemo{off: memoAbsent})
		}
	}
	if d.nmemo >= d.cfg.maxMemo {
		return false
	}
	d.memo = append(d.memo, directMemo{off: off, n: int32(n)})
	d.nmemo++
	return true
}

// memoGet reads the index argument of BINGET or LONG_BINGET and returns the
// str it fetches (the entry's index); other entries cannot be fetched here.
func (d *direct) memoGet(op byte) (int32, bool) {
	i, ok := d.memoIndex(op)
	if !ok || i >= uint64(len(d.memo)) || d.memo[i].off < 0 {
		return 0, false
	}
	return int32(i), true
}

// --- scalars -------------------------------------------------------------------

// str reads a str value whose opcode op was just read: it returns the span
// of its UTF-8 text in data and its memo index (-1 if none).
func (d *direct) str(op byte) (off, n int, slot int32, ok bool) {
	if op == opShortBinunicode && d.pos < d.limit {
		// The common case inline: a short text, ASCII, then MEMOIZE.
		n = int(d.data[d.pos])
		if off = d.pos + 1; off+n <= d.limit && int64(n) <= d.cfg.maxStringLen && textValid(d.data[off:off+n]) {
			d.pos = off + n
			if d.pos < d.limit && d.data[d.pos] == opMemoize && d.nmemo < d.cfg.maxMemo && int(d.nmemo) == len(d.memo) {
				d.pos++
				d.memo = append(d.memo, directMemo{off: int64(off), n: int32(n)})
				d.nmemo++
				slot = int32(d.nmemo - 1)
				if next, ok := d.memoOps(int64(off), n); ok && next >= 0 {
					slot = next
				} else if !ok {
					return 0, 0, 0, false
				}
				return off, n, slot, true
			}
			slot, ok = d.memoOps(int64(off), n)
			return off, n, slot, ok
		}
	}
	switch op {
	case opShortBinunicode, opBinunicode, opBinunicode8:
		n, ok = d.length(lengthSize(op))
	case opBinget, opLongBinget:
		if slot, ok = d.memoGet(op); !ok {
			return 0, 0, 0, false
		}
		e := &d.memo[slot]
		return int(e.off), int(e.n), slot, true
	default:
		return 0, 0, 0, false
	}
	if !ok {
		return 0, 0, 0, false
	}
	off = d.pos
	text := d.data[off : off+n]
	d.pos += n
	if !textValid(text) {
		return 0, 0, 0, false
	}
	slot, ok = d.memoOps(int64(off), n)
	return off, n, slot, ok
}

// textValid reports whether b is text CPython may write: UTF-8 in which
// lone surrogates may appear in their 3-byte form (as validWTF8). ASCII is
// checked eight bytes at a time; the rest goes to the encoder's
// table-driven check (encode_utf8.go), which accepts exactly that.
func textValid(b []byte) bool {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 != 0 {
			return validText(unsafe.String(&b[i], len(b)-i))
		}
	}
	for ; i < len(b); i++ {
		if b[i] >= utf8.RuneSelf {
			return validText(unsafe.String(&b[i], len(b)-i))
		}
	}
	return true
}

// text returns the Go string of a str read by str. A str fetched from the
// memo is made once and shared, as the general decoder does, so that many
// references to one long str cost one copy.
func (d *direct) text(off, n int, slot int32, fetched bool) string {
	if d.cfg.zeroCopy {
		return aliasString(d.data[off : off+n])
	}
	if !fetched {
		return d.box.text(d.data[off : off+n])
	}
	e := &d.memo[slot]
	if e.str > 0 {
		return d.strs[e.str-1]
	}
	s := d.box.text(d.data[off : off+n])
	d.strs = append(d.strs, s)
	e.str = int32(len(d.strs))
	return s
}

// integer reads an int value whose opcode op was just read.
func (d *direct) integer(op byte) (int64, bool) {
	x, ok := d.intArg(op)
	if !ok {
		return 0, false
	}
	_, ok = d.memoOps(memoNotStr, 0)
	return x, ok
}

// intArg reads the argument of an int opcode (BININT1, BININT2, BININT,
// or LONG1 of at most 8 bytes: longer ones are big ints, the general
// decoder's) that was just read.
func (d *direct) intArg(op byte) (int64, bool) {
	switch op {
	case opBinint1:
		b, ok := d.take(1)
		if !ok {
			return 0, false
		}
		return int64(b[0]), true
	case opBinint2:
		b, ok := d.take(2)
		if !ok {
			return 0, false
		}
		return int64(binary.LittleEndian.Uint16(b)), true
	case opBinint:
		b, ok := d.take(4)
		if !ok {
			return 0, false
		}
		return int64(int32(binary.LittleEndian.Uint32(b))), true
	case opLong1:
		b, ok := d.take(1)
		if !ok || b[0] > 8 {
			return 0, false
		}
		if b, ok = d.take(int(b[0])); !ok {
			return 0, false
		}
		return long1Value(b), true
	}
	return 0, false
}

// long1Value is the little-endian two's complement integer of up to 8 bytes.
func long1Value(b []byte) int64 {
	if len(b) == 0 {
		return 0
	}
	var u uint64
	for i := len(b) - 1; i >= 0; i-- {
		u = u<<8 | uint64(b[i])
	}
	shift := 64 - 8*uint(len(b))
	return int64(u<<shift) >> shift
}

// float reads a float value (or an int, which Python accepts as a float)
// whose opcode op was just read.
func (d *direct) float(op byte) (float64, bool) {
	if op != opBinfloat {
		x, ok := d.integer(op)
		return float64(x), ok
	}
	b, ok := d.take(8)
	if !ok {
		return 0, false
	}
	f := math.Float64frombits(binary.BigEndian.Uint64(b))
	_, ok = d.memoOps(memoNotStr, 0)
	return f, ok
}

// bytesValue reads a bytes value whose opcode op was just read and returns
// its payload (in data).
func (d *direct) bytesValue(op byte) ([]byte, bool) {
	if op != opShortBinbytes && op != opBinbytes && op != opBinbytes8 {
		return nil, false
	}
	n, ok := d.length(lengthSize(op))
	if !ok {
		return nil, false
	}
	b := d.data[d.pos : d.pos+n]
	d.pos += n
	_, ok = d.memoOps(memoNotStr, 0)
	return b, ok
}

// --- containers ----------------------------------------------------------------

// open enters a container whose opening opcode was just read: it checks
// the depth limit and runs the memo opcodes that follow.
func (d *direct) open() bool {
	d.depth++
	if d.depth+1 > d.cfg.maxDepth { // +1: the general decoder counts the items too
		return false
	}
	_, ok := d.memoOps(memoNotStr, 0)
	return ok
}

// close leaves a container.
func (d *direct) close() { d.depth-- }

// counted checks a container's item count against MaxContainerLen (pairs
// for dicts, as the machine counts them).
func (d *direct) counted(n int) bool { return int64(n) <= d.cfg.maxContainerLen }

// isValueStart reports whether op begins a value (rather than ending a
// batch or the pickle).
func isValueStart(op byte) bool {
	switch op {
	case opMark, opStop, opAppend, opAppends, opSetitem, opSetitems, opAdditems,
		opPop, opPopMark, opDup, opBuild, opReduce, opNewobj, opNewobjEx,
		opTuple, opTuple1, opTuple2, opTuple3, opList, opDict, opFrozenset,
		opPut, opBinput, opLongBinput, opMemoize, opFrame, opStackGlobal, opObj, opProto:
		return false
	}
	return true
}

// itemFollows guesses whether the value at the read position is a single
// item added to the list (closer APPEND) or dict (closer SETITEM) just
// finished, rather than the next value of its parent: it follows the
// pickle machine's stack height (without building anything) until the
// closer takes the value, or the value's parent takes it first. The guess
// is bounded by d.peek over the whole decode; out of steps, it says no.
func (d *direct) itemFollows(closer byte) bool {
	want := 1 // the stack height at which APPEND takes the item
	if closer == opSetitem {
		want = 2
	}
	h := 0
	var marks [32]int
	nmarks := 0
	for pos := d.pos; pos < len(d.data); {
		if d.peek--; d.peek < 0 {
			return false
		}
		op := d.data[pos]
		arg, ok := binaryArgLen(op, d.data, pos+1)
		if !ok {
			return false
		}
		pos += 1 + arg
		switch op {
		case opFrame, opPut, opBinput, opLongBinput, opMemoize:
		case opMark:
			if nmarks == len(marks) {
				return false
			}
			marks[nmarks] = h
			nmarks++
		case opAppends, opSetitems, opAdditems:
			if nmarks == 0 {
				return false // the parent's batch ends first
			}
			nmarks--
			h = marks[nmarks]
		case opAppend, opSetitem:
			if nmarks == 0 && h == want && op == closer {
				return true
			}
			h -= 1
			if op == opSetitem {
				h--
			}
			if h < 1 {
				return false
			}
		case opTuple1, opTuple2, opTuple3:
			h -= int(op - opTuple1)
		case opTuple, opList, opDict, opFrozenset:
			if nmarks == 0 {
				return false
			}
			nmarks--
			h = marks[nmarks] + 1
		default:
			if !isValueStart(op) || op == opGlobal || op == opInst {
				return false
			}
			h++
			if nmarks == 0 && h > want {
				// Another value comes on top of the complete candidate:
				// almost surely the parent's next item. (If it is not, the
				// decode gives up later; see above.)
				return false
			}
		}
		if h < 1 {
			return false
		}
	}
	return false
}

// countFlat counts the values in the run of plain scalars (and the memo,
// MARK, APPENDS, SETITEMS and FRAME opcodes between them) that starts at
// data[pos]: the items of a list or dict about to be filled, when they are
// scalars, so that it can be sized once. It may count further than the
// container's items (siblings after it), which costs only room.
func (d *direct) countFlat(pos int) int {
	n := 0
	for pos < len(d.data) {
		op := d.data[pos]
		kind := flatOps[op]
		if kind == flatOther {
			return n
		}
		if kind&flatValue != 0 {
			n++
		}
		if size := int(kind >> 2); size > 0 || op == opMark || op == opAppends || op == opSetitems || op == opMemoize ||
			op == opNone || op == opNewtrue || op == opNewfalse {
			pos += 1 + size
			continue
		}
		arg, ok := binaryArgLen(op, d.data, pos+1)
		if !ok {
			return n
		}
		pos += 1 + arg
	}
	return n
}

// flatOps classifies opcodes for countFlat: flatOther ends a run, flatValue
// marks a value, and the bits above give a fixed argument size (0 for none
// or a sized argument).
var flatOps = func() (t [256]uint8) {
	for i := range t {
		t[i] = flatOther
	}
	fixed := map[byte]uint8{opNone: 0, opNewtrue: 0, opNewfalse: 0, opBinint1: 1, opBinint2: 2, opBinint: 4,
		opBinfloat: 8, opBinget: 1, opLongBinget: 4}
	for op, size := range fixed {
		t[op] = flatValue | size<<2
	}
	for _, op := range []byte{opLong1, opShortBinunicode, opBinunicode, opBinunicode8, opShortBinbytes, opBinbytes, opBinbytes8} {
		t[op] = flatValue
	}
	t[opMark], t[opAppends], t[opSetitems], t[opMemoize] = 0, 0, 0, 0
	t[opBinput], t[opLongBinput], t[opFrame] = 1<<2, 4<<2, 8<<2
	return t
}()

const (
	flatValue uint8 = 1
	flatOther uint8 = 2
)

// binaryArgLen returns the length of the argument of the binary opcode op whose
// argument starts at data[at]; false for text opcodes and unknown ones.
func binaryArgLen(op byte, data []byte, at int) (int, bool) {
	fixed := func(n int) (int, bool) { return n, at+n <= len(data) }
	sized := func(size int) (int, bool) {
		if at+size > len(data) {
			return 0, false
		}
		n := leUint(data[at : at+size])
		if n > uint64(len(data)-at-size) {
			return 0, false
		}
		return size + int(n), true
	}
	switch op {
	case opNone, opNewtrue, opNewfalse, opEmptyList, opEmptyDict, opEmptyTuple, opEmptySet,
		opMark, opAppend, opAppends, opSetitem, opSetitems, opAdditems, opMemoize,
		opTuple, opTuple1, opTuple2, opTuple3, opList, opDict, opFrozenset, opStop:
		return 0, true
	case opBinint1, opBinput, opBinget:
		return fixed(1)
	case opBinint2:
		return fixed(2)
	case opBinint, opLongBinput, opLongBinget:
		return fixed(4)
	case opBinfloat, opFrame:
		return fixed(8)
	case opLong1, opShortBinunicode, opShortBinbytes:
		return sized(1)
	case opBinunicode, opBinbytes, opLong4:
		return sized(4)
	case opBinunicode8, opBinbytes8, opBytearray8:
		return sized(8)
	}
	return 0, false
}
