package pickle

// Fuzz targets. Run one at a time, for example:
//
//	go test -run '^$' -fuzz '^FuzzUnmarshalAny$' -fuzztime 10m -parallel 1
//
// PICKLE_FUZZ_SKIP_SEEDS=id,id,... leaves known-failing hostile cases out of
// the seeds, so that fuzzing can go on while they wait for a fix (a failing
// seed stops the engine before it starts); PICKLE_FUZZ_HANG_LOG=path makes the
// watchdog also write the stacks of a hung input to path.
//
// Without -fuzz, `go test` runs every seed (the golden pickles, the hostile
// corpus and its truncations, CPython's bad inputs, and the regression cases
// in testdata/fuzz/) as ordinary tests.

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzSeedMax is the largest corpus file used as a seed: the bombs are the
// hostile harness's business, seeds must decode in microseconds.
const fuzzSeedMax = 16 << 10

// addPickleSeeds adds every golden pickle, every small hostile and CPython
// case, and a few truncations of each valid pickle to f.
func addPickleSeeds(f *testing.F) {
	golden, _ := filepath.Glob(filepath.Join("testdata", "golden", "*", "*.pkl"))
	more, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.pkl"))
	for _, p := range append(golden, more...) {
		if data, err := os.ReadFile(p); err == nil && len(data) <= fuzzSeedMax {
			f.Add(data)
		}
	}
	for _, manifest := range []string{"manifest.json", "cpython_manifest.json"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "hostile", manifest))
		if err != nil {
			f.Fatalf("reading %s: %v", manifest, err)
		}
		var m hostileManifest
		if err := json.Unmarshal(raw, &m); err != nil {
			f.Fatal(err)
		}
		skip := strings.Split(os.Getenv("PICKLE_FUZZ_SKIP_SEEDS"), ",")
		for _, c := range m.Cases {
			if c.Solo || c.Size > fuzzSeedMax || len(c.Opts) > 0 || slices.Contains(skip, c.ID) {
				continue
			}
			data, err := os.ReadFile(hostileCaseFile(&c))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
			if c.Category == "valid" && len(data) > 2 {
				for _, n := range []int{1, len(data) / 3, len(data) / 2, len(data) - 1} {
					f.Add(data[:n])
				}
			}
		}
	}
}

// fuzzHang is how long one fuzz input may take before it counts as a hang.
const fuzzHang = 5 * time.Second

// watchdog crashes the process, with every goroutine's stack, when the
// current input runs longer than fuzzHang: the fuzzing engine has no
// per-input timeout, and a crash makes it save the input under
// testdata/fuzz/. Use as: defer watchdog()().
func watchdog() (stop func()) {
	timer := time.AfterFunc(fuzzHang, func() {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		if path := os.Getenv("PICKLE_FUZZ_HANG_LOG"); path != "" {
			_ = os.WriteFile(path, buf[:n], 0o644) // the engine may not show a dying worker's output
		}
		panic(fmt.Sprintf("hang: one input took more than %v\n%s", fuzzHang, buf[:n]))
	})
	return func() { timer.Stop() }
}

// checkErrorForm fails t if err is not one of the package's typed errors,
// well formed (see classifyDecodeErr).
func checkErrorForm(t *testing.T, err error, size int) {
	t.Helper()
	if err == nil {
		return
	}
	if _, form := classifyDecodeErr(err, int64(size)); len(form) > 0 {
		t.Fatalf("badly formed error %q: %s", err, strings.Join(form, "; "))
	}
}

// FuzzUnmarshalAny decodes arbitrary bytes into `any`, by default and with
// KeepUnknown. Nothing may panic; errors must be typed and well formed; a
// decoded value must re-encode at every protocol (except the documented
// cases in reencodeRefusal) and decode again to a value Equal to it.
func FuzzUnmarshalAny(f *testing.F) {
	addPickleSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		defer watchdog()()
		for _, keep := range []bool{false, true} {
			var v any
			err := Unmarshal(data, &v, KeepUnknown(keep))
			checkErrorForm(t, err, len(data))
			if err != nil {
				continue
			}
			checkDecodeEncodeDecode(t, v, keep)
		}
	})
}

