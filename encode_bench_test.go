package pickle

import (
	"fmt"
	"testing"
)

type benchRecord struct {
	ID    int64             `pickle:"id"`
	Name  string            `pickle:"name"`
	Score float64           `pickle:"score"`
	Tags  []string          `pickle:"tags"`
	Attrs map[string]string `pickle:"attrs"`
}

func benchRecords(n int) []benchRecord {
	out := make([]benchRecord, n)
	for i := range out {
		out[i] = benchRecord{ID: int64(i), Name: fmt.Sprintf("name-%d", i), Score: float64(i) / 3,
			Tags: []string{"a", "b"}, Attrs: map[string]string{"k": "v", "x": fmt.Sprint(i)}}
	}
	return out
}

func BenchmarkMarshalRecords(b *testing.B) {
	recs := benchRecords(1000)
	out, _ := Marshal(recs)
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Marshal(recs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalModel(b *testing.B) {
	l := NewList()
	for i := 0; i < 1000; i++ {
		l.Append(mustDict("id", int64(i), "name", fmt.Sprintf("n%d", i), "vals", NewList(1.5, int64(2), "x")))
	}
	out, _ := Marshal(l)
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Marshal(l); err != nil {
			b.Fatal(err)
		}
	}
}
