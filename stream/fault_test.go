package stream

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/go-pickle/pickle"
)

// diskFullFile is a file that accepts budget more bytes and then fails
// writes with ENOSPC after writing what fits, as a full disk does. It can
// also fail Truncate and Sync.
type diskFullFile struct {
	*os.File
	budget       int64 // bytes writes may still store; negative: no limit
	failTruncate bool
	failSync     bool
}

func (f *diskFullFile) WriteAt(p []byte, off int64) (int, error) {
	if f.budget < 0 || int64(len(p)) <= f.budget {
		n, err := f.File.WriteAt(p, off)
		if f.budget >= 0 {
			f.budget -= int64(n)
		}
		return n, err
	}
	n, err := f.File.WriteAt(p[:f.budget], off)
	f.budget = 0
	if err == nil {
		err = &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return n, err
}

func (f *diskFullFile) Truncate(size int64) error {
	if f.failTruncate {
		return &os.PathError{Op: "truncate", Path: f.Name(), Err: syscall.EIO}
	}
	return f.File.Truncate(size)
}

func (f *diskFullFile) Sync() error {
	if f.failSync {
		return &os.PathError{Op: "fsync", Path: f.Name(), Err: syscall.EIO}
	}
	return f.File.Sync()
}

// faultRecords are the records of the small log the fault tests write.
func faultRecords() []any {
	return []any{
		int64(1),
		"two",
		pickle.Tuple{"set", "key", []byte("value")},
		strings.Repeat("long ", 8),
		pickle.NewList(int64(1), 2.5, nil),
	}
}

// recordEnds appends recs to a fresh log and returns the end offset of each.
func recordEnds(t *testing.T, recs []any) []int64 {
	path := filepath.Join(t.TempDir(), "ref")
	l, err := Open(path, SyncOnClose())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var ends []int64
	for _, r := range recs {
		if _, err := l.Append(r); err != nil {
			t.Fatal(err)
		}
		ends = append(ends, l.Size())
	}
	return ends
}

// openFaulty opens a log at path over a diskFullFile.
func openFaulty(t *testing.T, path string, f *diskFullFile) *Log {
	t.Helper()
	osf, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.File = osf
	cfg, _ := newConfig([]Option{SyncOnClose()})
	l, err := newLog(f, path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestDiskFullEveryByte fills the disk after every possible number of bytes
// while writing a small log. The append that hits the full disk fails and
// removes its partial record; every acknowledged record reads back intact;
// and once space is free again, appending goes on.
func TestDiskFullEveryByte(t *testing.T) {
	recs := faultRecords()
	ends := recordEnds(t, recs)
	total := ends[len(ends)-1]
	dir := t.TempDir()
	for budget := int64(0); budget <= total; budget++ {
		path := filepath.Join(dir, fmt.Sprintf("full%d", budget))
		f := &diskFullFile{budget: budget}
		l := openFaulty(t, path, f)
		acked := appendUntilError(t, l, recs)
		if want := countEnds(ends, budget); acked != want {
			t.Fatalf("budget %d: %d appends succeeded, want %d", budget, acked, want)
		}
		if size := fileSize(t, path); size != endOf(ends, acked) {
			t.Fatalf("budget %d: file is %d bytes after the failed append, want %d", budget, size, endOf(ends, acked))
		}
		f.budget = -1 // space is free again
		for _, r := range recs[acked:] {
			if _, err := l.Append(r); err != nil {
				t.Fatalf("budget %d: Append after freeing space: %v", budget, err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		checkLogHolds(t, path, recs)
	}
}

// TestDiskFullTruncateFails: when the partial record cannot be removed
// either, the log refuses further appends, and reopening finds a torn tail
// (never corruption) that Repair removes, keeping every acknowledged record.
func TestDiskFullTruncateFails(t *testing.T) {
	recs := faultRecords()
	ends := recordEnds(t, recs)
	total := ends[len(ends)-1]
	dir := t.TempDir()
	torn := 0
	for budget := int64(0); budget < total; budget++ {
		path := filepath.Join(dir, fmt.Sprintf("full%d", budget))
		l := openFaulty(t, path, &diskFullFile{budget: budget, failTruncate: true})
		acked := appendUntilError(t, l, recs)
		if _, err := l.Append(int64(9)); err == nil || !strings.Contains(err.Error(), "could not be removed") {
			t.Fatalf("budget %d: Append after a failed removal: %v, want the sticky error", budget, err)
		}
		l.Close()
		removed, err := Repair(path)
		if err != nil {
			t.Fatalf("budget %d: Repair: %v", budget, err)
		}
		partial := budget != endOf(ends, acked)
		if partial != (removed != nil) || (removed != nil && removed.Offset != endOf(ends, acked)) {
			t.Fatalf("budget %d: Repair removed %v; partial record: %v", budget, removed, partial)
		}
		if removed != nil {
			torn++
		}
		checkLogHolds(t, path, recs[:acked])
	}
	if torn == 0 {
		t.Fatal("no budget left a torn tail")
	}
	t.Logf("%d of %d budgets left a torn tail, all repaired", torn, total)
}

// TestSyncFails: after a failed fsync the state on disk is unknown, so the
// log refuses further appends rather than pretending they are durable.
func TestSyncFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l")
	f := &diskFullFile{budget: -1}
	l := openFaulty(t, path, f)
	l.cfg.sync, l.cfg.syncN = syncEveryN, 1
	if _, err := l.Append(1); err != nil {
		t.Fatal(err)
	}
	f.failSync = true
	if _, err := l.Append(2); err == nil || !errors.Is(err, syscall.EIO) {
		t.Fatalf("Append with a failing fsync: %v", err)
	}
	f.failSync = false
	if _, err := l.Append(3); err == nil || !errors.Is(err, syscall.EIO) {
		t.Fatalf("Append after a failed fsync: %v, want the sticky error", err)
	}
	l.Close()
}

func appendUntilError(t *testing.T, l *Log, recs []any) int {
	t.Helper()
	for i, r := range recs {
		if _, err := l.Append(r); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("Append: %v, want ENOSPC", err)
			}
			return i
		}
	}
	return len(recs)
}

// countEnds is how many records end at or before budget.
func countEnds(ends []int64, budget int64) int {
	n := 0
	for _, e := range ends {
		if e <= budget {
			n++
		}
	}
	return n
}

func endOf(ends []int64, n int) int64 {
	if n == 0 {
		return 0
	}
	return ends[n-1]
}

func fileSize(t *testing.T, path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// checkLogHolds opens the log writable (so it must be undamaged) and
// checks it holds exactly want.
func checkLogHolds(t *testing.T, path string, want []any) {
	t.Helper()
	l, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer l.Close()
	if l.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", l.Len(), len(want))
	}
	checkValues(t, path, readValues(t, l), want)
}

// faultFS runs the real file system but makes one step of Save fail: the
// step numbered failAt (counting from 1: create, chmod, each write, sync,
// close, rename, directory sync). With crash set, that step and every one
// after it (including the cleanup) do nothing, as if the process died.
type faultFS struct {
	failAt int
	crash  bool
	steps  int
	open   []*os.File // real files, closed by the test
}

var errInjected = errors.New("injected failure")

// step counts one operation and says whether it must fail.
func (fs *faultFS) step() bool {
	fs.steps++
	return fs.steps == fs.failAt || (fs.crash && fs.failAt > 0 && fs.steps > fs.failAt)
}

func (fs *faultFS) CreateTemp(dir, pattern string) (tempFile, error) {
	if fs.step() {
		return nil, errInjected
	}
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	fs.open = append(fs.open, f)
	return &faultTemp{f, fs}, nil
}

func (fs *faultFS) Rename(a, b string) error {
	if fs.step() {
		return errInjected
	}
	return os.Rename(a, b)
}

func (fs *faultFS) Remove(name string) error {
	if fs.crash && fs.failAt > 0 && fs.steps >= fs.failAt {
		return errInjected // a dead process cleans nothing up
	}
	return os.Remove(name)
}

func (fs *faultFS) SyncDir(dir string) error {
	if fs.step() {
		return errInjected
	}
	return syncDir(dir)
}

type faultTemp struct {
	f  *os.File
	fs *faultFS
}

func (t *faultTemp) Name() string { return t.f.Name() }

func (t *faultTemp) Write(p []byte) (int, error) {
	if t.fs.step() {
		n, _ := t.f.Write(p[:len(p)/2]) // a short write
		return n, errInjected
	}
	return t.f.Write(p)
}

func (t *faultTemp) Chmod(mode os.FileMode) error {
	if t.fs.step() {
		return errInjected
	}
	return t.f.Chmod(mode)
}

func (t *faultTemp) Sync() error {
	if t.fs.step() {
		return errInjected
	}
	return t.f.Sync()
}

func (t *faultTemp) Close() error {
	if t.fs.step() {
		return errInjected
	}
	return t.f.Close()
}

// TestSaveFailsAtEveryStep makes each step of Save fail in turn, both as an
// error Save sees and cleans up after and as a crash that stops everything:
// the file always holds the complete old or the complete new value (old
// until the rename), and a failed Save leaves no temporary file.
func TestSaveFailsAtEveryStep(t *testing.T) {
	oldV := pickle.NewList("old", strings.Repeat("o", 50000))
	newV := pickle.NewList("new", strings.Repeat("n", 100000), bytes.Repeat([]byte{1}, 30000))
	for _, crash := range []bool{false, true} {
		for _, missing := range []bool{false, true} {
			name := fmt.Sprintf("crash=%v/old-missing=%v", crash, missing)
			steps := saveAtEveryStep(t, name, oldV, newV, crash, missing)
			t.Logf("%s: failed each of %d steps", name, steps)
		}
	}
}

func saveAtEveryStep(t *testing.T, name string, oldV, newV any, crash, missing bool) int {
	cfg, _ := newConfig(nil)
	setup := func() (dir, path string) {
		dir = t.TempDir()
		path = filepath.Join(dir, "snap.pickle")
		if !missing {
			if err := Save(path, oldV); err != nil {
				t.Fatal(err)
			}
		}
		return dir, path
	}
	// A run without failures counts the steps; the rename is the one
	// before the last (the directory sync).
	_, path := setup()
	dry := &faultFS{}
	if err := saveWith(dry, path, newV, cfg); err != nil {
		t.Fatalf("%s: Save: %v", name, err)
	}
	checkSnapshot(t, path, newV)
	total := dry.steps
	if total < 8 {
		t.Fatalf("%s: only %d steps; want several writes", name, total)
	}
	for failAt := 1; failAt <= total; failAt++ {
		dir, path := setup()
		fs := &faultFS{failAt: failAt, crash: crash}
		err := saveWith(fs, path, newV, cfg)
		for _, f := range fs.open {
			f.Close()
		}
		if err == nil {
			t.Fatalf("%s: step %d failed but Save returned nil", name, failAt)
		}
		switch {
		case failAt == total: // the rename happened
			checkSnapshot(t, path, newV)
		case missing:
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%s: step %d: the file exists after a failed first Save: %v", name, failAt, err)
			}
		default:
			checkSnapshot(t, path, oldV)
		}
		if !crash {
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name() != "snap.pickle" {
					t.Fatalf("%s: step %d left %s behind", name, failAt, e.Name())
				}
			}
		}
	}
	return total
}

// checkSnapshot loads path and compares it with want.
func checkSnapshot(t *testing.T, path string, want any) {
	t.Helper()
	var got any
	if err := Load(path, &got); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !pickle.Equal(got, want) {
		t.Fatalf("Load: got a different value than expected")
	}
}

var _ io.Writer = (*faultTemp)(nil)
