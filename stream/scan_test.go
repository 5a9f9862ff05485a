package stream

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// handRecords are pickles written out by hand, covering every kind of
// opcode argument the scanner skips.
var handRecords = []string{
	"\x80\x02K\x01.",         // PROTO BININT1 STOP
	"(lp0\nI1\naI2\na.",      // protocol 0: MARK LIST PUT INT APPEND
	"\x80\x03C\x03abcq\x00.", // SHORT_BINBYTES BINPUT
	"\x80\x04\x8e\x02\x00\x00\x00\x00\x00\x00\x00hi.",                       // BINBYTES8
	"\x80\x02cbuiltins\nset\nq\x00]q\x01\x85q\x02Rq\x03.",                   // GLOBAL (two lines)
	"\x80\x04\x95\x0c\x00\x00\x00\x00\x00\x00\x00X\x03\x00\x00\x00abc\x94.", // FRAME BINUNICODE MEMOIZE
	"\x80\x02\x8a\x02\x00\x01G?\xf8\x00\x00\x00\x00\x00\x00\x86q\x00.",      // LONG1 BINFLOAT TUPLE2
	"\x80\x01T\x02\x00\x00\x00ab.",                                          // BINSTRING (signed length)
}

// concat joins records and returns the file and each record's end offset.
func concat(recs []string) ([]byte, []int64) {
	var b bytes.Buffer
	var ends []int64
	for _, r := range recs {
		b.WriteString(r)
		ends = append(ends, int64(b.Len()))
	}
	return b.Bytes(), ends
}

func scanBytes(t *testing.T, data []byte) scanResult {
	t.Helper()
	res, err := scanAll(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		t.Fatalf("scanAll: %v", err)
	}
	return res
}

// TestScanEveryCut cuts a log after every byte: a cut at a record boundary
// is a clean log of that many records, any other cut a torn tail starting
// at the last boundary, and the same cut followed by zero bytes (a file
// system's zero fill) a zero-filled torn tail.
func TestScanEveryCut(t *testing.T) {
	data, ends := concat(handRecords)
	for cut := 0; cut <= len(data); cut++ {
		complete, boundary := 0, int64(0)
		for _, e := range ends {
			if e <= int64(cut) {
				complete, boundary = complete+1, e
			}
		}
		res := scanBytes(t, data[:cut])
		if int(res.count) != complete || res.end != boundary {
			t.Fatalf("cut %d: got %d records ending at %d, want %d ending at %d", cut, res.count, res.end, complete, boundary)
		}
		if boundary == int64(cut) {
			if res.damage != nil {
				t.Fatalf("cut %d at a boundary: damage %v", cut, res.damage)
			}
			continue
		}
		var torn *TornError
		if !errors.As(res.damage, &torn) || torn.Offset != boundary || torn.Size != int64(cut)-boundary || torn.ZeroFilled {
			t.Fatalf("cut %d: damage %v, want torn tail at %d", cut, res.damage, boundary)
		}
		filled := append(append([]byte{}, data[:cut]...), make([]byte, 300)...)
		res = scanBytes(t, filled)
		if !errors.As(res.damage, &torn) || torn.Offset != boundary || torn.Size != int64(len(filled))-boundary {
			t.Fatalf("cut %d + zeros: damage %v, want torn tail at %d", cut, res.damage, boundary)
		}
	}
}

// TestScanCorruption damages a middle record: an invalid opcode byte, and a
// length that points past the end of the file. Both are corruption (at the
// damaged record's offset), not a torn tail, because data follows.
func TestScanCorruption(t *testing.T) {
	data, ends := concat(handRecords)
	cases := []struct {
		name string
		pos  int64 // byte to change
		val  byte
		rec  int // index of the damaged record
	}{
		{"invalid opcode", ends[1] + 2, 0xff, 2}, // the SHORT_BINBYTES opcode of record 2
		{"zero opcode then data", ends[0] + 1, 0x00, 1},
		{"huge BINBYTES8 length", ends[2] + 9, 0x7f, 3}, // top byte of the 8-byte length
		{"huge BINUNICODE length", ends[4] + 15, 0x7f, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := bytes.Clone(data)
			bad[c.pos] = c.val
			res := scanBytes(t, bad)
			var corrupt *CorruptError
			if !errors.As(res.damage, &corrupt) {
				t.Fatalf("damage = %v, want *CorruptError", res.damage)
			}
			if want := ends[c.rec-1]; corrupt.Offset != want || res.end != want || int(res.count) != c.rec {
				t.Fatalf("corrupt at %d after %d records ending at %d; want record %d at %d", corrupt.Offset, res.count, res.end, c.rec, want)
			}
			if !strings.Contains(corrupt.Error(), "offset "+strconv.FormatInt(corrupt.Offset, 10)) {
				t.Errorf("message %q does not name the offset", corrupt.Error())
			}
		})
	}
}

// TestScanNegativeLength: BINSTRING's length is signed; a negative one is
// corruption even at the end of the file.
func TestScanNegativeLength(t *testing.T) {
	data := []byte("\x80\x01T\xff\xff\xff\xffab.")
	res := scanBytes(t, append(data, "\x80\x02K\x01."...))
	var corrupt *CorruptError
	if !errors.As(res.damage, &corrupt) || corrupt.Offset != 0 {
		t.Fatalf("damage = %v, want corruption at 0", res.damage)
	}
}

// TestScanOpcodeTable checks the scanner's argument table against
// pickletools' description of every opcode.
func TestScanOpcodeTable(t *testing.T) {
	py := needPython(t)
	out, err := exec.Command(py, "-c", `
import pickletools
for op in pickletools.opcodes:
    a = op.arg
    print(ord(op.code.encode('latin-1')), a.name if a else 'none', a.n if a else 0)
`).Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	want := map[string]argKind{
		"0": argNone, "1": argFixed1, "2": argFixed2, "4": argFixed4, "8": argFixed8,
		"-1": argLine, "-2": argLen1, "-3": argLen4Signed, "-4": argLen4, "-5": argLen8,
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		code, _ := strconv.Atoi(f[0])
		k := want[f[2]]
		if f[1] == "stringnl_noescape_pair" {
			k = argTwoLines
		}
		if argKinds[code] != k {
			t.Errorf("opcode 0x%02x (%s): scanner has kind %d, pickletools says %d", code, f[1], argKinds[code], k)
		}
		seen++
	}
	known := 0
	for _, k := range argKinds {
		if k != argInvalid {
			known++
		}
	}
	if known != seen {
		t.Errorf("scanner knows %d opcodes, pickletools %d", known, seen)
	}
}

// needPython returns the path of python3, or skips the test when it is
// missing, unless PICKLE_REQUIRE_PYTHON=1 makes that a failure.
func needPython(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("PICKLE_REQUIRE_PYTHON") == "1" {
			t.Fatalf("python3 not found and PICKLE_REQUIRE_PYTHON=1: %v", err)
		}
		t.Skip("python3 not found; skipping the Python interop test (set PICKLE_REQUIRE_PYTHON=1 to make this fail)")
	}
	return py
}
