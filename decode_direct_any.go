package pickle

import (
	"math"
	"slices"
	"unsafe"
)

// The direct decoder for `any` targets: the pickle machine run straight
// into the generic model (value.go), with no tape. Like the typed direct
// decoder (decode_direct.go) it handles the opcodes CPython writes for
// plain data at protocols 2 to 5, plus tuples, and gives up on anything
// else (globals, sets, memo references to containers, limits, malformed
// input), leaving it to the general decoder, which then decides and
// reports as always. What it builds is what the general decoder builds:
// *List, *Dict (with Python key equality), Tuple, string, int64, float64,
// bool, []byte and nil.

// anyMachine is the state of one direct decode into any.
type anyMachine struct {
	r      *direct // the input, frames and limits (its memo is not used)
	stack  []any
	depth  []int32 // nesting depth of each stack value: 0 scalars, 1 + items' for containers
	marks  []int
	memo   []any // nil where nothing is memoized; a memoized None is memoNone{}
	nmemo  int64
	high   int // the stack's greatest length before it was last truncated
	hasher keyHasher
	box    anyBoxes
}

// decodeDirectAny tries to decode the pickle at the start of data into the
// generic model. It returns the value and the offset just past STOP, or ok
// false if the general decoder must do it.
func decodeDirectAny(cfg *config, data []byte) (v any, end int, ok bool) {
	r := directPool.Get().(*direct)
	defer r.release()
	r.conf = *cfg
	return r.decodeAny(data)
}

// decodeAny is decodeDirectAny with r's configuration.
func (r *direct) decodeAny(data []byte) (v any, end int, ok bool) {
	if r.conf.maxWork != 0 {
		return nil, 0, false
	}
	r.begin(data)
	if !r.proto() {
		return nil, 0, false
	}
	if r.am == nil {
		r.am = new(anyMachine)
	}
	m := r.am
	m.r = r
	m.box.input, m.box.pos = r.box.input, &r.pos
	defer m.reset()
	v, ok = m.run()
	return v, r.pos, ok
}

// maxPooledAnyMemo is the largest memo or stack a pooled machine keeps
// (as maxPooledMemo for the typed decoder): large enough that decoding many
// large pickles does not grow a memo from nothing each time.
const maxPooledAnyMemo = 1 << 20

// reset empties the machine for the next decode, dropping what it holds.
func (m *anyMachine) reset() {
	clear(m.stack[:max(len(m.stack), m.high)]) // truncate leaves what it drops
	clear(m.memo)
	m.stack, m.depth, m.marks, m.memo, m.high = m.stack[:0], m.depth[:0], m.marks[:0], m.memo[:0], 0
	if cap(m.memo) > maxPooledAnyMemo {
		m.memo = nil // not kept for the next decode: the collector would scan it
	}
	if cap(m.stack) > maxPooledAnyMemo {
		m.stack, m.depth = nil, nil
	}
	m.nmemo, m.hasher, m.box, m.r = 0, keyHasher{}, anyBoxes{}, nil
}

