package pickle

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

// encodeWithMemoState encodes v at protocol proto and returns the pickle
// and what the lazy str memo did: the pages it indexed and whether it
// went over to the exact table.
func encodeWithMemoState(t *testing.T, v any, proto int) (out []byte, indexed int, exact bool) {
	t.Helper()
	e := newEncodeState(nil, nil)
	defer e.release()
	if err := e.ownCfg.set([]Option{Protocol(proto)}); err != nil {
		t.Fatal(err)
	}
	e.setConfig(&e.ownCfg)
	if err := e.dump(v); err != nil {
		t.Fatalf("encode: %v", err)
	}
	return bytes.Clone(e.buf), e.memo.lazy.indexed, e.memo.lazy.exact
}

// encodeExactStrs encodes v with the exact str table alone.
func encodeExactStrs(t *testing.T, v any, proto int) []byte {
	t.Helper()
	lazyMemoIndex = false
	defer func() { lazyMemoIndex = true }()
	out, err := Marshal(v, Protocol(proto))
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return out
}

// manyStrings returns n distinct strings, each allocated on its own.
func manyStrings(r *rand.Rand, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("s%d-%x", i, r.Uint32())
	}
	return out
}

// TestLazyMemoMatchesExact checks that the lazily indexed memo writes the
// same bytes as the exact tables on values made to take each of its paths:
// no repeats; near and far repeats in one page; prefixes (the same
// address, another length); repeats over more pages than it indexes one by
// one; shared and cyclic containers; a struct and its first field (the
// same address, another type).
func TestLazyMemoMatchesExact(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	distinct := manyStrings(r, 50_000)

	// One page of constants, repeated near and far.
	consts := []string{"alpha", "beta", "gamma"}
	nearFar := append([]string(nil), distinct[:20_000]...)
	for i := 0; i < len(nearFar); i += 97 {
		nearFar[i] = consts[i%3]
	}
	farRepeat := append(append([]string(nil), distinct[:30_000]...), distinct[5], distinct[29_999], distinct[12_345])

	// Prefixes and other substrings of one string: the same address with
	// other lengths, and repeats of them.
	base := strings.Repeat("abcdefgh", 2000)
	var subs []string
	for i := 0; i < 3000; i++ {
		start := r.IntN(64)
		subs = append(subs, base[start:start+1+r.IntN(40)])
	}

	// Strings of 5 KiB, so that each lies in pages of its own, repeated:
	// more pages with repeats than are indexed one by one.
	var big []string
	for i := 0; i < 3*maxIndexedPages; i++ {
		big = append(big, strings.Repeat(string(rune('a'+i%26)), 5000)+fmt.Sprint(i))
	}
	spread := append(append(append([]string(nil), big...), distinct[:1000]...), big...)

	// Many strings of 5 KiB: keys spread thin over pages, for which the
	// bitmaps would take more memory than the keys.
	var sparse []string
	for i := 0; i < 400; i++ {
		sparse = append(sparse, strings.Repeat("x", 5000)+fmt.Sprint(i))
	}
	sparse = append(sparse, sparse[0], sparse[399])

	// Short strs, each at the start of a large block of its own, after a
	// thousand that fill few pages (which turn the lazy index on): the few
	// keys of each new page make it give up, as writeString's quick path
	// (which large strs do not take) sees when it adds the page.
	var sparseShort []string
	for i := range 1000 {
		sparseShort = append(sparseShort, fmt.Sprintf("dense-%06d", i))
	}
	for i := range 3000 {
		sparseShort = append(sparseShort, (fmt.Sprintf("%06d", i) + strings.Repeat("y", 5000))[:10])
	}

	// Random draws from a pool, with repeats at every distance, in the
	// shapes the encoder has fast paths for.
	pool := append(append([]string(nil), distinct[:500]...), subs[:100]...)
	draw := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = pool[r.IntN(len(pool))]
		}
		return out
	}
	type rec struct {
		Name  string            `pickle:"name"`
		Tags  []string          `pickle:"tags"`
		Attrs map[string]string `pickle:"attrs"`
		Any   []any             `pickle:"any"`
	}
	var recs []rec
	for i := 0; i < 2000; i++ {
		recs = append(recs, rec{
			Name:  pool[r.IntN(len(pool))],
			Tags:  draw(3),
			Attrs: map[string]string{consts[0]: pool[r.IntN(len(pool))], distinct[i]: consts[1]},
			Any:   []any{pool[r.IntN(len(pool))], int64(i), draw(2)},
		})
	}

	// Containers: slices and maps shared near and far, a cycle through a
	// pointer and one through an interface, and structs whose first field
	// is itself a struct (the same address for both).
	type node struct {
		Name string `pickle:"name"`
		Next *node  `pickle:"next"`
	}
	ring := &node{Name: "a"}
	ring.Next = &node{Name: "b", Next: &node{Name: "c", Next: ring}}
	self := []any{int64(1), nil}
	self[1] = self
	sharedList := []int64{1, 2, 3}
	sharedMap := map[string]string{"k": "v"}
	var containers []any
	for i := 0; i < 3000; i++ {
		switch i % 500 {
		case 0:
			containers = append(containers, sharedList, sharedMap)
		case 7:
			containers = append(containers, ring, self)
		default:
			containers = append(containers, []int64{int64(i)}, map[string]string{distinct[i]: "x"})
		}
	}
	type inner struct {
		X string `pickle:"x"`
	}
	type outer struct {
		In inner  `pickle:"in"`
		Y  string `pickle:"y"`
	}
	outers := make([]*outer, 100)
	for i := range outers {
		outers[i] = &outer{In: inner{X: distinct[i]}, Y: distinct[i+1]}
	}
	nested := []any{outers, outers[3], &outers[5].In, outers}

	cases := []struct {
		name        string
		v           any
		wantIndexed bool // at least one page indexed
		wantExact   int  // went over to the exact table: 0 no, 1 yes, -1 either (it depends on where the pool lies)
	}{
		{"distinct", distinct, false, 0},
		{"near and far repeats", nearFar, true, 0},
		{"far repeat", farRepeat, true, 0},
		{"substrings", subs, true, 0},
		{"repeats over many pages", spread, true, 1},
		{"sparse large strings", sparse, true, 1},
		{"sparse short strings", sparseShort, true, 1},
		{"random records", recs, true, -1},
		{"shared and cyclic containers", containers, true, -1},
		{"structs and first fields", nested, true, -1},
	}
	for _, c := range cases {
		for _, proto := range []int{0, 1, 2, 3, 4, 5} {
			got, indexed, exact := encodeWithMemoState(t, c.v, proto)
			want := encodeExactStrs(t, c.v, proto)
			if !bytes.Equal(got, want) {
				t.Errorf("%s, protocol %d: lazy memo wrote %d bytes, exact table %d, first difference at %d",
					c.name, proto, len(got), len(want), firstDiff(got, want))
			}
			var stream bytes.Buffer
			if err := NewEncoder(&stream, Protocol(proto)).Encode(c.v); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(stream.Bytes(), want) {
				t.Errorf("%s, protocol %d: Encoder wrote %d bytes, Marshal with the exact table %d, first difference at %d",
					c.name, proto, stream.Len(), len(want), firstDiff(stream.Bytes(), want))
			}
			if (indexed > 0 || exact) != c.wantIndexed || (c.wantExact >= 0 && exact != (c.wantExact == 1)) {
				t.Errorf("%s, protocol %d: indexed %d pages, exact %v; the case is meant to index: %v, go exact: %d",
					c.name, proto, indexed, exact, c.wantIndexed, c.wantExact)
			}
		}
	}
}

