package pickle

// Live differential tests against CPython (python3 must be installed; see
// requirePython). Every golden case is decoded in Go and re-encoded at
// protocols 0, 2, 5 and its own; one python3 process loads every result and
// compares it with the original using testdata/pystrict.py (exact types,
// NaN, -0.0, dict order, identity structure). The other direction: values Go
// builds itself, encoded at every protocol, must load in python3 as the
// value an expression gives.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// interopProtocols are the protocols every golden case is re-encoded at, in
// addition to its own.
var interopProtocols = []int{0, 2, 5}

// pyCheck is one comparison for testdata/pystrict.py.
type pyCheck struct {
	ID       string `json:"id"`
	Got      string `json:"got"`                 // the pickle Go wrote
	WantFile string `json:"want_file,omitempty"` // a pickle CPython loads as the expected value
	WantExpr string `json:"want_expr,omitempty"` // or a Python expression
	Setup    string `json:"setup,omitempty"`     // statements run before WantExpr
	// BytesProtocol, when set, also asks for Got's bytes to equal
	// pickle.dumps(want, BytesProtocol).
	BytesProtocol *int `json:"bytes_protocol,omitempty"`
}

// pyResult is pystrict.py's answer to one check.
type pyResult struct {
	ID         string `json:"id"`
	OK         bool   `json:"ok"`
	Error      string `json:"error"`
	BytesError string `json:"bytes_error"` // with BytesProtocol: "" when identical
}

// runPyChecks writes the checks to a job file and runs one python3 process
// over all of them, returning the results by id.
func runPyChecks(t *testing.T, python, dir string, checks []pyCheck) map[string]pyResult {
	t.Helper()
	job, err := json.Marshal(checks)
	if err != nil {
		t.Fatal(err)
	}
	jobFile := filepath.Join(dir, "checks.json")
	if err := os.WriteFile(jobFile, job, 0o644); err != nil {
		t.Fatal(err)
	}
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, filepath.Join(testdata, "pystrict.py"), jobFile)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+testdata, "PYTHONHASHSEED=0", "PYTHONDONTWRITEBYTECODE=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3 pystrict.py: %v\n%s", err, firstLines(stderr.String(), 30))
	}
	results := map[string]pyResult{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r pyResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("pystrict.py output %q: %v", sc.Text(), err)
		}
		results[r.ID] = r
	}
	if len(results) != len(checks) {
		t.Fatalf("pystrict.py answered %d of %d checks", len(results), len(checks))
	}
	return results
}

