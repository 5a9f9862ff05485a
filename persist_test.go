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

type blobRef struct{ Key string }

// The Python side of the persistence tests: a pickler whose persistent_id
// turns Blob objects into ids, and an unpickler whose persistent_load turns
// them back.
const pyPersist = `
import io, pickle, sys
class Blob:
    def __init__(self, key): self.key = key
    def __eq__(self, o): return isinstance(o, Blob) and o.key == self.key
    def __repr__(self): return 'Blob(%r)' % self.key
class P(pickle.Pickler):
    def __init__(self, f, protocol):
        super().__init__(f, protocol=protocol)
        self.p = protocol
    def persistent_id(self, obj):
        if isinstance(obj, Blob):
            return obj.key if self.p == 0 else ('blob', obj.key)
        return None
class U(pickle.Unpickler):
    def persistent_load(self, pid):
        if isinstance(pid, tuple):
            assert pid[0] == 'blob', pid
            return Blob(pid[1])
        return Blob(pid)
def dumps(obj, p):
    f = io.BytesIO()
    P(f, protocol=p).dump(obj)
    return f.getvalue()
`

func TestPersistentIDsWithPython(t *testing.T) {
	py := pythonOrSkip(t)
	pid := func(v any) (any, bool) {
		b, ok := v.(*blobRef)
		if !ok {
			return nil, false
		}
		return Tuple{"blob", b.Key}, true
	}
	pid0 := func(v any) (any, bool) {
		if b, ok := v.(*blobRef); ok {
			return b.Key, true
		}
		return nil, false
	}
	value := []any{"x", &blobRef{"k1"}, map[string]any{"b": &blobRef{"k2"}}}
	var input bytes.Buffer
	for proto := 0; proto <= HighestProtocol; proto++ {
		fn := pid
		if proto == 0 {
			fn = pid0
		}
		data, err := Marshal(value, Protocol(proto), PersistentID(fn))
		if err != nil {
			t.Fatalf("p%d: %v", proto, err)
		}
		fmt.Fprintf(&input, "%d %s\n", proto, hex.EncodeToString(data))
	}
	script := pyPersist + `
want = ['x', Blob('k1'), {'b': Blob('k2')}]
for line in sys.stdin:
    p, data = line.split()
    got = U(io.BytesIO(bytes.fromhex(data))).load()
    mine = dumps(want, int(p))
    print(p, 'ok' if got == want else 'BAD:%r' % got, 'same' if mine.hex() == data else 'differ', mine.hex())
`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = &input
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	load := func(id any) (any, error) {
		switch x := id.(type) {
		case string:
			return &blobRef{x}, nil
		case Tuple:
			if len(x) == 2 && x[0] == "blob" {
				return &blobRef{x[1].(string)}, nil
			}
		}
		return nil, errors.New("unknown id")
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if f[1] != "ok" || f[2] != "same" {
			t.Errorf("protocol %s: python3 says %s, bytes %s", f[0], f[1], f[2])
		}
		data, _ := hex.DecodeString(f[3])
		var got struct {
			S string
			B *blobRef
		}
		var l []any
		if err := Unmarshal(data, &l, PersistentLoad(load)); err != nil {
			t.Fatalf("protocol %s: %v", f[0], err)
		}
		got.S, _ = l[0].(string)
		got.B, _ = l[1].(*blobRef)
		if got.S != "x" || got.B == nil || got.B.Key != "k1" {
			t.Errorf("protocol %s: %#v", f[0], l)
		}
		n++
	}
	if n != HighestProtocol+1 {
		t.Errorf("%d protocols", n)
	}
	// Without the hook, the reference is refused.
	data, _ := Marshal(value, PersistentID(pid))
	var v any
	if err := Unmarshal(data, &v); !errors.Is(err, ErrNoHandler) {
		t.Errorf("no hook: %v", err)
	}
	// A failing hook names the id.
	err = Unmarshal(data, &v, PersistentLoad(func(any) (any, error) { return nil, errors.New("gone") }))
	if err == nil || !strings.Contains(err.Error(), `("blob", "k1")`) {
		t.Errorf("failing hook: %v", err)
	}
	// Protocol 0 wants ASCII string ids.
	if _, err := Marshal(value, Protocol(0), PersistentID(pid)); err == nil {
		t.Error("a tuple id at protocol 0 was accepted")
	}
}

