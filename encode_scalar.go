package pickle

import (
	"encoding/binary"
	"math"
	"math/big"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// This file writes the immutable Python values: None, bool, int, float,
// complex, str and bytes, with the opcodes CPython's pickler picks for each
// protocol.

func (e *encodeState) writeNone() {
	e.op(opNone)
}

func (e *encodeState) writeBool(b bool) {
	switch {
	case e.proto >= 2 && b:
		e.op(opNewtrue)
	case e.proto >= 2:
		e.op(opNewfalse)
	case b:
		e.opBytes(opInt, []byte("01\n"))
	default:
		e.opBytes(opInt, []byte("00\n"))
	}
}

// writeInt writes a Python int, as save_long does.
func (e *encodeState) writeInt(x int64) {
	if e.proto >= 1 {
		switch {
		case x >= 0 && x <= 0xff:
			e.op1(opBinint1, byte(x))
			return
		case x >= 0 && x <= 0xffff:
			e.buf = append(e.buf, opBinint2, byte(x), byte(x>>8))
			return
		case x >= math.MinInt32 && x <= math.MaxInt32:
			e.opUint32(opBinint, uint32(int32(x)))
			return
		}
	}
	if e.proto >= 2 {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(x))
		e.writeLong1(b[:longLen64(x)])
		return
	}
	if x >= math.MinInt32 && x <= math.MaxInt32 {
		e.buf = append(e.buf, opInt)
		e.buf = strconv.AppendInt(e.buf, x, 10)
		e.buf = append(e.buf, '\n')
		return
	}
	e.buf = append(e.buf, opLong)
	e.buf = strconv.AppendInt(e.buf, x, 10)
	e.buf = append(e.buf, 'L', '\n')
}

// longLen64 is the number of bytes of the shortest little-endian two's
// complement form of x, as pickle.encode_long makes it (0 for zero).
func longLen64(x int64) int {
	if x == 0 {
		return 0
	}
	n := 1
	for n < 8 && (x < -(1<<(8*n-1)) || x >= 1<<(8*n-1)) {
		n++
	}
	return n
}

// writeUint writes an unsigned Go integer as a Python int.
func (e *encodeState) writeUint(x uint64) {
	if x <= math.MaxInt64 {
		e.writeInt(int64(x))
		return
	}
	e.writeBigInt(new(big.Int).SetUint64(x))
}

// writeBigInt writes a Python int of any size.
func (e *encodeState) writeBigInt(x *big.Int) {
	if x.IsInt64() {
		e.writeInt(x.Int64())
		return
	}
	if e.proto >= 2 {
		e.writeLong1(twosComplement(x))
		return
	}
	e.buf = append(e.buf, opLong)
	e.buf = x.Append(e.buf, 10)
	e.buf = append(e.buf, 'L', '\n')
}

// writeLong1 writes LONG1 or LONG4 with the encoded bytes.
func (e *encodeState) writeLong1(b []byte) {
	if len(b) < 256 {
		e.buf = append(e.buf, opLong1, byte(len(b)))
		e.buf = append(e.buf, b...)
		return
	}
	e.opUint32(opLong4, uint32(len(b)))
	e.buf = append(e.buf, b...)
}

// twosComplement returns the shortest little-endian two's complement bytes
// of x (x does not fit in int64, so it is not zero).
func twosComplement(x *big.Int) []byte {
	n := x.BitLen()/8 + 1 // room for the sign bit
	b := make([]byte, n)
	if x.Sign() >= 0 {
		x.FillBytes(b)
	} else {
		// 2**(8n) + x, which fits in n bytes since -x <= 2**(8n-1).
		m := new(big.Int).Lsh(big.NewInt(1), uint(8*n))
		m.Add(m, x)
		m.FillBytes(b)
		// A negative value one byte shorter: drop a redundant 0xff.
		if n > 1 && b[0] == 0xff && b[1]&0x80 != 0 {
			b = b[1:]
		}
	}
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return b
}

// writeFloat writes a Python float.
func (e *encodeState) writeFloat(f float64) {
	if e.proto >= 1 {
		e.buf = append(e.buf, opBinfloat)
		e.buf = binary.BigEndian.AppendUint64(e.buf, math.Float64bits(f))
		return
	}
	e.buf = append(e.buf, opFloat)
	e.buf = appendFloatRepr(e.buf, f)
	e.buf = append(e.buf, '\n')
}

