package stream

import (
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/go-pickle/pickle"
)

// pyValues is a Python expression for a list of values, and goValues (below)
// what the generic model makes of each.
const pyValues = `[None, True, False, 1, -5, 300, 2**40, 2**70, -2**70, 1.5, -0.0, 1+2j,
 "", "héllo wörld", "a\nb", b"", b"\x00\xffbytes", bytearray(b"ba"),
 (), (1, "a"), [1, [2, 3]], {"a": 1, "b": [None]}, {1, 2}, frozenset({"x"}),
 "x" * 70000, list(range(1500))]`

func goValues(t *testing.T) []any {
	big70, _ := new(big.Int).SetString("1180591620717411303424", 10)
	negBig70 := new(big.Int).Neg(big70)
	dict := pickle.NewDict()
	dict.Set("a", int64(1))
	dict.Set("b", pickle.NewList(nil))
	set, err := pickle.NewSet(int64(1), int64(2))
	if err != nil {
		t.Fatal(err)
	}
	frozen, err := pickle.NewFrozenSet("x")
	if err != nil {
		t.Fatal(err)
	}
	long := make([]any, 1500)
	for i := range long {
		long[i] = int64(i)
	}
	return []any{nil, true, false, int64(1), int64(-5), int64(300), int64(1 << 40), big70, negBig70, 1.5, negZero(), complex(1, 2),
		"", "héllo wörld", "a\nb", []byte{}, []byte("\x00\xffbytes"), &pickle.ByteArray{Bytes: []byte("ba")},
		pickle.Tuple{}, pickle.Tuple{int64(1), "a"}, pickle.NewList(int64(1), pickle.NewList(int64(2), int64(3))), dict, set, frozen,
		strings.Repeat("x", 70000), pickle.NewList(long...)}
}

func negZero() float64 {
	z := 0.0
	return -z
}

// runPython runs a script with arguments and returns its standard output.
func runPython(t *testing.T, script string, args ...string) string {
	t.Helper()
	py := needPython(t)
	cmd := exec.Command(py, append([]string{"-c", script}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, stderr.String())
	}
	return string(out)
}

// TestPythonWritesLogReads: files of repeated pickle.dump calls at every
// protocol are read record by record, and a copy cut inside its last record
// reads as the complete records plus a torn tail that Repair removes.
func TestPythonWritesLogReads(t *testing.T) {
	dir := t.TempDir()
	want := goValues(t)
	for proto := 0; proto <= pickle.HighestProtocol; proto++ {
		path := filepath.Join(dir, "py"+strconv.Itoa(proto)+".pickle")
		runPython(t, `
import pickle, sys
with open(sys.argv[1], "wb") as f:
    for v in `+pyValues+`:
        pickle.dump(v, f, protocol=int(sys.argv[2]))
`, path, strconv.Itoa(proto))
		l, err := Open(path, ReadOnly())
		if err != nil {
			t.Fatalf("protocol %d: Open: %v", proto, err)
		}
		if l.Len() != len(want) {
			t.Errorf("protocol %d: Len = %d, want %d", proto, l.Len(), len(want))
		}
		got := readValues(t, l)
		l.Close()
		checkValues(t, "protocol "+strconv.Itoa(proto), got, want)

		// Cut inside the last record (the long list).
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cut := filepath.Join(dir, "cut"+strconv.Itoa(proto)+".pickle")
		if err := os.WriteFile(cut, data[:len(data)-5], 0o644); err != nil {
			t.Fatal(err)
		}
		checkTornFile(t, cut, want[:len(want)-1])
	}
}

// checkTornFile checks that the log at path reads as want followed by a
// torn tail, that writable Open refuses it, and that Repair fixes it.
func checkTornFile(t *testing.T, path string, want []any) {
	t.Helper()
	l, err := Open(path, ReadOnly())
	if err != nil {
		t.Fatalf("Open read-only: %v", err)
	}
	var got []any
	var tornErr *TornError
	for rec, err := range l.Records() {
		if err != nil {
			if !errors.As(err, &tornErr) {
				t.Fatalf("Records: %v, want a *TornError", err)
			}
			break
		}
		v, err := rec.Value()
		if err != nil {
			t.Fatalf("record at %d: %v", rec.Offset, err)
		}
		got = append(got, v)
	}
	l.Close()
	if tornErr == nil {
		t.Fatal("no *TornError at the end")
	}
	checkValues(t, path, got, want)
	if _, err := Open(path); !errors.As(err, new(*TornError)) {
		t.Fatalf("writable Open of a torn log: %v, want *TornError", err)
	}
	removed, err := Repair(path)
	if err != nil || removed == nil || removed.Offset != tornErr.Offset {
		t.Fatalf("Repair = %v, %v; want the torn tail at %d", removed, err, tornErr.Offset)
	}
	info, err := os.Stat(path)
	if err != nil || info.Size() != tornErr.Offset {
		t.Fatalf("after Repair: size %v (%v), want %d", info.Size(), err, tornErr.Offset)
	}
	l, err = Open(path)
	if err != nil {
		t.Fatalf("Open after Repair: %v", err)
	}
	defer l.Close()
	if l.Len() != len(want) {
		t.Fatalf("after Repair: Len = %d, want %d", l.Len(), len(want))
	}
}

func readValues(t *testing.T, l *Log) []any {
	t.Helper()
	var got []any
	for rec, err := range l.Records() {
		if err != nil {
			t.Fatalf("Records: %v", err)
		}
		v, err := rec.Value()
		if err != nil {
			t.Fatalf("record at %d: %v", rec.Offset, err)
		}
		got = append(got, v)
	}
	return got
}

func checkValues(t *testing.T, what string, got, want []any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if !pickle.Equal(got[i], want[i]) {
			t.Errorf("%s: value %d = %#v, want %#v", what, i, clipAny(got[i]), clipAny(want[i]))
		}
	}
}

func clipAny(v any) any {
	if s, ok := v.(string); ok && len(s) > 40 {
		return s[:40] + "..."
	}
	return v
}

// TestLogWritesPythonReads: logs written at every protocol are read by
// python3 with repeated pickle.load and compared with the same values built
// in Python.
func TestLogWritesPythonReads(t *testing.T) {
	needPython(t)
	dir := t.TempDir()
	values := goValues(t)
	for proto := 0; proto <= pickle.HighestProtocol; proto++ {
		path := filepath.Join(dir, "go"+strconv.Itoa(proto)+".pickle")
		l, err := Open(path, Protocol(proto), SyncOnClose())
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range values {
			if _, err := l.Append(v); err != nil {
				t.Fatalf("protocol %d: Append(%#v): %v", proto, clipAny(v), err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		out := runPython(t, `
import pickle, sys
want = `+pyValues+`
got = []
with open(sys.argv[1], "rb") as f:
    while True:
        try:
            got.append(pickle.load(f))
        except EOFError:
            break
bad = [i for i, (g, w) in enumerate(zip(got, want)) if not (type(g) is type(w) and repr(g) == repr(w))]
print(len(got), bad)
`, path)
		if want := strconv.Itoa(len(values)) + " []\n"; out != want {
			t.Errorf("protocol %d: python3 says %q, want %q (count, mismatching indices)", proto, out, want)
		}
	}
}
