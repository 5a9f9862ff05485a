package pickle

import (
	"encoding/binary"
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file holds the machine's scalar opcodes: integers, floats, text and
// bytes in their binary and protocol-0 text forms.

// ErrNoHandler is wrapped by the error for a pickle that needs a hook the
// caller did not configure: persistent ids, extension codes, out-of-band
// buffers.
var ErrNoHandler = errors.New("pickle: no handler configured")

func (m *machine) pushInt(v int64) {
	n := m.newNode(nInt)
	m.nodes[n].a = v
	m.push(n)
}

func (m *machine) pushBig(x *big.Int) {
	if x.IsInt64() {
		m.pushInt(x.Int64())
		return
	}
	n := m.newNode(nBig)
	m.nodes[n].a = int64(len(m.bigs))
	m.bigs = append(m.bigs, x)
	m.push(n)
}

// loadTextInt runs INT: decimal text, where "00" and "01" are False and True.
func (m *machine) loadTextInt() error {
	line, err := m.readLine(int64(m.cfg.maxIntDigits)+8, "MaxIntDigits")
	if err != nil {
		return err
	}
	if string(line) == "00" || string(line) == "01" {
		n := m.newNode(nBool)
		m.nodes[n].a = int64(line[1] - '0')
		m.push(n)
		return nil
	}
	return m.pushTextInteger(line)
}

// loadTextLong runs LONG: decimal text with an optional trailing 'L'.
func (m *machine) loadTextLong() error {
	line, err := m.readLine(int64(m.cfg.maxIntDigits)+8, "MaxIntDigits")
	if err != nil {
		return err
	}
	if len(line) > 0 && line[len(line)-1] == 'L' {
		line = line[:len(line)-1]
	}
	return m.pushTextInteger(line)
}

// pushTextInteger parses an integer as Python's int(text, 0) does: optional
// sign, base prefixes, underscores between digits, surrounding white space.
func (m *machine) pushTextInteger(line []byte) error {
	s := strings.TrimSpace(string(line))
	if digits := countDigits(s); digits > m.cfg.maxIntDigits {
		return m.limitError("MaxIntDigits", int64(m.cfg.maxIntDigits), int64(digits))
	}
	if v, err := strconv.ParseInt(s, 0, 64); err == nil {
		m.pushInt(v)
		return nil
	}
	x, ok := new(big.Int).SetString(s, 0)
	if !ok {
		return m.syntaxError("invalid integer " + quote(string(line)))
	}
	m.pushBig(x)
	return nil
}

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' {
			n++
		}
	}
	return n
}

func (m *machine) loadBinInt() error {
	switch m.op {
	case opBinint1:
		b, err := m.read(1)
		if err != nil {
			return err
		}
		m.pushInt(int64(b[0]))
	case opBinint2:
		b, err := m.read(2)
		if err != nil {
			return err
		}
		m.pushInt(int64(binary.LittleEndian.Uint16(b)))
	default:
		b, err := m.read(4)
		if err != nil {
			return err
		}
		m.pushInt(int64(int32(binary.LittleEndian.Uint32(b))))
	}
	return nil
}

// readSignedPayload reads a signed length of size bytes and the payload it
// announces, refusing a negative length as CPython does.
func (m *machine) readSignedPayload(size int) ([]byte, int, error) {
	n, err := m.readLen(size)
	if err != nil {
		return nil, 0, err
	}
	if n < 0 {
		return nil, 0, m.syntaxError("negative byte count")
	}
	at, err := m.readPayload(n)
	if err != nil {
		return nil, 0, err
	}
	return m.data[at : at+int(n)], at, nil
}

// loadBinLong runs LONG1 and LONG4: little-endian two's complement bytes.
func (m *machine) loadBinLong() error {
	size := 1
	if m.op == opLong4 {
		size = 4
	}
	b, _, err := m.readSignedPayload(size)
	if err != nil {
		return err
	}
	n := len(b)
	if n <= 8 {
		m.pushInt(decodeSmallLong(b))
		return nil
	}
	m.pushBig(decodeLong(b))
	return nil
}

// decodeSmallLong decodes up to 8 bytes of little-endian two's complement.
func decodeSmallLong(b []byte) int64 {
	if len(b) == 0 {
		return 0
	}
	var u uint64
	for i := len(b) - 1; i >= 0; i-- {
		u = u<<8 | uint64(b[i])
	}
	if shift := 64 - 8*len(b); shift > 0 && b[len(b)-1]&0x80 != 0 {
		return int64(u<<shift) >> shift
	}
	return int64(u)
}

// decodeLong decodes little-endian two's complement bytes of any length.
func decodeLong(b []byte) *big.Int {
	be := make([]byte, len(b))
	for i, c := range b {
		be[len(b)-1-i] = c
	}
	x := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return x
}

