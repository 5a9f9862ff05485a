package pickle

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// This file holds the encoder's fast path for maps with string keys
// (map[string]T, the usual Go form of a Python dict): the keys are sorted as
// plain Go strings, and the entries of maps of predeclared value types are
// read by a native range loop, with no reflection per entry. The bytes are
// those of the generic path (newMapEncoder).

// strEntry is one entry of a map with string keys.
type strEntry[V any] struct {
	k string
	v V
}

// newStringMapEncoder writes a map whose key type is string. With a
// PersistentID hook (which must see every key) it defers to the generic
// encoder.
func newStringMapEncoder(t reflect.Type, generic encoderFunc) encoderFunc {
	entries := stringMapWriter(t)
	return func(e *encodeState, v reflect.Value) error {
		if e.cfg.persistentID != nil {
			return generic(e, v)
		}
		e.boundary()
		if v.IsNil() {
			e.writeDictHead(memoKey{}, false)
			return nil
		}
		k := memoKey{p: v.UnsafePointer(), t: typeID(t), kind: memoMap}
		if e.getMemo(k) {
			return nil
		}
		e.writeDictHead(k, true)
		if err := e.enter(); err != nil {
			return err
		}
		err := entries(e, v)
		e.leave()
		return err
	}
}

// stringMapWriter returns the function that writes the entries of a map
// of type t (key type string) as dict items.
func stringMapWriter(t reflect.Type) func(e *encodeState, v reflect.Value) error {
	switch t.Elem() {
	case reflect.TypeFor[string]():
		return nativeStringMap(func(e *encodeState, x string) error {
			e.boundary()
			return e.writeString(x)
		})
	case reflect.TypeFor[int64]():
		return nativeStringMap(func(e *encodeState, x int64) error {
			e.boundary()
			e.writeInt(x)
			return nil
		})
	case reflect.TypeFor[int]():
		return nativeStringMap(func(e *encodeState, x int) error {
			e.boundary()
			e.writeInt(int64(x))
			return nil
		})
	case reflect.TypeFor[float64]():
		return nativeStringMap(func(e *encodeState, x float64) error {
			e.boundary()
			e.writeFloat(x)
			return nil
		})
	case reflect.TypeFor[bool]():
		return nativeStringMap(func(e *encodeState, x bool) error {
			e.boundary()
			e.writeBool(x)
			return nil
		})
	case reflect.TypeFor[any]():
		return nativeStringMap((*encodeState).encodeAny)
	}
	return reflectStringMap(t)
}

// nativeStringMap returns a writer of the entries of a map[string]V (or a
// defined type of it), read by a native range loop.
func nativeStringMap[V any](writeVal func(e *encodeState, x V) error) func(e *encodeState, v reflect.Value) error {
	return func(e *encodeState, v reflect.Value) error {
		p := v.UnsafePointer()
		m := *(*map[string]V)(unsafe.Pointer(&p))
		var small [16]strEntry[V]
		entries := small[:0]
		if len(m) > len(small) {
			entries = make([]strEntry[V], 0, len(m))
		}
		for k, x := range m {
			entries = append(entries, strEntry[V]{k, x})
		}
		sortStrEntries(entries)
		return e.batchSetitems(len(entries), func(i int) error {
			en := &entries[i]
			e.boundary()
			if err := e.writeString(en.k); err != nil {
				return withPath(err, strKeySeg(en.k))
			}
			if err := writeVal(e, en.v); err != nil {
				return withPath(err, strKeySeg(en.k))
			}
			return nil
		})
	}
}

// sortStrEntries sorts entries by key, bytewise.
func sortStrEntries[V any](entries []strEntry[V]) {
	if len(entries) > 1 {
		slices.SortFunc(entries, func(a, b strEntry[V]) int { return strings.Compare(a.k, b.k) })
	}
}

// reflectStringMap returns a writer of the entries of a map with string
// keys and values of any type: the values are copied into one slice and
// written by the encoder of their type.
func reflectStringMap(t reflect.Type) func(e *encodeState, v reflect.Value) error {
	var valEnc encoderFunc
	var once sync.Once
	return func(e *encodeState, v reflect.Value) error {
		once.Do(func() { valEnc = typeEncoder(t.Elem()) })
		n := v.Len()
		vals := reflect.MakeSlice(reflect.SliceOf(t.Elem()), n, n)
		key := reflect.New(t.Key()).Elem()
		var small [16]strEntry[int]
		entries := small[:0]
		if n > len(small) {
			entries = make([]strEntry[int], 0, n)
		}
		for it := v.MapRange(); it.Next(); {
			i := len(entries)
			if i == n { // the map grew under us: a data race in the caller
				break
			}
			key.SetIterKey(it)
			vals.Index(i).SetIterValue(it)
			entries = append(entries, strEntry[int]{key.String(), i})
		}
		sortStrEntries(entries)
		return e.batchSetitems(len(entries), func(i int) error {
			en := &entries[i]
			e.boundary()
			if err := e.writeString(en.k); err != nil {
				return withPath(err, strKeySeg(en.k))
			}
			if err := valEnc(e, vals.Index(en.v)); err != nil {
				return withPath(err, strKeySeg(en.k))
			}
			return nil
		})
	}
}

// strKeySeg renders a string map key as a Go path segment, as mapKeySeg.
func strKeySeg(k string) string { return "[" + strconv.Quote(k) + "]" }