// appendFloatRepr appends Python's repr of f: the shortest digits that
// round trip, in positional form for decimal exponents -4 to 15 (always
// with a fraction part) and in scientific form with a two-digit exponent
// otherwise; "inf", "-inf" and "nan".
func appendFloatRepr(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "nan"...)
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	var tmp [32]byte
	s := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
		b = append(b, '-')
	}
	ePos := 0
	for ePos < len(s) && s[ePos] != 'e' {
		ePos++
	}
	exp, _ := strconv.Atoi(string(s[ePos+1:]))
	var digits []byte
	digits = append(digits, s[0])
	if ePos > 1 {
		digits = append(digits, s[2:ePos]...)
	}
	decpt := exp + 1 // value = 0.DIGITS * 10**decpt
	if decpt > -4 && decpt <= 16 {
		switch {
		case decpt <= 0:
			b = append(b, '0', '.')
			for i := 0; i < -decpt; i++ {
				b = append(b, '0')
			}
			b = append(b, digits...)
		case decpt >= len(digits):
			b = append(b, digits...)
			for i := len(digits); i < decpt; i++ {
				b = append(b, '0')
			}
			b = append(b, '.', '0')
		default:
			b = append(b, digits[:decpt]...)
			b = append(b, '.')
			b = append(b, digits[decpt:]...)
		}
		return b
	}
	b = append(b, digits[0])
	if len(digits) > 1 {
		b = append(b, '.')
		b = append(b, digits[1:]...)
	}
	b = append(b, 'e')
	if exp < 0 {
		b = append(b, '-')
		exp = -exp
	} else {
		b = append(b, '+')
	}
	if exp < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(exp), 10)
}

// writeComplex writes builtins.complex(real, imag), as complex.__reduce__
// makes CPython write it.
func (e *encodeState) writeComplex(c complex128) error {
	if err := e.writeGlobal(Global{"builtins", "complex"}); err != nil {
		return err
	}
	err := e.writeTransientTuple2(func() error { e.boundary(); e.writeFloat(real(c)); return nil },
		func() error { e.boundary(); e.writeFloat(imag(c)); return nil })
	if err != nil {
		return err
	}
	e.op(opReduce)
	e.memoize()
	return nil
}

// ---- str ----

// strKey is the memo identity of a Go string: its bytes in memory, with all
// empty strings one object as in CPython.
func strKey(s string) memoKey {
	if len(s) == 0 {
		return memoKey{kind: memoEmptyStr}
	}
	// CPython keeps one object for each one-character str below U+0100, so
	// such strings are one object however they were made.
	if len(s) == 1 && s[0] < 0x80 {
		return memoKey{n: int(s[0]), kind: memoChar1}
	}
	if len(s) == 2 && s[0] >= 0xC2 && s[0] <= 0xC3 && s[1]&0xC0 == 0x80 {
		return memoKey{n: int(s[0]&0x1F)<<6 | int(s[1]&0x3F), kind: memoChar1}
	}
	return memoKey{p: unsafe.Pointer(unsafe.StringData(s)), n: len(s), kind: memoStr}
}

// writeString writes a Go string as a Python str, memoized by identity.
func (e *encodeState) writeString(s string) error {
	l := &e.memo.lazy
	n := len(s)
	if e.proto < 1 || n < 2 || n > 0xff || !l.active || n == 2 && (s[0]|s[1]) >= 0x80 {
		// (A str of two ASCII bytes is taken here as a longer one is; one
		// of one character is one object in CPython, whatever its bytes.)
		return e.writeStrMemo(s)
	}
	// The usual strs of a large pickle, told apart at once by the lazy
	// memo index: new for certain, when the str's page is not indexed and
	// its start was not marked (which it now is): it is memoized at the
	// next index and written; or a repeat of a str seen often, when its
	// page is indexed and it is in the hot cache. Else the full lookup
	// must tell. (A str of the exact table is never taken for new: its
	// start is marked or its page indexed.)
	src := unsafe.Pointer(unsafe.StringData(s))
	key := uintptr(src)
	pg := &l.seen.recent[pageNumber(key)%addrRecent]
	if pg.page != pageNumber(key) {
		if pg = e.memo.recentPage(key); pg == nil {
			return e.writeStrMemo(s)
		}
	}
	if pg.indexed {
		hot := &l.hot[strHash(key, uint32(n))>>(64-hotStrBits)]
		if hot.p == key && hot.n == uint32(n) {
			if hot.idx < 256 {
				e.op1(opBinget, byte(hot.idx)) // get's usual case, inlined
			} else {
				e.get(int(hot.idx))
			}
			return nil
		}
		return e.writeStrMemo(s)
	}
	if l.seen.testAndSet(pg, key) {
		return e.writeStrMemo(s)
	}
	l.freshStrs = append(l.freshStrs, freshStr{key, uint32(n), uint32(e.nmemo)})
	if e.proto < 4 {
		return e.writeNewBinStr(s)
	}
	// writeShortStr, inlined.
	if n > maxWordText {
		return e.writeShortStrSlow(s)
	}
	e.reserve(n + 3)
	at := len(e.buf)
	dst := unsafe.Add(unsafe.Pointer(unsafe.SliceData(e.buf)), at)
	if n == 2 {
		// Two ASCII bytes (checked above).
		b := (*[2]byte)(src)
		*(*[5]byte)(dst) = [5]byte{opShortBinunicode, 2, b[0], b[1], opMemoize}
	} else if n == 3 {
		// Too short for copyText's words: three bytes, ASCII or checked.
		b := (*[3]byte)(src)
		if (b[0]|b[1]|b[2])&0x80 != 0 && !validText(s) {
			return e.writeStrBody(s) // the error
		}
		*(*[6]byte)(dst) = [6]byte{opShortBinunicode, 3, b[0], b[1], b[2], opMemoize}
	} else {
		*(*[2]byte)(dst) = [2]byte{opShortBinunicode, byte(n)}
		if !copyText(unsafe.Add(dst, 2), src, n) {
			return e.writeStrBody(s) // the error
		}
		*(*byte)(unsafe.Add(dst, 2+n)) = opMemoize
	}
	e.buf = e.buf[:at+n+3]
	e.nmemo++
	return nil
}

