package pickle

import (
	"errors"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
)

// This file maps Python's decimal.Decimal, pickled as Decimal(str(d)):
// every value is kept exactly (digits, exponent, sign of zero, NaN payloads).

// DecimalForm says which kind of number a Decimal is.
type DecimalForm uint8

const (
	// Finite is an ordinary number: Digits × 10**Exp.
	Finite DecimalForm = iota
	// Infinite is Infinity or -Infinity.
	Infinite
	// NaN is a quiet NaN, with an optional payload in Digits.
	NaN
	// SignalingNaN is sNaN, with an optional payload in Digits.
	SignalingNaN
)

// Decimal is a Python decimal.Decimal, exactly: a finite value is
// (-1)**Neg × Digits × 10**Exp, where Digits is the coefficient in decimal
// ("" counts as "0"; trailing zeros are significant, as in Decimal('1.50'),
// and Neg with zero digits is -0). For NaN and SignalingNaN, Digits is the
// payload (usually empty) and Exp is unused; for Infinite both are unused.
type Decimal struct {
	Neg    bool
	Form   DecimalForm
	Digits string
	Exp    int64
}

var (
	decimalGlobal  = Global{"decimal", "Decimal"}
	decimalType    = reflect.TypeOf(Decimal{})
	bigRatValType  = reflect.TypeOf(big.Rat{})
	bigFloatVType  = reflect.TypeOf(big.Float{})
	errDecimalText = errors.New("not a decimal number")
)

// maxDecimalRatExp bounds the exponent Rat converts exactly: 10**100000
// already takes 41 KB.
const maxDecimalRatExp = 100000

func init() {
	registerStdlib("decimal", "Decimal", &stdlibType{toAny: anyDecimal, into: intoDecimal})
}

func decodeDecimal(c *callView) (Decimal, error) {
	if len(c.Kwargs) > 0 || len(c.States) > 0 {
		return Decimal{}, c.errorf("unexpected keyword arguments or state")
	}
	if len(c.Args) == 0 {
		return Decimal{Digits: "0"}, nil // Decimal() is 0
	}
	if len(c.Args) > 2 { // Decimal(value, context)
		return Decimal{}, c.errorf("takes at most 2 arguments")
	}
	switch c.Args[0].Kind() {
	case "str":
		var s string
		if err := c.Args[0].Decode(&s); err != nil {
			return Decimal{}, err
		}
		d, err := ParseDecimal(s)
		if err != nil {
			return Decimal{}, c.errorf(err.Error())
		}
		return d, nil
	case "int":
		var x big.Int
		if err := c.Args[0].Decode(&x); err != nil {
			return Decimal{}, err
		}
		return NewDecimal(&x, 0), nil
	}
	return Decimal{}, c.errorf("needs a str or int argument, not " + c.Args[0].Kind())
}

func anyDecimal(c *callView) (any, error) { return decodeDecimal(c) }

// intoDecimal fills string, float, big.Rat and big.Float targets.
func intoDecimal(c *callView, v reflect.Value) (bool, error) {
	t := v.Type()
	switch {
	case t == bigRatValType, t == bigFloatVType:
	case t.Kind() == reflect.String:
	case t.Kind() == reflect.Float64 || t.Kind() == reflect.Float32:
	default:
		return false, nil
	}
	d, err := decodeDecimal(c)
	if err != nil {
		return true, err
	}
	switch {
	case t == bigRatValType:
		r, err := d.Rat()
		if err != nil {
			return true, c.typeErrorf(v, err.Error())
		}
		v.Set(reflect.ValueOf(r).Elem())
	case t == bigFloatVType:
		f, err := d.BigFloat(0)
		if err != nil {
			return true, c.typeErrorf(v, err.Error())
		}
		v.Set(reflect.ValueOf(f).Elem())
	case t.Kind() == reflect.String:
		v.SetString(d.String())
	default:
		f, err := d.Float64()
		if err != nil {
			return true, c.typeErrorf(v, err.Error())
		}
		if t.Kind() == reflect.Float32 && !math.IsInf(f, 0) && math.Abs(f) > math.MaxFloat32 {
			return true, c.typeErrorf(v, d.String()+" overflows float32")
		}
		v.SetFloat(f)
	}
	return true, nil
}

