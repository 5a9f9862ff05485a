package pickle

// The hostile-input harness: every case of a corpus manifest (see
// testdata/hostile/gen_hostile.py) is decoded in a child process, a re-exec
// of this test binary, under a wall-clock timeout and a memory ceiling. The
// parent checks that the child did not crash, hang or grow, and that each
// outcome is the one the manifest allows, with a well-formed error.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/iotest"
	"time"
)

// Bounds for a child process.
const (
	hostileSoloTimeout  = 10 * time.Second
	hostileBatchTimeout = 60 * time.Second
	hostileMaxRSS       = 512 << 20 // bytes
	hostileGoMemLimit   = 256 << 20 // debug.SetMemoryLimit in the child
	hostileAddrLimit    = 4 << 30   // RLIMIT_AS in the child, so a runaway cannot take the machine
	hostileBatchSize    = 40        // whole cases per child process (truncation prefixes: one case per child)
	hostileEnvJobs      = "PICKLE_HOSTILE_JOBS"
	hostileEnvManifest  = "PICKLE_HOSTILE_MANIFEST"
	hostileResultPrefix = "HOSTILE-RESULT "
	hostileMaxErrLen    = 1000
	// hostileSlowDecode is the budget of one decode of one input: the
	// biggest case is 2 MiB, and every bounded case takes milliseconds.
	hostileSlowDecode = 3 * time.Second
)

// hostileManifest is a corpus manifest as the generators write it.
type hostileManifest struct {
	Generator string        `json:"generator"`
	Cases     []hostileCase `json:"cases"`
}

// hostileCase is one input and what decoding it must give.
type hostileCase struct {
	ID       string              `json:"id"`
	Category string              `json:"category"`
	What     string              `json:"what"`
	File     string              `json:"file"`
	Expect   []string            `json:"expect"`
	Typed    map[string][]string `json:"typed"`
	Keep     []string            `json:"keep"`
	Stream   []string            `json:"stream"`
	Opts     map[string]any      `json:"opts"`
	Truncate []int               `json:"truncate"`
	Solo     bool                `json:"solo"`
	CPython  string              `json:"cpython"`
	Size     int                 `json:"size"`
}

// hostileJob names the inputs one child decodes: a case, and either the
// whole file (Prefixes nil) or the listed prefixes of it.
type hostileJob struct {
	ID       string `json:"id"`
	Prefixes []int  `json:"p,omitempty"`
}

// hostileResult is what a child reports for one input and one target.
type hostileResult struct {
	ID     string   `json:"id"`
	Prefix int      `json:"prefix"` // -1: the whole file
	Target string   `json:"target"`
	Tags   []string `json:"tags"`   // outcome classes, see classifyDecodeErr
	Msg    string   `json:"msg"`    // the error message, or the panic
	Form   []string `json:"form"`   // problems with the error's form
	Millis int64    `json:"millis"` // time the decode took
}

// The typed targets every input is also decoded into.
type (
	hostileStruct struct {
		A int
		B []string
	}
	hostileNest    []hostileNest
	hostileNestMap map[string]hostileNestMap
)

// hostileTargets lists the decodes of one input, in order.
var hostileTargets = []string{"any", "struct", "map", "nest", "nestmap", "keep", "stream"}

func loadHostileManifest(t testing.TB, path string) (hostileManifest, map[string]*hostileCase) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading manifest: %v (run python3 testdata/hostile/gen_hostile.py)", err)
	}
	var m hostileManifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	byID := make(map[string]*hostileCase, len(m.Cases))
	for i := range m.Cases {
		byID[m.Cases[i].ID] = &m.Cases[i]
	}
	return m, byID
}

// hostileOptions turns a manifest's opts into Options.
func hostileOptions(opts map[string]any) ([]Option, error) {
	var out []Option
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := opts[k]
		n, _ := v.(float64)
		s, _ := v.(string)
		switch k {
		case "MaxDepth":
			out = append(out, MaxDepth(int(n)))
		case "MaxStringLen":
			out = append(out, MaxStringLen(int64(n)))
		case "MaxContainerLen":
			out = append(out, MaxContainerLen(int64(n)))
		case "MaxIntDigits":
			out = append(out, MaxIntDigits(int(n)))
		case "MaxMemo":
			out = append(out, MaxMemo(int64(n)))
		case "MaxWork":
			out = append(out, MaxWork(int64(n)))
		case "Encoding":
			out = append(out, Encoding(s))
		case "FixImports":
			b, _ := v.(bool)
			out = append(out, FixImports(b))
		default:
			return nil, fmt.Errorf("unknown option %q in manifest", k)
		}
	}
	return out, nil
}

