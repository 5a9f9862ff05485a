package pickle

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// This file orders Go map keys so that a map always gives the same bytes,
// and checks that keys and set members are hashable in Python.
//
// Keys of one kind sort naturally: strings bytewise, integers and floats by
// value (NaN first), false before true. Interface keys sort by a total
// order over Python values: None, then numbers (bool, int, float, by
// value), complex, str, bytes, tuples (item by item), globals, frozensets,
// and other objects last. Keys that are distinct in Go but equal in Python
// (1, int64(1), 1.0 and true in a map[any]V) are an error, since a Python
// dict cannot hold both.

// sortedMapEntries returns the keys and values of map v in key order:
// copies, pinned in e (they are written by address).
func sortedMapEntries(e *encodeState, v reflect.Value) (keys, vals []reflect.Value, err error) {
	type kv struct{ k, v reflect.Value }
	// Copy keys and values into two slices (one allocation each, where
	// MapRange's Key and Value would allocate per entry) and refer to them.
	n := v.Len()
	ks := reflect.MakeSlice(reflect.SliceOf(v.Type().Key()), n, n)
	vs := reflect.MakeSlice(reflect.SliceOf(v.Type().Elem()), n, n)
	e.pin(ks.UnsafePointer())
	e.pin(vs.UnsafePointer())
	pairs := make([]kv, 0, n)
	for it := v.MapRange(); it.Next(); {
		i := len(pairs)
		if i == n { // the map grew under us: a data race in the caller
			break
		}
		ks.Index(i).SetIterKey(it)
		vs.Index(i).SetIterValue(it)
		pairs = append(pairs, kv{ks.Index(i), vs.Index(i)})
	}
	kt := v.Type().Key()
	switch kt.Kind() {
	case reflect.String:
		slices.SortFunc(pairs, func(a, b kv) int { return strings.Compare(a.k.String(), b.k.String()) })
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		slices.SortFunc(pairs, func(a, b kv) int { return cmp.Compare(a.k.Int(), b.k.Int()) })
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		slices.SortFunc(pairs, func(a, b kv) int { return cmp.Compare(a.k.Uint(), b.k.Uint()) })
	case reflect.Float32, reflect.Float64:
		slices.SortFunc(pairs, func(a, b kv) int { return compareFloats(a.k.Float(), b.k.Float()) })
	case reflect.Bool:
		slices.SortFunc(pairs, func(a, b kv) int { return compareBools(a.k.Bool(), b.k.Bool()) })
	default:
		for _, p := range pairs {
			if msg := unhashableValue(p.k); msg != "" {
				return nil, nil, &UnsupportedTypeError{GoType: concreteType(p.k), Path: mapKeySeg(p.k), Msg: "dict key is " + msg}
			}
		}
		slices.SortStableFunc(pairs, func(a, b kv) int { return compareKeys(a.k, b.k) })
		for i := 1; i < len(pairs); i++ {
			if compareKeys(pairs[i-1].k, pairs[i].k) == 0 && !bothNaN(pairs[i-1].k, pairs[i].k) {
				return nil, nil, &UnsupportedTypeError{GoType: v.Type(), Path: mapKeySeg(pairs[i].k),
					Msg: "keys " + mapKeySeg(pairs[i-1].k) + " (" + concreteType(pairs[i-1].k).String() + ") and " + mapKeySeg(pairs[i].k) + " (" + concreteType(pairs[i].k).String() + ") are the same Python dict key"}
			}
		}
	}
	keys = make([]reflect.Value, len(pairs))
	vals = make([]reflect.Value, len(pairs))
	for i, p := range pairs {
		keys[i], vals[i] = p.k, p.v
	}
	return keys, vals, nil
}

func concreteType(v reflect.Value) reflect.Type {
	for v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	return v.Type()
}

func compareFloats(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return cmp.Compare(math.Float64bits(a), math.Float64bits(b))
	case an:
		return -1
	case bn:
		return 1
	}
	return cmp.Compare(a, b)
}

