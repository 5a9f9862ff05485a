package pickle

import (
	"bytes"
	"errors"
	"math/big"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unsafe"
)

func TestMarshalUnsupportedTypesNamePath(t *testing.T) {
	type item struct {
		Name  string
		Price chan int
	}
	type order struct {
		Items []item
	}
	tests := []struct {
		name   string
		val    any
		goType reflect.Type
		path   string
	}{
		{"struct field in slice", order{Items: []item{{}, {}, {}, {Name: "x"}}}, reflect.TypeFor[chan int](), ".Items[0].Price"},
		{"map key", map[string]any{"a": 1, "key": func() {}}, reflect.TypeFor[func()](), `["key"]`},
		{"slice index", []any{int64(1), unsafe.Pointer(nil)}, reflect.TypeFor[unsafe.Pointer](), "[1]"},
		{"list item", NewList(int64(1), make(chan int)), reflect.TypeFor[chan int](), ".Items[1]"},
		{"dict value", mustDict("k", func() {}), reflect.TypeFor[func()](), `["k"]`},
		{"top level", make(chan int), reflect.TypeFor[chan int](), ""},
		{"big.Float", []any{new(big.Float)}, reflect.TypeFor[big.Float](), "[0]"},
		{"no exported fields", []sync.Mutex{{}}, reflect.TypeFor[sync.Mutex](), "[0]"},
		{"object state", &Object{Callable: Global{"m", "C"}, Args: Tuple{}, State: make(chan int), HasState: true}, reflect.TypeFor[chan int](), ".State"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for p := 0; p <= HighestProtocol; p++ {
				_, err := Marshal(tt.val, Protocol(p))
				var ue *UnsupportedTypeError
				if !errors.As(err, &ue) {
					t.Fatalf("protocol %d: err = %v, want *UnsupportedTypeError", p, err)
				}
				if ue.GoType != tt.goType || ue.Path != tt.path {
					t.Errorf("protocol %d: got type %v path %q, want %v %q (%v)", p, ue.GoType, ue.Path, tt.goType, tt.path, err)
				}
				if !strings.HasPrefix(err.Error(), "pickle: ") {
					t.Errorf("message %q does not start with pickle:", err)
				}
			}
		})
	}
}

func TestMarshalRejectsValuesPythonCannotHold(t *testing.T) {
	tests := []struct {
		name string
		val  any
		want string
	}{
		{"unhashable key", map[any]int{NewList(): 1}, "unhashable"},
		{"unhashable tuple key", map[any]int{[1]any{NewDict()}: 1}, "unhashable"},
		{"struct keys", map[struct{ A int }]int{{1}: 1}, "unhashable"},
		{"unhashable set member", struct {
			S []any `pickle:",set"`
		}{S: []any{NewList()}}, "unhashable"},
		{"slice set members", struct {
			S [][]int `pickle:",set"`
		}{S: [][]int{{1}}}, "unhashable"},
		{"keys equal in Python", map[any]string{int64(1): "a", 1.0: "b"}, "same Python dict key"},
		{"bool and int keys", map[any]string{true: "a", 1: "b"}, "same Python dict key"},
		{"invalid UTF-8", []string{"ok", "\xff"}, "not valid UTF-8"},
		{"odd DictItems", &Object{Callable: Global{"m", "C"}, DictItems: []any{"k"}}, "odd number"},
		{"unknown build", &Object{Callable: Global{"m", "C"}, Build: "CALL"}, "unknown Build"},
		{"empty global", Global{"", "x"}, "empty module"},
		{"newline in global", Global{"a\nb", "x"}, "newline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Marshal(tt.val)
			var ue *UnsupportedTypeError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want *UnsupportedTypeError containing %q", err, tt.want)
			}
		})
	}
	// Non-ASCII global names need protocol 3.
	g := Global{"modé", "x"}
	if _, err := Marshal(g, Protocol(2)); err == nil {
		t.Error("non-ASCII global at protocol 2: no error")
	}
	if _, err := Marshal(g, Protocol(3)); err != nil {
		t.Errorf("non-ASCII global at protocol 3: %v", err)
	}
}

func TestMarshalTagErrorIsReturnedAsIs(t *testing.T) {
	type bad struct {
		A int `pickle:"a,bogus"`
	}
	_, err := Marshal([]bad{{}})
	var te *TagError
	if !errors.As(err, &te) || te.Field != "A" {
		t.Fatalf("err = %v, want *TagError for field A", err)
	}
}

type encLinked struct {
	Next *encLinked
}

