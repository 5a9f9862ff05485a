package pickle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// The ZeroCopy option: results of the binary str and bytes opcodes point
// into the input, on every entry point and through both decoders, and
// nothing else changes (values, errors, limits).

// inside reports whether the n bytes at p lie inside data.
func inside(p unsafe.Pointer, n int, data []byte) bool {
	if len(data) == 0 || p == nil {
		return false
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	at := uintptr(p)
	return at >= lo && at+uintptr(n) <= lo+uintptr(len(data))
}

func stringInside(s string, data []byte) bool {
	return inside(unsafe.Pointer(unsafe.StringData(s)), len(s), data)
}

func bytesInside(b []byte, data []byte) bool {
	return inside(unsafe.Pointer(unsafe.SliceData(b)), len(b), data)
}

// zcRec has a field of each kind ZeroCopy concerns.
type zcRec struct {
	Name   string            `pickle:"name"`
	Blob   []byte            `pickle:"blob"`
	Tags   []string          `pickle:"tags"`
	Attrs  map[string]string `pickle:"attrs"`
	Empty  string            `pickle:"empty"`
	NoBlob []byte            `pickle:"no_blob"`
	Arr    [3]byte           `pickle:"arr"`
}

func zcValue() zcRec {
	return zcRec{
		Name:   "zero-copy naïve",
		Blob:   bytes.Repeat([]byte{1, 2, 3}, 100),
		Tags:   []string{"a", "bb", "中文"},
		Attrs:  map[string]string{"k": "v", "long": strings.Repeat("x", 300)},
		NoBlob: []byte{},
		Arr:    [3]byte{7, 8, 9},
	}
}

// bothWays runs f once with the direct decoder tried first (Unmarshal's
// way) and once with the general decoder alone.
func bothWays(t *testing.T, f func(t *testing.T, tryDirect bool)) {
	t.Helper()
	t.Run("direct", func(t *testing.T) { f(t, true) })
	t.Run("general", func(t *testing.T) { f(t, false) })
}

// TestZeroCopyAliasesTyped checks that str and bytes decoded into typed
// values with ZeroCopy point into the input, and that the results still
// equal the copying decode's.
func TestZeroCopyAliasesTyped(t *testing.T) {
	want := zcValue()
	for proto := 3; proto <= HighestProtocol; proto++ {
		data, err := Marshal(want, Protocol(proto))
		if err != nil {
			t.Fatal(err)
		}
		bothWays(t, func(t *testing.T, tryDirect bool) {
			var got zcRec
			if _, err := unmarshalFirst(data, &got, tryDirect, []Option{ZeroCopy(true)}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("p%d: values differ (-want +got):\n%s", proto, diff)
			}
			strs := append([]string{got.Name}, got.Tags...)
			for k, v := range got.Attrs {
				strs = append(strs, k, v)
			}
			for _, s := range strs {
				if !stringInside(s, data) {
					t.Errorf("p%d: string %.20q is a copy, not in the input", proto, s)
				}
			}
			if !bytesInside(got.Blob, data) {
				t.Errorf("p%d: []byte is a copy, not in the input", proto)
			}
			if cap(got.Blob) != len(got.Blob) {
				t.Errorf("p%d: []byte has capacity %d beyond its length %d: append would write into the input", proto, cap(got.Blob), len(got.Blob))
			}
		})
	}
}

// TestZeroCopyAliasesAny checks the same for decoding into any.
func TestZeroCopyAliasesAny(t *testing.T) {
	v := []any{"zero-copy naïve", bytes.Repeat([]byte{4}, 1000), map[string]any{"key": "value"}, Tuple{"t"}}
	for proto := 3; proto <= HighestProtocol; proto++ {
		data, err := Marshal(v, Protocol(proto))
		if err != nil {
			t.Fatal(err)
		}
		bothWays(t, func(t *testing.T, tryDirect bool) {
			var got any
			if _, err := unmarshalFirst(data, &got, tryDirect, []Option{ZeroCopy(true)}); err != nil {
				t.Fatal(err)
			}
			var copied any
			if _, err := unmarshalFirst(data, &copied, tryDirect, nil); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(copied, got, exportAll); diff != "" {
				t.Fatalf("p%d: values differ (-copy +zero-copy):\n%s", proto, diff)
			}
			items := got.(*List).Items
			d := items[2].(*Dict)
			var key string
			for k := range d.Keys() {
				key, _ = k.(string)
			}
			val, _ := d.Get("key")
			for _, s := range []string{items[0].(string), key, val.(string), items[3].(Tuple)[0].(string)} {
				if !stringInside(s, data) {
					t.Errorf("p%d: string %q is a copy, not in the input", proto, s)
				}
			}
			b := items[1].([]byte)
			if !bytesInside(b, data) || cap(b) != len(b) {
				t.Errorf("p%d: []byte is a copy or has room beyond its length (cap %d, len %d)", proto, cap(b), len(b))
			}
		})
	}
}

// TestZeroCopyKeepsCopying checks what ZeroCopy still copies: bytearray,
// [N]byte, empty values, protocol-0 text and Python 2 str.
func TestZeroCopyKeepsCopying(t *testing.T) {
	// bytearray (BYTEARRAY8 at protocol 5, a REDUCE of builtins.bytearray
	// before): mutable in Python, so the caller's to change.
	for _, proto := range []int{2, 5} {
		data, err := Marshal(&ByteArray{Bytes: []byte("mutable")}, Protocol(proto))
		if err != nil {
			t.Fatal(err)
		}
		bothWays(t, func(t *testing.T, tryDirect bool) {
			var got any
			if _, err := unmarshalFirst(data, &got, tryDirect, []Option{ZeroCopy(true)}); err != nil {
				t.Fatal(err)
			}
			if ba, ok := got.(*ByteArray); !ok || string(ba.Bytes) != "mutable" || bytesInside(ba.Bytes, data) {
				t.Errorf("p%d: bytearray into any: %#v (must be a copy)", proto, got)
			}
			var typed []byte
			if _, err := unmarshalFirst(data, &typed, tryDirect, []Option{ZeroCopy(true)}); err != nil {
				t.Fatal(err)
			}
			if string(typed) != "mutable" || bytesInside(typed, data) {
				t.Errorf("p%d: bytearray into []byte: %q (must be a copy)", proto, typed)
			}
		})
	}
	// Protocol 0 text (UNICODE, raw-unicode-escape) is transformed.
	data, err := Marshal("text\u00e9", Protocol(0))
	if err != nil {
		t.Fatal(err)
	}
	var s string
	if err := Unmarshal(data, &s, ZeroCopy(true)); err != nil || s != "text\u00e9" || stringInside(s, data) {
		t.Errorf("protocol 0 str: %q, %v (must be a copy)", s, err)
	}
	// Python 2 str (SHORT_BINSTRING), ASCII and latin1.
	py2 := []byte("\x80\x02U\x03abcq\x00.")
	for _, enc := range []string{"ASCII", "latin1", "bytes"} {
		var got any
		if err := Unmarshal(py2, &got, ZeroCopy(true), Encoding(enc)); err != nil {
			t.Fatal(err)
		}
		switch x := got.(type) {
		case string:
			if x != "abc" || stringInside(x, py2) {
				t.Errorf("Python 2 str as %s: %q (must be a copy)", enc, x)
			}
		case []byte:
			if string(x) != "abc" || bytesInside(x, py2) {
				t.Errorf("Python 2 str as %s: %q (must be a copy)", enc, x)
			}
		}
	}
	// [N]byte arrays and empty values.
	rec := zcValue()
	data, err = Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var got zcRec
	if err := Unmarshal(data, &got, ZeroCopy(true)); err != nil {
		t.Fatal(err)
	}
	if got.Arr != rec.Arr || got.Empty != "" || got.NoBlob == nil || len(got.NoBlob) != 0 {
		t.Errorf("array or empty fields: %+v", got)
	}
	empty, err := Marshal([]byte{})
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	if err := Unmarshal(empty, &b, ZeroCopy(true)); err != nil || b == nil || len(b) != 0 {
		t.Errorf("empty bytes: %#v, %v (want a non-nil empty slice, as without ZeroCopy)", b, err)
	}
}

// TestZeroCopyDefaultCopies checks that without the option nothing decoded
// points into the input: overwriting it changes no result.
func TestZeroCopyDefaultCopies(t *testing.T) {
	want := zcValue()
	for _, opts := range [][]Option{nil, {ZeroCopy(false)}, {ZeroCopy(true), ZeroCopy(false)}} {
		bothWays(t, func(t *testing.T, tryDirect bool) {
			data, err := Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			var typed zcRec
			var generic any
			if _, err := unmarshalFirst(data, &typed, tryDirect, opts); err != nil {
				t.Fatal(err)
			}
			if _, err := unmarshalFirst(data, &generic, tryDirect, opts); err != nil {
				t.Fatal(err)
			}
			snapshot := fmt.Sprintf("%#v", generic)
			for i := range data {
				data[i] = 'X'
			}
			if diff := cmp.Diff(want, typed); diff != "" {
				t.Errorf("typed result changed with the input (-want +got):\n%s", diff)
			}
			if got := fmt.Sprintf("%#v", generic); got != snapshot {
				t.Errorf("any result changed with the input:\nbefore %s\nafter  %s", snapshot, got)
			}
		})
	}
	// And with it, the results do change with the input: they share it.
	data, err := Marshal("abc")
	if err != nil {
		t.Fatal(err)
	}
	var s string
	if err := Unmarshal(data, &s, ZeroCopy(true)); err != nil {
		t.Fatal(err)
	}
	copy(data[bytes.Index(data, []byte("abc")):], "xyz")
	if s != "xyz" {
		t.Errorf("ZeroCopy string %q did not change with the input", s)
	}
}

// goldenPickles returns every .pkl file under testdata.
func goldenPickles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join("testdata", dir), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".pkl") {
			files = append(files, path)
		}
		return err
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("no pickles under testdata/%s: %v", dir, err)
	}
	return files
}

