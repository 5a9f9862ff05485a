package pickle

// Opcode coverage: every opcode of CPython's table must be exercised by a
// decoding test input (the golden corpus and its hand-assembled vectors),
// and the table itself must match pickletools.opcodes when python3 is here.

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// hookOpcodes need hooks the decoder does not have yet (persistent_load, the
// extension registry, out-of-band buffers): covering them means the decoder
// rejects them cleanly (or, for READONLY_BUFFER on bytes, does what CPython
// does).
var hookOpcodes = []byte{opPersid, opBinpersid, opExt1, opExt2, opExt4, opNextBuffer, opReadonlyBuffer}

// walkOpcodes lists the opcodes of the first pickle in data, using the
// argument layout of the opcodes table. FRAME's argument is its length; the
// walk continues into the frame, as the frame holds ordinary opcodes.
func walkOpcodes(data []byte) ([]byte, error) {
	var ops []byte
	pos := 0
	for pos < len(data) {
		code := data[pos]
		info := opcodes[code]
		if info.name == "" {
			return ops, fmt.Errorf("unknown opcode 0x%02x at offset %d", code, pos)
		}
		ops = append(ops, code)
		n, err := argLen(info.arg, data[pos+1:])
		if err != nil {
			return ops, fmt.Errorf("%s at offset %d: %w", info.name, pos, err)
		}
		pos += 1 + n
		if code == opStop {
			return ops, nil
		}
	}
	return ops, errors.New("no STOP")
}

// argLen returns the length of an opcode argument at the start of b.
func argLen(kind argKind, b []byte) (int, error) {
	fixed := map[argKind]int{argNone: 0, argUint1: 1, argUint2: 2, argInt4: 4, argUint4: 4,
		argUint8: 8, argFloat8: 8}
	if n, ok := fixed[kind]; ok {
		return need(b, n)
	}
	switch kind {
	case argDecimalNLShort, argDecimalNLLong, argFloatNL, argStringNL, argStringNLNoEscape, argUnicodeStringNL:
		return lineLen(b, 1)
	case argStringNLNoEscapePair:
		return lineLen(b, 2)
	case argLong1, argString1, argBytes1, argUnicodeString1:
		return counted(b, 1)
	case argLong4, argString4, argBytes4, argUnicodeString4:
		return counted(b, 4)
	case argBytes8, argUnicodeString8, argBytearray8:
		return counted(b, 8)
	}
	return 0, fmt.Errorf("argument kind %d unknown to the walker", kind)
}

func need(b []byte, n int) (int, error) {
	if len(b) < n {
		return 0, errors.New("truncated argument")
	}
	return n, nil
}

// lineLen returns the length of lines newline-terminated lines.
func lineLen(b []byte, lines int) (int, error) {
	n := 0
	for range lines {
		i := slices.Index(b[n:], '\n')
		if i < 0 {
			return 0, errors.New("unterminated line")
		}
		n += i + 1
	}
	return n, nil
}

// counted returns the length of a size-prefixed argument: a little-endian
// size of width bytes, then that many bytes.
func counted(b []byte, width int) (int, error) {
	if len(b) < width {
		return 0, errors.New("truncated length")
	}
	var size uint64
	switch width {
	case 1:
		size = uint64(b[0])
	case 4:
		size = uint64(binary.LittleEndian.Uint32(b))
	case 8:
		size = binary.LittleEndian.Uint64(b)
	}
	if size > uint64(len(b)-width) {
		return 0, errors.New("length beyond the input")
	}
	return width + int(size), nil
}

// TestOpcodeCoverage walks every golden pickle and vector, decodes it, and
// counts an opcode as exercised when an input containing it decodes
// successfully (hook opcodes: when their vector is rejected with a typed
// error, or accepted where CPython accepts it). It fails if an opcode of the
// table is never exercised.
func TestOpcodeCoverage(t *testing.T) {
	m := loadGolden(t)
	exercised := map[byte]int{}
	seen := map[byte]int{}
	for _, c := range m.Cases {
		for _, f := range c.Files {
			data := readGolden(t, f.File)
			ops, err := walkOpcodes(data)
			if err != nil {
				t.Errorf("%s: opcode walk: %v", f.File, err)
				continue
			}
			for _, op := range ops {
				seen[op]++
			}
			_, derr := safeUnmarshal(data, c.decodeOpts()...)
			ok := derr == nil
			if c.Kind == "hook" {
				ok = (derr == nil && c.CPython == "ok") || (derr != nil && isPackageError(derr))
			}
			if !ok {
				continue // TestGoldenDecode and TestGoldenHookVectors report it
			}
			for _, op := range ops {
				exercised[op]++
			}
		}
	}
	var missing, unseen []string
	for _, e := range opcodeTable {
		if seen[e.code] == 0 {
			unseen = append(unseen, e.info.name)
		}
		if exercised[e.code] == 0 {
			missing = append(missing, e.info.name)
		}
	}
	t.Logf("%d opcodes in the table; %d appear in the corpus; %d exercised by inputs the decoder handles",
		len(opcodeTable), len(opcodeTable)-len(unseen), len(opcodeTable)-len(missing))
	if len(unseen) > 0 {
		t.Errorf("opcodes in no golden input at all (add vectors to testdata/gen.py): %s", strings.Join(unseen, " "))
	}
	if len(missing) > 0 {
		t.Errorf("opcodes present only in inputs the decoder fails on: %s", strings.Join(missing, " "))
	}
	for _, op := range hookOpcodes {
		if seen[op] == 0 {
			t.Errorf("hook opcode %s has no vector", opName(op))
		}
	}
}

