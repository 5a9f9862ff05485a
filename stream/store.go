package stream

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/go-pickle/pickle"
)

// The files of a Store, in its directory.
const (
	// SnapshotFile holds a Python dict {key: value}: the state at the last
	// compaction. It is missing until the first one.
	SnapshotFile = "snapshot.pickle"
	// LogFile holds the changes since: records ('set', key, value) and
	// ('del', key), each one pickle.
	LogFile = "log.pickle"
)

// A Store is a small persistent key-value store: string keys, values that
// pickle. It keeps every value in memory (pickled) and every change in an
// append-only log; Compact folds the log into a snapshot. Its files are
// plain pickles that Python reads and writes (see docs/streams.md).
//
// Crash safety: a Set or Delete that returned nil survives the process
// dying. It survives power loss or an operating system crash once synced:
// at once under SyncEvery(1) (the default), within n changes under
// SyncEvery(n), at Sync or Close under SyncOnClose. After any crash, OpenStore
// recovers the state after some prefix of the changes, in the order they
// were made, that includes every synced change; it never applies a change
// without the ones before it. If the files were damaged in a way a crash
// cannot cause, OpenStore fails with a *CorruptError instead of guessing.
//
// A Store is safe for use by several goroutines. Only one process may open
// a directory at a time.
type Store struct {
	mu     sync.RWMutex
	dir    string
	cfg    config
	log    *Log
	data   map[string][]byte // key -> the value's pickle
	failed error             // set when a compaction left no usable log
	closed bool
}

// OpenStore opens the store in directory dir, creating the directory and
// its files as needed. It loads the snapshot, replays the log over it and
// removes a torn tail (an unfinished last change) from the log. Options:
// Protocol, SyncEvery, SyncOnClose, PickleOptions.
func OpenStore(dir string, opts ...Option) (*Store, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	cfg.readOnly, cfg.repairTail = false, true
	if err := makeDir(dir); err != nil {
		return nil, err
	}
	s := &Store{dir: dir, cfg: cfg, data: make(map[string][]byte)}
	if err := s.loadSnapshot(); err != nil {
		return nil, err
	}
	if s.log, err = Open(s.logPath(), s.logOptions()...); err != nil {
		return nil, err
	}
	if err := s.replay(); err != nil {
		s.log.Close()
		return nil, err
	}
	return s, nil
}

// makeDir creates dir if it is missing and syncs its parent.
func makeDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return syncDir(filepath.Dir(filepath.Clean(dir)))
}

func (s *Store) logPath() string      { return filepath.Join(s.dir, LogFile) }
func (s *Store) snapshotPath() string { return filepath.Join(s.dir, SnapshotFile) }

// logOptions rebuilds the options of the store's log from its config.
func (s *Store) logOptions() []Option {
	return []Option{optionFunc(func(c *config) error { *c = s.cfg; return nil })}
}

// loadSnapshot reads the snapshot, if there is one, into s.data.
func (s *Store) loadSnapshot() error {
	var snap map[string]any
	err := Load(s.snapshotPath(), &snap, s.logOptions()...)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stream: store snapshot %s: %w", s.snapshotPath(), err)
	}
	for k, v := range snap {
		b, err := s.marshal(v)
		if err != nil {
			return fmt.Errorf("stream: store snapshot %s: key %q: %w", s.snapshotPath(), k, err)
		}
		s.data[k] = b
	}
	return nil
}

// replay applies every record of the log to s.data.
func (s *Store) replay() error {
	for rec, err := range s.log.Records() {
		if err != nil {
			return err
		}
		v, err := rec.Value()
		if err != nil {
			return err
		}
		if err := s.apply(rec.Offset, v); err != nil {
			return err
		}
	}
	return nil
}

// apply performs one decoded log record on s.data.
func (s *Store) apply(off int64, v any) error {
	t, _ := v.(pickle.Tuple)
	var op, key string
	if len(t) >= 2 {
		op, _ = t[0].(string)
		key, _ = t[1].(string)
	}
	switch {
	case op == "set" && len(t) == 3 && isString(t[1]):
		b, err := s.marshal(t[2])
		if err != nil {
			return &RecordError{Offset: off, Err: err}
		}
		s.data[key] = b
	case op == "del" && len(t) == 2 && isString(t[1]):
		delete(s.data, key)
	default:
		return &RecordError{Offset: off, Err: fmt.Errorf("not a store record ('set', key, value) or ('del', key) with a str key: %s", describe(v))}
	}
	return nil
}

func isString(v any) bool { _, ok := v.(string); return ok }

// describe renders a bad record's shape for an error message.
func describe(v any) string {
	if t, ok := v.(pickle.Tuple); ok {
		return fmt.Sprintf("a tuple of %d items", len(t))
	}
	return fmt.Sprintf("a Go %T", v)
}

func (s *Store) marshal(v any) ([]byte, error) {
	return pickle.Marshal(v, s.cfg.encodeOptions()...)
}

