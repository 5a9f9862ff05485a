package pickle

import (
	"reflect"
	"strconv"
	"strings"
)

// Protocol numbers.
const (
	// DefaultProtocol is the protocol Marshal and Encoder write unless told
	// otherwise; it is CPython 3.8+'s default.
	DefaultProtocol = 4
	// HighestProtocol is the highest protocol this package reads and writes.
	HighestProtocol = 5
)

// Default limits. Each can be changed with the option of the same name.
const (
	DefaultMaxDepth        = 10000   // nesting depth of containers and objects
	DefaultMaxStringLen    = 1 << 31 // bytes in one str, bytes or bytearray
	DefaultMaxContainerLen = 1 << 26 // items in one list, tuple, dict, set
	DefaultMaxIntDigits    = 4300    // digits of a text integer (INT, LONG), as CPython
	DefaultMaxMemo         = 1 << 24 // entries in the memo
)

// An Option configures Marshal, Unmarshal, UnmarshalFirst, NewEncoder or
// NewDecoder. Every option may be passed to every entry point; each option's
// documentation says which direction it affects, and the others ignore it.
// An invalid value makes the call return an *OptionError.
type Option interface {
	apply(*config) error
}

// optionFunc adapts a function to Option.
type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// config is the resolved set of options for one encode or decode.
type config struct {
	protocol int

	maxDepth        int
	maxStringLen    int64
	maxContainerLen int64
	maxIntDigits    int
	maxMemo         int64
	maxWork         int64 // 0: proportional to the input, see MaxWork

	fixImports  bool   // map Python 2 names (protocol < 3), see FixImports
	keepUnknown bool   // keep unknown globals as inert values, see KeepUnknown
	strEncoding string // how to decode Python 2 str (STRING opcodes), see Encoding

	registry         *Registry // classes and functions; DefaultRegistry if nil
	disallowUnknown  bool      // unknown dict keys into structs are errors
	nameTransform    func(string) string
	nameTransformKey uintptr // identifies nameTransform in caches

	persistentID   func(v any) (id any, ok bool) // see PersistentID
	persistentLoad func(id any) (any, error)     // see PersistentLoad
	buffers        [][]byte                      // see Buffers
	hasBuffers     bool
	bufferCallback func(b *PickleBuffer) bool // see BufferCallback

	extByCode   map[int32]Global // see ExtensionCodes
	extByGlobal map[Global]int32

	zeroCopy bool // results may point into the input, see ZeroCopy
}

// reg returns the registry in force.
func (c *config) reg() *Registry {
	if c.registry != nil {
		return c.registry
	}
	return DefaultRegistry
}

func defaultConfig() config {
	return config{
		protocol:        DefaultProtocol,
		maxDepth:        DefaultMaxDepth,
		maxStringLen:    DefaultMaxStringLen,
		maxContainerLen: DefaultMaxContainerLen,
		maxIntDigits:    DefaultMaxIntDigits,
		maxMemo:         DefaultMaxMemo,
		fixImports:      true,
		strEncoding:     "ASCII",
	}
}

// newConfig applies opts over the defaults.
func newConfig(opts []Option) (config, error) {
	var c config
	err := c.set(opts)
	return c, err
}

// set makes c the default configuration with opts applied. It lets a
// caller whose config is already on the heap (Marshal's pooled state) keep
// it there: options take it by pointer through an interface, so a config
// in a local variable escapes.
func (c *config) set(opts []Option) error {
	*c = defaultConfig()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.apply(c); err != nil {
			return err
		}
	}
	return nil
}

// Protocol sets the pickle protocol to write, 0 to HighestProtocol
// (encoding). Decoding reads every protocol and ignores this option.
func Protocol(n int) Option {
	// An integer type rather than a closure: Go boxes small integers
	// without allocating, and Marshal(v, Protocol(p)) is a common call.
	return protocolOption(n)
}

type protocolOption int

