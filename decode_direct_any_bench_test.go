package pickle

import (
	"os"
	"testing"
)

// BenchmarkDecodeAnyW1 decodes the bench's W1 record (CPython's protocol-4
// pickle of one ten-field dict) into an `any`, the case of issue 7.
func BenchmarkDecodeAnyW1(b *testing.B) {
	data, err := os.ReadFile("bench/testdata/W1.py4.pickle")
	if err != nil {
		b.Skip(err)
	}
	benchDecodeAny(b, data)
}

// benchDecodeAny times Unmarshal of data into an `any`.
func benchDecodeAny(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var v any
		if err := Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeAnyWorkload decodes into an `any` the workloads whose
// pickles cpython_bench.py wrote into $PICKLE_WORKLOADS (skipped without).
func BenchmarkDecodeAnyWorkload(b *testing.B) {
	dir := os.Getenv("PICKLE_WORKLOADS")
	if dir == "" {
		b.Skip("PICKLE_WORKLOADS not set")
	}
	for _, name := range []string{"W2", "W3", "W5", "W6", "W7"} {
		data, err := os.ReadFile(dir + "/" + name + ".py4.pickle")
		if err != nil {
			continue
		}
		b.Run(name, func(b *testing.B) { benchDecodeAny(b, data) })
	}
}