// run executes opcodes up to STOP.
func (m *anyMachine) run() (any, bool) {
	r := m.r
	for {
		op, ok := r.next()
		if !ok {
			return nil, false
		}
		switch op {
		case opStop:
			if len(m.stack) != 1 || len(m.marks) != 0 || r.frameEnd >= 0 && r.pos != r.frameEnd {
				return nil, false
			}
			return m.stack[0], true
		case opNone:
			m.push(nil, 0)
		case opNewtrue, opNewfalse:
			m.push(op == opNewtrue, 0)
		case opBinint1, opBinint2, opBinfloat:
			if !m.scalarRun(op) {
				return nil, false
			}
		case opBinint, opLong1:
			x, ok := m.r.intArg(op)
			if !ok {
				return nil, false
			}
			m.push(m.box.int64(x), 0)
		case opShortBinunicode, opBinunicode, opBinunicode8:
			if !m.text(op) {
				return nil, false
			}
		case opShortBinbytes, opBinbytes, opBinbytes8:
			b, ok := m.payload(op)
			if !ok {
				return nil, false
			}
			if m.r.cfg.zeroCopy {
				m.push(aliasBytes(b), 0)
			} else {
				m.push(cloneBytes(b), 0)
			}
		case opEmptyList:
			l := m.box.list()
			m.push(l, 1)
			m.memoize(l)
		case opEmptyDict:
			d := m.box.dict()
			m.push(d, 1)
			m.memoize(d)
		case opEmptyTuple:
			m.push(Tuple{}, 1)
		case opMark:
			m.marks = append(m.marks, len(m.stack))
		case opAppend:
			if !m.appendItems(len(m.stack) - 1) {
				return nil, false
			}
		case opAppends:
			if !m.appendItems(m.popMark()) {
				return nil, false
			}
		case opSetitem:
			if !m.setItems(len(m.stack) - 2) {
				return nil, false
			}
		case opSetitems:
			if !m.setItems(m.popMark()) {
				return nil, false
			}
		case opTuple1, opTuple2, opTuple3:
			if !m.tuple(len(m.stack) - int(op-opTuple1) - 1) {
				return nil, false
			}
		case opTuple:
			if !m.tuple(m.popMark()) {
				return nil, false
			}
		case opMemoize, opBinput, opLongBinput:
			if !m.put(op) {
				return nil, false
			}
		case opBinget, opLongBinget:
			if !m.get(op) {
				return nil, false
			}
		default:
			return nil, false
		}
	}
}

// scalarRun pushes the BININT1, BININT2 or BINFLOAT whose opcode op was
// just read, and the ones of these that follow it in the same frame (the
// items of a list of numbers), in one loop.
func (m *anyMachine) scalarRun(op byte) bool {
	r := m.r
	data, pos, limit := r.data, r.pos, r.limit
	start := len(m.stack)
	for {
		switch {
		case op == opBinint1 && pos < limit:
			m.stack = append(m.stack, int64(data[pos])) // small ints need no allocation
			pos++
		case op == opBinint2 && pos+2 <= limit:
			m.stack = append(m.stack, m.box.int64(int64(data[pos])|int64(data[pos+1])<<8))
			pos += 2
		case op == opBinfloat && pos+8 <= limit:
			m.stack = append(m.stack, m.box.float64(math.Float64frombits(beUint64(data[pos:]))))
			pos += 8
		default:
			return false
		}
		if pos >= limit {
			break
		}
		if op = data[pos]; op != opBinint1 && op != opBinint2 && op != opBinfloat {
			break
		}
		pos++
	}
	r.pos = pos
	n := len(m.stack) - start
	m.depth = slices.Grow(m.depth, n)[:len(m.depth)+n]
	clear(m.depth[len(m.depth)-n:])
	return true
}

func beUint64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[7]) | uint64(b[6])<<8 | uint64(b[5])<<16 | uint64(b[4])<<24 |
		uint64(b[3])<<32 | uint64(b[2])<<40 | uint64(b[1])<<48 | uint64(b[0])<<56
}

func (m *anyMachine) push(v any, depth int32) {
	m.stack = append(m.stack, v)
	m.depth = append(m.depth, depth)
}

// fence is the stack length at the topmost mark.
func (m *anyMachine) fence() int {
	if len(m.marks) == 0 {
		return 0
	}
	return m.marks[len(m.marks)-1]
}

// popMark removes the topmost mark and returns where it was, or -1.
func (m *anyMachine) popMark() int {
	if len(m.marks) == 0 {
		return -1
	}
	at := m.marks[len(m.marks)-1]
	m.marks = m.marks[:len(m.marks)-1]
	return at
}

// payload reads the length and bytes of a str or bytes opcode.
func (m *anyMachine) payload(op byte) ([]byte, bool) {
	n, ok := m.r.length(lengthSize(op))
	if !ok {
		return nil, false
	}
	return m.r.take(n)
}

