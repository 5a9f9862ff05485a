package pickle

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Python 2 pickles: STRING opcodes under each Encoding, fix_imports names
// on decode, and Python 2 names on encode below protocol 3. The vectors come
// from CPython's test/pickletester.py and test/datetimetester.py (copied by
// testdata/py2/gen.py and testdata/stdlib/gen.py).

func py2Read(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata/py2", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestPy2StringEncodings: pickletester's test_load_python2_str_as_bytes,
// test_load_python2_unicode_as_str and test_load_long_python2_str_as_bytes,
// plus the other encodings.
func TestPy2StringEncodings(t *testing.T) {
	str0 := []byte("S'a\\x00\\xa0'\n.")       // pickle.dumps('a\x00\xa0', protocol=0) in Python 2
	str1 := []byte("U\x03a\x00\xa0.")         // protocol=1
	str2 := []byte("\x80\x02U\x03a\x00\xa0.") // protocol=2
	long1 := append(append([]byte("T\x2c\x01\x00\x00"), bytes.Repeat([]byte("x"), 300)...), '.')
	for _, data := range [][]byte{str0, str1, str2} {
		if v, err := stdlibDecode(data, Encoding("bytes")); err != nil || !Equal(v, []byte("a\x00\xa0")) {
			t.Errorf("%q Encoding(bytes): %#v, %v", data, v, err)
		}
		if v, err := stdlibDecode(data, Encoding("latin1")); err != nil || v != "a\x00\u00a0" {
			t.Errorf("%q Encoding(latin1): %#v, %v", data, v, err)
		}
		var se *SyntaxError
		if _, err := stdlibDecode(data); !errors.As(err, &se) { // ASCII, CPython's default: UnicodeDecodeError
			t.Errorf("%q default ASCII: got %v, want a *SyntaxError", data, err)
		}
		if _, err := stdlibDecode(data, Encoding("utf-8")); !errors.As(err, &se) { // \xa0 alone is not UTF-8
			t.Errorf("%q UTF-8: got %v, want a *SyntaxError", data, err)
		}
	}
	if v, err := stdlibDecode(long1, Encoding("bytes")); err != nil || !Equal(v, bytes.Repeat([]byte("x"), 300)) {
		t.Errorf("BINSTRING of 300: %v", err)
	}
	if v, err := stdlibDecode(long1); err != nil || v != strings.Repeat("x", 300) {
		t.Errorf("BINSTRING of 300, ASCII: %v", err)
	}
	utf8Str := []byte("U\x02\xcf\x80.") // a Python 2 str holding the UTF-8 of π
	if v, err := stdlibDecode(utf8Str, Encoding("utf-8")); err != nil || v != "π" {
		t.Errorf("UTF-8 str: %#v, %v", v, err)
	}
	// Python 2 unicode is str whatever the encoding (test_load_python2_unicode_as_str).
	for _, data := range [][]byte{[]byte("V\\u03c0\n."), []byte("X\x02\x00\x00\x00\xcf\x80."), []byte("\x80\x02X\x02\x00\x00\x00\xcf\x80.")} {
		for _, enc := range []string{"bytes", "ASCII", "latin1"} {
			if v, err := stdlibDecode(data, Encoding(enc)); err != nil || v != "π" {
				t.Errorf("%q Encoding(%s): %#v, %v", data, enc, v, err)
			}
		}
	}
}

// TestPy2Data decodes pickletester's DATA0, DATA1 and DATA2: create_data()
// at protocols 0-2 with __builtin__.complex and a __main__.C instance made
// through copy_reg._reconstructor (0, 1) or NEWOBJ (2).
func TestPy2Data(t *testing.T) {
	wantInts := []int64{1, -1, 255, -255, -256, 65535, -65535, -65536, 2147483647, -2147483647, -2147483648}
	for _, name := range []string{"DATA0.pkl", "DATA1.pkl", "DATA2.pkl"} {
		data := py2Read(t, name)
		var ge *GlobalError
		if _, err := stdlibDecode(data); !errors.As(err, &ge) || ge.Module != "__main__" {
			t.Errorf("%s without KeepUnknown: got %v, want a *GlobalError for __main__.C", name, err)
		}
		v, err := stdlibDecode(data, KeepUnknown(true))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		l := v.(*List)
		if len(l.Items) != 18 || l.Items[0] != int64(0) || l.Items[1] != int64(1) || l.Items[2] != 2.0 ||
			l.Items[3] != complex(3, 0) || l.Items[17] != int64(5) {
			t.Errorf("%s: %s", name, render(v))
			continue
		}
		for i, w := range wantInts {
			if l.Items[4+i] != w {
				t.Errorf("%s item %d: %v, want %d", name, 4+i, l.Items[4+i], w)
			}
		}
		y1, y2 := l.Items[15].(Tuple), l.Items[16].(Tuple)
		if len(y1) != 4 || &y1[0] != &y2[0] || y1[0] != "abc" || y1[1] != "abc" {
			t.Errorf("%s: the tuple y is not shared or wrong: %s", name, render(y1))
			continue
		}
		c := y1[2].(*Object)
		if y1[3].(*Object) != c {
			t.Errorf("%s: c is not shared", name)
		}
		switch c.Build {
		case "REDUCE": // copy_reg._reconstructor(__main__.C, __builtin__.object, None): names mapped
			if c.Callable != reconstructor || c.Args[0] != (Global{"__main__", "C"}) || c.Args[1] != (Global{"builtins", "object"}) {
				t.Errorf("%s: c is %s", name, render(c))
			}
		case "NEWOBJ":
			if c.Callable != (Global{"__main__", "C"}) {
				t.Errorf("%s: c is %s", name, render(c))
			}
		default:
			t.Errorf("%s: c built with %s", name, c.Build)
		}
		if !Equal(c.State, stdlibDict("foo", int64(1), "bar", int64(2))) {
			t.Errorf("%s: c's state is %s", name, render(c.State))
		}
	}
}

// TestPy2FixImports: Python 2 names are mapped on decode below protocol 3
// only, as CPython's find_class does, and not with FixImports(false).
func TestPy2FixImports(t *testing.T) {
	set12, _ := NewSet(int64(1), int64(2))
	set3, _ := NewSet(int64(3))
	for name, want := range map[string]any{"DATA_SET.pkl": set12, "DATA_SET2.pkl": set3, "DATA_XRANGE.pkl": Range{0, 5, 1}} {
		v, err := stdlibDecode(py2Read(t, name))
		if err != nil || !stdlibSame(v, want) {
			t.Errorf("%s: %s, %v", name, render(v), err)
		}
		var ge *GlobalError
		if _, err := stdlibDecode(py2Read(t, name), FixImports(false)); !errors.As(err, &ge) || ge.Module != "__builtin__" {
			t.Errorf("%s with FixImports(false): got %v, want a *GlobalError for __builtin__", name, err)
		}
	}
	// exceptions.StandardError is builtins.Exception (NAME_MAPPING).
	v, err := stdlibDecode(py2Read(t, "exception_StandardError.pkl"), KeepUnknown(true))
	if o, ok := v.(*Object); err != nil || !ok || o.Callable != (Global{"builtins", "Exception"}) {
		t.Errorf("exceptions.StandardError: %s, %v", render(v), err)
	}
	var ge *GlobalError
	if _, err := stdlibDecode(py2Read(t, "exception_StandardError.pkl")); !errors.As(err, &ge) || ge.Module != "builtins" || ge.Name != "Exception" {
		t.Errorf("exceptions.StandardError without KeepUnknown: %v, want a *GlobalError naming builtins.Exception", err)
	}
	// UnicodeEncodeError with its arguments, from exceptions.
	v, err = stdlibDecode(py2Read(t, "DATA_UEERR.pkl"), KeepUnknown(true))
	if o, ok := v.(*Object); err != nil || !ok || o.Callable != (Global{"builtins", "UnicodeEncodeError"}) || len(o.Args) != 5 {
		t.Errorf("DATA_UEERR: %s, %v", render(v), err)
	}
	// At protocol 3 the names are not mapped (CPython maps only below 3).
	p3 := []byte("\x80\x03c__builtin__\nset\n]K\x01a\x85R.")
	if _, err := stdlibDecode(p3); !errors.As(err, &ge) || ge.Module != "__builtin__" {
		t.Errorf("protocol 3 __builtin__.set: got %v, want a *GlobalError (no mapping at protocol 3)", err)
	}
	// Python 2 datetimes need Encoding("latin1") (or "bytes"), as in CPython.
	data := stdlibRead(t, "py2_datetime_p2.pkl")
	var se *SyntaxError
	if _, err := stdlibDecode(data); !errors.As(err, &se) {
		t.Errorf("Python 2 datetime with the default ASCII: got %v, want a *SyntaxError", err)
	}
}

// TestPy2EncodeNames: below protocol 3 Go writes the Python 2 spelling of
// the names (__builtin__, copy_reg) as CPython does with fix_imports, and
// python3 loads the result with fix_imports=True; with FixImports(false) it
// writes the Python 3 names. Checked by python3's own disassembler.
func TestPy2EncodeNames(t *testing.T) {
	set, _ := NewSet(int64(1))
	v := NewList(set, Range{0, 3, 1}, stdlibDD(Global{"builtins", "int"}), &ByteArray{Bytes: []byte("x")}, []byte("b"))
	for p := 0; p <= 2; p++ {
		data, err := Marshal(v, Protocol(p))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"c__builtin__\nset\n", "c__builtin__\nxrange\n", "c__builtin__\nlong\n", "c__builtin__\nbytearray\n", "c_codecs\nencode\n"} {
			if !bytes.Contains(data, []byte(want)) {
				t.Errorf("p%d: no %q in %q", p, want, data)
			}
		}
		if bytes.Contains(data, []byte("builtins")) {
			t.Errorf("p%d: a Python 3 module name in %q", p, data)
		}
		data3, err := Marshal(v, Protocol(p), FixImports(false))
		if err != nil || !bytes.Contains(data3, []byte("cbuiltins\nset\n")) || bytes.Contains(data3, []byte("__builtin__")) {
			t.Errorf("p%d FixImports(false): %q, %v", p, data3, err)
		}
	}
	py := stdlibPython(t)
	script := `
import pickle, pickletools, sys, io, collections
from _compat_pickle import REVERSE_IMPORT_MAPPING, REVERSE_NAME_MAPPING
for line in sys.stdin:
    data = bytes.fromhex(line.strip())
    v = pickle.loads(data, fix_imports=True, encoding="ASCII")
    want = [{1}, range(0, 3), collections.defaultdict(int), bytearray(b"x"), b"b"]
    assert repr(v) == repr(want) and type(v[2].default_factory) is type and v[2].default_factory is int, repr(v)
    for op, arg, pos in pickletools.genops(data):
        if op.name == "GLOBAL":
            mod, name = arg.split(" ")
            assert mod not in REVERSE_IMPORT_MAPPING and (mod, name) not in REVERSE_NAME_MAPPING, arg
            assert mod in ("__builtin__", "_codecs", "collections", "copy_reg"), arg
print("ok")
`
	var in strings.Builder
	for p := 0; p <= 2; p++ {
		data, _ := Marshal(v, Protocol(p))
		in.WriteString(hex.EncodeToString(data) + "\n")
	}
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Errorf("python3 on Go's protocol 0-2 pickles: %v\n%s", err, out)
	}
}
