package pickle

import "unsafe"

// The memo, indexed lazily.
//
// CPython memoizes every str, list and dict it writes, and refers back to
// an object written before with a memo GET. Writing the same bytes from Go
// means telling, for every string, slice, map or struct written, whether
// the same object (the same address, length and type) was written before,
// and its memo index if so. An exact table of every object written is
// large (W2 of the benchmarks writes 140,000), and filling it cost a cache
// miss per object: the largest single cost of encoding records.
//
// A small pickle's tables are small and in cache; so the memo starts with
// the exact tables, and turns to the lazy index after lazyAfter entries,
// marking where the entries made so far start.
//
// But most objects of a value are written once, and those that repeat
// mostly lie together (constants of the program, interned keys, the
// objects of a cycle). So the memo first only records where each object
// written starts, in a bitmap per page of memory (addrBits): objects are
// mostly visited in the order they were allocated, so the few pages in use
// stay in cache, and an object whose start is not marked is new for
// certain. The keys themselves are kept in lists, in order (fresh strings
// and fresh keys). Only an object that starts where an earlier one started
// (a repeat; or a prefix of an earlier string, a struct's first field, ...)
// gets its page indexed: the keys of the lists in that page go into the
// exact tables, as does every later key in that page, and the lookup is
// made there. After maxIndexedPages pages, repeats are not confined to a
// few places, and the lists go into the exact tables, which then take
// every key: the cost of the exact tables alone, plus one pass.

const (
	// lazyAfter is the number of entries of the exact tables after which
	// the lazy index takes over.
	lazyAfter = 256
	// maxIndexedPages is the number of pages indexed one by one before
	// every key goes to the exact tables.
	maxIndexedPages = 8
	// minKeysPerPage is the number of keys a page must hold on average
	// (512 bytes of bitmap for 16 keys) beyond the first sparseSlack keys.
	minKeysPerPage = 16
	sparseSlack    = 256 * minKeysPerPage
	// maxPooledFresh is the largest list of keys kept for the next encode.
	maxPooledFresh = 1 << 18
)

// lazyMemoIndex turns the lazy index on; tests turn it off to compare
// with the exact tables alone.
var lazyMemoIndex = true

// lazyMemo is the state of the lazy index.
type lazyMemo struct {
	active    bool       // the lazy index is on
	exact     bool       // it was turned off: every key goes to the exact tables
	freshStrs []freshStr // the strings written in full, in order, until exact
	freshKeys []memoSlot // the other keys memoized, in order, until exact
	seen      addrBits   // where they start
	indexed   int        // pages indexed

	// hot holds strings found in the exact table (a repeated key, say),
	// so that the next lookups of a string repeated throughout a value
	// take one load.
	hot     [1 << hotStrBits]hotStr
	hotUsed bool
}

// hotStr is a string of the exact table and its memo index; p is 0 in an
// empty slot.
type hotStr struct {
	p      uintptr
	n, idx uint32
}

// hotStrBits is log2 of the number of hot strings.
const hotStrBits = 6

// freshStr is a string written in full and its memo index. Like the
// exact tables' slots, the lists hold addresses as plain integers: the
// encoder's pins keep the objects alive.
type freshStr struct {
	p      uintptr
	n, idx uint32
}

// get returns the index memoized under k.
func (t *memoTable) get(k memoKey) (int, bool) {
	l := &t.lazy
	if !l.active {
		return t.exactGet(k)
	}
	pg := l.seen.pageOf(uintptr(k.p))
	if !pg.indexed {
		if !l.seen.test(pg, uintptr(k.p)) {
			return 0, false
		}
		t.index(pg)
	}
	return t.exactGet(k)
}

