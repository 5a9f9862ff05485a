package pickle_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"

	"github.com/go-pickle/pickle"
)

// The pickles below were written by CPython 3.11; the comment above each
// one gives the Python expression.

func ExampleMarshal() {
	type Point struct {
		X int `pickle:"x"`
		Y int `pickle:"y"`
	}
	// A struct is written as a dict of its fields, byte for byte what
	// Python's pickle.dumps({'x': 1, 'y': 2}, protocol=2) writes.
	data, err := pickle.Marshal(Point{X: 1, Y: 2}, pickle.Protocol(2))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q\n", data)

	// Go values with no pickle form are an error naming the Go path.
	_, err = pickle.Marshal(map[string]any{"callback": func() {}})
	fmt.Println(err)
	// Output:
	// "\x80\x02}q\x00(X\x01\x00\x00\x00xq\x01K\x01X\x01\x00\x00\x00yq\x02K\x02u."
	// pickle: cannot encode Go func() at ["callback"]
}

// pickle.dumps({'name': 'widget', 'price': 9.99, 'tags': ['a', 'b'], 'stock': 12}, protocol=2)
const widgetPickle = "\x80\x02}q\x00(X\x04\x00\x00\x00nameq\x01X\x06\x00\x00\x00widgetq\x02X\x05\x00\x00\x00priceq\x03G@#\xfa\xe1G\xae\x14{X\x04\x00\x00\x00tagsq\x04]q\x05(X\x01\x00\x00\x00aq\x06X\x01\x00\x00\x00bq\x07eX\x05\x00\x00\x00stockq\x08K\x0cu."

func ExampleUnmarshal() {
	// Dict keys fill struct fields by `pickle` tag, or by Go field name
	// when there is no tag.
	type Product struct {
		Name  string   `pickle:"name"`
		Price float64  `pickle:"price"`
		Tags  []string `pickle:"tags"`
		Stock int      `pickle:"stock"`
	}
	var p Product
	if err := pickle.Unmarshal([]byte(widgetPickle), &p); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", p)

	// A value that does not fit its target is an error naming the Python
	// type, the Go type, the Go path and the byte offset.
	var wrong struct {
		Stock int8   `pickle:"stock"`
		Name  []int  `pickle:"name"`
		Tags  string `pickle:"tags"`
	}
	err := pickle.Unmarshal([]byte(widgetPickle), &wrong)
	var typeErr *pickle.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		fmt.Println(typeErr.PyType, "->", typeErr.GoType, "at", typeErr.Path)
	}
	fmt.Println(err)
	// Output:
	// {Name:widget Price:9.99 Tags:[a b] Stock:12}
	// str -> []int at .name
	// pickle: cannot decode Python str "widget" into Go []int at .name (BINUNICODE at offset 17)
}

// pickle.dumps(('Ada', 36, 3+4j, {1, 2}, b'\x00\xff', None, 2**70), protocol=4)
const tuplePickle = "\x80\x04\x95R\x00\x00\x00\x00\x00\x00\x00(\x8c\x03Ada\x94K$\x8c\x08builtins\x94\x8c\x07complex\x94\x93\x94G@\x08\x00\x00\x00\x00\x00\x00G@\x10\x00\x00\x00\x00\x00\x00\x86\x94R\x94\x8f\x94(K\x01K\x02\x90C\x02\x00\xff\x94N\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00@t\x94."

func ExampleUnmarshal_any() {
	// Into an `any`, a pickle decodes to the generic model: plain Go values
	// for immutable Python values, pointers to model types for mutable ones.
	var v any
	if err := pickle.Unmarshal([]byte(tuplePickle), &v); err != nil {
		log.Fatal(err)
	}
	for _, item := range v.(pickle.Tuple) {
		switch x := item.(type) {
		case *pickle.Set:
			fmt.Printf("%T with %d members, has 2: %v\n", x, x.Len(), x.Has(int64(2)))
		default:
			fmt.Printf("%T %v\n", x, x)
		}
	}
	// Output:
	// string Ada
	// int64 36
	// complex128 (3+4i)
	// *pickle.Set with 2 members, has 2: true
	// []uint8 [0 255]
	// <nil> <nil>
	// *big.Int 1180591620717411303424
}

// Three pickles written one after another, at protocols 2, 4 and 5:
//
//	for x, p in [({'id': 1, 'ok': True}, 2), ({'id': 2, 'ok': False}, 4), ({'id': 3, 'ok': True}, 5)]:
//	    f.write(pickle.dumps(x, protocol=p))
const streamPickles = "\x80\x02}q\x00(X\x02\x00\x00\x00idq\x01K\x01X\x02\x00\x00\x00okq\x02\x88u.\x80\x04\x95\x12\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x02id\x94K\x02\x8c\x02ok\x94\x89u.\x80\x05\x95\x12\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x02id\x94K\x03\x8c\x02ok\x94\x88u."