// checkDecodeEncodeDecode encodes v at every protocol and decodes the
// result. Names are not translated (FixImports(false)): a Python 2 name
// mapped on the way in would otherwise come back under its other spelling.
func checkDecodeEncodeDecode(t *testing.T, v any, keep bool) {
	t.Helper()
	exact := exactProtocol(v)
	for proto := 0; proto <= HighestProtocol; proto++ {
		out, err := Marshal(v, Protocol(proto), FixImports(false))
		if err != nil {
			if why := reencodeRefusal(err, proto); why != "" {
				continue
			}
			t.Fatalf("Marshal(decoded value, Protocol(%d)): %v", proto, err)
		}
		var w any
		if err := Unmarshal(out, &w, KeepUnknown(keep), FixImports(false)); err != nil {
			t.Fatalf("Unmarshal(Marshal(v, Protocol(%d))): %v\nencoded: %q", proto, err, out)
		}
		if proto < exact {
			continue // written the way CPython lowers it, read back as that
		}
		if !Equal(v, w) {
			t.Fatalf("decode-encode-decode at protocol %d changed the value:\nfirst:  %#v\nsecond: %#v\nencoded: %q",
				proto, v, w, out)
		}
	}
}

// exactProtocol returns the lowest protocol at which v is written with the
// opcodes it was read from. Below it the encoder writes what CPython writes
// instead: copyreg.__newobj__ calls for NEWOBJ objects below protocol 2,
// copyreg.__newobj_ex__ below 4, getattr(parent, name) for dotted global
// names below 4; those decode to differently shaped (inert) objects.
func exactProtocol(v any) int {
	need := 0
	seen := map[any]bool{}
	var walk func(x any)
	walkAll := func(xs []any) {
		for _, x := range xs {
			walk(x)
		}
	}
	walk = func(x any) {
		switch x := x.(type) {
		case *List, *Dict, *Set, *FrozenSet, *Object:
			if seen[x] {
				return
			}
			seen[x] = true
		}
		switch x := x.(type) {
		case Global:
			if strings.Contains(x.Name, ".") {
				need = max(need, 4)
			}
		case Tuple:
			walkAll(x)
		case *List:
			walkAll(x.Items)
		case *Dict:
			for k, val := range x.All() {
				walk(k)
				walk(val)
			}
		case *Set:
			for m := range x.All() {
				walk(m)
			}
		case *FrozenSet:
			for m := range x.All() {
				walk(m)
			}
		case *Object:
			switch x.Build {
			case "NEWOBJ":
				need = max(need, 2)
			case "NEWOBJ_EX":
				need = max(need, 4)
			}
			walk(x.Callable)
			walkAll(x.Args)
			if x.Kwargs != nil {
				walk(x.Kwargs)
			}
			walk(x.State)
			walkAll(x.ListItems)
			walkAll(x.DictItems)
		}
	}
	walk(v)
	return need
}

// reencodeRefusal says why Marshal may refuse a value the decoder produced
// ("" if it may not): the documented cases where a protocol cannot express
// a value.
func reencodeRefusal(err error, proto int) string {
	var ue *UnsupportedTypeError
	if !errors.As(err, &ue) {
		return ""
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "empty module or name") || strings.Contains(msg, "newline in module or name"):
		// KeepUnknown accepts such names from STACK_GLOBAL; the encoder
		// cannot write them. The hostile corpus (spelling-09..12, -26)
		// expects the decoder to refuse them instead: see TestHostileCorpus.
		return "a global name the encoder cannot write"
	case proto < 3 && strings.Contains(msg, "ASCII"):
		return "a non-ASCII global name needs protocol 3"
	case proto < 2 && strings.Contains(msg, "protocol"):
		return "NEWOBJ and NEWOBJ_EX objects need protocol 2 or 4"
	case proto < 4 && strings.Contains(msg, "NEWOBJ_EX"):
		return "NEWOBJ_EX needs protocol 4"
	}
	return ""
}

// Typed targets for FuzzUnmarshalTyped.
type fuzzRecord struct {
	Name   string            `pickle:"name"`
	ID     int64             `pickle:"id"`
	Small  int8              `pickle:"small"`
	U      uint16            `pickle:"u"`
	F      float32           `pickle:"f"`
	Tags   []string          `pickle:"tags"`
	Attrs  map[string]any    `pickle:"attrs"`
	Raw    []byte            `pickle:"raw"`
	Fixed  [4]byte           `pickle:"fixed"`
	Pair   [2]int            `pickle:"pair"`
	Next   *fuzzRecord       `pickle:"next"`
	Kids   []fuzzRecord      `pickle:"kids"`
	Big    *big.Int          `pickle:"big"`
	Set    map[string]bool   `pickle:"set"`
	C      complex128        `pickle:"c"`
	Any    any               `pickle:"any"`
	Nested map[int][]float64 `pickle:"nested"`
}

