package pickle

import (
	"encoding/binary"
	"io"
	"math"
	"math/big"
	"sync"
)

// The opcode machine: the first of decoding's two passes. It runs the pickle
// virtual machine (stack, marks, memo, frames) over the input and records a
// compact tape of nodes instead of building Python objects: scalars keep their
// payload inline or point into the input, containers link their children,
// memo references point at the node they share. Nothing is allocated per
// value beyond the node itself, no user type is involved, and every structural
// error is found here, with its offset, before any Go value is built. The
// second pass (bind_any.go, bind_typed.go) then builds exactly the target: the
// generic model for `any`, or typed Go values directly.

// nodeKind is what a node stands for.
type nodeKind uint8

const (
	nNone       nodeKind = iota
	nBool                // a: 0 or 1
	nInt                 // a: the value
	nBig                 // a: index into machine.bigs
	nFloat               // a: IEEE 754 bits
	nComplex             // a, b: bits of the real and imaginary parts
	nStr                 // a: start, b: length of UTF-8 text (in data, or side with flagSide)
	nBytes               // a: start, b: length
	nByteArray           // a: start, b: length
	nTuple               // children
	nList                // children
	nDict                // children: key, value, key, value...
	nSet                 // children, or a snapshot of another node's (flagFrom)
	nFrozenSet           // children, or a snapshot of another node's (flagFrom)
	nGlobal              // a: index into machine.globals
	nObject              // a: index into machine.objects
	nRef                 // a: the node this one refers to
	nPersistent          // a: the node of the persistent id
	nBuffer              // a: index into the Buffers option; b: 1 if read-only
)

// Node flags.
const (
	flagSide   uint8 = 1 << iota // payload is in machine.side, not in the input
	flagLinked                   // already the child of some container
	flagShared                   // fetched from the memo, duplicated or copied: may be reached twice
	flagFrom                     // set/frozenset: members are the first b children of node a
	flagMemo                     // stored in the memo: typed containers of it are cached, so cycles close
)

// node is one entry of the tape (40 bytes).
type node struct {
	kind  nodeKind
	op    byte  // the opcode that made it
	flags uint8 // flag*
	_     uint8
	count int32 // number of children
	off   int64 // input offset of that opcode
	a, b  int64 // payload, see nodeKind
	first int32 // first child, or -1
	last  int32 // last child, or -1
	next  int32 // next sibling, or -1
	slot  int32 // for shared nodes: binder.cache index + 1, 0 if none yet
}

// objectNode holds what an inert object was built from (see Object).
type objectNode struct {
	callable  int32 // node of the callable
	build     byte  // the opcode that built it: REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ
	args      int32 // tuple node
	kwargs    int32 // dict node for NEWOBJ_EX, or -1
	states    []int32
	listItems []int32
	dictItems []int32
}

// machine is the first pass's state. One machine decodes one pickle.
type machine struct {
	cfg *config
	res *resolver

	data   []byte    // the input read so far (the pickle starts at data[start])
	start  int       // where this pickle starts in data
	pos    int       // read position in data
	src    io.Reader // more input, or nil when data is all there is
	base   int64     // stream offset of data[0], for error messages
	srcErr error     // a read error other than io.EOF from src

	frameEnd int // end of the current frame in data, or -1

	nodes   []node
	stack   []int32
	marks   []int
	memo    memo
	bigs    []*big.Int
	globals []Global
	objects []objectNode
	side    []byte // decoded text that is not a slice of the input

	proto      int // the protocol of the PROTO opcode, 0 if none yet
	nextBuffer int // the next of the Buffers for NEXT_BUFFER
	opOff      int // offset of the opcode being run
	op         byte
}

var machinePool = sync.Pool{New: func() any { return new(machine) }}

// maxPooledNodes is the largest tape a pooled machine keeps for reuse.
const maxPooledNodes = 1 << 22

