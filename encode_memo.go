package pickle

import (
	"math/bits"
	"unsafe"
)

// memoTable is the encoder's memo: memo keys (object identities) to memo
// indices. It is an open-addressing hash table with a cheap hash of the
// key's words, much faster than a Go map with a struct key for the many
// lookups of a large pickle, and it is reused through the encoder pool.
//
// Strings, the most common entries by far (a large pickle makes one for
// every str it writes, nearly all of them looked up once and never found),
// have a table of their own with 16-byte slots (strTable).
//
// A large pickle's table is much larger than the processor's caches, and
// nearly every lookup is for a new object, so the cost was one cache miss
// per object. Both tables therefore keep a Bloom filter of their keys,
// small enough to stay in cache: a key the filter has never seen is new
// for certain, and is queued in a small batch instead of being looked for.
// A full batch goes into the table in two passes, the first of which only
// touches the slots, so that their cache misses overlap instead of
// following one another. Lookups the filter cannot rule out search the
// batch, then the table.
//
// The slots hold addresses as plain integers, so that the garbage
// collector need not scan the tables and no write barrier or clearing of
// pointers is paid per entry. An address must not be reused by another
// object during an encode; the encoder's pins (see pin in marshal.go) keep
// every object it memoizes alive until the encode ends.
type memoTable struct {
	slots  []memoSlot // a power of two in length, or nil
	shift  uint       // 64 - log2(len(slots)): slots are chosen by the high bits
	n      int        // entries, in slots or pending
	filter memoFilter
	pend   [memoBatch]memoSlot // new entries not yet in slots
	npend  int
	sink   uintptr // the slots touched before a batch is stored
	dirty  dirtySlots
	strs   strTable
	lazy   lazyMemo // see encode_memo_lazy.go
}

// dirtySlots lists the slots of a table written since it was last
// cleared, so that reset clears those instead of the whole table: a small
// pickle fills a few slots of a table of 4 KiB, which clearing whole cost
// 5% of encoding a record.
type dirtySlots struct {
	at [maxDirtySlots]uint32
	n  int // past maxDirtySlots: too many, the whole table is cleared
}

// maxDirtySlots is the most slots reset clears one by one.
const maxDirtySlots = 64

// add records that slot i was written.
func (d *dirtySlots) add(i uintptr) {
	if d.n < maxDirtySlots {
		d.at[d.n] = uint32(i)
	}
	d.n++
}

// addAll records that any slot may have been written.
func (d *dirtySlots) addAll() { d.n = maxDirtySlots + 1 }

// clearDirty clears the slots of d in slots, and forgets them.
func clearDirty[S any](d *dirtySlots, slots []S) {
	if d.n > maxDirtySlots {
		clear(slots)
	} else {
		var zero S
		for _, i := range d.at[:d.n] {
			slots[i] = zero
		}
	}
	d.n = 0
}

// memoSlot is one entry; kind is 0 in an empty slot.
type memoSlot struct {
	p, t uintptr
	n    int
	idx  int32
	kind memoKind
}

// memoBatch is the number of new entries queued before they are stored.
const memoBatch = 32

// maxPooledMemoSlots is the largest table kept for the next encode.
const maxPooledMemoSlots = 1 << 20

// memoHash mixes the key's words; the table takes the high bits of the
// result (Fibonacci hashing), since aligned pointers have zero low bits.
func memoHash(p uintptr, n int, t uintptr, kind memoKind) uint64 {
	h := uint64(p) ^ uint64(n)*0xC2B2AE3D27D4EB4F ^ uint64(t)*0x165667B19E3779F9 ^ uint64(kind)<<56
	h ^= h >> 32
	return h * 0x9E3779B97F4A7C15
}

// slot returns k memoized at idx, as a slot holds it.
func (k *memoKey) slot(idx int) memoSlot {
	return memoSlot{p: uintptr(k.p), t: uintptr(k.t), n: k.n, idx: int32(idx), kind: k.kind}
}

// is reports whether s holds the key of k (whatever their indices).
func (s *memoSlot) is(k *memoSlot) bool {
	return s.p == k.p && s.n == k.n && s.t == k.t && s.kind == k.kind
}

// memoFilter is a blocked Bloom filter of key hashes: two bits of one
// 64-bit word per key, taken from bits of the hash that the tables do not
// use to choose a slot (the high ones) when they are small.
type memoFilter struct {
	words []uint64 // a power of two in length
	shift uint     // 64 - log2(len(words))
}

// filterBitsPerSlot is the filter's size relative to its table: 4 bits per
// slot, so 6.4 to 12.8 bits per key at the tables' load factors, for about
// 2-7% false positives.
const filterBitsPerSlot = 4