// freshKey is set's usual case for the callers that open a container, in
// a function that calls nothing (so it saves no registers around calls,
// as set must): when the lazy index is on and k starts in a cached page
// that is not indexed, at an address not marked before, with room in the
// list of fresh keys, it marks the address, logs k at idx and reports
// true (k is new). Otherwise it reports false and changes nothing that
// set then depends on: the mark it may have found was there already.
func (t *memoTable) freshKey(k *memoKey, idx int) bool {
	l := &t.lazy
	p := uintptr(k.p)
	pg := &l.seen.recent[pageNumber(p)%addrRecent]
	n := len(l.freshKeys)
	if !l.active || pg.page != pageNumber(p) || pg.indexed || n == cap(l.freshKeys) || l.seen.testAndSet(pg, p) {
		return false
	}
	l.freshKeys = l.freshKeys[:n+1]
	l.freshKeys[n] = k.slot(idx)
	return true
}

// getOrPut returns the index memoized under k, or memoizes k at idx and
// reports false: one lookup where get then put would take two.
func (t *memoTable) getOrPut(k memoKey, idx int) (int, bool) {
	return t.set(k, idx, false)
}

// put memoizes k at idx (replacing an earlier entry for k).
func (t *memoTable) put(k memoKey, idx int) {
	t.set(k, idx, true)
}

// set memoizes k at idx, unless k is memoized already and replace is
// false; it returns the index k had, if any, and whether it had one.
func (t *memoTable) set(k memoKey, idx int, replace bool) (int, bool) {
	l := &t.lazy
	if !l.active && (t.n+t.strs.n < lazyAfter || !t.startLazy()) {
		return t.exactSet(k, idx, replace)
	}
	pg := &l.seen.recent[pageNumber(uintptr(k.p))%addrRecent]
	if pg.page != pageNumber(uintptr(k.p)) {
		if pg = t.recentPage(uintptr(k.p)); pg == nil {
			return t.exactSet(k, idx, replace)
		}
	}
	if !pg.indexed {
		if !l.seen.testAndSet(pg, uintptr(k.p)) {
			l.freshKeys = append(l.freshKeys, k.slot(idx))
			return idx, false
		}
		t.index(pg)
	}
	return t.exactSet(k, idx, replace)
}

// getOrPutStr is getOrPut for the str s.
func (t *memoTable) getOrPutStr(s string, idx int) (int, bool) {
	if len(s) > 2 && uint64(len(s)) < 1<<32 && !t.lazy.active && t.n+t.strs.n < lazyAfter {
		// A small pickle (a str of 3 bytes or more has no shared object).
		return t.strs.getOrPut(uintptr(unsafe.Pointer(unsafe.StringData(s))), len(s), idx)
	}
	return t.getOrPutStrKey(s, idx)
}

// getOrPutStrKey is getOrPutStr for every str.
func (t *memoTable) getOrPutStrKey(s string, idx int) (int, bool) {
	k := strKey(s)
	if k.kind != memoStr || uint64(k.n) >= 1<<32 {
		return t.getOrPut(k, idx)
	}
	l := &t.lazy
	if !l.active && (t.n+t.strs.n < lazyAfter || !t.startLazy()) {
		return t.strs.getOrPut(uintptr(k.p), k.n, idx)
	}
	key := uintptr(k.p)
	hot := &l.hot[strHash(key, uint32(k.n))>>(64-hotStrBits)]
	if hot.p == key && hot.n == uint32(k.n) {
		return int(hot.idx), true
	}
	pg := l.seen.pageOf(key)
	if !pg.indexed {
		if !l.seen.testAndSet(pg, key) {
			l.freshStrs = append(l.freshStrs, freshStr{key, uint32(k.n), uint32(idx)})
			if l.sparse() {
				t.goExact()
			}
			return idx, false
		}
		t.index(pg)
	}
	old, found := t.strs.getOrPut(key, k.n, idx)
	if found {
		*hot = hotStr{key, uint32(k.n), uint32(old)}
		l.hotUsed = true
	}
	return old, found
}

// recentPage returns the recent cache's entry of the page of key for the
// quick paths of set and writeString, or nil when adding it showed the
// keys spread thin over pages (sparse), which turns the lazy index off.
// (The keys can only become sparse when a page is added, so the quick
// paths check only then, when the page is not in the cache.)
func (t *memoTable) recentPage(key uintptr) *recentPage {
	l := &t.lazy
	pg := l.seen.pageOf(key)
	if l.sparse() {
		t.goExact()
		return nil
	}
	return pg
}

