package pickle

// This file holds the pickle opcode table as data, in the order and with the
// names, argument kinds and protocols that CPython's pickletools lists.

// argKind says how an opcode's inline argument is laid out in the stream.
type argKind uint8

const (
	argNone                 argKind = iota
	argUint1                        // 1-byte unsigned
	argUint2                        // 2-byte little-endian unsigned
	argInt4                         // 4-byte little-endian signed
	argUint4                        // 4-byte little-endian unsigned
	argUint8                        // 8-byte little-endian unsigned
	argDecimalNLShort               // decimal text up to '\n' (INT, GET, PUT)
	argDecimalNLLong                // decimal text with optional trailing 'L' (LONG)
	argFloatNL                      // float text up to '\n'
	argStringNL                     // quoted, escaped byte string up to '\n' (STRING)
	argStringNLNoEscape             // raw text up to '\n' (PERSID)
	argStringNLNoEscapePair         // two raw text lines (GLOBAL, INST)
	argUnicodeStringNL              // raw-unicode-escape text up to '\n' (UNICODE)
	argFloat8                       // 8-byte big-endian IEEE 754 double
	argLong1                        // 1-byte length + little-endian two's complement
	argLong4                        // 4-byte length + little-endian two's complement
	argString1                      // 1-byte length + bytes
	argString4                      // 4-byte signed length + bytes
	argBytes1                       // 1-byte length + bytes
	argBytes4                       // 4-byte length + bytes
	argBytes8                       // 8-byte length + bytes
	argUnicodeString1               // 1-byte length + UTF-8
	argUnicodeString4               // 4-byte length + UTF-8
	argUnicodeString8               // 8-byte length + UTF-8
	argBytearray8                   // 8-byte length + bytes
)

// Opcode bytes, named as in CPython's pickle.py.
const (
	opMark           byte = '('
	opStop           byte = '.'
	opPop            byte = '0'
	opPopMark        byte = '1'
	opDup            byte = '2'
	opFloat          byte = 'F'
	opInt            byte = 'I'
	opBinint         byte = 'J'
	opBinint1        byte = 'K'
	opLong           byte = 'L'
	opBinint2        byte = 'M'
	opNone           byte = 'N'
	opPersid         byte = 'P'
	opBinpersid      byte = 'Q'
	opReduce         byte = 'R'
	opString         byte = 'S'
	opBinstring      byte = 'T'
	opShortBinstring byte = 'U'
	opUnicode        byte = 'V'
	opBinunicode     byte = 'X'
	opAppend         byte = 'a'
	opBuild          byte = 'b'
	opGlobal         byte = 'c'
	opDict           byte = 'd'
	opEmptyDict      byte = '}'
	opAppends        byte = 'e'
	opGet            byte = 'g'
	opBinget         byte = 'h'
	opInst           byte = 'i'
	opLongBinget     byte = 'j'
	opList           byte = 'l'
	opEmptyList      byte = ']'
	opObj            byte = 'o'
	opPut            byte = 'p'
	opBinput         byte = 'q'
	opLongBinput     byte = 'r'
	opSetitem        byte = 's'
	opTuple          byte = 't'
	opEmptyTuple     byte = ')'
	opSetitems       byte = 'u'
	opBinfloat       byte = 'G'

	opProto    byte = 0x80
	opNewobj   byte = 0x81
	opExt1     byte = 0x82
	opExt2     byte = 0x83
	opExt4     byte = 0x84
	opTuple1   byte = 0x85
	opTuple2   byte = 0x86
	opTuple3   byte = 0x87
	opNewtrue  byte = 0x88
	opNewfalse byte = 0x89
	opLong1    byte = 0x8a
	opLong4    byte = 0x8b

	opBinbytes      byte = 'B'
	opShortBinbytes byte = 'C'

	opShortBinunicode byte = 0x8c
	opBinunicode8     byte = 0x8d
	opBinbytes8       byte = 0x8e
	opEmptySet        byte = 0x8f
	opAdditems        byte = 0x90
	opFrozenset       byte = 0x91
	opNewobjEx        byte = 0x92
	opStackGlobal     byte = 0x93
	opMemoize         byte = 0x94
	opFrame           byte = 0x95

	opBytearray8     byte = 0x96
	opNextBuffer     byte = 0x97
	opReadonlyBuffer byte = 0x98
)

// opInfo describes one opcode.
type opInfo struct {
	name  string
	arg   argKind
	proto int // the protocol that introduced it
}

