package pickle

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The direct decoder must give exactly what the general decoder gives, or
// give up. These tests decode the same inputs into the same kinds of
// targets both ways and compare: the values, where the input was refused,
// and what happened to Go values the target held before.

type directRec struct {
	ID     int64             `pickle:"id"`
	Name   string            `pickle:"name"`
	Active bool              `pickle:"active"`
	Score  float64           `pickle:"score"`
	Tags   []string          `pickle:"tags"`
	Counts []int64           `pickle:"counts"`
	Attrs  map[string]string `pickle:"attrs"`
	Sub    *directRec        `pickle:"sub,omitempty"`
	Kids   []directRec       `pickle:"kids,omitempty"`
	U8     uint8             `pickle:"u8,omitempty"`
	I16    int16             `pickle:"i16,omitempty"`
	F32    float32           `pickle:"f32,omitempty"`
	Blob   []byte            `pickle:"blob,omitempty"`
	Grid   map[string][]int  `pickle:"grid,omitempty"`
	ByNum  map[int]string    `pickle:"by_num,omitempty"`
	directEmbedded
}

type directEmbedded struct {
	Note  string   `pickle:"note,omitempty"`
	Ratio *float64 `pickle:"ratio,omitempty"`
}

type directName string
type directInts []int32

// directTarget makes a fresh target for one comparison, and a witness: what
// the target held before, looked at after the decode.
type directTarget struct {
	name string
	make func() (target any, witness func() any)
}

func plainTarget[T any](name string) directTarget {
	return directTarget{name, func() (any, func() any) { return new(T), func() any { return nil } }}
}

func directTargets() []directTarget {
	return []directTarget{
		plainTarget[directRec]("directRec"),
		plainTarget[[]directRec]("[]directRec"),
		plainTarget[*directRec]("*directRec"),
		plainTarget[[]float64]("[]float64"),
		plainTarget[[]int64]("[]int64"),
		plainTarget[[]int]("[]int"),
		plainTarget[[]string]("[]string"),
		plainTarget[[]bool]("[]bool"),
		plainTarget[[][]float64]("[][]float64"),
		plainTarget[[][]int64]("[][]int64"),
		plainTarget[[][][]int]("[][][]int"),
		plainTarget[[]map[string]int]("[]map[string]int"),
		plainTarget[map[string]int64]("map[string]int64"),
		plainTarget[map[string]string]("map[string]string"),
		plainTarget[map[string][]string]("map[string][]string"),
		plainTarget[map[string]*directRec]("map[string]*directRec"),
		plainTarget[map[int]string]("map[int]string"),
		plainTarget[map[int64]float64]("map[int64]float64"),
		plainTarget[[]*int]("[]*int"),
		plainTarget[*[]string]("*[]string"),
		plainTarget[[]byte]("[]byte"),
		plainTarget[string]("string"),
		plainTarget[directName]("directName"),
		plainTarget[directInts]("directInts"),
		plainTarget[int64]("int64"),
		plainTarget[int8]("int8"),
		plainTarget[uint16]("uint16"),
		plainTarget[uint64]("uint64"),
		plainTarget[float32]("float32"),
		plainTarget[float64]("float64"),
		plainTarget[bool]("bool"),
		{"prefilled *directRec", func() (any, func() any) {
			orig := &directRec{Name: "old", Attrs: map[string]string{"keep": "me"}}
			old := orig
			return &old, func() any { return *orig }
		}},
		{"prefilled map[string]string", func() (any, func() any) {
			old := map[string]string{"keep": "me"}
			return &old, func() any { return fmt.Sprint(old) }
		}},
		{"prefilled directRec", func() (any, func() any) {
			sub := &directRec{Name: "sub"}
			attrs := map[string]string{"keep": "me"}
			r := &directRec{Sub: sub, Attrs: attrs, Tags: []string{"x"}}
			return r, func() any { return []any{*sub, fmt.Sprint(attrs)} }
		}},
		{"prefilled *int", func() (any, func() any) {
			x := 7
			p := &x
			return &p, func() any { return x }
		}},
	}
}

// exportAll lets cmp look into unexported embedded structs.
var exportAll = cmp.Options{cmp.Exporter(func(reflect.Type) bool { return true }), cmpopts.EquateNaNs()}

