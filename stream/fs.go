package stream

import (
	"errors"
	"os"
	"runtime"
)

// syncDir makes the entries of directory dir (a file created or renamed in
// it) durable. Systems that cannot sync a directory (Windows) are skipped.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, os.ErrInvalid) {
		return nil
	}
	return err
}