func TestMarshalDepthLimit(t *testing.T) {
	var head *encLinked
	for i := 0; i < 1_000_000; i++ {
		head = &encLinked{Next: head}
	}
	_, err := Marshal(head)
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "MaxDepth" || le.Max != DefaultMaxDepth {
		t.Fatalf("1e6-deep linked list: err = %v, want MaxDepth *LimitError", err)
	}

	deep := NewList()
	for i := 0; i < 20000; i++ {
		deep = NewList(deep)
	}
	if _, err := Marshal(deep); !errors.As(err, &le) {
		t.Fatalf("20000-deep list: err = %v, want *LimitError", err)
	}

	var x any
	x = &x
	if _, err := Marshal(x); !errors.As(err, &le) {
		t.Fatalf("pointer cycle through an interface: err = %v, want *LimitError", err)
	}

	nest := func(n int) any {
		var v any = int64(1)
		for i := 0; i < n; i++ {
			v = NewList(v)
		}
		return v
	}
	if _, err := Marshal(nest(5), MaxDepth(5)); err != nil {
		t.Errorf("depth 5 with MaxDepth(5): %v", err)
	}
	if _, err := Marshal(nest(6), MaxDepth(5)); !errors.As(err, &le) {
		t.Errorf("depth 6 with MaxDepth(5): err = %v, want *LimitError", err)
	}
}

func TestMarshalMapOrderIsDeterministic(t *testing.T) {
	m := map[string]int{}
	for i := 0; i < 200; i++ {
		m[strings.Repeat("k", i%7)+string(rune('a'+i%26))+strings.Repeat("z", i/26)] = i
	}
	first, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		again, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Fatal("the same map gave different bytes")
		}
	}
	var back any
	if err := Unmarshal(first, &back); err != nil {
		t.Fatal(err)
	}
	var prev string
	n := 0
	for k := range back.(*Dict).Keys() {
		s := k.(string)
		if n > 0 && s <= prev {
			t.Fatalf("keys not in sorted order: %q after %q", s, prev)
		}
		prev = s
		n++
	}
	if n != len(m) {
		t.Fatalf("%d keys, want %d", n, len(m))
	}

	mixed := map[any]int{"b": 1, int64(3): 2, nil: 3, 2.5: 4, false: 5, [2]int{1, 2}: 6, []byte("x")[0]: 7}
	a, err := Marshal(mixed)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		b, _ := Marshal(mixed)
		if !bytes.Equal(a, b) {
			t.Fatal("the same map[any]int gave different bytes")
		}
	}
}

func TestMarshalOptionErrors(t *testing.T) {
	var oe *OptionError
	if _, err := Marshal(1, Protocol(6)); !errors.As(err, &oe) {
		t.Errorf("Marshal with Protocol(6): err = %v, want *OptionError", err)
	}
	var buf bytes.Buffer
	enc := NewEncoder(&buf, Protocol(-1))
	for i := 0; i < 2; i++ {
		if err := enc.Encode(1); !errors.As(err, &oe) {
			t.Errorf("Encode %d with Protocol(-1): err = %v, want *OptionError", i, err)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("an encoder with an invalid option wrote %d bytes", buf.Len())
	}
}

func TestEncoderWritesOnePicklePerEncode(t *testing.T) {
	values := []any{int64(1), NewList("a", "b"), mustDict("k", []byte("v")), strings.Repeat("x", 100000)}
	for p := 0; p <= HighestProtocol; p++ {
		var buf bytes.Buffer
		enc := NewEncoder(&buf, Protocol(p))
		var want []byte
		for _, v := range values {
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
			b, err := Marshal(v, Protocol(p))
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, b...)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Fatalf("protocol %d: Encoder output differs from the Marshal outputs joined", p)
		}
		dec := NewDecoder(bytes.NewReader(buf.Bytes()))
		for i, v := range values {
			var got any
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("protocol %d: decoding pickle %d: %v", p, i, err)
			}
			if !Equal(got, v) {
				t.Errorf("protocol %d: pickle %d decoded as %#v, want %#v", p, i, got, v)
			}
		}
	}
}

// recordingWriter remembers the size of every Write.
type recordingWriter struct {
	bytes.Buffer
	sizes []int
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.sizes = append(w.sizes, len(p))
	return w.Buffer.Write(p)
}