// usable reports why the store cannot be used, or nil.
func (s *Store) usable() error {
	if s.closed {
		return ErrClosed
	}
	return s.failed
}

// Get decodes the value stored under key into the value v points to and
// reports whether the key was there. Each Get decodes a fresh copy:
// changing it does not change the store.
func (s *Store) Get(key string, v any) (found bool, err error) {
	s.mu.RLock()
	b, ok := s.data[key]
	err = s.usable()
	s.mu.RUnlock()
	if err != nil || !ok {
		return false, err
	}
	return true, pickle.Unmarshal(b, v, s.cfg.pickleOpts...)
}

// Has reports whether key is in the store.
func (s *Store) Has(key string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.data[key]
	return ok
}

// Len returns the number of keys.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.data)
}

// Set stores v under key, writing the record ('set', key, v) to the log.
// See Store for what is durable when it returns.
func (s *Store) Set(key string, v any) error {
	b, err := s.marshal(v)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	if _, err := s.log.Append(pickle.Tuple{"set", key, v}); err != nil {
		return err
	}
	s.data[key] = b
	return nil
}

// Delete removes key, writing the record ('del', key) to the log, and
// reports whether it was there. Deleting a missing key writes nothing.
func (s *Store) Delete(key string) (found bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return false, err
	}
	if _, ok := s.data[key]; !ok {
		return false, nil
	}
	if _, err := s.log.Append(pickle.Tuple{"del", key}); err != nil {
		return false, err
	}
	delete(s.data, key)
	return true, nil
}

// A Value is a stored value, still pickled.
type Value struct {
	data []byte
	opts []pickle.Option
}

// Decode decodes the value into the value v points to.
func (v Value) Decode(into any) error { return pickle.Unmarshal(v.data, into, v.opts...) }

// Bytes returns the value's pickle.
func (v Value) Bytes() []byte { return slices.Clone(v.data) }

// All iterates over the keys in sorted order with their values, as they
// were when the iteration started; changes made meanwhile are not seen.
func (s *Store) All() iter.Seq2[string, Value] {
	s.mu.RLock()
	keys := make([]string, 0, len(s.data))
	vals := make(map[string][]byte, len(s.data))
	for k, b := range s.data {
		keys = append(keys, k)
		vals[k] = b // values are never modified in place, only replaced
	}
	s.mu.RUnlock()
	slices.Sort(keys)
	return func(yield func(string, Value) bool) {
		for _, k := range keys {
			if !yield(k, Value{data: vals[k], opts: s.cfg.pickleOpts}) {
				return
			}
		}
	}
}

// Keys returns the keys in sorted order.
func (s *Store) Keys() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	keys := make([]string, 0, len(s.data))
	for k := range s.data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// LogLen returns the number of records in the log, which Compact folds
// into the snapshot; callers can compact when it grows past Len by some
// factor.
func (s *Store) LogLen() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.log == nil {
		return 0
	}
	return s.log.Len()
}

// Compact writes the whole store as a new snapshot (atomically, see Save)
// and then replaces the log with an empty one (atomically too). A crash in
// between leaves the new snapshot with the old log, which replays to the
// same state: every record in the old log is already reflected in the
// snapshot, and replaying set and del records over a state that already
// has their effect changes nothing. Changes wait while Compact runs.
func (s *Store) Compact() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	snap, err := s.snapshotDict()
	if err != nil {
		return err
	}
	if err := saveWith(osFS{}, s.snapshotPath(), snap, s.cfg); err != nil {
		return err
	}
	return s.resetLog()
}

// snapshotDict builds the Python dict of the whole store, keys sorted.
func (s *Store) snapshotDict() (*pickle.Dict, error) {
	keys := make([]string, 0, len(s.data))
	for k := range s.data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	d := pickle.NewDict()
	for _, k := range keys {
		var v any
		if err := pickle.Unmarshal(s.data[k], &v, s.cfg.pickleOpts...); err != nil {
			return nil, fmt.Errorf("stream: compact: key %q: %w", k, err)
		}
		if err := d.Set(k, v); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// resetLog replaces the log file with an empty one and reopens it. If the
// log cannot be reopened the store fails: later calls return the error.
func (s *Store) resetLog() error {
	closeErr := s.log.Close()
	replaceErr := writeAtomically(osFS{}, s.logPath(), func(io.Writer) error { return nil })
	log, err := Open(s.logPath(), s.logOptions()...)
	if err != nil {
		s.log = nil
		s.failed = fmt.Errorf("stream: compact could not reopen the log: %w", err)
		return s.failed
	}
	s.log = log
	if replaceErr != nil {
		return replaceErr
	}
	return closeErr
}

// Sync makes every change so far durable.
func (s *Store) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	return s.log.Sync()
}

// Close syncs the log and closes the store.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.closed = true
	if s.log == nil {
		return s.failed
	}
	return s.log.Close()
}