func filterMask(h uint64) uint64 { return 1<<(h>>20&63) | 1<<(h>>26&63) }

// add records h and reports whether it may have been recorded before.
func (f *memoFilter) add(h uint64) bool {
	w := &f.words[h>>f.shift]
	m := filterMask(h)
	old := *w
	*w = old | m
	return old&m == m
}

// has reports whether h may have been recorded.
func (f *memoFilter) has(h uint64) bool {
	m := filterMask(h)
	return f.words[h>>f.shift]&m == m
}

// sized makes the filter empty, sized for a table of the given number of
// slots.
func (f *memoFilter) sized(slots int) {
	nw := slots * filterBitsPerSlot / 64
	if len(f.words) != nw {
		f.words = make([]uint64, nw)
		f.shift = uint(64 - bits.TrailingZeros(uint(nw)))
	} else {
		clear(f.words)
	}
}

// exactGet returns the index memoized under k in the exact table.
func (t *memoTable) exactGet(k memoKey) (int, bool) {
	if t.n == 0 {
		return 0, false
	}
	key := k.slot(0)
	h := memoHash(key.p, key.n, key.t, key.kind)
	if !t.filter.has(h) {
		return 0, false
	}
	if s := t.find(&key, h); s.kind != 0 {
		return int(s.idx), true
	}
	return 0, false
}

// find returns the pending entry or slot holding k, or the empty slot
// where k belongs. The table must have an empty slot.
func (t *memoTable) find(k *memoSlot, h uint64) *memoSlot {
	for i := range t.pend[:t.npend] {
		if s := &t.pend[i]; s.is(k) {
			return s
		}
	}
	mask := uint64(len(t.slots) - 1)
	for i := h >> t.shift; ; i = (i + 1) & mask {
		if s := &t.slots[i]; s.kind == 0 || s.is(k) {
			return s
		}
	}
}

// exactSet memoizes k at idx in the exact table, unless k is memoized
// already and replace is false; it returns the index k had, if any, and
// whether it had one.
func (t *memoTable) exactSet(k memoKey, idx int, replace bool) (int, bool) {
	return t.setSlot(k.slot(idx), replace)
}

// setSlot is exactSet for the key and index of entry.
func (t *memoTable) setSlot(entry memoSlot, replace bool) (int, bool) {
	if (t.n+1)*2 > len(t.slots) {
		t.grow()
	}
	h := memoHash(entry.p, entry.n, entry.t, entry.kind)
	if !t.filter.add(h) {
		t.pend[t.npend] = entry
		t.npend++
		t.n++
		if t.npend == memoBatch {
			t.flush()
		}
		return int(entry.idx), false
	}
	s := t.find(&entry, h)
	if s.kind != 0 {
		old := int(s.idx)
		if replace {
			s.idx = entry.idx
		}
		return old, true
	}
	*s = entry
	t.dirty.add((uintptr(unsafe.Pointer(s)) - uintptr(unsafe.Pointer(unsafe.SliceData(t.slots)))) / unsafe.Sizeof(*s))
	t.n++
	return int(entry.idx), false
}

// flush stores the pending entries, none of which is in the table.
func (t *memoTable) flush() {
	if t.npend > 0 {
		t.dirty.addAll()
	}
	pend := t.pend[:t.npend]
	var home [memoBatch]uint64
	sink := t.sink
	for i := range pend {
		s := &pend[i]
		home[i] = memoHash(s.p, s.n, s.t, s.kind) >> t.shift
		sink += t.slots[home[i]].p
	}
	t.sink = sink
	mask := uint64(len(t.slots) - 1)
	for i := range pend {
		j := home[i]
		for t.slots[j].kind != 0 {
			j = (j + 1) & mask
		}
		t.slots[j] = pend[i]
	}
	t.npend = 0
}

func (t *memoTable) grow() {
	t.flush()
	old := t.slots
	size := 64
	if len(old) > 0 {
		size = 2 * len(old)
	}
	t.slots = make([]memoSlot, size)
	t.dirty.addAll()
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
	t.filter.sized(size)
	mask := uint64(size - 1)
	for i := range old {
		s := &old[i]
		if s.kind == 0 {
			continue
		}
		h := memoHash(s.p, s.n, s.t, s.kind)
		t.filter.add(h)
		j := h >> t.shift
		for t.slots[j].kind != 0 {
			j = (j + 1) & mask
		}
		t.slots[j] = *s
	}
}

// reset empties the tables, keeping their memory unless they are large.
func (t *memoTable) reset() {
	if dropTable(len(t.slots), t.n) {
		t.slots, t.filter = nil, memoFilter{}
		t.dirty.n = 0
	} else if t.n > 0 {
		clearDirty(&t.dirty, t.slots)
		clear(t.filter.words)
	}
	t.n, t.npend = 0, 0
	t.strs.reset()
	t.lazy.reset()
}