// sameOutcome fails the test unless a zero-copy decode ended like the
// copying one: the same error (message and offset), or the same rest.
func sameOutcome(t *testing.T, label string, copyRest, zcRest []byte, copyErr, zcErr error) bool {
	t.Helper()
	if (copyErr == nil) != (zcErr == nil) || copyErr != nil && copyErr.Error() != zcErr.Error() {
		t.Errorf("%s: errors differ: copying %v, ZeroCopy %v", label, copyErr, zcErr)
		return false
	}
	if len(copyRest) != len(zcRest) {
		t.Errorf("%s: the copying decode ends %d bytes before the end, ZeroCopy %d", label, len(copyRest), len(zcRest))
		return false
	}
	return copyErr == nil
}

// TestZeroCopyMatchesCopyOnGoldens decodes every pickle under testdata
// into any, and the golden ones into every typed target of the direct
// decoder's tests, with and without ZeroCopy, both ways: the values and
// errors must be the same.
func TestZeroCopyMatchesCopyOnGoldens(t *testing.T) {
	var all []string
	for _, dir := range []string{"golden", "stdlib", "py2", "migration", "hostile"} {
		all = append(all, goldenPickles(t, dir)...)
	}
	decoded := 0
	for _, f := range all {
		// The hostile pickles' values (nested shared references, built to
		// cost exponential work to walk) are compared by outcome only.
		hostile := strings.Contains(f, "hostile")
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, base := range [][]Option{nil, {KeepUnknown(true)}} {
			for _, tryDirect := range []bool{true, false} {
				label := fmt.Sprintf("%s (direct %v, %d options) into any", f, tryDirect, len(base))
				var copied, zc any
				copyRest, copyErr := unmarshalFirst(data, &copied, tryDirect, base)
				zcRest, zcErr := unmarshalFirst(data, &zc, tryDirect, append(base[:len(base):len(base)], ZeroCopy(true)))
				if !sameOutcome(t, label, copyRest, zcRest, copyErr, zcErr) {
					continue
				}
				decoded++
				if hostile {
					continue
				}
				if diff := cmp.Diff(copied, zc, exportAll); diff != "" {
					t.Errorf("%s: values differ (-copy +zero-copy):\n%s", label, diff)
				}
			}
		}
	}
	if decoded < 2000 {
		t.Errorf("only %d decodes succeeded: the comparison tests little", decoded)
	}
	typed := 0
	for _, f := range goldenPickles(t, "golden") {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range directTargets() {
			for _, tryDirect := range []bool{true, false} {
				label := fmt.Sprintf("%s (direct %v) into %s", f, tryDirect, tt.name)
				copied, copyWitness := tt.make()
				zc, zcWitness := tt.make()
				copyRest, copyErr := unmarshalFirst(data, copied, tryDirect, nil)
				zcRest, zcErr := unmarshalFirst(data, zc, tryDirect, []Option{ZeroCopy(true)})
				if !sameOutcome(t, label, copyRest, zcRest, copyErr, zcErr) {
					continue
				}
				typed++
				if diff := cmp.Diff(copied, zc, exportAll); diff != "" {
					t.Errorf("%s: values differ (-copy +zero-copy):\n%s", label, diff)
				}
				if diff := cmp.Diff(copyWitness(), zcWitness(), exportAll); diff != "" {
					t.Errorf("%s: the target's earlier values were treated differently (-copy +zero-copy):\n%s", label, diff)
				}
			}
		}
	}
	if typed < 1000 {
		t.Errorf("only %d typed decodes succeeded: the comparison tests little", typed)
	}
}

