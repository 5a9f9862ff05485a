package pickle

import (
	"encoding/hex"
	"fmt"
	"math/big"
	"reflect"
	"strings"
)

// This file maps uuid.UUID, fractions.Fraction and range.

// UUID is a Python uuid.UUID: its 16 bytes, big-endian (UUID.bytes).
// Python's is_safe attribute is not kept.
type UUID [16]byte

// Range is a Python range (Python 2's xrange): Start, Stop and Step, which
// is never 0.
type Range struct {
	Start, Stop, Step int64
}

var (
	uuidGlobal     = Global{"uuid", "UUID"}
	fractionGlobal = Global{"fractions", "Fraction"}
	rangeGlobal    = Global{"builtins", "range"}
	objectBase     = Global{"builtins", "object"}
)

func init() {
	registerStdlib("uuid", "UUID", &stdlibType{toAny: anyUUID, into: intoUUID})
	registerStdlib("fractions", "Fraction", &stdlibType{toAny: anyFraction, into: intoFraction})
	registerStdlib("builtins", "range", &stdlibType{toAny: anyRange})
	registerStdlibReducer(bigRatValType, func(v reflect.Value) (*Object, error) {
		r := v.Addr().Interface().(*big.Rat)
		return &Object{Callable: fractionGlobal, Build: "REDUCE",
			Args: Tuple{bigIntOrInt64(new(big.Int).Set(r.Num())), bigIntOrInt64(new(big.Int).Set(r.Denom()))}}, nil
	})
}

// --- uuid ---------------------------------------------------------------------

// decodeUUID reads the state {'int': n[, 'is_safe': ...]} that CPython
// writes with NEWOBJ (protocol 2 and up) or copyreg._reconstructor (0 and
// 1); Python 2 wrote the same state.
func decodeUUID(c *callView) (UUID, error) {
	var u UUID
	if len(c.States) != 1 || c.States[0].Kind() != "dict" {
		if len(c.States) == 0 && len(c.Args) == 1 && c.Args[0].Kind() == "str" { // UUID('...') by hand
			var s string
			if err := c.Args[0].Decode(&s); err != nil {
				return u, err
			}
			return parseUUIDText(c, s)
		}
		return u, c.errorf("needs a state dict holding 'int'")
	}
	if c.Callee == reconstructor {
		if len(c.Args) != 3 || !c.Args[2].IsNone() {
			return u, c.errorf("unexpected copyreg._reconstructor arguments")
		}
	} else if len(c.Args) != 0 || len(c.Kwargs) != 0 {
		return u, c.errorf("unexpected arguments")
	}
	st := c.States[0]
	iv, ok := st.Get("int")
	if !ok || iv.Kind() != "int" {
		return u, c.errorf("state has no int 'int'")
	}
	var x big.Int
	if err := iv.Decode(&x); err != nil {
		return u, err
	}
	if x.Sign() < 0 || x.BitLen() > 128 {
		return u, c.errorf("int is not a 128-bit unsigned integer")
	}
	x.FillBytes(u[:])
	return u, nil
}

// parseUUIDText reads the hex forms uuid.UUID(hex) accepts.
func parseUUIDText(c *callView, s string) (UUID, error) {
	var u UUID
	h := strings.NewReplacer("urn:", "", "uuid:", "", "{", "", "}", "", "-", "").Replace(strings.TrimSpace(s))
	if len(h) != 32 {
		return u, c.errorf("badly formed hexadecimal UUID string")
	}
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return u, c.errorf("badly formed hexadecimal UUID string")
	}
	return u, nil
}

func anyUUID(c *callView) (any, error) { return decodeUUID(c) }

// intoUUID fills [16]byte-like arrays, []byte and string targets (the
// canonical 8-4-4-4-12 form).
func intoUUID(c *callView, v reflect.Value) (bool, error) {
	t := v.Type()
	switch {
	case t.Kind() == reflect.Array && t.Len() == 16 && t.Elem().Kind() == reflect.Uint8:
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
	case t.Kind() == reflect.String:
	default:
		return false, nil
	}
	u, err := decodeUUID(c)
	if err != nil {
		return true, err
	}
	switch t.Kind() {
	case reflect.Array:
		reflect.Copy(v, reflect.ValueOf(u[:]))
	case reflect.Slice:
		s := reflect.MakeSlice(t, 16, 16)
		reflect.Copy(s, reflect.ValueOf(u[:]))
		v.Set(s)
	default:
		v.SetString(u.String())
	}
	return true, nil
}