// TestHostileCorpus decodes every case of testdata/hostile/manifest.json in
// isolated child processes.
func TestHostileCorpus(t *testing.T) {
	if raceEnabled {
		t.Skip("over 17 minutes under the race detector, past go test's default timeout; it runs without -race")
	}
	runHostileCorpus(t, filepath.Join("testdata", "hostile", "manifest.json"))
}

// runHostileCorpus is the parent (or, in a child, the worker) for one manifest.
func runHostileCorpus(t *testing.T, manifestPath string) {
	if jobs := os.Getenv(hostileEnvJobs); jobs != "" {
		if os.Getenv(hostileEnvManifest) == manifestPath {
			hostileChild(t, manifestPath, jobs)
		}
		return
	}
	m, byID := loadHostileManifest(t, manifestPath)
	batches := hostileBatches(m)
	var (
		mu       sync.Mutex
		results  []hostileResult
		failures []string
	)
	run := func(batch []hostileJob) {
		res, fails := runHostileBatch(t, manifestPath, byID, batch)
		mu.Lock()
		results = append(results, res...)
		failures = append(failures, fails...)
		mu.Unlock()
	}
	workers := min(runtime.NumCPU(), 2)
	work := make(chan []hostileJob)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				run(b)
			}
		}()
	}
	start := time.Now()
	for _, b := range batches {
		work <- b
	}
	close(work)
	wg.Wait()
	sort.Strings(failures)
	for _, f := range failures {
		t.Error(f)
	}
	checkHostileResults(t, byID, results)
	t.Logf("%s: %d cases, %d decodes in %d child batches, %v", manifestPath, len(m.Cases), len(results),
		len(batches), time.Since(start).Round(time.Millisecond))
}

