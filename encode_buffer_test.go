package pickle

import (
	"bytes"
	"fmt"
	"runtime/debug"
	"testing"
)

// recordBytes is about the size of a record of recordsOfSize pickled at
// protocol 2.
const recordBytes = 130

// recordsOfSize returns n records, each a dict of a 100-byte str and an int,
// so that a pickle of a few MiB has few memo entries (its tables stay
// small enough to be pooled, and allocations count the buffer's growth).
func recordsOfSize(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{
			"name": fmt.Sprintf("%0100d", i),
			"id":   int64(i) * 7919,
		}
	}
	return out
}

// marshalAllocs returns the allocations of one Marshal of v at protocol
// proto after a first one (which fills the pool and the size hint), with
// the garbage collector off so that the pool is not emptied in between.
func marshalAllocs(t *testing.T, v any, proto int) (allocs float64, out []byte) {
	t.Helper()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	allocs = testing.AllocsPerRun(3, func() {
		var err error
		if out, err = Marshal(v, Protocol(proto)); err != nil {
			t.Fatal(err)
		}
	})
	return allocs, out
}

// TestMarshalBufferGrowsInFewSteps checks that a pickle of a few MiB,
// written by Marshal through many small objects, does not reallocate its
// buffer at every quarter of growth: below maxPooledBuf the buffer grows
// to a size the pool keeps, so the next Marshal allocates only its output;
// above, the next Marshal grows at once to the size of the last one. The
// pickle is the same as a fresh state (no pooled buffer, no hint) writes.
func TestMarshalBufferGrowsInFewSteps(t *testing.T) {
	if raceEnabled {
		t.Skip("under the race detector sync.Pool drops some of what is put back, so the pooled buffer's allocations cannot be counted; it runs without -race")
	}
	for _, tc := range []struct {
		name      string
		records   int
		maxAllocs float64
	}{
		// About 3.7 MiB: the pooled buffer is reused; the output is copied.
		{"pooled", 37 << 20 / 10 / recordBytes, 2},
		// About 8 MiB: the buffer is handed over; the next one is grown to
		// the hint in a few steps (64 KiB, 16 times that, the hint).
		{"hinted", 8 << 20 / recordBytes, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := recordsOfSize(tc.records)
			allocs, out := marshalAllocs(t, v, 2)
			if tc.name == "pooled" && len(out) > maxPooledBuf || tc.name == "hinted" && len(out) <= maxPooledBuf {
				t.Fatalf("the pickle is %d bytes, not the size the case needs", len(out))
			}
			if allocs > tc.maxAllocs {
				t.Errorf("Marshal of %d bytes made %.0f allocations, want at most %.0f", len(out), allocs, tc.maxAllocs)
			}
			// The same bytes as a buffer that grows from nothing.
			fresh := new(encodeState)
			fresh.begin(nil, nil)
			again, err := fresh.marshal(v, []Option{Protocol(2)})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, out) {
				t.Fatalf("pickles differ at byte %d", firstDiff(again, out))
			}
		})
	}
}

// TestMarshalSmallAfterLargeDoesNotTakeItsSize checks that the size hint a
// large pickle leaves does not make a small pickle after it, on the same
// pooled state, allocate the large size, nor hand over a mostly empty
// buffer.
func TestMarshalSmallAfterLargeDoesNotTakeItsSize(t *testing.T) {
	large := recordsOfSize(8 << 20 / recordBytes)
	small := recordsOfSize(1000) // about 130 KiB: past the first growth step
	e := new(encodeState)
	e.begin(nil, nil)
	if _, err := e.marshal(large, []Option{Protocol(2)}); err != nil {
		t.Fatal(err)
	}
	e.end()
	if e.sizeHint <= maxPooledBuf {
		t.Fatalf("no size hint after a pickle of more than %d bytes (hint %d)", maxPooledBuf, e.sizeHint)
	}
	e.begin(nil, nil)
	out, err := e.marshal(small, []Option{Protocol(2)})
	if err != nil {
		t.Fatal(err)
	}
	if cap(out) > 2*len(out) {
		t.Errorf("a pickle of %d bytes came in a buffer of %d", len(out), cap(out))
	}
	if cap(e.buf) > 16*len(out) {
		t.Errorf("a pickle of %d bytes grew the buffer to %d", len(out), cap(e.buf))
	}
	if e.sizeHint != 0 {
		t.Errorf("size hint %d left after a small pickle", e.sizeHint)
	}
	e.end()
}