// newMachine prepares a machine over data (and src for more input), reusing
// the buffers of an earlier one. Release it with free when the value is
// bound.
func newMachine(cfg *config, data []byte, start int, src io.Reader, base int64) *machine {
	m := machinePool.Get().(*machine)
	nodes := m.nodes[:0]
	if src == nil {
		// A guess from the input size, small enough that a pickle of a few
		// large payloads does not pay for a tape it does not need.
		if want := min((len(data)-start)/8+16, 1<<16); cap(nodes) < want {
			nodes = make([]node, 0, want)
		}
	}
	*m = machine{
		cfg: cfg, res: builtinResolver, data: data, start: start, pos: start, src: src, base: base, frameEnd: -1,
		nodes: nodes, stack: m.stack[:0], marks: m.marks[:0], memo: memo{dense: m.memo.dense[:0]},
		bigs: m.bigs[:0], globals: m.globals[:0], objects: m.objects[:0], side: m.side[:0],
	}
	return m
}

// free returns m to the pool. Nothing bound from it may refer to its
// buffers afterwards (binders copy what they keep).
func (m *machine) free() {
	if cap(m.nodes) > maxPooledNodes {
		m.nodes = nil
	}
	clear(m.bigs)
	clear(m.objects)
	clear(m.memo.dense)
	m.data, m.src, m.cfg, m.memo.sparse = nil, nil, nil, nil
	machinePool.Put(m)
}

// run executes opcodes up to and including STOP and returns the node of the
// pickled object.
func (m *machine) run() (int32, error) {
	if err := m.needAtStart(); err != nil {
		return -1, err
	}
	for {
		if m.frameEnd >= 0 && m.pos == m.frameEnd {
			m.frameEnd = -1
		}
		if err := m.need(1); err != nil {
			return -1, err
		}
		m.opOff, m.op = m.pos, m.data[m.pos]
		m.pos++
		if m.op == opStop {
			return m.stop()
		}
		if err := m.step(); err != nil {
			return -1, err
		}
	}
}

// needAtStart distinguishes empty input from a truncated pickle.
func (m *machine) needAtStart() error {
	if m.pos < len(m.data) {
		return nil
	}
	if m.src != nil {
		if err := m.fill(1); err == nil {
			return nil
		}
	}
	if m.srcErr != nil {
		return m.srcErr
	}
	return io.EOF
}

func (m *machine) stop() (int32, error) {
	if m.frameEnd >= 0 && m.pos != m.frameEnd {
		return -1, m.syntaxError("STOP inside a frame with bytes left in it")
	}
	top, err := m.pop()
	if err != nil {
		return -1, err
	}
	return top, nil
}