// text pushes a str, and memoizes it if a MEMOIZE follows.
func (m *anyMachine) text(op byte) bool {
	r := m.r
	var b []byte
	if op == opShortBinunicode && r.pos < r.limit { // payload, for the most common str
		n := int(r.data[r.pos])
		end := r.pos + 1 + n
		if end > r.limit || int64(n) > r.cfg.maxStringLen {
			return false
		}
		b, r.pos = r.data[r.pos+1:end], end
	} else {
		var ok bool
		if b, ok = m.payload(op); !ok {
			return false
		}
	}
	if !textValid(b) {
		return false
	}
	var v any
	if r.cfg.zeroCopy {
		v = m.box.string(aliasString(b))
	} else {
		v = m.box.str(b)
	}
	m.push(v, 0)
	m.memoize(v)
	return true
}

// memoize runs the MEMOIZE that follows the value v just pushed, if one
// does in the same frame and the memo is dense (as protocol 4 writes it),
// as put would. Otherwise it leaves the next opcode to run.
func (m *anyMachine) memoize(v any) {
	r := m.r
	if r.pos < r.limit && r.data[r.pos] == opMemoize && m.nmemo == int64(len(m.memo)) &&
		len(m.memo) < cap(m.memo) && m.nmemo < r.cfg.maxMemo {
		r.pos++
		m.memo = append(m.memo, v)
		m.nmemo++
	}
}

// container checks a container's new length and depth against the limits.
func (m *anyMachine) container(i int, n int, depth int32) bool {
	if int64(n) > m.r.cfg.maxContainerLen || int(depth)+1 > m.r.cfg.maxDepth {
		return false
	}
	m.depth[i] = depth
	return true
}

// itemsDepth is the depth of a container holding the stack values from
// index from on, at least d.
func (m *anyMachine) itemsDepth(from int, d int32) int32 {
	for _, x := range m.depth[from:] {
		d = max(d, x+1)
	}
	return d
}

// appendItems appends the stack values above index from to the list just
// below them (APPEND: from is the top; APPENDS: the mark).
func (m *anyMachine) appendItems(from int) bool {
	if from < 1 || from-1 < m.fence() || from > len(m.stack) {
		return false
	}
	l, ok := m.stack[from-1].(*List)
	if !ok {
		return false
	}
	if items := m.stack[from:]; cap(l.Items) == 0 && len(items) < batchSize {
		l.Items = carve(&m.box.anys, len(items)) // a short list: all its items are here
	} else if cap(l.Items)-len(l.Items) < len(items) {
		grown := make([]any, len(l.Items), max(len(l.Items)+len(items)+m.more(len(items)), 2*cap(l.Items)))
		copy(grown, l.Items)
		l.Items = grown
	}
	l.Items = append(l.Items, m.stack[from:]...)
	if !m.container(from-1, len(l.Items), m.itemsDepth(from, m.depth[from-1])) {
		return false
	}
	m.truncate(from)
	return true
}

// more guesses how many items will follow a batch of n: a full batch
// (CPython writes 1000 items a batch) is likely followed by more, and the
// plain scalars ahead are counted; a shorter one is the last.
func (m *anyMachine) more(n int) int {
	if n < batchSize {
		return 0
	}
	return m.r.countFlat(m.r.pos)
}

// setItems sets the key/value pairs above index from into the dict just
// below them.
func (m *anyMachine) setItems(from int) bool {
	if from < 1 || from-1 < m.fence() || from > len(m.stack) || (len(m.stack)-from)%2 != 0 {
		return false
	}
	d, ok := m.stack[from-1].(*Dict)
	if !ok {
		return false
	}
	pairs := m.stack[from:]
	if cap(d.t.entries) == 0 && len(pairs) < 2*batchSize {
		if m.box.entries == nil && len(pairs) <= 2*sliceAlone {
			m.box.entries = make([]entry, 0, min(len(pairs)/2+m.pendingPairs(from), boxChunkMax))
		}
		d.t.entries = carve(&m.box.entries, len(pairs)/2) // a small dict: all its pairs are here
		if n := indexLen(len(pairs) / 2); n > 0 {
			d.t.index = m.box.int32s(n) // the index its last pair would make it build
		}
	} else if room := cap(d.t.entries) - len(d.t.entries); room < len(pairs)/2 {
		d.t.reserve(len(pairs)/2 + m.more(len(pairs))/2)
	}
	for i := 0; i < len(pairs); i += 2 {
		h, err := m.hasher.hash(pairs[i])
		if err != nil {
			return false
		}
		d.t.set(pairs[i], pairs[i+1], h)
	}
	if !m.container(from-1, d.t.len(), m.itemsDepth(from, m.depth[from-1])) {
		return false
	}
	m.truncate(from)
	return true
}

