package pickle

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"iter"
	"reflect"
)

// InvalidUnmarshalError reports a target that cannot be decoded into: nil
// or not a pointer.
type InvalidUnmarshalError struct {
	Type reflect.Type
}

// Error returns the one-line message.
func (e *InvalidUnmarshalError) Error() string {
	if e.Type == nil {
		return "pickle: Unmarshal(nil)"
	}
	if e.Type.Kind() != reflect.Pointer {
		return "pickle: Unmarshal(non-pointer " + e.Type.String() + ")"
	}
	return "pickle: Unmarshal(nil " + e.Type.String() + ")"
}

// Unmarshal decodes the pickle in data into the value v points to.
//
// Into an `any` it stores the generic model (see value.go and
// docs/types.md); into typed Go values it binds directly: bools, integers
// of every size (overflow is an error), floats, complex numbers, strings,
// []byte and [N]byte from bytes, slices and arrays from lists, tuples and
// sets, maps from dicts (and from sets into map[K]bool or map[K]struct{}),
// structs from dicts by field name or `pickle` tag, pointers, *big.Int.
//
// It is an error (wrapping ErrTrailingData) if data holds anything after
// the pickle's STOP opcode; use UnmarshalFirst to read one pickle of
// several. Empty data gives an error wrapping ErrEmpty.
func Unmarshal(data []byte, v any, opts ...Option) error {
	rest, err := UnmarshalFirst(data, v, opts...)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &SyntaxError{Msg: "trailing data after the STOP opcode", Offset: int64(len(data) - len(rest)), Err: ErrTrailingData}
	}
	return nil
}

// UnmarshalFirst decodes the first pickle in data into the value v points
// to and returns the bytes that follow it.
func UnmarshalFirst(data []byte, v any, opts ...Option) (rest []byte, err error) {
	return unmarshalFirst(data, v, directEnabled, opts)
}

// unmarshalFirst is UnmarshalFirst, trying the direct decoder first when
// tryDirect is set (tests compare the two ways).
func unmarshalFirst(data []byte, v any, tryDirect bool, opts []Option) (rest []byte, err error) {
	// The configuration is made in the pooled direct decoder, which is on
	// the heap already: options take it by pointer, and a local one would
	// be allocated on every call.
	d := directPool.Get().(*direct)
	if err := d.conf.set(opts); err != nil {
		d.release()
		return nil, err
	}
	target, err := checkTarget(v)
	if err != nil {
		d.release()
		return nil, err
	}
	if tryDirect {
		if end, ok := d.decodeInto(data, target); ok {
			d.release()
			return data[end:], nil
		}
	}
	cfg := d.conf
	d.release()
	return unmarshalGeneral(cfg, data, target)
}

// decodeInto tries the direct decoder on the pickle at the start of data,
// into target (any or a type with a compiled direct decoder), with d's
// configuration. It returns the offset just past STOP, or ok false if the
// general decoder must decode it.
func (d *direct) decodeInto(data []byte, target reflect.Value) (end int, ok bool) {
	if target.Type() == anyType {
		x, end, ok := d.decodeAny(data)
		if ok {
			*target.Addr().Interface().(*any) = x
		}
		return end, ok
	}
	if dt := directTypeOf(target.Type()); dt.fn != nil {
		return d.decode(data, dt, target.Addr().UnsafePointer())
	}
	return 0, false
}

// unmarshalGeneral decodes with the two-pass decoder. (cfg is a copy of the
// caller's, so that only this path pays for the configuration escaping to
// the heap.)
func unmarshalGeneral(cfg config, data []byte, target reflect.Value) (rest []byte, err error) {
	m := newMachine(&cfg, data, 0, nil, 0)
	defer m.free()
	root, err := m.run()
	if err != nil {
		if err == io.EOF {
			return nil, &SyntaxError{Msg: "empty input", Offset: 0, Err: ErrEmpty}
		}
		return nil, err
	}
	if err := newBinder(m).bindRoot(root, target); err != nil {
		return nil, err
	}
	return data[m.pos:], nil
}

// checkTarget returns the value a non-nil pointer points to.
func checkTarget(v any) (reflect.Value, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return reflect.Value{}, &InvalidUnmarshalError{Type: reflect.TypeOf(v)}
	}
	return rv.Elem(), nil
}

// bindRoot binds the pickled object into target.
func (b *binder) bindRoot(root int32, target reflect.Value) error {
	if p, ok := target.Addr().Interface().(*any); ok {
		x, err := b.anyValue(root)
		if err != nil {
			return err
		}
		*p = x
		return nil
	}
	return b.bind(root, target, typeDecoder(target.Type()))
}