// step runs the opcode in m.op.
func (m *machine) step() error {
	switch m.op {
	case opProto:
		return m.loadProto()
	case opFrame:
		return m.loadFrame()
	case opNone:
		m.push(m.newNode(nNone))
	case opNewtrue, opNewfalse:
		n := m.newNode(nBool)
		if m.op == opNewtrue {
			m.nodes[n].a = 1
		}
		m.push(n)
	case opInt:
		return m.loadTextInt()
	case opLong:
		return m.loadTextLong()
	case opBinint, opBinint1, opBinint2:
		return m.loadBinInt()
	case opLong1, opLong4:
		return m.loadBinLong()
	case opFloat:
		return m.loadTextFloat()
	case opBinfloat:
		b, err := m.read(8)
		if err != nil {
			return err
		}
		n := m.newNode(nFloat)
		m.nodes[n].a = int64(binary.BigEndian.Uint64(b))
		m.push(n)
	case opString:
		return m.loadQuotedString()
	case opBinstring, opShortBinstring:
		return m.loadBinString()
	case opBinbytes, opShortBinbytes, opBinbytes8:
		return m.loadBinBytes(nBytes)
	case opBytearray8:
		return m.loadBinBytes(nByteArray)
	case opUnicode:
		return m.loadRawUnicode()
	case opBinunicode, opShortBinunicode, opBinunicode8:
		return m.loadBinUnicode()
	case opEmptyList:
		m.push(m.newNode(nList))
	case opEmptyTuple:
		m.push(m.newNode(nTuple))
	case opEmptyDict:
		m.push(m.newNode(nDict))
	case opEmptySet:
		m.push(m.newNode(nSet))
	case opMark:
		m.marks = append(m.marks, len(m.stack))
	case opList, opTuple, opDict, opFrozenset:
		return m.loadMarkedContainer()
	case opTuple1, opTuple2, opTuple3:
		return m.loadSmallTuple(int(m.op-opTuple1) + 1)
	case opAppend:
		return m.loadAppend()
	case opAppends:
		return m.loadAppends()
	case opSetitem:
		return m.loadSetitem()
	case opSetitems:
		return m.loadSetitems()
	case opAdditems:
		return m.loadAdditems()
	case opPop:
		return m.loadPop()
	case opPopMark:
		_, err := m.popMark()
		return err
	case opDup:
		top, err := m.peek()
		if err != nil {
			return err
		}
		m.nodes[top].flags |= flagShared
		m.push(top)
	case opPut, opBinput, opLongBinput:
		return m.loadPut()
	case opMemoize:
		return m.loadMemoize()
	case opGet, opBinget, opLongBinget:
		return m.loadGet()
	case opGlobal:
		return m.loadGlobal()
	case opStackGlobal:
		return m.loadStackGlobal()
	case opReduce:
		return m.loadReduce()
	case opNewobj, opNewobjEx:
		return m.loadNewobj()
	case opInst:
		return m.loadInst()
	case opObj:
		return m.loadObj()
	case opBuild:
		return m.loadBuild()
	case opExt1, opExt2, opExt4:
		return m.loadExt()
	case opPersid, opBinpersid:
		return m.loadPersid()
	case opNextBuffer:
		return m.loadNextBuffer()
	case opReadonlyBuffer:
		return m.loadReadonlyBuffer()
	default:
		m.pos = m.opOff
		return m.syntaxError("invalid opcode " + opName(m.op))
	}
	return nil
}

// --- input ---------------------------------------------------------------

// need makes sure n more bytes are available at m.pos, inside the current
// frame.
func (m *machine) need(n int) error {
	if m.frameEnd >= 0 && m.pos+n > m.frameEnd {
		return m.syntaxError("opcode crosses the end of its frame")
	}
	if n <= len(m.data)-m.pos {
		return nil
	}
	return m.fill(n)
}

// minReadRoom is the room below which fill grows the buffer before a read
// when more bytes are needed than the room holds.
const minReadRoom = 4 << 10

// fill reads from src until n bytes are available at m.pos. It grows the
// buffer only as data arrives, in chunks of at most readChunk, so that a
// length claimed by the input costs nothing until the bytes are there.
//
// It never writes a byte of m.data already read: it reads into the spare
// room past len(m.data), or into a new buffer. With ZeroCopy, results of
// this and earlier pickles of a Decoder point into those bytes.
func (m *machine) fill(n int) error {
	const readChunk = 1 << 20
	if m.src == nil || m.srcErr != nil {
		return m.truncated()
	}
	for len(m.data)-m.pos < n {
		need := n - (len(m.data) - m.pos)
		if room := cap(m.data) - len(m.data); room < need && room < minReadRoom {
			// Grow by at least 32 KiB (so that the next pickles of a
			// stream are usually read with this one) and by half the
			// buffer; a reader that gives a few bytes at a time then
			// fills the room left, without a new buffer for each read,
			// and the buffer grows again only once that room is all but
			// used, however many bytes are still needed.
			want := min(max(need, 32<<10), readChunk)
			grown := make([]byte, len(m.data), len(m.data)+max(want, len(m.data)/2))
			copy(grown, m.data)
			m.data = grown
		}
		room := m.data[len(m.data):cap(m.data)]
		if len(room) > readChunk {
			room = room[:readChunk]
		}
		k, err := m.src.Read(room)
		m.data = m.data[:len(m.data)+k]
		if err != nil {
			if len(m.data)-m.pos >= n {
				break
			}
			if err != io.EOF {
				m.srcErr = err
				return err
			}
			m.src = nil
			return m.truncated()
		}
	}
	return nil
}