// TestZeroCopyLimitsAndErrors checks that ZeroCopy changes no limit and no
// error: over-limit, truncated and corrupted input gives the same error
// with it as without, both ways.
func TestZeroCopyLimitsAndErrors(t *testing.T) {
	data, err := Marshal([]any{zcValue().Name, bytes.Repeat([]byte{1}, 300), []any{"a", "b", "c"}}, Protocol(4))
	if err != nil {
		t.Fatal(err)
	}
	limits := [][]Option{{MaxStringLen(10)}, {MaxStringLen(299)}, {MaxContainerLen(2)}, {MaxDepth(1)}, {MaxMemo(2)}, {MaxWork(3)}}
	for i, opts := range limits {
		for _, tryDirect := range []bool{true, false} {
			var copied, zc any
			copyRest, copyErr := unmarshalFirst(data, &copied, tryDirect, opts)
			zcRest, zcErr := unmarshalFirst(data, &zc, tryDirect, append(opts[:len(opts):len(opts)], ZeroCopy(true)))
			if copyErr == nil {
				t.Errorf("limit %d: no error: the test tests nothing", i)
			}
			var le *LimitError
			if !errors.As(zcErr, &le) {
				t.Errorf("limit %d: ZeroCopy error %v is not a *LimitError", i, zcErr)
			}
			sameOutcome(t, fmt.Sprintf("limit %d (direct %v)", i, tryDirect), copyRest, zcRest, copyErr, zcErr)
		}
	}
	// Every truncation, and a byte changed at every position.
	for n := 0; n < len(data); n++ {
		for _, input := range [][]byte{data[:n], bytes.Clone(data)} {
			if len(input) == len(data) {
				input[n] ^= 0x5a
			}
			for _, tryDirect := range []bool{true, false} {
				var copied, zc any
				copyRest, copyErr := unmarshalFirst(input, &copied, tryDirect, nil)
				zcRest, zcErr := unmarshalFirst(input, &zc, tryDirect, []Option{ZeroCopy(true)})
				if sameOutcome(t, fmt.Sprintf("input %x (direct %v)", input, tryDirect), copyRest, zcRest, copyErr, zcErr) {
					if diff := cmp.Diff(copied, zc, exportAll); diff != "" {
						t.Errorf("input %x: values differ (-copy +zero-copy):\n%s", input, diff)
					}
				}
			}
		}
	}
	// An invalid option value next to it is still reported.
	var v any
	var oe *OptionError
	if err := Unmarshal(data, &v, ZeroCopy(true), MaxDepth(0)); !errors.As(err, &oe) {
		t.Errorf("invalid option with ZeroCopy: %v, want an *OptionError", err)
	}
	// Encoders ignore it.
	a, errA := Marshal(zcValue())
	b, errB := Marshal(zcValue(), ZeroCopy(true))
	if errA != nil || errB != nil || !bytes.Equal(a, b) {
		t.Errorf("Marshal with ZeroCopy differs: %v %v", errA, errB)
	}
}