// writeNewBinStr writes the new str s of 2 (ASCII) to 255 bytes at protocols 1 to
// 3, BINUNICODE and BINPUT (or LONG_BINPUT) in one go, as writeString does
// at protocol 4 (writeStrBody and memoize would write the same).
func (e *encodeState) writeNewBinStr(s string) error {
	n := len(s)
	if n > maxWordText {
		if err := e.writeStrBody(s); err != nil {
			return err
		}
		e.memoize()
		return nil
	}
	e.reserve(n + 10)
	at := len(e.buf)
	dst := unsafe.Add(unsafe.Pointer(unsafe.SliceData(e.buf)), at)
	src := unsafe.Pointer(unsafe.StringData(s))
	*(*byte)(dst) = opBinunicode
	binary.LittleEndian.PutUint32((*[4]byte)(unsafe.Add(dst, 1))[:], uint32(n))
	if n == 2 {
		*(*[2]byte)(unsafe.Add(dst, 5)) = *(*[2]byte)(src) // ASCII, checked by writeString
	} else if n == 3 {
		b := (*[3]byte)(src)
		if (b[0]|b[1]|b[2])&0x80 != 0 && !validText(s) {
			return e.writeStrBody(s) // the error
		}
		*(*[3]byte)(unsafe.Add(dst, 5)) = *b
	} else if !copyText(unsafe.Add(dst, 5), src, n) {
		return e.writeStrBody(s) // the error
	}
	end := at + 5 + n
	put := unsafe.Add(dst, 5+n)
	if idx := e.nmemo; idx < 256 {
		*(*[2]byte)(put) = [2]byte{opBinput, byte(idx)}
		end += 2
	} else {
		*(*byte)(put) = opLongBinput
		binary.LittleEndian.PutUint32((*[4]byte)(unsafe.Add(put, 1))[:], uint32(idx))
		end += 5
	}
	e.nmemo++
	e.buf = e.buf[:end]
	return nil
}

// writeStrMemo is writeString through the full memo lookup, which also
// reserves the str's memo index (a str has no parts, so its index is known
// before it is written).
func (e *encodeState) writeStrMemo(s string) error {
	idx, found := e.memo.getOrPutStr(s, e.nmemo)
	if found {
		e.get(idx)
		return nil
	}
	if e.proto >= 4 && len(s) <= 0xff {
		return e.writeShortStr(s)
	}
	if err := e.writeStrBody(s); err != nil {
		return err
	}
	e.memoize()
	return nil
}

// writeShortStr writes the new str s of at most 255 bytes at protocol 4 or
// more, SHORT_BINUNICODE and MEMOIZE in one go (writeStrBody and memoize
// would write the same), copying and checking the text in one pass.
func (e *encodeState) writeShortStr(s string) error {
	n := len(s)
	if n < 4 || n > maxWordText {
		return e.writeShortStrSlow(s)
	}
	e.reserve(n + 3)
	// The n+3 bytes reserved, written in place through a pointer (no
	// bounds checks), then taken into the buffer's length.
	at := len(e.buf)
	dst := unsafe.Add(unsafe.Pointer(unsafe.SliceData(e.buf)), at)
	*(*[2]byte)(dst) = [2]byte{opShortBinunicode, byte(n)}
	if !copyText(unsafe.Add(dst, 2), unsafe.Pointer(unsafe.StringData(s)), n) {
		return e.writeStrBody(s) // the error
	}
	*(*byte)(unsafe.Add(dst, 2+n)) = opMemoize
	e.buf = e.buf[:at+n+3]
	e.nmemo++
	return nil
}

