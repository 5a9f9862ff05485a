// Package bench measures go-pickle against its peers on the workloads of
// package workload: og-rek (pickle encode and decode), gopickle (pickle
// decode), encoding/json, msgpack and CBOR, and CPython's C pickle module
// through cpython_bench.py. See docs/performance.md; cmd/benchall runs
// everything and prints the table.
package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-pickle/pickle"
	"github.com/go-pickle/pickle/bench/workload"
	ogorek "github.com/kisielk/og-rek"
	gopickle "github.com/nlpodyssey/gopickle/pickle"
	"github.com/vmihailenco/msgpack/v5"
)

// Sides of the comparison.
const (
	Ours     = "go-pickle"
	OgRek    = "og-rek"
	GoPickle = "gopickle"
	JSON     = "encoding/json"
	Msgpack  = "msgpack"
	CBOR     = "cbor"
	CPython  = "cpython"
	Copy     = "copy"
)

// Protocols measured for pickle encoders.
var Protocols = []int{2, 4, 5}

// A Case is one measured operation on one workload by one side.
type Case struct {
	Workload string
	Op       string // "encode" or "decode"
	Side     string
	Variant  string // "p2", "p4", "p5" (encode); "typed" or "any" (decode)
	Bytes    int64  // size of the output (encode) or input (decode)
	// Bench is the Go benchmark; nil for CPython, timed by PyCommand.
	Bench func(b *testing.B)
	// PyCommand is the cpython_bench.py serve command, without the time.
	PyCommand string
}

// Name is "op side variant", e.g. "decode go-pickle typed".
func (c *Case) Name() string {
	if c.Variant == "" {
		return c.Op + " " + c.Side
	}
	return c.Op + " " + c.Side + " " + c.Variant
}

// BenchName is the sub-benchmark name of the case below its op: the side
// and variant, without slashes ("go-pickle-typed", "json-any").
func (c *Case) BenchName() string {
	side := strings.TrimPrefix(c.Side, "encoding/")
	if c.Variant == "" {
		return side
	}
	return side + "-" + c.Variant
}

// Ref is the Name of our case a peer is compared with: the same protocol
// for pickle encoders, protocol 4 (the default) for the other formats, the
// same kind of target for decoders (CPython's loads builds generic values,
// so it is compared with our decoding into any).
func (c *Case) Ref() string {
	switch {
	case c.Op == "encode" && (c.Side == Ours || c.Side == OgRek || c.Side == CPython):
		return "encode " + Ours + " " + c.Variant
	case c.Op == "encode":
		return "encode " + Ours + " p4"
	case c.Variant == "typed":
		return "decode " + Ours + " typed"
	default:
		return "decode " + Ours + " any"
	}
}

// Cases returns the cases of workload w for the given ops ("encode",
// "decode"; none means both), each checked: every encoder's output decodes
// back to the data and every decoder's result equals the data. py4 is
// CPython's protocol-4 pickle of the workload, the input of every pickle
// decoder. An error names the case that failed its check.
func Cases(w *workload.Workload, py4 []byte, ops ...string) ([]*Case, error) {
	want, err := canon(w.Value)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", w.Name, err)
	}
	var makers []func() (*Case, error)
	if len(ops) == 0 || slices.Contains(ops, "encode") {
		for _, p := range Protocols {
			makers = append(makers,
				func() (*Case, error) { return oursEncode(w, p) },
				func() (*Case, error) { return ogrekEncode(w, p) },
				func() (*Case, error) { return cpythonEncode(w, p) })
		}
		for _, f := range otherFormats {
			makers = append(makers, func() (*Case, error) { return f.encode(w) })
		}
		if _, ok := w.Value.([]byte); ok {
			makers = append(makers, func() (*Case, error) { return copyBaseline(w, "encode", "") })
		}
	}
	if len(ops) == 0 || slices.Contains(ops, "decode") {
		makers = append(makers,
			func() (*Case, error) { return oursDecodeTyped(w, py4) },
			func() (*Case, error) { return oursDecodeAny(py4, want) },
			func() (*Case, error) { return ogrekDecode(py4, want) },
			func() (*Case, error) { return gopickleDecode(py4, want) },
			func() (*Case, error) { return cpythonDecode(w, py4) })
		for _, f := range otherFormats {
			makers = append(makers,
				func() (*Case, error) { return f.decodeTyped(w) },
				func() (*Case, error) { return f.decodeAny(w, want) })
		}
		if _, ok := w.Value.([]byte); ok {
			makers = append(makers, func() (*Case, error) { return copyBaseline(w, "decode", "typed") })
		}
	}
	var cases []*Case
	for _, mk := range makers {
		c, err := mk()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v", w.Name, c.Name(), err)
		}
		c.Workload = w.Name
		cases = append(cases, c)
	}
	return cases, nil
}

