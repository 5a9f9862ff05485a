package stream

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"sync"

	"github.com/go-pickle/pickle"
)

// file is what a Log needs of its file; *os.File has it. Tests substitute
// files that fail after a number of bytes.
type file interface {
	io.ReaderAt
	io.WriterAt
	Truncate(size int64) error
	Sync() error
	Close() error
	Stat() (os.FileInfo, error)
}

// A Log is an append-only file of records, each one complete pickle, as
// Python's repeated pickle.dump(obj, f) writes them: Python reads the file
// back with repeated pickle.load(f), and the Log reads files Python wrote.
//
// A Log is safe for use by several goroutines. Only one Log (in one
// process) may append to a file at a time.
type Log struct {
	mu       sync.Mutex
	path     string
	f        file
	cfg      config
	buf      bytes.Buffer
	enc      *pickle.Encoder
	end      int64 // offset just past the last complete record
	count    int64 // complete records
	unsynced int   // records written since the last fsync
	damage   error // the torn tail or corruption Open found, or nil
	failed   error // a failure that makes further appends unsafe
	closed   bool
}

// Open opens the log file at path for reading and appending, creating it
// if it does not exist (and then syncing its directory, so that the file
// itself survives a crash).
//
// Open reads the whole file once, walking the opcodes of every record
// without decoding them, to find where the last complete record ends. If
// the file ends with a torn tail, Open returns a *TornError unless the
// RepairTail option is given; if it holds corruption, Open returns a
// *CorruptError. With the ReadOnly option both are reported later, by
// Records and Damage, and every complete record before them stays readable.
func Open(path string, opts ...Option) (*Log, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	f, created, err := openFile(path, cfg.readOnly)
	if err != nil {
		return nil, err
	}
	if created {
		if err := syncDir(filepath.Dir(path)); err != nil {
			f.Close()
			return nil, err
		}
	}
	l, err := newLog(f, path, cfg)
	if err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

// openFile opens path read-only, or read-write creating it, and says
// whether it was created.
func openFile(path string, readOnly bool) (f *os.File, created bool, err error) {
	if readOnly {
		f, err = os.Open(path)
		return f, false, err
	}
	f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err == nil {
		return f, true, nil
	}
	if !errors.Is(err, os.ErrExist) {
		return nil, false, err
	}
	f, err = os.OpenFile(path, os.O_RDWR, 0)
	return f, false, err
}

// newLog scans f and sets up a Log over it.
func newLog(f file, path string, cfg config) (*Log, error) {
	l := &Log{path: path, f: f, cfg: cfg}
	l.enc = pickle.NewEncoder(&l.buf, cfg.encodeOptions()...)
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	res, err := scanAll(f, info.Size(), nil)
	if err != nil {
		return nil, err
	}
	l.end, l.count, l.damage = res.end, res.count, res.damage
	if res.damage == nil || cfg.readOnly {
		return l, nil
	}
	var torn *TornError
	if !errors.As(res.damage, &torn) || !cfg.repairTail {
		return nil, res.damage
	}
	if err := truncateDurably(f, torn.Offset); err != nil {
		return nil, err
	}
	return l, nil
}

// truncateDurably cuts f at size and syncs it.
func truncateDurably(f file, size int64) error {
	if err := f.Truncate(size); err != nil {
		return err
	}
	return f.Sync()
}

// Repair removes a torn tail from the log file at path, so that appending
// can go on, and returns the *TornError describing what it removed (nil if
// the file had no torn tail). It never removes a complete record: if the
// file holds corruption, Repair changes nothing and returns the
// *CorruptError. The log must not be open for appending meanwhile.
func Repair(path string) (*TornError, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	res, err := scanAll(f, info.Size(), nil)
	if err != nil {
		return nil, err
	}
	var torn *TornError
	if res.damage == nil || !errors.As(res.damage, &torn) {
		return nil, res.damage
	}
	if err := truncateDurably(f, torn.Offset); err != nil {
		return nil, err
	}
	return torn, f.Close()
}

// Append writes v as one record and returns the record's offset in the
// file. When Append returns nil the whole record has been handed to the
// operating system in one piece, so it survives the process dying; it is
// also durable against power loss if the sync policy synced it (always,
// under the default SyncEvery(1)).
//
// If the write fails (a full disk, an I/O error), Append removes the part
// of the record that reached the file and returns the error; the log stays
// usable. If that removal fails too, or an fsync fails (after which the
// state of the file is unknown), every later Append returns the error: close
// the Log and open it again, which finds and reports any torn tail.
func (l *Log) Append(v any) (offset int64, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.writable(); err != nil {
		return -1, err
	}
	l.buf.Reset()
	if err := l.enc.Encode(v); err != nil {
		return -1, err
	}
	off := l.end
	if err := l.writeRecord(l.buf.Bytes(), off); err != nil {
		if terr := l.f.Truncate(off); terr != nil {
			l.failed = fmt.Errorf("stream: append failed (%v) and its partial record could not be removed: %w", err, terr)
		}
		return -1, err
	}
	l.end += int64(l.buf.Len())
	l.count++
	l.unsynced++
	if l.cfg.sync == syncEveryN && l.unsynced >= l.cfg.syncN {
		if err := l.syncLocked(); err != nil {
			return -1, err
		}
	}
	return off, nil
}

// writable reports why the log cannot be appended to, or nil.
func (l *Log) writable() error {
	switch {
	case l.closed:
		return ErrClosed
	case l.cfg.readOnly:
		return ErrReadOnly
	case l.failed != nil:
		return l.failed
	case l.damage != nil && !l.cfg.repairTail:
		return l.damage
	}
	return nil
}

// writeRecord writes p at off, in one write unless a test asked for
// smaller pieces.
func (l *Log) writeRecord(p []byte, off int64) error {
	chunk := len(p)
	if l.cfg.writeChunk > 0 {
		chunk = l.cfg.writeChunk
	}
	for len(p) > 0 {
		n := min(chunk, len(p))
		if _, err := l.f.WriteAt(p[:n], off); err != nil {
			return err
		}
		p, off = p[n:], off+int64(n)
	}
	return nil
}

// Sync makes every record appended so far durable.
func (l *Log) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.writable(); err != nil {
		return err
	}
	return l.syncLocked()
}