// TestLazyStrMemoRepeatsAreReferences checks the memo's result itself:
// a repeated string is written once and fetched after, at every distance.
func TestLazyStrMemoRepeatsAreReferences(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	distinct := manyStrings(r, 10_000)
	v := append(append([]string(nil), distinct...), distinct[0], distinct[9_999], distinct[0])
	out, err := Marshal(v, Protocol(4))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(out, []byte(distinct[0])); n != 1 {
		t.Errorf("%q written %d times, want once", distinct[0], n)
	}
	var back any
	if err := Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	list, ok := back.(*List)
	if !ok || len(list.Items) != len(v) {
		t.Fatalf("decoded %T", back)
	}
	for i, s := range v {
		if got := list.Items[i]; got != s {
			t.Fatalf("item %d: %v, want %q", i, got, s)
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// FuzzLazyMemoMatchesExact builds a list of strings and containers from
// the input, sharing them at every distance (and substrings of one string
// at the same address with other lengths), and checks that the lazy index
// writes the bytes the exact tables write.
func FuzzLazyMemoMatchesExact(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 0, 1, 200, 7, 9, 0, 255, 3})
	f.Add(bytes.Repeat([]byte{5, 80, 17, 250}, 200))
	base := strings.Repeat("abcdefghijklmnopqrstuvwxyz", 400)
	f.Fuzz(func(t *testing.T, in []byte) {
		var pool []any
		var list []any
		for i := 0; i+1 < len(in); i += 2 {
			op, arg := in[i], int(in[i+1])
			switch op % 6 {
			case 0: // a new string
				pool = append(pool, fmt.Sprintf("n%d-%d", i, arg))
			case 1: // a substring of base: same start, other length, or not
				pool = append(pool, base[arg%64:arg%64+1+arg%13])
			case 2: // a new list of earlier objects
				l := []any{}
				for j := 0; j < arg%4 && len(pool) > 0; j++ {
					l = append(l, pool[(arg+j)%len(pool)])
				}
				pool = append(pool, l)
			case 3: // a new map
				pool = append(pool, map[string]string{fmt.Sprint(arg): base[:arg%7+1]})
			case 4: // many new strings, to spread the objects over pages
				for j := 0; j < arg && len(list) < 20_000; j++ {
					list = append(list, fmt.Sprintf("bulk%d-%d", i, j))
				}
			}
			if len(pool) > 0 {
				list = append(list, pool[arg%len(pool)]) // a repeat at any distance
			}
		}
		for _, proto := range []int{1, 4} {
			got, _, _ := encodeWithMemoState(t, list, proto)
			want := encodeExactStrs(t, list, proto)
			if !bytes.Equal(got, want) {
				t.Fatalf("protocol %d: lazy memo wrote %d bytes, exact table %d, first difference at %d",
					proto, len(got), len(want), firstDiff(got, want))
			}
		}
	})
}

// TestLargeMemoTablesAreNotClearedForSmallPickles checks that tables a
// large pickle grew are dropped, not cleared, after a small pickle written
// with them (which would otherwise clear megabytes at every reset), and
// kept after a pickle that filled them.
func TestLargeMemoTablesAreNotClearedForSmallPickles(t *testing.T) {
	backing := make([]byte, 200000)
	cfg, err := newConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	e := newEncodeState(&cfg, nil)
	defer e.release()
	fill := func(n int) {
		for i := range n {
			e.memo.strs.getOrPut(uintptr(unsafe.Pointer(&backing[i])), 3, i)
			e.memo.exactSet(memoKey{p: unsafe.Pointer(&backing[i]), kind: memoPtr}, i, false)
		}
	}
	fill(100000)
	big, bigStrs := len(e.memo.slots), len(e.memo.strs.slots)
	if big < 100000 || bigStrs < 100000 {
		t.Fatalf("tables of %d and %d slots for 100,000 entries", big, bigStrs)
	}
	e.memo.reset() // a pickle that filled them: kept
	if len(e.memo.slots) != big || len(e.memo.strs.slots) != bigStrs {
		t.Fatalf("tables dropped after a pickle that filled them: %d, %d slots", len(e.memo.slots), len(e.memo.strs.slots))
	}
	fill(20) // a small pickle
	e.memo.reset()
	if len(e.memo.slots) != 0 || len(e.memo.strs.slots) != 0 {
		t.Fatalf("tables of %d and %d slots kept after a pickle of 20 entries", len(e.memo.slots), len(e.memo.strs.slots))
	}
	fill(20) // and they work again from small
	if idx, found := e.memo.strs.getOrPut(uintptr(unsafe.Pointer(&backing[7])), 3, 99); !found || idx != 7 {
		t.Fatalf("after the drop: index %d, found %v; want 7, true", idx, found)
	}
	runtime.KeepAlive(backing)
}

// TestLazyStrFastPathTexts runs the strs of every length up to past
// maxWordText, ASCII, other text and not text, through writeString's fast
// path (the lazy index on, after the first lazyAfter strs) at protocols 1
// to 4 and checks each against the exact table alone: the same bytes, or
// the same error.
func TestLazyStrFastPathTexts(t *testing.T) {
	pieces := []string{"a", "Z", "é", "ü", "中", "€", "\U0001F600", "\xed\xa0\x80", "\xff", "\xc3", "\xe4\xb8", "\x80"}
	r := rand.New(rand.NewPCG(7, 8))
	for proto := 1; proto <= 4; proto++ {
		for length := 3; length <= maxWordText+3; length++ {
			for trial := range 20 {
				var b strings.Builder
				for b.Len() < length {
					b.WriteString(pieces[r.IntN(len(pieces))])
				}
				odd := b.String()[:length]
				// Fresh copies, so that each is a new object, after enough
				// others to turn the lazy index on.
				v := manyStrings(r, lazyAfter+10)
				v = append(v, strings.Clone(odd), strings.Clone(odd))
				got, gotErr := Marshal(v, Protocol(proto))
				want, wantErr := func() ([]byte, error) {
					lazyMemoIndex = false
					defer func() { lazyMemoIndex = true }()
					return Marshal(v, Protocol(proto))
				}()
				if (gotErr != nil) != (wantErr != nil) {
					t.Fatalf("protocol %d, length %d, trial %d, %q: error %v, exact table's %v", proto, length, trial, odd, gotErr, wantErr)
				}
				if gotErr == nil && !bytes.Equal(got, want) {
					t.Fatalf("protocol %d, length %d, trial %d, %q: pickles differ at byte %d", proto, length, trial, odd, firstDiff(got, want))
				}
			}
		}
	}
}

// TestMemoForgetsThePreviousPickle writes pickles one after another with
// the pooled encoder, each sharing objects with the one before at other
// places, and checks each against a new encoder's: no memo entry may be
// left from the pickle before (reset clears the slots it wrote, or the
// whole table when they were many or moved).
func TestMemoForgetsThePreviousPickle(t *testing.T) {
	str, list, dict := "shared str", []int64{1, 2}, map[string]string{"key": "value"}
	filler := func(n int) []any {
		out := make([]any, 0, 3*n)
		for i := range n {
			out = append(out, fmt.Sprintf("str %d", i), []int64{int64(i)}, map[string]string{"k": "v"})
		}
		return out
	}
	fresh := func(v any, proto int) []byte {
		e := new(encodeState)
		e.begin(nil, nil)
		out, err := e.marshal(v, []Option{Protocol(proto)})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// Fillers of 5 objects (a few slots), 60 (past the first growth of
	// the table of lists and dicts), 300 and 1200 (the lazy index).
	for _, n := range []int{2, 20, 100, 400} {
		for _, proto := range []int{1, 4} {
			before := append([]any{list, dict, str}, filler(n)...)
			// The shared objects again, at other places, then once more
			// after the filler (by then their first entries have left the
			// table's batch for its slots).
			after := append(append([]any{str, dict, list}, filler(n/2+20)...), list, dict, str)
			if _, err := Marshal(before, Protocol(proto)); err != nil {
				t.Fatal(err)
			}
			got, err := Marshal(after, Protocol(proto))
			if err != nil {
				t.Fatal(err)
			}
			if want := fresh(after, proto); !bytes.Equal(got, want) {
				t.Fatalf("filler %d, protocol %d: the pickle after another differs from a new encoder's\n%s", n, proto, diffPickles(got, want))
			}
		}
	}
}

// TestMemoTablesForgetOnReset drives the memo tables alone through many
// pickles of random lookups, with keys repeating across pickles, and
// checks every answer against a map emptied at each reset: an entry left
// by reset (a slot it did not clear) is found where the map has none, or
// with an older index.
func TestMemoTablesForgetOnReset(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	arena := make([]byte, 64*600)
	keys := make([]memoKey, 600)
	for i := range keys {
		keys[i] = memoKey{p: unsafe.Pointer(&arena[64*i]), n: i % 5, kind: memoSlice}
	}
	var tab memoTable
	// Small pickles first, many of them: their entries mostly stay in the
	// table's batch, and reset clears the few slots written (after a false
	// positive of the filter); then sizes that flush, grow and go lazy.
	for round := range 6000 {
		size := 1 + r.IntN(30)
		if round >= 5000 {
			size = 1 + r.IntN([]int{20, 70, 200, 900}[round%4])
		}
		ref := map[int]int{}
		for op := range size {
			i := r.IntN(min(len(keys), 2*size))
			next := len(ref)
			var got int
			var found bool
			if op%2 == 0 {
				got, found = tab.getOrPut(keys[i], next)
			} else {
				got, found = tab.strs.getOrPut(uintptr(keys[i].p), 1+keys[i].n, next)
				i += len(keys) // strs are another space of keys
			}
			want, wantFound := ref[i]
			if !wantFound {
				want = next
				ref[i] = next
			}
			if found != wantFound || got != want {
				t.Fatalf("round %d, op %d: got (%d, %v), want (%d, %v)", round, op, got, found, want, wantFound)
			}
		}
		tab.reset()
	}
}
