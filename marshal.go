package pickle

import (
	"encoding/binary"
	"io"
	"reflect"
	"strconv"
	"sync"
	"unsafe"
)

// Marshal returns the pickle of v, written at DefaultProtocol unless a
// Protocol option says otherwise. The output is byte for byte what CPython's
// pickle.dumps writes for the corresponding Python value, whenever CPython's
// output does not depend on object identity.
//
// Go values map to Python values as follows (see value.go for the generic
// model types):
//
//	nil, nil pointer, nil interface   None
//	bool                               bool
//	int*, uint*, *big.Int, big.Int     int
//	float32, float64                   float
//	complex64, complex128              complex
//	string                             str (must be UTF-8; lone surrogates in their 3-byte form)
//	[]byte, [N]byte                    bytes
//	other slices (nil: empty)          list
//	other arrays, Tuple                tuple
//	maps (nil: empty)                  dict, keys in a deterministic sorted order
//	structs                            dict of the pickled fields (see tags.go)
//	pointers                           what they point to
//	*List, *Dict, *Set, *FrozenSet,
//	*ByteArray, Global, *Object        list, dict, set, frozenset, bytearray,
//	                                   class reference, reconstructed object
//
// Values reached more than once (the same pointer, map, slice or string) are
// written once and referenced from the memo, so shared and cyclic Go graphs
// come back shared and cyclic. Channels, functions, unsafe pointers and
// types with no meaningful pickle form (time.Time for now) give an
// *UnsupportedTypeError naming the Go path of the value; nesting deeper than
// MaxDepth gives a *LimitError.
func Marshal(v any, opts ...Option) ([]byte, error) {
	e := newEncodeState(nil, nil)
	defer e.release()
	return e.marshal(v, opts)
}

// marshal is Marshal's work on the state e.
func (e *encodeState) marshal(v any, opts []Option) ([]byte, error) {
	if err := e.ownCfg.set(opts); err != nil {
		return nil, err
	}
	e.setConfig(&e.ownCfg) // held by the pooled state: no allocation
	if err := e.dump(v); err != nil {
		return nil, err
	}
	e.sizeHint = 0
	if len(e.buf) > maxPooledBuf {
		e.sizeHint = len(e.buf)
	}
	if cap(e.buf) > maxPooledBuf && cap(e.buf) <= 2*len(e.buf) {
		// Too large to keep for the next call anyway, and mostly used:
		// hand it over.
		out := e.buf[:len(e.buf):len(e.buf)]
		e.buf = nil
		return out, nil
	}
	return append([]byte(nil), e.buf...), nil
}

// An Encoder writes pickles to an output stream, one complete pickle (with a
// fresh memo) per call to Encode, so that Python can read them back with
// repeated pickle.load calls.
type Encoder struct {
	w   io.Writer
	cfg config
	err error // an invalid option, reported by every Encode
}

// NewEncoder returns an encoder that writes to w. An invalid option is
// reported by the first call to Encode.
func NewEncoder(w io.Writer, opts ...Option) *Encoder {
	cfg, err := newConfig(opts)
	return &Encoder{w: w, cfg: cfg, err: err}
}

// Encode writes the pickle of v (see Marshal). Completed frames are written
// to the stream as they fill up, and payloads of 64 KiB or more go straight
// to the stream without being copied, so memory use stays bounded by the
// frame size rather than by the size of the pickle. On error, part of the
// pickle may already have been written.
func (e *Encoder) Encode(v any) error {
	if e.err != nil {
		return e.err
	}
	s := newEncodeState(&e.cfg, e.w)
	defer s.release()
	if err := s.dump(v); err != nil {
		return err
	}
	s.flush()
	return s.werr
}

// Framing constants, as CPython's pickler uses them.
const (
	frameHeaderSize = 9         // FRAME opcode + 8-byte length
	frameSizeMin    = 4         // smaller frames are not worth a header
	frameSizeTarget = 64 * 1024 // a frame closes once it reaches this size
	batchSize       = 1000      // items per APPENDS, SETITEMS or ADDITEMS
)

// memoKind tells apart the kinds of identity the memo records.
type memoKind uint8

