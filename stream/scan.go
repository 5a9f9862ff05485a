package stream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// This file finds record boundaries without decoding: it walks the opcodes
// of one pickle, skipping their arguments by the argument's declared size,
// until STOP. It allocates nothing per record and never reads a payload, so
// counting the records of a log costs one pass over its opcodes.
//
// The walk is also what tells a torn tail from corruption: running out of
// input before STOP means the record was cut short, while a byte that is no
// opcode at all means the bytes are damaged (see classifyTail).

// argKind says how an opcode's argument is laid out after the opcode byte.
type argKind uint8

const (
	argInvalid    argKind = iota // not an opcode
	argNone                      // no argument
	argFixed1                    // 1 byte
	argFixed2                    // 2 bytes
	argFixed4                    // 4 bytes
	argFixed8                    // 8 bytes
	argLen1                      // 1-byte length, then that many bytes
	argLen4                      // 4-byte unsigned little-endian length, then the bytes
	argLen4Signed                // 4-byte signed little-endian length (negative is invalid)
	argLen8                      // 8-byte unsigned little-endian length, then the bytes
	argLine                      // text up to and including '\n'
	argTwoLines                  // two '\n'-terminated lines (GLOBAL, INST)
)

const opStop = '.'

// argKinds is the argument layout of every opcode of protocols 0 to 5, as
// pickletools documents them; every other byte is argInvalid.
var argKinds = func() (t [256]argKind) {
	set := func(k argKind, codes ...byte) {
		for _, c := range codes {
			t[c] = k
		}
	}
	set(argNone, '(', '.', '0', '1', '2', 'N', 'Q', 'R', 'a', 'b', 'd', 'e', 'l', 'o', 's', 't', 'u', '}', ')', ']',
		0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x97, 0x98)
	set(argFixed1, 'K', 'h', 'q', 0x80, 0x82)            // BININT1 BINGET BINPUT PROTO EXT1
	set(argFixed2, 'M', 0x83)                            // BININT2 EXT2
	set(argFixed4, 'J', 'j', 'r', 0x84)                  // BININT LONG_BINGET LONG_BINPUT EXT4
	set(argFixed8, 'G', 0x95)                            // BINFLOAT FRAME
	set(argLen1, 'U', 'C', 0x8a, 0x8c)                   // SHORT_BINSTRING SHORT_BINBYTES LONG1 SHORT_BINUNICODE
	set(argLen4, 'B', 'X')                               // BINBYTES BINUNICODE
	set(argLen4Signed, 'T', 0x8b)                        // BINSTRING LONG4
	set(argLen8, 0x8d, 0x8e, 0x96)                       // BINUNICODE8 BINBYTES8 BYTEARRAY8
	set(argLine, 'I', 'L', 'S', 'V', 'F', 'g', 'p', 'P') // INT LONG STRING UNICODE FLOAT GET PUT PERSID
	set(argTwoLines, 'c', 'i')                           // GLOBAL INST
	return t
}()

// errShort is the scanner's internal signal that the input ended before the
// record's STOP opcode.
var errShort = errors.New("input ends inside the record")

// badOpcode is the scanner's internal report of a byte that cannot be where
// it is: an unknown opcode or a negative length.
type badOpcode struct {
	pos int64 // absolute offset of the opcode
	msg string
}

func (e *badOpcode) Error() string { return fmt.Sprintf("%s at offset %d", e.msg, e.pos) }

// scanner reads a file through a window buffer by absolute position.
type scanner struct {
	r      io.ReaderAt
	limit  int64 // bytes past this offset are not looked at
	buf    []byte
	bufOff int64 // file offset of buf[0]
}

const scanWindow = 64 << 10

func newScanner(r io.ReaderAt, limit int64) *scanner {
	return &scanner{r: r, limit: limit, buf: make([]byte, 0, scanWindow)}
}

