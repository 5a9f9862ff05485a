//go:build unix

package stream

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-pickle/pickle"
)

// The kill test re-runs this test binary as a writer child (selected by
// the environment variable below), kills it with SIGKILL at a random
// moment and checks the log it leaves behind.
const killChildEnv = "STREAM_KILL_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(killChildEnv); spec != "" {
		os.Exit(killChild(spec))
	}
	os.Exit(m.Run())
}

// killChild appends records (round, seq, padding) to a log until it is
// killed, printing "ack SEQ OFFSET" after each Append returns. spec is
// "PATH ROUND CHUNK SYNC". Writing each record in CHUNK-byte pieces makes
// the kill likely to land inside a record.
func killChild(spec string) int {
	f := strings.Fields(spec)
	round, _ := strconv.Atoi(f[1])
	chunk, _ := strconv.Atoi(f[2])
	opts := []Option{optionFunc(func(c *config) error { c.writeChunk = chunk; return nil })}
	if f[3] == "close" {
		opts = append(opts, SyncOnClose())
	}
	l, err := Open(f[0], opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	out := os.Stdout // unbuffered: each line is one write
	fmt.Fprintln(out, "ready")
	for seq := 0; seq < 1_000_000; seq++ {
		off, err := l.Append(killRecord(round, seq))
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 2
		}
		fmt.Fprintf(out, "ack %d %d\n", seq, off)
	}
	return 0
}

func killRecord(round, seq int) pickle.Tuple {
	return pickle.Tuple{int64(round), int64(seq), strings.Repeat("p", seq%97)}
}

// TestKillWriter kills a writer child at random moments, round after round
// on the same file. After each kill: every acknowledged record is in the
// log at the offset Append returned, nothing corrupt is read, a torn tail
// (if any) is reported as such and Repair removes it, and the next round
// appends after it.
func TestKillWriter(t *testing.T) {
	const rounds = 12
	path := filepath.Join(t.TempDir(), "killed.pickle")
	var want []pickle.Tuple // every record the file must hold, in order
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	kills, torn, acked := 0, 0, 0
	for round := range rounds {
		chunk := 1 + rng.IntN(16)
		sync := []string{"every", "close"}[round%2]
		acks, killed := runAndKill(t, path, round, chunk, sync, time.Duration(2+rng.IntN(25))*time.Millisecond)
		if killed {
			kills++
		}
		acked += len(acks)

		got, offsets, damage := readKilledLog(t, path)
		if len(got) < len(want)+len(acks) {
			t.Fatalf("round %d: %d records, want at least %d (%d before, %d acknowledged)", round, len(got), len(want)+len(acks), len(want), len(acks))
		}
		for i, rec := range got {
			var exp pickle.Tuple
			if i < len(want) {
				exp = want[i]
			} else {
				exp = killRecord(round, i-len(want))
			}
			if !pickle.Equal(rec, exp) {
				t.Fatalf("round %d: record %d = %v, want %v", round, i, rec, exp)
			}
		}
		for _, a := range acks {
			if offsets[len(want)+a.seq] != a.off {
				t.Fatalf("round %d: record %d is at %d, Append said %d", round, a.seq, offsets[len(want)+a.seq], a.off)
			}
		}
		want = got
		if damage != nil {
			var te *TornError
			if !errors.As(damage, &te) {
				t.Fatalf("round %d: damage %v is not a torn tail", round, damage)
			}
			torn++
			removed, err := Repair(path)
			if err != nil || removed == nil || removed.Offset != te.Offset {
				t.Fatalf("round %d: Repair = %v, %v", round, removed, err)
			}
		}
	}
	if kills == 0 {
		t.Fatal("no child was killed while writing")
	}
	t.Logf("%d rounds, %d kills, %d acknowledged records (all found), %d records in the log, %d torn tails repaired", rounds, kills, acked, len(want), torn)
}

type ack struct {
	seq int
	off int64
}

// runAndKill starts a writer child, kills it after delay (counted from its
// "ready" line) and returns the records it acknowledged.
func runAndKill(t *testing.T, path string, round, chunk int, sync string, delay time.Duration) (acks []ack, killed bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d %d %s", killChildEnv, path, round, chunk, sync))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewReader(stdout)
	if line, err := lines.ReadString('\n'); line != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child did not start: %q %v %s", line, err, stderr.String())
	}
	timer := time.AfterFunc(delay, func() { cmd.Process.Signal(syscall.SIGKILL) })
	defer timer.Stop()
	for {
		line, err := lines.ReadString('\n')
		if err != nil {
			break // EOF; a line cut by the kill is not an acknowledgement
		}
		var a ack
		if _, err := fmt.Sscanf(line, "ack %d %d\n", &a.seq, &a.off); err != nil {
			t.Fatalf("child wrote %q", line)
		}
		acks = append(acks, a)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return acks, true
		}
	}
	if err != nil {
		t.Fatalf("child: %v: %s", err, stderr.String())
	}
	return acks, false
}

// readKilledLog reads every complete record of the log as a tuple, with
// offsets, and the damage after them.
func readKilledLog(t *testing.T, path string) (recs []pickle.Tuple, offsets []int64, damage error) {
	t.Helper()
	l, err := Open(path, ReadOnly())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer l.Close()
	for rec, err := range l.Records() {
		if err != nil {
			return recs, offsets, err
		}
		var v pickle.Tuple
		if err := rec.Decode(&v); err != nil {
			t.Fatalf("record at %d: %v", rec.Offset, err)
		}
		recs = append(recs, v)
		offsets = append(offsets, rec.Offset)
	}
	if l.Len() != len(recs) {
		t.Fatalf("Len = %d, Records gave %d", l.Len(), len(recs))
	}
	return recs, offsets, nil
}