// TestZeroCopyDecoder checks ZeroCopy on a Decoder: the results point into
// the buffer the Decoder read the pickle into, and stay intact while later
// pickles are read (the Decoder never writes a byte it has read again),
// whatever sizes the reader delivers.
func TestZeroCopyDecoder(t *testing.T) {
	var stream bytes.Buffer
	var want []zcRec
	for i := range 200 {
		rec := zcValue()
		rec.Name = fmt.Sprintf("record %d %s", i, strings.Repeat("é", i%40))
		rec.Blob = bytes.Repeat([]byte{byte(i)}, i*37)
		want = append(want, rec)
		data, err := Marshal(rec, Protocol(2+i%4))
		if err != nil {
			t.Fatal(err)
		}
		stream.Write(data)
	}
	readers := map[string]func() io.Reader{
		"whole":    func() io.Reader { return bytes.NewReader(stream.Bytes()) },
		"half":     func() io.Reader { return iotest.HalfReader(bytes.NewReader(stream.Bytes())) },
		"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(stream.Bytes())) },
	}
	for name, r := range readers {
		t.Run(name, func(t *testing.T) {
			dec := NewDecoder(r(), ZeroCopy(true))
			var got []zcRec
			var generic []any
			aliased := 0
			for i := 0; ; i++ {
				var rec zcRec
				var err error
				if i%2 == 0 {
					err = dec.Decode(&rec)
				} else {
					var v any
					err = dec.Decode(&v)
					generic = append(generic, v)
					if err == nil {
						err = Unmarshal(mustMarshal(t, v), &rec)
					}
				}
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				// The pickle's bytes end where the unread ones start, in
				// the same buffer.
				if len(dec.buf) > 0 && i%2 == 0 {
					end := uintptr(unsafe.Pointer(unsafe.SliceData(dec.buf)))
					at := uintptr(unsafe.Pointer(unsafe.StringData(rec.Name)))
					if at < end && end-at < 1<<16 {
						aliased++
					}
				}
				got = append(got, rec)
				// Overwrite what a careless Decoder might reuse.
				if i%3 == 0 {
					dec.More()
				}
			}
			if !reflect.DeepEqual(want, got) {
				t.Errorf("records differ after the whole stream was read (-want +got):\n%s", cmp.Diff(want, got))
			}
			if name == "whole" && aliased == 0 {
				t.Errorf("no record's strings point into the Decoder's buffer")
			}
			for i, v := range generic {
				var rec zcRec
				if err := Unmarshal(mustMarshal(t, v), &rec); err != nil || rec.Name != want[2*i+1].Name {
					t.Errorf("generic record %d changed: %q, %v", 2*i+1, rec.Name, err)
				}
			}
		})
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	data, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// BenchmarkZeroCopy compares decoding a record with large text and bytes
// with and without ZeroCopy.
func BenchmarkZeroCopy(b *testing.B) {
	rec := zcValue()
	rec.Blob = bytes.Repeat([]byte{1}, 1<<20)
	data, err := Marshal(rec)
	if err != nil {
		b.Fatal(err)
	}
	for _, zc := range []bool{false, true} {
		for _, target := range []string{"typed", "any"} {
			b.Run(fmt.Sprintf("%s/zerocopy=%v", target, zc), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				opt := ZeroCopy(zc)
				for b.Loop() {
					var err error
					if target == "typed" {
						var v zcRec
						err = Unmarshal(data, &v, opt)
					} else {
						var v any
						err = Unmarshal(data, &v, opt)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