const (
	memoPtr        memoKind = iota + 1 // a pointer (model types, addressable structs and arrays)
	memoSlice                          // a slice: data pointer, length and type
	memoMap                            // a map: its pointer and type
	memoStr                            // a string: data pointer and length
	memoEmptyStr                       // the one empty str
	memoBytes                          // a []byte: data pointer and length
	memoEmptyBytes                     // the one empty bytes
	memoByte1                          // a one-byte bytes; CPython caches all 256
	memoLatin1                         // the 'latin1' argument of _codecs.encode
	memoEnum                           // an enum member: its Go type and integer value
	memoChar1                          // a one-character str below U+0100; CPython caches them
)

// memoKey identifies a Go value that becomes one Python object. The memo
// keeps only its address (as an integer); the encoder's pins keep the
// object alive, so that no other object takes the address during the
// encode.
type memoKey struct {
	p    unsafe.Pointer
	n    int
	t    unsafe.Pointer // the Go type, where it matters (see typeID)
	kind memoKind
}

// typeID identifies a Go type in a memo key. A plain pointer keeps the key
// plain memory, which hashes much faster than a key holding an interface.
func typeID(t reflect.Type) unsafe.Pointer {
	return reflect.ValueOf(t).UnsafePointer()
}

// encodeState is the state of one pickle being written: the output buffer
// (with the current frame), the memo and the nesting depth.
type encodeState struct {
	buf        []byte
	cfg        *config
	ownCfg     config // Marshal's options
	proto      int
	persisting bool // writing a persistent id, which is not itself checked

	memo     memoTable
	globals  map[Global]int
	gstrings map[string]int // module and name strings of STACK_GLOBAL
	nmemo    int

	framing    bool
	frameStart int // offset of the reserved frame header, or -1
	frameAt    int // the buffer length at which boundary has work: checkAt()
	sizeHint   int // the length of Marshal's last pickle if over maxPooledBuf, else 0 (see growBuf)

	depth int

	orderKeys, orderTmp []radixKey // scratch of sortStrEntries, when free

	names []nameSlot // memo indices of struct field names, by name id (encode_struct.go)
	gen   uint32     // this pickle's generation in names

	w    io.Writer // nil for Marshal
	werr error     // the first error writing to w

	// pins keeps alive, until the pickle is written, every value whose
	// objects the memo may refer to: the memo holds addresses, not
	// pointers (which would cost a write barrier per entry, and clearing
	// them after every encode). See pin.
	pins []any
}

var encodeStatePool = sync.Pool{New: func() any { return new(encodeState) }}

// maxPooledBuf is the largest buffer kept for reuse. Marshal copies its
// output out of a buffer up to this size, and hands over a larger one.
const maxPooledBuf = 4 << 20

func newEncodeState(cfg *config, w io.Writer) *encodeState {
	e := encodeStatePool.Get().(*encodeState)
	e.begin(cfg, w)
	return e
}

// begin readies e for a new pickle written to w (nil for Marshal).
func (e *encodeState) begin(cfg *config, w io.Writer) {
	e.buf = e.buf[:0]
	if cfg != nil {
		e.setConfig(cfg)
	}
	e.nmemo = 0
	e.framing = false
	e.frameStart = -1
	e.depth = 0
	e.gen++
	if e.gen == 0 { // wrapped around: forget every generation
		clear(e.names)
		e.gen = 1
	}
	e.w = w
	e.werr = nil
	e.frameAt = e.checkAt()
}

// setConfig sets the options of the pickle to write.
func (e *encodeState) setConfig(cfg *config) {
	e.cfg = cfg
	e.proto = cfg.protocol
}

func (e *encodeState) release() {
	e.end()
	encodeStatePool.Put(e)
}

// end drops what e holds of the pickle it wrote, keeping its memory for the
// next one unless it is large.
func (e *encodeState) end() {
	if cap(e.buf) > maxPooledBuf {
		e.buf = nil
	}
	e.memo.reset()
	e.pins = dropPins(e.pins)
	if len(e.names) > maxPooledNames {
		e.names = nil
	}
	e.globals, e.gstrings = clearSmall(e.globals), clearSmall(e.gstrings)
	e.cfg, e.w, e.werr = nil, nil, nil
	e.ownCfg = config{} // drop the references the options hold
}