// ParseDecimal parses s as Python's Decimal(s) does: an optional sign,
// digits with an optional point and exponent, Infinity, Inf, NaN or sNaN with
// an optional payload; case is ignored, surrounding whitespace and
// underscores between digits are allowed.
func ParseDecimal(s string) (Decimal, error) {
	orig := s
	s = strings.TrimSpace(s)
	var d Decimal
	if s != "" && (s[0] == '+' || s[0] == '-') {
		d.Neg = s[0] == '-'
		s = s[1:]
	}
	lower := strings.ToLower(s)
	switch {
	case lower == "inf" || lower == "infinity":
		d.Form = Infinite
		return d, nil
	case strings.HasPrefix(lower, "nan") || strings.HasPrefix(lower, "snan"):
		d.Form, s = NaN, s[3:]
		if lower[0] == 's' {
			d.Form, s = SignalingNaN, s[1:]
		}
		digits, ok := decimalDigits(s)
		if !ok {
			return Decimal{}, decimalSyntax(orig)
		}
		d.Digits = strings.TrimLeft(digits, "0")
		return d, nil
	}
	mant, exp := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, exp = s[:i], s[i+1:]
	}
	intPart, frac := mant, ""
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		intPart, frac = mant[:i], mant[i+1:]
	}
	id, ok1 := decimalDigits(intPart)
	fd, ok2 := decimalDigits(frac)
	if !ok1 || !ok2 || id+fd == "" {
		return Decimal{}, decimalSyntax(orig)
	}
	if exp != "" || strings.ContainsAny(s, "eE") {
		e, err := parseDecimalExp(exp)
		if err != nil {
			return Decimal{}, decimalSyntax(orig)
		}
		d.Exp = e
	}
	if d.Exp < math.MinInt64/2+int64(len(fd)) {
		return Decimal{}, decimalSyntax(orig)
	}
	d.Exp -= int64(len(fd))
	d.Digits = strings.TrimLeft(id+fd, "0")
	if d.Digits == "" {
		d.Digits = "0"
	}
	return d, nil
}

func decimalSyntax(s string) error {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return errors.New("invalid decimal literal " + strconv.Quote(s))
}

// decimalDigits returns the digits of s, which may hold single underscores
// between digits; ok is false for anything else.
func decimalDigits(s string) (string, bool) {
	if !strings.Contains(s, "_") {
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return "", false
			}
		}
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == '_' && i > 0 && i < len(s)-1 && s[i-1] != '_' && s[i+1] >= '0' && s[i+1] <= '9':
		default:
			return "", false
		}
	}
	return b.String(), true
}

// parseDecimalExp parses a signed exponent; absurd sizes are refused.
func parseDecimalExp(s string) (int64, error) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	digits, ok := decimalDigits(s)
	if !ok || digits == "" {
		return 0, errDecimalText
	}
	digits = strings.TrimLeft(digits, "0")
	if len(digits) > 18 {
		return 0, errDecimalText
	}
	e, _ := strconv.ParseInt("0"+digits, 10, 64)
	if neg {
		e = -e
	}
	return e, nil
}

// NewDecimal returns coef × 10**exp (exactly; a negative coef makes a
// negative Decimal).
func NewDecimal(coef *big.Int, exp int64) Decimal {
	return Decimal{Neg: coef.Sign() < 0, Digits: new(big.Int).Abs(coef).String(), Exp: exp}
}

// digits returns the coefficient digits of a finite d, "0" when empty.
func (d Decimal) digits() string {
	s := strings.TrimLeft(d.Digits, "0")
	if s == "" {
		return "0"
	}
	return s
}

// valid reports whether Digits holds only decimal digits.
func (d Decimal) valid() error {
	for i := 0; i < len(d.Digits); i++ {
		if d.Digits[i] < '0' || d.Digits[i] > '9' {
			return errors.New("Decimal digits " + strconv.Quote(d.Digits) + " are not all decimal digits")
		}
	}
	if d.Form > SignalingNaN {
		return errors.New("Decimal form is not Finite, Infinite, NaN or SignalingNaN")
	}
	return nil
}

// IsNaN reports whether d is a quiet or signaling NaN.
func (d Decimal) IsNaN() bool { return d.Form == NaN || d.Form == SignalingNaN }