// read returns the next n bytes and advances past them.
func (m *machine) read(n int) ([]byte, error) {
	if err := m.need(n); err != nil {
		return nil, err
	}
	b := m.data[m.pos : m.pos+n]
	m.pos += n
	return b, nil
}

// readLen reads a length argument of size bytes (1, 4 signed, or 8).
func (m *machine) readLen(size int) (int64, error) {
	b, err := m.read(size)
	if err != nil {
		return 0, err
	}
	switch size {
	case 1:
		return int64(b[0]), nil
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(b))), nil
	}
	u := binary.LittleEndian.Uint64(b)
	if u > math.MaxInt64 {
		return 0, m.limitError("MaxStringLen", m.cfg.maxStringLen, math.MaxInt64)
	}
	return int64(u), nil
}

// readPayload checks a declared length against the limit and the input,
// then returns the payload's offset in data.
func (m *machine) readPayload(n int64) (int, error) {
	if n < 0 {
		return 0, m.syntaxError("negative length")
	}
	if n > m.cfg.maxStringLen {
		return 0, m.limitError("MaxStringLen", m.cfg.maxStringLen, n)
	}
	if m.src == nil && n > int64(len(m.data)-m.pos) {
		return 0, m.truncated()
	}
	if err := m.need(int(n)); err != nil {
		return 0, err
	}
	at := m.pos
	m.pos += int(n)
	return at, nil
}

// readLine returns the bytes up to the next '\n' (excluded) and advances past
// it. Lines longer than limit are refused.
func (m *machine) readLine(limit int64, limitName string) ([]byte, error) {
	from := m.pos
	for i := from; ; i++ {
		if i == len(m.data) || (m.frameEnd >= 0 && i == m.frameEnd) {
			if m.frameEnd >= 0 && i == m.frameEnd {
				return nil, m.syntaxError("opcode crosses the end of its frame")
			}
			if err := m.fill(i - m.pos + 1); err != nil {
				return nil, err
			}
		}
		if m.data[i] == '\n' {
			m.pos = i + 1
			return m.data[from:i], nil
		}
		if int64(i-from) > limit {
			return nil, m.limitError(limitName, limit, int64(i-from))
		}
	}
}

// --- nodes and the stack -------------------------------------------------

func (m *machine) newNode(k nodeKind) int32 {
	m.nodes = append(m.nodes, node{kind: k, op: m.op, off: int64(m.opOff), first: -1, last: -1, next: -1})
	return int32(len(m.nodes) - 1)
}

func (m *machine) push(n int32) { m.stack = append(m.stack, n) }

// fence is the stack length at the topmost mark: opcodes use only the items
// above it.
func (m *machine) fence() int {
	if len(m.marks) == 0 {
		return 0
	}
	return m.marks[len(m.marks)-1]
}

func (m *machine) pop() (int32, error) {
	if len(m.stack) <= m.fence() {
		return -1, m.stackUnderflow()
	}
	top := m.stack[len(m.stack)-1]
	m.stack = m.stack[:len(m.stack)-1]
	return top, nil
}

func (m *machine) peek() (int32, error) {
	if len(m.stack) <= m.fence() {
		return -1, m.stackUnderflow()
	}
	return m.stack[len(m.stack)-1], nil
}

// popMark removes the topmost mark and returns the items above it.
func (m *machine) popMark() ([]int32, error) {
	if len(m.marks) == 0 {
		return nil, m.syntaxError("could not find MARK")
	}
	k := m.marks[len(m.marks)-1]
	m.marks = m.marks[:len(m.marks)-1]
	items := m.stack[k:]
	m.stack = m.stack[:k]
	return items, nil
}

