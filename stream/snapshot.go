package stream

import (
	"bufio"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/go-pickle/pickle"
)

// tempFile is what Save needs of the temporary file; *os.File has it.
type tempFile interface {
	io.Writer
	Name() string
	Chmod(mode os.FileMode) error
	Sync() error
	Close() error
}

// fileSystem is the file system operations Save performs, in order. Tests
// substitute one that fails (or stops, as a crash would) at any step.
type fileSystem interface {
	CreateTemp(dir, pattern string) (tempFile, error)
	Rename(oldpath, newpath string) error
	Remove(name string) error
	SyncDir(dir string) error
}

// osFS is the real file system.
type osFS struct{}

func (osFS) CreateTemp(dir, pattern string) (tempFile, error) { return os.CreateTemp(dir, pattern) }
func (osFS) Rename(oldpath, newpath string) error             { return os.Rename(oldpath, newpath) }
func (osFS) Remove(name string) error                         { return os.Remove(name) }
func (osFS) SyncDir(dir string) error                         { return syncDir(dir) }

// Save writes v as a single pickle to the file at path, atomically: after a
// crash or power loss at any instant, path holds either its complete old
// content (or does not exist, if it did not) or the complete new pickle,
// never a mix or a partial file.
//
// Save writes to a temporary file in the same directory (named
// ".NAME.tmp*"), syncs it, renames it over path and syncs the directory.
// When Save returns nil the new content is durable. When it returns an
// error, path holds the old or the new content (the new one only if the
// failure came after the rename, in the final directory sync) and the
// temporary file is removed. A crash can leave a temporary file behind;
// it is never read and may be deleted.
//
// The file keeps the permissions of the file it replaces, or gets 0644.
// Python reads it with pickle.load.
func Save(path string, v any, opts ...Option) error {
	cfg, err := newConfig(opts)
	if err != nil {
		return err
	}
	return saveWith(osFS{}, path, v, cfg)
}

func saveWith(fsys fileSystem, path string, v any, cfg config) error {
	return writeAtomically(fsys, path, func(w io.Writer) error {
		return pickle.NewEncoder(w, cfg.encodeOptions()...).Encode(v)
	})
}

// writeAtomically replaces the file at path with what write writes, by way
// of a synced temporary file renamed over it.
func writeAtomically(fsys fileSystem, path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	mode := fs.FileMode(0o644)
	if info, err := os.Stat(path); err == nil {
		mode = info.Mode().Perm()
	}
	f, err := fsys.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return err
	}
	renamed := false
	defer func() {
		if err != nil && !renamed {
			f.Close()
			fsys.Remove(f.Name())
		}
	}()
	if err := f.Chmod(mode); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 32<<10)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := fsys.Rename(f.Name(), path); err != nil {
		return err
	}
	renamed = true
	return fsys.SyncDir(dir)
}

// Load reads the single pickle in the file at path into the value v points
// to, as pickle.Unmarshal does: it is an error if the file holds anything
// after the pickle. The file may come from Save or from Python's
// pickle.dump.
func Load(path string, v any, opts ...Option) error {
	cfg, err := newConfig(opts)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return pickle.Unmarshal(data, v, cfg.pickleOpts...)
}