// pendingPairs counts the pairs already on the stack for the short dicts
// that enclose the one whose pairs start at index from (a nested dict is
// filled before the dicts around it), so that the first chunk of entries
// holds theirs too.
func (m *anyMachine) pendingPairs(from int) int {
	n, end := 0, from
	for k := len(m.marks) - 1; k >= 0; k-- {
		at := m.marks[k]
		if at >= 1 && end-at <= 2*sliceAlone {
			if _, ok := m.stack[at-1].(*Dict); ok {
				n += (end - at + 1) / 2
			}
		}
		end = at
	}
	return n
}

// tuple replaces the stack values above index from with a tuple of them.
func (m *anyMachine) tuple(from int) bool {
	if from < m.fence() || from < 0 || from > len(m.stack) {
		return false
	}
	t := make(Tuple, len(m.stack)-from)
	copy(t, m.stack[from:])
	depth := m.itemsDepth(from, 1)
	m.truncate(from)
	m.push(t, 0)
	return m.container(len(m.stack)-1, len(t), depth)
}

// truncate drops the stack values from index n on. It does not clear
// them (reset does, once, at the end of the decode).
func (m *anyMachine) truncate(n int) {
	m.high = max(m.high, len(m.stack))
	m.stack, m.depth = m.stack[:n], m.depth[:n]
}

// put stores the top of the stack in the memo.
func (m *anyMachine) put(op byte) bool {
	if len(m.stack) <= m.fence() {
		return false
	}
	var i uint64
	switch op {
	case opMemoize:
		i = uint64(m.nmemo)
	case opBinput:
		b, ok := m.r.take(1)
		if !ok {
			return false
		}
		i = uint64(b[0])
	default:
		b, ok := m.r.take(4)
		if !ok {
			return false
		}
		i = leUint(b)
	}
	v := m.stack[len(m.stack)-1]
	if v == nil {
		v = memoNone{}
	}
	if i < uint64(len(m.memo)) {
		if m.memo[i] != nil { // memoized again: not counted again
			m.memo[i] = v
			return true
		}
	} else if i > uint64(len(m.memo))+denseSlack {
		return false // sparse indices: the general decoder's
	} else if i < uint64(cap(m.memo)) {
		m.memo = m.memo[:i+1] // the slots past the length are nil (see reset)
	} else {
		m.memo = append(m.memo, make([]any, i+1-uint64(len(m.memo)))...)
	}
	if m.nmemo >= m.r.cfg.maxMemo {
		return false
	}
	m.nmemo++
	m.memo[i] = v
	return true
}

// memoNone stands for a memoized None in the memo, where nil is a slot
// nothing was memoized in.
type memoNone struct{}

// get pushes a memoized value. A memoized container is left to the general
// decoder, which tracks what sharing does to depths and limits.
func (m *anyMachine) get(op byte) bool {
	i, ok := m.r.memoIndex(op)
	if !ok || i >= uint64(len(m.memo)) || m.memo[i] == nil {
		return false
	}
	switch v := m.memo[i].(type) {
	case *List, *Dict, Tuple:
		return false
	case memoNone:
		m.push(nil, 0)
	default:
		m.push(v, 0)
	}
	return true
}

// memoIndex reads the argument of BINGET or LONG_BINGET.
func (d *direct) memoIndex(op byte) (uint64, bool) {
	if op == opBinget {
		b, ok := d.take(1)
		if !ok {
			return 0, false
		}
		return uint64(b[0]), true
	}
	b, ok := d.take(4)
	if !ok {
		return 0, false
	}
	return leUint(b), true
}

