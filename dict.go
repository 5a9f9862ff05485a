package pickle

import (
	"iter"
)

// table is an insertion-ordered hash table with Python key equality; Dict,
// Set and FrozenSet are built on it. Small tables are scanned linearly;
// larger ones keep an open-addressing index into entries.
type table struct {
	entries []entry
	index   []int32 // slot -> entry position + 1; 0 is empty
	live    int     // entries not deleted
}

type entry struct {
	key, val any
	hash     uint64
	deleted  bool
}

// linearMax is the size up to which a table has no index: comparing the
// hashes of a few entries costs less than building and probing an index.
const linearMax = 16

func (t *table) len() int { return t.live }

// find returns the position of key in entries, or -1.
func (t *table) find(key any, h uint64) int {
	if t.index == nil {
		for i := range t.entries {
			e := &t.entries[i]
			if e.hash == h && !e.deleted && keysEqual(e.key, key) {
				return i
			}
		}
		return -1
	}
	mask := uint64(len(t.index) - 1)
	for slot := h & mask; ; slot = (slot + 1) & mask {
		p := t.index[slot]
		if p == 0 {
			return -1
		}
		e := &t.entries[p-1]
		if e.hash == h && !e.deleted && keysEqual(e.key, key) {
			return int(p - 1)
		}
	}
}

// set stores key (with hash h) and val; an existing equal key keeps its
// position and its original key object, as in Python.
func (t *table) set(key, val any, h uint64) {
	if i := t.find(key, h); i >= 0 {
		t.entries[i].val = val
		return
	}
	t.entries = append(t.entries, entry{key: key, val: val, hash: h})
	t.live++
	if t.index == nil {
		if len(t.entries) > linearMax {
			t.rebuild()
		}
		return
	}
	if len(t.entries)*4 >= len(t.index)*3 {
		t.rebuild()
		return
	}
	t.insertSlot(h, int32(len(t.entries)))
}

// reserve makes room for n more entries (at least doubling the room, so
// that reserving batch after batch costs amortized constant time).
func (t *table) reserve(n int) {
	if cap(t.entries)-len(t.entries) < n {
		grown := make([]entry, len(t.entries), max(len(t.entries)+n, 2*cap(t.entries)))
		copy(grown, t.entries)
		t.entries = grown
	}
}

// indexLen is the length of the index rebuild gives a table of n live
// entries, 0 for none.
func indexLen(n int) int {
	if n <= linearMax {
		return 0
	}
	size := 16
	for size*3 <= n*4 {
		size *= 2
	}
	return size * 2
}

func (t *table) insertSlot(h uint64, pos int32) {
	mask := uint64(len(t.index) - 1)
	slot := h & mask
	for t.index[slot] != 0 {
		slot = (slot + 1) & mask
	}
	t.index[slot] = pos
}

// rebuild drops deleted entries and sizes the index for the live ones.
func (t *table) rebuild() {
	if t.live != len(t.entries) {
		kept := t.entries[:0]
		for _, e := range t.entries {
			if !e.deleted {
				kept = append(kept, e)
			}
		}
		clear(t.entries[len(kept):])
		t.entries = kept
	}
	n := indexLen(len(t.entries))
	if n == 0 {
		t.index = nil
		return
	}
	t.index = make([]int32, n)
	for i, e := range t.entries {
		t.insertSlot(e.hash, int32(i+1))
	}
}

func (t *table) delete(key any, h uint64) bool {
	i := t.find(key, h)
	if i < 0 {
		return false
	}
	t.entries[i] = entry{hash: t.entries[i].hash, deleted: true}
	t.live--
	if t.live*2 < len(t.entries) {
		t.rebuild()
	}
	return true
}

// sameMembers reports whether t and u hold equal keys (order ignored).
func (t *table) sameMembers(u *table) bool {
	if t.live != u.live {
		return false
	}
	for i := range t.entries {
		e := &t.entries[i]
		if !e.deleted && u.find(e.key, e.hash) < 0 {
			return false
		}
	}
	return true
}

func (t *table) all() iter.Seq2[any, any] {
	return func(yield func(any, any) bool) {
		for i := 0; i < len(t.entries); i++ {
			e := &t.entries[i]
			if e.deleted {
				continue
			}
			if !yield(e.key, e.val) {
				return
			}
		}
	}
}

// Dict is a Python dict: insertion-ordered, with Python's key equality
// (1, 1.0 and True are the same key; tuples and frozensets are keys by
// value). The zero Dict is empty and ready to use.
type Dict struct {
	t table
}

// NewDict returns an empty dict.
func NewDict() *Dict { return &Dict{} }

// Len returns the number of items.
func (d *Dict) Len() int { return d.t.len() }

