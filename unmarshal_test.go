package pickle

import (
	"errors"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Pickles in this file are written by hand, opcode by opcode, or copied from
// what python3 3.11's pickle.dumps printed for the value in the comment.

func mustUnmarshalAny(t *testing.T, data string, opts ...Option) any {
	t.Helper()
	var v any
	if err := Unmarshal([]byte(data), &v, opts...); err != nil {
		t.Fatalf("Unmarshal(%q): %v", data, err)
	}
	return v
}

func TestDecodeScalarsAny(t *testing.T) {
	big64, _ := new(big.Int).SetString("18446744073709551616", 10)
	tests := []struct {
		name string
		data string
		want any
	}{
		{"none", "N.", nil},
		{"newtrue", "\x80\x02\x88.", true},
		{"int00 is False", "I00\n.", false},
		{"int01 is True", "I01\n.", true},
		{"int text", "I-42\n.", int64(-42)},
		{"int text big", "I18446744073709551616\n.", big64},
		{"int text spaces and underscores", "I 1_000 \n.", int64(1000)},
		{"long with L", "L12L\n.", int64(12)},
		{"long without L", "L-7\n.", int64(-7)},
		{"long huge", "L18446744073709551616L\n.", big64},
		{"binint1", "K\xff.", int64(255)},
		{"binint2", "M\xff\xff.", int64(65535)},
		{"binint negative", "J\xff\xff\xff\xff.", int64(-1)},
		{"long1 empty is 0", "\x8a\x00.", int64(0)},
		{"long1 negative", "\x8a\x01\xff.", int64(-1)},
		{"long1 2**63", "\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00.", new(big.Int).Lsh(big.NewInt(1), 63)},
		{"long4", "\x8b\x01\x00\x00\x00\x7f.", int64(127)},
		{"float text", "F1.5\n.", 1.5},
		{"float text inf", "Finf\n.", math.Inf(1)},
		{"float text exp", "F1e+16\n.", 1e16},
		{"binfloat", "G?\xf8\x00\x00\x00\x00\x00\x00.", 1.5},
		{"unicode raw escape", "V\\u00e9t\\u00e9\\U0001f600\n.", "été😀"},
		{"unicode latin1 bytes", "Vcaf\xe9\n.", "café"},
		{"unicode backslash run", "Va\\\\u0041\n.", "a\\\\u0041"},
		{"unicode lone surrogate", "V\\ud800\n.", "\xed\xa0\x80"},
		{"binunicode surrogatepass", "X\x03\x00\x00\x00\xed\xa0\x80.", "\xed\xa0\x80"},
		{"short binunicode", "\x8c\x02hi.", "hi"},
		{"binunicode8", "\x8d\x02\x00\x00\x00\x00\x00\x00\x00hi.", "hi"},
		{"string quoted", "S'a\\'b'\n.", "a'b"},
		{"string double quoted", "S\"x\\ny\"\n.", "x\ny"},
		{"string escapes", "S'\\x41\\101\\t\\q'\n.", "AA\t\\q"},
		{"binstring", "T\x02\x00\x00\x00hi.", "hi"},
		{"short binstring", "U\x02hi.", "hi"},
		{"bytes", "C\x02hi.", []byte("hi")},
		{"binbytes", "B\x02\x00\x00\x00hi.", []byte("hi")},
		{"binbytes8", "\x8e\x02\x00\x00\x00\x00\x00\x00\x00hi.", []byte("hi")},
		{"bytearray8", "\x96\x02\x00\x00\x00\x00\x00\x00\x00hi.", &ByteArray{Bytes: []byte("hi")}},
		// b'ab' at protocol 2: _codecs.encode('ab', 'latin1')
		{"codecs encode", "\x80\x02c_codecs\nencode\nq\x00X\x02\x00\x00\x00abq\x01X\x06\x00\x00\x00latin1q\x02\x86q\x03Rq\x04.", []byte("ab")},
		// b'' at protocol 2: __builtin__.bytes()
		{"empty bytes proto 2", "\x80\x02c__builtin__\nbytes\nq\x00)Rq\x01.", []byte{}},
		// 1+2j at protocol 0
		{"complex", "c__builtin__\ncomplex\np0\n(F1.0\nF2.0\ntp1\nRp2\n.", complex(1, 2)},
		{"global allowed", "\x80\x04\x8c\x08builtins\x8c\x03set\x93.", Global{"builtins", "set"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustUnmarshalAny(t, tt.data)
			if !Equal(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestDecodePython2Strings(t *testing.T) {
	data := "U\x04caf\xe9."
	var err error
	var v any
	if err = Unmarshal([]byte(data), &v); err == nil {
		t.Fatalf("non-ASCII Python 2 str decoded with the default ASCII encoding: %#v", v)
	}
	var se *SyntaxError
	if !errors.As(err, &se) || se.Op != "SHORT_BINSTRING" {
		t.Errorf("error %v: want a *SyntaxError at SHORT_BINSTRING", err)
	}
	if got := mustUnmarshalAny(t, data, Encoding("latin1")); got != "café" {
		t.Errorf("latin1: got %#v", got)
	}
	if got := mustUnmarshalAny(t, data, Encoding("bytes")); !Equal(got, []byte("caf\xe9")) {
		t.Errorf("bytes: got %#v", got)
	}
	if err := Unmarshal([]byte(data), &v, Encoding("klingon")); !errors.As(err, new(*OptionError)) {
		t.Errorf("bad encoding option: got %v", err)
	}
}

func TestDecodeContainersAny(t *testing.T) {
	// {'a': [1, (2, 3)], 'b': {4}} at protocol 4
	data := "\x80\x04\x95\x1c\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94]\x94(K\x01K\x02K\x03\x86\x94e\x8c\x01b\x94\x8f\x94(K\x04\x90u."
	got := mustUnmarshalAny(t, data)
	want := NewDict()
	want.Set("a", NewList(int64(1), Tuple{int64(2), int64(3)}))
	s, _ := NewSet(int64(4))
	want.Set("b", s)
	if !Equal(got, want) {
		t.Errorf("got %#v", got)
	}
	// Protocol 0 forms: MARK ... LIST, TUPLE, DICT; FROZENSET at 4.
	got = mustUnmarshalAny(t, "((I1\nI2\nl(I3\nt(S'k'\nI4\nd\x80\x04(K\x05\x91t.")
	fs, _ := NewFrozenSet(int64(5))
	kd := NewDict()
	kd.Set("k", int64(4))
	want2 := Tuple{NewList(int64(1), int64(2)), Tuple{int64(3)}, kd, fs}
	if !Equal(got, want2) {
		t.Errorf("got %#v, want %#v", got, want2)
	}
}

func TestDecodeKeepsSharingAndCycles(t *testing.T) {
	// x = []; [x, x] at protocol 2
	v := mustUnmarshalAny(t, "\x80\x02]q\x00(]q\x01h\x01e.").(*List)
	if v.Len() != 2 || v.At(0).(*List) != v.At(1).(*List) {
		t.Errorf("[x, x] lost its sharing: %#v", v)
	}
	// l = []; l.append(l) at protocol 2
	l := mustUnmarshalAny(t, "\x80\x02]q\x00h\x00a.").(*List)
	if l.Len() != 1 || l.At(0).(*List) != l {
		t.Errorf("self-containing list decoded as %#v", l)
	}
	// t = ([],); t[0].append(t) at protocol 2: recursive tuple via POP + GET
	tup := mustUnmarshalAny(t, "\x80\x02]q\x00h\x00\x85q\x01a0h\x01.").(Tuple)
	inner := tup[0].(*List)
	if back, ok := inner.At(0).(Tuple); !ok || &back[0] != &tup[0] {
		t.Errorf("recursive tuple lost its identity: %#v", tup)
	}
	// d = {}; d['self'] = d at protocol 4
	d := mustUnmarshalAny(t, "\x80\x04}\x94\x8c\x04self\x94h\x00s.").(*Dict)
	if self, _ := d.Get("self"); self.(*Dict) != d {
		t.Errorf("self-containing dict: %#v", d)
	}
}

func TestDecodeDictKeyEquality(t *testing.T) {
	// {1: 'a', 1.0: 'b', True: 'c'} is {1: 'c'} in Python; written by hand.
	d := mustUnmarshalAny(t, "}(K\x01U\x01aG?\xf0\x00\x00\x00\x00\x00\x00U\x01b\x88U\x01cu.").(*Dict)
	if d.Len() != 1 {
		t.Fatalf("len %d, want 1: %#v", d.Len(), d)
	}
	for k, v := range d.All() {
		if k != int64(1) || v != "c" {
			t.Errorf("got %#v: %#v, want the first key and the last value", k, v)
		}
	}
	// tuple and frozenset keys
	d = mustUnmarshalAny(t, "\x80\x04}(K\x01K\x02\x86K\x03(K\x04\x91K\x05u.").(*Dict)
	if v, ok := d.Get(Tuple{int64(1), int64(2)}); !ok || v != int64(3) {
		t.Errorf("tuple key: %v %v", v, ok)
	}
	fs, _ := NewFrozenSet(int64(4))
	if v, ok := d.Get(fs); !ok || v != int64(5) {
		t.Errorf("frozenset key: %v %v", v, ok)
	}
}

func TestDecodeMemoForms(t *testing.T) {
	// text PUT/GET, sparse LONG_BINPUT, MEMOIZE, DUP, POP, POP_MARK
	got := mustUnmarshalAny(t, "(lp5\nS'a'\np1000000\nag1000000\na.")
	if !Equal(got, NewList("a", "a")) {
		t.Errorf("text memo: %#v", got)
	}
	got = mustUnmarshalAny(t, "\x80\x02K\x07r\xff\xff\xff\xff0j\xff\xff\xff\xff.")
	if got != int64(7) {
		t.Errorf("sparse LONG_BINPUT: %#v", got)
	}
	got = mustUnmarshalAny(t, "\x80\x04K\x01\x94K\x02\x94h\x00h\x01\x87.")
	if !Equal(got, Tuple{int64(2), int64(1), int64(2)}) { // the stack is 1 2 1 2
		t.Errorf("MEMOIZE: %#v", got)
	}
	got = mustUnmarshalAny(t, "K\x01\x32\x86(K\x09K\x091K\x070.")
	if !Equal(got, Tuple{int64(1), int64(1)}) {
		t.Errorf("DUP/POP_MARK/POP: %#v", got)
	}
	l := mustUnmarshalAny(t, "]\x32a.").(*List) // DUP then APPEND: a list containing itself
	if l.At(0).(*List) != l {
		t.Errorf("DUP APPEND: %#v", l)
	}
}

func TestDecodeSetsBelowProtocol4(t *testing.T) {
	// {1, 2} at protocol 2 and frozenset({1}) at protocol 0
	s := mustUnmarshalAny(t, "\x80\x02c__builtin__\nset\nq\x00]q\x01(K\x01K\x02e\x85q\x02Rq\x03.").(*Set)
	if s.Len() != 2 || !s.Has(int64(1)) || !s.Has(int64(2)) {
		t.Errorf("set: %#v", s)
	}
	f := mustUnmarshalAny(t, "c__builtin__\nfrozenset\np0\n((lp1\nI1\natp2\nRp3\n.").(*FrozenSet)
	if f.Len() != 1 || !f.Has(int64(1)) {
		t.Errorf("frozenset: %#v", f)
	}
	// set(l) copies l: items appended to l after the call are not members.
	s = mustUnmarshalAny(t, "\x80\x02]q\x00K\x01ac__builtin__\nset\nh\x00\x85R0h\x00K\x02a0\x80\x02c__builtin__\nset\nh\x00\x85R.").(*Set)
	if s.Len() != 2 {
		t.Errorf("second set(l) should see both items: %#v", s)
	}
	s = mustUnmarshalAny(t, "\x80\x02]q\x00K\x01ac__builtin__\nset\nh\x00\x85Rq\x01h\x00K\x02a0h\x01.").(*Set)
	if s.Len() != 1 || !s.Has(int64(1)) {
		t.Errorf("set(l) must not see later appends: %#v", s)
	}
}

func TestDecodeRefusesGlobals(t *testing.T) {
	tests := []struct {
		data, module, name, op string
		offset                 int64
	}{
		{"cos\nsystem\n(S'echo hi'\ntR.", "os", "system", "GLOBAL", 0},
		{"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x02hi\x85R.", "os", "system", "STACK_GLOBAL", 14},
		{"(S'echo'\nios\nsystem\n.", "os", "system", "INST", 9},
		{"c__builtin__\neval\n(S'1'\ntR.", "builtins", "eval", "GLOBAL", 0},
		{"\x80\x02cposix\nsystem\n.", "posix", "system", "GLOBAL", 2},
	}
	for _, tt := range tests {
		var v any
		err := Unmarshal([]byte(tt.data), &v)
		var ge *GlobalError
		if !errors.As(err, &ge) {
			t.Errorf("%q: got %v, want a *GlobalError", tt.data, err)
			continue
		}
		if ge.Module != tt.module || ge.Name != tt.name || ge.Op != tt.op || ge.Offset != tt.offset {
			t.Errorf("%q: got %+v", tt.data, ge)
		}
		if !strings.HasPrefix(err.Error(), "pickle: global \""+tt.module+"."+tt.name+"\" is not allowed ("+tt.op+" at offset") {
			t.Errorf("message: %s", err)
		}
	}
}

func TestDecodeKeepUnknown(t *testing.T) {
	// An instance of a plain class at protocol 2: NEWOBJ + BUILD.
	data := "\x80\x02c__main__\nPoint\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04K\x02ub."
	var v any
	if err := Unmarshal([]byte(data), &v); !errors.As(err, new(*GlobalError)) {
		t.Fatalf("strict mode: got %v", err)
	}
	o := mustUnmarshalAny(t, data, KeepUnknown(true)).(*Object)
	if o.Callable != (Global{"__main__", "Point"}) || o.Build != "NEWOBJ" || len(o.Args) != 0 || !o.HasState {
		t.Errorf("object: %#v", o)
	}
	st := o.State.(*Dict)
	if x, _ := st.Get("x"); x != int64(1) {
		t.Errorf("state: %#v", st)
	}
	// And into a struct, from the object's dict state.
	var p struct {
		X int `pickle:"x"`
		Y int `pickle:"y"`
	}
	if err := Unmarshal([]byte(data), &p, KeepUnknown(true)); err != nil || p.X != 1 || p.Y != 2 {
		t.Errorf("struct from object: %+v %v", p, err)
	}
}

func TestDecodeTyped(t *testing.T) {
	type Inner struct {
		Price float64 `pickle:"price"`
	}
	type Rec struct {
		Name  string           `pickle:"name"`
		Count int8             `pickle:"count"`
		Tags  []string         `pickle:"tags"`
		Attrs map[string]int   `pickle:"attrs"`
		Items []Inner          `pickle:"items"`
		Ptr   *Inner           `pickle:"ptr"`
		Pair  [2]int           `pickle:"pair"`
		Blob  []byte           `pickle:"blob"`
		ID    [4]byte          `pickle:"id"`
		Big   *big.Int         `pickle:"big"`
		Any   any              `pickle:"any"`
		Set   map[int]struct{} `pickle:"set"`
		Old   string           `pickle:"new,alias=old"`
	}
	// python3: pickle.dumps(dict(name='n', count=-3, tags=['a','b'], attrs={'x':1},
	//   items=[{'price':1.5}], ptr={'price':2}, pair=(7,8), blob=b'\x00\x01',
	//   id=b'abcd', big=2**70, any=[None], set={5}, old='o', extra=1), protocol=4)
	data := "\x80\x04\x95\xcd\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x04name\x94\x8c\x01n\x94\x8c\x05count\x94J\xfd\xff\xff\xff\x8c\x04tags\x94]\x94(\x8c\x01a\x94\x8c\x01b\x94e\x8c\x05attrs\x94}\x94\x8c\x01x\x94K\x01s\x8c\x05items\x94]\x94}\x94\x8c\x05price\x94G?\xf8\x00\x00\x00\x00\x00\x00sa\x8c\x03ptr\x94}\x94h\x0eK\x02s\x8c\x04pair\x94K\x07K\x08\x86\x94\x8c\x04blob\x94C\x02\x00\x01\x94\x8c\x02id\x94C\x04abcd\x94\x8c\x03big\x94\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00@\x8c\x03any\x94]\x94Na\x8c\x03set\x94\x8f\x94(K\x05\x90\x8c\x03old\x94\x8c\x01o\x94\x8c\x05extra\x94K\x01u."
	var r Rec
	if err := Unmarshal([]byte(data), &r); err != nil {
		t.Fatal(err)
	}
	want := Rec{
		Name: "n", Count: -3, Tags: []string{"a", "b"}, Attrs: map[string]int{"x": 1},
		Items: []Inner{{1.5}}, Ptr: &Inner{2}, Pair: [2]int{7, 8}, Blob: []byte{0, 1},
		ID: [4]byte{'a', 'b', 'c', 'd'}, Big: new(big.Int).Lsh(big.NewInt(1), 70),
		Any: NewList(nil), Set: map[int]struct{}{5: {}}, Old: "o",
	}
	if diff := cmp.Diff(want, r, cmp.Comparer(func(a, b *big.Int) bool { return a.Cmp(b) == 0 })); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodeTypedErrors(t *testing.T) {
	type Item struct{ Price int8 }
	type Order struct{ Items []Item }
	// {'Items': [{'Price': 1}, {'Price': 300}]} at protocol 2
	data := "\x80\x02}q\x00X\x05\x00\x00\x00Itemsq\x01]q\x02(}q\x03X\x05\x00\x00\x00Priceq\x04K\x01s}q\x05h\x04M,\x01ses."
	var o Order
	err := Unmarshal([]byte(data), &o)
	var te *UnmarshalTypeError
	if !errors.As(err, &te) {
		t.Fatalf("got %v", err)
	}
	if te.Path != ".Items[1].Price" || te.PyType != "int" || te.GoType != reflect.TypeOf(int8(0)) || te.Op != "BININT2" || te.Offset != 44 {
		t.Errorf("got %+v", te)
	}
	if !strings.Contains(err.Error(), "Python int 300 into Go int8 at .Items[1].Price") {
		t.Errorf("message: %s", err)
	}
	var s string
	if err := Unmarshal([]byte("K\x01."), &s); !errors.As(err, &te) || te.PyType != "int" {
		t.Errorf("int into string: %v", err)
	}
	var u uint
	if err := Unmarshal([]byte("J\xff\xff\xff\xff."), &u); !errors.As(err, &te) {
		t.Errorf("-1 into uint: %v", err)
	}
	var m map[any]int
	if err := Unmarshal([]byte("\x80\x02}K\x01K\x02\x86K\x03s."), &m); !errors.As(err, &te) {
		t.Errorf("tuple key into map[any]: %v", err)
	}
	if err := Unmarshal([]byte("N."), o); !errors.As(err, new(*InvalidUnmarshalError)) {
		t.Errorf("non-pointer: %v", err)
	}
}

func TestDecodeTypedSharing(t *testing.T) {
	type Node struct {
		Name string
		Next *Node
	}
	// a = {'Name': 'a'}; a['Next'] = a at protocol 2
	data := "\x80\x02}q\x00(X\x04\x00\x00\x00Nameq\x01X\x01\x00\x00\x00aq\x02X\x04\x00\x00\x00Nextq\x03h\x00u."
	var n *Node
	if err := Unmarshal([]byte(data), &n); err != nil {
		t.Fatal(err)
	}
	if n.Next != n || n.Name != "a" {
		t.Errorf("cycle through a pointer: %+v", n)
	}
	// d = {'Kids': []}; d['Kids'].append(d): the cycle closes through the
	// shared slice.
	type T struct{ Kids []T }
	var tv T
	if err := Unmarshal([]byte("\x80\x02}q\x00X\x04\x00\x00\x00Kidsq\x01]q\x02h\x00as."), &tv); err != nil {
		t.Fatal(err)
	}
	if len(tv.Kids) != 1 || len(tv.Kids[0].Kids) != 1 || &tv.Kids[0].Kids[0] != &tv.Kids[0] {
		t.Errorf("cycle through a slice: %+v", tv)
	}
	// Without the memo entry on the list, nothing can close the cycle: the
	// depth limit ends it with an error instead of a stack overflow.
	err := Unmarshal([]byte("\x80\x02}q\x00X\x04\x00\x00\x00Kids]h\x00as."), &tv)
	if le := new(LimitError); !errors.As(err, &le) || le.Limit != "MaxDepth" {
		t.Errorf("unshared cycle into values: %v", err)
	}
}

func TestDecodeErrorsAreTyped(t *testing.T) {
	tests := []struct {
		name, data string
		check      func(error) bool
	}{
		{"empty", "", func(e error) bool { return errors.Is(e, ErrEmpty) }},
		{"truncated arg", "K", func(e error) bool { return errors.Is(e, ErrTruncated) }},
		{"no stop", "K\x01", func(e error) bool { return errors.Is(e, ErrTruncated) }},
		{"trailing", "N.N", func(e error) bool { return errors.Is(e, ErrTrailingData) }},
		{"unknown opcode", "\xff", isSyntax},
		{"proto 6", "\x80\x06N.", isSyntax},
		{"stop on empty", ".", isSyntax},
		{"append underflow", "a.", isSyntax},
		{"appends no mark", "]e.", isSyntax},
		{"mark hides items", "K\x01(\x85.", isSyntax},
		{"odd setitems", "}(K\x01u.", isSyntax},
		{"append to int", "K\x01K\x02a.", isSyntax},
		{"setitem on list", "]K\x01K\x02s.", isSyntax},
		{"list key", "}]K\x01s.", isSyntax},
		{"bytearray in set", "\x80\x05\x8f(\x96\x00\x00\x00\x00\x00\x00\x00\x00\x90.", isSyntax},
		{"build on int", "K\x01}K\x01K\x02sb.", isSyntax},
		{"bad int", "I12x\n.", isSyntax},
		{"bad float", "Fnope\n.", isSyntax},
		{"hex float", "F0x1p3\n.", isSyntax},
		{"unquoted string", "Sabc\n.", isSyntax},
		{"bad escape", "S'\\x4'\n.", isSyntax},
		{"bad utf8", "X\x01\x00\x00\x00\xff.", isSyntax},
		{"missing memo", "h\x05.", isSyntax},
		{"negative binstring", "T\xff\xff\xff\xff.", isSyntax},
		{"persid", "Pid\n.", func(e error) bool { return errors.Is(e, ErrNoHandler) }},
		{"binpersid", "K\x01Q.", func(e error) bool { return errors.Is(e, ErrNoHandler) }},
		{"ext1", "\x82\x01.", func(e error) bool { return errors.Is(e, ErrNoHandler) }},
		{"ext4 zero", "\x84\x00\x00\x00\x00.", isSyntax},
		{"next buffer", "\x80\x05\x97.", func(e error) bool { return errors.Is(e, ErrNoHandler) }},
		{"bytes claims 2**40", "\x8e\x00\x00\x00\x00\x00\x01\x00\x00x.", func(e error) bool { return errors.Is(e, ErrTruncated) || errors.As(e, new(*LimitError)) }},
		{"frame past end", "\x80\x04\x95\x00\x00\x00\x00\x01\x00\x00\x00N.", func(e error) bool { return errors.Is(e, ErrTruncated) }},
		{"opcode straddles frame", "\x80\x04\x95\x01\x00\x00\x00\x00\x00\x00\x00K\x01.", isSyntax},
		{"frame inside frame", "\x80\x04\x95\x0a\x00\x00\x00\x00\x00\x00\x00\x95\x01\x00\x00\x00\x00\x00\x00\x00N.", isSyntax},
		{"stack global of ints", "\x80\x04K\x01K\x02\x93.", isSyntax},
		{"reduce non-tuple", "\x80\x02c__builtin__\nset\n]R.", isSyntax},
		{"set of a str", "\x80\x02c__builtin__\nset\nX\x01\x00\x00\x00a\x85R.", func(e error) bool { return errors.As(e, new(*GlobalError)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v any
			err := Unmarshal([]byte(tt.data), &v)
			if err == nil {
				t.Fatalf("decoded %#v, want an error", v)
			}
			if !tt.check(err) {
				t.Errorf("error %T %v does not match", err, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "pickle: ") || strings.Contains(msg, "\n") {
				t.Errorf("message %q: want one line starting with pickle:", msg)
			}
		})
	}
}

func isSyntax(e error) bool { return errors.As(e, new(*SyntaxError)) }

func TestDecodeLimits(t *testing.T) {
	var v any
	deep := strings.Repeat("]", 50) + strings.Repeat("a", 49) + "."
	err := Unmarshal([]byte(deep), &v, MaxDepth(20))
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "MaxDepth" || le.Max != 20 {
		t.Errorf("depth: %v", err)
	}
	if err := Unmarshal([]byte(deep), &v); err != nil {
		t.Errorf("depth 50 with the default limit: %v", err)
	}
	if err := Unmarshal([]byte("C\x05hello."), &v, MaxStringLen(4)); !errors.As(err, &le) || le.Limit != "MaxStringLen" || le.Tried != 5 {
		t.Errorf("string: %v", err)
	}
	if err := Unmarshal([]byte("(K\x01K\x02K\x03l."), &v, MaxContainerLen(2)); !errors.As(err, &le) || le.Limit != "MaxContainerLen" {
		t.Errorf("container: %v", err)
	}
	if err := Unmarshal([]byte("I"+strings.Repeat("9", 5000)+"\n."), &v); !errors.As(err, &le) || le.Limit != "MaxIntDigits" {
		t.Errorf("digits: %v", err)
	}
	if err := Unmarshal([]byte("\x80\x04K\x01\x94\x94\x94."), &v, MaxMemo(2)); !errors.As(err, &le) || le.Limit != "MaxMemo" {
		t.Errorf("memo: %v", err)
	}
	if err := Unmarshal([]byte("N."), &v, MaxDepth(0)); !errors.As(err, new(*OptionError)) {
		t.Errorf("bad option: %v", err)
	}
}

// A list holding the previous level twice, 40 levels deep: 2**40 paths.
func memoBomb(levels int) []byte {
	b := []byte("\x80\x02]q\x00")
	for i := 1; i <= levels; i++ {
		b = append(b, "]r"...)
		b = append(b, byte(i), byte(i>>8), 0, 0)
		b = append(b, '(', 'j', byte(i-1), byte((i-1)>>8), 0, 0, 'j', byte(i-1), byte((i-1)>>8), 0, 0, 'e')
	}
	return append(b, '.')
}

func TestDecodeMemoBombIsLinear(t *testing.T) {
	data := memoBomb(40)
	var v any
	if err := Unmarshal(data, &v); err != nil {
		t.Fatalf("into any: %v", err)
	}
	top := v.(*List)
	if top.At(0).(*List) != top.At(1).(*List) {
		t.Error("the two references of the top level are not one list")
	}
	// Into typed slices, shared lists are bound once per Go type and shared,
	// so the work stays linear too.
	type L []L
	var l L
	if err := Unmarshal(data, &l); err != nil {
		t.Fatalf("typed: %v", err)
	}
	if reflect.ValueOf(l[0]).Pointer() != reflect.ValueOf(l[1]).Pointer() {
		t.Error("typed: the two references do not share one slice")
	}
	// The work budget is the backstop for whatever is decoded again.
	err := Unmarshal(data, &l, MaxWork(50))
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "MaxWork" {
		t.Errorf("MaxWork(50): %v", err)
	}
}

func TestDecodeFloatRanges(t *testing.T) {
	var te *UnmarshalTypeError
	// 2**1100 at protocol 2: Python's float() raises OverflowError.
	huge := "\x80\x02\x8a\x8a" + strings.Repeat("\x00", 137) + "\x10."
	var f float64
	if err := Unmarshal([]byte(huge), &f); !errors.As(err, &te) {
		t.Errorf("2**1100 into float64: %v (%v)", f, err)
	}
	var f32 float32
	if err := Unmarshal([]byte("G\x7f\xe0\x00\x00\x00\x00\x00\x00."), &f32); !errors.As(err, &te) {
		t.Errorf("1e308 into float32: %v (%v)", f32, err)
	}
	var c64 complex64
	if err := Unmarshal([]byte("G\x7f\xe0\x00\x00\x00\x00\x00\x00."), &c64); !errors.As(err, &te) {
		t.Errorf("1e308 into complex64: %v (%v)", c64, err)
	}
	if err := Unmarshal([]byte("Finf\n."), &f32); err != nil || !math.IsInf(float64(f32), 1) {
		t.Errorf("inf into float32: %v %v", f32, err)
	}
}

func TestMaxContainerLenCountsDictItems(t *testing.T) {
	var v any
	two := "}(K\x01K\x01K\x02K\x02u." // {1: 1, 2: 2}
	if err := Unmarshal([]byte(two), &v, MaxContainerLen(2)); err != nil {
		t.Errorf("a dict of 2 items with MaxContainerLen(2): %v", err)
	}
	var le *LimitError
	if err := Unmarshal([]byte(two), &v, MaxContainerLen(1)); !errors.As(err, &le) || le.Tried != 2 {
		t.Errorf("MaxContainerLen(1): %v", err)
	}
}

// Found by fuzzing: _codecs.encode() with no arguments.
func TestCodecsEncodeWithoutArguments(t *testing.T) {
	var v any
	err := Unmarshal([]byte("\x80\x02c_codecs\nencode\n)R."), &v)
	if !errors.As(err, new(*GlobalError)) {
		t.Errorf("got %v", err)
	}
}

// BUILD on an object without __setstate__ or __dict__ follows CPython's C
// unpickler: only None or (None, {}) ask nothing of it.
func TestBuildOnPlainValues(t *testing.T) {
	var v any
	for _, ok := range []string{"]Nb.", "]N}\x86b."} {
		if err := Unmarshal([]byte(ok), &v); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"}}b.", "]}b.", "]NN\x86b.", "]}N\x86b.", "K\x01}b."} {
		if err := Unmarshal([]byte(bad), &v); !errors.As(err, new(*SyntaxError)) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// A huge int in an error message is described, not printed in decimal.
func TestHugeIntInErrorIsCheap(t *testing.T) {
	data := append([]byte("\x80\x02\x8b\x00\x00\x20\x00"), make([]byte, 2<<20)...)
	data[len(data)-1] = 1
	data = append(data, '.')
	var x int
	err := Unmarshal(data, &x)
	if err == nil || !strings.Contains(err.Error(), "an int of") {
		t.Errorf("got %v", err)
	}
}
