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
// have a table of their own with 16-byte slots (strTable), so that four
// fit in a cache line where a memoSlot takes 40 bytes.
type memoTable struct {
	slots []memoSlot // a power of two in length, or nil
	shift uint       // 64 - log2(len(slots)): slots are chosen by the high bits
	n     int        // entries in use
	strs  strTable
}

type memoSlot struct {
	key  memoKey
	idx  int32
	used bool
}

// maxPooledMemoSlots is the largest table kept for the next encode.
const maxPooledMemoSlots = 1 << 20

// memoHash mixes the key's words; the table takes the high bits of the
// result (Fibonacci hashing), since aligned pointers have zero low bits.
func memoHash(k memoKey) uint64 {
	h := uint64(uintptr(k.p)) ^ uint64(k.n)*0xC2B2AE3D27D4EB4F ^ uint64(uintptr(k.t))*0x165667B19E3779F9 ^ uint64(k.kind)<<56
	h ^= h >> 32
	return h * 0x9E3779B97F4A7C15
}

// get returns the index memoized under k.
func (t *memoTable) get(k memoKey) (int, bool) {
	if t.n == 0 {
		return 0, false
	}
	s := t.probe(k)
	return int(s.idx), s.used
}

// probe returns the slot holding k, or the empty slot where k belongs.
// The table must have an empty slot.
func (t *memoTable) probe(k memoKey) *memoSlot {
	mask := uint64(len(t.slots) - 1)
	for i := memoHash(k) >> t.shift; ; i = (i + 1) & mask {
		if s := &t.slots[i]; !s.used || s.key == k {
			return s
		}
	}
}

// getOrPut returns the index memoized under k, or memoizes k at idx and
// reports false: one probe where get then put would take two.
func (t *memoTable) getOrPut(k memoKey, idx int) (int, bool) {
	if (t.n+1)*2 > len(t.slots) {
		t.grow()
	}
	s := t.probe(k)
	if s.used {
		return int(s.idx), true
	}
	*s = memoSlot{key: k, idx: int32(idx), used: true}
	t.n++
	return idx, false
}

// put memoizes k at idx (replacing an earlier entry for k).
func (t *memoTable) put(k memoKey, idx int) {
	if (t.n+1)*2 > len(t.slots) {
		t.grow()
	}
	s := t.probe(k)
	if !s.used {
		t.n++
	}
	*s = memoSlot{key: k, idx: int32(idx), used: true}
}

func (t *memoTable) grow() {
	old := t.slots
	size := 64
	if len(old) > 0 {
		size = 2 * len(old)
	}
	t.slots = make([]memoSlot, size)
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
	t.n = 0
	for i := range old {
		if old[i].used {
			t.put(old[i].key, int(old[i].idx))
		}
	}
}

// reset empties the tables, keeping their memory unless they are large.
// Clearing also drops the pointers that kept the last encode's values
// alive.
func (t *memoTable) reset() {
	if len(t.slots) > maxPooledMemoSlots {
		t.slots = nil
	} else if t.n > 0 {
		clear(t.slots)
	}
	t.n = 0
	t.strs.reset()
}

// strTable memoizes Go strings by identity: the address and length of
// their bytes (strings of 4 GiB or more go to the general table). The
// pointer keeps the bytes alive while the memo refers to them, so that an
// address cannot be reused by another string during an encode.
type strTable struct {
	slots []strSlot // a power of two in length, or nil
	shift uint      // 64 - log2(len(slots))
	n     int       // entries in use
}

// strSlot is one entry; p is nil in an empty slot.
type strSlot struct {
	p   unsafe.Pointer
	n   uint32
	idx uint32
}

// maxStrLoad is the load factor of the string table, in eighths.
const maxStrLoad = 5

// getOrPut returns the index memoized for the string at p with length n
// (0 < n < 2**32), or memoizes it at idx and reports false.
func (t *strTable) getOrPut(p unsafe.Pointer, n int, idx int) (int, bool) {
	if (t.n+1)*8 > len(t.slots)*maxStrLoad {
		t.grow()
	}
	mask := uint64(len(t.slots) - 1)
	h := uint64(uintptr(p)) ^ uint64(n)<<40
	h ^= h >> 29
	for i := (h * 0x9E3779B97F4A7C15) >> t.shift; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.p == nil {
			*s = strSlot{p: p, n: uint32(n), idx: uint32(idx)}
			t.n++
			return idx, false
		}
		if s.p == p && s.n == uint32(n) {
			return int(s.idx), true
		}
	}
}

func (t *strTable) grow() {
	old := t.slots
	size := 256
	if len(old) > 0 {
		size = 2 * len(old)
	}
	t.slots = make([]strSlot, size)
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
	t.n = 0
	for _, s := range old {
		if s.p != nil {
			t.getOrPut(s.p, int(s.n), int(s.idx))
		}
	}
}

// reset empties the table as memoTable.reset does.
func (t *strTable) reset() {
	if len(t.slots) > maxPooledMemoSlots {
		t.slots = nil
	} else if t.n > 0 {
		clear(t.slots)
	}
	t.n = 0
}
