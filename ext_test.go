package pickle

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

type nestedInner struct {
	V int `pickle:"v"`
}

type extOther struct {
	W string `pickle:"w"`
}

// Extension codes and nested classes, with python3 on both sides.
func TestExtensionCodesAndNestedClassesWithPython(t *testing.T) {
	py := pythonOrSkip(t)
	reg := NewRegistry()
	if err := reg.RegisterClass("__main__", "Point", &testPoint{}); err != nil {
		t.Fatal(err)
	}
	if err := reg.RegisterClass("__main__", "Outer.Inner", &nestedInner{}); err != nil {
		t.Fatal(err)
	}
	if err := reg.RegisterClass("__main__", "Other", &extOther{}); err != nil {
		t.Fatal(err)
	}
	codes := map[int]Global{200: {"__main__", "Point"}, 70000: {"__main__", "Other"}}
	value := []any{&testPoint{X: 1, Y: 2}, &nestedInner{V: 3}, &extOther{W: "w"}}
	var input bytes.Buffer
	for proto := 0; proto <= HighestProtocol; proto++ {
		data, err := Marshal(value, Protocol(proto), WithRegistry(reg), ExtensionCodes(codes))
		if err != nil {
			t.Fatalf("p%d: %v", proto, err)
		}
		fmt.Fprintf(&input, "%d %s\n", proto, hex.EncodeToString(data))
	}
	script := `
import copyreg, pickle, sys
class Point: pass
class Outer:
    class Inner: pass
class Other: pass
copyreg.add_extension('__main__', 'Point', 200)
copyreg.add_extension('__main__', 'Other', 70000)
def mk(cls, **kw):
    o = cls.__new__(cls); o.__dict__.update(kw); return o
want = [mk(Point, x=1, y=2.0), mk(Outer.Inner, v=3), mk(Other, w='w')]
for line in sys.stdin:
    p, data = line.split()
    got = pickle.loads(bytes.fromhex(data))
    ok = [type(o) for o in got] == [Point, Outer.Inner, Other] and [o.__dict__ for o in got] == [o.__dict__ for o in want]
    mine = pickle.dumps(want, protocol=int(p))
    print(p, 'ok' if ok else 'BAD', 'same' if mine.hex() == data else 'differ', mine.hex())
`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = &input
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if f[1] != "ok" || f[2] != "same" {
			t.Errorf("protocol %s: %s, bytes %s", f[0], f[1], f[2])
		}
		data, _ := hex.DecodeString(f[3])
		var got []any
		if err := Unmarshal(data, &got, WithRegistry(reg), ExtensionCodes(codes)); err != nil {
			t.Errorf("protocol %s: %v", f[0], err)
			continue
		}
		if p, ok := got[0].(*testPoint); !ok || *p != (testPoint{1, 2}) {
			t.Errorf("protocol %s: %#v", f[0], got[0])
		}
		if n, ok := got[1].(*nestedInner); !ok || n.V != 3 {
			t.Errorf("protocol %s: %#v", f[0], got[1])
		}
		if o, ok := got[2].(*extOther); !ok || o.W != "w" {
			t.Errorf("protocol %s: %#v", f[0], got[2])
		}
	}
	// getattr only names nested classes of allowed globals.
	bad := []byte("\x80\x02c__builtin__\ngetattr\nc__builtin__\nset\nX\x08\x00\x00\x00__init__\x86R.")
	var v any
	if err := Unmarshal(bad, &v); !errors.As(err, new(*GlobalError)) || !strings.Contains(err.Error(), "builtins.set.__init__") {
		t.Errorf("getattr(set, '__init__'): %v", err)
	}
	if err := Unmarshal([]byte("\x80\x02\x82\x05."), &v, ExtensionCodes(codes)); err == nil {
		t.Error("unregistered extension code decoded")
	}
	if err := Unmarshal([]byte("N."), &v, ExtensionCodes(map[int]Global{0: {"a", "b"}})); !errors.As(err, new(*OptionError)) {
		t.Errorf("code 0: %v", err)
	}
}
