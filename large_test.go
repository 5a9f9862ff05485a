package pickle

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Large payloads are written through to the io.Writer, not copied into the
// pickle's buffer first: encoding an n-byte []byte to a file costs about n
// bytes of memory (the value itself), not 2n. The child process allocates
// the value, encodes it to a file and reports its peak RSS.
//
// PICKLE_BIG_MB sets the size (default 64 MiB, fast enough for every run;
// PICKLE_BIG_MB=1024 is the 1 GiB measurement of docs/streams.md).
func TestLargeBytesEncodePeakMemory(t *testing.T) {
	if os.Getenv("PICKLE_LARGE_CHILD") != "" {
		largeChild()
		return
	}
	if testing.Short() {
		t.Skip("short mode")
	}
	if raceEnabled {
		t.Skip("the race detector's shadow memory multiplies the resident size this test bounds; it runs without -race")
	}
	mb := 64
	if s := os.Getenv("PICKLE_BIG_MB"); s != "" {
		mb, _ = strconv.Atoi(s)
	}
	path := filepath.Join(t.TempDir(), "big.pickle")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLargeBytesEncodePeakMemory$")
	cmd.Env = append(os.Environ(), "PICKLE_LARGE_CHILD="+path, "PICKLE_BIG_MB="+strconv.Itoa(mb))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	// The child reports its own peak (VmHWM): the rusage of a child can
	// include the parent's memory from before exec.
	var peakKB int64
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			peakKB, _ = strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	if peakKB == 0 {
		t.Fatalf("the child did not report its peak memory:\n%s", out)
	}
	size := int64(mb) << 20
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() < size || fi.Size() > size+64 {
		t.Errorf("file is %d bytes for a %d-byte payload", fi.Size(), size)
	}
	peak := peakKB << 10
	t.Logf("encoding %d MiB of bytes to a file: peak RSS %.1f MiB (%.2fx the payload)", mb, float64(peak)/(1<<20), float64(peak)/float64(size))
	if limit := size + size/4 + 48<<20; peak > limit {
		t.Errorf("peak RSS %d bytes, want under %d: the payload was copied", peak, limit)
	}
	// The file reads back.
	f, _ := os.Open(path)
	defer f.Close()
	var back []byte
	if err := NewDecoder(bufio.NewReader(f)).Decode(&back); err != nil || int64(len(back)) != size || back[size-1] != byte(size-1) {
		t.Errorf("read back: %d bytes, %v", len(back), err)
	}
}

func largeChild() {
	mb, _ := strconv.Atoi(os.Getenv("PICKLE_BIG_MB"))
	data := make([]byte, mb<<20)
	for i := range data {
		data[i] = byte(i)
	}
	f, err := os.Create(os.Getenv("PICKLE_LARGE_CHILD"))
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	if err := NewEncoder(f).Encode(data); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	_, _ = io.Discard.Write(data[:1])
	status, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			fmt.Println(line)
		}
	}
	os.Exit(0)
}
