package pickle

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/fatih/structtag"
)

// This file turns a struct type into the list of its pickled fields, parsing
// `pickle:"..."` tags once per type. The result (or the error of a malformed
// tag) is cached, so the hot paths never parse tags.
//
// Tag syntax: `pickle:"name,opt,opt..."` where name may be empty (keep the
// Go name) or "-" (skip the field), and the options are:
//
//	omitempty   skip false, 0, "", nil and empty slices, maps and strings
//	omitzero    skip the zero value, or a value whose IsZero() bool says so
//	alias=OLD   also accept OLD when decoding (may repeat); encode uses name
//	inline      the field (a map with string keys, or *Dict) collects keys
//	            that match no other field, and writes them back
//	tuple       write a slice or array as a Python tuple
//	set         write a slice, or a map's keys, as a Python set
//	frozenset   write a slice, or a map's keys, as a Python frozenset
//	bytearray   write a []byte as a Python bytearray
//
// A misspelled option is an error, reported when the type is first used.

// typeHint says which Python type a field is written as where Go has one
// type for several Python ones.
type typeHint uint8

const (
	hintNone typeHint = iota
	hintTuple
	hintSet
	hintFrozenSet
	hintByteArray
)

// field is one pickled struct field.
type field struct {
	name      string       // the Python attribute (dict key) it is written as
	aliases   []string     // other keys accepted on decode
	index     []int        // reflect index path, through embedded structs
	typ       reflect.Type // the field's type
	omitEmpty bool
	omitZero  bool
	hint      typeHint
	tagged    bool // name came from a tag (for embedding conflicts)
}

// structInfo is the cached description of a struct type.
type structInfo struct {
	fields []field
	byName map[string]int // name and aliases -> position in fields
	inline *field         // the catch-all field, or nil

	transformed sync.Map // name transform key -> *namedFields
}

// namedFields are a struct's field names under a name transform.
type namedFields struct {
	names  []string       // the name each field is written as
	byName map[string]int // names and aliases -> position in fields
}

// withTransform returns the field names with fn applied to the fields
// that have no name in their tag. key identifies fn.
func (si *structInfo) withTransform(key uintptr, fn func(string) string) *namedFields {
	if nf, ok := si.transformed.Load(key); ok {
		return nf.(*namedFields)
	}
	nf := &namedFields{names: make([]string, len(si.fields)), byName: make(map[string]int, len(si.byName))}
	for i, f := range si.fields {
		nf.names[i] = f.name
		if !f.tagged {
			nf.names[i] = fn(f.name)
		}
		nf.byName[nf.names[i]] = i
	}
	for i, f := range si.fields {
		for _, a := range f.aliases {
			if _, taken := nf.byName[a]; !taken {
				nf.byName[a] = i
			}
		}
	}
	actual, _ := si.transformed.LoadOrStore(key, nf)
	return actual.(*namedFields)
}

