package stream

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-pickle/pickle"
)

type event struct {
	Seq  int    `pickle:"seq"`
	Name string `pickle:"name"`
}

func TestLogAppendAndRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.pickle")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var offsets []int64
	for i := range 5 {
		off, err := l.Append(map[string]any{"seq": i, "name": "e" + string(rune('a'+i))})
		if err != nil {
			t.Fatal(err)
		}
		offsets = append(offsets, off)
	}
	if offsets[0] != 0 || l.Len() != 5 {
		t.Fatalf("offsets %v, Len %d", offsets, l.Len())
	}
	i := 0
	for rec, err := range l.Records() {
		if err != nil {
			t.Fatal(err)
		}
		if rec.Offset != offsets[i] {
			t.Errorf("record %d at %d, Append said %d", i, rec.Offset, offsets[i])
		}
		i++
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopen: Len without decoding, typed decoding, appending goes on.
	l, err = Open(path, SyncEvery(3))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Len() != 5 {
		t.Fatalf("reopened Len = %d", l.Len())
	}
	before := l.Size()
	off, err := l.Append(map[string]any{"seq": 5, "name": "ef"})
	if err != nil || off != before || off <= offsets[4] {
		t.Fatalf("Append after reopen: %d, %v", off, err)
	}
	var got []event
	for ev, err := range Values[event](l) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev)
	}
	if len(got) != 6 || got[0] != (event{0, "ea"}) || got[5] != (event{5, "ef"}) {
		t.Fatalf("typed records: %+v", got)
	}
}

// TestLogRecordErrors: a record that does not fit the target gives a
// *RecordError with its offset and the iteration goes on; a record with a
// STOP opcode that is not a valid pickle, followed by more data, is a
// *CorruptError (it is never taken for a torn tail).
func TestLogRecordErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.pickle")
	// 1, "x", then "\x80\x02a." (APPEND on an empty stack: complete but
	// invalid), then 3.
	data := "\x80\x02K\x01.\x80\x02X\x01\x00\x00\x00x.\x80\x02a.\x80\x02K\x03."
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v (a structurally complete log must open)", err)
	}
	defer l.Close()
	var ints []int
	var errs []error
	for v, err := range Values[int](l) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ints = append(ints, v)
	}
	if len(ints) != 2 || ints[0] != 1 || ints[1] != 3 || len(errs) != 2 {
		t.Fatalf("ints %v, errors %v", ints, errs)
	}
	var recErr *RecordError
	var typeErr *pickle.UnmarshalTypeError
	if !errors.As(errs[0], &recErr) || recErr.Offset != 5 || !errors.As(errs[0], &typeErr) {
		t.Errorf("string into int: %v, want *RecordError at 5 wrapping *pickle.UnmarshalTypeError", errs[0])
	}
	var corrupt *CorruptError
	var syn *pickle.SyntaxError
	if !errors.As(errs[1], &corrupt) || corrupt.Offset != 14 || !errors.As(errs[1], &syn) {
		t.Errorf("invalid record: %v, want *CorruptError at 14 wrapping *pickle.SyntaxError", errs[1])
	}
}

// TestLogOpenDamaged: writable Open refuses a torn tail (unless RepairTail)
// and corruption; ReadOnly reads the complete records and reports both.
func TestLogOpenDamaged(t *testing.T) {
	dir := t.TempDir()
	good := "\x80\x02K\x01.\x80\x02K\x02."
	torn := filepath.Join(dir, "torn")
	corrupt := filepath.Join(dir, "corrupt")
	os.WriteFile(torn, []byte(good+"\x80\x02X\x05\x00\x00\x00ab"), 0o644)
	corruptTail := "\x80\x02\xffK\x03.\x80\x02K\x04."
	os.WriteFile(corrupt, []byte(good+corruptTail), 0o644)

	if _, err := Open(torn); !errors.As(err, new(*TornError)) {
		t.Errorf("Open(torn) = %v, want *TornError", err)
	}
	if _, err := Open(corrupt); !errors.As(err, new(*CorruptError)) {
		t.Errorf("Open(corrupt) = %v, want *CorruptError", err)
	}
	if _, err := Repair(corrupt); !errors.As(err, new(*CorruptError)) {
		t.Errorf("Repair(corrupt) = %v, want *CorruptError", err)
	}
	if info, _ := os.Stat(corrupt); info.Size() != int64(len(good+corruptTail)) {
		t.Errorf("Repair changed a corrupt file: size %d", info.Size())
	}
	for _, path := range []string{torn, corrupt} {
		l, err := Open(path, ReadOnly())
		if err != nil {
			t.Fatalf("read-only Open(%s): %v", path, err)
		}
		n, last := 0, error(nil)
		for _, err := range l.Records() {
			if err != nil {
				last = err
				break
			}
			n++
		}
		if n != 2 || last == nil || last.Error() != l.Damage().Error() {
			t.Errorf("%s: %d records then %v (Damage %v)", path, n, last, l.Damage())
		}
		if _, err := l.Append(1); !errors.Is(err, ErrReadOnly) {
			t.Errorf("Append on read-only log: %v", err)
		}
		l.Close()
	}

	l, err := Open(torn, RepairTail())
	if err != nil {
		t.Fatalf("Open with RepairTail: %v", err)
	}
	defer l.Close()
	if d := l.Damage(); !errors.As(d, new(*TornError)) || l.Len() != 2 {
		t.Fatalf("after RepairTail: Damage %v, Len %d", d, l.Len())
	}
	if off, err := l.Append(3); err != nil || off != int64(len(good)) {
		t.Fatalf("Append after RepairTail: %d, %v", off, err)
	}
	if vals := readValues(t, l); len(vals) != 3 || vals[2] != int64(3) {
		t.Fatalf("after repair and append: %v", vals)
	}
}

func TestLogClosed(t *testing.T) {
	l, err := Open(filepath.Join(t.TempDir(), "l"), SyncOnClose())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(1); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: %v", err)
	}
	for _, err := range l.Records() {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Records after Close: %v", err)
		}
	}
	if err := l.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
}

func TestOptionErrors(t *testing.T) {
	dir := t.TempDir()
	for _, o := range []Option{Protocol(-1), Protocol(6), SyncEvery(0)} {
		if _, err := Open(filepath.Join(dir, "x"), o); err == nil {
			t.Errorf("Open with an invalid option succeeded")
		}
	}
}