func compareBools(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// Ranks of Python types in the key order.
const (
	rankNone = iota
	rankNumber
	rankComplex
	rankStr
	rankBytes
	rankTuple
	rankGlobal
	rankFrozenSet
	rankOther
)

// keyValue strips interfaces and pointers to plain values (which the
// encoder follows), leaving the value that becomes the Python key.
func keyValue(v reflect.Value) reflect.Value {
	for {
		switch v.Kind() {
		case reflect.Interface:
			if v.IsNil() {
				return v
			}
			v = v.Elem()
		case reflect.Pointer:
			if v.IsNil() || isModelPointer(v.Type()) {
				return v
			}
			v = v.Elem()
		default:
			return v
		}
	}
}

func isModelPointer(t reflect.Type) bool {
	switch t {
	case listPtrType, dictPtrType, setPtrType, frozenSetPtrType, byteArrayPtrType, objectType, bigIntPtrType:
		return true
	}
	return false
}

func keyRank(v reflect.Value) int {
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return rankNone
		}
	}
	switch v.Type() {
	case bigIntPtrType, encBigIntType:
		return rankNumber
	case encGlobalType:
		return rankGlobal
	case frozenSetPtrType:
		return rankFrozenSet
	case encTupleType:
		return rankTuple
	}
	switch v.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return rankNumber
	case reflect.Complex64, reflect.Complex128:
		return rankComplex
	case reflect.String:
		return rankStr
	case reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return rankBytes
		}
		return rankTuple
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return rankBytes
		}
		return rankTuple
	}
	return rankOther
}

// compareKeys orders two Go values as Python keys; 0 means equal in Python.
func compareKeys(a, b reflect.Value) int {
	a, b = keyValue(a), keyValue(b)
	ra, rb := keyRank(a), keyRank(b)
	if ra != rb {
		return cmp.Compare(ra, rb)
	}
	switch ra {
	case rankNone:
		return 0
	case rankNumber:
		return compareNumbers(a, b)
	case rankComplex:
		ca, cb := a.Complex(), b.Complex()
		if c := compareFloats(real(ca), real(cb)); c != 0 {
			return c
		}
		return compareFloats(imag(ca), imag(cb))
	case rankStr:
		return strings.Compare(a.String(), b.String())
	case rankBytes:
		return bytes.Compare(byteContent(a), byteContent(b))
	case rankTuple:
		for i := 0; i < a.Len() && i < b.Len(); i++ {
			if c := compareKeys(a.Index(i), b.Index(i)); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.Len(), b.Len())
	case rankGlobal:
		ga, gb := a.Interface().(Global), b.Interface().(Global)
		if c := strings.Compare(ga.Module, gb.Module); c != 0 {
			return c
		}
		return strings.Compare(ga.Name, gb.Name)
	case rankFrozenSet:
		fa, fb := liveEntries(&a.Interface().(*FrozenSet).t), liveEntries(&b.Interface().(*FrozenSet).t)
		for i := 0; i < len(fa) && i < len(fb); i++ {
			if c := compareKeys(reflect.ValueOf(&fa[i].key).Elem(), reflect.ValueOf(&fb[i].key).Elem()); c != 0 {
				return c
			}
		}
		return cmp.Compare(len(fa), len(fb))
	}
	// Objects are keys by identity; order them by address within one run.
	if a.Kind() == reflect.Pointer && b.Kind() == reflect.Pointer {
		return cmp.Compare(uintptr(a.UnsafePointer()), uintptr(b.UnsafePointer()))
	}
	return strings.Compare(a.Type().String(), b.Type().String())
}

func byteContent(v reflect.Value) []byte {
	if v.Kind() == reflect.Slice {
		return v.Bytes()
	}
	b := make([]byte, v.Len())
	reflect.Copy(reflect.ValueOf(b), v)
	return b
}