// resolve follows references to the node they stand for.
func (m *machine) resolve(n int32) int32 {
	for m.nodes[n].kind == nRef {
		n = int32(m.nodes[n].a)
	}
	return n
}

// ref returns a node that refers to n (n itself if it is not linked yet).
func (m *machine) ref(n int32) int32 {
	if m.nodes[n].flags&flagLinked == 0 {
		return n
	}
	target := m.resolve(n)
	m.nodes[target].flags |= flagShared
	r := m.newNode(nRef)
	m.nodes[r].a = int64(target)
	m.nodes[r].off = m.nodes[target].off
	return r
}

// link appends child to parent's children.
func (m *machine) link(parent, child int32) error {
	p := &m.nodes[parent]
	if items := int64(p.count); items >= m.cfg.maxContainerLen && (p.kind != nDict || items/2 >= m.cfg.maxContainerLen) {
		if p.kind == nDict {
			items /= 2
		}
		return m.limitError("MaxContainerLen", m.cfg.maxContainerLen, items+1)
	}
	child = m.ref(child)
	m.nodes[child].flags |= flagLinked
	p = &m.nodes[parent]
	if p.last < 0 {
		p.first = child
	} else {
		m.nodes[p.last].next = child
	}
	p.last = child
	p.count++
	return nil
}

// linkAll appends items to parent's children.
func (m *machine) linkAll(parent int32, items []int32) error {
	for _, it := range items {
		if err := m.link(parent, it); err != nil {
			return err
		}
	}
	return nil
}

// children returns the child nodes of n in order.
func (m *machine) children(n int32) []int32 {
	out := make([]int32, 0, m.nodes[n].count)
	for c := m.nodes[n].first; c >= 0; c = m.nodes[c].next {
		out = append(out, c)
	}
	return out
}

// --- memo ------------------------------------------------------------------

// memo maps memo indices to nodes. Indices can be sparse and huge, so small
// ones live in a slice and the rest in a map; nothing is preallocated by
// index.
type memo struct {
	dense  []int32 // index -> node+1, 0 for none
	sparse map[uint64]int32
	count  int64
}

// denseSlack bounds the dense part: it grows to index i only while i is
// below denseSlack plus four times the entries stored, so that sparse
// indices (a hostile pickle's) go to the map instead of a huge slice.
const denseSlack = 1024

func (mm *memo) get(i uint64) (int32, bool) {
	if i < uint64(len(mm.dense)) {
		n := mm.dense[i]
		return n - 1, n != 0
	}
	n, ok := mm.sparse[i]
	return n, ok
}

// put stores n at i and reports whether i is a new index.
func (mm *memo) put(i uint64, n int32) bool {
	if i >= uint64(len(mm.dense)) {
		limit := uint64(denseSlack + 4*mm.count)
		if i >= limit {
			return mm.putSparse(i, n)
		}
		grown := make([]int32, min(max(i+1, uint64(2*len(mm.dense))), limit))
		copy(grown, mm.dense)
		mm.dense = grown
	}
	isNew := mm.dense[i] == 0
	mm.dense[i] = n + 1
	return isNew
}

func (mm *memo) putSparse(i uint64, n int32) bool {
	if mm.sparse == nil {
		mm.sparse = map[uint64]int32{}
	}
	_, had := mm.sparse[i]
	mm.sparse[i] = n
	return !had
}

func (m *machine) memoPut(i uint64) error {
	top, err := m.peek()
	if err != nil {
		return err
	}
	if m.memo.count >= m.cfg.maxMemo {
		if _, ok := m.memo.get(i); !ok {
			return m.limitError("MaxMemo", m.cfg.maxMemo, m.memo.count+1)
		}
	}
	m.nodes[m.resolve(top)].flags |= flagMemo
	if m.memo.put(i, top) {
		m.memo.count++
	}
	return nil
}