// fill makes the window start at pos and hold up to scanWindow bytes.
func (s *scanner) fill(pos int64) error {
	n := int64(cap(s.buf))
	if rest := s.limit - pos; rest < n {
		n = rest
	}
	s.buf = s.buf[:n]
	s.bufOff = pos
	got, err := s.r.ReadAt(s.buf, pos)
	s.buf = s.buf[:got]
	if got == int(n) {
		return nil
	}
	if err == nil || err == io.EOF {
		// The file is shorter than limit said: it shrank under us.
		return errShort
	}
	return err
}

// peek returns the n bytes at pos (n <= 8), or errShort past the limit.
func (s *scanner) peek(pos int64, n int) ([]byte, error) {
	if pos+int64(n) > s.limit {
		return nil, errShort
	}
	if pos < s.bufOff || pos+int64(n) > s.bufOff+int64(len(s.buf)) {
		if err := s.fill(pos); err != nil {
			return nil, err
		}
		if len(s.buf) < n {
			return nil, errShort
		}
	}
	i := pos - s.bufOff
	return s.buf[i : i+int64(n)], nil
}

// skipLine returns the position after the next '\n' at or after pos.
func (s *scanner) skipLine(pos int64) (int64, error) {
	for {
		if pos >= s.limit {
			return 0, errShort
		}
		if pos < s.bufOff || pos >= s.bufOff+int64(len(s.buf)) {
			if err := s.fill(pos); err != nil {
				return 0, err
			}
		}
		window := s.buf[pos-s.bufOff:]
		for i, c := range window {
			if c == '\n' {
				return pos + int64(i) + 1, nil
			}
		}
		pos += int64(len(window))
	}
}

// skipRecord walks one pickle starting at off and returns the offset just
// past its STOP opcode. It returns errShort if the input ends first, a
// *badOpcode for a byte that cannot be an opcode, or a read error.
func (s *scanner) skipRecord(off int64) (int64, error) {
	pos := off
	for {
		b, err := s.peek(pos, 1)
		if err != nil {
			return 0, err
		}
		op := b[0]
		opPos := pos
		pos++
		switch argKinds[op] {
		case argInvalid:
			return 0, &badOpcode{opPos, fmt.Sprintf("invalid opcode 0x%02x", op)}
		case argNone:
			if op == opStop {
				return pos, nil
			}
		case argFixed1:
			pos++
		case argFixed2:
			pos += 2
		case argFixed4:
			pos += 4
		case argFixed8:
			pos += 8
		case argLen1:
			n, err := s.peek(pos, 1)
			if err != nil {
				return 0, err
			}
			pos += 1 + int64(n[0])
		case argLen4, argLen4Signed:
			n, err := s.peek(pos, 4)
			if err != nil {
				return 0, err
			}
			size := int64(binary.LittleEndian.Uint32(n))
			if argKinds[op] == argLen4Signed && size >= 1<<31 {
				return 0, &badOpcode{opPos, fmt.Sprintf("negative length for opcode 0x%02x", op)}
			}
			pos += 4 + size
		case argLen8:
			n, err := s.peek(pos, 8)
			if err != nil {
				return 0, err
			}
			size := binary.LittleEndian.Uint64(n)
			if size > uint64(s.limit) {
				return 0, errShort
			}
			pos += 8 + int64(size)
		case argLine:
			if pos, err = s.skipLine(pos); err != nil {
				return 0, err
			}
		case argTwoLines:
			if pos, err = s.skipLine(pos); err != nil {
				return 0, err
			}
			if pos, err = s.skipLine(pos); err != nil {
				return 0, err
			}
		}
		if pos > s.limit {
			return 0, errShort
		}
	}
}

// allZero reports whether every byte in [pos, s.limit) is zero.
func (s *scanner) allZero(pos int64) (bool, error) {
	for pos < s.limit {
		if err := s.fill(pos); err != nil {
			return false, err
		}
		for _, c := range s.buf {
			if c != 0 {
				return false, nil
			}
		}
		pos += int64(len(s.buf))
	}
	return true, nil
}

// scanResult describes a log file's structure.
type scanResult struct {
	count int64 // complete records
	end   int64 // offset just past the last complete record
	// damage is nil, a *TornError (the bytes from end to the limit are an
	// unfinished record) or a *CorruptError (the bytes at end are not a
	// record and more data follows).
	damage error
}