func TestEncoderStreamsFramesAndLargePayloads(t *testing.T) {
	big := bytes.Repeat([]byte{7}, 1<<20)
	w := &recordingWriter{}
	if err := NewEncoder(w, Protocol(4)).Encode(NewList(int64(1), big, int64(2))); err != nil {
		t.Fatal(err)
	}
	want, _ := Marshal(NewList(int64(1), big, int64(2)), Protocol(4))
	if !bytes.Equal(w.Bytes(), want) {
		t.Fatal("Encoder output differs from Marshal")
	}
	found := false
	for _, n := range w.sizes {
		if n == len(big) {
			found = true
		}
	}
	if !found {
		t.Errorf("the 1 MiB payload was not written by itself; write sizes %v", w.sizes)
	}

	// Many small strings: the output leaves in frames of about 64 KiB, not
	// as one buffer of the whole pickle.
	l := NewList()
	for i := 0; i < 20000; i++ {
		l.Append(strings.Repeat(string(rune('a'+i%26)), 50) + strings.Repeat("z", i%3))
	}
	w = &recordingWriter{}
	if err := NewEncoder(w, Protocol(4)).Encode(l); err != nil {
		t.Fatal(err)
	}
	if len(w.sizes) < 10 {
		t.Fatalf("%d writes for a %d-byte pickle, want one per frame", len(w.sizes), w.Len())
	}
	for _, n := range w.sizes {
		if n > frameSizeTarget+frameHeaderSize+1024 {
			t.Errorf("a write of %d bytes: frames should leave as they close", n)
		}
	}
	want, _ = Marshal(l, Protocol(4))
	if !bytes.Equal(w.Bytes(), want) {
		t.Fatal("Encoder output differs from Marshal")
	}
}

// errWriter fails every write.
type errWriter struct{}

var errDiskFull = errors.New("disk full")

