package pickle

import (
	"encoding/binary"
	"unicode/utf8"
	"unsafe"
)

// This file holds the encoder's UTF-8 check of str text. utf8.ValidString
// branches on the class of every non-ASCII byte, and short strings with a
// few non-ASCII characters among ASCII ones (the usual text of a record)
// make those branches unpredictable; here each byte is one table load and
// one shift, with no branch (a shift-based DFA: the table row of a byte
// holds, for each state, the next state's offset in the row).

// States of the DFA, as bit offsets in a table row. The error state is 0,
// so that its row entry is 0 in every row and it never leaves it.
const (
	dfaError  = 0
	dfaAccept = 6 * (iota)
	dfaCont1  // one continuation byte to go
	dfaCont2  // two
	dfaCont3  // three
	dfaE0     // after E0: A0-BF (no overlong form)
	dfaF0     // after F0: 90-BF (no overlong form)
	dfaF4     // after F4: 80-8F (nothing above U+10FFFF)
)

// utf8DFA is the transition table. The 3-byte forms of surrogates (ED A0
// 80 to ED BF BF) are accepted: CPython's surrogatepass writes them, and
// they are how a Go string holds a lone surrogate of a Python str.
var utf8DFA = func() (t [256]uint64) {
	set := func(lo, hi int, from, to uint64) {
		for b := lo; b <= hi; b++ {
			t[b] |= to << from
		}
	}
	set(0x00, 0x7f, dfaAccept, dfaAccept)
	for _, r := range [][2]int{{0x80, 0x8f}, {0x90, 0x9f}, {0xa0, 0xbf}} {
		set(r[0], r[1], dfaCont1, dfaAccept)
		set(r[0], r[1], dfaCont2, dfaCont1)
		set(r[0], r[1], dfaCont3, dfaCont2)
	}
	set(0xa0, 0xbf, dfaE0, dfaCont1)
	set(0x90, 0xbf, dfaF0, dfaCont2)
	set(0x80, 0x8f, dfaF4, dfaCont2)
	set(0xc2, 0xdf, dfaAccept, dfaCont1)
	set(0xe0, 0xe0, dfaAccept, dfaE0)
	set(0xe1, 0xef, dfaAccept, dfaCont2)
	set(0xf0, 0xf0, dfaAccept, dfaF0)
	set(0xf1, 0xf3, dfaAccept, dfaCont3)
	set(0xf4, 0xf4, dfaAccept, dfaF4)
	return t
}()

// validText reports whether s is UTF-8 where lone surrogates may appear in
// their 3-byte form: utf8.ValidString(s) || validSurrogateUTF8(s).
func validText(s string) bool {
	i := 0
	if len(s) > 16 {
		// Skip the ASCII words ahead: cheap, and the usual text of a long
		// str.
		for ; i+8 <= len(s); i += 8 {
			if binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8))&0x8080808080808080 != 0 {
				break
			}
		}
		if len(s)-i > 64 {
			// Long text: the standard check is as fast.
			return utf8.ValidString(s[i:]) || validSurrogateUTF8(s[i:])
		}
	}
	state := uint64(dfaAccept)
	for ; i < len(s); i++ {
		state = utf8DFA[s[i]] >> (state & 63)
	}
	return state&63 == dfaAccept
}

// maxWordText is the longest str writeShortStr copies and checks a word at
// a time (copyText); longer ones are copied whole and checked by validText.
const maxWordText = 32

// copyText copies the n bytes (4 to maxWordText) at src to dst and reports
// whether they are text, as validText says. A str written whole is read
// once: the copy is made a word at a time (overlapping the last word with
// the one before it), with no call to memmove, whose branches on the
// length cost more than the copy of a short str, and the check reads those
// words, on the usual ASCII text with one test and no loop over the bytes.
// The words are read and written through array pointers, which need no
// bounds checks: every access lies within the n bytes.
func copyText(dst, src unsafe.Pointer, n int) bool {
	// high gathers the bytes' high bits; last holds the last 8 bytes of
	// the text, which end it.
	var high, last uint64
	if n < 8 {
		// Two 4-byte halves, overlapping in the middle; last is the n
		// bytes at the top of a word, as if read from 8-n bytes before.
		lo := uint64(binary.LittleEndian.Uint32((*[4]byte)(src)[:]))
		hi := uint64(binary.LittleEndian.Uint32((*[4]byte)(unsafe.Add(src, n-4))[:]))
		binary.LittleEndian.PutUint32((*[4]byte)(dst)[:], uint32(lo))
		binary.LittleEndian.PutUint32((*[4]byte)(unsafe.Add(dst, n-4))[:], uint32(hi))
		high = lo | hi>>(8*(8-n))<<32
		last = high << (8 * (8 - n))
	} else {
		for i := 0; i+8 <= n; i += 8 {
			w := wordAt(src, i)
			binary.LittleEndian.PutUint64((*[8]byte)(unsafe.Add(dst, i))[:], w)
			high |= w
		}
		last = wordAt(src, n-8)
		binary.LittleEndian.PutUint64((*[8]byte)(unsafe.Add(dst, n-8))[:], last)
		high |= last
	}
	if high&highBits == 0 {
		return true
	}
	// The DFA over the whole words, then the bytes after them followed by
	// zeros: ASCII, which keeps the accepting state, and fails any other
	// (a sequence cut short), as the end of the text would.
	state := uint64(dfaAccept)
	for i := 0; i < n; i += 8 {
		var w uint64
		if i+8 <= n {
			w = wordAt(src, i)
		} else {
			w = last >> (8 * (8 - (n - i)))
		}
		state = utf8DFA[byte(w)] >> (state & 63)
		state = utf8DFA[byte(w>>8)] >> (state & 63)
		state = utf8DFA[byte(w>>16)] >> (state & 63)
		state = utf8DFA[byte(w>>24)] >> (state & 63)
		state = utf8DFA[byte(w>>32)] >> (state & 63)
		state = utf8DFA[byte(w>>40)] >> (state & 63)
		state = utf8DFA[byte(w>>48)] >> (state & 63)
		state = utf8DFA[byte(w>>56)] >> (state & 63)
	}
	return state&63 == dfaAccept
}

// wordAt returns the 8 bytes at p+i, little-endian.
func wordAt(p unsafe.Pointer, i int) uint64 {
	return binary.LittleEndian.Uint64((*[8]byte)(unsafe.Add(p, i))[:])
}

// highBits has the high bit of every byte of a word.
const highBits = 0x8080808080808080
