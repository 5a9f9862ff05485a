package pickle

import (
	"runtime"
	"strings"
	"testing"
)

// TestDirectAnyChunksOutliveCollections keeps decoded values, and strs
// taken out of them alone, across collections that reuse freed memory: the
// strs and numbers in the unscanned chunk must stay intact as long as
// anything refers to them.
func TestDirectAnyChunksOutliveCollections(t *testing.T) {
	rec := NewDict()
	names := make([]string, 0, 40)
	for i := range 40 {
		names = append(names, strings.Repeat(string(rune('a'+i%26)), 1+i%20)+"é")
	}
	for i, s := range names {
		if err := rec.Set(s, NewList(s, int64(1000+i), float64(i)+0.5)); err != nil {
			t.Fatal(err)
		}
	}
	data, err := Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := newConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := decodeDirectAny(&cfg, data); !ok {
		t.Fatal("the direct decoder does not take the test's pickle")
	}
	var want any
	if _, err := unmarshalFirst(data, &want, false, nil); err != nil {
		t.Fatal(err)
	}
	var kept []any
	var alone []string
	for i := range 200 {
		var v any
		if err := Unmarshal(data, &v); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			kept = append(kept, v)
		} else {
			for k := range v.(*Dict).Keys() {
				alone = append(alone, k.(string)) // the dict itself is dropped
			}
		}
		if i%20 == 0 {
			runtime.GC()
			garbage := make([][]byte, 0, 1000)
			for range 1000 {
				garbage = append(garbage, []byte(strings.Repeat("x", 100)))
			}
			_ = garbage
		}
	}
	runtime.GC()
	runtime.GC()
	for _, v := range kept {
		if !Equal(v, want) {
			t.Fatalf("a kept value changed: %v", v)
		}
	}
	for i, s := range alone {
		if s != names[i%len(names)] {
			t.Fatalf("str %d is %q, want %q", i, s, names[i%len(names)])
		}
	}
}