// dropTable reports whether a table of the given number of slots, which
// held n entries in the encode just done, is dropped rather than cleared
// for the next one: when it is too large to keep, or when it is large and
// was mostly empty (a small pickle written with the table a large one
// left in the pool would otherwise clear megabytes at every reset).
func dropTable(slots, n int) bool {
	return slots > maxPooledMemoSlots || (slots > minDroppedSlots && n*16 < slots)
}

// minDroppedSlots is the size from which a mostly empty table is dropped.
const minDroppedSlots = 4096

// strTable memoizes Go strings by identity: the address and length of
// their bytes (strings of 4 GiB or more go to the general table). It works
// as memoTable does.
type strTable struct {
	slots  []strSlot // a power of two in length, or nil
	shift  uint      // 64 - log2(len(slots))
	n      int       // entries, in slots or pending
	filter memoFilter
	pend   [memoBatch]strSlot
	npend  int
	sink   uint32
	dirty  dirtySlots
}

// strSlot is one entry; p is 0 in an empty slot.
type strSlot struct {
	p   uintptr
	n   uint32
	idx uint32
}

// maxDirectStrSlots is the size up to which the string table is searched
// directly, without its filter and batch: 16 KiB of slots stay in cache.
const maxDirectStrSlots = 1024

// maxStrLoad is the load factor of the string table, in eighths.
const maxStrLoad = 5

func strHash(p uintptr, n uint32) uint64 {
	h := uint64(p) ^ uint64(n)<<40
	h ^= h >> 29
	return h * 0x9E3779B97F4A7C15
}

// getOrPut returns the index memoized for the string at p with length n
// (0 < n < 2**32), or memoizes it at idx and reports false.
func (t *strTable) getOrPut(p uintptr, n int, idx int) (int, bool) {
	if (t.n+1)*8 > len(t.slots)*maxStrLoad {
		t.grow()
	}
	key := strSlot{p: p, n: uint32(n), idx: uint32(idx)}
	h := strHash(key.p, key.n)
	if len(t.slots) > maxDirectStrSlots {
		// A table larger than the caches: the filter and the batch.
		if !t.filter.add(h) {
			t.pend[t.npend] = key
			t.npend++
			t.n++
			if t.npend == memoBatch {
				t.flush()
			}
			return idx, false
		}
		for i := range t.pend[:t.npend] {
			if s := &t.pend[i]; s.p == key.p && s.n == key.n {
				return int(s.idx), true
			}
		}
	}
	mask := uint64(len(t.slots) - 1)
	for i := h >> t.shift; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.p == 0 {
			*s = key
			t.dirty.add(uintptr(i))
			t.n++
			return idx, false
		}
		if s.p == key.p && s.n == key.n {
			return int(s.idx), true
		}
	}
}

// flush stores the pending entries, none of which is in the table.
func (t *strTable) flush() {
	if t.npend > 0 {
		t.dirty.addAll()
	}
	pend := t.pend[:t.npend]
	var home [memoBatch]uint64
	sink := t.sink
	for i := range pend {
		home[i] = strHash(pend[i].p, pend[i].n) >> t.shift
		sink += t.slots[home[i]].n
	}
	t.sink = sink
	mask := uint64(len(t.slots) - 1)
	for i := range pend {
		j := home[i]
		for t.slots[j].p != 0 {
			j = (j + 1) & mask
		}
		t.slots[j] = pend[i]
	}
	t.npend = 0
}

func (t *strTable) grow() {
	t.flush()
	old := t.slots
	size := 256
	if len(old) > 0 {
		size = 2 * len(old)
	}
	t.slots = make([]strSlot, size)
	t.dirty.addAll()
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
	// A small table is searched directly; a large one keeps the filter of
	// every key, made here when it leaves the small sizes.
	large := size > maxDirectStrSlots
	if large {
		t.filter.sized(size)
	}
	mask := uint64(size - 1)
	for _, s := range old {
		if s.p == 0 {
			continue
		}
		h := strHash(s.p, s.n)
		if large {
			t.filter.add(h)
		}
		j := h >> t.shift
		for t.slots[j].p != 0 {
			j = (j + 1) & mask
		}
		t.slots[j] = s
	}
}

// reset empties the table as memoTable.reset does.
func (t *strTable) reset() {
	if dropTable(len(t.slots), t.n) {
		t.slots, t.filter = nil, memoFilter{}
		t.dirty.n = 0
	} else if t.n > 0 {
		clearDirty(&t.dirty, t.slots)
		clear(t.filter.words)
	}
	t.n, t.npend = 0, 0
}
