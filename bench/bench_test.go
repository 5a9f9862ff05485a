package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/go-pickle/pickle/bench/workload"
)

// BenchmarkWorkloads runs every Go case as a standard benchmark, named
// workload/op/side-variant, for profiling one case at a time:
//
//	go test -run '^$' -bench 'Workloads/W2/decode/go-pickle-typed' -cpuprofile cpu.out
//
// (cmd/benchall is the comparison with CPython and the table.) The decode
// cases need python3, which writes the input pickle.
func BenchmarkWorkloads(b *testing.B) {
	for _, name := range workload.Names() {
		b.Run(name, func(b *testing.B) {
			w := workload.ByName(name)
			b.Run("encode", func(b *testing.B) { runCases(b, w, nil, "encode") })
			b.Run("decode", func(b *testing.B) {
				runCases(b, w, pythonPickle(b, name), "decode")
			})
		})
	}
}

// runCases checks the cases of w for op and runs the Go ones.
func runCases(b *testing.B, w *workload.Workload, py4 []byte, op string) {
	cases, err := Cases(w, py4, op)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cases {
		if c.Bench != nil {
			b.Run(c.BenchName(), c.Bench)
		}
	}
}

// pythonPickle returns CPython's protocol-4 pickle of the named workload,
// written by cpython_bench.py. Without python3 it skips, unless
// PICKLE_REQUIRE_PYTHON=1 is set, when it fails.
func pythonPickle(tb testing.TB, name string) []byte {
	tb.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("PICKLE_REQUIRE_PYTHON") == "1" {
			tb.Fatal("python3 not found and PICKLE_REQUIRE_PYTHON=1")
		}
		tb.Skip("python3 not found: the decode cases need CPython's pickle as input")
	}
	dir := tb.TempDir()
	out, err := exec.Command(python, "cpython_bench.py", "write", dir, name).CombinedOutput()
	if err != nil {
		tb.Fatalf("cpython_bench.py write: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, name+".py4.pickle"))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// TestCases builds the cases of the smaller workloads, which runs every
// check: Go's data equals CPython's (decoding CPython's pickle into the
// typed value), each encoder's output decodes back to the data, and each
// decoder, ours and the peers', gives back the data.
func TestCases(t *testing.T) {
	for _, name := range []string{"W1", "W5", "W7"} {
		t.Run(name, func(t *testing.T) {
			w := workload.ByName(name)
			cases, err := Cases(w, pythonPickle(t, name))
			if err != nil {
				t.Fatal(err)
			}
			if len(cases) == 0 {
				t.Fatal("no cases")
			}
		})
	}
}
