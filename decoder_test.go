package pickle

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

func TestDecoderSequence(t *testing.T) {
	// Three pickles back to back, as repeated pickle.dump writes them.
	stream := "\x80\x04K\x01." + "\x80\x02]q\x00(K\x02K\x03e." + "N."
	for name, r := range map[string]io.Reader{
		"whole":    strings.NewReader(stream),
		"one byte": iotest.OneByteReader(strings.NewReader(stream)),
		"half":     iotest.HalfReader(strings.NewReader(stream)),
	} {
		t.Run(name, func(t *testing.T) {
			dec := NewDecoder(r)
			var got []any
			offsets := []int64{dec.InputOffset()}
			for dec.More() {
				var v any
				if err := dec.Decode(&v); err != nil {
					t.Fatal(err)
				}
				got = append(got, v)
				offsets = append(offsets, dec.InputOffset())
			}
			var v any
			if err := dec.Decode(&v); err != io.EOF {
				t.Errorf("after the last pickle: %v, want io.EOF", err)
			}
			want := []any{int64(1), NewList(int64(2), int64(3)), nil}
			if len(got) != 3 || !Equal(got[0], want[0]) || !Equal(got[1], want[1]) || got[2] != nil {
				t.Errorf("got %#v", got)
			}
			if wantOff := []int64{0, 5, 17, 19}; !equalInts(offsets, wantOff) {
				t.Errorf("offsets %v, want %v", offsets, wantOff)
			}
		})
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDecoderTornTail(t *testing.T) {
	stream := "\x80\x04K\x01." + "\x80\x04]\x94(K\x02"
	dec := NewDecoder(iotest.OneByteReader(strings.NewReader(stream)))
	var v any
	if err := dec.Decode(&v); err != nil || v != int64(1) {
		t.Fatalf("first: %v %v", v, err)
	}
	err := dec.Decode(&v)
	var se *SyntaxError
	if !errors.Is(err, ErrTruncated) || !errors.As(err, &se) || se.Offset < 5 {
		t.Errorf("torn tail: %v", err)
	}
	if dec.InputOffset() != 5 {
		t.Errorf("InputOffset %d, want 5 (the start of the torn record)", dec.InputOffset())
	}
	if err2 := dec.Decode(&v); err2 != err {
		t.Errorf("errors should stick: %v", err2)
	}
}

func TestDecoderAll(t *testing.T) {
	dec := NewDecoder(strings.NewReader("K\x01.K\x02.K\x03."))
	var sum int64
	for v, err := range dec.All() {
		if err != nil {
			t.Fatal(err)
		}
		sum += v.(int64)
	}
	if sum != 6 {
		t.Errorf("sum %d", sum)
	}
}

// A large payload claimed by a stream is read in bounded chunks: a 1 GiB
// claim followed by a few bytes costs a few bytes of memory, and ends as a
// truncation.
func TestDecoderLargeClaimOnStream(t *testing.T) {
	dec := NewDecoder(strings.NewReader("\x80\x04\x8e\x00\x00\x00\x40\x00\x00\x00\x00abc"))
	var v any
	if err := dec.Decode(&v); !errors.Is(err, ErrTruncated) {
		t.Errorf("got %v", err)
	}
}

func TestUnmarshalFirst(t *testing.T) {
	var v any
	rest, err := UnmarshalFirst([]byte("K\x07.tail"), &v)
	if err != nil || v != int64(7) || string(rest) != "tail" {
		t.Errorf("got %v %q %v", v, rest, err)
	}
}

// python3 writes several pickles with repeated pickle.dump at every
// protocol; the Decoder reads them all back.
func TestDecoderReadsPythonDumpSequence(t *testing.T) {
	py := pythonOrSkip(t)
	out, err := exec.Command(py, "-c", `
import pickle, sys
f = sys.stdout.buffer
for p in range(6):
    pickle.dump({'p': p, 'l': [1, 2.5, 'x' * 300], 't': (None, True)}, f, protocol=p)
`).Output()
	if err != nil {
		t.Fatal(err)
	}
	dec := NewDecoder(bytes.NewReader(out))
	n := 0
	for v, err := range dec.All() {
		if err != nil {
			t.Fatal(err)
		}
		p, _ := v.(*Dict).Get("p")
		if p != int64(n) {
			t.Errorf("record %d has p=%v", n, p)
		}
		n++
	}
	if n != 6 || dec.InputOffset() != int64(len(out)) {
		t.Errorf("read %d records, offset %d of %d", n, dec.InputOffset(), len(out))
	}
}

// decoderStream is a stream of pickles of every kind: records and plain
// data at protocols 2 to 5 (which the direct decoder reads when they are
// buffered), protocol 0 and 1 pickles and a global (which it leaves to the
// general decoder).
func decoderStream(t *testing.T) []byte {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 11))
	var stream []byte
	for i := range 120 {
		var v any
		switch i % 4 {
		case 0:
			v = []directRec{randomDirectRec(r, 0), randomDirectRec(r, 0)}
		case 1:
			v = randomDirectRec(r, 0)
		case 2:
			v = map[string]any{"k": []any{int64(i), "s", 2.5}, "big": strings.Repeat("x", i*50)}
		case 3:
			v = []any{Global{Module: "builtins", Name: "len"}, int64(i)}
		}
		data, err := Marshal(v, Protocol(i%6))
		if err != nil {
			t.Fatal(err)
		}
		stream = append(stream, data...)
	}
	return stream
}

