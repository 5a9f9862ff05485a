package pickle

import (
	"os"
	"os/exec"
	"testing"
)

// pythonOrSkip returns the path of python3, or skips the test when it is
// missing, unless PICKLE_REQUIRE_PYTHON=1 (as CI sets), when it fails.
func pythonOrSkip(t testing.TB) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("PICKLE_REQUIRE_PYTHON") == "1" {
			t.Fatal("python3 is required (PICKLE_REQUIRE_PYTHON=1) but was not found")
		}
		t.Skip("python3 not found: skipping the live interoperability test")
	}
	return py
}
