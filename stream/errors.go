package stream

import (
	"errors"
	"strconv"
)

// The errors of this package, matchable with errors.As:
//
//	*TornError    the file ends inside a record (a write cut short)
//	*CorruptError bytes that are not a record, with more data after them
//	*RecordError  a complete record that cannot be decoded into the target
//
// Errors of the pickle package (such as *pickle.GlobalError or
// *pickle.UnmarshalTypeError) are wrapped, not replaced: errors.As finds
// them too.

// ErrClosed is returned by the methods of a closed Log or Store.
var ErrClosed = errors.New("stream: closed")

// ErrReadOnly is returned by Append on a Log opened with ReadOnly.
var ErrReadOnly = errors.New("stream: log is read-only")

// TornError reports a log whose last record is incomplete: the file ends
// before the record's STOP opcode, or the record is followed by nothing but
// zero bytes. This is what a crash or power loss in the middle of an append
// leaves behind. Every record before Offset is complete and readable;
// Repair truncates the file at Offset.
type TornError struct {
	Offset     int64 // where the incomplete record starts
	Size       int64 // how many bytes of it (and of any zero fill) there are
	ZeroFilled bool  // the tail holds zero bytes where data was expected
}

// Error returns the one-line message.
func (e *TornError) Error() string {
	s := "stream: torn tail: incomplete record of " + strconv.FormatInt(e.Size, 10) +
		" bytes at offset " + strconv.FormatInt(e.Offset, 10)
	if e.ZeroFilled {
		s += " (zero-filled)"
	}
	return s
}

// CorruptError reports damage in the middle of a log: bytes at Offset (a
// record boundary) that are not a valid record although more data follows
// them, or a complete record (one that reaches its STOP opcode) that does
// not decode as a pickle. A crash while appending cannot cause this, so it
// is never repaired automatically; Err says what is wrong.
type CorruptError struct {
	Offset int64 // where the damaged record starts
	Err    error // the cause, such as a *pickle.SyntaxError
}

// Error returns the one-line message.
func (e *CorruptError) Error() string {
	return "stream: corrupt record at offset " + strconv.FormatInt(e.Offset, 10) + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *CorruptError) Unwrap() error { return e.Err }

// RecordError reports a complete, well-formed record that could not be
// decoded into the requested target, for example a *pickle.UnmarshalTypeError
// or a *pickle.GlobalError. Offsets inside Err count from the start of the
// record, which is at Offset in the file.
type RecordError struct {
	Offset int64
	Err    error
}

// Error returns the one-line message.
func (e *RecordError) Error() string {
	return "stream: record at offset " + strconv.FormatInt(e.Offset, 10) + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *RecordError) Unwrap() error { return e.Err }