// startLazy turns the lazy index on once the exact tables hold lazyAfter
// entries (unless it was turned off for this pickle), marking where they
// start, and reports whether it is on.
func (t *memoTable) startLazy() bool {
	l := &t.lazy
	if l.exact || !lazyMemoIndex || t.n+t.strs.n < lazyAfter {
		return false
	}
	// Keys without an address (the empty str, one-character strs, ...)
	// are not kept: mark address 0 for them all.
	l.seen.mark(0)
	t.flush()
	for i := range t.slots {
		if s := &t.slots[i]; s.kind != 0 {
			l.seen.mark(s.p)
		}
	}
	t.strs.flush()
	for i := range t.strs.slots {
		if s := &t.strs.slots[i]; s.p != 0 {
			l.seen.mark(s.p)
		}
	}
	l.active = true
	return true
}

// index puts the keys memoized so far in the page of r into the exact
// tables, and marks the page indexed (in r and in pages); after
// maxIndexedPages pages, it turns the lazy index off.
func (t *memoTable) index(r *recentPage) {
	l := &t.lazy
	if l.indexed == maxIndexedPages {
		t.goExact()
		return
	}
	t.moveFresh(r.page)
	r.indexed, r.pg.indexed = true, true
	l.indexed++
}

// sparse reports whether the keys are spread thin over many pages (large
// strings, each in pages of its own), so that the bitmaps would take more
// memory than the keys: then the lazy index is turned off.
func (l *lazyMemo) sparse() bool {
	return l.seen.ndir*minKeysPerPage > len(l.freshStrs)+len(l.freshKeys)+sparseSlack
}

// goExact turns the lazy index off: every key memoized so far goes into
// the exact tables, which take every key from then on.
func (t *memoTable) goExact() {
	l := &t.lazy
	t.moveFresh(0)
	l.active, l.exact = false, true
	l.dropFresh()
	l.seen.reset()
}

// moveFresh puts the keys of the lists that start in page (in every page
// if page is 0) into the exact tables.
func (t *memoTable) moveFresh(page uintptr) {
	l := &t.lazy
	for _, f := range l.freshStrs {
		if page == 0 || pageNumber(f.p) == page {
			t.strs.getOrPut(f.p, int(f.n), int(f.idx))
		}
	}
	for _, f := range l.freshKeys {
		if page == 0 || pageNumber(f.p) == page {
			t.setSlot(f, true)
		}
	}
}

// reset empties the index for the next pickle.
func (l *lazyMemo) reset() {
	l.active, l.exact = false, false
	if l.hotUsed {
		l.hot = [1 << hotStrBits]hotStr{}
		l.hotUsed = false
	}
	l.indexed = 0
	l.dropFresh()
	l.seen.reset()
}

func (l *lazyMemo) dropFresh() {
	l.freshStrs = dropList(l.freshStrs)
	l.freshKeys = dropList(l.freshKeys)
}

// dropList empties a list for reuse, or drops it when it grew large.
func dropList[E any](list []E) []E {
	if cap(list) > maxPooledFresh {
		return nil
	}
	return list[:0]
}

// addrBits is a set of addresses: a bitmap for each page of memory that
// holds one, found through a directory with a cache of recent pages in
// front.
type addrBits struct {
	words  []uint64 // the bitmaps, addrPageWords words each
	dir    []addrPage
	ndir   int
	recent [addrRecent]recentPage
	pages  []addrPage // the pages, in the order added
}

// recentPage is an entry of the cache of recent pages: what the lookups of
// a str or key need of its page, held in the entry itself, so that a page
// in the cache costs no load beyond the entry's.
type recentPage struct {
	page    uintptr                // the page number plus one; 0 in an empty entry
	bits    *[addrPageWords]uint64 // its bitmap, in words
	pg      *addrPage              // the page in pages
	indexed bool                   // pg.indexed, which index keeps in step
}