// compareNumbers compares bools, integers, big integers and floats by value.
func compareNumbers(a, b reflect.Value) int {
	fa, aFloat := floatOf(a)
	fb, bFloat := floatOf(b)
	if aFloat && bFloat {
		return compareFloats(fa, fb)
	}
	if !aFloat && !bFloat {
		return intOf(a).Cmp(intOf(b))
	}
	if aFloat && math.IsNaN(fa) {
		return -1
	}
	if bFloat && math.IsNaN(fb) {
		return 1
	}
	x, y := new(big.Float), new(big.Float)
	if aFloat {
		x.SetFloat64(fa)
	} else {
		x.SetInt(intOf(a))
	}
	if bFloat {
		y.SetFloat64(fb)
	} else {
		y.SetInt(intOf(b))
	}
	return x.Cmp(y)
}

func floatOf(v reflect.Value) (float64, bool) {
	if k := v.Kind(); k == reflect.Float32 || k == reflect.Float64 {
		return v.Float(), true
	}
	return 0, false
}

func intOf(v reflect.Value) *big.Int {
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			return big.NewInt(1)
		}
		return big.NewInt(0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return big.NewInt(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return new(big.Int).SetUint64(v.Uint())
	}
	switch x := v.Interface().(type) {
	case *big.Int:
		return x
	case big.Int:
		return &x
	}
	return new(big.Int)
}

func bothNaN(a, b reflect.Value) bool {
	a, b = keyValue(a), keyValue(b)
	fa, aok := floatOf(a)
	fb, bok := floatOf(b)
	return aok && bok && math.IsNaN(fa) && math.IsNaN(fb)
}

// unhashableType returns what a value of type t would be in Python if that
// is an unhashable type ("a list", ...), or "" when it may be hashable
// (interfaces are checked value by value).
func unhashableType(t reflect.Type) string {
	for range 64 {
		switch t {
		case listPtrType:
			return "a list (unhashable)"
		case dictPtrType:
			return "a dict (unhashable)"
		case setPtrType:
			return "a set (unhashable)"
		case byteArrayPtrType:
			return "a bytearray (unhashable)"
		case frozenSetPtrType, objectType, bigIntPtrType, encBigIntType, encGlobalType, encTupleType:
			return ""
		}
		switch t.Kind() {
		case reflect.Pointer:
			t = t.Elem()
			continue
		case reflect.Slice:
			if t.Elem().Kind() == reflect.Uint8 {
				return ""
			}
			return "a list (unhashable)"
		case reflect.Array:
			if t.Elem().Kind() == reflect.Uint8 {
				return ""
			}
			t = t.Elem()
			continue
		case reflect.Map, reflect.Struct:
			return "a dict (unhashable)"
		}
		return ""
	}
	return ""
}

// unhashableValue is unhashableType for the dynamic values inside v.
func unhashableValue(v reflect.Value) string {
	v = keyValue(v)
	if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil() {
		return ""
	}
	if msg := unhashableType(v.Type()); msg != "" {
		return msg
	}
	switch {
	case v.Type() == encTupleType, v.Kind() == reflect.Array && v.Type().Elem().Kind() != reflect.Uint8:
		for i := 0; i < v.Len(); i++ {
			if msg := unhashableValue(v.Index(i)); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// keySeg renders a *Dict key as a Go path segment: ["name"] or [3].
func keySeg(k any) string {
	if s, ok := k.(string); ok {
		return "[" + strconv.Quote(s) + "]"
	}
	return "[" + clip(fmt.Sprint(k)) + "]"
}

// mapKeySeg renders a map key as a Go path segment.
func mapKeySeg(k reflect.Value) string {
	k = keyValue(k)
	if k.Kind() == reflect.String {
		return "[" + strconv.Quote(k.String()) + "]"
	}
	if !k.IsValid() || ((k.Kind() == reflect.Interface || k.Kind() == reflect.Pointer) && k.IsNil()) {
		return "[nil]"
	}
	if k.CanInterface() {
		return "[" + clip(fmt.Sprint(k.Interface())) + "]"
	}
	return "[" + k.Type().String() + "]"
}