// pin keeps x alive until the pickle is written. The memo refers to the
// objects it holds by address, and an object the garbage collector frees
// during the encode could be followed by a new one at the same address,
// which the memo would take for the first. Everything the encoder memoizes
// lies in the value being written, which the caller holds, or in a value
// pinned here: what a method or hook returns (GetState, a reduction, a
// persistent id), and the copies the encoder makes and then walks by
// address (the values of a map, copied out to be sorted). A value
// produced during the encode and not pinned must not reach the memo.
func (e *encodeState) pin(x any) {
	e.pins = append(e.pins, x)
}

// dropPins empties the pins for reuse, or drops them when they grew large.
func dropPins(pins []any) []any {
	if cap(pins) > maxPooledFresh {
		return nil
	}
	clear(pins)
	return pins[:0]
}

// clearSmall empties a map for reuse, or drops it when it grew large.
func clearSmall[K comparable](m map[K]int) map[K]int {
	if len(m) > 1<<16 {
		return nil
	}
	clear(m)
	return m
}

// dump writes one complete pickle of v, as Pickler.dump does.
func (e *encodeState) dump(v any) error {
	if e.proto >= 2 {
		e.buf = append(e.buf, opProto, byte(e.proto))
	}
	if e.proto >= 4 {
		e.framing = true
		e.openFrame()
	}
	e.pin(v) // the caller's value, held whatever the caller does with it
	if err := e.encodeAny(v); err != nil {
		return err
	}
	e.op(opStop)
	e.commitFrame()
	e.framing = false
	e.frameAt = e.checkAt()
	return nil
}

// flush writes the buffered output to the stream. After a write error the
// output is dropped and the error kept for Encode to return.
func (e *encodeState) flush() {
	if e.w == nil || len(e.buf) == 0 {
		return
	}
	if e.werr == nil {
		_, e.werr = e.w.Write(e.buf)
	}
	e.buf = e.buf[:0]
}

// ---- writing and framing ----

// Frames. When framing (protocol 4 and above), a frame is always open
// while the pickle is written: dump opens the first one after PROTO, and
// each frame closed by boundary or before a payload written outside the
// frames is followed at once by the next. So a write needs no check of its
// own for an open frame. The C pickler opens the next frame at the next
// write instead; the bytes are the same, since a frame closed with less
// than frameSizeMin bytes in it loses its header (commitFrame), as one
// left empty by the end of the pickle or by a payload then does.