// compareDirect decodes data into a fresh target of tt both ways and fails
// the test on any difference. It reports whether the direct decoder did the
// decode (rather than give up).
func compareDirect(t *testing.T, label string, data []byte, tt directTarget, opts ...Option) bool {
	t.Helper()
	general, generalWitness := tt.make()
	generalRest, generalErr := unmarshalFirst(data, general, false, opts)

	direct, directWitness := tt.make()
	cfg, err := newConfig(opts)
	if err != nil {
		t.Fatal(err)
	}
	target := reflect.ValueOf(direct).Elem()
	dt := directTypeOf(target.Type())
	if dt.fn == nil {
		t.Fatalf("%s: no direct decoder for %s", label, tt.name)
	}
	end, ok := decodeDirect(&cfg, data, dt, target.Addr().UnsafePointer())
	if !ok {
		return false
	}
	if generalErr != nil {
		t.Errorf("%s into %s: the direct decoder accepted what the general one refuses (%v)", label, tt.name, generalErr)
		return true
	}
	if len(data)-end != len(generalRest) {
		t.Errorf("%s into %s: the direct decoder ends at %d, the general one at %d", label, tt.name, end, len(data)-len(generalRest))
	}
	if diff := cmp.Diff(general, direct, exportAll); diff != "" {
		t.Errorf("%s into %s: values differ (-general +direct):\n%s", label, tt.name, diff)
	}
	if diff := cmp.Diff(generalWitness(), directWitness(), exportAll); diff != "" {
		t.Errorf("%s into %s: the target's earlier values were treated differently (-general +direct):\n%s", label, tt.name, diff)
	}
	return true
}

// TestDirectMatchesGeneralOnGoldens runs every CPython-written golden pickle
// into every target type both ways.
func TestDirectMatchesGeneralOnGoldens(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.pkl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	handled := map[string]int{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range directTargets() {
			if compareDirect(t, filepath.Base(f), data, tt) {
				handled[tt.name]++
			}
		}
	}
	total := 0
	for _, n := range handled {
		total += n
	}
	t.Logf("the direct decoder did %d of %d decodes: %v", total, len(files)*len(directTargets()), handled)
	// The goldens hold lists of floats, ints, strs and dicts at protocols
	// 2 to 5: the common targets must have been decoded directly.
	for _, name := range []string{"[]float64", "[]int64", "[]string", "map[string]string", "string", "int64", "float64", "bool"} {
		if handled[name] == 0 {
			t.Errorf("the direct decoder never decoded into %s: the comparison tested nothing there", name)
		}
	}
}

// randomDirectRec builds a record with every field kind, some empty, some
// nested, from r.
func randomDirectRec(r *rand.Rand, depth int) directRec {
	str := func() string {
		const alphabet = "abcxyz éü中€"
		runes := []rune(alphabet)
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteRune(runes[r.IntN(len(runes))])
		}
		return b.String()
	}
	rec := directRec{ID: r.Int64N(1<<40) - 1<<39, Name: str(), Active: r.IntN(2) == 0, Score: r.NormFloat64() * 1e3}
	for range r.IntN(4) {
		rec.Tags = append(rec.Tags, str())
	}
	for range r.IntN(1200) / max(1, r.IntN(40)) {
		rec.Counts = append(rec.Counts, r.Int64N(1<<20)-100)
	}
	if r.IntN(3) > 0 {
		rec.Attrs = map[string]string{}
		for range r.IntN(4) {
			rec.Attrs[str()] = str()
		}
	}
	if depth < 2 && r.IntN(3) == 0 {
		sub := randomDirectRec(r, depth+1)
		rec.Sub = &sub
	}
	if depth < 2 && r.IntN(3) == 0 {
		for range r.IntN(3) {
			rec.Kids = append(rec.Kids, randomDirectRec(r, depth+1))
		}
	}
	rec.U8, rec.I16, rec.F32 = uint8(r.IntN(256)), int16(r.IntN(1<<16)-1<<15), float32(r.NormFloat64())
	if r.IntN(2) == 0 {
		rec.Blob = []byte(str())
	}
	if r.IntN(3) == 0 {
		rec.Grid = map[string][]int{str(): {r.IntN(9)}, str(): {}}
	}
	if r.IntN(3) == 0 {
		rec.ByNum = map[int]string{r.IntN(1000): str()}
	}
	if r.IntN(2) == 0 {
		rec.Note = str()
		f := r.Float64()
		rec.Ratio = &f
	}
	return rec
}

