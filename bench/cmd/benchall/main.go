// Command benchall runs the go-pickle benchmarks against every peer and
// prints the tables of docs/performance.md.
//
// Run it from the bench directory:
//
//	cd bench && go run ./cmd/benchall
//
// For each workload it first checks that Go and Python generated the same
// data (Go decodes CPython's protocol-4 pickle into its typed value and
// compares; CPython loads our protocol-4 pickle and compares), then checks
// every encoder's output and every decoder's result against the data, and
// only then times them. The timing runs in rounds: in each round every case
// (our library, each Go peer, CPython through cpython_bench.py) is measured
// once, in forward order on odd rounds and reverse order on even ones, so
// that drift of the machine hits all sides alike. The table gives the
// median over the rounds.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-pickle/pickle"
	"github.com/go-pickle/pickle/bench"
	"github.com/go-pickle/pickle/bench/workload"
)

func main() {
	testing.Init()
	names := flag.String("w", strings.Join(workload.Names(), ","), "workloads to run, comma-separated")
	rounds := flag.Int("rounds", 3, "measurement rounds (the table shows the median)")
	benchtime := flag.Duration("benchtime", 300*time.Millisecond, "target time of one measurement")
	ops := flag.String("ops", "encode,decode", "operations to measure: encode, decode or both")
	python := flag.String("python", "python3", "the python3 to run cpython_bench.py with")
	script := flag.String("script", "cpython_bench.py", "path of cpython_bench.py")
	flag.Parse()
	if err := flag.Set("test.benchtime", benchtime.String()); err != nil {
		fail(err)
	}
	r := &runner{rounds: *rounds, benchtime: *benchtime, ops: strings.Split(*ops, ",")}
	if err := r.run(strings.Split(*names, ","), *python, *script); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchall:", err)
	os.Exit(1)
}

// runner holds the settings and the results.
type runner struct {
	rounds    int
	benchtime time.Duration
	ops       []string
	py        *pyServer
	dir       string
	summary   []summaryRow
}

// result is one measurement of one case.
type result struct {
	ns     float64 // per op
	allocs int64   // per op (Go only)
	bytes  int64   // allocated per op (Go only)
}

func (r *runner) run(names []string, python, script string) error {
	for _, n := range names {
		if workload.ByName(n) == nil && n != "" {
			return fmt.Errorf("unknown workload %q", n)
		}
	}
	dir, err := os.MkdirTemp("", "benchall")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	r.dir = dir
	py, err := startPython(python, script)
	if err != nil {
		return err
	}
	defer py.close()
	r.py = py
	if err := r.printMachine(python, script); err != nil {
		return err
	}
	for _, n := range names {
		if err := r.runWorkload(n); err != nil {
			return err
		}
	}
	r.printSummary()
	fmt.Printf("\nload average at the end: %s\n", loadAverage())
	return nil
}

// runWorkload checks, measures and prints one workload.
func (r *runner) runWorkload(name string) error {
	progress("%s: generating and checking", name)
	w := workload.ByName(name)
	py4, err := r.pythonPickle(name)
	if err != nil {
		return err
	}
	if slices.Contains(r.ops, "encode") {
		if err := r.pythonCheck(w); err != nil {
			return err
		}
	}
	cases, err := bench.Cases(w, py4, r.ops...)
	if err != nil {
		return err
	}
	results := make(map[string][]result)
	for round := 0; round < r.rounds; round++ {
		order := slices.Clone(cases)
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, c := range order {
			progress("%s: round %d/%d: %s", name, round+1, r.rounds, c.Name())
			res, err := r.measure(c)
			if err != nil {
				return fmt.Errorf("%s: %s: %v", name, c.Name(), err)
			}
			results[c.Name()] = append(results[c.Name()], res)
		}
	}
	if _, err := r.py.call("drop " + name); err != nil {
		return err
	}
	r.printWorkload(w, cases, results)
	return nil
}