// hostileBatches groups the work: bombs alone, the prefixes of one valid
// pickle together, other cases hostileBatchSize at a time.
func hostileBatches(m hostileManifest) [][]hostileJob {
	var out [][]hostileJob
	var cur []hostileJob
	for _, c := range m.Cases {
		switch {
		case c.Solo:
			out = append(out, []hostileJob{{ID: c.ID}})
		default:
			cur = append(cur, hostileJob{ID: c.ID})
			if len(cur) == hostileBatchSize {
				out = append(out, cur)
				cur = nil
			}
		}
		if len(c.Truncate) > 0 {
			out = append(out, []hostileJob{{ID: c.ID, Prefixes: thinPrefixes(c.Truncate)}})
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	// Big batches first, so that the slowest work overlaps.
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// thinPrefixes keeps every truncation prefix, or with -short the first 64
// and every 8th after them.
func thinPrefixes(ps []int) []int {
	if !testing.Short() || len(ps) <= 64 {
		return ps
	}
	out := slices.Clip(ps[:64])
	for i := 64; i < len(ps); i += 8 {
		out = append(out, ps[i])
	}
	return out
}

// jobInputs counts the inputs of a batch.
func jobInputs(batch []hostileJob) int {
	n := 0
	for _, j := range batch {
		if j.Prefixes == nil {
			n++
		} else {
			n += len(j.Prefixes)
		}
	}
	return n
}

// runHostileBatch runs one child; when it fails as a whole and holds more
// than one input, every input is run again alone so that the failure is
// pinned to its case.
func runHostileBatch(t *testing.T, manifestPath string, byID map[string]*hostileCase, batch []hostileJob) ([]hostileResult, []string) {
	n := jobInputs(batch)
	timeout := hostileBatchTimeout
	if n == 1 {
		timeout = hostileSoloTimeout
	}
	start := time.Now()
	res, failure := runHostileChild(manifestPath, batch, timeout)
	if d := time.Since(start); d > 3*time.Second {
		t.Logf("slow child: %d inputs from %s took %v", n, batch[0].ID, d.Round(time.Millisecond))
	}
	if failure == "" {
		if missing := missingHostileResults(batch, res); len(missing) > 0 {
			failure = "child ended without results for " + strings.Join(missing, ", ")
		}
	}
	if failure == "" {
		return res, nil
	}
	if n == 1 {
		j := batch[0]
		prefix := -1
		if j.Prefixes != nil {
			prefix = j.Prefixes[0]
		}
		return nil, []string{hostileReproducer(byID[j.ID], prefix, failure)}
	}
	var all []hostileResult
	var fails []string
	for _, j := range batch {
		if j.Prefixes == nil {
			r, f := runHostileBatch(t, manifestPath, byID, []hostileJob{j})
			all, fails = append(all, r...), append(fails, f...)
			continue
		}
		for _, p := range j.Prefixes {
			r, f := runHostileBatch(t, manifestPath, byID, []hostileJob{{ID: j.ID, Prefixes: []int{p}}})
			all, fails = append(all, r...), append(fails, f...)
		}
	}
	return all, fails
}

// runHostileChild re-executes the test binary on a batch and parses its
// results. failure says what went wrong with the process itself.
func runHostileChild(manifestPath string, batch []hostileJob, timeout time.Duration) ([]hostileResult, string) {
	spec, err := json.Marshal(batch)
	if err != nil {
		return nil, err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^(TestHostileCorpus|TestCPythonBadInputs)$", "-test.count=1")
	cmd.Env = append(os.Environ(), hostileEnvJobs+"="+string(spec), hostileEnvManifest+"="+manifestPath, "GOTRACEBACK=single")
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	runErr := cmd.Run()
	elapsed := time.Since(start)
	var rss int64
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = ru.Maxrss * 1024 // Linux reports KiB
		}
	}
	var results []hostileResult
	for line := range strings.SplitSeq(stdout.String(), "\n") {
		rest, ok := strings.CutPrefix(line, hostileResultPrefix)
		if !ok {
			continue
		}
		var r hostileResult
		if err := json.Unmarshal([]byte(rest), &r); err != nil {
			return nil, "unparsable child output: " + err.Error()
		}
		results = append(results, r)
	}
	switch {
	case ctx.Err() != nil:
		return results, fmt.Sprintf("timeout: still running after %v", timeout)
	case runErr != nil:
		return results, fmt.Sprintf("child crashed (%v) after %v: %s", runErr, elapsed.Round(time.Millisecond),
			tailLines(stderr.String()+stdout.String(), 12))
	case rss > hostileMaxRSS:
		return results, fmt.Sprintf("memory: child max RSS %d MiB exceeds %d MiB", rss>>20, hostileMaxRSS>>20)
	}
	return results, ""
}

// missingHostileResults lists the inputs of a batch that have no result for
// every target.
func missingHostileResults(batch []hostileJob, res []hostileResult) []string {
	got := map[string]int{}
	for _, r := range res {
		got[fmt.Sprintf("%s@%d", r.ID, r.Prefix)]++
	}
	var missing []string
	for _, j := range batch {
		ps := j.Prefixes
		if ps == nil {
			ps = []int{-1}
		}
		for _, p := range ps {
			k := fmt.Sprintf("%s@%d", j.ID, p)
			if got[k] != len(hostileTargets) {
				missing = append(missing, k)
			}
		}
	}
	return missing
}

// hostileReproducer describes a failing input so that it can be replayed.
func hostileReproducer(c *hostileCase, prefix int, failure string) string {
	if c == nil {
		return failure
	}
	data, _ := os.ReadFile(hostileCaseFile(c))
	input := c.File
	if prefix >= 0 && prefix <= len(data) {
		data = data[:prefix]
		input = fmt.Sprintf("%s[:%d]", c.File, prefix)
	}
	head := data
	if len(head) > 64 {
		head = head[:64]
	}
	return fmt.Sprintf("case %s (%s; %s), input %s (%d bytes, starts %q): %s",
		c.ID, c.Category, c.What, input, len(data), head, failure)
}

func hostileCaseFile(c *hostileCase) string {
	return filepath.Join("testdata", "hostile", filepath.FromSlash(c.File))
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[:n] // the head of a Go crash names the cause and the top frames
	}
	return strings.Join(lines, " | ")
}

// hostileChild decodes the inputs named in jobs and prints one result line
// per input and target.
func hostileChild(t *testing.T, manifestPath, jobs string) {
	debug.SetMemoryLimit(hostileGoMemLimit)
	lim := syscall.Rlimit{Cur: hostileAddrLimit, Max: hostileAddrLimit}
	_ = syscall.Setrlimit(syscall.RLIMIT_AS, &lim)
	var batch []hostileJob
	if err := json.Unmarshal([]byte(jobs), &batch); err != nil {
		t.Fatal(err)
	}
	_, byID := loadHostileManifest(t, manifestPath)
	out := json.NewEncoder(os.Stdout)
	for _, j := range batch {
		c := byID[j.ID]
		if c == nil {
			t.Fatalf("no case %q", j.ID)
		}
		data, err := os.ReadFile(hostileCaseFile(c))
		if err != nil {
			t.Fatal(err)
		}
		opts, err := hostileOptions(c.Opts)
		if err != nil {
			t.Fatal(err)
		}
		ps := j.Prefixes
		if ps == nil {
			ps = []int{-1}
		}
		for _, p := range ps {
			input := data
			if p >= 0 {
				input = data[:p]
			}
			for _, target := range hostileTargets {
				r := decodeHostile(input, target, opts)
				r.ID, r.Prefix, r.Target = c.ID, p, target
				os.Stdout.WriteString(hostileResultPrefix)
				if err := out.Encode(r); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// decodeHostile decodes data into one target, turning a panic into a result.
func decodeHostile(data []byte, target string, opts []Option) (r hostileResult) {
	start := time.Now()
	defer func() {
		r.Millis = time.Since(start).Milliseconds()
		if p := recover(); p != nil {
			r.Tags = []string{"panic"}
			r.Msg = fmt.Sprintf("panic: %v | %s", p, tailLines(string(debug.Stack()), 14))
		}
	}()
	if target == "stream" {
		return decodeHostileStream(data, opts)
	}
	var err error
	switch target {
	case "any":
		var v any
		err = Unmarshal(data, &v, opts...)
	case "keep":
		var v any
		err = Unmarshal(data, &v, append(slices.Clip(opts), KeepUnknown(true))...)
	case "struct":
		var v hostileStruct
		err = Unmarshal(data, &v, opts...)
	case "map":
		var v map[string]any
		err = Unmarshal(data, &v, opts...)
	case "nest":
		var v hostileNest
		err = Unmarshal(data, &v, opts...)
	case "nestmap":
		var v hostileNestMap
		err = Unmarshal(data, &v, opts...)
	default:
		panic("unknown target " + target)
	}
	r.Tags, r.Form = classifyDecodeErr(err, int64(len(data)))
	if err != nil {
		r.Msg = err.Error()
	}
	return r
}

// hostileReader returns a reader of data that delivers short reads: one
// byte at a time for small inputs, odd-sized chunks for big ones (one-byte
// reads of megabytes would only measure the reader).
func hostileReader(data []byte) io.Reader {
	if len(data) <= 2048 {
		return iotest.OneByteReader(bytes.NewReader(data))
	}
	return &chunkReader{data: data, chunk: 509}
}

// chunkReader returns at most chunk bytes per Read.
type chunkReader struct {
	data  []byte
	chunk int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.chunk)], r.data)
	r.data = r.data[n:]
	return n, nil
}

// decodeHostileStream reads records from a one-byte-at-a-time reader until
// an error or the end; the tags of record i are joined with "+", records
// with ",", e.g. "ok,EOF" or "SyntaxError+Truncated+error".
func decodeHostileStream(data []byte, opts []Option) hostileResult {
	dec := NewDecoder(hostileReader(data), opts...)
	var seq []string
	var form []string
	var msg string
	for i := 0; i < 4; i++ {
		var v any
		err := dec.Decode(&v)
		if err == io.EOF {
			seq = append(seq, "EOF")
			if i > 0 && dec.InputOffset() != int64(len(data)) {
				form = append(form, fmt.Sprintf("InputOffset %d at the end of a %d-byte stream", dec.InputOffset(), len(data)))
			}
			break
		}
		tags, f := classifyDecodeErr(err, int64(len(data)))
		seq = append(seq, strings.Join(tags, "+"))
		form = append(form, f...)
		if err != nil {
			msg = err.Error()
			break
		}
	}
	return hostileResult{Tags: seq, Form: form, Msg: msg}
}

// classifyDecodeErr returns the outcome classes of a decode error (nil
// gives "ok") and every problem with its form: not one of the package's
// types, not one line, no "pickle:" prefix, an offset outside the input.
func classifyDecodeErr(err error, size int64) (tags, form []string) {
	if err == nil {
		return []string{"ok"}, nil
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "pickle:") {
		form = append(form, "message does not start with \"pickle:\"")
	}
	if strings.ContainsAny(msg, "\n\r") {
		form = append(form, "message is not one line")
	}
	if len(msg) > hostileMaxErrLen {
		form = append(form, fmt.Sprintf("message is %d bytes long", len(msg)))
	}
	typed := false
	inRange := func(what string, off, lo int64) {
		if off < lo || off > size {
			form = append(form, fmt.Sprintf("%s offset %d outside [%d, %d]", what, off, lo, size))
		}
	}
	var se *SyntaxError
	if errors.As(err, &se) {
		typed = true
		tags = append(tags, "SyntaxError")
		inRange("SyntaxError", se.Offset, 0)
	}
	var ge *GlobalError
	if errors.As(err, &ge) {
		typed = true
		tags = append(tags, "GlobalError")
		inRange("GlobalError", ge.Offset, 0)
	}
	var le *LimitError
	if errors.As(err, &le) {
		typed = true
		tags = append(tags, "LimitError")
		inRange("LimitError", le.Offset, -1)
		if le.Limit == "" || le.Tried <= le.Max {
			form = append(form, fmt.Sprintf("LimitError %q tried %d, max %d", le.Limit, le.Tried, le.Max))
		}
	}
	var ue *UnmarshalTypeError
	if errors.As(err, &ue) {
		typed = true
		tags = append(tags, "UnmarshalTypeError")
		inRange("UnmarshalTypeError", ue.Offset, -1)
	}
	for _, s := range []struct {
		tag string
		err error
	}{{"Truncated", ErrTruncated}, {"Empty", ErrEmpty}, {"Trailing", ErrTrailingData}, {"Unhashable", ErrUnhashable}} {
		if errors.Is(err, s.err) {
			tags = append(tags, s.tag)
		}
	}
	if slices.Contains(tags, "Truncated") && se == nil {
		form = append(form, "truncation not reported as a *SyntaxError")
	}
	if typed {
		tags = append(tags, "error")
	} else {
		tags = append(tags, "untyped")
		form = append(form, fmt.Sprintf("error of type %T is none of the package's error types", err))
	}
	return tags, form
}

// expectedFor returns the outcomes a case allows for a target (not stream)
// and the input length (prefix >= 0 for a truncation).
func expectedFor(c *hostileCase, target string, prefix int) []string {
	if prefix >= 0 {
		base := []string{"Truncated"}
		if prefix == 0 {
			base = []string{"Empty"}
		}
		switch target {
		case "any", "keep":
			return base
		}
		return append(base, "UnmarshalTypeError")
	}
	switch target {
	case "any":
		return c.Expect
	case "keep":
		if c.Keep != nil {
			return c.Keep
		}
		return c.Expect
	}
	if e, ok := c.Typed[target]; ok {
		return e
	}
	return append(slices.Clip(c.Expect), "UnmarshalTypeError")
}

// expectedStream returns the record outcomes the stream decode must give.
// A nil result at position i means "anything clean".
func expectedStream(c *hostileCase, prefix int) [][]string {
	if prefix == 0 {
		return [][]string{{"EOF"}}
	}
	if prefix > 0 {
		return [][]string{{"Truncated"}}
	}
	if c.Stream != nil {
		out := make([][]string, len(c.Stream))
		for i, s := range c.Stream {
			out[i] = []string{s}
		}
		return out
	}
	first := make([]string, 0, len(c.Expect))
	for _, e := range c.Expect {
		switch e {
		case "Empty":
			first = append(first, "EOF")
		case "Trailing":
			first = append(first, "ok")
		default:
			first = append(first, e)
		}
	}
	if slices.Contains(c.Expect, "Trailing") || slices.Contains(c.Expect, "any") {
		return [][]string{first, nil}
	}
	return [][]string{first, {"EOF"}}
}

// outcomeMatches reports whether tags (one decode) satisfy one of want.
func outcomeMatches(tags, want []string) bool {
	if slices.Contains(tags, "panic") || slices.Contains(tags, "untyped") {
		return false
	}
	for _, w := range want {
		if w == "any" || slices.Contains(tags, w) {
			return true
		}
	}
	return false
}

// checkHostileResults compares every result with the manifest.
func checkHostileResults(t *testing.T, byID map[string]*hostileCase, results []hostileResult) {
	t.Helper()
	sort.Slice(results, func(i, j int) bool {
		a, b := results[i], results[j]
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		if a.Prefix != b.Prefix {
			return a.Prefix < b.Prefix
		}
		return a.Target < b.Target
	})
	counts := map[string]int{}
	var cpythonDiff []string
	type inputKey struct {
		id     string
		prefix int
	}
	failed := map[inputKey][]string{}
	var order []inputKey
	for _, r := range results {
		c := byID[r.ID]
		var problems []string
		if r.Target == "stream" {
			problems = checkStreamResult(c, r)
		} else {
			want := expectedFor(c, r.Target, r.Prefix)
			if !outcomeMatches(r.Tags, want) {
				problems = append(problems, fmt.Sprintf("got %v, want one of %v", r.Tags, want))
			}
			if r.Target == "any" && r.Prefix < 0 {
				counts[strings.Join(r.Tags, "+")]++
				if c.CPython != "" && (c.CPython == "ok") != slices.Contains(r.Tags, "ok") &&
					!slices.Contains(c.Expect, "Trailing") && c.CPython != "global-refused" &&
					!slices.Contains(r.Tags, "GlobalError") {
					cpythonDiff = append(cpythonDiff, fmt.Sprintf("%s: ours %v, CPython %s", r.ID, r.Tags, c.CPython))
				}
			}
		}
		if r.Millis > hostileSlowDecode.Milliseconds() {
			problems = append(problems, fmt.Sprintf("one decode took %d ms (budget %v)", r.Millis, hostileSlowDecode))
		}
		for _, f := range r.Form {
			problems = append(problems, "badly formed error: "+f)
		}
		if len(problems) == 0 {
			continue
		}
		detail := r.Target + ": " + strings.Join(problems, "; ")
		switch {
		case slices.Contains(r.Tags, "panic"):
			detail += " (" + r.Msg[:min(len(r.Msg), 700)] + ")"
		case r.Msg != "":
			detail += fmt.Sprintf(" (error %q)", clip(r.Msg))
		}
		k := inputKey{r.ID, r.Prefix}
		if failed[k] == nil {
			order = append(order, k)
		}
		failed[k] = append(failed[k], detail)
	}
	const maxReported = 200
	for i, k := range order {
		if i == maxReported {
			t.Errorf("... and %d more failing inputs", len(order)-maxReported)
			break
		}
		t.Error(hostileReproducer(byID[k.id], k.prefix, "\n\t\t"+strings.Join(failed[k], "\n\t\t")))
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("outcome into any: %-40s %d", k, counts[k])
	}
	if len(cpythonDiff) > 0 {
		t.Logf("%d cases where accepting differs from CPython (restricted C unpickler):", len(cpythonDiff))
		for _, d := range cpythonDiff {
			t.Logf("  %s", d)
		}
	}
}

// checkStreamResult compares the record outcomes of a stream decode.
func checkStreamResult(c *hostileCase, r hostileResult) []string {
	want := expectedStream(c, r.Prefix)
	var problems []string
	for i, rec := range r.Tags {
		if i >= len(want) {
			break
		}
		if want[i] == nil {
			continue
		}
		if !outcomeMatches(strings.Split(rec, "+"), want[i]) {
			problems = append(problems, fmt.Sprintf("stream record %d: got %s, want one of %v (records %v)", i, rec, want[i], r.Tags))
		}
	}
	if n := len(r.Tags); n > 0 && n < len(want) && r.Tags[n-1] == "ok" && want[n] != nil {
		problems = append(problems, fmt.Sprintf("stream ended after records %v, want %d", r.Tags, len(want)))
	}
	return problems
}