// writeShortStrSlow is writeShortStr for a str shorter than 4 bytes or
// longer than maxWordText.
func (e *encodeState) writeShortStrSlow(s string) error {
	if !validText(s) {
		return e.writeStrBody(s) // the error
	}
	e.buf = append(e.buf, opShortBinunicode, byte(len(s)))
	e.buf = append(e.buf, s...)
	e.buf = append(e.buf, opMemoize)
	e.nmemo++
	return nil
}

// writeStringIdx is writeString, returning the memo index of the str.
func (e *encodeState) writeStringIdx(s string) (int, error) {
	idx, found := e.memo.getOrPutStr(s, e.nmemo)
	if found {
		e.get(idx)
		return idx, nil
	}
	if err := e.writeStrBody(s); err != nil {
		return 0, err
	}
	return e.memoize(), nil
}

// writeStrBody writes the opcode and text of a str (not its memo entry).
// The text must be UTF-8, where lone surrogates may appear in their 3-byte
// form (ED A0 80 to ED BF BF), as CPython's surrogatepass writes them.
func (e *encodeState) writeStrBody(s string) error {
	if !validText(s) {
		return &UnsupportedTypeError{GoType: stringType, Msg: "string is not valid UTF-8: " + quote(s)}
	}
	if e.proto == 0 {
		e.buf = append(e.buf, opUnicode)
		e.buf = appendRawUnicodeEscape(e.buf, s)
		e.buf = append(e.buf, '\n')
		return nil
	}
	return e.writeUTF8(s)
}

// writeUTF8 writes BINUNICODE and its short and long forms.
func (e *encodeState) writeUTF8(s string) error {
	data := unsafe.Slice(unsafe.StringData(s), len(s))
	n := len(s)
	switch {
	case n <= 0xff && e.proto >= 4:
		e.buf = append(e.buf, opShortBinunicode, byte(n))
		e.buf = append(e.buf, s...)
		return nil
	case uint64(n) > 0xffffffff && e.proto >= 4:
		e.payload(opBinunicode8, true, data)
		return nil
	case uint64(n) > 0xffffffff:
		return &UnsupportedTypeError{GoType: stringType, Msg: "str longer than 4 GiB needs protocol 4"}
	}
	e.payload(opBinunicode, false, data)
	return nil
}

// validSurrogateUTF8 reports whether s is valid UTF-8 once the 3-byte forms
// of surrogates are allowed.
func validSurrogateUTF8(s string) bool {
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		if isSurrogateAt(s, i) {
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		i += size
	}
	return true
}

// isSurrogateAt reports whether s holds the 3-byte form of a surrogate at i.
func isSurrogateAt(s string, i int) bool {
	return i+2 < len(s) && s[i] == 0xed && s[i+1] >= 0xa0 && s[i+1] <= 0xbf && s[i+2] >= 0x80 && s[i+2] <= 0xbf
}

// appendRawUnicodeEscape appends s as the UNICODE opcode carries it:
// raw-unicode-escape, with backslash, NUL, LF, CR and ^Z also escaped, as
// CPython's pickler writes it.
func appendRawUnicodeEscape(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			if c == '\\' || c == 0 || c == '\n' || c == '\r' || c == 0x1a {
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
				continue
			}
			b = append(b, c)
			continue
		}
		var r rune
		if isSurrogateAt(s, i) {
			r = rune(c&0x0f)<<12 | rune(s[i+1]&0x3f)<<6 | rune(s[i+2]&0x3f)
			i += 3
		} else {
			var size int
			r, size = utf8.DecodeRuneInString(s[i:])
			i += size
		}
		switch {
		case r < 0x100:
			b = append(b, byte(r))
		case r < 0x10000:
			b = append(b, '\\', 'u', hex[r>>12&15], hex[r>>8&15], hex[r>>4&15], hex[r&15])
		default:
			b = append(b, '\\', 'U')
			for sh := 28; sh >= 0; sh -= 4 {
				b = append(b, hex[r>>uint(sh)&15])
			}
		}
	}
	return b
}

// ---- bytes ----