// String returns d as Python's str(d) does, which is also how it is
// pickled: 1.50, -0, 1.23E-8, 1.00E+12, -Infinity, NaN12, sNaN.
func (d Decimal) String() string {
	sign := ""
	if d.Neg {
		sign = "-"
	}
	switch d.Form {
	case Infinite:
		return sign + "Infinity"
	case NaN:
		return sign + "NaN" + strings.TrimLeft(d.Digits, "0")
	case SignalingNaN:
		return sign + "sNaN" + strings.TrimLeft(d.Digits, "0")
	}
	digits := d.digits()
	n := int64(len(digits))
	left := d.Exp + n // the exponent of the leading digit, plus one
	dot := int64(1)
	if d.Exp <= 0 && left > -6 {
		dot = left
	}
	var intPart, frac string
	switch {
	case dot <= 0:
		intPart, frac = "0", "."+strings.Repeat("0", int(-dot))+digits
	case dot >= n:
		intPart = digits + strings.Repeat("0", int(dot-n))
	default:
		intPart, frac = digits[:dot], "."+digits[dot:]
	}
	exp := ""
	if left != dot {
		exp = "E" + strconv.FormatInt(left-dot, 10)
		if left-dot > 0 {
			exp = "E+" + strconv.FormatInt(left-dot, 10)
		}
	}
	return sign + intPart + frac + exp
}

// Coefficient returns the signed coefficient of a finite d (d is
// Coefficient() × 10**Exp).
func (d Decimal) Coefficient() *big.Int {
	x, _ := new(big.Int).SetString(d.digits(), 10)
	if d.Neg {
		x.Neg(x)
	}
	return x
}

// Rat returns the exact value of a finite d. It fails for Infinity and NaN,
// and for exponents beyond ±100000 (whose exact value is huge).
func (d Decimal) Rat() (*big.Rat, error) {
	if d.Form != Finite {
		return nil, errors.New("Decimal " + d.String() + " has no rational value")
	}
	if d.Exp > maxDecimalRatExp || d.Exp < -maxDecimalRatExp {
		return nil, errors.New("Decimal exponent " + strconv.FormatInt(d.Exp, 10) + " is too large to convert exactly")
	}
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(abs64(d.Exp)), nil)
	r := new(big.Rat).SetInt(d.Coefficient())
	if d.Exp >= 0 {
		return r.Mul(r, new(big.Rat).SetInt(p)), nil
	}
	return r.Quo(r, new(big.Rat).SetInt(p)), nil
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// BigFloat returns d rounded to prec bits (64 when prec is 0), ±Inf for
// Infinity. It fails for NaN (big.Float has none) and for exponents beyond
// ±100000.
func (d Decimal) BigFloat(prec uint) (*big.Float, error) {
	if prec == 0 {
		prec = 64
	}
	f := new(big.Float).SetPrec(prec)
	switch d.Form {
	case Infinite:
		return f.SetInf(d.Neg), nil
	case NaN, SignalingNaN:
		return nil, errors.New("Decimal " + d.String() + " is a NaN, which big.Float cannot hold")
	}
	r, err := d.Rat()
	if err != nil {
		return nil, err
	}
	f.SetRat(r)
	if d.Neg && f.Sign() == 0 {
		f.Neg(f) // -0
	}
	return f, nil
}

// Float64 returns d as the nearest float64, as Python's float(d) does:
// NaN for NaN, an error for sNaN.
func (d Decimal) Float64() (float64, error) {
	if d.Form == SignalingNaN {
		return 0, errors.New("cannot convert signaling NaN to float")
	}
	if err := d.valid(); err != nil {
		return 0, err
	}
	if d.Form == NaN {
		if d.Neg {
			return math.Copysign(math.NaN(), -1), nil
		}
		return math.NaN(), nil
	}
	s := d.String()
	if d.Form == Finite {
		// ParseFloat is exact on any length; only the exponent may be
		// out of its range, where the value is 0 or ±Inf anyway.
		if d.Exp+int64(len(d.digits())) > 400 {
			return math.Copysign(math.Inf(1), sign(d.Neg)), nil
		}
		if d.Exp+int64(len(d.digits())) < -400 {
			return math.Copysign(0, sign(d.Neg)), nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, err
	}
	return f, nil
}

func sign(neg bool) float64 {
	if neg {
		return -1
	}
	return 1
}

// PickleReduce writes d as CPython does: decimal.Decimal(str(d)).
func (d Decimal) PickleReduce() (*Object, error) {
	if err := d.valid(); err != nil {
		return nil, err
	}
	return &Object{Callable: decimalGlobal, Build: "REDUCE", Args: Tuple{d.String()}}, nil
}

// Equal reports whether d and e are the same Decimal: the same form, sign,
// digits and exponent (1.5 and 1.50 differ, as their str does).
func (d Decimal) Equal(e Decimal) bool { return d.String() == e.String() }