func (m *machine) loadPut() error {
	i, err := m.memoIndexArg()
	if err != nil {
		return err
	}
	return m.memoPut(i)
}

func (m *machine) loadMemoize() error {
	return m.memoPut(uint64(m.memo.count))
}

func (m *machine) loadGet() error {
	i, err := m.memoIndexArg()
	if err != nil {
		return err
	}
	n, ok := m.memo.get(i)
	if !ok {
		return m.syntaxError("memo has no value at index " + uitoa(i))
	}
	m.nodes[m.resolve(n)].flags |= flagShared
	m.push(n)
	return nil
}

// memoIndexArg reads the argument of PUT/GET in any of its three forms.
func (m *machine) memoIndexArg() (uint64, error) {
	switch m.op {
	case opBinput, opBinget:
		b, err := m.read(1)
		if err != nil {
			return 0, err
		}
		return uint64(b[0]), nil
	case opLongBinput, opLongBinget:
		b, err := m.read(4)
		if err != nil {
			return 0, err
		}
		return uint64(binary.LittleEndian.Uint32(b)), nil
	}
	line, err := m.readLine(int64(m.cfg.maxIntDigits)+8, "MaxIntDigits")
	if err != nil {
		return 0, err
	}
	v, ok := parseDecimalIndex(line)
	if !ok {
		return 0, m.syntaxError("invalid memo index " + quote(string(line)))
	}
	return v, nil
}

// --- structure opcodes -----------------------------------------------------

func (m *machine) loadProto() error {
	b, err := m.read(1)
	if err != nil {
		return err
	}
	if int(b[0]) > HighestProtocol {
		return m.syntaxError("unsupported pickle protocol " + uitoa(uint64(b[0])))
	}
	m.proto = int(b[0])
	return nil
}

func (m *machine) loadFrame() error {
	if m.frameEnd >= 0 && m.pos < m.frameEnd {
		return m.syntaxError("a new frame begins before the end of the current frame")
	}
	m.frameEnd = -1
	n, err := m.readLen(8)
	if err != nil {
		return err
	}
	if m.src == nil && n > int64(len(m.data)-m.pos) {
		return m.truncated()
	}
	if n > m.cfg.maxStringLen && n > 1<<20 {
		return m.limitError("MaxStringLen", m.cfg.maxStringLen, n)
	}
	if err := m.need(int(n)); err != nil {
		return err
	}
	m.frameEnd = m.pos + int(n)
	return nil
}

func (m *machine) loadPop() error {
	if len(m.marks) > 0 && m.marks[len(m.marks)-1] == len(m.stack) {
		m.marks = m.marks[:len(m.marks)-1]
		return nil
	}
	_, err := m.pop()
	return err
}

func (m *machine) loadMarkedContainer() error {
	items, err := m.popMark()
	if err != nil {
		return err
	}
	var n int32
	switch m.op {
	case opList:
		n = m.newNode(nList)
	case opTuple:
		n = m.newNode(nTuple)
	case opFrozenset:
		n = m.newNode(nFrozenSet)
		if err := m.checkKeys(items, 1); err != nil {
			return err
		}
	case opDict:
		if len(items)%2 != 0 {
			return m.syntaxError("odd number of items for DICT")
		}
		n = m.newNode(nDict)
		if err := m.checkKeys(items, 2); err != nil {
			return err
		}
	}
	if err := m.linkAll(n, items); err != nil {
		return err
	}
	m.push(n)
	return nil
}

func (m *machine) loadSmallTuple(k int) error {
	if len(m.stack)-m.fence() < k {
		return m.stackUnderflow()
	}
	items := m.stack[len(m.stack)-k:]
	n := m.newNode(nTuple)
	if err := m.linkAll(n, items); err != nil {
		return err
	}
	m.stack = append(m.stack[:len(m.stack)-k], n)
	return nil
}

// target returns the node that stack item i stands for, resolving refs.
func (m *machine) target(i int) int32 { return m.resolve(m.stack[i]) }