// pythonPickle has CPython write its protocol-4 pickle of the workload.
func (r *runner) pythonPickle(name string) ([]byte, error) {
	path := filepath.Join(r.dir, name+".py4.pickle")
	if _, err := r.py.call("write " + name + " " + path); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// pythonCheck has CPython load our protocol-4 pickle of the workload and
// compare it with its own data. (Go's side of the cross-check, decoding
// CPython's pickle into the typed value, is a check of bench.Cases.)
func (r *runner) pythonCheck(w *workload.Workload) error {
	out, err := pickle.Marshal(w.Value, pickle.Protocol(4))
	if err != nil {
		return fmt.Errorf("%s: our encoder: %v (use -ops decode to measure decoding alone)", w.Name, err)
	}
	path := filepath.Join(r.dir, w.Name+".go4.pickle")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return err
	}
	reply, err := r.py.call("check " + w.Name + " " + path)
	if err != nil {
		return err
	}
	if ok, _ := reply["ok"].(bool); !ok {
		return fmt.Errorf("%s: CPython loads our pickle as something other than its data", w.Name)
	}
	return nil
}

// measure runs one case once.
func (r *runner) measure(c *bench.Case) (result, error) {
	if c.Bench == nil {
		reply, err := r.py.call(fmt.Sprintf("%s %g", c.PyCommand, r.benchtime.Seconds()))
		if err != nil {
			return result{}, err
		}
		ns, _ := reply["ns"].(float64)
		size, _ := reply["bytes"].(float64)
		c.Bytes = int64(size)
		return result{ns: ns, allocs: -1, bytes: -1}, nil
	}
	res := testing.Benchmark(c.Bench)
	if res.N == 0 {
		return result{}, fmt.Errorf("the benchmark failed")
	}
	return result{
		ns:     float64(res.T.Nanoseconds()) / float64(res.N),
		allocs: res.AllocsPerOp(),
		bytes:  res.AllocedBytesPerOp(),
	}, nil
}

// median returns the median time of rs (the mean of the middle two for an
// even count) and the spread: half the range, relative to the median.
func median(rs []result) (ns, spread float64) {
	ts := make([]float64, len(rs))
	for i, r := range rs {
		ts[i] = r.ns
	}
	sort.Float64s(ts)
	m := ts[len(ts)/2]
	if len(ts)%2 == 0 {
		m = (ts[len(ts)/2-1] + ts[len(ts)/2]) / 2
	}
	return m, (ts[len(ts)-1] - ts[0]) / 2 / m
}

// summaryRow holds the ratios of one workload for the summary table.
type summaryRow struct {
	workload string
	times    map[string]float64 // case name -> median ns/op
	refs     map[string]string  // case name -> the name of our case it is compared with
}

// printWorkload prints the table of one workload.
func (r *runner) printWorkload(w *workload.Workload, cases []*bench.Case, results map[string][]result) {
	fmt.Printf("\n### %s: %s\n\n", w.Name, w.Desc)
	fmt.Println("| operation | time/op | ± | MB/s | allocs/op | B/op | bytes | peer/ours |")
	fmt.Println("|---|--:|--:|--:|--:|--:|--:|--:|")
	row := summaryRow{workload: w.Name, times: map[string]float64{}, refs: map[string]string{}}
	for _, c := range cases {
		rs := results[c.Name()]
		ns, spread := median(rs)
		last := rs[len(rs)-1]
		mbs := float64(c.Bytes) / ns * 1e3
		ratio := "—"
		row.times[c.Name()] = ns
		if c.Side != bench.Ours {
			row.refs[c.Name()] = c.Ref()
			if ref, ok := results[c.Ref()]; ok {
				refNS, _ := median(ref)
				ratio = fmt.Sprintf("%.2f", ns/refNS)
			}
		}
		allocs, bytes := "—", "—"
		if last.allocs >= 0 {
			allocs, bytes = fmt.Sprint(last.allocs), fmt.Sprint(last.bytes)
		}
		name := c.Name()
		if c.Side == bench.Ours {
			name = "**" + name + "**"
		}
		fmt.Printf("| %s | %s | %.0f%% | %.1f | %s | %s | %d | %s |\n",
			name, formatNS(ns), spread*100, mbs, allocs, bytes, c.Bytes, ratio)
	}
	r.summary = append(r.summary, row)
}