// String returns u in Python's str form: 12345678-1234-5678-1234-567812345678.
func (u UUID) String() string {
	h := hex.EncodeToString(u[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// PickleReduce writes u as CPython does from protocol 2: UUID.__new__(UUID)
// with NEWOBJ, then the state {'int': n}.
func (u UUID) PickleReduce() (*Object, error) { return u.pickleReduceEx(HighestProtocol) }

// pickleReduceEx is u's reduction at protocol proto: below 2 CPython writes
// copyreg._reconstructor(UUID, object, None).
func (u UUID) pickleReduceEx(proto int) (*Object, error) {
	state := NewDict()
	if err := state.Set("int", bigIntOrInt64(new(big.Int).SetBytes(u[:]))); err != nil {
		return nil, err
	}
	if proto < 2 {
		return &Object{Callable: reconstructor, Build: "REDUCE", Args: Tuple{uuidGlobal, objectBase, nil},
			State: state, HasState: true}, nil
	}
	return &Object{Callable: uuidGlobal, Build: "NEWOBJ", Args: Tuple{}, State: state, HasState: true}, nil
}

// --- fractions ------------------------------------------------------------------------

// decodeFraction reads Fraction(numerator, denominator) (Python 3.11 and
// later), Fraction('n/d') (earlier versions and Python 2) or Fraction(n).
func decodeFraction(c *callView) (*big.Rat, error) {
	if len(c.Kwargs) > 0 || len(c.States) > 0 {
		return nil, c.errorf("unexpected keyword arguments or state")
	}
	switch len(c.Args) {
	case 1, 2:
	default:
		return nil, c.errorf(fmt.Sprintf("takes 1 or 2 arguments, not %d", len(c.Args)))
	}
	if len(c.Args) == 1 && c.Args[0].Kind() == "str" {
		var s string
		if err := c.Args[0].Decode(&s); err != nil {
			return nil, err
		}
		return parseFractionText(c, s)
	}
	var num, den big.Int
	den.SetInt64(1)
	for i, s := range c.Args {
		if s.Kind() != "int" {
			return nil, c.errorf("needs int arguments, not " + s.Kind())
		}
		target := &num
		if i == 1 {
			target = &den
		}
		if err := s.Decode(target); err != nil {
			return nil, err
		}
	}
	if den.Sign() == 0 {
		return nil, c.errorf("Fraction(" + num.String() + ", 0)")
	}
	return new(big.Rat).SetFrac(&num, &den), nil
}

// parseFractionText reads str(Fraction): "n" or "n/d" with an optional sign.
func parseFractionText(c *callView, s string) (*big.Rat, error) {
	s = strings.TrimSpace(s)
	num, den, hasDen := strings.Cut(s, "/")
	n, ok1 := new(big.Int).SetString(strings.TrimPrefix(num, "+"), 10)
	d := big.NewInt(1)
	ok2 := true
	if hasDen {
		d, ok2 = new(big.Int).SetString(den, 10)
		ok2 = ok2 && !strings.HasPrefix(den, "-") && !strings.HasPrefix(den, "+")
	}
	if !ok1 || !ok2 || strings.HasPrefix(num, "+-") || strings.HasPrefix(num, "-+") {
		return nil, c.errorf("invalid literal for Fraction: " + quote(s))
	}
	if d.Sign() == 0 {
		return nil, c.errorf("Fraction(" + n.String() + ", 0)")
	}
	return new(big.Rat).SetFrac(n, d), nil
}

func anyFraction(c *callView) (any, error) { return decodeFraction(c) }

// intoFraction fills big.Rat and float targets.
func intoFraction(c *callView, v reflect.Value) (bool, error) {
	t := v.Type()
	if t != bigRatValType && t.Kind() != reflect.Float64 && t.Kind() != reflect.Float32 {
		return false, nil
	}
	r, err := decodeFraction(c)
	if err != nil {
		return true, err
	}
	if t == bigRatValType {
		v.Set(reflect.ValueOf(r).Elem())
		return true, nil
	}
	f, _ := r.Float64()
	v.SetFloat(f)
	return true, nil
}

// --- range ------------------------------------------------------------------------------

func anyRange(c *callView) (any, error) {
	if len(c.Kwargs) > 0 || len(c.States) > 0 {
		return nil, c.errorf("unexpected keyword arguments or state")
	}
	if len(c.Args) < 1 || len(c.Args) > 3 {
		return nil, c.errorf(fmt.Sprintf("takes 1 to 3 arguments, not %d", len(c.Args)))
	}
	v := []int64{0, 0, 1}
	for i, s := range c.Args {
		if s.Kind() != "int" {
			return nil, c.errorf("needs int arguments, not " + s.Kind())
		}
		if err := s.Decode(&v[i]); err != nil {
			return nil, err
		}
	}
	r := Range{Start: v[0], Stop: v[1], Step: v[2]}
	if len(c.Args) == 1 {
		r = Range{Start: 0, Stop: v[0], Step: 1}
	}
	if r.Step == 0 {
		return nil, c.errorf("step must not be zero")
	}
	return r, nil
}

// Len returns the number of values in r.
func (r Range) Len() int64 {
	if r.Step > 0 && r.Start < r.Stop {
		return int64((uint64(r.Stop-r.Start)-1)/uint64(r.Step)) + 1
	}
	if r.Step < 0 && r.Start > r.Stop {
		return int64((uint64(r.Start-r.Stop)-1)/uint64(-r.Step)) + 1
	}
	return 0
}

// PickleReduce writes r as CPython does: range(start, stop, step)
// (__builtin__.xrange below protocol 3).
func (r Range) PickleReduce() (*Object, error) {
	if r.Step == 0 {
		return nil, fmt.Errorf("Range step must not be zero")
	}
	return &Object{Callable: rangeGlobal, Build: "REDUCE", Args: Tuple{r.Start, r.Stop, r.Step}}, nil
}