func (m *machine) loadAppend() error {
	if len(m.stack)-m.fence() < 2 {
		return m.stackUnderflow()
	}
	item := m.stack[len(m.stack)-1]
	m.stack = m.stack[:len(m.stack)-1]
	return m.appendTo(m.target(len(m.stack)-1), []int32{item})
}

func (m *machine) loadAppends() error {
	items, err := m.popMark()
	if err != nil {
		return err
	}
	if len(m.stack) <= m.fence() {
		return m.stackUnderflow()
	}
	return m.appendTo(m.target(len(m.stack)-1), items)
}

func (m *machine) appendTo(list int32, items []int32) error {
	switch m.nodes[list].kind {
	case nList:
		return m.linkAll(list, items)
	case nObject:
		o := &m.objects[m.nodes[list].a]
		for _, it := range items {
			m.nodes[m.resolve(it)].flags |= flagShared
			o.listItems = append(o.listItems, it)
		}
		return nil
	}
	return m.syntaxError(m.op2name() + " on a " + m.kindName(list) + ", not a list")
}

func (m *machine) loadSetitem() error {
	if len(m.stack)-m.fence() < 3 {
		return m.stackUnderflow()
	}
	kv := m.stack[len(m.stack)-2:]
	m.stack = m.stack[:len(m.stack)-2]
	return m.setItems(m.target(len(m.stack)-1), kv)
}

func (m *machine) loadSetitems() error {
	items, err := m.popMark()
	if err != nil {
		return err
	}
	if len(items)%2 != 0 {
		return m.syntaxError("odd number of items for SETITEMS")
	}
	if len(m.stack) <= m.fence() {
		return m.stackUnderflow()
	}
	return m.setItems(m.target(len(m.stack)-1), items)
}

func (m *machine) setItems(dict int32, kv []int32) error {
	switch m.nodes[dict].kind {
	case nDict:
		if err := m.checkKeys(kv, 2); err != nil {
			return err
		}
		return m.linkAll(dict, kv)
	case nObject:
		o := &m.objects[m.nodes[dict].a]
		for _, it := range kv {
			m.nodes[m.resolve(it)].flags |= flagShared
			o.dictItems = append(o.dictItems, it)
		}
		return nil
	}
	return m.syntaxError(m.op2name() + " on a " + m.kindName(dict) + ", not a dict")
}

func (m *machine) loadAdditems() error {
	items, err := m.popMark()
	if err != nil {
		return err
	}
	if len(m.stack) <= m.fence() {
		return m.stackUnderflow()
	}
	set := m.target(len(m.stack) - 1)
	if m.nodes[set].kind != nSet || m.nodes[set].flags&flagFrom != 0 {
		return m.syntaxError("ADDITEMS on a " + m.kindName(set) + ", not a set")
	}
	if err := m.checkKeys(items, 1); err != nil {
		return err
	}
	return m.linkAll(set, items)
}

// checkKeys refuses mutable dict keys or set members (every step-th item)
// as soon as they are seen. Tuples holding mutable values are caught when
// the keys are hashed, while binding.
func (m *machine) checkKeys(items []int32, step int) error {
	for i := 0; i < len(items); i += step {
		switch k := m.nodes[m.resolve(items[i])].kind; k {
		case nList, nDict, nSet, nByteArray:
			return &SyntaxError{Msg: "unhashable type '" + kindNames[k] + "' as a dict key or set member",
				Op: opName(m.op), Offset: m.offset(), Err: &unhashableError{kindNames[k]}}
		}
	}
	return nil
}