// TestDecoderDirectMatchesGeneral decodes a stream with a Decoder that tries
// the direct decoder on buffered pickles and with one that does not, into
// any and into typed targets, through readers of every granularity: the
// values, errors and offsets must be the same.
func TestDecoderDirectMatchesGeneral(t *testing.T) {
	stream := decoderStream(t)
	// A torn last pickle: the direct decoder must not accept a prefix.
	stream = append(stream, stream[:40]...)
	readers := map[string]func() io.Reader{
		"whole":    func() io.Reader { return bytes.NewReader(stream) },
		"half":     func() io.Reader { return iotest.HalfReader(bytes.NewReader(stream)) },
		"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(stream)) },
	}
	type step struct {
		v      any
		err    string
		offset int64
	}
	run := func(r io.Reader, noDirect bool, typed bool, opts ...Option) []step {
		dec := NewDecoder(r, append(opts, KeepUnknown(true))...)
		dec.noDirect = noDirect
		var steps []step
		for i := 0; ; i++ {
			var err error
			var v any
			if typed && i%4 == 1 {
				var rec directRec
				err = dec.Decode(&rec)
				v = rec
			} else if typed && i%4 == 0 {
				var recs []directRec
				err = dec.Decode(&recs)
				v = recs
			} else {
				err = dec.Decode(&v)
			}
			s := step{v: v, offset: dec.InputOffset()}
			if err != nil {
				s.err = err.Error()
			}
			steps = append(steps, s)
			if err == io.EOF || i > 200 || err != nil && !errors.As(err, new(*UnmarshalTypeError)) {
				return steps
			}
		}
	}
	for name, r := range readers {
		for _, typed := range []bool{false, true} {
			for _, opts := range [][]Option{nil, {ZeroCopy(true)}} {
				general := run(r(), true, typed, opts...)
				direct := run(r(), false, typed, opts...)
				if diff := cmp.Diff(general, direct, exportAll, cmp.AllowUnexported(step{})); diff != "" {
					t.Errorf("%s, typed %v, %d options: the Decoder differs with the direct decoder (-general +direct):\n%s", name, typed, len(opts), diff)
				}
				if last := direct[len(direct)-1]; !strings.Contains(last.err, "truncated") && !strings.Contains(last.err, "EOF") {
					t.Errorf("%s: the stream ends with %q, want the torn pickle's error", name, last.err)
				}
			}
		}
	}
}

// TestDecoderUsesDirect checks that the Decoder does decode buffered
// pickles directly: records decoded after the first cost fewer allocations
// than with the general decoder.
func TestDecoderUsesDirect(t *testing.T) {
	var stream []byte
	r := rand.New(rand.NewPCG(1, 2))
	rec := randomDirectRec(r, 0)
	for range 50 {
		data, err := Marshal(rec, Protocol(4))
		if err != nil {
			t.Fatal(err)
		}
		stream = append(stream, data...)
	}
	allocs := func(noDirect bool) float64 {
		return testing.AllocsPerRun(5, func() {
			dec := NewDecoder(bytes.NewReader(stream))
			dec.noDirect = noDirect
			for {
				var got directRec
				if err := dec.Decode(&got); err == io.EOF {
					return
				} else if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	direct, general := allocs(false), allocs(true)
	t.Logf("50 records from a Decoder: %.0f allocations with the direct decoder, %.0f without", direct, general)
	if direct >= general*3/4 {
		t.Errorf("the Decoder does not seem to use the direct decoder: %.0f allocations, %.0f without", direct, general)
	}
}

// TestDecoderSlowReaderDoesNotRegrow checks that a stream read one byte at
// a time fills the buffer's room instead of growing a new buffer for every
// read (which made decoding quadratic in the size of the pickle).
func TestDecoderSlowReaderDoesNotRegrow(t *testing.T) {
	items := make([]any, 0, 400)
	for i := range 400 {
		items = append(items, fmt.Sprintf("item-%d", i))
	}
	data, err := Marshal(items, Protocol(4))
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 4000 {
		t.Fatalf("pickle of %d bytes: want at least 4000", len(data))
	}
	decodeFrom := func(r func() io.Reader) float64 {
		return testing.AllocsPerRun(5, func() {
			var v any
			if err := NewDecoder(r()).Decode(&v); err != nil {
				t.Fatal(err)
			}
		})
	}
	whole := decodeFrom(func() io.Reader { return bytes.NewReader(data) })
	slow := decodeFrom(func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) })
	// The decoded list and its strings take the same allocations either
	// way; a new buffer per byte read would add thousands.
	if slow > whole+20 {
		t.Errorf("decoding a %d-byte pickle read one byte at a time: %.0f allocations, %.0f when read at once", len(data), slow, whole)
	}
}

// TestDecoderSlowReaderLargePayload reads a pickle with one 3 MiB bytes
// value 509 bytes at a time, as a socket may deliver it: the buffer must
// grow a few times, not once per read (which copied the payload read so
// far at every read: gigabytes).
func TestDecoderSlowReaderLargePayload(t *testing.T) {
	payload := make([]byte, 3<<20)
	for i := range payload {
		payload[i] = byte(i)
	}
	data, err := Marshal(payload, Protocol(4))
	if err != nil {
		t.Fatal(err)
	}
	bytesFrom := func(r func() io.Reader) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		var v []byte
		if err := NewDecoder(r()).Decode(&v); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if !bytes.Equal(v, payload) {
			t.Fatal("payload decoded wrong")
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	whole := bytesFrom(func() io.Reader { return bytes.NewReader(data) })
	chunked := bytesFrom(func() io.Reader { return &chunkReader{data: data, chunk: 509} })
	// Growing by half at a time copies less than the payload again.
	if chunked > 4*whole {
		t.Errorf("a %d-byte pickle read 509 bytes at a time allocated %d bytes, %d when read at once", len(data), chunked, whole)
	}
}