// opcodeTable lists every opcode of protocols 0 to 5, as pickletools does.
var opcodeTable = [...]struct {
	code byte
	info opInfo
}{
	{opInt, opInfo{"INT", argDecimalNLShort, 0}},
	{opBinint, opInfo{"BININT", argInt4, 1}},
	{opBinint1, opInfo{"BININT1", argUint1, 1}},
	{opBinint2, opInfo{"BININT2", argUint2, 1}},
	{opLong, opInfo{"LONG", argDecimalNLLong, 0}},
	{opLong1, opInfo{"LONG1", argLong1, 2}},
	{opLong4, opInfo{"LONG4", argLong4, 2}},
	{opString, opInfo{"STRING", argStringNL, 0}},
	{opBinstring, opInfo{"BINSTRING", argString4, 1}},
	{opShortBinstring, opInfo{"SHORT_BINSTRING", argString1, 1}},
	{opBinbytes, opInfo{"BINBYTES", argBytes4, 3}},
	{opShortBinbytes, opInfo{"SHORT_BINBYTES", argBytes1, 3}},
	{opBinbytes8, opInfo{"BINBYTES8", argBytes8, 4}},
	{opBytearray8, opInfo{"BYTEARRAY8", argBytearray8, 5}},
	{opNextBuffer, opInfo{"NEXT_BUFFER", argNone, 5}},
	{opReadonlyBuffer, opInfo{"READONLY_BUFFER", argNone, 5}},
	{opNone, opInfo{"NONE", argNone, 0}},
	{opNewtrue, opInfo{"NEWTRUE", argNone, 2}},
	{opNewfalse, opInfo{"NEWFALSE", argNone, 2}},
	{opUnicode, opInfo{"UNICODE", argUnicodeStringNL, 0}},
	{opShortBinunicode, opInfo{"SHORT_BINUNICODE", argUnicodeString1, 4}},
	{opBinunicode, opInfo{"BINUNICODE", argUnicodeString4, 1}},
	{opBinunicode8, opInfo{"BINUNICODE8", argUnicodeString8, 4}},
	{opFloat, opInfo{"FLOAT", argFloatNL, 0}},
	{opBinfloat, opInfo{"BINFLOAT", argFloat8, 1}},
	{opEmptyList, opInfo{"EMPTY_LIST", argNone, 1}},
	{opAppend, opInfo{"APPEND", argNone, 0}},
	{opAppends, opInfo{"APPENDS", argNone, 1}},
	{opList, opInfo{"LIST", argNone, 0}},
	{opEmptyTuple, opInfo{"EMPTY_TUPLE", argNone, 1}},
	{opTuple, opInfo{"TUPLE", argNone, 0}},
	{opTuple1, opInfo{"TUPLE1", argNone, 2}},
	{opTuple2, opInfo{"TUPLE2", argNone, 2}},
	{opTuple3, opInfo{"TUPLE3", argNone, 2}},
	{opEmptyDict, opInfo{"EMPTY_DICT", argNone, 1}},
	{opDict, opInfo{"DICT", argNone, 0}},
	{opSetitem, opInfo{"SETITEM", argNone, 0}},
	{opSetitems, opInfo{"SETITEMS", argNone, 1}},
	{opEmptySet, opInfo{"EMPTY_SET", argNone, 4}},
	{opAdditems, opInfo{"ADDITEMS", argNone, 4}},
	{opFrozenset, opInfo{"FROZENSET", argNone, 4}},
	{opPop, opInfo{"POP", argNone, 0}},
	{opDup, opInfo{"DUP", argNone, 0}},
	{opMark, opInfo{"MARK", argNone, 0}},
	{opPopMark, opInfo{"POP_MARK", argNone, 1}},
	{opGet, opInfo{"GET", argDecimalNLShort, 0}},
	{opBinget, opInfo{"BINGET", argUint1, 1}},
	{opLongBinget, opInfo{"LONG_BINGET", argUint4, 1}},
	{opPut, opInfo{"PUT", argDecimalNLShort, 0}},
	{opBinput, opInfo{"BINPUT", argUint1, 1}},
	{opLongBinput, opInfo{"LONG_BINPUT", argUint4, 1}},
	{opMemoize, opInfo{"MEMOIZE", argNone, 4}},
	{opExt1, opInfo{"EXT1", argUint1, 2}},
	{opExt2, opInfo{"EXT2", argUint2, 2}},
	{opExt4, opInfo{"EXT4", argInt4, 2}},
	{opGlobal, opInfo{"GLOBAL", argStringNLNoEscapePair, 0}},
	{opStackGlobal, opInfo{"STACK_GLOBAL", argNone, 4}},
	{opReduce, opInfo{"REDUCE", argNone, 0}},
	{opBuild, opInfo{"BUILD", argNone, 0}},
	{opInst, opInfo{"INST", argStringNLNoEscapePair, 0}},
	{opObj, opInfo{"OBJ", argNone, 1}},
	{opNewobj, opInfo{"NEWOBJ", argNone, 2}},
	{opNewobjEx, opInfo{"NEWOBJ_EX", argNone, 4}},
	{opProto, opInfo{"PROTO", argUint1, 2}},
	{opStop, opInfo{"STOP", argNone, 0}},
	{opFrame, opInfo{"FRAME", argUint8, 4}},
	{opPersid, opInfo{"PERSID", argStringNLNoEscape, 0}},
	{opBinpersid, opInfo{"BINPERSID", argNone, 1}},
}

// opcodes maps an opcode byte to its description; name is empty for bytes
// that are not opcodes.
var opcodes = func() (t [256]opInfo) {
	for _, e := range opcodeTable {
		t[e.code] = e.info
	}
	return t
}()

// opName returns the opcode's pickletools name, or a hex form for bytes that
// are not opcodes.
func opName(code byte) string {
	if n := opcodes[code].name; n != "" {
		return n
	}
	const hex = "0123456789abcdef"
	return "opcode 0x" + string([]byte{hex[code>>4], hex[code&15]})
}