// bytesKey is the memo identity of a Go byte slice: its data, with the
// empty bytes and each one-byte bytes one object, as CPython caches them.
func bytesKey(b []byte) memoKey {
	switch len(b) {
	case 0:
		return memoKey{kind: memoEmptyBytes}
	case 1:
		return memoKey{n: int(b[0]), kind: memoByte1}
	}
	return memoKey{p: unsafe.Pointer(unsafe.SliceData(b)), n: len(b), kind: memoBytes}
}

// writeBytes writes a Go byte slice as a Python bytes object. hasKey false
// means the bytes have no identity (a copied array) unless short.
func (e *encodeState) writeBytes(b []byte, hasKey bool) error {
	k := bytesKey(b)
	if len(b) < 2 {
		hasKey = true
	}
	if hasKey && e.getMemo(k) {
		return nil
	}
	if e.proto < 3 {
		return e.writeBytesReduce(b, k, hasKey)
	}
	n := uint64(len(b))
	switch {
	case n <= 0xff:
		e.buf = append(e.buf, opShortBinbytes, byte(n))
		e.buf = append(e.buf, b...)
	case n > 0xffffffff && e.proto >= 4:
		e.payload(opBinbytes8, true, b)
	case n > 0xffffffff:
		return &UnsupportedTypeError{GoType: bytesType, Msg: "bytes longer than 4 GiB need protocol 4"}
	default:
		e.payload(opBinbytes, false, b)
	}
	if hasKey {
		e.memoizeKey(k)
	} else {
		e.memoize()
	}
	return nil
}

// writeBytesReduce writes bytes for protocols 0 to 2, which have no bytes
// opcode: _codecs.encode(text, 'latin1'), or bytes() when empty.
func (e *encodeState) writeBytesReduce(b []byte, k memoKey, hasKey bool) error {
	if len(b) == 0 {
		if err := e.writeGlobal(Global{"builtins", "bytes"}); err != nil {
			return err
		}
		e.boundary()
		e.writeEmptyTuple()
	} else {
		if err := e.writeGlobal(Global{"_codecs", "encode"}); err != nil {
			return err
		}
		err := e.writeTransientTuple2(func() error { return e.writeLatin1Text(b) }, e.writeLatin1Name)
		if err != nil {
			return err
		}
	}
	e.op(opReduce)
	e.afterBuild(k, hasKey)
	return nil
}

// writeLatin1Text writes the str whose code points are the bytes of b.
func (e *encodeState) writeLatin1Text(b []byte) error {
	e.boundary()
	high := 0
	for _, c := range b {
		high += int(c >> 7)
	}
	text := make([]byte, len(b)+high)
	j := 0
	for _, c := range b {
		if c < utf8.RuneSelf {
			text[j] = c
			j++
			continue
		}
		text[j], text[j+1] = 0xC0|c>>6, 0x80|c&0x3F
		j += 2
	}
	s := unsafe.String(unsafe.SliceData(text), len(text))
	if e.proto == 0 {
		if err := e.writeStrBody(s); err != nil {
			return err
		}
	} else if err := e.writeUTF8(s); err != nil { // valid UTF-8 by construction
		return err
	}
	e.memoize() // a fresh str object each time in CPython
	return nil
}

// writeLatin1Name writes the 'latin1' argument, one object for the pickle.
func (e *encodeState) writeLatin1Name() error {
	e.boundary()
	k := memoKey{kind: memoLatin1}
	if e.getMemo(k) {
		return nil
	}
	if err := e.writeStrBody("latin1"); err != nil {
		return err
	}
	e.memoizeKey(k)
	return nil
}

// writeByteArray writes a Python bytearray: BYTEARRAY8 at protocol 5,
// builtins.bytearray(bytes) below.
func (e *encodeState) writeByteArray(b []byte, k memoKey, hasKey bool) error {
	if hasKey && e.getMemo(k) {
		return nil
	}
	if e.proto >= 5 {
		e.payload(opBytearray8, true, b)
		if hasKey {
			e.memoizeKey(k)
		} else {
			e.memoize()
		}
		return nil
	}
	if err := e.writeGlobal(Global{"builtins", "bytearray"}); err != nil {
		return err
	}
	if len(b) == 0 {
		e.boundary()
		e.writeEmptyTuple()
	} else {
		// bytes(obj) is a new bytes object, except the cached short ones.
		err := e.writeTransientTuple1(func() error {
			e.boundary()
			return e.writeBytes(b, false)
		})
		if err != nil {
			return err
		}
	}
	e.op(opReduce)
	e.afterBuild(k, hasKey)
	return nil
}
