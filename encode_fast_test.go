package pickle

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The fast paths for slices of scalars and maps with string keys must write
// the bytes of the generic path: these tests compare each with the same
// values written item by item from []any (or a *Dict), at every protocol,
// through Marshal and through an Encoder, and a few with CPython.

// fastSliceValues returns typed slices of n items that exercise every
// opcode choice of their item type.
// intEdges are the ints at the edges of the BININT1, BININT2, BININT and
// LONG1 forms.
var intEdges = []int64{0, 1, 0xff, 0x100, 0xfffe, 0xffff, 0x10000, 0x10001, math.MaxInt32 - 1,
	math.MaxInt32, math.MaxInt32 + 1, -1, -0xff, -0x100, -0x10000, math.MinInt32 + 1, math.MinInt32,
	math.MinInt32 - 1, math.MaxInt64, math.MinInt64}

func fastSliceValues(n int) []any {
	floats := make([]float64, n)
	f32 := make([]float32, n)
	ints := make([]int64, n)
	small := make([]int, n)
	i32 := make([]int32, n)
	i8 := make([]int8, n)
	u64 := make([]uint64, n)
	u16 := make([]uint16, n)
	strs := make([]string, n)
	bools := make([]bool, n)
	shared := "shared string"
	for i := range n {
		floats[i] = float64(i)*1.25 - 7
		if i%7 == 3 {
			floats[i] = math.Inf(1)
		}
		f32[i] = float32(i) / 3
		ints[i] = []int64{int64(i), -int64(i), int64(i) << 8, int64(i) << 20, int64(i) << 40, math.MinInt64 + int64(i)}[i%6]
		if i < len(intEdges) {
			ints[i] = intEdges[i]
		}
		small[i] = i % 1000
		i32[i] = int32(i*7919) - 1<<20
		i8[i] = int8(i)
		u64[i] = []uint64{uint64(i), math.MaxUint64 - uint64(i), 1 << 63, uint64(i) << 33}[i%4]
		u16[i] = uint16(i * 31)
		switch i % 5 {
		case 0:
			strs[i] = shared
		case 1:
			strs[i] = ""
		case 2:
			strs[i] = string(rune('a' + i%26))
		default:
			strs[i] = fmt.Sprintf("item %d é", i)
		}
		bools[i] = i%3 == 0
	}
	return []any{floats, f32, ints, small, i32, i8, u64, u16, strs, bools}
}

// asAnySlice copies a typed slice into a []any of the same items.
func asAnySlice(s any) []any {
	v := reflect.ValueOf(s)
	out := make([]any, v.Len())
	for i := range out {
		x := v.Index(i).Interface()
		if f, ok := x.(float32); ok {
			x = float64(f)
		}
		out[i] = x
	}
	return out
}

// encodeStream returns what an Encoder writes for v.
func encodeStream(t *testing.T, v any, p int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := NewEncoder(&buf, Protocol(p)).Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestFastSlicesMatchGenericPath(t *testing.T) {
	// A prefix of varying length puts the frame boundaries at every offset
	// relative to the items.
	for _, n := range []int{1, 2, 999, 1000, 1001, 2500, 20000} {
		for _, s := range fastSliceValues(n) {
			for _, pad := range []int{0, 5} {
				typed := []any{strings.Repeat("p", pad), s, s}
				generic := []any{strings.Repeat("p", pad), asAnySlice(s)}
				generic = append(generic, generic[1])
				for p := 0; p <= HighestProtocol; p++ {
					name := fmt.Sprintf("%T n=%d pad=%d protocol %d", s, n, pad, p)
					got, err := Marshal(typed, Protocol(p))
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					want, err := Marshal(generic, Protocol(p))
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("%s: bytes differ from the generic path\n%s", name, diffPickles(got, want))
					}
					if stream := encodeStream(t, typed, p); !bytes.Equal(stream, want) {
						t.Fatalf("%s: Encoder bytes differ from Marshal\n%s", name, diffPickles(stream, want))
					}
				}
			}
		}
	}
}

func TestFastSlicesMatchCPython(t *testing.T) {
	py := needPython(t)
	cases := []struct {
		val  any
		expr string
	}{
		{make([]float64, 20000), "[0.0] * 20000"},
		{[]float64{1.5}, "[1.5]"},
		{fastRange[int64](30000, -15000), "list(range(-15000, 15000))"},
		{fastRange[int](70000, 0), "list(range(70000))"},
		{fastRange[uint32](1001, 4294966000), "list(range(4294966000, 4294967001))"},
		{[]uint64{math.MaxUint64, 1 << 63, 0}, "[2**64-1, 2**63, 0]"},
		{[]string{"a", "bb", "", "é€"}, "['a', 'bb', '', 'é€']"},
		{[]bool{true, false, true}, "[True, False, True]"},
	}
	var dumps [][2]any
	var got [][]byte
	for _, c := range cases {
		for p := 0; p <= HighestProtocol; p++ {
			b, err := Marshal(c.val, Protocol(p))
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, b)
			dumps = append(dumps, [2]any{c.expr, p})
		}
	}
	want := py.call(t, "dumps", dumps)
	for i, w := range want {
		wb, _ := hex.DecodeString(w)
		if !bytes.Equal(got[i], wb) {
			t.Errorf("%s protocol %d: bytes differ from CPython\n%s", dumps[i][0], dumps[i][1], diffPickles(got[i], wb))
		}
	}
}

// fastRange returns n consecutive integers from start.
func fastRange[T int | int64 | uint32](n int, start T) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = start + T(i)
	}
	return out
}

