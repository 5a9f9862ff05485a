package pickle

import "unsafe"

// The str memo, indexed lazily.
//
// CPython memoizes every str it writes, and refers back to a str object
// written before with a memo GET. Writing the same bytes from Go means
// telling, for every string, whether a string with the same bytes in
// memory (address and length: Go's notion of the same object) was written
// before, and its memo index if so. An exact table of every string written
// is large (W2 of the benchmarks writes 100,000 strings), and filling it
// cost a cache miss per string: the largest single cost of encoding
// records.
//
// But most strings of a value are written once, and those that repeat
// mostly lie together (constants of the program, interned keys). So the
// memo first only records where each string written starts, in a bitmap
// per page of memory (addrBits): strings are mostly visited in the order
// they were allocated, so the few pages in use stay in cache, and a string
// whose start is not marked is new for certain. The strings themselves are
// kept in a list, in order (fresh). Only when a string starts where an
// earlier one started (a repeat, or a prefix of an earlier string) is its
// page indexed: the strings of fresh in that page go into the exact table
// (strTable), as does every later string of that page, and the lookup is
// made there. After maxIndexedPages pages, repeats are not confined to a
// few places, and the whole list goes into the exact table, which then
// takes every string: the cost of the exact table, but never more than
// twice.

const (
	// maxIndexedPages is the number of pages indexed one by one before
	// every string goes to the exact table.
	maxIndexedPages = 8
	// maxPooledFresh is the largest list of strings kept for the next
	// encode.
	maxPooledFresh = 1 << 18
)

// lazyStrMemo turns the lazy indexing on; tests turn it off to compare
// with the exact table alone.
var lazyStrMemo = true

// lazyStrs is the state of the lazily indexed str memo.
type lazyStrs struct {
	exact   bool       // every string goes to the exact table
	fresh   []freshStr // the strings written in full, in order, until exact
	seen    addrBits   // where they start
	indexed int        // pages indexed
}

// freshStr is a string written in full and its memo index. Holding the
// string keeps its bytes alive, so that their address is not reused by
// another string during the encode.
type freshStr struct {
	s   string
	idx uint32
}

// getOrPutLazy is getOrPut for the str s (its bytes at p, n of them,
// 0 < n < 2**32).
func (t *memoTable) getOrPutLazy(s string, p unsafe.Pointer, n int, idx int) (int, bool) {
	l := &t.lazy
	if l.exact || !lazyStrMemo {
		return t.strs.getOrPut(p, n, idx)
	}
	key := uintptr(p)
	pg := l.seen.pageOf(key)
	if pg.indexed {
		return t.strs.getOrPut(p, n, idx)
	}
	if !l.seen.testAndSet(pg, key) {
		l.fresh = append(l.fresh, freshStr{s, uint32(idx)})
		return idx, false
	}
	t.index(pg)
	return t.strs.getOrPut(p, n, idx)
}

// index puts the strings written so far in the page of pg into the exact
// table, and marks the page indexed; after maxIndexedPages pages, it puts
// every string written so far there and turns the lazy memo off.
func (t *memoTable) index(pg *addrPage) {
	l := &t.lazy
	if l.indexed == maxIndexedPages {
		for _, f := range l.fresh {
			t.strs.getOrPut(unsafe.Pointer(unsafe.StringData(f.s)), len(f.s), int(f.idx))
		}
		l.exact = true
		l.dropFresh()
		return
	}
	for _, f := range l.fresh {
		if pageNumber(uintptr(unsafe.Pointer(unsafe.StringData(f.s)))) == pg.page {
			t.strs.getOrPut(unsafe.Pointer(unsafe.StringData(f.s)), len(f.s), int(f.idx))
		}
	}
	pg.indexed = true
	l.indexed++
}

// reset empties the memo for the next pickle.
func (l *lazyStrs) reset() {
	l.exact = false
	l.indexed = 0
	l.dropFresh()
	l.seen.reset()
}

func (l *lazyStrs) dropFresh() {
	if cap(l.fresh) > maxPooledFresh {
		l.fresh = nil
	} else {
		clear(l.fresh)
		l.fresh = l.fresh[:0]
	}
}

// addrBits is a set of addresses: a bitmap for each page of memory that
// holds one, found through a directory with a cache of recent pages in
// front.
type addrBits struct {
	words  []uint64 // the bitmaps, addrPageWords words each
	dir    []addrPage
	ndir   int
	recent [addrRecent]*addrPage
	pages  []addrPage // the pages, in the order added
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
	addrRecent    = 16
	// maxPooledAddrPages is the largest number of pages kept for the next
	// encode.
	maxPooledAddrPages = 1 << 14
)

func pageNumber(p uintptr) uintptr { return p>>addrPageShift + 1 }

// pageOf returns the page holding p, adding it if it is new. The pointer
// is valid until the next page is added.
func (b *addrBits) pageOf(p uintptr) *addrPage {
	page := pageNumber(p)
	r := &b.recent[page%addrRecent]
	if *r != nil && (*r).page == page {
		return *r
	}
	pg := b.lookup(page)
	*r = pg
	return pg
}

// testAndSet adds p (in page pg) to the set, and reports whether it was
// there.
func (b *addrBits) testAndSet(pg *addrPage, p uintptr) bool {
	off := p & (1<<addrPageShift - 1)
	w := &b.words[int(pg.at)+int(off/64)]
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
	}
	clear(b.words[at : at+addrPageWords])
	if len(b.pages) == cap(b.pages) {
		// The recent cache points into pages: it must not move under it.
		b.recent = [addrRecent]*addrPage{}
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
	b.recent = [addrRecent]*addrPage{}
}