// scanAll walks every record of r up to limit, calling each (if not nil)
// with each complete record's bounds; each may stop the walk by returning
// false.
func scanAll(r io.ReaderAt, limit int64, each func(off, end int64) bool) (scanResult, error) {
	s := newScanner(r, limit)
	var res scanResult
	for res.end < limit {
		end, err := s.skipRecord(res.end)
		if err != nil {
			damage, err := s.classifyTail(res.end, err)
			if err != nil {
				return res, err
			}
			res.damage = damage
			return res, nil
		}
		if each != nil && !each(res.end, end) {
			return res, nil
		}
		res.count++
		res.end = end
	}
	return res, nil
}

// classifyTail decides what the bytes from off (a record boundary) to the
// limit are, given the error the walk of the record at off stopped with:
//
//   - the input ended before STOP: a torn tail, the record was cut short;
//   - a byte that is no opcode, with only zero bytes from there to the end:
//     also a torn tail (a file system may extend a file with zeros before
//     the data reaches the disk);
//   - a byte that is no opcode followed by any nonzero byte: corruption.
//
// It returns a read error as its second result.
func (s *scanner) classifyTail(off int64, walkErr error) (damage, err error) {
	size := s.limit - off
	if errors.Is(walkErr, errShort) {
		next, err := s.findChain(off + 1)
		if err != nil {
			return nil, err
		}
		if next >= 0 {
			return &CorruptError{Offset: off, Err: fmt.Errorf("the record does not end before the end of the file, yet complete records follow from offset %d", next)}, nil
		}
		return &TornError{Offset: off, Size: size}, nil
	}
	var bad *badOpcode
	if !errors.As(walkErr, &bad) {
		return nil, walkErr
	}
	zero, err := s.allZero(bad.pos)
	if err != nil {
		return nil, err
	}
	if zero {
		return &TornError{Offset: off, Size: size, ZeroFilled: true}, nil
	}
	return &CorruptError{Offset: off, Err: bad}, nil
}

// findChain looks in [from, limit) for a chain of complete records that
// starts with a PROTO opcode and ends exactly at the limit, and returns the
// offset of the first such chain, or -1. Such a chain after a record that
// runs past the end of the file shows that the record's length is damaged
// (a torn write leaves nothing complete after it), so truncating there
// would throw away good records. Records of protocol 0 and 1 have no PROTO
// opcode and are not found.
//
// Each candidate is walked once: candidates are taken from the last to the
// first, and a chain from p is known as soon as p's record ends at the limit
// or at a candidate already known to start a chain.
func (s *scanner) findChain(from int64) (int64, error) {
	candidates, err := s.protoCandidates(from)
	if err != nil {
		return -1, err
	}
	chains := make(map[int64]bool, len(candidates))
	first := int64(-1)
	for i := len(candidates) - 1; i >= 0; i-- {
		p := candidates[i]
		end, err := s.skipRecord(p)
		var bad *badOpcode
		switch {
		case errors.Is(err, errShort) || errors.As(err, &bad):
			continue
		case err != nil:
			return -1, err
		}
		if end == s.limit || chains[end] {
			chains[p] = true
			first = p
		}
	}
	return first, nil
}

// maxCandidates bounds the work of findChain on a tail full of bytes that
// look like PROTO opcodes.
const maxCandidates = 1 << 16

// protoCandidates lists the offsets in [from, limit) holding a PROTO opcode
// with a known protocol (0x80 followed by 0 to 5).
func (s *scanner) protoCandidates(from int64) ([]int64, error) {
	var out []int64
	for pos := from; pos+1 < s.limit && len(out) < maxCandidates; {
		if err := s.fill(pos); err != nil {
			return nil, err
		}
		for i := 0; i+1 < len(s.buf); i++ {
			if s.buf[i] == 0x80 && s.buf[i+1] <= 5 {
				out = append(out, s.bufOff+int64(i))
			}
		}
		pos += int64(len(s.buf)) - 1
	}
	return out, nil
}
