package pickle_test

import (
	"fmt"

	"github.com/go-pickle/pickle"
)

// Point is bound to the Python class geometry.Point in ExampleRegistry_RegisterClass.
type Point struct {
	X, Y  int
	cache string // unexported: never pickled
}

// A Go type bound to a Python class is written as CPython writes an instance
// of that class, and read back from one.
func ExampleRegistry_RegisterClass() {
	reg := pickle.NewRegistry()
	if err := reg.RegisterClass("geometry", "Point", &Point{}); err != nil {
		panic(err)
	}
	data, err := pickle.Marshal(&Point{X: 1, Y: 2, cache: "x"}, pickle.Protocol(2), pickle.WithRegistry(reg))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%q\n", data)

	var v any // an instance of a bound class decodes to its Go type
	if err := pickle.Unmarshal(data, &v, pickle.WithRegistry(reg)); err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", *v.(*Point))

	// Without the binding, the class is refused by name.
	err = pickle.Unmarshal(data, &v)
	fmt.Println(err)
	// Output:
	// "\x80\x02cgeometry\nPoint\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00Xq\x03K\x01X\x01\x00\x00\x00Yq\x04K\x02ub."
	// {X:1 Y:2 cache:}
	// pickle: global "geometry.Point" is not allowed (GLOBAL at offset 2)
}

// blob is stored outside the pickle and referred to by a persistent id.
type blob struct{ key string }

// Persistent ids work as Python's persistent_id and persistent_load.
func ExamplePersistentID() {
	store := map[string]*blob{"b1": {key: "b1"}}
	data, err := pickle.Marshal([]any{"payload", store["b1"]}, pickle.PersistentID(func(v any) (any, bool) {
		if b, ok := v.(*blob); ok {
			return b.key, true
		}
		return nil, false
	}))
	if err != nil {
		panic(err)
	}
	var v []any
	err = pickle.Unmarshal(data, &v, pickle.PersistentLoad(func(id any) (any, error) {
		return store[id.(string)], nil
	}))
	if err != nil {
		panic(err)
	}
	fmt.Println(v[0], v[1].(*blob) == store["b1"])
	// Output: payload true
}

// Protocol 5 out-of-band buffers: the callback takes the buffers out of the
// pickle, and the decoder is given them back, without copies.
func ExampleBufferCallback() {
	big := &pickle.PickleBuffer{Data: []byte("a large array's bytes"), ReadOnly: true}
	var sent [][]byte
	data, err := pickle.Marshal(big, pickle.Protocol(5), pickle.BufferCallback(func(b *pickle.PickleBuffer) bool {
		sent = append(sent, b.Data)
		return false // out of band
	}))
	if err != nil {
		panic(err)
	}
	fmt.Printf("pickle: %q\n", data)

	var got []byte
	if err := pickle.Unmarshal(data, &got, pickle.Buffers(sent...)); err != nil {
		panic(err)
	}
	fmt.Printf("%s (shared: %v)\n", got, &got[0] == &sent[0][0])
	// Output:
	// pickle: "\x80\x05\x97\x98."
	// a large array's bytes (shared: true)
}
