package pickle

import (
	"math/rand/v2"
	"testing"
	"unicode/utf8"
	"unsafe"
)

// validTextRef is the check validText replaces.
func validTextRef(s string) bool { return utf8.ValidString(s) || validSurrogateUTF8(s) }

// TestValidText compares validText with the standard check on every
// sequence of up to three bytes, every 4-byte sequence with a lead byte
// from F0, and random mixes of ASCII and interesting bytes, at every offset
// from the start of an 8-byte word.
func TestValidText(t *testing.T) {
	check := func(s string) {
		t.Helper()
		for _, pre := range []string{"", "a", "abcdefg", "abcdefgh", "abcdefghijklmno"} {
			if got, want := validText(pre+s), validTextRef(pre+s); got != want {
				t.Fatalf("validText(%q) = %v, want %v", pre+s, got, want)
			}
		}
	}
	for a := 0; a < 256; a++ {
		check(string([]byte{byte(a)}))
		for b := 0; b < 256; b++ {
			check(string([]byte{byte(a), byte(b)}))
			if a >= 0xc0 {
				for c := 0x70; c < 0xd0; c++ {
					check(string([]byte{byte(a), byte(b), byte(c)}))
				}
			}
		}
	}
	for a := 0xf0; a < 0xf8; a++ {
		for b := 0x70; b < 0xd0; b++ {
			for c := 0x70; c < 0xd0; c += 7 {
				for d := 0x70; d < 0xd0; d += 5 {
					check(string([]byte{byte(a), byte(b), byte(c), byte(d)}))
				}
			}
		}
	}
	pieces := []string{"a", "z", "é", "中", "€", "\U0001F600", "\xed\xa0\x80", "\xed\xbf\xbf", "\x80", "\xc0\x80", "\xe0\x80\x80", "\xf4\x90\x80\x80", "\xff", "\xc3", "\xe4\xb8"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		var s string
		for n := r.IntN(30); n > 0; n-- {
			s += pieces[r.IntN(len(pieces))]
		}
		check(s)
	}
	long := string(make([]byte, 100)) + "é" + string(make([]byte, 70))
	check(long)
	check(long + "\xed\xa0\x80")
	check(long + "\xff")
}

// appendText appends s to buf, which must have room for it, as
// writeShortStr does: by copyText from 4 to maxWordText bytes, else whole;
// it reports whether s is text.
func appendText(buf []byte, s string) ([]byte, bool) {
	n := len(s)
	if n > maxWordText || n < 4 {
		return append(buf, s...), validText(s)
	}
	at := len(buf)
	buf = buf[:at+n]
	return buf, copyText(unsafe.Pointer(&buf[at]), unsafe.Pointer(unsafe.StringData(s)), n)
}

// TestAppendText checks that appendText copies every str of every length
// up to past maxWordText exactly, into a buffer with garbage after its
// length, and says what validText says, on the same inputs as
// TestValidText's random part and on every cut of them.
func TestAppendText(t *testing.T) {
	check := func(s string) {
		t.Helper()
		buf := make([]byte, 3, 3+len(s)+8)
		for i := range buf[:cap(buf)] {
			buf[:cap(buf)][i] = 0xff
		}
		out, ok := appendText(buf, s)
		if string(out[:3]) != "\xff\xff\xff" || string(out[3:]) != s {
			t.Fatalf("appendText(%q) wrote %q", s, out)
		}
		if want := validTextRef(s); ok != want {
			t.Fatalf("appendText(%q) says valid %v, want %v", s, ok, want)
		}
	}
	pieces := []string{"a", "z", "é", "中", "€", "\U0001F600", "\xed\xa0\x80", "\x80", "\xc0\x80", "\xe0\x80\x80", "\xe0\xa0\x80", "\xf0\x80\x80\x80", "\xf4\x90\x80\x80", "\xff", "\xc3", "\xe4\xb8", "\xf0\x9f"}
	r := rand.New(rand.NewPCG(3, 4))
	for range 3000 {
		var s string
		for len(s) < maxWordText+10 {
			s += pieces[r.IntN(len(pieces))]
		}
		for i := 0; i < len(s); i++ {
			for j := i; j <= len(s) && j-i <= maxWordText+2; j++ {
				check(s[i:j])
			}
		}
	}
}