// TestInteropGolden is the codec's "done" criterion: every golden case,
// decoded in Go and re-encoded at protocols 0, 2, 5 and its own, loads in
// python3 as something strictly identical to what python3 loads from the
// golden pickle itself.
func TestInteropGolden(t *testing.T) {
	python := requirePython(t)
	m := loadGolden(t)
	dir := t.TempDir()
	golden, err := filepath.Abs(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	var checks []pyCheck
	var goFailures []string
	cases := map[string]bool{}
	for _, c := range m.Cases {
		if c.Kind == "hook" {
			continue
		}
		cases[c.Name] = true
		for _, f := range c.Files {
			v, err := safeUnmarshal(readGolden(t, f.File), c.decodeOpts()...)
			if err != nil {
				goFailures = append(goFailures, fmt.Sprintf("%s: decode: %v", f.File, err))
				continue
			}
			for _, p := range interopTargets(f.Protocol) {
				id := fmt.Sprintf("%s->p%d", f.File, p)
				data, err := safeMarshal(v, p)
				if err != nil {
					goFailures = append(goFailures, fmt.Sprintf("%s: encode: %v", id, err))
					continue
				}
				got := filepath.Join(dir, strconv.Itoa(len(checks))+".pkl")
				if err := os.WriteFile(got, data, 0o644); err != nil {
					t.Fatal(err)
				}
				checks = append(checks, pyCheck{ID: id, Got: got, WantFile: filepath.Join(golden, f.File)})
			}
		}
	}
	results := map[string]pyResult{}
	if len(checks) > 0 {
		results = runPyChecks(t, python, dir, checks)
	}
	var pyFailures []string
	failedCases := map[string]bool{}
	for _, ch := range checks {
		if r := results[ch.ID]; !r.OK {
			pyFailures = append(pyFailures, ch.ID+": "+r.Error)
			failedCases[caseOf(ch.ID)] = true
		}
	}
	for _, f := range goFailures {
		failedCases[caseOf(f)] = true
	}
	attempted := len(checks) + len(goFailures)
	t.Logf("%d cases, %d re-encodings: %d strictly identical in python3, %d failed in python3, %d failed in Go; %d/%d cases fully passing",
		len(cases), attempted, len(checks)-len(pyFailures), len(pyFailures), len(goFailures),
		len(cases)-len(failedCases), len(cases))
	reportFailures(t, "Go", goFailures)
	reportFailures(t, "python3", pyFailures)
}

// interopTargets returns 0, 2, 5 and own, without repeats.
func interopTargets(own int) []int {
	ps := slices.Clone(interopProtocols)
	if !slices.Contains(ps, own) {
		ps = append(ps, own)
	}
	return ps
}

// caseOf returns the case name of a check id or failure line
// ("NAME.pP.pkl->pQ..." or "NAME.pkl...").
func caseOf(id string) string {
	name, _, _ := strings.Cut(id, ".")
	return name
}

func reportFailures(t *testing.T, where string, failures []string) {
	for i, f := range failures {
		if i == 40 {
			t.Errorf("... and %d more failures in %s", len(failures)-i, where)
			return
		}
		t.Errorf("%s: %s", where, f)
	}
}

// goBuilt is a value Go builds and the Python expression it must load as.
type goBuilt struct {
	name  string
	value func() any
	setup string
	want  string
	// bytesExempt, when set, says why Go's bytes need not equal
	// pickle.dumps(want): every other value must encode exactly as CPython
	// encodes the expression.
	bytesExempt string
}

// cpythonNaN is the NaN CPython's float('nan') and math.nan hold.
var cpythonNaN = math.Float64frombits(0x7ff8000000000000)

func goBuiltValues() []goBuilt {
	mustDict := func(kv ...any) *Dict {
		d := NewDict()
		for i := 0; i < len(kv); i += 2 {
			if err := d.Set(kv[i], kv[i+1]); err != nil {
				panic(err)
			}
		}
		return d
	}
	mustSet := func(ms ...any) *Set {
		s, err := NewSet(ms...)
		if err != nil {
			panic(err)
		}
		return s
	}
	mustFrozen := func(ms ...any) *FrozenSet {
		s, err := NewFrozenSet(ms...)
		if err != nil {
			panic(err)
		}
		return s
	}
	big2p100 := new(big.Int).Lsh(big.NewInt(1), 100)
	return []goBuilt{
		{"scalars", func() any {
			return NewList(nil, true, false, int64(0), int64(-1), int64(math.MaxInt64), int64(math.MinInt64),
				big2p100, new(big.Int).Neg(big2p100), 0.1, complex(1, -2))
		}, "", "[None, True, False, 0, -1, 2**63-1, -2**63, 2**100, -2**100, 0.1, complex(1, -2)]", ""},
		{"floats", func() any {
			return Tuple{cpythonNaN, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), 5e-324, math.MaxFloat64}
		}, "", "(math.nan, -0.0, math.inf, -math.inf, 5e-324, 1.7976931348623157e308)", ""},
		{"go_nan", func() any { return math.NaN() }, "", "math.nan",
			"Go's math.NaN() has other payload bits than CPython's float('nan')"},
		{"text", func() any {
			return Tuple{"", "a\u00e9\u20ac\U0001F600", "\xed\xa0\x80", "a\\b\nc\r\x00\x1a", strings.Repeat("x", 70000)}
		}, "", "('', 'a\\u00e9\\u20ac\\U0001F600', '\\ud800', 'a\\\\b\\nc\\r\\x00\\x1a', 'x' * 70000)", ""},
		{"bytes", func() any {
			return NewList([]byte{}, []byte("a\x00\xff"), bytes.Repeat([]byte("y"), 300), &ByteArray{Bytes: []byte("ba")}, &ByteArray{})
		}, "", "[b'', b'a\\x00\\xff', b'y' * 300, bytearray(b'ba'), bytearray()]", ""},
		{"shared_list", func() any {
			x := NewList(int64(1))
			return NewList(x, x, Tuple{x})
		}, "x = [1]", "[x, x, (x,)]", ""},
		{"self_list", func() any {
			l := NewList()
			l.Append(l)
			return l
		}, "l = []\nl.append(l)", "l", ""},
		{"self_dict", func() any {
			d := NewDict()
			if err := d.Set("me", d); err != nil {
				panic(err)
			}
			return d
		}, "d = {}\nd['me'] = d", "d", ""},
		{"recursive_tuple", func() any {
			l := NewList()
			t := Tuple{l}
			l.Append(t)
			return t
		}, "l = []\nt = (l,)\nl.append(t)", "t", ""},
		{"recursive_tuple_long", func() any {
			l := NewList()
			t := Tuple{l, int64(1), int64(2), int64(3)}
			l.Append(t)
			return NewList(t, l)
		}, "l = []\nt = (l, 1, 2, 3)\nl.append(t)", "[t, l]", ""},
		{"mixed_keys", func() any {
			return mustDict(int64(1), "a", "k", []byte("b"), Tuple{int64(1), "x"}, nil,
				2.5, true, float64(1), "b", nil, int64(0), mustFrozen(int64(3)), Tuple{})
		}, "", "{1: 'b', 'k': b'b', (1, 'x'): None, 2.5: True, None: 0, frozenset({3}): ()}", ""},
		{"sets", func() any {
			return NewList(mustSet(int64(1), int64(2), int64(3)), mustSet(), mustFrozen(Tuple{int64(1)}, "s"), mustFrozen())
		}, "", "[{1, 2, 3}, set(), frozenset({(1,), 's'}), frozenset()]",
			"CPython orders the frozenset's members by their hashes, which depend on the hash seed"},
		{"batches", func() any {
			l := NewList()
			d := NewDict()
			s := mustSet()
			for i := range 2001 {
				l.Append(int64(i))
				if err := d.Set(strconv.Itoa(i), int64(i)); err != nil {
					panic(err)
				}
				if err := s.Add(int64(i)); err != nil {
					panic(err)
				}
			}
			return Tuple{l, d, s}
		}, "", "(list(range(2001)), {str(i): i for i in range(2001)}, set(range(2001)))", ""},
		{"deep", func() any {
			var v any = NewList()
			for range 600 {
				v = NewList(v)
			}
			return v
		}, "v = []\nfor _ in range(600): v = [v]", "v", ""},
		{"global", func() any {
			return Tuple{Global{Module: "builtins", Name: "list"}, Global{Module: "collections", Name: "OrderedDict"}}
		}, "import collections", "(list, collections.OrderedDict)", ""},
	}
}