func TestFastSliceErrorsNameTheItem(t *testing.T) {
	_, err := Marshal([]string{"ok", "bad \xff"})
	if err == nil || !strings.Contains(err.Error(), "[1]") {
		t.Fatalf("got %v, want an error naming [1]", err)
	}
}

type fastNamedMap map[string]int64

// fastMapValues returns maps with string keys of n entries, one per value
// kind with a fast path, and the same entries as a *Dict in key order.
func fastMapValues(n int) (maps []any, dicts []*Dict) {
	ms := map[string]string{}
	mi := map[string]int64{}
	mn := fastNamedMap{}
	mint := map[string]int{}
	mf := map[string]float64{}
	mb := map[string]bool{}
	ma := map[string]any{}
	ml := map[string][]int{}
	mp := map[string]encPoint{}
	keys := make([]string, n)
	for i := range n {
		keys[i] = fmt.Sprintf("k%d", i*7919%10007)
		k := keys[i]
		ms[k] = "v" + k
		mi[k] = int64(i) << (i % 40)
		mn[k] = -int64(i)
		mint[k] = i % 300
		mf[k] = float64(i) / 8
		mb[k] = i%2 == 0
		ma[k] = []any{nil, "x", int64(i), 1.5}[i%4]
		ml[k] = []int{i, i + 1}
		mp[k] = encPoint{i, -i}
	}
	slices.Sort(keys)
	maps = []any{ms, mi, mn, mint, mf, mb, ma, ml, mp}
	for _, m := range maps {
		d := NewDict()
		mv := reflect.ValueOf(m)
		for _, k := range keys {
			val := mv.MapIndex(reflect.ValueOf(k)).Interface()
			if err := d.Set(k, val); err != nil {
				panic(err)
			}
		}
		dicts = append(dicts, d)
	}
	return maps, dicts
}

func TestFastStringMapsMatchGenericPath(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 8, 9, 17, 300, 999, 1000, 1001, 2500} {
		maps, dicts := fastMapValues(n)
		for i, m := range maps {
			for p := 0; p <= HighestProtocol; p++ {
				name := fmt.Sprintf("%T n=%d protocol %d", m, n, p)
				got, err := Marshal([]any{m, m}, Protocol(p))
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				want, err := Marshal([]any{dicts[i], dicts[i]}, Protocol(p))
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if stream := encodeStream(t, []any{m, m}, p); !bytes.Equal(stream, got) {
					t.Fatalf("%s: Encoder bytes differ from Marshal\n%s", name, diffPickles(stream, got))
				}
				if i >= 7 {
					// Slices and structs inside a *Dict are copies held by
					// interfaces: compare with the generic map encoder.
					want = encodeWith(t, newGenericMapEncoder(reflect.TypeOf(m)), m, p)
					got = encodeWith(t, typeEncoder(reflect.TypeOf(m)), m, p)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("%s: bytes differ from the generic path\n%s", name, diffPickles(got, want))
				}
			}
		}
	}
}

func TestFastStringMapErrorsNameTheKey(t *testing.T) {
	_, err := Marshal(map[string]string{"a": "ok", "b": "bad \xff"})
	if err == nil || !strings.Contains(err.Error(), `["b"]`) {
		t.Fatalf("got %v, want an error naming [\"b\"]", err)
	}
	_, err = Marshal(map[string]any{"a": make(chan int)})
	if err == nil || !strings.Contains(err.Error(), `["a"]`) {
		t.Fatalf("got %v, want an error naming [\"a\"]", err)
	}
}

// encodeWith writes a pickle of v with the given encoder for v's type.
func encodeWith(t *testing.T, enc encoderFunc, v any, p int) []byte {
	t.Helper()
	cfg, err := newConfig([]Option{Protocol(p)})
	if err != nil {
		t.Fatal(err)
	}
	e := newEncodeState(&cfg, nil)
	defer e.release()
	if p >= 2 {
		e.buf = append(e.buf, opProto, byte(p))
	}
	e.framing = p >= 4
	if err := enc(e, reflect.ValueOf(v)); err != nil {
		t.Fatal(err)
	}
	e.op(opStop)
	e.commitFrame()
	return append([]byte(nil), e.buf...)
}

// TestSortStrEntries checks the radix order of map entries against a
// comparison sort, on keys with long common prefixes, short keys, keys
// that differ only past their first 8 bytes or by trailing NULs.
func TestSortStrEntries(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	parts := []string{"", "a", "k", "k1", "\x00", "\xff", "prefix__", "prefix_", "é", "z"}
	for _, n := range []int{255, 256, 1000, 5000} {
		e := newEncodeState(&config{}, nil)
		seen := map[string]bool{}
		var entries []strEntry[int]
		for len(entries) < n {
			var k string
			for m := r.IntN(5); m >= 0; m-- {
				k += parts[r.IntN(len(parts))]
			}
			if r.IntN(3) == 0 {
				k += strconv.Itoa(r.IntN(100000))
			}
			if !seen[k] {
				seen[k] = true
				entries = append(entries, strEntry[int]{k, len(entries)})
			}
		}
		for round := range 2 { // the second round reuses the scratch
			orig := slices.Clone(entries)
			want := slices.Clone(entries)
			slices.SortFunc(want, func(a, b strEntry[int]) int { return strings.Compare(a.k, b.k) })
			order := sortStrEntries(e, orig)
			for i := range want {
				if got := orig[order.at(i)].k; got != want[i].k {
					t.Fatalf("n=%d round %d: entry %d is %q, want %q", n, round, i, got, want[i].k)
				}
			}
			e.releaseOrder(order)
		}
		e.release()
	}
}
