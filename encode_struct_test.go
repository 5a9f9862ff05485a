package pickle

import (
	"bytes"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// The types of TestFastStructsMatchGenericPath: every tag option, embedded
// structs (by value, by pointer, unexported), pointers, unexported fields.

type fsInner struct {
	A int64
	B string `pickle:"b,omitempty"`
	c int
}

type fsZeroer struct{ X int }

func (z fsZeroer) IsZero() bool { return z.X == 7 }

type fsNamed int64

type fsEmbedded struct {
	E1 int
	E2 []string `pickle:",omitempty"`
}

type fsEmbeddedPtr struct {
	P1 string
	P2 float64 `pickle:",omitzero"`
}

type fsHidden struct {
	U1 int64
	U2 map[string]string `pickle:"u2,omitempty"`
}

type fsAll struct {
	fsEmbedded
	*fsEmbeddedPtr
	fsHidden
	I64    int64             `pickle:"i64"`
	I      int               `pickle:"i,omitempty"`
	B      bool              `pickle:"b,omitzero"`
	B2     bool              `pickle:",omitempty"`
	F      float64           `pickle:"f,omitempty"`
	F2     float64           `pickle:"f2,omitzero"`
	S      string            //
	S2     string            `pickle:",omitempty"`
	S3     string            `pickle:",omitzero"`
	SS     []string          `pickle:"ss,omitempty"`
	SS2    []string          `pickle:"ss2,omitzero"`
	SS3    []string          `pickle:"ss3,tuple"`
	SS4    []string          //
	IS     []int64           //
	IS2    []int64           `pickle:"is2,omitzero"`
	IS3    []int64           `pickle:"is3,set"`
	IS4    []int64           `pickle:",omitempty"`
	M      map[string]string //
	M2     map[string]string `pickle:"m2,omitempty"`
	M3     map[string]string `pickle:"m3,omitzero"`
	Skip   int               `pickle:"-"`
	hidden string
	Ptr    *fsAll
	In     fsInner
	InP    *fsInner `pickle:",omitempty"`
	Z      fsZeroer `pickle:",omitzero"`
	Any    any
	Bytes  []byte `pickle:",bytearray"`
	Arr    [3]int64
	BArr   [2]byte
	U8     uint8
	F32    float32
	Named  fsNamed
	Key    string `pickle:"the_key"`
}

type fsSmall struct {
	N int64  `pickle:",omitempty"`
	T string `pickle:",omitempty"`
}

type fsLists struct {
	N  int64
	L  []string          `pickle:",omitempty"`
	IS []int64           //
	M  map[string]string `pickle:"m,omitzero"`
}

// fsPlain has only fields of the kinds writeFields writes itself, with no
// tag that can leave one out: a []fsPlain takes writeFieldsCached once its
// names are in the memo.
type fsPlain struct {
	I64 int64 `pickle:"i64"`
	I   int
	B   bool
	F   float64
	S   string
	SS  []string
	IS  []int64
	M   map[string]string
}

// fsPlains makes plain records of the fields of xs, sharing their strs,
// slices and maps.
func fsPlains(xs []fsAll) []fsPlain {
	out := make([]fsPlain, len(xs))
	for i, x := range xs {
		out[i] = fsPlain{I64: x.I64 * 1000003, I: x.I, B: x.B, F: x.F, S: x.S, SS: x.SS, IS: x.IS, M: x.M}
	}
	return out
}

type fsInline struct {
	A    int64
	Rest map[string]any `pickle:",inline"`
}

type fsOne struct{ P *fsOne }

func fsString(r *rand.Rand, names []string) string {
	switch r.Intn(6) {
	case 0:
		return ""
	case 1:
		return names[r.Intn(len(names))] // equal to a field name, another object
	case 2:
		return string(rune('a' + r.Intn(26)))
	case 3:
		return "é"
	}
	var b strings.Builder
	for n := r.Intn(12); n >= 0; n-- {
		b.WriteRune([]rune("abcxyzé€中")[r.Intn(9)])
	}
	return b.String()
}

func fsStrings(r *rand.Rand, names []string) []string {
	switch r.Intn(4) {
	case 0:
		return nil
	case 1:
		return []string{}
	}
	out := make([]string, r.Intn(5)+1)
	for i := range out {
		out[i] = fsString(r, names)
	}
	return out
}

func fsInts(r *rand.Rand) []int64 {
	switch r.Intn(4) {
	case 0:
		return nil
	case 1:
		return []int64{}
	}
	out := make([]int64, r.Intn(5)+1)
	for i := range out {
		out[i] = r.Int63n(1<<40) - 1<<39
	}
	return out
}

func fsMap(r *rand.Rand, names []string) map[string]string {
	switch r.Intn(4) {
	case 0:
		return nil
	case 1:
		return map[string]string{}
	}
	m := map[string]string{}
	// Mostly few entries, as records have; sometimes more than
	// maxSmallStrMap.
	n := r.Intn(4)
	if r.Intn(4) == 0 {
		n = r.Intn(2 * maxSmallStrMap)
	}
	for ; n >= 0; n-- {
		m[fsString(r, names)] = fsString(r, names)
	}
	return m
}

func fsFloat(r *rand.Rand) float64 {
	return []float64{0, math.Copysign(0, -1), 1.5, -2.25, math.Inf(1), r.Float64()}[r.Intn(6)]
}

// fsRecords returns n random fsAll values, some sharing their strings,
// slices and maps, some pointing at each other (cycles included).
func fsRecords(r *rand.Rand, n int) []fsAll {
	names := []string{"i64", "b", "S", "ss", "the_key", "E1", "P1", "u2"}
	xs := make([]fsAll, n)
	for i := range xs {
		x := &xs[i]
		x.E1 = r.Intn(3)
		x.E2 = fsStrings(r, names)
		if r.Intn(2) == 0 {
			x.fsEmbeddedPtr = &fsEmbeddedPtr{P1: fsString(r, names), P2: fsFloat(r)}
		}
		x.U1 = r.Int63()
		x.U2 = fsMap(r, names)
		x.I64 = int64(r.Intn(600)) - 300
		x.I = r.Intn(3) - 1
		x.B, x.B2 = r.Intn(2) == 0, r.Intn(2) == 0
		x.F, x.F2 = fsFloat(r), fsFloat(r)
		x.S, x.S2, x.S3 = fsString(r, names), fsString(r, names), fsString(r, names)
		x.SS, x.SS2, x.SS3, x.SS4 = fsStrings(r, names), fsStrings(r, names), fsStrings(r, names), fsStrings(r, names)
		x.IS, x.IS2, x.IS3, x.IS4 = fsInts(r), fsInts(r), fsInts(r), fsInts(r)
		x.M, x.M2, x.M3 = fsMap(r, names), fsMap(r, names), fsMap(r, names)
		x.Skip = r.Int()
		x.hidden = "hidden"
		x.In = fsInner{A: r.Int63n(5), B: fsString(r, names), c: 1}
		if r.Intn(2) == 0 {
			x.InP = &fsInner{A: 1, B: fsString(r, names)}
		}
		x.Z = fsZeroer{X: []int{0, 7, 3}[r.Intn(3)]}
		x.Bytes = []byte(fsString(r, names))
		x.Arr = [3]int64{r.Int63n(4), 0, -1}
		x.BArr = [2]byte{byte(r.Intn(256)), 0}
		x.U8 = uint8(r.Intn(256))
		x.F32 = float32(fsFloat(r))
		x.Named = fsNamed(r.Intn(3))
		x.Key = fsString(r, names)
		// Sharing.
		if i > 0 && r.Intn(3) == 0 {
			y := &xs[r.Intn(i)]
			switch r.Intn(6) {
			case 0:
				x.S = y.S
			case 1:
				x.SS = y.SS4
			case 2:
				x.M2 = y.M
			case 3:
				x.IS = y.IS
			case 4:
				x.S2 = y.Key
			case 5:
				x.U2 = y.M3
			}
		}
		if r.Intn(4) == 0 {
			x.SS2 = x.SS
		}
	}
	for i := range xs {
		switch r.Intn(5) {
		case 0:
			xs[i].Ptr = &xs[i] // a cycle
		case 1:
			xs[i].Ptr = &xs[r.Intn(n)]
		}
		switch r.Intn(5) {
		case 0:
			xs[i].Any = &xs[r.Intn(n)]
		case 1:
			xs[i].Any = xs[r.Intn(n)].In // a struct in an interface: not addressable
		case 2:
			xs[i].Any = fsSmall{N: r.Int63n(2), T: fsString(r, names)}
		case 3:
			xs[i].Any = map[string]fsSmall{"k": {N: 1}, "j": {}}
		}
	}
	return xs
}

func snakeUpper(s string) string { return "x_" + strings.ToLower(s) }

// bigStruct returns a struct type of n int64 fields (omitempty on every
// other one) and a value of it with random fields.
func bigStruct(r *rand.Rand, n int) any {
	fields := make([]reflect.StructField, n)
	for i := range fields {
		tag := ""
		if i%2 == 1 {
			tag = `pickle:",omitempty"`
		}
		fields[i] = reflect.StructField{Name: fmt.Sprintf("F%d", i), Type: reflect.TypeFor[int64](), Tag: reflect.StructTag(tag)}
	}
	v := reflect.New(reflect.StructOf(fields)).Elem()
	for i := range n {
		if r.Intn(4) != 0 {
			v.Field(i).SetInt(r.Int63n(10))
		}
	}
	return v.Addr().Interface()
}

// marshalBoth returns what Marshal writes for v by the fast struct path
// and by the generic one.
func marshalBoth(v any, opts ...Option) (fast, generic []byte, fastErr, genericErr error) {
	fast, fastErr = Marshal(v, opts...)
	genericStructs = true
	defer func() { genericStructs = false }()
	generic, genericErr = Marshal(v, opts...)
	return
}

func TestFastStructsMatchGenericPath(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	reg := NewRegistry()
	if err := reg.RegisterClass("m", "Small", fsSmall{}); err != nil {
		t.Fatal(err)
	}
	if err := reg.RegisterClass("m", "Inner", &fsInner{}); err != nil {
		t.Fatal(err)
	}
	persist := PersistentID(func(v any) (any, bool) {
		if s, ok := v.(string); ok && s == "é" {
			return "pid", true
		}
		return nil, false
	})
	optionSets := map[string][]Option{
		"plain":     nil,
		"transform": {NameTransform(snakeUpper)},
		"registry":  {WithRegistry(reg)},
		"persist":   {persist},
	}
	for round := range 40 {
		xs := fsRecords(r, 1+r.Intn(30))
		values := []any{xs, &xs[0], xs[0], []any{xs[0], &xs[0], xs[len(xs)-1]},
			map[string]fsAll{"a": xs[0], "b": xs[len(xs)-1]},
			fsInline{A: 1, Rest: map[string]any{"A": 2, "z": "y"}},
			[]fsSmall{{}, {N: 1}, {T: "T"}, {N: 2, T: "N"}},
			fsSmall{}, &fsOne{}, bigStruct(r, 1+r.Intn(2100)),
			[]fsLists{{N: 1, L: xs[0].SS, IS: xs[0].IS, M: xs[0].M}, {L: []string{"a", "b"}, IS: []int64{1}}, {}}}
		one := &fsOne{}
		one.P = one
		values = append(values, one)
		// Plain records: on their own, nested, shared, and after 300 strs
		// (their names' memo indices then need LONG_BINGET).
		plains := fsPlains(xs)
		many := make([]any, 300)
		for i := range many {
			many[i] = fmt.Sprint(i)
		}
		values = append(values, plains, map[string][]fsPlain{"p": plains, "q": plains[:1]},
			[]any{plains, &plains[0], plains[len(plains)-1]}, append(many, plains))
		for vi, v := range values {
			for name, opts := range optionSets {
				for p := 0; p <= HighestProtocol; p++ {
					all := append([]Option{Protocol(p)}, opts...)
					fast, generic, fastErr, genericErr := marshalBoth(v, all...)
					what := fmt.Sprintf("round %d value %d (%T) %s protocol %d", round, vi, v, name, p)
					if (fastErr == nil) != (genericErr == nil) || (fastErr != nil && fastErr.Error() != genericErr.Error()) {
						t.Fatalf("%s: errors differ: fast %v, generic %v", what, fastErr, genericErr)
					}
					if !bytes.Equal(fast, generic) {
						t.Fatalf("%s: bytes differ from the generic path\n%s", what, diffPickles(fast, generic))
					}
					if fastErr == nil && name == "plain" {
						if stream := encodeStream(t, v, p); !bytes.Equal(stream, fast) {
							t.Fatalf("%s: Encoder bytes differ from Marshal\n%s", what, diffPickles(stream, fast))
						}
					}
				}
			}
		}
	}
}

// TestFastStructsErrors checks that a field's error has the same path on
// both paths.
func TestFastStructsErrors(t *testing.T) {
	type bad struct {
		A int64
		S string
		C chan int
	}
	for _, v := range []any{bad{S: "a\xffb"}, &bad{C: make(chan int)}, []bad{{}, {S: "\xff"}}} {
		for p := 0; p <= HighestProtocol; p++ {
			_, _, fastErr, genericErr := marshalBoth(v, Protocol(p))
			if fastErr == nil || genericErr == nil || fastErr.Error() != genericErr.Error() {
				t.Fatalf("%T protocol %d: fast %v, generic %v", v, p, fastErr, genericErr)
			}
		}
	}
}

// TestClassCacheSeesLaterRegistration checks that a class registered after
// a type was encoded takes effect on the next encode.
func TestClassCacheSeesLaterRegistration(t *testing.T) {
	type later struct{ A int64 }
	reg := NewRegistry()
	before, err := Marshal(later{A: 1}, WithRegistry(reg))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(before, []byte("Later")) {
		t.Fatal("class written before it was registered")
	}
	if err := reg.RegisterClass("m", "Later", later{}); err != nil {
		t.Fatal(err)
	}
	after, err := Marshal(later{A: 1}, WithRegistry(reg))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(after, []byte("Later")) {
		t.Fatalf("class registered later not written: %q", after)
	}
	// Another registry, without the binding, on the same type.
	other, err := Marshal(later{A: 1}, WithRegistry(NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(other, before) {
		t.Fatalf("another registry got %q, want %q", other, before)
	}
}

// TestFastStructsConcurrent encodes from several goroutines at once, with
// and without a registry, while another registry gains bindings (run with
// -race).
func TestFastStructsConcurrent(t *testing.T) {
	xs := fsRecords(rand.New(rand.NewSource(2)), 50)
	small := []fsSmall{{N: 1, T: "a"}, {}}
	reg := NewRegistry()
	if err := reg.RegisterClass("m", "Small", fsSmall{}); err != nil {
		t.Fatal(err)
	}
	want, _, err, _ := marshalBoth(xs)
	if err != nil {
		t.Fatal(err)
	}
	wantReg, err := Marshal(small, WithRegistry(reg))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for g := range 4 {
		go func() {
			for range 20 {
				got, err := Marshal(xs)
				if err == nil && !bytes.Equal(got, want) {
					err = fmt.Errorf("goroutine %d: bytes differ", g)
				}
				if err == nil {
					got, err = Marshal(small, WithRegistry(reg))
					if err == nil && !bytes.Equal(got, wantReg) {
						err = fmt.Errorf("goroutine %d: registry bytes differ", g)
					}
				}
				if err == nil {
					type local struct{ A int64 }
					r := NewRegistry()
					_, err = Marshal(local{1}, WithRegistry(r))
					if err == nil {
						err = r.RegisterClass("m", "Local", local{})
					}
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
