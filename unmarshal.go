package pickle

import (
	"errors"
	"io"
	"reflect"
)

// InvalidUnmarshalError reports a target that cannot be decoded into: nil
// or not a pointer.
type InvalidUnmarshalError struct {
	Type reflect.Type
}

func (e *InvalidUnmarshalError) Error() string {
	if e.Type == nil {
		return "pickle: Unmarshal(nil)"
	}
	if e.Type.Kind() != reflect.Pointer {
		return "pickle: Unmarshal(non-pointer " + e.Type.String() + ")"
	}
	return "pickle: Unmarshal(nil " + e.Type.String() + ")"
}

// Unmarshal decodes the pickle in data into the value v points to. It is an
// error (wrapping ErrTrailingData) if data holds anything after the pickle's
// STOP opcode; use UnmarshalFirst to read one pickle of several.
func Unmarshal(data []byte, v any, opts ...Option) error {
	return errors.New("pickle: decoder not implemented yet")
}

// UnmarshalFirst decodes the first pickle in data into v and returns the
// bytes that follow it.
func UnmarshalFirst(data []byte, v any, opts ...Option) (rest []byte, err error) {
	return nil, errors.New("pickle: decoder not implemented yet")
}

// A Decoder reads a sequence of pickles from an input stream, such as a file
// written by repeated pickle.dump calls.
type Decoder struct {
	r   io.Reader
	cfg config
	err error
}

// NewDecoder returns a decoder that reads from r. It reads only what it
// needs, in bounded chunks. An invalid option is reported by Decode.
func NewDecoder(r io.Reader, opts ...Option) *Decoder {
	cfg, err := newConfig(opts)
	return &Decoder{r: r, cfg: cfg, err: err}
}

// Decode reads the next pickle from the stream into the value v points to.
// At a clean end of the stream (no byte of a next pickle) it returns io.EOF;
// a stream that ends inside a pickle gives an error wrapping ErrTruncated.
func (d *Decoder) Decode(v any) error {
	if d.err != nil {
		return d.err
	}
	return errors.New("pickle: decoder not implemented yet")
}