// --- boxing --------------------------------------------------------------------

// boxes and anyBoxes make many decoded values with few allocations: the
// values live in chunks, and each interface (anyBoxes) points at its value
// in a chunk (as the runtime's own boxing points at a value it allocated
// alone). A chunk is never written again once a value in it is boxed, and
// it lives as long as any of its values does. Chunks belong to one decode;
// nothing is reused across decodes. Chunks start small, so that a small
// pickle allocates little.
//
// boxes are the typed decoder's: the text of its strings, and the chunks
// its short slices are cut from.
type boxes struct {
	textBuf []byte
	input   int // length of the input: no chunk of text need be longer

	// Chunks the short slices of the typed decoder are cut from.
	strSlices   []string
	intSlices   []int64
	floatSlices []float64
}

// anyBoxes are the chunks of the decoder into any (kept apart from the
// typed decoder's boxes, which every decode clears twice).
type anyBoxes struct {
	words []uint64 // the plain chunk: boxed numbers and short strs
	pos   *int     // where the decoder is in the input (set by decodeAny), sizing plain chunks
	input int      // length of the input
	strs  []string // headers of long strs

	// Its lists and dicts, and the items and entries of the short ones.
	lists   []List
	dicts   []Dict
	anys    []any
	entries []entry
}

const (
	boxChunkMin  = 8       // values in a first chunk
	boxChunkMax  = 1024    // values in a chunk at most
	textChunkMin = 64      // bytes of text in a first chunk
	textChunkMax = 8 << 10 // bytes of text in a chunk at most
	textAlone    = 256     // longer texts get their own allocation
)

// nextChunk is the size of the chunk after one of size n.
func nextChunk(n, lo, hi int) int { return min(max(2*n, lo), hi) }

// eface is the layout of an empty interface.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

