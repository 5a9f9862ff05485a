package pickle

import (
	"reflect"
	"testing"
	"time"
)

type isoRecord struct {
	ID    int64
	Name  string
	Tags  []string
	Attrs map[string][]int
	Pair  [2]float64
	Inner struct{ A, B string }
}

type isoWithPointer struct {
	N    int
	Next *isoWithPointer
}

type isoWithAny struct{ X any }

type isoSelf struct{ Kids []isoSelf }

type isoWithTime struct{ At time.Time }

type isoWithState struct{ N int }

func (isoWithState) GetState() (any, error) { return nil, nil }

type isoHolder struct{ S isoWithState }

// TestIsolatedType checks which struct types isolatedType finds isolated:
// only those whose values can refer to nothing else.
func TestIsolatedType(t *testing.T) {
	for _, c := range []struct {
		v    any
		want bool
	}{
		{isoRecord{}, true},
		{isoWithPointer{}, false},
		{isoWithAny{}, false},
		{isoSelf{}, false},
		{isoWithTime{}, false},
		{isoWithState{}, false},
		{isoHolder{}, false},
		{struct{ F func() }{}, false},
		{struct{ C chan int }{}, false},
		{struct{ M map[string]isoRecord }{}, true},
	} {
		if got := isolatedType(reflect.TypeOf(c.v)); got != c.want {
			t.Errorf("isolatedType(%T) = %v, want %v", c.v, got, c.want)
		}
	}
}

// TestIsolatedItemsStillSharedBelowTheTop checks that the items of a []T
// of an isolated T keep their memo keys when the slice is not the value
// being written: a pointer elsewhere in the value may refer to one.
func TestIsolatedItemsStillSharedBelowTheTop(t *testing.T) {
	type holder struct {
		L []isoRecord
		P *isoRecord
	}
	h := holder{L: []isoRecord{{ID: 1}, {ID: 2}, {ID: 3}}}
	h.P = &h.L[1]
	for _, proto := range []int{2, 4} {
		data, err := Marshal(h, Protocol(proto))
		if err != nil {
			t.Fatal(err)
		}
		var out map[any]any
		if err := Unmarshal(data, &out); err != nil {
			t.Fatal(err)
		}
		// Shared objects decode into the model that keeps identity.
		l, _ := out["L"].(*List)
		p, _ := out["P"].(*Dict)
		if l == nil || l.Len() != 3 || p == nil {
			t.Fatalf("protocol %d: decoded %#v", proto, out)
		}
		if item, _ := l.At(1).(*Dict); item != p {
			t.Fatalf("protocol %d: P decoded as a dict of its own, not as L[1]", proto)
		}
	}
}

// TestIsolatedTopItemsMatchKeyedOutput checks that a top []T of an
// isolated T is written with the bytes of the generic path, which keys
// every item.
func TestIsolatedTopItemsMatchKeyedOutput(t *testing.T) {
	recs := make([]isoRecord, 600) // past lazyAfter memo entries
	for i := range recs {
		recs[i] = isoRecord{ID: int64(i), Name: "name", Tags: []string{"a", "bcd"}, Attrs: map[string][]int{"k": {i}}}
		recs[i].Inner.A = "inner"
	}
	for _, proto := range []int{1, 2, 4, 5} {
		fast, err := Marshal(recs, Protocol(proto))
		if err != nil {
			t.Fatal(err)
		}
		genericStructs = true
		slow, err := Marshal(recs, Protocol(proto))
		genericStructs = false
		if err != nil {
			t.Fatal(err)
		}
		if string(fast) != string(slow) {
			t.Fatalf("protocol %d: the top []isoRecord is written differently from the generic path", proto)
		}
	}
}

// memoKeysAfter writes v at protocol 4 and returns how many keys other
// than strs the memo took (in its exact table or the lazy index's list).
func memoKeysAfter(t *testing.T, v any) int {
	t.Helper()
	e := newEncodeState(nil, nil)
	defer e.release()
	if err := e.ownCfg.set([]Option{Protocol(4)}); err != nil {
		t.Fatal(err)
	}
	e.setConfig(&e.ownCfg)
	if err := e.dump(v); err != nil {
		t.Fatal(err)
	}
	return e.memo.n + len(e.memo.lazy.freshKeys)
}

// TestIsolatedTopItemsTakeNoMemoKey checks that the optimization holds:
// the items of a top-level []T of an isolated T take no memo key, while
// the same slice below the top keys every item.
func TestIsolatedTopItemsTakeNoMemoKey(t *testing.T) {
	type flat struct { // names of more than one character: strs, not keys
		Num  int64
		Text string
	}
	xs := make([]flat, 2000)
	for i := range xs {
		xs[i] = flat{int64(i), "abc"}
	}
	if n := memoKeysAfter(t, xs); n > 1 {
		t.Errorf("top []flat of 2000 items: %d memo keys, want 1 (the list)", n)
	}
	if n := memoKeysAfter(t, []any{xs}); n < len(xs) {
		t.Errorf("[]flat below the top: %d memo keys, want one per item at least", n)
	}
}