func (o protocolOption) apply(c *config) error {
	n := int(o)
	if n < 0 || n > HighestProtocol {
		return &OptionError{Option: "Protocol", Value: strconv.Itoa(n), Msg: "want 0 to " + strconv.Itoa(HighestProtocol)}
	}
	c.protocol = n
	return nil
}

// MaxDepth limits how deeply containers and objects may nest (decoding and
// encoding). Default DefaultMaxDepth.
func MaxDepth(n int) Option {
	return optionFunc(func(c *config) error {
		if n < 1 {
			return positiveErr("MaxDepth", int64(n))
		}
		c.maxDepth = n
		return nil
	})
}

// MaxStringLen limits the length in bytes of one str, bytes or bytearray
// (decoding). Default DefaultMaxStringLen.
func MaxStringLen(n int64) Option {
	return optionFunc(func(c *config) error {
		if n < 0 {
			return positiveErr("MaxStringLen", n)
		}
		c.maxStringLen = n
		return nil
	})
}

// MaxContainerLen limits the number of items of one list, tuple, dict or set
// (decoding). Default DefaultMaxContainerLen.
func MaxContainerLen(n int64) Option {
	return optionFunc(func(c *config) error {
		if n < 0 {
			return positiveErr("MaxContainerLen", n)
		}
		c.maxContainerLen = n
		return nil
	})
}

// MaxIntDigits limits the digits of an integer written as text (the INT and
// LONG opcodes of protocol 0), whose parsing is quadratic (decoding).
// Default DefaultMaxIntDigits, the limit CPython applies.
func MaxIntDigits(n int) Option {
	return optionFunc(func(c *config) error {
		if n < 1 {
			return positiveErr("MaxIntDigits", int64(n))
		}
		c.maxIntDigits = n
		return nil
	})
}

// MaxMemo limits the number of memo entries a pickle may create (decoding).
// Default DefaultMaxMemo.
func MaxMemo(n int64) Option {
	return optionFunc(func(c *config) error {
		if n < 0 {
			return positiveErr("MaxMemo", n)
		}
		c.maxMemo = n
		return nil
	})
}

// MaxWork bounds the work of binding a decoded pickle to its Go target,
// counted in values visited (decoding). A memo reference decoded into typed
// Go values more than once is decoded again each time, so a small pickle of
// nested references could otherwise ask for exponential work. By default the
// budget is 16 visits per value in the pickle plus one million.
func MaxWork(n int64) Option {
	return optionFunc(func(c *config) error {
		if n < 1 {
			return positiveErr("MaxWork", n)
		}
		c.maxWork = n
		return nil
	})
}

func positiveErr(name string, n int64) error {
	return &OptionError{Option: name, Value: strconv.FormatInt(n, 10), Msg: "must be positive"}
}

// FixImports says whether Python 2 module and class names are translated,
// as CPython's fix_imports does (both directions; default true). Decoding a
// pickle of protocol 0 to 2 maps names such as __builtin__.set to
// builtins.set; encoding at protocol 0 to 2 writes the Python 2 names, so
// that Python 2 can read the result.
func FixImports(on bool) Option {
	return optionFunc(func(c *config) error {
		c.fixImports = on
		return nil
	})
}

// KeepUnknown makes the decoder keep globals it does not know, and the
// objects built from them, as inert Global and *Object values instead of
// refusing them with a *GlobalError (decoding; default false). Nothing is
// imported or called either way: this is the mode for inspecting an
// untrusted pickle.
func KeepUnknown(on bool) Option {
	return optionFunc(func(c *config) error {
		c.keepUnknown = on
		return nil
	})
}

// Encoding says how the decoder turns Python 2 str values (the STRING,
// BINSTRING and SHORT_BINSTRING opcodes) into Go values, as the encoding
// argument of CPython's pickle.loads does (decoding; default "ASCII"):
// "ASCII" and "UTF-8" give a string and refuse other bytes, "latin1" gives a
// string of the same code points, "bytes" gives []byte.
func Encoding(name string) Option {
	return optionFunc(func(c *config) error {
		switch strings.ToLower(name) {
		case "ascii", "utf-8", "utf8", "bytes", "latin1", "latin-1", "iso-8859-1", "iso8859-1", "l1":
			c.strEncoding = name
			return nil
		}
		return &OptionError{Option: "Encoding", Value: strconv.Quote(name), Msg: `want "ASCII", "UTF-8", "latin1" or "bytes"`}
	})
}

