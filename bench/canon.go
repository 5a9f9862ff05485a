package bench

import (
	"encoding/base64"
	"fmt"
	"math/big"
	"reflect"
	"strings"

	"github.com/go-pickle/pickle"
	ogorek "github.com/kisielk/og-rek"
	gptypes "github.com/nlpodyssey/gopickle/types"
)

// This file checks decoded values against the generated data. Each library
// decodes into `any` its own way (our *pickle.Dict, og-rek's map[any]any,
// gopickle's *types.Dict, json's map[string]any, ...), so every result is
// first turned into one canonical form: nil, bool, int64, float64, string,
// []byte, []any and map[string]any. The expected value is the generated
// typed Go value turned into the same form (structs by their pickle tag
// names). The two are then compared with reflect.DeepEqual.

// canon returns the canonical form of v, or an error for a value the
// workloads never hold (a non-string dict key, a duplicate key, an int
// beyond int64).
func canon(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []byte:
		return x, nil
	case ogorek.Bytes:
		return []byte(x), nil
	case *big.Int:
		if !x.IsInt64() {
			return nil, fmt.Errorf("int %s beyond int64", x)
		}
		return x.Int64(), nil
	case pickle.Tuple:
		return canonItems([]any(x))
	case *pickle.List:
		return canonItems(x.Items)
	case ogorek.Tuple:
		return canonItems([]any(x))
	case *gptypes.List:
		return canonItems([]any(*x))
	case *gptypes.Tuple:
		return canonItems([]any(*x))
	case *pickle.Dict:
		return canonPairs(x.Len(), func(yield func(k, v any) bool) {
			for k, v := range x.All() {
				if !yield(k, v) {
					return
				}
			}
		})
	case ogorek.Dict:
		return canonPairs(x.Len(), x.Iter())
	case *gptypes.Dict:
		return canonPairs(len(*x), func(yield func(k, v any) bool) {
			for _, e := range *x {
				if !yield(e.Key, e.Value) {
					return
				}
			}
		})
	}
	return canonReflect(reflect.ValueOf(v))
}

// canonReflect handles plain Go values: typed data and the maps and slices
// of the generic decoders.
func canonReflect(rv reflect.Value) (any, error) {
	switch rv.Kind() {
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u := rv.Uint()
		if u > 1<<63-1 {
			return nil, fmt.Errorf("uint %d beyond int64", u)
		}
		return int64(u), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, nil
		}
		return canon(rv.Elem().Interface())
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return rv.Bytes(), nil
		}
		items := make([]any, rv.Len())
		for i := range items {
			items[i] = rv.Index(i).Interface()
		}
		return canonItems(items)
	case reflect.Map:
		return canonPairs(rv.Len(), func(yield func(k, v any) bool) {
			for it := rv.MapRange(); it.Next(); {
				if !yield(it.Key().Interface(), it.Value().Interface()) {
					return
				}
			}
		})
	case reflect.Struct:
		return canonStruct(rv)
	}
	return nil, fmt.Errorf("unexpected %s in a decoded value", rv.Type())
}

// canonItems canonicalizes the items of a list or tuple.
func canonItems(items []any) (any, error) {
	out := make([]any, len(items))
	for i, it := range items {
		c, err := canon(it)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// canonPairs canonicalizes a dict of n pairs with string keys.
func canonPairs(n int, all func(yield func(k, v any) bool)) (any, error) {
	out := make(map[string]any, n)
	var err error
	count := 0
	all(func(k, v any) bool {
		count++
		ks, ok := k.(string)
		if !ok {
			err = fmt.Errorf("dict key of type %T", k)
			return false
		}
		if _, dup := out[ks]; dup {
			err = fmt.Errorf("duplicate dict key %q", ks)
			return false
		}
		out[ks], err = canon(v)
		return err == nil
	})
	if err == nil && count != n {
		err = fmt.Errorf("dict reports %d pairs but holds %d", n, count)
	}
	return out, err
}

// canonStruct turns a struct into a map by its pickle tag names.
func canonStruct(rv reflect.Value) (any, error) {
	t := rv.Type()
	out := make(map[string]any, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("pickle"), ",")
		if name == "" {
			name = t.Field(i).Name
		}
		c, err := canon(rv.Field(i).Interface())
		if err != nil {
			return nil, err
		}
		out[name] = c
	}
	return out, nil
}

// jsonFlavour turns a canonical value into what encoding/json's generic
// decoding gives for it: numbers as float64 (exact: the workloads keep
// every int within 2**53) and bytes as base64 text.
func jsonFlavour(v any) any {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = jsonFlavour(it)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, it := range x {
			out[k] = jsonFlavour(it)
		}
		return out
	}
	return v
}

// sameCanon reports (as an error) whether got, canonicalized, equals want.
func sameCanon(got, want any) error {
	c, err := canon(got)
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(c, want) {
		return fmt.Errorf("decoded value differs from the data (%s)", firstDiff(c, want, "$"))
	}
	return nil
}

// firstDiff describes where two canonical values first differ.
func firstDiff(got, want any, path string) string {
	switch w := want.(type) {
	case []any:
		g, ok := got.([]any)
		if !ok {
			return fmt.Sprintf("%s: got %T, want list", path, got)
		}
		if len(g) != len(w) {
			return fmt.Sprintf("%s: got %d items, want %d", path, len(g), len(w))
		}
		for i := range w {
			if !reflect.DeepEqual(g[i], w[i]) {
				return firstDiff(g[i], w[i], fmt.Sprintf("%s[%d]", path, i))
			}
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: got %T, want dict", path, got)
		}
		if len(g) != len(w) {
			return fmt.Sprintf("%s: got %d keys, want %d", path, len(g), len(w))
		}
		for k := range w {
			if !reflect.DeepEqual(g[k], w[k]) {
				return firstDiff(g[k], w[k], fmt.Sprintf("%s[%q]", path, k))
			}
		}
	}
	gs, ws := fmt.Sprintf("%T %.60v", got, got), fmt.Sprintf("%T %.60v", want, want)
	return fmt.Sprintf("%s: got %s, want %s", path, gs, ws)
}
