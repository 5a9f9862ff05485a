package pickle

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The errors of this package. Every message is one line and starts with
// "pickle:". Match them with errors.As (the types) or errors.Is (the
// sentinels):
//
//	*SyntaxError          the input is not a well-formed pickle (offset, opcode)
//	*UnmarshalTypeError   a decoded Python value does not fit the Go target
//	*UnsupportedTypeError a Go value that has no pickle form (chan, func, ...)
//	*GlobalError          a global or constructor the resolver refused
//	*LimitError           the input exceeded a configured limit
//	*OptionError          an invalid option value
//
// Sentinels, wrapped by the errors above where they apply:
var (
	// ErrTruncated means the input ended inside a pickle (cut short).
	ErrTruncated = errors.New("pickle: truncated input")
	// ErrEmpty means there was no input at all where a pickle was expected.
	ErrEmpty = errors.New("pickle: empty input")
	// ErrTrailingData means Unmarshal found bytes after the STOP opcode.
	ErrTrailingData = errors.New("pickle: trailing data after STOP")
)

// SyntaxError reports input that is not a well-formed pickle: an unknown
// opcode, a bad text form, a stack or mark underflow, a truncation, an
// opcode applied to the wrong kind of object.
type SyntaxError struct {
	Msg    string // what is wrong, without the "pickle:" prefix
	Op     string // pickletools name of the opcode, "" if none applies
	Offset int64  // byte offset of the opcode in the input
	Err    error  // an underlying cause such as ErrTruncated, or nil
}

// Error returns the one-line message.
func (e *SyntaxError) Error() string {
	return "pickle: " + e.Msg + where(e.Op, e.Offset)
}

// Unwrap returns the underlying cause.
func (e *SyntaxError) Unwrap() error { return e.Err }

// UnmarshalTypeError reports a Python value that cannot be stored in the Go
// value it was decoded into.
type UnmarshalTypeError struct {
	PyType string       // Python type of the value, e.g. "str", "list"
	GoType reflect.Type // the Go type it was decoded into
	Path   string       // Go path of the target, e.g. ".Items[3].Price"
	Value  string       // a short rendering of the value, when helpful
	Msg    string       // extra detail, e.g. "overflows int8"
	Op     string       // opcode that produced the value
	Offset int64        // byte offset of that opcode
	Err    error        // an error returned by a hook (SetState, a registered function), or nil
}

// Unwrap returns the hook's error, if any.
func (e *UnmarshalTypeError) Unwrap() error { return e.Err }

// Error returns the one-line message.
func (e *UnmarshalTypeError) Error() string {
	var b strings.Builder
	b.WriteString("pickle: cannot decode Python ")
	b.WriteString(e.PyType)
	if e.Value != "" {
		b.WriteString(" ")
		b.WriteString(e.Value)
	}
	b.WriteString(" into Go ")
	if e.GoType != nil {
		b.WriteString(e.GoType.String())
	} else {
		b.WriteString("nil")
	}
	if e.Path != "" {
		b.WriteString(" at ")
		b.WriteString(e.Path)
	}
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	b.WriteString(where(e.Op, e.Offset))
	return b.String()
}

// UnsupportedTypeError reports a Go value that cannot be pickled, such as a
// channel, a function or an unsafe pointer, or a value a hook rejected.
type UnsupportedTypeError struct {
	GoType reflect.Type
	Path   string // Go path of the value, "" for the top level
	Msg    string // extra detail, or ""
}

// Error returns the one-line message.
func (e *UnsupportedTypeError) Error() string {
	s := "pickle: cannot encode Go " + typeString(e.GoType)
	if e.Path != "" {
		s += " at " + e.Path
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

// GlobalError reports a global (a class or function reference) or a call
// that the resolver refused. Decoding never runs Python code: only the
// constructors the resolver knows are accepted.
type GlobalError struct {
	Module string
	Name   string
	Msg    string // why, e.g. "is not allowed"
	Op     string
	Offset int64
}

// Error returns the one-line message.
func (e *GlobalError) Error() string {
	msg := e.Msg
	if msg == "" {
		msg = "is not allowed"
	}
	return "pickle: global " + strconv.Quote(clip(e.Module+"."+e.Name)) + " " + msg + where(e.Op, e.Offset)
}

// LimitError reports input that exceeded one of the decoder's limits (see
// MaxDepth and the other limit options).
type LimitError struct {
	Limit string // the option's name, e.g. "MaxDepth"
	Max   int64  // the limit in force
	Tried int64  // what the input asked for
	Op    string
	// Offset is the byte offset of the opcode, or -1 when the limit was hit
	// while binding rather than while reading.
	Offset int64
}

// Error returns the one-line message.
func (e *LimitError) Error() string {
	return "pickle: " + e.Limit + " exceeded: input needs " + strconv.FormatInt(e.Tried, 10) +
		", limit is " + strconv.FormatInt(e.Max, 10) + where(e.Op, e.Offset)
}

// OptionError reports an invalid option value passed to Marshal, Unmarshal,
// NewEncoder or NewDecoder.
type OptionError struct {
	Option string // e.g. "Protocol"
	Value  string // the rejected value, rendered
	Msg    string // what is accepted
}

// Error returns the one-line message.
func (e *OptionError) Error() string {
	return "pickle: invalid option " + e.Option + "(" + e.Value + "): " + e.Msg
}

// where renders " (OP at offset N)" or "" when there is no location.
func where(op string, off int64) string {
	switch {
	case op != "" && off >= 0:
		return " (" + op + " at offset " + strconv.FormatInt(off, 10) + ")"
	case off >= 0:
		return " (at offset " + strconv.FormatInt(off, 10) + ")"
	case op != "":
		return " (" + op + ")"
	}
	return ""
}

// maxQuoted is how many bytes of a value an error message shows.
const maxQuoted = 48

// clip shortens s for an error message, keeping it valid UTF-8.
func clip(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// quote renders a value for an error message: quoted and clipped.
func quote(s string) string { return strconv.Quote(clip(s)) }

func typeString(t reflect.Type) string {
	if t == nil {
		return "nil"
	}
	return t.String()
}