// FuzzUnmarshalTyped decodes arbitrary bytes into typed Go targets: nothing
// may panic and every error must be typed and well formed.
func FuzzUnmarshalTyped(f *testing.F) {
	addPickleSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		defer watchdog()()
		targets := []any{
			new(fuzzRecord), new(hostileStruct), new(map[string]any), new(map[string]int),
			new([]string), new([]any), new(map[any]any), new(hostileNest), new(hostileNestMap),
			new(int), new(uint8), new(float64), new(string), new([]byte), new(*big.Int),
			new([3]int), new(map[int]string), new(*List), new(*Dict), new(Tuple), new(bool),
		}
		for _, target := range targets {
			err := Unmarshal(data, target)
			checkErrorForm(t, err, len(data))
		}
	})
}

// FuzzMarshal builds a Go value of the generic model (and a struct) from the
// fuzz bytes, encodes it at every protocol and decodes it back: the result
// must be Equal to the value.
func FuzzMarshal(f *testing.F) {
	for _, s := range []string{"", "\x00", "\x01\x02\x03", "\x09\x01\x02\x0a\x03\x04", "\x0b\x0c\x05\x06\x07\x08",
		"\x0d\x0e\x0f\x10\x11", "\x12\x13\x14\x09\x09\x09\x00\x00", "\x0a\x0a\x0a\x0a\x01\x12\x12\x12"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		defer watchdog()()
		b := &valueBuilder{data: data}
		v := b.value(0)
		for proto := 0; proto <= HighestProtocol; proto++ {
			out, err := Marshal(v, Protocol(proto))
			if err != nil {
				t.Fatalf("Marshal(%#v, Protocol(%d)): %v", v, proto, err)
			}
			var w any
			if err := Unmarshal(out, &w); err != nil {
				t.Fatalf("Unmarshal(Marshal(%#v, Protocol(%d))): %v\nencoded %q", v, proto, err, out)
			}
			if !Equal(v, w) {
				t.Fatalf("round trip at protocol %d:\nvalue: %#v\nback:  %#v\nencoded %q", proto, v, w, out)
			}
		}
		// A struct target: encode, decode into the same type, compare.
		r := b.record()
		out, err := Marshal(r, Protocol(int(b.byte())%(HighestProtocol+1)))
		if err != nil {
			t.Fatalf("Marshal(record): %v", err)
		}
		var back fuzzSmallRecord
		if err := Unmarshal(out, &back); err != nil {
			t.Fatalf("Unmarshal(record): %v\nencoded %q", err, out)
		}
		if !r.equal(back) {
			t.Fatalf("record round trip:\nvalue: %#v\nback:  %#v", r, back)
		}
	})
}

// fuzzSmallRecord is the struct FuzzMarshal builds.
type fuzzSmallRecord struct {
	A int64
	B string
	C []float64
	D map[string]int32
	E []byte
	F *fuzzSmallRecord
}

func (r fuzzSmallRecord) equal(s fuzzSmallRecord) bool {
	if r.A != s.A || r.B != s.B || len(r.C) != len(s.C) || len(r.D) != len(s.D) || string(r.E) != string(s.E) {
		return false
	}
	for i := range r.C {
		if !floatsSame(r.C[i], s.C[i]) {
			return false
		}
	}
	for k, v := range r.D {
		if w, ok := s.D[k]; !ok || w != v {
			return false
		}
	}
	if (r.F == nil) != (s.F == nil) {
		return false
	}
	return r.F == nil || r.F.equal(*s.F)
}

// valueBuilder turns fuzz bytes into a value of the generic model.
type valueBuilder struct {
	data []byte
	made []any // values made so far, for shared references
}

func (b *valueBuilder) byte() byte {
	if len(b.data) == 0 {
		return 0
	}
	c := b.data[0]
	b.data = b.data[1:]
	return c
}

func (b *valueBuilder) bytes(n int) []byte {
	n = min(n, len(b.data))
	out := append([]byte(nil), b.data[:n]...)
	b.data = b.data[n:]
	return out
}

func (b *valueBuilder) uint64() uint64 {
	var buf [8]byte
	copy(buf[:], b.bytes(8))
	return binary.LittleEndian.Uint64(buf[:])
}

