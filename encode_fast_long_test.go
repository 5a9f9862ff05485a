package pickle

import (
	"bytes"
	"math"
	"reflect"
	"testing"
)

// TestFastIntsWithLongItems encodes int and uint lists where long items
// (LONG1, written through writeInt and writeUint) alternate with short ones
// (BININT1), so that the long ones use more room than the loops reserve per
// item: the loops must not write past the buffer (a panic, found by
// TestFastSlicesMatchGenericPath on some random inputs), and the bytes must
// be those of the generic path.
func TestFastIntsWithLongItems(t *testing.T) {
	ints := make([]int64, 300_000)
	uints := make([]uint64, 300_000)
	for i := range ints {
		if i%2 == 0 {
			ints[i], uints[i] = 1<<40+int64(i), math.MaxUint64-uint64(i)
		} else {
			ints[i], uints[i] = 7, 7
		}
	}
	for _, v := range []any{ints, uints} {
		for _, proto := range []int{1, 2, 4, 5} {
			got, err := Marshal(v, Protocol(proto))
			if err != nil {
				t.Fatal(err)
			}
			var stream bytes.Buffer
			if err := NewEncoder(&stream, Protocol(proto)).Encode(v); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, stream.Bytes()) {
				t.Errorf("%T at protocol %d: Marshal and Encoder differ", v, proto)
			}
			back := reflect.New(reflect.TypeOf(v))
			if err := Unmarshal(got, back.Interface()); err != nil {
				t.Fatalf("%T at protocol %d: %v", v, proto, err)
			}
			if !reflect.DeepEqual(back.Elem().Interface(), v) {
				t.Errorf("%T at protocol %d: round trip differs", v, proto)
			}
		}
	}
}
