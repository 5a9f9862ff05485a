package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-pickle/pickle"
)

// wantReceived is what Go prints for Python's answer, live or committed.
const wantReceived = `go: received 365 bytes at protocol 2: {Name:"Ada Lovelace" Age:37 Address:{Street:12 St James's Square City:LONDON} Tags:["mathematician" "writer" "python"] Scores:map[analysis:9.5 poetry:7.25 python:3.5] Avatar:"\x89PNG\xff\x00" Balance:123456789012345678901234567890000}
go: the same pickle as generic values:
    name: string Ada Lovelace
    age: int64 37
    address: *pickle.Dict of 2 items
    tags: *pickle.List of 3 items
    scores: *pickle.Dict of 3 items
    avatar: []uint8 "\x89PNG\xff\x00"
    balance: *big.Int 123456789012345678901234567890000
`

// python3OrSkip returns the path of python3, or skips the test when it is
// missing, unless PICKLE_REQUIRE_PYTHON=1 (as CI sets), when it fails.
func python3OrSkip(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("PICKLE_REQUIRE_PYTHON") == "1" {
			t.Fatal("python3 is required (PICKLE_REQUIRE_PYTHON=1) but was not found")
		}
		t.Skip("python3 not found: skipping the live interoperability test")
	}
	return py
}

func TestWithoutPython(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, ""); err != nil {
		t.Fatal(err)
	}
	want := "note: python3 not found; decoding testdata/from_python.pkl, which python3 wrote with testdata/gen.py\n" + wantReceived
	if got := out.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

func TestWithPython(t *testing.T) {
	py := python3OrSkip(t)
	var out bytes.Buffer
	if err := run(&out, py); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	lines := strings.SplitAfterN(got, "\n", 4)
	if len(lines) != 4 {
		t.Fatalf("output has too few lines:\n%s", got)
	}
	wantSent := `go: sending `
	wantLoaded := `python: loaded protocol 4 pickle: {'name': 'Ada Lovelace', 'age': 36, 'address': {'street': "12 St James's Square", 'city': 'London'}, 'tags': ['mathematician', 'writer'], 'scores': {'analysis': 9.5, 'poetry': 7.25}, 'avatar': b'\x89PNG', 'balance': 123456789012345678901234567890}` + "\n"
	wantAnswered := `python: answered with protocol 2: {'name': 'Ada Lovelace', 'age': 37, 'address': {'street': "12 St James's Square", 'city': 'LONDON'}, 'tags': ['mathematician', 'writer', 'python'], 'scores': {'analysis': 9.5, 'poetry': 7.25, 'python': 3.5}, 'avatar': b'\x89PNG\xff\x00', 'balance': 123456789012345678901234567890000}` + "\n"
	if !strings.HasPrefix(lines[0], wantSent) || !strings.Contains(lines[0], "at protocol 4: "+show(sample())) {
		t.Errorf("line 1 = %q, want the sent value", lines[0])
	}
	if lines[1] != wantLoaded {
		t.Errorf("line 2 = %q\nwant      %q", lines[1], wantLoaded)
	}
	if lines[2] != wantAnswered {
		t.Errorf("line 3 = %q\nwant      %q", lines[2], wantAnswered)
	}
	if lines[3] != wantReceived {
		t.Errorf("rest:\n%s\nwant:\n%s", lines[3], wantReceived)
	}
}

// TestCommittedAnswer checks that testdata/from_python.pkl is what gen.py
// writes, and what the live exchange answers.
func TestCommittedAnswer(t *testing.T) {
	py := python3OrSkip(t)
	dir := t.TempDir()
	script, err := os.ReadFile(filepath.Join("testdata", "gen.py"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "gen.py"), script, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "gen.py")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen.py: %v\n%s", err, out)
	}
	regenerated, err := os.ReadFile(filepath.Join(dir, "from_python.pkl"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(regenerated, fromPython) {
		t.Errorf("testdata/from_python.pkl is stale: gen.py now writes %d bytes, the file has %d", len(regenerated), len(fromPython))
	}

	live, err := exchange(&bytes.Buffer{}, py, sample())
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := pickle.Unmarshal(live, &a); err != nil {
		t.Fatal(err)
	}
	if err := pickle.Unmarshal(fromPython, &b); err != nil {
		t.Fatal(err)
	}
	if !pickle.Equal(a, b) {
		t.Errorf("the live answer and testdata/from_python.pkl decode to different values:\n%v\n%v", a, b)
	}
}

func TestMalformedAnswer(t *testing.T) {
	for _, bad := range [][]byte{nil, []byte("garbage"), fromPython[:len(fromPython)-1]} {
		if err := decodeAnswer(&bytes.Buffer{}, bad); err == nil {
			t.Errorf("decodeAnswer(%q) succeeded, want an error", bad)
		}
	}
}

func TestPythonFails(t *testing.T) {
	err := run(&bytes.Buffer{}, filepath.Join(t.TempDir(), "no-such-python3"))
	if err == nil {
		t.Fatal("run with a missing python3 binary succeeded, want an error")
	}
}
