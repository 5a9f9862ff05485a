package pickle

import (
	"errors"
	"io"
)

// Marshal returns the pickle of v, written at DefaultProtocol unless a
// Protocol option says otherwise.
func Marshal(v any, opts ...Option) ([]byte, error) {
	return nil, errors.New("pickle: encoder not implemented yet")
}

// An Encoder writes pickles to an output stream, one complete pickle (with a
// fresh memo) per call to Encode, so that Python can read them back with
// repeated pickle.load calls.
type Encoder struct {
	w   io.Writer
	cfg config
	err error // an invalid option, reported by every Encode
}

// NewEncoder returns an encoder that writes to w. An invalid option is
// reported by the first call to Encode.
func NewEncoder(w io.Writer, opts ...Option) *Encoder {
	cfg, err := newConfig(opts)
	return &Encoder{w: w, cfg: cfg, err: err}
}

// Encode writes the pickle of v.
func (e *Encoder) Encode(v any) error {
	if e.err != nil {
		return e.err
	}
	return errors.New("pickle: encoder not implemented yet")
}
