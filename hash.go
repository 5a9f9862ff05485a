package pickle

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"math/big"
	"reflect"
)

// This file gives dict keys and set members Python's equality: 1, 1.0 and
// True are one key; tuples and frozensets are keys by value; lists, dicts,
// sets and bytearrays are unhashable.

// ErrUnhashable is returned (wrapped) when a mutable value is used as a dict
// key or set member.
var ErrUnhashable = errors.New("pickle: unhashable type")

// unhashableError names the offending Python type.
type unhashableError struct{ pyType string }

func (e *unhashableError) Error() string { return "pickle: unhashable type: '" + e.pyType + "'" }
func (e *unhashableError) Unwrap() error { return ErrUnhashable }

// hashSeed is random per process so that colliding keys cannot be chosen in
// advance by whoever wrote the pickle.
var hashSeed = maphash.MakeSeed()

// Tags keep values of different Python types apart in the hash.
const (
	tagNone byte = iota + 1
	tagNum
	tagFloat
	tagBig
	tagComplex
	tagStr
	tagBytes
	tagTuple
	tagFrozenSet
	tagGlobal
	tagPtr
	tagStdlib
)

func hashTagged(tag byte, b []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(hashSeed)
	h.WriteByte(tag)
	h.Write(b)
	return h.Sum64()
}

func hashInt64(i int64) uint64 {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(i))
	return hashTagged(tagNum, b[:])
}

func hashFloat(f float64) uint64 {
	if f == math.Trunc(f) && !math.IsInf(f, 0) {
		if f >= -(1<<63) && f < 1<<63 {
			return hashInt64(int64(f))
		}
		bf := new(big.Float).SetFloat64(f)
		bi, _ := bf.Int(nil)
		return hashBig(bi)
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], math.Float64bits(f))
	return hashTagged(tagFloat, b[:])
}

func hashBig(x *big.Int) uint64 {
	if x.IsInt64() {
		return hashInt64(x.Int64())
	}
	b := x.Bytes()
	if x.Sign() < 0 {
		b = append([]byte{'-'}, b...)
	}
	return hashTagged(tagBig, b)
}

// hashKey returns the hash of a dict key or set member, or an error wrapping
// ErrUnhashable.
func hashKey(k any) (uint64, error) { return (*keyHasher)(nil).hash(k) }

// keyHasher hashes keys, remembering the hash of every tuple it has hashed
// (by its backing array) when it is not nil: a decoded tuple that holds
// another one twice, level after level, would otherwise cost 2**levels.
type keyHasher struct {
	tuples map[*any]uint64
}

func (h *keyHasher) hash(k any) (uint64, error) {
	switch v := k.(type) {
	case nil:
		return hashTagged(tagNone, nil), nil
	case bool:
		if v {
			return hashInt64(1), nil
		}
		return hashInt64(0), nil
	case int64:
		return hashInt64(v), nil
	case int:
		return hashInt64(int64(v)), nil
	case string:
		return maphash.String(hashSeed, v), nil
	case float64:
		return hashFloat(v), nil
	case []byte:
		return hashTagged(tagBytes, v), nil
	case *big.Int:
		return hashBig(v), nil
	case complex128:
		if imag(v) == 0 {
			return hashFloat(real(v)), nil
		}
		var b [16]byte
		binary.LittleEndian.PutUint64(b[:8], math.Float64bits(real(v)))
		binary.LittleEndian.PutUint64(b[8:], math.Float64bits(imag(v)))
		return hashTagged(tagComplex, b[:]), nil
	case Tuple:
		return h.hashTuple(v)
	case *FrozenSet:
		return v.hash(), nil
	case Global:
		return hashTagged(tagGlobal, []byte(v.Module+"\x00"+v.Name)), nil
	case *Object:
		return hashPointer(reflect.ValueOf(v).Pointer()), nil
	case *List:
		return 0, &unhashableError{"list"}
	case *Dict:
		return 0, &unhashableError{"dict"}
	case *Set:
		return 0, &unhashableError{"set"}
	case *ByteArray:
		return 0, &unhashableError{"bytearray"}
	}
	return hashOtherKey(k)
}

// hashOtherKey handles Go values outside the model that a user may put in a
// Dict: other integer and float kinds hash as their Python value.
func hashOtherKey(k any) (uint64, error) {
	if form, ok, err := stdlibKeyForm(k); ok {
		if err != nil {
			return 0, err
		}
		if form == "" { // a NaN: equal only to itself
			return hashTagged(tagStdlib, []byte(fmt.Sprintf("%p", &k))), nil
		}
		return hashTagged(tagStdlib, []byte(form)), nil
	}
	rv := reflect.ValueOf(k)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return hashInt64(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u <= math.MaxInt64 {
			return hashInt64(int64(u)), nil
		}
		return hashBig(new(big.Int).SetUint64(u)), nil
	case reflect.Float32, reflect.Float64:
		return hashFloat(rv.Float()), nil
	case reflect.String:
		return maphash.String(hashSeed, rv.String()), nil
	case reflect.Bool:
		return hashKey(rv.Bool())
	}
	return 0, &unhashableError{pyTypeName(k)}
}