func (errWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestEncoderReportsWriteErrors(t *testing.T) {
	for _, v := range []any{int64(1), bytes.Repeat([]byte{1}, 1<<17)} {
		if err := NewEncoder(errWriter{}).Encode(v); !errors.Is(err, errDiskFull) {
			t.Errorf("err = %v, want the writer's error", err)
		}
	}
}

func TestMarshalRoundTripsTheModel(t *testing.T) {
	values := []any{
		nil, true, false, int64(0), int64(-1), int64(1) << 40, bigInt("123456789012345678901234567890"),
		1.5, -0.0, "", "héllo \xed\xb2\x80", []byte{}, []byte("bytes"), Tuple{}, Tuple{int64(1), "a"},
		NewList(), NewList(int64(1), NewList(Tuple{})), mustDict("a", int64(1), Tuple{int64(1)}, nil),
		mustSet(int64(1), "x"), mustFrozenSet(int64(2)), &ByteArray{Bytes: []byte("ba")}, complex(1, -2),
		Global{"builtins", "set"},
	}
	for p := 0; p <= HighestProtocol; p++ {
		for _, v := range values {
			b, err := Marshal(v, Protocol(p))
			if err != nil {
				t.Fatalf("protocol %d: Marshal(%#v): %v", p, v, err)
			}
			var got any
			if err := Unmarshal(b, &got, KeepUnknown(true)); err != nil {
				t.Fatalf("protocol %d: Unmarshal(Marshal(%#v)): %v", p, v, err)
			}
			if !Equal(got, v) {
				t.Errorf("protocol %d: %#v came back as %#v", p, v, got)
			}
		}
	}
}

func TestMarshalKeepsSharingAndCycles(t *testing.T) {
	decode := func(t *testing.T, v any, p int) any {
		t.Helper()
		b, err := Marshal(v, Protocol(p))
		if err != nil {
			t.Fatal(err)
		}
		var got any
		if err := Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	for p := 0; p <= HighestProtocol; p++ {
		x := NewList(int64(1))
		got := decode(t, NewList(x, x), p).(*List)
		if got.Items[0].(*List) != got.Items[1].(*List) {
			t.Errorf("protocol %d: [x, x] lost its sharing", p)
		}

		s := make([]any, 1)
		s[0] = s
		self := decode(t, s, p).(*List)
		if self.Items[0].(*List) != self {
			t.Errorf("protocol %d: a Go slice holding itself did not come back cyclic", p)
		}

		m := map[string]any{}
		m["self"] = m
		d := decode(t, m, p).(*Dict)
		if v, _ := d.Get("self"); v.(*Dict) != d {
			t.Errorf("protocol %d: a Go map holding itself did not come back cyclic", p)
		}

		// Two empty Go slices may share an address; they are still two lists.
		two := decode(t, [][]int{{}, {}}, p).(*List)
		if two.Items[0].(*List) == two.Items[1].(*List) {
			t.Errorf("protocol %d: two empty slices came back as one list", p)
		}

		// Sub-slices of one array are different lists.
		arr := []int{1, 2, 3}
		subs := decode(t, [][]int{arr[:2], arr[:3], arr[:2]}, p).(*List)
		if subs.Items[0].(*List) == subs.Items[1].(*List) || subs.Items[0].(*List) != subs.Items[2].(*List) {
			t.Errorf("protocol %d: slice identity should be data pointer and length", p)
		}
	}
}

type encZeroer struct{ N int }

func (z encZeroer) IsZero() bool { return z.N < 0 }

type encEmbedded struct {
	In int
}

type encOuter struct {
	encEmbedded
	*encLinked
	Name  string    `pickle:"name,omitempty"`
	Z     encZeroer `pickle:",omitzero"`
	P     *int      `pickle:",omitempty"`
	Extra *Dict     `pickle:",inline"`
}

func TestMarshalStructFields(t *testing.T) {
	extra := mustDict("x", int64(1), "name", "shadowed", int64(5), "five")
	v := encOuter{encEmbedded: encEmbedded{In: 3}, Z: encZeroer{N: -1}, Extra: extra}
	b, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var got any
	if err := Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := mustDict("In", int64(3), "x", int64(1), int64(5), "five")
	if !Equal(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
	v.Name, v.Z = "n", encZeroer{N: 0}
	b, err = Marshal(&v)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	if err := Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want = mustDict("In", int64(3), "name", "n", "Z", mustDict("N", int64(0)), "x", int64(1), int64(5), "five")
	if !Equal(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

func TestMarshalNilsAndPointers(t *testing.T) {
	type s struct {
		L []int
		M map[string]int
		P *int
		I any
	}
	b, err := Marshal(s{})
	if err != nil {
		t.Fatal(err)
	}
	var got any
	if err := Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := mustDict("L", NewList(), "M", NewDict(), "P", nil, "I", nil)
	if !Equal(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

func TestMarshalRecursiveGoTypes(t *testing.T) {
	type tree struct {
		V    int
		Kids []tree
	}
	v := tree{V: 1, Kids: []tree{{V: 2}, {V: 3, Kids: []tree{{V: 4}}}}}
	b, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var got tree
	if err := Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	// nil Kids are written as empty lists and come back as empty slices.
	if !reflect.DeepEqual(got, tree{V: 1, Kids: []tree{{V: 2, Kids: []tree{}}, {V: 3, Kids: []tree{{V: 4, Kids: []tree{}}}}}}) {
		t.Errorf("got %+v, want %+v", got, v)
	}
}

func TestMarshalConcurrent(t *testing.T) {
	type rec struct {
		A int
		B []string
		C map[string]float64
	}
	v := []rec{{1, []string{"x"}, map[string]float64{"a": 1}}, {2, nil, nil}}
	want, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				b, err := Marshal(v)
				if err != nil || !bytes.Equal(b, want) {
					t.Errorf("concurrent Marshal gave different output (err %v)", err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestAppendFloatRepr(t *testing.T) {
	tests := map[float64]string{
		0: "0.0", 1: "1.0", 1.5: "1.5", 1e16: "1e+16", 1e15: "1000000000000000.0", 1e-4: "0.0001",
		1e-5: "1e-05", 123456789.123: "123456789.123", 5e-324: "5e-324", 1.7976931348623157e308: "1.7976931348623157e+308",
		-2.5e-10: "-2.5e-10", 0.1: "0.1", 1e22: "1e+22", 12345678901234567890: "1.2345678901234567e+19",
	}
	for f, want := range tests {
		if got := string(appendFloatRepr(nil, f)); got != want {
			t.Errorf("repr(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestMarshalNameTransform(t *testing.T) {
	type rec struct {
		UserID   int
		HTTPHost string         `pickle:"host"`
		Extra    map[string]any `pickle:",inline"`
	}
	b, err := Marshal(rec{UserID: 7, HTTPHost: "h", Extra: map[string]any{"user_id": "shadowed", "more": int64(1)}}, NameTransform(SnakeCase))
	if err != nil {
		t.Fatal(err)
	}
	var got any
	if err := Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := mustDict("user_id", int64(7), "host", "h", "more", int64(1))
	if !Equal(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
	var back rec
	if err := Unmarshal(b, &back, NameTransform(SnakeCase)); err != nil {
		t.Fatal(err)
	}
	if back.UserID != 7 || back.HTTPHost != "h" {
		t.Errorf("round trip with SnakeCase: %+v", back)
	}
}
