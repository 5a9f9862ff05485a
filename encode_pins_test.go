package pickle

import (
	"fmt"
	"runtime"
	"testing"
)

// The memo refers to objects by address, and relies on the encoder's pins
// to keep every object it memoizes alive until the pickle is written (see
// encodeState.pin). The tests here make values during the encode, run the
// garbage collector while writing them, and check that no later object was
// taken for an earlier one that was freed: a new object of the same size
// is usually given the freed one's address, so a missing pin shows as a
// memo GET of the wrong object.

// freshReduction is reduced to pintest.Fresh(text), where text is a new
// string made at every call, after a garbage collection.
type freshReduction struct{ i int }

func (f freshReduction) PickleReduce() (*Object, error) {
	runtime.GC()
	return &Object{Callable: Global{"pintest", "Fresh"}, Args: Tuple{fmt.Sprintf("fresh-%06d", f.i)}}, nil
}

// freshArg returns the argument of the decoded pintest.Fresh call x.
func freshArg(t *testing.T, x any) any {
	t.Helper()
	o, ok := x.(*Object)
	if !ok || len(o.Args) != 1 {
		t.Fatalf("decoded %#v, want a pintest.Fresh call of one argument", x)
	}
	return o.Args[0]
}

// TestPinsKeepReductionsAlive writes reductions made during the encode,
// few (the exact memo tables) and many (the lazy index, past lazyAfter
// entries), and checks every one is written in full.
func TestPinsKeepReductionsAlive(t *testing.T) {
	for _, n := range []int{40, 2 * lazyAfter} {
		for _, proto := range []int{2, 4} {
			t.Run(fmt.Sprintf("%d/protocol-%d", n, proto), func(t *testing.T) {
				in := make([]freshReduction, n)
				for i := range in {
					in[i] = freshReduction{i}
				}
				data, err := Marshal(in, Protocol(proto))
				if err != nil {
					t.Fatal(err)
				}
				var out []any
				if err := Unmarshal(data, &out, KeepUnknown(true)); err != nil {
					t.Fatal(err)
				}
				if len(out) != n {
					t.Fatalf("decoded %d items, want %d", len(out), n)
				}
				for i, x := range out {
					if got, want := freshArg(t, x), fmt.Sprintf("fresh-%06d", i); got != want {
						t.Fatalf("item %d decoded as %q, want %q: an object freed during the encode was taken for a new one", i, got, want)
					}
				}
			})
		}
	}
}

// pinRec is a map value written by address from the copy the encoder makes
// of the map's values; its reduction runs the garbage collector.
type pinRec struct {
	N int
	R freshReduction
}

// TestPinsKeepMapValueCopiesAlive writes many maps whose values the encoder
// copies out to sort and writes by address, collecting garbage between
// them, and checks each value is written in full.
func TestPinsKeepMapValueCopiesAlive(t *testing.T) {
	for _, n := range []int{40, 2 * lazyAfter} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			in := make([]map[string]pinRec, n)
			keyed := make([]map[[1]int]pinRec, n) // through sortedMapEntries
			for i := range in {
				in[i] = map[string]pinRec{"k": {N: i, R: freshReduction{i}}}
				keyed[i] = map[[1]int]pinRec{{i}: {N: i, R: freshReduction{i}}}
			}
			for name, v := range map[string]any{"string keys": in, "array keys": keyed} {
				data, err := Marshal(v, Protocol(4))
				if err != nil {
					t.Fatal(err)
				}
				var out []*Dict
				if err := Unmarshal(data, &out, KeepUnknown(true)); err != nil {
					t.Fatal(err)
				}
				if len(out) != n {
					t.Fatalf("%s: decoded %d maps, want %d", name, len(out), n)
				}
				for i, m := range out {
					if m.Len() != 1 {
						t.Fatalf("%s: map %d has %d entries, want 1", name, i, m.Len())
					}
					for _, val := range m.All() {
						rec, ok := val.(*Dict)
						if !ok {
							t.Fatalf("%s: map %d holds %#v, want a dict", name, i, val)
						}
						if got, _ := rec.Get("N"); got != int64(i) {
							t.Fatalf("%s: map %d holds N=%v, want %d: an object freed during the encode was taken for a new one", name, i, got, i)
						}
					}
				}
			}
		})
	}
}

// freshState is a class instance whose state is a new string made at every
// call, after a garbage collection.
type freshState struct{ I int }

func (f freshState) GetState() (any, error) {
	runtime.GC()
	return fmt.Sprintf("state-%06d", f.I), nil
}

// TestPinsKeepStatesAndPersistentIDsAlive writes GetState's states and
// PersistentID's ids made during the encode, past lazyAfter of them, and
// checks every one is written in full.
func TestPinsKeepStatesAndPersistentIDsAlive(t *testing.T) {
	const n = 2 * lazyAfter
	reg := NewRegistry()
	if err := reg.RegisterClass("pintest", "State", freshState{}); err != nil {
		t.Fatal(err)
	}
	states := make([]freshState, n)
	for i := range states {
		states[i] = freshState{i}
	}
	data, err := Marshal(states, WithRegistry(reg), Protocol(4))
	if err != nil {
		t.Fatal(err)
	}
	var objs []any
	if err := Unmarshal(data, &objs, KeepUnknown(true)); err != nil {
		t.Fatal(err)
	}
	for i, x := range objs {
		o, ok := x.(*Object)
		if !ok || !o.HasState {
			t.Fatalf("item %d decoded as %#v, want an object with a state", i, x)
		}
		if want := fmt.Sprintf("state-%06d", i); o.State != want {
			t.Fatalf("item %d has state %q, want %q: an object freed during the encode was taken for a new one", i, o.State, want)
		}
	}

	ids := make([]int, n)
	for i := range ids {
		ids[i] = i
	}
	persist := PersistentID(func(v any) (any, bool) {
		i, ok := v.(int)
		if !ok {
			return nil, false
		}
		runtime.GC()
		return fmt.Sprintf("id-%06d", i), true
	})
	if data, err = Marshal(ids, persist, Protocol(4)); err != nil {
		t.Fatal(err)
	}
	var got []string
	load := PersistentLoad(func(id any) (any, error) { return id, nil })
	if err := Unmarshal(data, &got, load); err != nil {
		t.Fatal(err)
	}
	for i, id := range got {
		if want := fmt.Sprintf("id-%06d", i); id != want {
			t.Fatalf("persistent id %d decoded as %q, want %q: an object freed during the encode was taken for a new one", i, id, want)
		}
	}
}