// openFrame reserves room for the header of a new frame.
//
//go:noinline
func (e *encodeState) openFrame() {
	e.frameStart = len(e.buf)
	e.buf = append(e.buf, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	e.frameAt = e.checkAt()
}

// commitFrame closes the open frame: it fills in the header, or removes it
// when the frame is too small to be worth one.
func (e *encodeState) commitFrame() {
	if e.frameStart < 0 {
		return
	}
	start := e.frameStart
	n := len(e.buf) - start - frameHeaderSize
	if n >= frameSizeMin {
		e.buf[start] = opFrame
		binary.LittleEndian.PutUint64(e.buf[start+1:], uint64(n))
	} else {
		copy(e.buf[start:], e.buf[start+frameHeaderSize:])
		e.buf = e.buf[:len(e.buf)-frameHeaderSize]
	}
	e.frameStart = -1
	e.frameAt = e.checkAt()
}

// boundary is called before each object is saved, as CPython's pickler
// checks at each save: a frame that reached the target size is closed, and
// when writing to a stream the closed frame is handed on. The check is one
// comparison, inlined at every call.
func (e *encodeState) boundary() {
	if len(e.buf) >= e.frameAt {
		e.frameCheck()
	}
}

// frameCheck is boundary's work, once the buffer reached frameAt.
func (e *encodeState) frameCheck() {
	if e.w == nil && len(e.buf)+growSlack >= cap(e.buf) {
		e.growBuf()
	}
	switch {
	case e.frameStart >= 0:
		if len(e.buf)-e.frameStart-frameHeaderSize >= frameSizeTarget {
			e.commitFrame()
			e.flush()
			e.openFrame()
		}
	case !e.framing && e.w != nil && len(e.buf) >= frameSizeTarget:
		e.flush()
	}
	e.frameAt = e.checkAt()
}

// checkAt returns the buffer length at which boundary has work: the frame
// limit (frameLimit), or for Marshal, whose buffer holds the whole pickle,
// the length at which the buffer is nearly full and grows (growBuf).
func (e *encodeState) checkAt() int {
	limit := e.frameLimit()
	if e.w == nil {
		limit = min(limit, cap(e.buf)-growSlack)
	}
	return limit
}

// growSlack is the room left in Marshal's buffer when boundary grows it.
const growSlack = 256

// growBuf grows Marshal's buffer before the object about to be written
// fills it, so that it grows in a few large steps, not by the quarter that
// append adds to a large slice (which copies a large pickle many times
// over). It doubles, but stops at maxPooledBuf, so that a pickle that fits
// leaves a buffer the pool keeps; and it grows at once to the size of the
// last pickle larger than that (a Marshal of the same large value again)
// when that is larger, but by at most 16 times the length written so far,
// so that a small pickle after a large one does not take its size.
func (e *encodeState) growBuf() {
	target := 2 * cap(e.buf)
	if cap(e.buf) < maxPooledBuf {
		target = min(target, maxPooledBuf)
	}
	if want := e.sizeHint + e.sizeHint/8; want > target {
		target = min(want, 16*max(len(e.buf), 4096))
	}
	e.reserve(max(target-len(e.buf), 4*growSlack))
}

// reserve makes room for n more bytes in the buffer, doubling its capacity
// when it grows (append grows large slices by only a quarter, which
// copies a large pickle many times over).
func (e *encodeState) reserve(n int) {
	if cap(e.buf)-len(e.buf) < n {
		e.grow(n)
	}
}

// grow is reserve's work when the buffer must grow, kept out of line so
// that reserve inlines as one comparison.
//
//go:noinline
func (e *encodeState) grow(n int) {
	want := len(e.buf) + n
	size := max(2*cap(e.buf), want, 4096)
	if want > cap(e.buf)+cap(e.buf)/2 {
		// A large request (a list sized up front): room for it, and a
		// quarter more if the buffer can then still be pooled, rather
		// than double, so that it is reused at the same size (or, too
		// large to pool, handed over with no room wasted).
		size = want
		if want+want/4 <= maxPooledBuf {
			size = want + want/4
		}
	}
	nb := make([]byte, len(e.buf), size)
	copy(nb, e.buf)
	e.buf = nb
}

// op writes one opcode byte.
func (e *encodeState) op(b byte) {
	e.buf = append(e.buf, b)
}

// op1 writes an opcode with a one-byte argument.
func (e *encodeState) op1(b, x byte) {
	e.buf = append(e.buf, b, x)
}

// opBytes writes an opcode followed by raw argument bytes.
func (e *encodeState) opBytes(b byte, arg []byte) {
	e.buf = append(e.buf, b)
	e.buf = append(e.buf, arg...)
}

// opUint32 writes an opcode with a 4-byte little-endian argument.
func (e *encodeState) opUint32(b byte, x uint32) {
	e.buf = append(e.buf, b)
	e.buf = binary.LittleEndian.AppendUint32(e.buf, x)
}

// opText writes an opcode with a decimal argument and a newline.
func (e *encodeState) opText(b byte, x int64) {
	e.buf = append(e.buf, b)
	e.buf = strconv.AppendInt(e.buf, x, 10)
	e.buf = append(e.buf, '\n')
}

// payload writes an opcode, its length header (4 or 8 bytes) and data. A
// payload of frameSizeTarget or more is written outside any frame, straight
// to the stream when there is one, as CPython does.
func (e *encodeState) payload(b byte, wide bool, data []byte) {
	var hdr [9]byte
	hdr[0] = b
	h := hdr[:5]
	if wide {
		binary.LittleEndian.PutUint64(hdr[1:], uint64(len(data)))
		h = hdr[:9]
	} else {
		binary.LittleEndian.PutUint32(hdr[1:], uint32(len(data)))
	}
	if len(data) < frameSizeTarget {
		e.buf = append(e.buf, h...)
		e.buf = append(e.buf, data...)
		return
	}
	e.commitFrame()
	e.buf = append(e.buf, h...)
	if e.w == nil {
		e.buf = append(e.buf, data...)
	} else {
		e.flush()
		if e.werr == nil {
			_, e.werr = e.w.Write(data)
		}
	}
	if e.framing {
		e.openFrame()
	}
}

// ---- memo ----

// memoize gives the object just built the next memo index, as
// Pickler.memoize does, and returns the index.
func (e *encodeState) memoize() int {
	idx := e.nmemo
	e.nmemo++
	switch {
	case e.proto >= 4:
		e.op(opMemoize)
	case e.proto >= 1 && idx < 256:
		e.op1(opBinput, byte(idx))
	case e.proto >= 1:
		e.opUint32(opLongBinput, uint32(idx))
	default:
		e.opText(opPut, int64(idx))
	}
	return idx
}

// memoizeKey memoizes the object just built and records its identity.
func (e *encodeState) memoizeKey(k memoKey) {
	idx := e.memoize()
	e.memo.put(k, idx)
}

// get writes a reference to memo entry idx.
func (e *encodeState) get(idx int) {
	switch {
	case e.proto >= 1 && idx < 256:
		e.op1(opBinget, byte(idx))
	case e.proto >= 1:
		e.opUint32(opLongBinget, uint32(idx))
	default:
		e.opText(opGet, int64(idx))
	}
}

// getMemo writes a reference to k and reports true if k was memoized.
func (e *encodeState) getMemo(k memoKey) bool {
	if idx, ok := e.memo.get(k); ok {
		e.get(idx)
		return true
	}
	return false
}

// openDict is getMemo followed, for a dict not memoized yet, by
// writeDictHead(k, true), with one memo lookup: nothing is memoized between
// the check and the entry, so the index the lookup reserves is the one the
// entry takes. It reports whether k was memoized (and a reference
// written).
func (e *encodeState) openDict(k memoKey) bool {
	return e.openMemo(k, opEmptyDict, opDict)
}

// openList is openDict for a list (writeListHead).
func (e *encodeState) openList(k memoKey) bool {
	return e.openMemo(k, opEmptyList, opList)
}

// openMemo writes a reference to k if it was memoized, or else the empty
// container (its protocol 1 opcode empty, or MARK and text at protocol 0)
// and its memo entry.
func (e *encodeState) openMemo(k memoKey, empty, text byte) bool {
	if !e.memo.freshKey(&k, e.nmemo) {
		if idx, found := e.memo.getOrPut(k, e.nmemo); found {
			e.get(idx)
			return true
		}
	}
	if e.proto >= 4 {
		// The container and its MEMOIZE, as memoize writes it.
		e.buf = append(e.buf, empty, opMemoize)
		e.nmemo++
		return false
	}
	if e.proto >= 1 {
		e.op(empty)
	} else {
		e.buf = append(e.buf, opMark, text)
	}
	e.memoize()
	return false
}

// memoized reports whether k is in the memo, and its index.
func (e *encodeState) memoized(k memoKey) (int, bool) {
	idx, ok := e.memo.get(k)
	return idx, ok
}

// afterBuild ends a reduce-style construction of the object k as
// save_reduce does: if building it memoized it already (a cycle through its
// arguments), the new copy is dropped and the memoized one fetched;
// otherwise it is memoized. Objects without identity are just memoized.
func (e *encodeState) afterBuild(k memoKey, hasKey bool) {
	if hasKey {
		if idx, ok := e.memoized(k); ok {
			e.op(opPop)
			e.get(idx)
			return
		}
		e.memoizeKey(k)
		return
	}
	e.memoize()
}

// ---- depth ----

// enter counts one level of nesting and fails beyond MaxDepth.
func (e *encodeState) enter() error {
	e.depth++
	if e.depth > e.cfg.maxDepth {
		return &LimitError{Limit: "MaxDepth", Max: int64(e.cfg.maxDepth), Tried: int64(e.depth), Offset: -1}
	}
	return nil
}

func (e *encodeState) leave() { e.depth-- }

// ---- error paths ----

// withPath prefixes the Go path of an *UnsupportedTypeError with seg, as
// the error travels up through the containers that hold the value.
func withPath(err error, seg string) error {
	if ue, ok := err.(*UnsupportedTypeError); ok {
		ue.Path = seg + ue.Path
	}
	return err
}

func indexSeg(i int) string { return "[" + strconv.Itoa(i) + "]" }