func (l *Log) syncLocked() error {
	if err := l.f.Sync(); err != nil {
		l.failed = fmt.Errorf("stream: fsync failed, the log's durable state is unknown: %w", err)
		return l.failed
	}
	l.unsynced = 0
	return nil
}

// Len returns the number of complete records, found without decoding any:
// those Open counted plus those appended since.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int(l.count)
}

// Size returns the offset just past the last complete record, where the
// next record goes.
func (l *Log) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.end
}

// Damage returns the torn tail or corruption Open found after the last
// complete record (a *TornError or *CorruptError), or nil. With RepairTail
// it is the torn tail that Open removed.
func (l *Log) Damage() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.damage
}

// Close syncs records not yet synced (unless the log is read-only or has
// failed) and closes the file.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.closed = true
	var err error
	if !l.cfg.readOnly && l.failed == nil && l.unsynced > 0 {
		err = l.syncLocked()
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// readLimit returns how far Records reads: the end of the last record
// appended, or for a read-only log the current size of the file, so that
// a reader sees what another process appended since.
func (l *Log) readLimit() (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, ErrClosed
	}
	if !l.cfg.readOnly {
		return l.end, nil
	}
	info, err := l.f.Stat()
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}

// Records iterates over the records in file order. Each Record holds the
// record's bytes; decode it with its Decode or Value method. A torn tail
// ends the iteration with a *TornError, damage with a *CorruptError, after
// every complete record before them. Records appended while the iteration
// runs may or may not be seen.
func (l *Log) Records() iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		limit, err := l.readLimit()
		if err != nil {
			yield(Record{}, err)
			return
		}
		s := newScanner(l.f, limit)
		for off := int64(0); off < limit; {
			end, err := s.skipRecord(off)
			if err != nil {
				damage, rerr := s.classifyTail(off, err)
				if rerr != nil {
					damage = rerr
				}
				yield(Record{}, damage)
				return
			}
			data, err := s.read(off, end)
			if err != nil {
				yield(Record{}, err)
				return
			}
			if !yield(Record{Offset: off, data: data, opts: l.cfg.pickleOpts}, nil) {
				return
			}
			off = end
		}
	}
}

// read returns a copy of the bytes in [off, end).
func (s *scanner) read(off, end int64) ([]byte, error) {
	out := make([]byte, end-off)
	if off >= s.bufOff && end <= s.bufOff+int64(len(s.buf)) {
		copy(out, s.buf[off-s.bufOff:])
		return out, nil
	}
	if _, err := s.r.ReadAt(out, off); err != nil {
		return nil, err
	}
	return out, nil
}

// Values iterates over the records of l decoded into values of type T. A
// record that does not decode yields its error (a *RecordError or a
// *CorruptError) and the iteration goes on with the next record; a torn
// tail or structural damage ends it, as in Records.
func Values[T any](l *Log) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for rec, err := range l.Records() {
			var v T
			if err == nil {
				err = rec.Decode(&v)
			}
			if !yield(v, err) {
				return
			}
		}
	}
}

// A Record is one record of a log: one complete pickle, not yet decoded.
type Record struct {
	Offset int64 // where the record starts in the file
	data   []byte
	opts   []pickle.Option
}

// Bytes returns the record's pickle. The slice belongs to the Record.
func (r Record) Bytes() []byte { return r.data }

// Size returns the record's length in bytes.
func (r Record) Size() int64 { return int64(len(r.data)) }

// Decode decodes the record into the value v points to, as pickle.Unmarshal
// does. A record that is not a valid pickle gives a *CorruptError; one that
// does not fit v (or that the decoder refuses) gives a *RecordError.
func (r Record) Decode(v any) error {
	return decodeRecord(r.Offset, r.data, v, r.opts)
}

// Value decodes the record into the generic model (see pickle.Unmarshal
// into an any).
func (r Record) Value() (any, error) {
	var v any
	err := r.Decode(&v)
	return v, err
}

// decodeRecord unmarshals data and wraps a failure with the record's offset.
func decodeRecord(off int64, data []byte, v any, opts []pickle.Option) error {
	err := pickle.Unmarshal(data, v, opts...)
	if err == nil {
		return nil
	}
	var syn *pickle.SyntaxError
	if errors.As(err, &syn) || errors.Is(err, pickle.ErrTrailingData) {
		return &CorruptError{Offset: off, Err: err}
	}
	return &RecordError{Offset: off, Err: err}
}