// TestOpcodeTableShape checks the table's internal consistency: 68 opcodes,
// no code listed twice, the [256] index agreeing with the list.
func TestOpcodeTableShape(t *testing.T) {
	if len(opcodeTable) != 68 {
		t.Errorf("opcodeTable has %d entries; protocols 0-5 define 68", len(opcodeTable))
	}
	codes := map[byte]string{}
	names := map[string]bool{}
	for _, e := range opcodeTable {
		if prev, dup := codes[e.code]; dup {
			t.Errorf("code 0x%02x listed twice: %s and %s", e.code, prev, e.info.name)
		}
		if names[e.info.name] {
			t.Errorf("name %s listed twice", e.info.name)
		}
		codes[e.code] = e.info.name
		names[e.info.name] = true
		if opcodes[e.code] != e.info {
			t.Errorf("opcodes[0x%02x] = %+v, table says %+v", e.code, opcodes[e.code], e.info)
		}
	}
	for b := range 256 {
		if _, listed := codes[byte(b)]; !listed && opcodes[b].name != "" {
			t.Errorf("opcodes[0x%02x] = %s but the code is not in opcodeTable", b, opcodes[b].name)
		}
	}
}

// pickletoolsArgNames maps argKind to pickletools' ArgumentDescriptor names.
var pickletoolsArgNames = map[argKind]string{
	argNone: "", argUint1: "uint1", argUint2: "uint2", argInt4: "int4", argUint4: "uint4",
	argUint8: "uint8", argDecimalNLShort: "decimalnl_short", argDecimalNLLong: "decimalnl_long",
	argFloatNL: "floatnl", argStringNL: "stringnl", argStringNLNoEscape: "stringnl_noescape",
	argStringNLNoEscapePair: "stringnl_noescape_pair", argUnicodeStringNL: "unicodestringnl",
	argFloat8: "float8", argLong1: "long1", argLong4: "long4", argString1: "string1",
	argString4: "string4", argBytes1: "bytes1", argBytes4: "bytes4", argBytes8: "bytes8",
	argUnicodeString1: "unicodestring1", argUnicodeString4: "unicodestring4",
	argUnicodeString8: "unicodestring8", argBytearray8: "bytearray8",
}

// TestOpcodeTableMatchesPickletools compares the table, entry by entry and
// in order, with python3's pickletools.opcodes: name, code, protocol and
// argument kind.
func TestOpcodeTableMatchesPickletools(t *testing.T) {
	python := requirePython(t)
	const script = `import json, pickletools
print(json.dumps([[o.name, ord(o.code), o.proto, o.arg.name if o.arg else ""] for o in pickletools.opcodes]))`
	out, err := exec.Command(python, "-c", script).Output()
	if err != nil {
		t.Fatalf("python3 pickletools: %v", err)
	}
	var py [][]any
	if err := json.Unmarshal(out, &py); err != nil {
		t.Fatalf("pickletools output: %v", err)
	}
	if len(py) != len(opcodeTable) {
		t.Errorf("pickletools lists %d opcodes, opcodeTable %d", len(py), len(opcodeTable))
	}
	for i := range min(len(py), len(opcodeTable)) {
		e := opcodeTable[i]
		want := fmt.Sprint(py[i]...)
		got := fmt.Sprint(e.info.name, float64(e.code), float64(e.info.proto), pickletoolsArgNames[e.info.arg])
		if got != want {
			t.Errorf("entry %d: opcodeTable has %s, pickletools has %s", i, got, want)
		}
	}
	for k := range argBytearray8 + 1 {
		if _, ok := pickletoolsArgNames[k]; !ok {
			t.Errorf("argKind %d has no pickletools name in this test", k)
		}
	}
}