// A Decoder reads a sequence of pickles from an input stream, such as a file
// written by repeated pickle.dump calls or by an Encoder. It reads in bounded
// chunks as it needs bytes, and may read past the pickle it returns; the
// bytes it holds are used by the next Decode. It never writes again into a
// buffer byte once read, so that with the ZeroCopy option each result may
// point into the buffer its pickle was read into (which it keeps alive).
type Decoder struct {
	r      io.Reader
	cfg    config
	err    error  // a sticky error: an invalid option, or a failed read or pickle
	buf    []byte // bytes read from r but not yet decoded
	offset int64  // stream offset of buf[0]

	noDirect bool // decode with the general decoder only (tests compare the two ways)
}

// NewDecoder returns a decoder that reads from r. An invalid option is
// reported by Decode.
func NewDecoder(r io.Reader, opts ...Option) *Decoder {
	cfg, err := newConfig(opts)
	return &Decoder{r: r, cfg: cfg, err: err}
}

// Decode reads the next pickle from the stream into the value v points to.
// At a clean end of the stream (no byte of a next pickle) it returns io.EOF;
// a stream that ends inside a pickle gives a *SyntaxError wrapping
// ErrTruncated, whose Offset counts from the start of the stream. After an
// error other than a type mismatch, every later call returns the same error.
func (d *Decoder) Decode(v any) error {
	if d.err != nil {
		return d.err
	}
	target, err := checkTarget(v)
	if err != nil {
		return err
	}
	if end, ok := d.decodeBuffered(target); ok {
		d.offset += int64(end)
		d.buf = d.buf[end:]
		return nil
	}
	m := newMachine(&d.cfg, d.buf, 0, d.r, d.offset)
	defer m.free()
	root, err := m.run()
	if err != nil {
		if err == io.EOF {
			d.buf = nil
			return io.EOF
		}
		d.err = err
		return err
	}
	d.offset += int64(m.pos)
	d.buf = m.data[m.pos:]
	return newBinder(m).bindRoot(root, target)
}

// decodeBuffered tries the direct decoder on the bytes already buffered,
// when they may hold a whole pickle (a STOP byte is among them). It gives
// up, leaving the pickle to the general decoder, which reads more of the
// stream as it needs, whenever the pickle runs past the buffered bytes or
// is anything the direct decoder does not handle.
func (d *Decoder) decodeBuffered(target reflect.Value) (end int, ok bool) {
	b := d.buf
	if !directEnabled || d.noDirect || len(b) < 2 || b[0] != opProto {
		return 0, false
	}
	size := bytes.IndexByte(b, opStop) + 1 // a guess at the pickle's size, for sizing chunks
	if size == 0 {
		return 0, false
	}
	if len(b) >= 11 && b[2] == opFrame {
		n := binary.LittleEndian.Uint64(b[3:])
		if n > uint64(len(b)-11) {
			return 0, false // the first frame is not all here: the pickle is not either
		}
		size = max(size, 11+int(n))
	}
	dd := directPool.Get().(*direct)
	dd.conf = d.cfg
	dd.sizeHint = size
	end, ok = dd.decodeInto(d.buf, target)
	dd.release()
	return end, ok
}

// More reports whether the stream holds at least one more byte, the start of
// another pickle. It may block reading from the underlying reader.
func (d *Decoder) More() bool {
	if d.err != nil {
		return false
	}
	if len(d.buf) > 0 {
		return true
	}
	var one [1]byte
	for {
		n, err := d.r.Read(one[:])
		if n > 0 {
			// d.buf is empty and starts past every byte decoded so far, so
			// this writes no byte a ZeroCopy result points into.
			d.buf = append(d.buf[:0], one[0])
			return true
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				d.err = err
			}
			return false
		}
	}
}

// InputOffset returns the stream offset just past the last pickle decoded:
// the number of bytes consumed so far, and where the next pickle starts.
func (d *Decoder) InputOffset() int64 { return d.offset }

// All iterates over the remaining pickles of the stream decoded into `any`,
// stopping at the end of the stream or after the first error, which it
// yields:
//
//	for v, err := range dec.All() { ... }
func (d *Decoder) All() iter.Seq2[any, error] {
	return func(yield func(any, error) bool) {
		for {
			var v any
			err := d.Decode(&v)
			if err == io.EOF {
				return
			}
			if !yield(v, err) || err != nil {
				return
			}
		}
	}
}