// Get returns the value stored under key and whether there was one.
func (d *Dict) Get(key any) (any, bool) {
	h, err := hashKey(key)
	if err != nil {
		return nil, false
	}
	if i := d.t.find(key, h); i >= 0 {
		return d.t.entries[i].val, true
	}
	return nil, false
}

// Set stores val under key. It returns an error wrapping ErrUnhashable if
// key is a mutable value (a *List, *Dict, *Set or *ByteArray, or a Tuple
// holding one).
func (d *Dict) Set(key, val any) error {
	h, err := hashKey(key)
	if err != nil {
		return err
	}
	d.t.set(key, val, h)
	return nil
}

// Delete removes key and reports whether it was present.
func (d *Dict) Delete(key any) bool {
	h, err := hashKey(key)
	if err != nil {
		return false
	}
	return d.t.delete(key, h)
}

// All iterates over the items in insertion order.
func (d *Dict) All() iter.Seq2[any, any] { return d.t.all() }

// Keys iterates over the keys in insertion order.
func (d *Dict) Keys() iter.Seq[any] {
	return func(yield func(any) bool) {
		for k := range d.t.all() {
			if !yield(k) {
				return
			}
		}
	}
}

// Equal reports whether d and e are strictly equal: the same items in the
// same order (see Equal).
func (d *Dict) Equal(e *Dict) bool { return Equal(d, e) }

// Set is a Python set. It keeps the order in which members were added, so
// that a decoded set is written back in the order CPython wrote it. The zero
// Set is empty and ready to use.
type Set struct {
	t table
}

// NewSet returns a set holding members, or an error wrapping ErrUnhashable.
func NewSet(members ...any) (*Set, error) {
	s := &Set{}
	for _, m := range members {
		if err := s.Add(m); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Len returns the number of members.
func (s *Set) Len() int { return s.t.len() }

// Add adds m; it returns an error wrapping ErrUnhashable for mutable values.
func (s *Set) Add(m any) error {
	h, err := hashKey(m)
	if err != nil {
		return err
	}
	s.t.set(m, nil, h)
	return nil
}

// Has reports whether m is a member.
func (s *Set) Has(m any) bool {
	h, err := hashKey(m)
	return err == nil && s.t.find(m, h) >= 0
}

// Delete removes m and reports whether it was present.
func (s *Set) Delete(m any) bool {
	h, err := hashKey(m)
	return err == nil && s.t.delete(m, h)
}

// All iterates over the members in the order they were added.
func (s *Set) All() iter.Seq[any] { return members(&s.t) }

// Equal reports whether s and u have strictly equal members (see Equal).
func (s *Set) Equal(u *Set) bool { return Equal(s, u) }

// FrozenSet is a Python frozenset. Build it with NewFrozenSet; it must not
// change afterwards, since it may be a dict key.
type FrozenSet struct {
	t      table
	hashed bool
	h      uint64
}

// NewFrozenSet returns a frozenset holding members, or an error wrapping
// ErrUnhashable.
func NewFrozenSet(members ...any) (*FrozenSet, error) {
	f := &FrozenSet{}
	for _, m := range members {
		h, err := hashKey(m)
		if err != nil {
			return nil, err
		}
		f.t.set(m, nil, h)
	}
	return f, nil
}

// Len returns the number of members.
func (f *FrozenSet) Len() int { return f.t.len() }

// Has reports whether m is a member.
func (f *FrozenSet) Has(m any) bool {
	h, err := hashKey(m)
	return err == nil && f.t.find(m, h) >= 0
}

// All iterates over the members in the order they were added.
func (f *FrozenSet) All() iter.Seq[any] { return members(&f.t) }

// Equal reports whether f and g have strictly equal members (see Equal).
func (f *FrozenSet) Equal(g *FrozenSet) bool { return Equal(f, g) }

// hash combines member hashes independently of order, as frozenset's does.
func (f *FrozenSet) hash() uint64 {
	if !f.hashed {
		var h uint64 = 0x1f2e3d4c
		for i := range f.t.entries {
			e := &f.t.entries[i]
			if !e.deleted {
				x := e.hash
				h += (x ^ (x << 16) ^ 89869747) * 3644798167
			}
		}
		f.h = hashTagged(tagFrozenSet, []byte{byte(h), byte(h >> 8), byte(h >> 16), byte(h >> 24),
			byte(h >> 32), byte(h >> 40), byte(h >> 48), byte(h >> 56)})
		f.hashed = true
	}
	return f.h
}

func members(t *table) iter.Seq[any] {
	return func(yield func(any) bool) {
		for k := range t.all() {
			if !yield(k) {
				return
			}
		}
	}
}