// summaryColumns are the cases of the summary table, each compared with
// our case ref, or with the one its own table row compares it with.
var summaryColumns = []struct{ title, name, ref string }{
	{"og-rek dec", "decode og-rek any", ""},
	{"gopickle dec", "decode gopickle any", ""},
	{"CPython loads (vs any)", "decode cpython", ""},
	{"CPython loads (vs typed)", "decode cpython", "decode " + bench.Ours + " typed"},
	{"json dec typed", "decode encoding/json typed", ""},
	{"msgpack dec typed", "decode msgpack typed", ""},
	{"cbor dec typed", "decode cbor typed", ""},
	{"og-rek enc p4", "encode og-rek p4", ""},
	{"CPython dumps p4", "encode cpython p4", ""},
	{"json enc", "encode encoding/json", ""},
	{"msgpack enc", "encode msgpack", ""},
	{"cbor enc", "encode cbor", ""},
	{"copy (enc)", "encode " + bench.Copy, ""},
	{"copy (dec)", "decode " + bench.Copy + " typed", ""},
}

// printSummary prints the peer/ours ratios of every workload.
func (r *runner) printSummary() {
	fmt.Printf("\n### Summary: peer time / our time (above 1: we are faster)\n\n|   |")
	for _, col := range summaryColumns {
		fmt.Printf(" %s |", col.title)
	}
	fmt.Printf("\n|---|%s\n", strings.Repeat("--:|", len(summaryColumns)))
	for _, row := range r.summary {
		fmt.Printf("| %s |", row.workload)
		for _, col := range summaryColumns {
			ref := col.ref
			if ref == "" {
				ref = row.refs[col.name]
			}
			peer, ok1 := row.times[col.name]
			ours, ok2 := row.times[ref]
			if ok1 && ok2 {
				fmt.Printf(" %.2f |", peer/ours)
			} else {
				fmt.Printf(" — |")
			}
		}
		fmt.Println()
	}
}

// formatNS prints a duration per op with three significant digits.
func formatNS(ns float64) string {
	switch {
	case ns < 1e3:
		return fmt.Sprintf("%.3g ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.3g µs", ns/1e3)
	case ns < 1e9:
		return fmt.Sprintf("%.3g ms", ns/1e6)
	}
	return fmt.Sprintf("%.3g s", ns/1e9)
}

// printMachine prints what the numbers were measured on.
func (r *runner) printMachine(python, script string) error {
	out, err := exec.Command(python, script, "version").Output()
	if err != nil {
		return fmt.Errorf("%s %s version: %v", python, script, err)
	}
	fmt.Println("### Machine")
	fmt.Println()
	fmt.Printf("- CPU: %s, %d logical CPUs (GOMAXPROCS %d)\n", cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0))
	fmt.Printf("- Go: %s %s/%s; Python: %s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, strings.TrimSpace(string(out)))
	fmt.Printf("- date: %s\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Printf("- settings: %d rounds of %s per measurement; load average at the start: %s\n",
		r.rounds, r.benchtime, loadAverage())
	return nil
}

// cpuModel returns the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// loadAverage returns the first three fields of /proc/loadavg.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

// pyServer is a running `cpython_bench.py serve`.
type pyServer struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startPython(python, script string) (*pyServer, error) {
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("%v (run from the bench directory, or pass -script)", err)
	}
	cmd := exec.Command(python, script, "serve")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %v", python, err)
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	return &pyServer{cmd: cmd, in: in, out: sc}, nil
}

// call sends one command and returns its reply.
func (p *pyServer) call(command string) (map[string]any, error) {
	if _, err := fmt.Fprintln(p.in, command); err != nil {
		return nil, fmt.Errorf("cpython_bench.py: %v", err)
	}
	if !p.out.Scan() {
		return nil, fmt.Errorf("cpython_bench.py stopped answering (%q)", command)
	}
	var reply map[string]any
	if err := json.Unmarshal(p.out.Bytes(), &reply); err != nil {
		return nil, fmt.Errorf("cpython_bench.py: %v", err)
	}
	if e, ok := reply["error"]; ok {
		return nil, fmt.Errorf("cpython_bench.py %q: %v", command, e)
	}
	return reply, nil
}

func (p *pyServer) close() {
	fmt.Fprintln(p.in, "quit")
	p.in.Close()
	p.cmd.Wait()
}