func hashPointer(p uintptr) uint64 {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(p))
	return hashTagged(tagPtr, b[:])
}

func (h *keyHasher) hashTuple(t Tuple) (uint64, error) {
	if h != nil && len(t) > 0 {
		if v, ok := h.tuples[&t[0]]; ok {
			return v, nil
		}
	}
	x := uint64(0x345678) ^ uint64(len(t))
	for _, item := range t {
		ih, err := h.hash(item)
		if err != nil {
			return 0, err
		}
		x = (x ^ ih) * 1000003
		x ^= x >> 29
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], x)
	v := hashTagged(tagTuple, b[:])
	if h != nil && len(t) > 0 {
		if h.tuples == nil {
			h.tuples = map[*any]uint64{}
		}
		h.tuples[&t[0]] = v
	}
	return v, nil
}

// keysEqual reports whether a and b are the same key under Python's ==.
func keysEqual(a, b any) bool {
	if x, ok := a.(string); ok {
		y, ok := b.(string)
		return ok && x == y
	}
	if an, ok := numericKey(a); ok {
		bn, ok := numericKey(b)
		return ok && an.equal(bn)
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []byte:
		y, ok := b.([]byte)
		return ok && string(x) == string(y)
	case Tuple:
		y, ok := b.(Tuple)
		if !ok || len(x) != len(y) {
			return false
		}
		if len(x) > 0 && &x[0] == &y[0] {
			return true
		}
		for i := range x {
			if !keysEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case *FrozenSet:
		y, ok := b.(*FrozenSet)
		return ok && (x == y || x.t.sameMembers(&y.t))
	case Global:
		y, ok := b.(Global)
		return ok && x == y
	case *Object:
		y, ok := b.(*Object)
		return ok && x == y
	}
	if fa, ok, _ := stdlibKeyForm(a); ok {
		fb, ok, _ := stdlibKeyForm(b)
		return ok && fa != "" && fa == fb
	}
	rv, rw := reflect.ValueOf(a), reflect.ValueOf(b)
	if rv.Kind() == reflect.String && rw.Kind() == reflect.String {
		return rv.String() == rw.String()
	}
	return false
}

// number is a numeric key normalised for comparison: an integer (small or
// big), a float, or a complex.
type number struct {
	kind byte // 'i' int64, 'b' big, 'f' float, 'c' complex
	i    int64
	b    *big.Int
	f    float64
	im   float64
}

func numericKey(v any) (number, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return number{kind: 'i', i: 1}, true
		}
		return number{kind: 'i'}, true
	case int64:
		return number{kind: 'i', i: x}, true
	case int:
		return number{kind: 'i', i: int64(x)}, true
	case *big.Int:
		if x.IsInt64() {
			return number{kind: 'i', i: x.Int64()}, true
		}
		return number{kind: 'b', b: x}, true
	case float64:
		return number{kind: 'f', f: x}, true
	case complex128:
		if imag(x) == 0 {
			return number{kind: 'f', f: real(x)}, true
		}
		return number{kind: 'c', f: real(x), im: imag(x)}, true
	case string, []byte, nil, Tuple:
		return number{}, false
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return number{kind: 'i', i: rv.Int()}, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u <= math.MaxInt64 {
			return number{kind: 'i', i: int64(u)}, true
		}
		return number{kind: 'b', b: new(big.Int).SetUint64(u)}, true
	case reflect.Float32, reflect.Float64:
		return number{kind: 'f', f: rv.Float()}, true
	}
	return number{}, false
}

func (n number) equal(m number) bool {
	if n.kind == 'c' || m.kind == 'c' {
		return n.kind == m.kind && n.f == m.f && n.im == m.im
	}
	if n.kind == m.kind && n.kind == 'i' {
		return n.i == m.i
	}
	if n.kind == m.kind && n.kind == 'f' {
		return n.f == m.f
	}
	return n.rat().Cmp(m.rat()) == 0 && !n.isNaN() && !m.isNaN()
}

func (n number) isNaN() bool { return n.kind == 'f' && math.IsNaN(n.f) }

// rat returns the exact value as a big.Rat (NaN and infinities give 0; the
// caller excludes NaN, and an infinity never equals an integer).
func (n number) rat() *big.Rat {
	switch n.kind {
	case 'i':
		return new(big.Rat).SetInt64(n.i)
	case 'b':
		return new(big.Rat).SetInt(n.b)
	}
	if math.IsInf(n.f, 0) {
		// Infinities compare only with each other: give them values no finite
		// float or integer of a pickle can take.
		r := new(big.Rat).SetInt(new(big.Int).Lsh(big.NewInt(1), 1<<16))
		if n.f < 0 {
			r.Neg(r)
		}
		return r
	}
	r, _ := new(big.Rat).SetString("0")
	r.SetFloat64(n.f)
	return r
}