func ExampleNewDecoder() {
	type Record struct {
		ID int  `pickle:"id"`
		OK bool `pickle:"ok"`
	}
	dec := pickle.NewDecoder(bytes.NewReader([]byte(streamPickles)))
	for {
		var r Record
		err := dec.Decode(&r)
		if err == io.EOF {
			break // a clean end of the stream
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%+v, next record at offset %d\n", r, dec.InputOffset())
	}
	// Output:
	// {ID:1 OK:true}, next record at offset 29
	// {ID:2 OK:false}, next record at offset 58
	// {ID:3 OK:true}, next record at offset 87
}

func ExampleDecoder_All() {
	// A stream cut short in its last pickle: All yields the complete ones,
	// then the error, whose offset counts from the start of the stream.
	truncated := streamPickles[:len(streamPickles)-3]
	dec := pickle.NewDecoder(bytes.NewReader([]byte(truncated)))
	for v, err := range dec.All() {
		if err != nil {
			fmt.Println("error:", err)
			fmt.Println("truncated:", errors.Is(err, pickle.ErrTruncated))
			break
		}
		id, _ := v.(*pickle.Dict).Get("id")
		fmt.Println("id", id)
	}
	// Output:
	// id 1
	// id 2
	// error: pickle: pickle data was truncated (FRAME at offset 60)
	// truncated: true
}

// pickle.dumps({'b': 2, 'a': 1, 'c': [1, 2], (1, 2): 'tuple key'}, protocol=4)
const dictPickle = "\x80\x04\x95/\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01b\x94K\x02\x8c\x01a\x94K\x01\x8c\x01c\x94]\x94(K\x01K\x02eK\x01K\x02\x86\x94\x8c\x09tuple key\x94u."

func ExampleDict_All() {
	var v any
	if err := pickle.Unmarshal([]byte(dictPickle), &v); err != nil {
		log.Fatal(err)
	}
	d := v.(*pickle.Dict)
	// Items come in Python's insertion order; keys may be tuples.
	for k, x := range d.All() {
		if l, ok := x.(*pickle.List); ok {
			x = l.Items
		}
		fmt.Printf("%v: %v\n", k, x)
	}
	// Lookups use Python's key equality: 1 == 1.0 == True.
	x, ok := d.Get(pickle.Tuple{true, 2.0})
	fmt.Println(x, ok)
	// Output:
	// b: 2
	// a: 1
	// c: [1 2]
	// [1 2]: tuple key
	// tuple key true
}

// An untrusted pickle that would run a shell command in Python:
//
//	class Evil:
//	    def __reduce__(self):
//	        return (os.system, ('echo pwned',))
//	pickle.dumps(Evil(), protocol=4)
const evilPickle = "\x80\x04\x95%\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\x0aecho pwned\x94\x85\x94R\x94."

func ExampleKeepUnknown() {
	// By default the decoder refuses every global but a few safe built-in
	// constructors.
	var v any
	err := pickle.Unmarshal([]byte(evilPickle), &v)
	var globalErr *pickle.GlobalError
	if errors.As(err, &globalErr) {
		fmt.Println("refused:", globalErr.Module, globalErr.Name)
	}
	fmt.Println(err)

	// KeepUnknown keeps unknown globals and the objects built from them as
	// inert values to inspect: nothing is imported or called.
	if err := pickle.Unmarshal([]byte(evilPickle), &v, pickle.KeepUnknown(true)); err != nil {
		log.Fatal(err)
	}
	obj := v.(*pickle.Object)
	fmt.Println("callable:", obj.Callable)
	fmt.Println("build:", obj.Build)
	fmt.Printf("args: %q\n", obj.Args)
	// Output:
	// refused: posix system
	// pickle: global "posix.system" is not allowed (STACK_GLOBAL at offset 28)
	// callable: posix.system
	// build: REDUCE
	// args: ["echo pwned"]
}

// An instance of a class the decoder does not know:
//
//	class Point:  # in module geometry
//	    def __init__(self, x, y): self.x, self.y = x, y
//	pickle.dumps([Point(1, 2.5)], protocol=4)
const pointPickle = "\x80\x04\x954\x00\x00\x00\x00\x00\x00\x00]\x94\x8c\x08geometry\x94\x8c\x05Point\x94\x93\x94)\x81\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94G@\x04\x00\x00\x00\x00\x00\x00uba."

func ExampleObject() {
	var v any
	if err := pickle.Unmarshal([]byte(pointPickle), &v, pickle.KeepUnknown(true)); err != nil {
		log.Fatal(err)
	}
	obj := v.(*pickle.List).At(0).(*pickle.Object)
	fmt.Println(obj.Callable, obj.Build, len(obj.Args), obj.HasState)
	for k, x := range obj.State.(*pickle.Dict).All() {
		fmt.Printf("%v = %v\n", k, x)
	}

	// The object's dict state can also fill a struct directly. Keys match
	// field names exactly, as Python attribute names do; tags rename.
	type Point struct {
		X float64 `pickle:"x"`
		Y float64 `pickle:"y"`
	}
	var pts []Point
	if err := pickle.Unmarshal([]byte(pointPickle), &pts, pickle.KeepUnknown(true)); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", pts)
	// Output:
	// geometry.Point NEWOBJ 0 true
	// x = 1
	// y = 2.5
	// [{X:1 Y:2.5}]
}

// ZeroCopy lets the strings and bytes of a decode share the input's memory
// instead of copying it: the input must then stay unchanged while they are
// in use, and the bytes be treated as read-only.
func ExampleZeroCopy() {
	// pickle.dumps({"name": "Ada", "photo": b"\x89PNG"}, protocol=4)
	data := []byte("\x80\x04\x95!\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x04name\x94\x8c\x03Ada\x94\x8c\x05photo\x94C\x04\x89PNG\x94u.")
	var user struct {
		Name  string `pickle:"name"`
		Photo []byte `pickle:"photo"`
	}
	if err := pickle.Unmarshal(data, &user, pickle.ZeroCopy(true)); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s %q\n", user.Name, user.Photo)

	// Both point into data: changing it changes them. (Never do this while
	// the results are in use; it is shown only to make the sharing visible.)
	copy(data[bytes.Index(data, []byte("Ada")):], "Bob")
	fmt.Println(user.Name)

	// Keep copies of what must outlive the input (strings.Clone for text).
	photo := bytes.Clone(user.Photo)
	data[bytes.Index(data, []byte("PNG"))] = 'J'
	fmt.Printf("%q %q\n", user.Photo, photo)
	// Output:
	// Ada "\x89PNG"
	// Bob
	// "\x89JNG" "\x89PNG"
}