func (b *valueBuilder) text() string {
	s := string(b.bytes(int(b.byte() % 16)))
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}

// value builds one value; containers hold up to 7 items, nesting stops at 8.
func (b *valueBuilder) value(depth int) any {
	kind := b.byte()
	if depth > 8 {
		kind %= 9 // scalars only
	}
	var v any
	switch kind % 21 {
	case 0:
		v = nil
	case 1:
		v = kind&0x80 != 0
	case 2:
		v = int64(b.uint64())
	case 3:
		v = int64(int8(b.byte()))
	case 4:
		x := new(big.Int).SetBytes(b.bytes(int(b.byte()%24) + 9))
		if kind&0x80 != 0 {
			x.Neg(x)
		}
		v = bigIntOrInt64(x)
	case 5:
		v = math.Float64frombits(b.uint64())
	case 6:
		v = complex(math.Float64frombits(b.uint64()), math.Float64frombits(b.uint64()))
	case 7:
		v = b.text()
	case 8:
		v = b.bytes(int(b.byte() % 16))
	case 9:
		l := NewList()
		b.made = append(b.made, l)
		for range b.byte() % 8 {
			l.Append(b.value(depth + 1))
		}
		if kind&0x80 != 0 {
			l.Append(l) // a cycle
		}
		return l
	case 10:
		n := int(b.byte() % 8)
		tup := make(Tuple, 0, n)
		for range n {
			tup = append(tup, b.value(depth+1))
		}
		v = tup
	case 11:
		d := NewDict()
		b.made = append(b.made, d)
		for range b.byte() % 8 {
			if err := d.Set(b.key(depth+1), b.value(depth+1)); err != nil {
				panic(err) // key() makes hashable keys only
			}
		}
		return d
	case 12, 13:
		members := make([]any, 0, 8)
		for range b.byte() % 8 {
			members = append(members, b.key(depth+1))
		}
		if kind%21 == 12 {
			s, err := NewSet(members...)
			if err != nil {
				panic(err)
			}
			v = s
		} else {
			s, err := NewFrozenSet(members...)
			if err != nil {
				panic(err)
			}
			v = s
		}
	case 14:
		v = &ByteArray{Bytes: b.bytes(int(b.byte() % 16))}
	case 15:
		if len(b.made) > 0 {
			return b.made[int(b.byte())%len(b.made)] // a shared reference
		}
		v = nil
	case 16:
		v = Global{Module: "builtins", Name: []string{"set", "list", "dict", "object", "tuple"}[b.byte()%5]}
	case 17:
		v = float64(int8(b.byte())) / 4
	case 18:
		v = strings.Repeat(b.text(), int(b.byte()%4))
	case 19:
		v = "\xed\xa0\x80" + b.text() // a lone surrogate, as CPython's surrogatepass writes it
	case 20:
		v = math.Copysign(0, -1)
	}
	b.made = append(b.made, v)
	return v
}

// key builds a hashable value: a scalar, a tuple of keys or a frozenset.
func (b *valueBuilder) key(depth int) any {
	switch k := b.byte() % 10; {
	case k < 6 || depth > 6:
		for {
			v := b.value(9) // scalars only
			if _, err := hashKey(v); err == nil {
				return v
			}
		}
	case k < 8:
		n := int(b.byte() % 4)
		t := make(Tuple, 0, n)
		for range n {
			t = append(t, b.key(depth+1))
		}
		return t
	default:
		members := make([]any, 0, 4)
		for range b.byte() % 4 {
			members = append(members, b.key(depth+1))
		}
		s, err := NewFrozenSet(members...)
		if err != nil {
			panic(err)
		}
		return s
	}
}

// record builds a fuzzSmallRecord.
func (b *valueBuilder) record() fuzzSmallRecord {
	r := fuzzSmallRecord{A: int64(b.uint64()), B: b.text(), E: b.bytes(int(b.byte() % 8))}
	for range b.byte() % 4 {
		r.C = append(r.C, math.Float64frombits(b.uint64()))
	}
	if n := b.byte() % 4; n > 0 {
		r.D = map[string]int32{}
		for range n {
			r.D[b.text()] = int32(b.uint64())
		}
	}
	if b.byte()%3 == 0 && len(b.data) > 0 {
		next := b.record()
		r.F = &next
	}
	return r
}
