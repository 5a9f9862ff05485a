package bench

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"reflect"
	"testing"

	"github.com/go-pickle/pickle"
	"github.com/go-pickle/pickle/bench/workload"
)

// The regression guard: allocations per operation on a few fast paths,
// checked against ceilings. Allocation counts are deterministic for a given
// input and Go version, so they can be asserted on; times cannot, and are
// never asserted here. Run with: go test -run Guard ./...
//
// Each ceiling is the count measured when it was set (noted beside it) plus
// some headroom; lower a ceiling when the library gets leaner, and raise one
// only with a reason in the commit message.

// guardFloats is the size of the float list of the []float64 guards: large
// enough that per-item allocations dominate any constant overhead.
const guardFloats = 10_000

// floatListPickle returns the protocol-2 pickle CPython writes for a list
// of floats: EMPTY_LIST, BINPUT 0, then batches of up to 1000 items (MARK,
// BINFLOATs, APPENDS; a batch of one is BINFLOAT, APPEND), STOP.
// TestGuardInputsMatchCPython checks it against pickle.dumps.
func floatListPickle(xs []float64) []byte {
	out := []byte{0x80, 2, ']', 'q', 0}
	for len(xs) > 0 {
		n := min(len(xs), 1000)
		if n > 1 {
			out = append(out, '(')
		}
		for _, x := range xs[:n] {
			out = append(out, 'G')
			out = binary.BigEndian.AppendUint64(out, math.Float64bits(x))
		}
		if n > 1 {
			out = append(out, 'e')
		} else {
			out = append(out, 'a')
		}
		xs = xs[n:]
	}
	return append(out, '.')
}

// guardData returns the inputs of the guards: the W1 record, CPython's
// protocol-4 pickle of it (testdata/W1.py4.pickle), the first guardFloats
// floats of W3 and their protocol-2 pickle.
func guardData(t *testing.T) (rec workload.Record, recPickle []byte, floats []float64, floatsPickle []byte) {
	t.Helper()
	recPickle, err := os.ReadFile("testdata/W1.py4.pickle")
	if err != nil {
		t.Fatal(err)
	}
	floats = workload.W3()[:guardFloats]
	return workload.W1(), recPickle, floats, floatListPickle(floats)
}

// checkAllocs measures f with testing.AllocsPerRun and fails above ceiling.
func checkAllocs(t *testing.T, what string, ceiling float64, f func()) {
	t.Helper()
	got := testing.AllocsPerRun(20, f)
	t.Logf("%s: %.0f allocs/op (ceiling %.0f)", what, got, ceiling)
	if got > ceiling {
		t.Errorf("%s: %.0f allocations per op, above the ceiling of %.0f", what, got, ceiling)
	}
}

func TestGuardDecodeRecord(t *testing.T) {
	rec, data, _, _ := guardData(t)
	var got workload.Record
	if err := pickle.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rec) {
		t.Fatalf("decoded %+v, want %+v", got, rec)
	}
	// Ceiling 8, set from 6 measured (go1.26, after the direct decoder):
	// the 2 slices, the map, and the chunk its 13 strings are made in. The
	// general two-pass decoder, if the direct one gave up, makes 35.
	checkAllocs(t, "decode W1 record into struct", 8, func() {
		var r workload.Record
		if err := pickle.Unmarshal(data, &r); err != nil {
			t.Fatal(err)
		}
	})
}

func TestGuardDecodeFloats(t *testing.T) {
	_, _, floats, data := guardData(t)
	var got []float64
	if err := pickle.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, floats) {
		t.Fatal("decoded floats differ from the data")
	}
	// Ceiling 4, set from 2 measured (go1.26, after the direct decoder): a
	// count that grows with the list (one allocation per float) would be in
	// the thousands.
	checkAllocs(t, "decode 10,000 floats into []float64", 4, func() {
		var xs []float64
		if err := pickle.Unmarshal(data, &xs); err != nil {
			t.Fatal(err)
		}
	})
}

