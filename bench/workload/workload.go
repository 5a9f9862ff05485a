// Package workload generates the benchmark data sets, deterministically and
// exactly as cpython_bench.py generates them in Python, so that every side
// of the comparison encodes and decodes the same values.
//
// Both generators draw from one splitmix64 stream per workload (seeded by
// the workload number) and turn the draws into values with integer
// arithmetic only; the floats are k/1024 for an integer k below 2**53, which
// both languages compute exactly. Any change here must be made in
// cpython_bench.py too; the benchmark driver checks the two agree (each side
// decodes the other's pickle and compares) before it times anything.
package workload

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"reflect"
)

// Record is the record of W1 and W2: ten fields of the usual kinds. In
// Python it is a dict with these keys, in this order.
type Record struct {
	ID      int64             `pickle:"id" json:"id" msgpack:"id" cbor:"id"`
	Name    string            `pickle:"name" json:"name" msgpack:"name" cbor:"name"`
	Email   string            `pickle:"email" json:"email" msgpack:"email" cbor:"email"`
	Active  bool              `pickle:"active" json:"active" msgpack:"active" cbor:"active"`
	Score   float64           `pickle:"score" json:"score" msgpack:"score" cbor:"score"`
	Balance float64           `pickle:"balance" json:"balance" msgpack:"balance" cbor:"balance"`
	Age     int64             `pickle:"age" json:"age" msgpack:"age" cbor:"age"`
	Tags    []string          `pickle:"tags" json:"tags" msgpack:"tags" cbor:"tags"`
	Counts  []int64           `pickle:"counts" json:"counts" msgpack:"counts" cbor:"counts"`
	Attrs   map[string]string `pickle:"attrs" json:"attrs" msgpack:"attrs" cbor:"attrs"`
}

// Sizes of the workloads.
const (
	W2Records = 10_000
	W3Floats  = 1_000_000
	W4Bytes   = 16 << 20
	W5Keys    = 100_000
	W6Ints    = 1_000_000
	W7Strings = 100_000
)

// Workload is one data set: its typed Go value and a way to make a fresh
// target of the same type.
type Workload struct {
	Name  string // "W1" .. "W7"
	Desc  string // what it is, for the table
	Value any    // the typed Go value (Record, []Record, []float64, ...)
}

// NewTarget returns a pointer to a new zero value of the workload's type,
// for decoding into.
func (w *Workload) NewTarget() any {
	return reflect.New(reflect.TypeOf(w.Value)).Interface()
}

// generators lists the workloads in order, with their descriptions.
var generators = []struct {
	name, desc string
	gen        func() any
}{
	{"W1", "one record (10 fields)", func() any { return W1() }},
	{"W2", "list of 10,000 records", func() any { return W2() }},
	{"W3", "1,000,000 float64", func() any { return W3() }},
	{"W4", "16 MiB byte string", func() any { return W4() }},
	{"W5", "dict of 100,000 str -> int64", func() any { return W5() }},
	{"W6", "1,000,000 small ints", func() any { return W6() }},
	{"W7", "100,000 short strings", func() any { return W7() }},
}

// Names returns the workload names in order.
func Names() []string {
	var out []string
	for _, g := range generators {
		out = append(out, g.name)
	}
	return out
}

// ByName generates the named workload ("W1" .. "W7"); nil if there is none.
func ByName(name string) *Workload {
	for _, g := range generators {
		if g.name == name {
			return &Workload{Name: g.name, Desc: g.desc, Value: g.gen()}
		}
	}
	return nil
}

// rng is splitmix64.
type rng struct{ state uint64 }

func newRNG(seed uint64) *rng { return &rng{state: seed} }

// next returns the next 64-bit draw.
func (r *rng) next() uint64 {
	r.state += 0x9E3779B97F4A7C15
	z := r.state
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// below returns a draw in [0, n).
func (r *rng) below(n uint64) uint64 { return r.next() % n }

// alphabet has 60 ASCII characters (a-z, A-Z, 0-7) and 4 non-ASCII ones
// (2- and 3-byte UTF-8), so that about one character in sixteen is outside
// ASCII.
var alphabet = []rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234567éü中€")

// str returns a string of min..max characters (inclusive).
func (r *rng) str(min, max uint64) string {
	n := min + r.below(max-min+1)
	out := make([]rune, n)
	for i := range out {
		out[i] = alphabet[r.below(uint64(len(alphabet)))]
	}
	return string(out)
}

// float returns k/1024 for a signed k of up to 52 bits: exact in float64.
func (r *rng) float() float64 {
	k := int64(r.next()>>12) - (1 << 51)
	return float64(k) / 1024
}

var attrKeys = [3]string{"color", "size", "origin"}

// record returns record number i drawn from r. The draws are made one
// statement at a time, in the order cpython_bench.py makes them.
func (r *rng) record(i int64) Record {
	var rec Record
	rec.ID = 1_000_000 + 7*i
	rec.Name = r.str(5, 16)
	rec.Email = rec.Name + "@example.com"
	rec.Active = r.next()&1 == 1
	rec.Score = float64(r.below(1<<20)) / 1024
	rec.Balance = r.float()
	rec.Age = 18 + int64(r.below(80))
	rec.Tags = make([]string, 5)
	for j := range rec.Tags {
		rec.Tags[j] = r.str(3, 8)
	}
	rec.Counts = make([]int64, 8)
	for j := range rec.Counts {
		rec.Counts[j] = int64(r.below(100_000))
	}
	rec.Attrs = make(map[string]string, len(attrKeys))
	for _, k := range attrKeys {
		rec.Attrs[k] = r.str(2, 10)
	}
	return rec
}

// W1 is one record.
func W1() Record { return newRNG(1).record(0) }

// W2 is a list of 10,000 records.
func W2() []Record {
	r := newRNG(2)
	out := make([]Record, W2Records)
	for i := range out {
		out[i] = r.record(int64(i))
	}
	return out
}

// W3 is 1,000,000 float64.
func W3() []float64 {
	r := newRNG(3)
	out := make([]float64, W3Floats)
	for i := range out {
		out[i] = r.float()
	}
	return out
}

// W4 is a 16 MiB byte string: SHA-256 in counter mode (block i is the
// digest of "w4" followed by i as 8 little-endian bytes).
func W4() []byte {
	out := make([]byte, 0, W4Bytes)
	var in [10]byte
	copy(in[:], "w4")
	for i := uint64(0); len(out) < W4Bytes; i++ {
		binary.LittleEndian.PutUint64(in[2:], i)
		sum := sha256.Sum256(in[:])
		out = append(out, sum[:]...)
	}
	return out
}

// W5 is a dict of 100,000 distinct str keys ("k" + number + a random
// suffix) to int64 values of up to 47 bits, either sign.
func W5() map[string]int64 {
	r := newRNG(5)
	out := make(map[string]int64, W5Keys)
	for i := 0; i < W5Keys; i++ {
		key := fmt.Sprintf("k%d_%s", i, r.str(0, 8))
		out[key] = int64(r.next()>>16) - (1 << 47)
	}
	return out
}

// W6 is 1,000,000 small ints in [0, 1000).
func W6() []int64 {
	r := newRNG(6)
	out := make([]int64, W6Ints)
	for i := range out {
		out[i] = int64(r.below(1000))
	}
	return out
}

// W7 is 100,000 short strings of 1 to 20 characters.
func W7() []string {
	r := newRNG(7)
	out := make([]string, W7Strings)
	for i := range out {
		out[i] = r.str(1, 20)
	}
	return out
}