// TestInteropGoBuilt encodes values Go builds itself at every protocol and
// checks that python3 loads each as the value of a Python expression.
func TestInteropGoBuilt(t *testing.T) {
	python := requirePython(t)
	dir := t.TempDir()
	var checks []pyCheck
	var goFailures []string
	for _, b := range goBuiltValues() {
		for p := 0; p <= HighestProtocol; p++ {
			id := fmt.Sprintf("%s/p%d", b.name, p)
			v := func() (v any) {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("%s: building the value panicked: %v", id, r)
					}
				}()
				return b.value()
			}()
			data, err := safeMarshal(v, p)
			if err != nil {
				goFailures = append(goFailures, fmt.Sprintf("%s: encode: %v", id, err))
				continue
			}
			got := filepath.Join(dir, strconv.Itoa(len(checks))+".pkl")
			if err := os.WriteFile(got, data, 0o644); err != nil {
				t.Fatal(err)
			}
			check := pyCheck{ID: id, Got: got, WantExpr: b.want, Setup: b.setup}
			if b.bytesExempt == "" {
				check.BytesProtocol = &p
			}
			checks = append(checks, check)
		}
	}
	results := map[string]pyResult{}
	if len(checks) > 0 {
		results = runPyChecks(t, python, dir, checks)
	}
	var pyFailures, byteFailures []string
	compared := 0
	for _, ch := range checks {
		r := results[ch.ID]
		if !r.OK {
			pyFailures = append(pyFailures, ch.ID+": "+r.Error)
		}
		if ch.BytesProtocol != nil {
			compared++
			if r.BytesError != "" {
				byteFailures = append(byteFailures, ch.ID+": "+r.BytesError)
			}
		}
	}
	t.Logf("%d Go-built pickles: %d strictly identical in python3, %d failed in python3, %d failed in Go; "+
		"%d/%d byte-identical to pickle.dumps of the expected value",
		len(checks)+len(goFailures), len(checks)-len(pyFailures), len(pyFailures), len(goFailures),
		compared-len(byteFailures), compared)
	reportFailures(t, "Go", goFailures)
	reportFailures(t, "python3", pyFailures)
	reportFailures(t, "bytes", byteFailures)
}

// TestInteropComparer checks the Python side of these tests: pystrict.py's
// own pairs with known answers (it must find differences of type, sign of
// zero, dict order, sharing and cycles), and that python3 loads the pickles
// of each golden case at all its protocols into strictly identical values,
// which TestInteropGolden relies on.
func TestInteropComparer(t *testing.T) {
	python := requirePython(t)
	out, err := exec.Command(python, "testdata/pystrict.py", "--selftest").CombinedOutput()
	if err != nil {
		t.Fatalf("pystrict.py --selftest: %v\n%s", err, out)
	}
	t.Log(strings.TrimSpace(string(out)))

	m := loadGolden(t)
	golden, err := filepath.Abs(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	var checks []pyCheck
	for _, c := range m.Cases {
		for _, f := range c.Files[1:] {
			checks = append(checks, pyCheck{ID: f.File, Got: filepath.Join(golden, f.File),
				WantFile: filepath.Join(golden, c.Files[0].File)})
		}
	}
	results := runPyChecks(t, python, t.TempDir(), checks)
	for _, ch := range checks {
		if r := results[ch.ID]; !r.OK {
			t.Errorf("%s: python3 loads it differently from %s: %s", ch.ID, filepath.Base(ch.WantFile), r.Error)
		}
	}
	t.Logf("%d golden pickles load in python3 strictly identical to their case's first protocol", len(checks))
}
