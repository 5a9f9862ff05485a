package stream

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/go-pickle/pickle"
)

type account struct {
	Owner   string `pickle:"owner"`
	Balance int64  `pickle:"balance"`
}

func TestStoreBasics(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	mustSet(t, s, "alice", account{"alice", 10})
	mustSet(t, s, "bob", account{"bob", 20})
	mustSet(t, s, "alice", account{"alice", 15})
	if found, err := s.Delete("bob"); !found || err != nil {
		t.Fatalf("Delete(bob) = %v, %v", found, err)
	}
	if found, err := s.Delete("nobody"); found || err != nil {
		t.Fatalf("Delete(nobody) = %v, %v", found, err)
	}
	checkAccounts(t, s, map[string]int64{"alice": 15})
	if s.LogLen() != 4 {
		t.Errorf("LogLen = %d, want 4 (a missing key's delete writes nothing)", s.LogLen())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("x", 1); !errors.Is(err, ErrClosed) {
		t.Errorf("Set after Close: %v", err)
	}

	s, err = OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkAccounts(t, s, map[string]int64{"alice": 15})
	mustSet(t, s, "carol", account{"carol", 30})
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	if s.LogLen() != 0 {
		t.Errorf("LogLen after Compact = %d", s.LogLen())
	}
	mustSet(t, s, "dave", account{"dave", 40})
	s.Close()

	s, err = OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkAccounts(t, s, map[string]int64{"alice": 15, "carol": 30, "dave": 40})

	// Get returns a copy; a value that does not fit the target is an error.
	var v []int
	if found, err := s.Get("alice", &v); !found || !errors.As(err, new(*pickle.UnmarshalTypeError)) {
		t.Errorf("Get into []int: %v, %v", found, err)
	}
}

func mustSet(t *testing.T, s *Store, key string, v any) {
	t.Helper()
	if err := s.Set(key, v); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

// checkAccounts checks Len, Keys, Get and All against want.
func checkAccounts(t *testing.T, s *Store, want map[string]int64) {
	t.Helper()
	if s.Len() != len(want) {
		t.Errorf("Len = %d, want %d", s.Len(), len(want))
	}
	for k, bal := range want {
		var a account
		if found, err := s.Get(k, &a); !found || err != nil || a != (account{k, bal}) {
			t.Errorf("Get(%q) = %v, %v, %+v", k, found, err, a)
		}
	}
	n := 0
	prev := ""
	for k, v := range s.All() {
		var a account
		if err := v.Decode(&a); err != nil || a.Balance != want[k] || k <= prev {
			t.Errorf("All: %q -> %+v, %v (after %q)", k, a, err, prev)
		}
		prev = k
		n++
	}
	if n != len(want) || len(s.Keys()) != len(want) {
		t.Errorf("All gave %d keys, Keys %d, want %d", n, len(s.Keys()), len(want))
	}
}

// TestStoreCrashDuringCompaction: a crash after the new snapshot but before
// the log is emptied leaves the new snapshot with the old log, which must
// replay to the same state.
func TestStoreCrashDuringCompaction(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		mustSet(t, s, "k"+strconv.Itoa(i%7), int64(i))
		if i%5 == 4 {
			s.Delete("k" + strconv.Itoa(i%3))
		}
	}
	want := storeState(t, s)
	snap, err := s.snapshotDict()
	if err != nil {
		t.Fatal(err)
	}
	if err := Save(filepath.Join(dir, SnapshotFile), snap); err != nil { // the first half of Compact
		t.Fatal(err)
	}
	s.Close()
	s, err = OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := storeState(t, s); !pickle.Equal(got, want) {
		t.Fatalf("after a crash mid-compaction: %v, want %v", got, want)
	}
}

// TestStoreTornLog: a torn last change is dropped on open; the store holds
// every change before it.
func TestStoreTornLog(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenStore(dir, SyncOnClose())
	if err != nil {
		t.Fatal(err)
	}
	mustSet(t, s, "a", "one")
	mustSet(t, s, "b", strings.Repeat("two", 20))
	s.Close()
	logPath := filepath.Join(dir, LogFile)
	size := fileSize(t, logPath)
	if err := os.Truncate(logPath, size-10); err != nil {
		t.Fatal(err)
	}
	s, err = OpenStore(dir)
	if err != nil {
		t.Fatalf("OpenStore with a torn log: %v", err)
	}
	defer s.Close()
	if s.Len() != 1 || !s.Has("a") || s.Has("b") {
		t.Fatalf("after the torn change: keys %v", s.Keys())
	}
	mustSet(t, s, "c", "three")
	if s.LogLen() != 2 {
		t.Fatalf("LogLen = %d", s.LogLen())
	}
}

// TestStoreConcurrent runs writers and readers on one store; run it with
// -race to check the locking.
func TestStoreConcurrent(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenStore(dir, SyncOnClose())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				key := fmt.Sprintf("w%d-%d", w, i%10)
				if err := s.Set(key, int64(i)); err != nil {
					t.Error(err)
					return
				}
				var v int64
				if _, err := s.Get(key, &v); err != nil {
					t.Error(err)
				}
				if i == 25 && w == 0 {
					if err := s.Compact(); err != nil {
						t.Error(err)
					}
				}
				for range s.All() {
				}
			}
		}()
	}
	wg.Wait()
	want := storeState(t, s)
	if s.Len() != 40 {
		t.Fatalf("Len = %d, want 40", s.Len())
	}
	s.Close()
	s, err = OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := storeState(t, s); !pickle.Equal(got, want) {
		t.Fatal("reopened store differs")
	}
}