// TestGuardInputsMatchCPython checks that the guards' inputs are what
// CPython writes: testdata/W1.py4.pickle is cpython_bench.py's pickle of
// W1, and floatListPickle matches pickle.dumps(floats, 2).
func TestGuardInputsMatchCPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("PICKLE_REQUIRE_PYTHON") == "1" {
			t.Fatal("python3 not found and PICKLE_REQUIRE_PYTHON=1")
		}
		t.Skip("python3 not found: cannot compare the guard inputs with CPython's pickles")
	}
	_, recPickle, _, floatsPickle := guardData(t)
	if got := pythonPickle(t, "W1"); !bytes.Equal(got, recPickle) {
		t.Error("testdata/W1.py4.pickle is not what cpython_bench.py writes for W1 now; regenerate it")
	}
	script := `import pickle, sys, cpython_bench as c
r = c.Rng(3)
sys.stdout.buffer.write(pickle.dumps([r.float() for _ in range(` + "10_000" + `)], 2))`
	if guardFloats != 10_000 {
		t.Fatal("update the script above to guardFloats")
	}
	want, err := exec.Command(python, "-c", script).Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	if !bytes.Equal(floatsPickle, want) {
		t.Error("floatListPickle differs from CPython's pickle.dumps(floats, 2)")
	}
}

func TestGuardEncodeRecord(t *testing.T) {
	rec, _, _, _ := guardData(t)
	out, err := pickle.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var back workload.Record
	if err := pickle.Unmarshal(out, &back); err != nil || !reflect.DeepEqual(back, rec) {
		t.Fatalf("round trip: %v, %+v", err, back)
	}
	// Ceiling 4, set from 2 measured (go1.26, after the compiled struct
	// writers): the output, and the pooled encoder when the GC emptied the
	// pool. It was 14 before the struct writers.
	checkAllocs(t, "encode W1 record", 4, func() {
		if _, err := pickle.Marshal(rec); err != nil {
			t.Fatal(err)
		}
	})
}

func TestGuardEncodeFloats(t *testing.T) {
	_, _, floats, _ := guardData(t)
	out, err := pickle.Marshal(floats)
	if err != nil {
		t.Fatal(err)
	}
	var back []float64
	if err := pickle.Unmarshal(out, &back); err != nil || !reflect.DeepEqual(back, floats) {
		t.Fatalf("round trip: %v", err)
	}
	// Ceiling 4, set from 2 measured (go1.26, after the slice fast paths):
	// the output and the encoder's state, nothing per float.
	checkAllocs(t, "encode 10,000 floats from []float64", 4, func() {
		if _, err := pickle.Marshal(floats); err != nil {
			t.Fatal(err)
		}
	})
}

func TestGuardDecodeRecords(t *testing.T) {
	recs := workload.W2()[:100]
	data, err := pickle.Marshal(recs) // byte for byte what CPython writes for them
	if err != nil {
		t.Fatal(err)
	}
	var got []workload.Record
	if err := pickle.Unmarshal(data, &got); err != nil || !reflect.DeepEqual(got, recs) {
		t.Fatalf("decoding 100 W2 records: %v", err)
	}
	// Ceiling 300, set from 230 measured (go1.26, after short slices were
	// cut from shared chunks): about 2 per record (the map, a share of the
	// chunks). The general decoder makes about 1,800.
	checkAllocs(t, "decode 100 W2 records into []Record", 300, func() {
		var rs []workload.Record
		if err := pickle.Unmarshal(data, &rs); err != nil {
			t.Fatal(err)
		}
	})
}

func TestGuardDecodeAny(t *testing.T) {
	_, recPickle, _, floatsPickle := guardData(t)
	// Ceiling 9, set from 7 measured (go1.26, after numbers and short strs
	// shared one unscanned chunk): the chunks of lists, dicts and boxed
	// values. The general decoder makes 82.
	checkAllocs(t, "decode W1 record into any", 9, func() {
		var v any
		if err := pickle.Unmarshal(recPickle, &v); err != nil {
			t.Fatal(err)
		}
	})
	// Ceiling 18, set from 13 measured: the list and chunks of boxed
	// floats; one allocation per float would be 10,000.
	checkAllocs(t, "decode 10,000 floats into any", 18, func() {
		var v any
		if err := pickle.Unmarshal(floatsPickle, &v); err != nil {
			t.Fatal(err)
		}
	})
}

func TestGuardEncodeRecords(t *testing.T) {
	recs := workload.W2()[:100]
	out, err := pickle.Marshal(recs)
	if err != nil {
		t.Fatal(err)
	}
	var back []workload.Record
	if err := pickle.Unmarshal(out, &back); err != nil || !reflect.DeepEqual(back, recs) {
		t.Fatalf("round trip: %v", err)
	}
	// Ceiling 6, set from 2 measured (go1.26, after the compiled struct
	// writers): the output and pooled state, nothing per record (it was 8
	// per record, 800, before them).
	checkAllocs(t, "encode 100 W2 records", 6, func() {
		if _, err := pickle.Marshal(recs); err != nil {
			t.Fatal(err)
		}
	})
}