// addrPage is a page of memory (its number plus one, so that 0 marks an
// empty directory slot): the offset of its bitmap in words, and whether
// its strings are in the exact table.
type addrPage struct {
	page    uintptr
	at      int32
	indexed bool
}

const (
	addrPageShift = 12
	addrPageWords = 1 << addrPageShift / 64
	addrRecent    = 64
	// maxPooledAddrPages is the largest number of pages kept for the next
	// encode.
	maxPooledAddrPages = 1 << 14
)

func pageNumber(p uintptr) uintptr { return p>>addrPageShift + 1 }

// pageOf returns the recent cache's entry of the page holding p, adding
// the page if it is new. The entry is valid until the next call: it may
// then hold another page.
func (b *addrBits) pageOf(p uintptr) *recentPage {
	page := pageNumber(p)
	r := &b.recent[page%addrRecent]
	if r.page != page {
		pg := b.lookup(page)
		*r = recentPage{page: page, bits: (*[addrPageWords]uint64)(b.words[pg.at:]), pg: pg, indexed: pg.indexed}
	}
	return r
}

// mark adds p to the set.
func (b *addrBits) mark(p uintptr) { b.testAndSet(b.pageOf(p), p) }

// test reports whether p (in the page of r) is in the set.
func (b *addrBits) test(r *recentPage, p uintptr) bool {
	off := p & (1<<addrPageShift - 1)
	return r.bits[off/64]&(1<<(off%64)) != 0
}

// testAndSet adds p (in the page of r) to the set, and reports whether it
// was there.
func (b *addrBits) testAndSet(r *recentPage, p uintptr) bool {
	off := p & (1<<addrPageShift - 1)
	w := &r.bits[off/64]
	m := uint64(1) << (off % 64)
	old := *w
	*w = old | m
	return old&m != 0
}

// lookup returns the page, adding an empty one.
func (b *addrBits) lookup(page uintptr) *addrPage {
	if len(b.dir) > 0 {
		mask := uint64(len(b.dir) - 1)
		for i := pageHash(page) & mask; ; i = (i + 1) & mask {
			d := &b.dir[i]
			if d.page == page {
				return &b.pages[d.at/addrPageWords]
			}
			if d.page == 0 {
				break
			}
		}
	}
	if (b.ndir+1)*2 > len(b.dir) {
		b.growDir()
	}
	at := b.ndir * addrPageWords
	if at+addrPageWords > len(b.words) {
		grown := make([]uint64, max(2*len(b.words), 16*addrPageWords))
		copy(grown, b.words[:at])
		b.words = grown
		b.recent = [addrRecent]recentPage{} // it points into words
	}
	clear(b.words[at : at+addrPageWords])
	if len(b.pages) == cap(b.pages) {
		b.recent = [addrRecent]recentPage{} // it points into pages
	}
	b.pages = append(b.pages, addrPage{page: page, at: int32(at)})
	b.ndir++
	b.insertDir(addrPage{page: page, at: int32(at)})
	return &b.pages[len(b.pages)-1]
}

func pageHash(page uintptr) uint64 { return uint64(page) * 0x9E3779B97F4A7C15 >> 32 }

func (b *addrBits) insertDir(d addrPage) {
	mask := uint64(len(b.dir) - 1)
	i := pageHash(d.page) & mask
	for b.dir[i].page != 0 {
		i = (i + 1) & mask
	}
	b.dir[i] = d
}

func (b *addrBits) growDir() {
	old := b.dir
	b.dir = make([]addrPage, max(2*len(old), 64))
	for _, d := range old {
		if d.page != 0 {
			b.insertDir(d)
		}
	}
}

// reset empties the set.
func (b *addrBits) reset() {
	if b.ndir == 0 {
		return
	}
	if b.ndir > maxPooledAddrPages {
		b.words, b.dir, b.pages = nil, nil, nil
	} else {
		clear(b.dir)
		b.pages = b.pages[:0]
	}
	b.ndir = 0
	b.recent = [addrRecent]recentPage{}
}