// checkTyped decodes data with unmarshal into a fresh target of w's type and
// compares the result with the data.
func checkTyped(w *workload.Workload, data []byte, unmarshal func([]byte, any) error) error {
	target := w.NewTarget()
	if err := unmarshal(data, target); err != nil {
		return err
	}
	if got := reflect.ValueOf(target).Elem().Interface(); !reflect.DeepEqual(got, w.Value) {
		c1, _ := canon(got)
		c2, _ := canon(w.Value)
		return fmt.Errorf("decoded value differs from the data (%s)", firstDiff(c1, c2, "$"))
	}
	return nil
}

// pickleUnmarshal is our Unmarshal with no options.
func pickleUnmarshal(data []byte, v any) error { return pickle.Unmarshal(data, v) }

// oursEncode is pickle.Marshal at protocol p, checked by decoding its output
// into the typed value.
func oursEncode(w *workload.Workload, p int) (*Case, error) {
	c := &Case{Op: "encode", Side: Ours, Variant: fmt.Sprintf("p%d", p)}
	v := w.Value
	out, err := pickle.Marshal(v, pickle.Protocol(p))
	if err != nil {
		return c, err
	}
	if err := checkTyped(w, out, pickleUnmarshal); err != nil {
		return c, fmt.Errorf("its output does not decode back: %v", err)
	}
	c.Bytes = int64(len(out))
	c.Bench = func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(c.Bytes)
		for i := 0; i < b.N; i++ {
			if _, err := pickle.Marshal(v, pickle.Protocol(p)); err != nil {
				b.Fatal(err)
			}
		}
	}
	return c, nil
}

// ogrekValue is w's value as og-rek needs it: og-rek writes a []byte as a
// bytearray, and wants ogorek.Bytes for bytes (converted once, untimed).
func ogrekValue(w *workload.Workload) any {
	if b, ok := w.Value.([]byte); ok {
		return ogorek.Bytes(b)
	}
	return w.Value
}

// ogrekEncode is og-rek's Encoder at protocol p, with StrictUnicode so that
// Go strings are written as Python 3 str at every protocol, as we do.
func ogrekEncode(w *workload.Workload, p int) (*Case, error) {
	c := &Case{Op: "encode", Side: OgRek, Variant: fmt.Sprintf("p%d", p)}
	v := ogrekValue(w)
	cfg := &ogorek.EncoderConfig{Protocol: p, StrictUnicode: true}
	encode := func() ([]byte, error) {
		var buf bytes.Buffer
		err := ogorek.NewEncoderWithConfig(&buf, cfg).Encode(v)
		return buf.Bytes(), err
	}
	out, err := encode()
	if err != nil {
		return c, err
	}
	if err := checkTyped(w, out, pickleUnmarshal); err != nil {
		return c, fmt.Errorf("its output does not decode back (with go-pickle): %v", err)
	}
	c.Bytes = int64(len(out))
	c.Bench = func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(c.Bytes)
		for i := 0; i < b.N; i++ {
			if _, err := encode(); err != nil {
				b.Fatal(err)
			}
		}
	}
	return c, nil
}

// cpythonEncode is pickle.dumps at protocol p, timed by cpython_bench.py
// (which checks its own round trip). Bytes is filled in by the driver.
func cpythonEncode(w *workload.Workload, p int) (*Case, error) {
	return &Case{Op: "encode", Side: CPython, Variant: fmt.Sprintf("p%d", p),
		PyCommand: fmt.Sprintf("dumps %s %d", w.Name, p)}, nil
}

// cpythonDecode is pickle.loads of the protocol-4 pickle.
func cpythonDecode(w *workload.Workload, py4 []byte) (*Case, error) {
	return &Case{Op: "decode", Side: CPython, Bytes: int64(len(py4)),
		PyCommand: "loads " + w.Name}, nil
}

// oursDecodeTyped is Unmarshal of CPython's pickle into the typed value.
func oursDecodeTyped(w *workload.Workload, py4 []byte) (*Case, error) {
	c := &Case{Op: "decode", Side: Ours, Variant: "typed", Bytes: int64(len(py4))}
	if err := checkTyped(w, py4, pickleUnmarshal); err != nil {
		return c, err
	}
	c.Bench = func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(c.Bytes)
		for i := 0; i < b.N; i++ {
			if err := pickle.Unmarshal(py4, w.NewTarget()); err != nil {
				b.Fatal(err)
			}
		}
	}
	return c, nil
}

// oursDecodeAny is Unmarshal of CPython's pickle into an `any`.
func oursDecodeAny(py4 []byte, want any) (*Case, error) {
	c := &Case{Op: "decode", Side: Ours, Variant: "any", Bytes: int64(len(py4))}
	var got any
	if err := pickle.Unmarshal(py4, &got); err != nil {
		return c, err
	}
	if err := sameCanon(got, want); err != nil {
		return c, err
	}
	c.Bench = func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(c.Bytes)
		for i := 0; i < b.N; i++ {
			var v any
			if err := pickle.Unmarshal(py4, &v); err != nil {
				b.Fatal(err)
			}
		}
	}
	return c, nil
}

