package pickle

// Shared helpers of the golden and interop tests: the manifest written by
// testdata/gen.py, panic-safe decode and encode, and the sharing signature.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// goldenDir holds the corpus that testdata/gen.py writes.
const goldenDir = "testdata/golden"

// goldenManifest is testdata/golden/manifest.json.
type goldenManifest struct {
	Generator string       `json:"generator"`
	Python    string       `json:"python"`
	HashSeed  int          `json:"hash_seed"`
	Cases     []goldenCase `json:"cases"`
}

// goldenCase is one value (or hand-assembled vector) of the corpus.
type goldenCase struct {
	Name string `json:"name"`
	// Kind is "value" (a plain value pickled by CPython), "object" (an
	// instance: needs KeepUnknown), "vector" (hand-assembled opcodes CPython
	// loads) or "hook" (opcodes that need hooks: PERSID, EXT1, ...).
	Kind        string `json:"kind"`
	Pickler     string `json:"pickler"` // "c", "python" (pickle._dumps) or "hand"
	KeepUnknown bool   `json:"keep_unknown"`
	Note        string `json:"note"`
	// Files holds one pickle per protocol (one file for vectors).
	Files []goldenFile `json:"files"`
	// EqualGroups lists protocols whose decoded values must be Equal.
	EqualGroups [][]int `json:"equal_groups"`
	EqualNote   string  `json:"equal_note"`
	// Sharing is the identity signature of the value (see goldenSharing),
	// nil when not computed (objects).
	Sharing *string `json:"sharing"`
	// Ref is, for a vector, CPython's ordinary pickle of what it loads.
	Ref string `json:"ref"`
	// CPython is, for a hook vector, "ok" or "error": what CPython's default
	// Unpickler does with it.
	CPython string `json:"cpython"`
}

// goldenFile is one pickle of a case.
type goldenFile struct {
	Protocol      int    `json:"protocol"`
	File          string `json:"file"`
	Deterministic bool   `json:"deterministic"`
	// SameAsC is false for a pure-Python pickle that differs from the C
	// pickler's; CFile then holds the C pickler's bytes.
	SameAsC *bool  `json:"same_as_c"`
	CFile   string `json:"c_file"`
}

var (
	goldenOnce sync.Once
	goldenM    *goldenManifest
	goldenErr  error
)

// loadGolden reads the manifest once per test binary.
func loadGolden(t testing.TB) *goldenManifest {
	t.Helper()
	goldenOnce.Do(func() {
		data, err := os.ReadFile(filepath.Join(goldenDir, "manifest.json"))
		if err != nil {
			goldenErr = err
			return
		}
		var m goldenManifest
		if err := json.Unmarshal(data, &m); err != nil {
			goldenErr = err
			return
		}
		goldenM = &m
	})
	if goldenErr != nil {
		t.Fatalf("golden manifest: %v (regenerate with: python3 testdata/gen.py)", goldenErr)
	}
	if len(goldenM.Cases) == 0 {
		t.Fatal("golden manifest lists no cases")
	}
	return goldenM
}

// readGolden returns the bytes of a corpus file.
func readGolden(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(goldenDir, name))
	if err != nil {
		t.Fatalf("golden file: %v", err)
	}
	return data
}

// decodeOpts returns the decoding options a case needs.
func (c *goldenCase) decodeOpts() []Option {
	if c.KeepUnknown {
		return []Option{KeepUnknown(true)}
	}
	return nil
}

// safeUnmarshal decodes data into an any, turning a panic into an error so
// that one decoder bug is reported per input instead of ending the run.
func safeUnmarshal(data []byte, opts ...Option) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("PANIC: %v\n%s", r, firstLines(string(debug.Stack()), 12))
		}
	}()
	err = Unmarshal(data, &v, opts...)
	return v, err
}

// safeMarshal encodes v at protocol p, turning a panic into an error.
func safeMarshal(v any, p int) (data []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("PANIC: %v\n%s", r, firstLines(string(debug.Stack()), 12))
		}
	}()
	return Marshal(v, Protocol(p))
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// isPackageError reports whether err is one of the package's typed errors,
// matchable with errors.As, with a one-line message starting "pickle:".
func isPackageError(err error) bool {
	var (
		se *SyntaxError
		te *UnmarshalTypeError
		ge *GlobalError
		le *LimitError
	)
	typed := errors.As(err, &se) || errors.As(err, &te) || errors.As(err, &ge) || errors.As(err, &le)
	msg := err.Error()
	return typed && strings.HasPrefix(msg, "pickle:") && !strings.Contains(msg, "\n")
}

// goldenSharing returns the identity signature of a decoded value, computed
// as testdata/pystrict.py's sharing_signature does on the Python value:
// walking depth-first (list and tuple items, dict keys then values, set
// members), each mutable container (*List, *Dict, *Set, *ByteArray) is
// numbered on first sight and every visit appends its number. "0,1,1" is
// [x, x]; "0,0" is a list that contains itself.
func goldenSharing(v any) string {
	ids := map[any]int{}
	var out []string
	visit := func(p any) bool { // reports whether p is new
		n, seen := ids[p]
		if !seen {
			n = len(ids)
			ids[p] = n
		}
		out = append(out, strconv.Itoa(n))
		return !seen
	}
	var walk func(x any)
	walk = func(x any) {
		switch y := x.(type) {
		case *List:
			if visit(y) {
				for _, it := range y.Items {
					walk(it)
				}
			}
		case *Dict:
			if visit(y) {
				for k, val := range y.All() {
					walk(k)
					walk(val)
				}
			}
		case *Set:
			if visit(y) {
				for m := range y.All() {
					walk(m)
				}
			}
		case *ByteArray:
			visit(y)
		case Tuple:
			for _, it := range y {
				walk(it)
			}
		case *FrozenSet:
			for m := range y.All() {
				walk(m)
			}
		}
	}
	walk(v)
	return strings.Join(out, ",")
}

// requirePython returns the path of python3, or skips the test when it is
// missing, unless PICKLE_REQUIRE_PYTHON=1, which makes it fail instead.
func requirePython(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("python3")
	if err == nil {
		return path
	}
	if os.Getenv("PICKLE_REQUIRE_PYTHON") == "1" {
		t.Fatalf("python3 is required (PICKLE_REQUIRE_PYTHON=1) but not found: %v", err)
	}
	t.Skipf("python3 not found (%v): skipping the live CPython test", err)
	return ""
}