// TestStoreBadRecord: a log record that is no store change is an error
// naming its offset, not silently skipped.
func TestStoreBadRecord(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, LogFile), []byte("\x80\x02K\x01."), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := OpenStore(dir)
	var re *RecordError
	if !errors.As(err, &re) || re.Offset != 0 {
		t.Fatalf("OpenStore: %v, want a *RecordError at 0", err)
	}
}

// storeState returns the store's content as a Dict of generic values.
func storeState(t *testing.T, s *Store) *pickle.Dict {
	t.Helper()
	d := pickle.NewDict()
	for k, v := range s.All() {
		var x any
		if err := v.Decode(&x); err != nil {
			t.Fatal(err)
		}
		d.Set(k, x)
	}
	return d
}

// TestStorePythonInterop: Python reads a store's files with the reader of
// docs/streams.md, and appends changes that the store then replays.
func TestStorePythonInterop(t *testing.T) {
	needPython(t)
	dir := t.TempDir()
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	mustSet(t, s, "a", pickle.NewList(int64(1), "x"))
	mustSet(t, s, "b", 2.5)
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	mustSet(t, s, "c", map[string]any{"k": []byte("v")})
	s.Delete("b")
	s.Close()

	out := runPython(t, pyStoreReader+`
import sys
state = load_store(sys.argv[1])
print(sorted(state.items()))
with open(sys.argv[1] + "/log.pickle", "ab") as f:
    pickle.dump(("set", "d", (1, None)), f)
    pickle.dump(("del", "a"), f)
`, dir)
	if want := "[('a', [1, 'x']), ('c', {'k': b'v'})]\n"; out != want {
		t.Fatalf("python3 read %q, want %q", out, want)
	}
	s, err = OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var d pickle.Tuple
	if found, err := s.Get("d", &d); !found || err != nil || !pickle.Equal(d, pickle.Tuple{int64(1), nil}) {
		t.Fatalf("Get(d) after Python's append: %v %v %v", found, err, d)
	}
	if s.Has("a") || s.Len() != 2 {
		t.Fatalf("keys after Python's changes: %v", s.Keys())
	}
}

// pyStoreReader is the Python reader given in docs/streams.md.
const pyStoreReader = `
import os, pickle

def load_store(directory):
    """Return the dict a go-pickle Store in directory holds."""
    # Open the log before reading the snapshot: a compaction replaces the
    # snapshot first and the log second.
    with open(os.path.join(directory, "log.pickle"), "rb") as log:
        try:
            with open(os.path.join(directory, "snapshot.pickle"), "rb") as f:
                state = pickle.load(f)
        except FileNotFoundError:
            state = {}
        while True:
            try:
                record = pickle.load(log)
            except EOFError:
                break                    # the end (or a torn last record)
            except pickle.UnpicklingError:
                break                    # a torn last record
            if record[0] == "set":
                state[record[1]] = record[2]
            else:
                state.pop(record[1], None)
    return state
`
