package pickle

import (
	"path/filepath"
	"testing"
)

// TestCPythonBadInputs decodes every input of CPython's own unpickling tests
// (Lib/test/pickletester.py, extracted by testdata/hostile/gen_cpython_bad.py)
// in isolated child processes, as TestHostileCorpus does: the inputs CPython
// rejects must be refused with a typed, well-formed error (Truncated for
// test_truncated_data), and the ones it accepts must decode, or be refused
// for a global the decoder does not allow (and decode with KeepUnknown).
func TestCPythonBadInputs(t *testing.T) {
	runHostileCorpus(t, filepath.Join("testdata", "hostile", "cpython_manifest.json"))
}
