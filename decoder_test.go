package pickle

import (
	"bytes"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
	"testing/iotest"
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