// loadTextFloat runs FLOAT: text as Python's float() reads it.
func (m *machine) loadTextFloat() error {
	line, err := m.readLine(m.cfg.maxStringLen, "MaxStringLen")
	if err != nil {
		return err
	}
	s := strings.TrimSpace(string(line))
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !(errors.Is(err, strconv.ErrRange) && validFloatText(s)) {
		return m.syntaxError("invalid float " + quote(string(line)))
	}
	if strings.ContainsAny(s, "xXpP") { // Go accepts hex floats; Python's float() does not
		return m.syntaxError("invalid float " + quote(string(line)))
	}
	if math.IsNaN(f) { // CPython's float('nan') bits, not Go's
		f = math.Float64frombits(0x7ff8000000000000)
		if strings.HasPrefix(s, "-") {
			f = math.Float64frombits(0xfff8000000000000)
		}
	}
	n := m.newNode(nFloat)
	m.nodes[n].a = int64(math.Float64bits(f))
	m.push(n)
	return nil
}

func validFloatText(s string) bool {
	return s != "" && !strings.ContainsAny(s, "xXpP")
}

// loadBinBytes runs BINBYTES, SHORT_BINBYTES, BINBYTES8 and BYTEARRAY8.
func (m *machine) loadBinBytes(k nodeKind) error {
	size := 4
	switch m.op {
	case opShortBinbytes:
		size = 1
	case opBinbytes8, opBytearray8:
		size = 8
	}
	n, err := m.readLen(size)
	if err != nil {
		return err
	}
	if size == 4 {
		n = int64(uint32(n)) // BINBYTES's length is unsigned
	}
	at, err := m.readPayload(n)
	if err != nil {
		return err
	}
	m.pushSpan(k, at, n, 0)
	return nil
}

// pushSpan pushes a str, bytes or bytearray node whose payload is
// data[at:at+n] (or side[at:at+n] with flagSide).
func (m *machine) pushSpan(k nodeKind, at int, n int64, flags uint8) {
	i := m.newNode(k)
	nd := &m.nodes[i]
	nd.a, nd.b, nd.flags = int64(at), n, flags
	m.push(i)
}

// pushSide stores b in the side buffer and pushes a node for it.
func (m *machine) pushSide(k nodeKind, b []byte) {
	at := len(m.side)
	m.side = append(m.side, b...)
	m.pushSpan(k, at, int64(len(b)), flagSide)
}

// loadBinUnicode runs BINUNICODE, SHORT_BINUNICODE and BINUNICODE8: UTF-8,
// where lone surrogates (which CPython writes with surrogatepass) are kept.
func (m *machine) loadBinUnicode() error {
	size := 4
	switch m.op {
	case opShortBinunicode:
		size = 1
	case opBinunicode8:
		size = 8
	}
	n, err := m.readLen(size)
	if err != nil {
		return err
	}
	if size == 4 {
		n = int64(uint32(n))
	}
	at, err := m.readPayload(n)
	if err != nil {
		return err
	}
	if !validWTF8(m.data[at : at+int(n)]) {
		return m.syntaxError("invalid UTF-8 in text")
	}
	m.pushSpan(nStr, at, n, 0)
	return nil
}

// validWTF8 reports whether b is UTF-8 in which surrogate code points
// (U+D800 to U+DFFF) may also appear, encoded like any other 3-byte
// character: what Python's "surrogatepass" error handler writes.
func validWTF8(b []byte) bool {
	if utf8.Valid(b) {
		return true
	}
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			if i+2 < len(b) && b[i] == 0xED && b[i+1] >= 0xA0 && b[i+1] <= 0xBF && b[i+2]&0xC0 == 0x80 {
				i += 3
				continue
			}
			return false
		}
		i += size
	}
	return true
}

// appendWTF8 appends code point r as UTF-8, encoding surrogates too.
func appendWTF8(b []byte, r rune) []byte {
	if r >= 0xD800 && r <= 0xDFFF {
		return append(b, 0xED, byte(0x80|(r>>6)&0x3F), byte(0x80|r&0x3F))
	}
	return utf8.AppendRune(b, r)
}

// loadRawUnicode runs UNICODE: a line in raw-unicode-escape, where bytes are
// Latin-1 characters and an odd run of backslashes before 'u' or 'U' starts
// a \uXXXX or \UXXXXXXXX escape.
func (m *machine) loadRawUnicode() error {
	line, err := m.readLine(m.cfg.maxStringLen, "MaxStringLen")
	if err != nil {
		return err
	}
	out, err := decodeRawUnicodeEscape(line)
	if err != nil {
		return m.syntaxError(err.Error())
	}
	m.pushSide(nStr, out)
	return nil
}