// TestDirectMatchesGeneralOnRecords encodes random records at protocols 2
// to 5 and decodes them both ways, into the records and into the other
// targets (which mostly refuse them).
func TestDirectMatchesGeneralOnRecords(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	handled := 0
	for i := range 60 {
		recs := make([]directRec, r.IntN(5))
		for j := range recs {
			recs[j] = randomDirectRec(r, 0)
		}
		for proto := 2; proto <= HighestProtocol; proto++ {
			data, err := Marshal(recs, Protocol(proto))
			if err != nil {
				t.Fatal(err)
			}
			for _, tt := range directTargets() {
				if compareDirect(t, fmt.Sprintf("records %d p%d", i, proto), data, tt) && tt.name == "[]directRec" && proto >= 3 {
					handled++
				}
			}
		}
	}
	// At protocol 2 bytes are written through _codecs.encode, a global,
	// which is the general decoder's; from protocol 3 every list is plain.
	if handled != 60*(HighestProtocol-2) {
		t.Errorf("the direct decoder decoded %d of %d record lists at protocols 3 to %d: it gave up on plain data", handled, 60*(HighestProtocol-2), HighestProtocol)
	}
}

// TestDirectMatchesGeneralWithOptions checks the options the direct decoder
// reads: limits, unknown fields and name transforms.
func TestDirectMatchesGeneralWithOptions(t *testing.T) {
	type snake struct {
		UserName string
		UserID   int
		Extra    []string
	}
	data, err := Marshal(map[string]any{"user_name": "ann", "user_id": 7, "other": 1.5, "extra": []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	floats, err := Marshal([]float64{1, 2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	nested, err := Marshal([][]int64{{1}, {2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		data []byte
		tt   directTarget
		opts []Option
	}{
		{data, plainTarget[snake]("snake"), []Option{NameTransform(SnakeCase)}},
		{data, plainTarget[snake]("snake"), []Option{NameTransform(SnakeCase), DisallowUnknownFields()}},
		{data, plainTarget[snake]("snake"), nil},
		{floats, plainTarget[[]float64]("[]float64"), []Option{MaxContainerLen(4)}},
		{floats, plainTarget[[]float64]("[]float64"), []Option{MaxContainerLen(3)}},
		{nested, plainTarget[[][]int64]("[][]int64"), []Option{MaxDepth(2)}},
		{nested, plainTarget[[][]int64]("[][]int64"), []Option{MaxDepth(3)}},
		{data, plainTarget[snake]("snake"), []Option{MaxMemo(2)}},
		{data, plainTarget[snake]("snake"), []Option{MaxStringLen(3), NameTransform(SnakeCase)}},
	}
	for i, c := range cases {
		compareDirect(t, fmt.Sprintf("case %d", i), c.data, c.tt, c.opts...)
	}
}

// FuzzDirectMatchesGeneral feeds any input to both decoders.
func FuzzDirectMatchesGeneral(f *testing.F) {
	addPickleSeeds(f)
	for _, v := range []any{
		[]float64{1, 2.5, -3}, []int64{1, 300, 70000, -5, 1 << 40}, []string{"a", "b", "a"},
		map[string]string{"k": "v", "k2": "v2"}, [][]int{{1}, {}, {2, 3}},
		[]directRec{{Name: "x", Tags: []string{"t"}, Attrs: map[string]string{"a": "b"}, Kids: []directRec{{ID: 1}}}},
	} {
		for proto := 2; proto <= HighestProtocol; proto++ {
			data, err := Marshal(v, Protocol(proto))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		defer watchdog()()
		for i, tt := range directTargets() {
			compareDirect(t, "fuzz input", data, tt)
			if i < 8 || tt.name == "[]byte" || tt.name == "string" {
				compareDirect(t, "fuzz input, ZeroCopy", data, tt, ZeroCopy(true))
			}
		}
		compareDirectAny(t, "fuzz input", data)
		compareDirectAny(t, "fuzz input, ZeroCopy", data, ZeroCopy(true))
	})
}

// sameModel reports whether two generic values are identical: the same Go
// types all the way down, dict entries in the same order, floats with the
// same bits.
func sameModel(a, b any) bool {
	if reflect.TypeOf(a) != reflect.TypeOf(b) {
		return false
	}
	switch x := a.(type) {
	case *List:
		y := b.(*List)
		return sameItems(x.Items, y.Items)
	case Tuple:
		return sameItems(x, b.(Tuple))
	case *Dict:
		y := b.(*Dict)
		if x.Len() != y.Len() {
			return false
		}
		var xs, ys []any
		for k, v := range x.All() {
			xs = append(xs, k, v)
		}
		for k, v := range y.All() {
			ys = append(ys, k, v)
		}
		return sameItems(xs, ys)
	case float64:
		return math.Float64bits(x) == math.Float64bits(b.(float64))
	case []byte:
		return string(x) == string(b.([]byte)) && (x == nil) == (b.([]byte) == nil)
	}
	return reflect.DeepEqual(a, b)
}

func sameItems(a, b []any) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for i := range a {
		if !sameModel(a[i], b[i]) {
			return false
		}
	}
	return true
}

// compareDirectAny decodes data into any both ways; it reports whether the
// direct decoder did it.
func compareDirectAny(t *testing.T, label string, data []byte, opts ...Option) bool {
	t.Helper()
	var general any
	generalRest, generalErr := unmarshalFirst(data, &general, false, opts)
	cfg, err := newConfig(opts)
	if err != nil {
		t.Fatal(err)
	}
	direct, end, ok := decodeDirectAny(&cfg, data)
	if !ok {
		return false
	}
	if generalErr != nil {
		t.Errorf("%s into any: the direct decoder accepted what the general one refuses (%v)", label, generalErr)
		return true
	}
	if len(data)-end != len(generalRest) {
		t.Errorf("%s into any: the direct decoder ends at %d, the general one at %d", label, end, len(data)-len(generalRest))
	}
	if !sameModel(general, direct) {
		t.Errorf("%s into any: values differ:\ngeneral %#v\ndirect  %#v", label, general, direct)
	}
	return true
}

// TestDirectAnyMatchesGeneral decodes every golden pickle and random
// records into any both ways.
func TestDirectAnyMatchesGeneral(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.pkl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	handled := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if compareDirectAny(t, filepath.Base(f), data) {
			handled++
		}
	}
	t.Logf("the direct decoder did %d of %d golden pickles", handled, len(files))
	if handled < 300 {
		t.Errorf("the direct decoder did only %d golden pickles: the comparison tests little", handled)
	}
	r := rand.New(rand.NewPCG(3, 5))
	records := 0
	for i := range 40 {
		recs := make([]directRec, 1+r.IntN(4))
		for j := range recs {
			recs[j] = randomDirectRec(r, 0)
		}
		for proto := 3; proto <= HighestProtocol; proto++ {
			data, err := Marshal(recs, Protocol(proto))
			if err != nil {
				t.Fatal(err)
			}
			if compareDirectAny(t, fmt.Sprintf("records %d p%d", i, proto), data) {
				records++
			}
		}
	}
	if records != 40*(HighestProtocol-2) {
		t.Errorf("the direct decoder did %d of %d record lists", records, 40*(HighestProtocol-2))
	}
	for i, opts := range [][]Option{{MaxDepth(2)}, {MaxContainerLen(2)}, {MaxMemo(3)}, {MaxStringLen(2)}} {
		data, err := Marshal([]any{[]any{"abc", int64(1)}, "abc", 2.5, Tuple{int64(1), int64(2), int64(3)}})
		if err != nil {
			t.Fatal(err)
		}
		compareDirectAny(t, fmt.Sprintf("options %d", i), data, opts...)
	}
}

// TestTextValidMatchesGeneral checks the direct decoders' text check
// against the general decoder's (utf8.Valid, then validWTF8) on text with
// and without multi-byte characters, surrogates and invalid bytes at every
// position.
func TestTextValidMatchesGeneral(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pieces := [][]byte{[]byte("a"), []byte("é"), []byte("中"), []byte("😀"), {0xff}, {0xed, 0xa0, 0x80}, {0xed, 0xbf, 0xbf}, {0xc3}, {0xe0, 0x80, 0x80}, {0xf4, 0x90, 0x80, 0x80}}
	for range 5000 {
		var b []byte
		for range r.IntN(40) {
			if r.IntN(4) == 0 {
				b = append(b, pieces[r.IntN(len(pieces))]...)
			} else {
				b = append(b, byte('a'+r.IntN(26)))
			}
		}
		if got, want := textValid(b), utf8.Valid(b) || validWTF8(b); got != want {
			t.Fatalf("textValid(%q) = %v, the general decoder says %v", b, got, want)
		}
	}
}