// SnakeCase turns a Go field name into Python's snake_case: "UserID"
// becomes "user_id", "HTTPServer" "http_server". Use it with NameTransform.
func SnakeCase(goName string) string {
	r := []rune(goName)
	var b strings.Builder
	for i, c := range r {
		upper := c >= 'A' && c <= 'Z'
		if upper && i > 0 {
			prevLower := r[i-1] >= 'a' && r[i-1] <= 'z' || r[i-1] >= '0' && r[i-1] <= '9'
			nextLower := i+1 < len(r) && r[i+1] >= 'a' && r[i+1] <= 'z'
			prevUpper := r[i-1] >= 'A' && r[i-1] <= 'Z'
			if prevLower || prevUpper && nextLower {
				b.WriteByte('_')
			}
		}
		if upper {
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}

// TagError reports a malformed `pickle` struct tag.
type TagError struct {
	Struct reflect.Type
	Field  string
	Msg    string
	Err    error // the underlying parse error, if any
}

// Error returns the one-line message.
func (e *TagError) Error() string {
	return "pickle: bad struct tag on " + typeString(e.Struct) + "." + e.Field + ": " + e.Msg
}

// Unwrap returns the underlying parse error.
func (e *TagError) Unwrap() error { return e.Err }

type structInfoResult struct {
	info *structInfo
	err  error
}

var structInfoCache sync.Map // reflect.Type -> structInfoResult

// cachedStructInfo returns the field list of struct type t.
func cachedStructInfo(t reflect.Type) (*structInfo, error) {
	if r, ok := structInfoCache.Load(t); ok {
		r := r.(structInfoResult)
		return r.info, r.err
	}
	info, err := buildStructInfo(t)
	r, _ := structInfoCache.LoadOrStore(t, structInfoResult{info, err})
	res := r.(structInfoResult)
	return res.info, res.err
}

// parsedTag is what one field's tag says.
type parsedTag struct {
	name      string
	skip      bool
	omitEmpty bool
	omitZero  bool
	inline    bool
	aliases   []string
	hint      typeHint
}

func parseFieldTag(st reflect.Type, sf reflect.StructField) (parsedTag, error) {
	var p parsedTag
	tags, err := structtag.Parse(string(sf.Tag))
	if err != nil {
		return p, &TagError{Struct: st, Field: sf.Name, Msg: err.Error(), Err: err}
	}
	tag, err := tags.Get("pickle")
	if err != nil { // no pickle tag
		return p, nil
	}
	if tag.Name == "-" && len(tag.Options) == 0 {
		p.skip = true
		return p, nil
	}
	p.name = tag.Name
	for _, opt := range tag.Options {
		switch {
		case opt == "omitempty":
			p.omitEmpty = true
		case opt == "omitzero":
			p.omitZero = true
		case opt == "inline":
			p.inline = true
		case opt == "tuple", opt == "set", opt == "frozenset", opt == "bytearray":
			if p.hint != hintNone {
				return p, &TagError{Struct: st, Field: sf.Name, Msg: "more than one type hint"}
			}
			p.hint = map[string]typeHint{"tuple": hintTuple, "set": hintSet, "frozenset": hintFrozenSet, "bytearray": hintByteArray}[opt]
		case strings.HasPrefix(opt, "alias="):
			a := strings.TrimPrefix(opt, "alias=")
			if a == "" {
				return p, &TagError{Struct: st, Field: sf.Name, Msg: "empty alias"}
			}
			p.aliases = append(p.aliases, a)
		default:
			return p, &TagError{Struct: st, Field: sf.Name, Msg: "unknown option " + quote(opt)}
		}
	}
	return p, nil
}

// buildStructInfo walks t and its embedded structs breadth first, as
// encoding/json does: a shallower field hides a deeper one of the same name;
// at the same depth a tagged field wins; otherwise both are dropped.
func buildStructInfo(t reflect.Type) (*structInfo, error) {
	type queued struct {
		typ   reflect.Type
		index []int
	}
	var all []field
	var inline *field
	depthOf := map[string]int{}
	current := []queued{{typ: t}}
	visited := map[reflect.Type]bool{}
	for depth := 0; len(current) > 0; depth++ {
		var next []queued
		for _, q := range current {
			if visited[q.typ] {
				continue
			}
			visited[q.typ] = true
			for i := 0; i < q.typ.NumField(); i++ {
				sf := q.typ.Field(i)
				tag, err := parseFieldTag(q.typ, sf)
				if err != nil {
					return nil, err
				}
				if tag.skip {
					continue
				}
				index := append(append([]int(nil), q.index...), i)
				ft := sf.Type
				if sf.Anonymous {
					et := ft
					if et.Kind() == reflect.Pointer {
						et = et.Elem()
					}
					if tag.name == "" && et.Kind() == reflect.Struct && !tag.inline {
						if !sf.IsExported() && ft.Kind() == reflect.Pointer {
							continue // cannot be set through reflection
						}
						next = append(next, queued{typ: et, index: index})
						continue
					}
				}
				if !sf.IsExported() {
					continue
				}
				f := field{
					name: sf.Name, aliases: tag.aliases, index: index, typ: ft,
					omitEmpty: tag.omitEmpty, omitZero: tag.omitZero, hint: tag.hint,
				}
				if tag.name != "" {
					f.name, f.tagged = tag.name, true
				}
				if err := checkHint(q.typ, sf, tag.hint); err != nil {
					return nil, err
				}
				if tag.inline {
					if inline != nil {
						return nil, &TagError{Struct: q.typ, Field: sf.Name, Msg: "more than one inline field"}
					}
					if !inlineTypeOK(ft) {
						return nil, &TagError{Struct: q.typ, Field: sf.Name, Msg: "inline field must be a map with string keys or *pickle.Dict, not " + ft.String()}
					}
					ff := f
					inline = &ff
					continue
				}
				if _, seen := depthOf[f.name]; !seen {
					depthOf[f.name] = depth
				}
				all = append(all, f)
				_ = depth
			}
		}
		current = next
	}
	fields := dominantFields(all)
	info := &structInfo{fields: fields, byName: make(map[string]int, len(fields)), inline: inline}
	for i, f := range fields {
		info.byName[f.name] = i
	}
	for i, f := range fields {
		for _, a := range f.aliases {
			if _, taken := info.byName[a]; taken {
				return nil, &TagError{Struct: t, Field: f.name, Msg: "alias " + quote(a) + " is already a field name or alias"}
			}
			info.byName[a] = i
		}
	}
	return info, nil
}

// dominantFields applies encoding/json's rules to fields with the same name.
func dominantFields(all []field) []field {
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].name != all[j].name {
			return all[i].name < all[j].name
		}
		if len(all[i].index) != len(all[j].index) {
			return len(all[i].index) < len(all[j].index)
		}
		return all[i].tagged && !all[j].tagged
	})
	var out []field
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].name == all[i].name {
			j++
		}
		group := all[i:j]
		i = j
		if len(group) > 1 && len(group[0].index) == len(group[1].index) && group[0].tagged == group[1].tagged {
			continue // ambiguous: drop them all
		}
		out = append(out, group[0])
	}
	// Declaration order, as Go programmers expect and CPython keeps.
	sort.Slice(out, func(i, j int) bool { return lessIndex(out[i].index, out[j].index) })
	return out
}

func lessIndex(a, b []int) bool {
	for k := 0; k < len(a) && k < len(b); k++ {
		if a[k] != b[k] {
			return a[k] < b[k]
		}
	}
	return len(a) < len(b)
}

func checkHint(st reflect.Type, sf reflect.StructField, h typeHint) error {
	t := sf.Type
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	ok := true
	switch h {
	case hintTuple:
		ok = t.Kind() == reflect.Slice || t.Kind() == reflect.Array
	case hintSet, hintFrozenSet:
		ok = t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map
	case hintByteArray:
		ok = (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && t.Elem().Kind() == reflect.Uint8
	}
	if !ok {
		return &TagError{Struct: st, Field: sf.Name, Msg: fmt.Sprintf("type hint does not fit %s", sf.Type)}
	}
	return nil
}

var dictPtrType = reflect.TypeOf((*Dict)(nil))

func inlineTypeOK(t reflect.Type) bool {
	return t == dictPtrType || t.Kind() == reflect.Map && t.Key().Kind() == reflect.String
}