func typeWordOf(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

var (
	int64TypeWord   = typeWordOf(int64(0))
	float64TypeWord = typeWordOf(float64(0))
	stringTypeWord  = typeWordOf("")
)

func boxAt(typ, p unsafe.Pointer) (v any) {
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = typ, p
	return v
}

// The plain chunk. The any decoder's boxed int64s and float64s, and its
// short strs (the string header followed by its bytes), live in chunks of
// words the collector does not scan. A string header there points into its
// own chunk, which is alive as long as the interface holding the header is
// (it points into the chunk too), so the collector need not see that
// pointer. Nothing that can point elsewhere goes in it, nor anything a
// caller can change but the index of a dict (int32s, no pointers, that
// dict's alone).

// wordsOf returns n words from the plain chunk.
func (b *anyBoxes) wordsOf(n int) unsafe.Pointer {
	if cap(b.words)-len(b.words) < n {
		b.newWords(n)
	}
	at := len(b.words)
	b.words = b.words[:at+n]
	return unsafe.Pointer(&b.words[at])
}

// newWords starts a plain chunk with room for at least n words.
func (b *anyBoxes) newWords(n int) {
	b.words = make([]uint64, 0, max(b.chunkWords(), n))
}

// chunkWords is the size of a new plain chunk: about what the rest of the
// input needs (a third of a word a byte, for short strs and numbers), so
// that a small pickle takes one chunk.
func (b *anyBoxes) chunkWords() int {
	return min(max((b.input-*b.pos)/3, boxChunkMin), boxChunkMax)
}

func (b *anyBoxes) int64(x int64) any {
	if len(b.words) == cap(b.words) {
		b.words = make([]uint64, 0, b.chunkWords())
	}
	b.words = append(b.words, uint64(x))
	return boxAt(int64TypeWord, unsafe.Pointer(&b.words[len(b.words)-1]))
}

func (b *anyBoxes) float64(x float64) any {
	if len(b.words) == cap(b.words) {
		b.words = make([]uint64, 0, b.chunkWords())
	}
	b.words = append(b.words, math.Float64bits(x))
	return boxAt(float64TypeWord, unsafe.Pointer(&b.words[len(b.words)-1]))
}

// int32s returns n zeros from the plain chunk, for the index of a dict.
func (b *anyBoxes) int32s(n int) []int32 {
	return unsafe.Slice((*int32)(b.wordsOf((n+1)/2)), n)
}

// str boxes a copy of p as a string: a short one in the plain chunk, its
// header and then its bytes.
func (b *anyBoxes) str(p []byte) any {
	n := len(p)
	if n == 0 {
		return ""
	}
	if n > textAlone {
		return b.string(string(p))
	}
	at := b.wordsOf(2 + (n+7)/8)
	bytes := unsafe.Add(at, 16)
	copy(unsafe.Slice((*byte)(bytes), n), p)
	// The header, written as the two words it is: the chunk is never
	// scanned, so a write barrier (which storing a string would have) is no
	// use, and its own bytes are alive as long as it is.
	h := (*[2]uintptr)(at)
	h[0], h[1] = uintptr(bytes), uintptr(n)
	return boxAt(stringTypeWord, at)
}

func (b *anyBoxes) string(s string) any {
	if len(b.strs) == cap(b.strs) {
		n := nextChunk(cap(b.strs), boxChunkMin, boxChunkMax)
		if b.strs == nil {
			n = min(max(b.input/8, boxChunkMin), 128) // little for a pickle of one large payload
		}
		b.strs = make([]string, 0, n)
	}
	b.strs = append(b.strs, s)
	return boxAt(stringTypeWord, unsafe.Pointer(&b.strs[len(b.strs)-1]))
}

// text returns a string holding a copy of p, made in a shared chunk when
// p is short.
func (b *boxes) text(p []byte) string {
	if len(p) > textAlone || len(p) == 0 {
		return string(p)
	}
	if cap(b.textBuf)-len(b.textBuf) < len(p) {
		n := nextChunk(cap(b.textBuf), textChunkMin, textChunkMax)
		if b.textBuf == nil {
			n = min(max(b.input, textChunkMin), textChunkMax) // all the text of a small pickle
		}
		b.textBuf = make([]byte, 0, n)
	}
	at := len(b.textBuf)
	b.textBuf = append(b.textBuf, p...)
	return unsafe.String(&b.textBuf[at], len(p))
}

// sliceAlone is the length above which a slice the typed decoder makes
// gets its own allocation rather than a part of a chunk.
const sliceAlone = 64

// carve returns an empty slice with room for n items: for a short one, a
// part of *chunk no other slice is given (its capacity ends where the next
// one's part starts), so that many short slices cost one allocation.
func carve[T any](chunk *[]T, n int) []T {
	if n > sliceAlone || n == 0 {
		return make([]T, 0, n)
	}
	if cap(*chunk)-len(*chunk) < n {
		size := max(nextChunk(cap(*chunk), boxChunkMin, boxChunkMax), n)
		if *chunk == nil {
			size = n // the first: exactly the first slice, which may be the only one
		}
		*chunk = make([]T, 0, size)
	}
	at := len(*chunk)
	*chunk = (*chunk)[:at+n]
	return (*chunk)[at : at : at+n]
}

// list returns a new empty *List (its Items empty, not nil, as the general
// decoder makes them), from a chunk.
func (b *anyBoxes) list() *List {
	if len(b.lists) == cap(b.lists) {
		b.lists = make([]List, 0, nextChunk(cap(b.lists), 2, boxChunkMax))
	}
	b.lists = append(b.lists, List{Items: []any{}})
	return &b.lists[len(b.lists)-1]
}

// dict returns a new empty *Dict, from a chunk.
func (b *anyBoxes) dict() *Dict {
	if len(b.dicts) == cap(b.dicts) {
		b.dicts = make([]Dict, 0, nextChunk(cap(b.dicts), 2, boxChunkMax))
	}
	b.dicts = append(b.dicts, Dict{})
	return &b.dicts[len(b.dicts)-1]
}