// DisallowUnknownFields makes decoding into a struct fail when a dict key
// (a Python attribute) matches no field and the struct has no inline
// catch-all field (decoding; default: unknown keys are ignored, as
// encoding/json does).
func DisallowUnknownFields() Option {
	return optionFunc(func(c *config) error {
		c.disallowUnknown = true
		return nil
	})
}

// NameTransform sets the Python name of struct fields that have no name in
// their `pickle` tag (both directions; default: the Go field name as is).
// SnakeCase is the usual choice for Python attributes. fn must be a plain
// function: it is cached by its code pointer, so two closures of one
// function literal count as the same transform.
func NameTransform(fn func(goName string) string) Option {
	return optionFunc(func(c *config) error {
		if fn == nil {
			c.nameTransform, c.nameTransformKey = nil, 0
			return nil
		}
		c.nameTransform = fn
		c.nameTransformKey = reflect.ValueOf(fn).Pointer()
		return nil
	})
}

// ExtensionCodes gives the extension registry (Python's
// copyreg.add_extension) shared by the writer and the reader of a pickle
// (both directions). Encoding at protocol 2 and above writes a global that
// has a code as EXT1, EXT2 or EXT4, as CPython does; decoding resolves the
// codes, and the global a code names must still be allowed (a registered
// class, say). Codes run from 1 to 2**31-1, and the mapping is one-to-one.
func ExtensionCodes(codes map[int]Global) Option {
	return optionFunc(func(c *config) error {
		byCode := make(map[int32]Global, len(codes))
		byGlobal := make(map[Global]int32, len(codes))
		for code, g := range codes {
			if code < 1 || code > 0x7fffffff {
				return &OptionError{Option: "ExtensionCodes", Value: strconv.Itoa(code), Msg: "codes run from 1 to 2**31-1"}
			}
			if _, dup := byGlobal[g]; dup {
				return &OptionError{Option: "ExtensionCodes", Value: g.String(), Msg: "has two codes"}
			}
			byCode[int32(code)] = g
			byGlobal[g] = int32(code)
		}
		c.extByCode, c.extByGlobal = byCode, byGlobal
		return nil
	})
}

// ZeroCopy lets decoding return results that point into the input instead
// of copies of it (decoding; default false; encoders ignore it). With it,
// the []byte of a Python bytes (opcodes BINBYTES, SHORT_BINBYTES,
// BINBYTES8) and the string of a str (BINUNICODE, SHORT_BINUNICODE,
// BINUNICODE8) share the input's memory, whether they are decoded into
// typed Go values or into `any`: no copy is made, and a large payload costs
// no allocation. Everything else is copied as without it: a bytearray
// (mutable in Python, so its []byte is the caller's to change), [N]byte
// arrays, text that must be transformed (the text opcodes of protocols 0
// and 1, Python 2 str under the Encoding option), and empty values.
//
// The contract: the caller must not modify or reuse the input while any
// result decoded from it is in use. The strings then share the input's
// memory, so they would change with it, which Go strings must never do; and
// a []byte result must be treated as read-only, as a Python bytes is, since
// writing to it writes to the input (its capacity is its length, so append
// copies rather than overwrite the input). Results keep the whole input
// alive for as long as any of them is reachable.
//
// With Unmarshal and UnmarshalFirst the input is the data passed in. A
// Decoder reads into buffers it never writes again once a pickle's bytes
// are in them, and lets each result keep the buffer it points into: the
// reader's bytes are the input, and the contract holds by itself.
func ZeroCopy(on bool) Option {
	return optionFunc(func(c *config) error {
		c.zeroCopy = on
		return nil
	})
}
