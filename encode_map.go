package pickle

import (
	"encoding/binary"
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
		if e.openDict(memoKey{p: v.UnsafePointer(), t: typeID(t), kind: memoMap}) {
			return nil
		}
		if err := e.enter(); err != nil {
			return err
		}
		err := entries(e, v)
		e.leave()
		return err
	}
}

// writeStrStrMap writes the map[string]string m (its pointer, as read from
// memory) of type t as newStringMapEncoder does, without a reflect.Value.
// tid is typeID(t).
func (e *encodeState) writeStrStrMap(tid, m unsafe.Pointer) error {
	e.boundary()
	if m == nil {
		e.writeDictHead(memoKey{}, false)
		return nil
	}
	if e.openDict(memoKey{p: m, t: tid, kind: memoMap}) {
		return nil
	}
	if err := e.enter(); err != nil {
		return err
	}
	var err error
	if sm := *(*map[string]string)(unsafe.Pointer(&m)); len(sm) > 1 && len(sm) <= maxSmallStrMap && e.proto > 0 {
		err = e.writeSmallStrStrItems(sm)
	} else {
		err = strStrEntries(e, m)
	}
	e.leave()
	return err
}

// maxSmallStrMap is the largest map[string]string written by
// writeSmallStrStrItems.
const maxSmallStrMap = 8

// writeSmallStrStrItems writes the items of a map[string]string of 2 to
// maxSmallStrMap entries (protocol 1 or more) as strStrEntries does, as a
// record's attributes usually are: read into an array, sorted by insertion,
// and written in one batch, with no call through a function value.
func (e *encodeState) writeSmallStrStrItems(m map[string]string) error {
	var keys, vals [maxSmallStrMap]string
	n, want := 0, len(m)
	for k, v := range m {
		if n == len(keys) { // the map grew under us: a data race in the caller
			break
		}
		keys[n], vals[n] = k, v
		n++
		if n == want {
			// Every entry is in: the iterator's last step, which scans
			// the rest of the map's slots for nothing, is left out.
			break
		}
	}
	for i := 1; i < n; i++ {
		for j := i; j > 0 && strLess(keys[j], keys[j-1]); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
			vals[j], vals[j-1] = vals[j-1], vals[j]
		}
	}
	e.op(opMark)
	for i := range n {
		e.boundary()
		if err := e.writeString(keys[i]); err != nil {
			return withPath(err, strKeySeg(keys[i]))
		}
		e.boundary()
		if err := e.writeString(vals[i]); err != nil {
			return withPath(err, strKeySeg(keys[i]))
		}
	}
	e.op(opSetitems)
	return nil
}

// strLess is a < b, deciding at once on the first bytes when they differ,
// as the keys of a record's attributes usually do (a < b is a call).
func strLess(a, b string) bool {
	if len(a) > 0 && len(b) > 0 && a[0] != b[0] {
		return a[0] < b[0]
	}
	return a < b
}

// strStrEntries writes the entries of a map[string]string.
var strStrEntries = nativeStringMapAt(func(e *encodeState, x string) error {
	e.boundary()
	return e.writeString(x)
})

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
	at := nativeStringMapAt(writeVal)
	return func(e *encodeState, v reflect.Value) error {
		return at(e, v.UnsafePointer())
	}
}

// nativeStringMapAt returns a writer of the entries of the map[string]V
// whose pointer is p.
func nativeStringMapAt[V any](writeVal func(e *encodeState, x V) error) func(e *encodeState, p unsafe.Pointer) error {
	return func(e *encodeState, p unsafe.Pointer) error {
		m := *(*map[string]V)(unsafe.Pointer(&p))
		var small [16]strEntry[V]
		entries := small[:0]
		if len(m) > len(small) {
			entries = make([]strEntry[V], 0, len(m))
		}
		for k, x := range m {
			entries = append(entries, strEntry[V]{k, x})
		}
		order := sortStrEntries(e, entries)
		if n := len(entries); n > 1 && n < batchSize && e.proto > 0 {
			// One batch, as batchSetitems writes it, without a call per
			// entry.
			e.op(opMark)
			for i := range entries {
				en := &entries[order.at(i)]
				e.boundary()
				if err := e.writeString(en.k); err != nil {
					e.releaseOrder(order)
					return withPath(err, strKeySeg(en.k))
				}
				if err := writeVal(e, en.v); err != nil {
					e.releaseOrder(order)
					return withPath(err, strKeySeg(en.k))
				}
			}
			e.op(opSetitems)
			e.releaseOrder(order)
			return nil
		}
		err := e.batchSetitems(len(entries), func(i int) error {
			en := &entries[order.at(i)]
			e.boundary()
			if err := e.writeString(en.k); err != nil {
				return withPath(err, strKeySeg(en.k))
			}
			if err := writeVal(e, en.v); err != nil {
				return withPath(err, strKeySeg(en.k))
			}
			return nil
		})
		e.releaseOrder(order)
		return err
	}
}

// minRadixSort is the number of entries from which sortStrEntries sorts by
// radix.
const minRadixSort = 256

