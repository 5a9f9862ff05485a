package stream

import (
	"fmt"

	"github.com/go-pickle/pickle"
)

// An Option configures Open, OpenStore, Save or Load. Each option says what
// it affects; the others ignore it. An invalid value makes the call return
// an error.
type Option interface {
	apply(*config) error
}

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// syncMode is when a Log calls fsync.
type syncMode uint8

const (
	syncEveryN  syncMode = iota // after every syncN records
	syncOnClose                 // only in Close (and explicit Sync calls)
)

type config struct {
	protocol   int
	sync       syncMode
	syncN      int
	readOnly   bool
	repairTail bool
	pickleOpts []pickle.Option

	// writeChunk, when positive, splits every record write into writes of
	// at most this many bytes. Tests use it to make a kill land inside a
	// record; it is not exported.
	writeChunk int
}

func newConfig(opts []Option) (config, error) {
	c := config{protocol: pickle.DefaultProtocol, sync: syncEveryN, syncN: 1}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.apply(&c); err != nil {
			return c, err
		}
	}
	return c, nil
}

// encodeOptions are the options for pickle.NewEncoder: the protocol first,
// so that a Protocol passed through PickleOptions wins.
func (c *config) encodeOptions() []pickle.Option {
	return append([]pickle.Option{pickle.Protocol(c.protocol)}, c.pickleOpts...)
}

// Protocol sets the pickle protocol records and snapshots are written with,
// 0 to pickle.HighestProtocol (default pickle.DefaultProtocol). Reading
// accepts every protocol, whatever this says. Python 3 reads them all.
func Protocol(n int) Option {
	return optionFunc(func(c *config) error {
		if n < 0 || n > pickle.HighestProtocol {
			return fmt.Errorf("stream: invalid option Protocol(%d): want 0 to %d", n, pickle.HighestProtocol)
		}
		c.protocol = n
		return nil
	})
}

// SyncEvery makes a Log (or Store) call fsync after every n records, so
// that at most the last n-1 acknowledged records can be lost to a power
// failure or an operating system crash. SyncEvery(1), the default, makes
// every record durable before Append returns. n must be at least 1.
func SyncEvery(n int) Option {
	return optionFunc(func(c *config) error {
		if n < 1 {
			return fmt.Errorf("stream: invalid option SyncEvery(%d): must be at least 1", n)
		}
		c.sync, c.syncN = syncEveryN, n
		return nil
	})
}

// SyncOnClose makes a Log (or Store) call fsync only in Close and in
// explicit Sync calls. Records still reach the operating system before
// Append returns, so they survive the process dying; a power failure may
// lose everything written since the last sync.
func SyncOnClose() Option {
	return optionFunc(func(c *config) error {
		c.sync = syncOnClose
		return nil
	})
}

// ReadOnly opens a Log for reading only: the file must exist, nothing is
// ever written, and a torn tail or corruption at the end is reported by
// Records (and Damage) instead of failing Open. Use it to read a log that
// another process may still be writing.
func ReadOnly() Option {
	return optionFunc(func(c *config) error {
		c.readOnly = true
		return nil
	})
}

// RepairTail makes Open truncate a torn tail (see TornError) instead of
// failing; Damage then reports what was removed. It never removes a
// complete record, and corruption still fails Open with a *CorruptError.
// OpenStore always repairs a torn tail.
func RepairTail() Option {
	return optionFunc(func(c *config) error {
		c.repairTail = true
		return nil
	})
}

// PickleOptions passes options to the pickle encoder and decoder: decoding
// limits, KeepUnknown, FixImports, or a Protocol (which then overrides the
// Protocol option of this package).
//
// With pickle.ZeroCopy(true), decoded strs and bytes share the memory of
// the record (a Log's Record, a Store's value). That memory is never reused
// for another record, so they stay valid; but a []byte so decoded from a
// Store must not be modified: it is the stored value itself.
func PickleOptions(opts ...pickle.Option) Option {
	return optionFunc(func(c *config) error {
		c.pickleOpts = append(c.pickleOpts, opts...)
		return nil
	})
}