func (m *machine) loadReadonlyBuffer() error {
	top, err := m.peek()
	if err != nil {
		return err
	}
	n := m.resolve(top)
	switch m.nodes[n].kind {
	case nBuffer:
		m.stack[len(m.stack)-1] = m.readonlyBuffer(n)
		return nil
	case nBytes:
		return nil // a read-only view of bytes is the bytes themselves
	case nByteArray:
		// A read-only view of a bytearray: its contents, as bytes.
		c := m.newNode(nBytes)
		m.nodes[c].a, m.nodes[c].b, m.nodes[c].flags = m.nodes[n].a, m.nodes[n].b, m.nodes[n].flags&flagSide
		m.stack[len(m.stack)-1] = c
		return nil
	}
	return m.syntaxError("READONLY_BUFFER on a " + m.kindName(top) + ", not a buffer")
}

func (m *machine) loadExt() error {
	var code int64
	switch m.op {
	case opExt1:
		b, err := m.read(1)
		if err != nil {
			return err
		}
		code = int64(b[0])
	case opExt2:
		b, err := m.read(2)
		if err != nil {
			return err
		}
		code = int64(binary.LittleEndian.Uint16(b))
	default:
		b, err := m.read(4)
		if err != nil {
			return err
		}
		code = int64(int32(binary.LittleEndian.Uint32(b)))
	}
	if code <= 0 {
		return m.syntaxError("extension code " + itoa(code) + " is not positive")
	}
	if m.cfg.extByCode == nil {
		return m.noHandler("extension code " + itoa(code) + ", and no ExtensionCodes are configured")
	}
	g, ok := m.cfg.extByCode[int32(code)]
	if !ok {
		return m.syntaxError("unregistered extension code " + itoa(code))
	}
	return m.pushGlobal(g)
}

// --- errors ------------------------------------------------------------------

func (m *machine) offset() int64 { return m.base + int64(m.opOff) }

func (m *machine) op2name() string { return opName(m.op) }

func (m *machine) syntaxError(msg string) error {
	return &SyntaxError{Msg: msg, Op: opName(m.op), Offset: m.offset()}
}

func (m *machine) truncated() error {
	if m.pos >= len(m.data) && m.opOff == m.pos {
		return &SyntaxError{Msg: "pickle data was truncated (no STOP opcode)", Offset: m.base + int64(m.pos), Err: ErrTruncated}
	}
	return &SyntaxError{Msg: "pickle data was truncated", Op: opName(m.op), Offset: m.offset(), Err: ErrTruncated}
}

func (m *machine) stackUnderflow() error {
	return m.syntaxError("stack underflow")
}

func (m *machine) limitError(limit string, max, tried int64) error {
	return &LimitError{Limit: limit, Max: max, Tried: tried, Op: opName(m.op), Offset: m.offset()}
}

func (m *machine) noHandler(what string) error {
	return &SyntaxError{Msg: "the pickle holds " + what, Op: opName(m.op), Offset: m.offset(), Err: ErrNoHandler}
}

var kindNames = [...]string{
	nNone: "NoneType", nBool: "bool", nInt: "int", nBig: "int", nFloat: "float",
	nComplex: "complex", nStr: "str", nBytes: "bytes", nByteArray: "bytearray",
	nTuple: "tuple", nList: "list", nDict: "dict", nSet: "set", nFrozenSet: "frozenset",
	nGlobal: "global", nObject: "object", nRef: "reference",
	nPersistent: "persistent id", nBuffer: "out-of-band buffer",
}

// kindName names the Python type of node n for messages.
func (m *machine) kindName(n int32) string {
	n = m.resolve(n)
	switch m.nodes[n].kind {
	case nGlobal: // names come from the input: quoted, so a message stays one line
		return "global " + quote(m.globals[m.nodes[n].a].String())
	case nObject:
		if g, ok := m.globalOf(m.objects[m.nodes[n].a].callable); ok {
			return quote(g.String()) + " object"
		}
	}
	return kindNames[m.nodes[n].kind]
}

// globalOf returns the Global a node stands for, if it is one.
func (m *machine) globalOf(n int32) (Global, bool) {
	n = m.resolve(n)
	if m.nodes[n].kind != nGlobal {
		return Global{}, false
	}
	return m.globals[m.nodes[n].a], true
}