func decodeRawUnicodeEscape(in []byte) ([]byte, error) {
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); {
		c := in[i]
		if c != '\\' {
			out = appendWTF8(out, rune(c))
			i++
			continue
		}
		run := i
		for i < len(in) && in[i] == '\\' {
			out = append(out, '\\')
			i++
		}
		if (i-run)%2 == 0 || i == len(in) || (in[i] != 'u' && in[i] != 'U') {
			continue
		}
		out = out[:len(out)-1]
		digits := 4
		if in[i] == 'U' {
			digits = 8
		}
		i++
		if len(in)-i < digits {
			return nil, errors.New("truncated \\uXXXX escape in UNICODE text")
		}
		v, err := strconv.ParseUint(string(in[i:i+digits]), 16, 32)
		if err != nil || strings.ContainsAny(string(in[i:i+digits]), "+-_") {
			return nil, errors.New("bad \\u escape in UNICODE text")
		}
		if v > utf8.MaxRune {
			return nil, errors.New("\\Uxxxxxxxx out of range in UNICODE text")
		}
		out = appendWTF8(out, rune(v))
		i += digits
	}
	return out, nil
}

// loadQuotedString runs STRING: a quoted Python 2 byte string literal.
func (m *machine) loadQuotedString() error {
	line, err := m.readLine(m.cfg.maxStringLen, "MaxStringLen")
	if err != nil {
		return err
	}
	if len(line) < 2 || line[0] != line[len(line)-1] || (line[0] != '\'' && line[0] != '"') {
		return m.syntaxError("the STRING opcode argument must be quoted")
	}
	raw, err := decodeEscapes(line[1 : len(line)-1])
	if err != nil {
		return m.syntaxError(err.Error())
	}
	return m.pushPy2String(raw, -1)
}

// decodeEscapes decodes the escapes of a Python byte string literal, as
// codecs.escape_decode does.
func decodeEscapes(in []byte) ([]byte, error) {
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); i++ {
		c := in[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i == len(in) {
			return nil, errors.New("trailing \\ in string")
		}
		switch c = in[i]; c {
		case '\n':
		case '\\', '\'', '"':
			out = append(out, c)
		case 'a':
			out = append(out, 7)
		case 'b':
			out = append(out, 8)
		case 'f':
			out = append(out, 12)
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'v':
			out = append(out, 11)
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := int(c - '0')
			for k := 0; k < 2 && i+1 < len(in) && in[i+1] >= '0' && in[i+1] <= '7'; k++ {
				i++
				v = v*8 + int(in[i]-'0')
			}
			out = append(out, byte(v))
		case 'x':
			if i+2 >= len(in) {
				return nil, errors.New("invalid \\x escape")
			}
			v, err := strconv.ParseUint(string(in[i+1:i+3]), 16, 8)
			if err != nil || strings.ContainsAny(string(in[i+1:i+3]), "+-_") {
				return nil, errors.New("invalid \\x escape")
			}
			out = append(out, byte(v))
			i += 2
		default:
			out = append(out, '\\', c)
		}
	}
	return out, nil
}

// loadBinString runs BINSTRING and SHORT_BINSTRING.
func (m *machine) loadBinString() error {
	size := 4
	if m.op == opShortBinstring {
		size = 1
	}
	b, at, err := m.readSignedPayload(size)
	if err != nil {
		return err
	}
	return m.pushPy2String(b, at)
}

// pushPy2String pushes a Python 2 str per the Encoding option: as bytes, or
// as text decoded from the named codec. at is the payload's offset in data,
// or -1 if raw is not a slice of data.
func (m *machine) pushPy2String(raw []byte, at int) error {
	switch strings.ToLower(m.cfg.strEncoding) {
	case "bytes":
		if at >= 0 {
			m.pushSpan(nBytes, at, int64(len(raw)), 0)
		} else {
			m.pushSide(nBytes, raw)
		}
		return nil
	case "latin1", "latin-1", "iso-8859-1", "iso8859-1", "l1":
		out := make([]byte, 0, len(raw)+8)
		for _, c := range raw {
			out = utf8.AppendRune(out, rune(c))
		}
		m.pushSide(nStr, out)
		return nil
	case "utf-8", "utf8":
		if !utf8.Valid(raw) {
			return m.syntaxError("Python 2 str is not valid UTF-8 (see the Encoding option)")
		}
	default: // ASCII
		for _, c := range raw {
			if c >= utf8.RuneSelf {
				return m.syntaxError("Python 2 str is not ASCII; decode it with Encoding(\"latin1\") or Encoding(\"bytes\")")
			}
		}
	}
	if at >= 0 {
		m.pushSpan(nStr, at, int64(len(raw)), 0)
	} else {
		m.pushSide(nStr, raw)
	}
	return nil
}

// parseDecimalIndex parses the decimal argument of text PUT and GET.
func parseDecimalIndex(b []byte) (uint64, bool) {
	s := strings.TrimSpace(string(b))
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil
}

func uitoa(u uint64) string { return strconv.FormatUint(u, 10) }
func itoa(i int64) string   { return strconv.FormatInt(i, 10) }

type bigFloat = big.Float

func floatBits(f float64) uint64 { return math.Float64bits(f) }
func bitsFloat(u uint64) float64 { return math.Float64frombits(u) }