// maxInsertionSort is the number of entries up to which sortStrEntries
// sorts by insertion.
const maxInsertionSort = 8

// sortStrEntries returns the order of entries by key, bytewise. Few
// entries are sorted in place (the order is then the identity); many are
// sorted by a radix sort of the first 8 bytes of their keys, which reads
// no key twice, then by a comparison sort of each run of keys with the same
// first 8 bytes.
func sortStrEntries[V any](e *encodeState, entries []strEntry[V]) entryOrder {
	if len(entries) <= maxInsertionSort {
		// The keys of a map are distinct: every sort gives this order.
		for i := 1; i < len(entries); i++ {
			for j := i; j > 0 && entries[j].k < entries[j-1].k; j-- {
				entries[j], entries[j-1] = entries[j-1], entries[j]
			}
		}
		return entryOrder{}
	}
	if len(entries) < minRadixSort {
		if len(entries) > 1 {
			slices.SortFunc(entries, func(a, b strEntry[V]) int { return strings.Compare(a.k, b.k) })
		}
		return entryOrder{}
	}
	bufA, bufB := e.takeOrder(len(entries))
	for i := range entries {
		bufA[i] = radixKey{keyPrefix(entries[i].k), uint32(i)}
	}
	keys := radixSort(bufA, bufB)
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j].pfx == keys[i].pfx {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(keys[i:j], func(a, b radixKey) int { return strings.Compare(entries[a.i].k, entries[b.i].k) })
		}
		i = j
	}
	return entryOrder{keys, bufA, bufB}
}

// entryOrder is the sorted order of a slice of entries: their indices in
// keys (one of the scratch slices bufA and bufB), or the identity when keys
// is nil.
type entryOrder struct {
	keys, bufA, bufB []radixKey
}

func (o entryOrder) at(i int) int {
	if o.keys == nil {
		return i
	}
	return int(o.keys[i].i)
}

// radixKey is an entry to sort: the first 8 bytes of its key and its
// index.
type radixKey struct {
	pfx uint64
	i   uint32
}

// keyPrefix returns the first 8 bytes of s as a big-endian number, padded
// with zeros: the prefixes are in the order of the strings, except that
// strings with equal prefixes are left to a comparison of the whole.
func keyPrefix(s string) uint64 {
	if len(s) >= 8 {
		return binary.BigEndian.Uint64(unsafe.Slice(unsafe.StringData(s), 8))
	}
	var b [8]byte
	copy(b[:], s)
	return binary.BigEndian.Uint64(b[:])
}

// radixSort sorts a by prefix (a stable LSD radix sort, byte by byte,
// skipping the bytes where all prefixes agree), using tmp (as long as a),
// and returns the sorted slice, which is a or tmp.
func radixSort(a, tmp []radixKey) []radixKey {
	var counts [8][256]int
	for _, x := range a {
		for d := range counts {
			counts[d][byte(x.pfx>>(8*d))]++
		}
	}
	for d := range counts {
		c := &counts[d]
		if c[byte(a[0].pfx>>(8*d))] == len(a) {
			continue
		}
		sum := 0
		for b, n := range c {
			c[b] = sum
			sum += n
		}
		for _, x := range a {
			b := byte(x.pfx >> (8 * d))
			tmp[c[b]] = x
			c[b]++
		}
		a, tmp = tmp, a
	}
	return a
}

// maxPooledOrder is the largest sort scratch kept for the next encode.
const maxPooledOrder = 1 << 17

// takeOrder returns two slices of n radix keys, the encoder's own when they
// are free (a map inside a map being written needs new ones).
func (e *encodeState) takeOrder(n int) (keys, tmp []radixKey) {
	if cap(e.orderKeys) >= n {
		keys, tmp = e.orderKeys[:n], e.orderTmp[:n]
		e.orderKeys, e.orderTmp = nil, nil
		return keys, tmp
	}
	return make([]radixKey, n), make([]radixKey, n)
}

// releaseOrder gives the slices of o back to the encoder for reuse.
func (e *encodeState) releaseOrder(o entryOrder) {
	if o.keys != nil && cap(o.keys) > cap(e.orderKeys) && cap(o.keys) <= maxPooledOrder {
		e.orderKeys, e.orderTmp = o.bufA[:0], o.bufB[:0]
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
		e.pin(vals.UnsafePointer()) // its items are written by address: see pin
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
		order := sortStrEntries(e, entries)
		err := e.batchSetitems(len(entries), func(i int) error {
			en := &entries[order.at(i)]
			e.boundary()
			if err := e.writeString(en.k); err != nil {
				return withPath(err, strKeySeg(en.k))
			}
			if err := valEnc(e, vals.Index(en.v)); err != nil {
				return withPath(err, strKeySeg(en.k))
			}
			return nil
		})
		e.releaseOrder(order)
		return err
	}
}

// strKeySeg renders a string map key as a Go path segment, as mapKeySeg.
func strKeySeg(k string) string { return "[" + strconv.Quote(k) + "]" }