// ogrekDecode is og-rek's Decoder on CPython's pickle (generic values; dicts
// as map[any]any, its default).
func ogrekDecode(py4 []byte, want any) (*Case, error) {
	c := &Case{Op: "decode", Side: OgRek, Variant: "any", Bytes: int64(len(py4))}
	decode := func() (any, error) { return ogorek.NewDecoder(bytes.NewReader(py4)).Decode() }
	got, err := decode()
	if err != nil {
		return c, err
	}
	if err := sameCanon(got, want); err != nil {
		return c, err
	}
	c.Bench = func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(c.Bytes)
		for i := 0; i < b.N; i++ {
			if _, err := decode(); err != nil {
				b.Fatal(err)
			}
		}
	}
	return c, nil
}

// gopickleDecode is gopickle's Unpickler on CPython's pickle.
func gopickleDecode(py4 []byte, want any) (*Case, error) {
	c := &Case{Op: "decode", Side: GoPickle, Variant: "any", Bytes: int64(len(py4))}
	decode := func() (any, error) {
		u := gopickle.NewUnpickler(bytes.NewReader(py4))
		return u.Load()
	}
	got, err := decode()
	if err != nil {
		return c, err
	}
	if err := sameCanon(got, want); err != nil {
		return c, err
	}
	c.Bench = func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(c.Bytes)
		for i := 0; i < b.N; i++ {
			if _, err := decode(); err != nil {
				b.Fatal(err)
			}
		}
	}
	return c, nil
}

// format is a non-pickle serialization format, measured on its own
// encoding of the same data.
type format struct {
	side      string
	marshal   func(any) ([]byte, error)
	unmarshal func([]byte, any) error
	flavour   func(any) any // the canonical form of its generic decoding
}

var otherFormats = []format{
	{JSON, json.Marshal, json.Unmarshal, jsonFlavour},
	{Msgpack, msgpack.Marshal, msgpack.Unmarshal, nil},
	{CBOR, cbor.Marshal, cborDecMode.Unmarshal, nil},
}

// cborDecMode is CBOR's default decoding with the array and map size
// limits raised to their maximum: the defaults (131,072) refuse W3 and W6.
var cborDecMode = func() cbor.DecMode {
	dm, err := cbor.DecOptions{MaxArrayElements: 1<<31 - 1, MaxMapPairs: 1<<31 - 1}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}()

func (f format) encode(w *workload.Workload) (*Case, error) {
	c := &Case{Op: "encode", Side: f.side}
	out, err := f.marshal(w.Value)
	if err != nil {
		return c, err
	}
	if err := checkTyped(w, out, f.unmarshal); err != nil {
		return c, fmt.Errorf("its output does not decode back: %v", err)
	}
	c.Bytes = int64(len(out))
	c.Bench = func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(c.Bytes)
		for i := 0; i < b.N; i++ {
			if _, err := f.marshal(w.Value); err != nil {
				b.Fatal(err)
			}
		}
	}
	return c, nil
}

func (f format) decodeTyped(w *workload.Workload) (*Case, error) {
	c := &Case{Op: "decode", Side: f.side, Variant: "typed"}
	data, err := f.marshal(w.Value)
	if err != nil {
		return c, err
	}
	if err := checkTyped(w, data, f.unmarshal); err != nil {
		return c, err
	}
	c.Bytes = int64(len(data))
	c.Bench = func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(c.Bytes)
		for i := 0; i < b.N; i++ {
			if err := f.unmarshal(data, w.NewTarget()); err != nil {
				b.Fatal(err)
			}
		}
	}
	return c, nil
}

func (f format) decodeAny(w *workload.Workload, want any) (*Case, error) {
	c := &Case{Op: "decode", Side: f.side, Variant: "any"}
	data, err := f.marshal(w.Value)
	if err != nil {
		return c, err
	}
	if f.flavour != nil {
		want = f.flavour(want)
	}
	var got any
	if err := f.unmarshal(data, &got); err != nil {
		return c, err
	}
	if err := sameCanon(got, want); err != nil {
		return c, err
	}
	c.Bytes = int64(len(data))
	c.Bench = func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(c.Bytes)
		for i := 0; i < b.N; i++ {
			var v any
			if err := f.unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
		}
	}
	return c, nil
}

// copyBaseline is the floor for a workload of bytes (W4): a plain copy of
// the bytes into a new slice (bytes.Clone), what any encoder or decoder that
// returns its own memory must at least do.
func copyBaseline(w *workload.Workload, op, variant string) (*Case, error) {
	src := w.Value.([]byte)
	c := &Case{Op: op, Side: Copy, Variant: variant, Bytes: int64(len(src))}
	if !bytes.Equal(bytes.Clone(src), src) {
		return c, fmt.Errorf("bytes.Clone differs from its input")
	}
	c.Bench = func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(c.Bytes)
		for i := 0; i < b.N; i++ {
			sink = bytes.Clone(src)
		}
	}
	return c, nil
}

// sink keeps benchmark results alive.
var sink []byte