func TestOutOfBandBuffersWithPython(t *testing.T) {
	py := pythonOrSkip(t)
	ro := &PickleBuffer{Data: []byte("read-only data"), ReadOnly: true}
	rw := &PickleBuffer{Data: []byte("writable")}
	var oob [][]byte
	data, err := Marshal([]any{ro, rw, "tail"}, Protocol(5), BufferCallback(func(b *PickleBuffer) bool {
		oob = append(oob, b.Data)
		return false
	}))
	if err != nil {
		t.Fatal(err)
	}
	inBand, err := Marshal([]any{ro, rw}, Protocol(5))
	if err != nil {
		t.Fatal(err)
	}
	script := `
import pickle, sys
data, b1, b2, inband = [bytes.fromhex(x) for x in sys.stdin.read().split()]
bufs = [b1, bytearray(b2)]
got = pickle.loads(data, buffers=bufs)
ok = got[0] is bufs[0] and got[1] is bufs[1] and got[2] == 'tail'  # READONLY_BUFFER on bytes keeps them
want = [pickle.PickleBuffer(b'read-only data'), pickle.PickleBuffer(bytearray(b'writable')), 'tail']
seen = []
mine = pickle.dumps(want, protocol=5, buffer_callback=seen.append)
print('ok' if ok else 'BAD', 'same' if mine == data else 'differ')
ib = pickle.loads(inband)
print('ok' if ib == [b'read-only data', bytearray(b'writable')] and type(ib[1]) is bytearray else 'BAD', 'same' if pickle.dumps(want[:2], protocol=5) == inband else 'differ')
# python3 writes out-of-band buffers for Go to read
out = []
print(pickle.dumps(want, protocol=5, buffer_callback=out.append).hex(), ' '.join(bytes(b.raw()).hex() for b in out))
`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = strings.NewReader(hex.EncodeToString(data) + " " + hex.EncodeToString(oob[0]) + " " + hex.EncodeToString(oob[1]) + " " + hex.EncodeToString(inBand))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 3 || lines[0] != "ok same" || lines[1] != "ok same" {
		t.Fatalf("python3 says %q", lines)
	}
	f := strings.Fields(lines[2])
	pk, _ := hex.DecodeString(f[0])
	b1, _ := hex.DecodeString(f[1])
	b2, _ := hex.DecodeString(f[2])
	var v any
	if err := Unmarshal(pk, &v, Buffers(b1, b2)); err != nil {
		t.Fatal(err)
	}
	l := v.(*List)
	first, second := l.At(0).(*PickleBuffer), l.At(1).(*PickleBuffer)
	if !first.ReadOnly || string(first.Data) != "read-only data" || second.ReadOnly || string(second.Data) != "writable" {
		t.Errorf("got %#v %#v", first, second)
	}
	if &first.Data[0] != &b1[0] {
		t.Error("the out-of-band buffer was copied")
	}
	var asBytes [][]byte
	// Into [][]byte the first two items are the buffers themselves (the
	// third is a str, which does not fit []byte: decode a slice of them).
	two, _ := Marshal([]any{&PickleBuffer{Data: []byte("a")}, &PickleBuffer{Data: []byte("b"), ReadOnly: true}}, Protocol(5), BufferCallback(func(*PickleBuffer) bool { return false }))
	x, y := []byte("a"), []byte("b")
	if err := Unmarshal(two, &asBytes, Buffers(x, y)); err != nil || &asBytes[0][0] != &x[0] || &asBytes[1][0] != &y[0] {
		t.Errorf("zero-copy [][]byte: %v", err)
	}
	if err := Unmarshal(two, &v, Buffers(x)); err == nil || !strings.Contains(err.Error(), "not enough out-of-band buffers") {
		t.Errorf("missing buffer: %v", err)
	}
	if _, err := Marshal(ro, Protocol(4)); err == nil {
		t.Error("PickleBuffer at protocol 4 was accepted")
	}
}
