package pickle

import (
	"errors"
	"math"
	"math/big"
	"testing"
	"time"
)

// stdlibGolden reads the golden pickle of case at protocol p.
func stdlibGolden(t *testing.T, name string, p int) []byte {
	t.Helper()
	return stdlibRead(t, name+".p"+string(rune('0'+p))+".pkl")
}

// TestStdlibTypedTargets decodes CPython's pickles straight into Go's own
// types (time.Time, time.Duration, [16]byte, big.Rat, maps, slices...), at
// every protocol.
func TestStdlibTypedTargets(t *testing.T) {
	ist := time.FixedZone("IST", 5*3600+1800)
	checks := []struct {
		name  string
		into  func() any // a new pointer to the target
		check func(v any) bool
	}{
		{"dt_utc", func() any { return new(time.Time) }, func(v any) bool {
			x := *v.(*time.Time)
			return x.Equal(time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)) && x.Location() == time.UTC
		}},
		{"dt_named", func() any { return new(time.Time) }, func(v any) bool {
			x := *v.(*time.Time)
			name, off := x.Zone()
			return x.Equal(time.Date(2024, 7, 1, 12, 0, 0, 0, ist)) && name == "IST" && off == 19800
		}},
		{"dt_naive", func() any { return new(time.Time) }, func(v any) bool {
			return v.(*time.Time).Equal(time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC))
		}},
		{"dt_negative_offset", func() any { return new(*time.Time) }, func(v any) bool {
			return (*v.(**time.Time)).Equal(time.Date(2000, 1, 1, 3, 29, 59, 0, time.UTC))
		}},
		{"date_leap", func() any { return new(time.Time) }, func(v any) bool {
			return v.(*time.Time).Equal(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC))
		}},
		{"td_negative", func() any { return new(time.Duration) }, func(v any) bool {
			return *v.(*time.Duration) == -24*time.Hour+5*time.Second+7*time.Microsecond
		}},
		{"td_zero", func() any { return new(time.Duration) }, func(v any) bool { return *v.(*time.Duration) == 0 }},
		{"tz_named", func() any { return new(time.Location) }, func(v any) bool {
			_, off := time.Date(2024, 1, 1, 0, 0, 0, 0, v.(*time.Location)).Zone()
			return v.(*time.Location).String() == "CET" && off == 3600
		}},
		{"uuid_text", func() any { return new([16]byte) }, func(v any) bool {
			return *v.(*[16]byte) == [16]byte(stdlibMustUUID("12345678123456781234567812345678"))
		}},
		{"uuid_text", func() any { return new(string) }, func(v any) bool {
			return *v.(*string) == "12345678-1234-5678-1234-567812345678"
		}},
		{"uuid_max", func() any { return new([]byte) }, func(v any) bool {
			b := *v.(*[]byte)
			return len(b) == 16 && b[0] == 0xff && b[15] == 0xff
		}},
		{"dec_1_50", func() any { return new(string) }, func(v any) bool { return *v.(*string) == "1.50" }},
		{"dec_1_50", func() any { return new(float64) }, func(v any) bool { return *v.(*float64) == 1.5 }},
		{"dec_1_50", func() any { return new(*big.Rat) }, func(v any) bool { return (*v.(**big.Rat)).Cmp(big.NewRat(3, 2)) == 0 }},
		{"dec_neg_zero", func() any { return new(float64) }, func(v any) bool {
			return *v.(*float64) == 0 && math.Signbit(*v.(*float64))
		}},
		{"dec_neg_inf", func() any { return new(float64) }, func(v any) bool { return math.IsInf(*v.(*float64), -1) }},
		{"dec_nan", func() any { return new(float64) }, func(v any) bool { return math.IsNaN(*v.(*float64)) }},
		{"dec_pi50", func() any { return new(big.Float) }, func(v any) bool {
			f, _ := v.(*big.Float).Float64()
			return f == math.Pi
		}},
		{"dec_pi50", func() any { return new(Decimal) }, func(v any) bool { return v.(*Decimal).Exp == -50 }},
		{"frac_3_4", func() any { return new(big.Rat) }, func(v any) bool { return v.(*big.Rat).Cmp(big.NewRat(3, 4)) == 0 }},
		{"frac_big", func() any { return new(*big.Rat) }, func(v any) bool { return (*v.(**big.Rat)).Num().BitLen() == 101 }},
		{"frac_neg", func() any { return new(float64) }, func(v any) bool { return *v.(*float64) == -1.0/3 }},
		{"od_items", func() any { return new(map[string]any) }, func(v any) bool {
			m := *v.(*map[string]any)
			return len(m) == 2 && m["b"] == int64(1) && Equal(m["a"], NewList(int64(2)))
		}},
		{"ctr_letters", func() any { return new(map[string]int) }, func(v any) bool {
			m := *v.(*map[string]int)
			return len(m) == 5 && m["a"] == 5 && m["r"] == 2 && m["d"] == 1
		}},
		{"dd_int", func() any { return new(map[string]int) }, func(v any) bool {
			m := *v.(*map[string]int)
			return len(m) == 2 && m["a"] == 1 && m["b"] == 2
		}},
		{"od_1001", func() any { return new(map[int]string) }, func(v any) bool {
			m := *v.(*map[int]string)
			return len(m) == 1001 && m[1000] == "1000"
		}},
		{"dq_1500", func() any { return new([]int) }, func(v any) bool {
			s := *v.(*[]int)
			return len(s) == 1500 && s[1499] == 1499
		}},
		{"dq_maxlen", func() any { return new([]int64) }, func(v any) bool {
			s := *v.(*[]int64)
			return len(s) == 2 && s[0] == 1 && s[1] == 2
		}},
		{"od_items", func() any { return new(*OrderedDict) }, func(v any) bool {
			return (*v.(**OrderedDict)).Len() == 2
		}},
		{"range_step", func() any { return new(Range) }, func(v any) bool { return v.(*Range).Len() == 5 }},
	}
	gap := stdlibReconstructorGap(t)
	for _, c := range checks {
		for p := 0; p <= HighestProtocol; p++ {
			if gap && p < 2 && c.name[:5] == "uuid_" {
				continue // copyreg._reconstructor: waits for the resolver change (see TestStdlibGoldenDecode)
			}
			target := c.into()
			if err := Unmarshal(stdlibGolden(t, c.name, p), target); err != nil {
				t.Errorf("%s p%d into %T: %v", c.name, p, target, err)
				continue
			}
			if !c.check(target) {
				t.Errorf("%s p%d into %T: wrong value %+v", c.name, p, target, target)
			}
		}
	}
}

// TestStdlibTypedStruct decodes a record with standard library values into
// a struct of Go types.
func TestStdlibTypedStruct(t *testing.T) {
	var rec struct {
		When   time.Time     `pickle:"when"`
		Amount Decimal       `pickle:"amount"`
		ID     [16]byte      `pickle:"id"`
		Tags   []string      `pickle:"tags"`
		Ratio  *big.Rat      `pickle:"ratio"`
		Span   time.Duration `pickle:"span"`
	}
	for p := 2; p <= HighestProtocol; p++ {
		if err := Unmarshal(stdlibGolden(t, "mixed_record", p), &rec); err != nil {
			t.Fatalf("p%d: %v", p, err)
		}
		if !rec.When.Equal(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)) || rec.Amount.String() != "12.50" ||
			rec.ID[15] != 7 || len(rec.Tags) != 1 || rec.Tags[0] != "a" ||
			rec.Ratio.Cmp(big.NewRat(1, 3)) != 0 || rec.Span != time.Hour {
			t.Errorf("p%d: %+v", p, rec)
		}
	}
}

// TestStdlibTypedOutOfRange: a value that does not fit the Go type is an
// *UnmarshalTypeError, never a silent wrap.
func TestStdlibTypedOutOfRange(t *testing.T) {
	cases := []struct {
		name string
		into any
	}{
		{"td_beyond_duration", new(time.Duration)},
		{"td_max", new(time.Duration)},
		{"td_min", new(time.Duration)},
		{"dt_offset_micro", new(time.Time)},
		{"dec_snan", new(float64)},
		{"dec_nan", new(big.Rat)},
		{"dec_inf", new(big.Rat)},
		{"dec_huge_exp", new(big.Rat)},
	}
	for _, c := range cases {
		err := Unmarshal(stdlibGolden(t, c.name, 4), c.into)
		var te *UnmarshalTypeError
		if !errors.As(err, &te) {
			t.Errorf("%s into %T: got %v, want an *UnmarshalTypeError", c.name, c.into, err)
		}
	}
	var td TimeDelta
	if err := Unmarshal(stdlibGolden(t, "td_beyond_duration", 4), &td); err != nil || td.Days != 106752 {
		t.Errorf("td_beyond_duration into TimeDelta: %+v, %v", td, err)
	}
	if _, ok := td.Duration(); ok {
		t.Errorf("TimeDelta %v: Duration reports it fits", td)
	}
}

// TestStdlibBadInput: malformed standard library calls are clear errors,
// never panics.
func TestStdlibBadInput(t *testing.T) {
	g := func(mod, name string) string { return "c" + mod + "\n" + name + "\n" }
	bad := map[string]string{
		"datetime month 13":       g("datetime", "datetime") + "(C\n\x07\xe8\x0d\x02\x03\x04\x05\x00\x00\x06tR.",
		"datetime day 32":         g("datetime", "datetime") + "(C\n\x07\xe8\x01\x20\x03\x04\x05\x00\x00\x06tR.",
		"datetime hour 24":        g("datetime", "datetime") + "(C\n\x07\xe8\x01\x02\x18\x04\x05\x00\x00\x06tR.",
		"datetime microsecond":    g("datetime", "datetime") + "(C\n\x07\xe8\x01\x02\x03\x04\x05\x0f\x42\x40tR.",
		"datetime short state":    g("datetime", "datetime") + "(C\x09\x07\xe8\x01\x02\x03\x04\x05\x00\x00tR.",
		"datetime year 0":         g("datetime", "datetime") + "(C\n\x00\x00\x01\x02\x03\x04\x05\x00\x00\x06tR.",
		"datetime not latin1":     g("datetime", "datetime") + "(X\x0b\x00\x00\x00\xe2\x82\xac\x01\x02\x03\x04\x05\x00\x00\x06tR.",
		"datetime int args":       g("datetime", "datetime") + "(K\x01K\x0dK\x01tR.",
		"datetime bad tz":         g("datetime", "datetime") + "(C\n\x07\xe8\x01\x02\x03\x04\x05\x00\x00\x06K\x01tR.",
		"date feb 30":             g("datetime", "date") + "(C\x04\x07\xe8\x02\x1etR.",
		"time hour 24":            g("datetime", "time") + "(C\x06\x18\x00\x00\x00\x00\x00tR.",
		"timedelta too big":       g("datetime", "timedelta") + "(J\x00\xca\x9a\x3btR.",
		"timedelta float":         g("datetime", "timedelta") + "(G?\xf0\x00\x00\x00\x00\x00\x00tR.",
		"timezone 24h":            g("datetime", "timezone") + "(" + g("datetime", "timedelta") + "(K\x01tRtR.",
		"timezone name int":       g("datetime", "timezone") + "(" + g("datetime", "timedelta") + "(K\x00tRK\x01tR.",
		"decimal bad literal":     g("decimal", "Decimal") + "(X\x03\x00\x00\x001.xtR.",
		"decimal huge exponent":   g("decimal", "Decimal") + "(X\x18\x00\x00\x001E99999999999999999999999tR.",
		"decimal float arg":       g("decimal", "Decimal") + "(G?\xf0\x00\x00\x00\x00\x00\x00tR.",
		"fraction zero den":       g("fractions", "Fraction") + "(K\x01K\x00tR.",
		"fraction bad text":       g("fractions", "Fraction") + "(X\x03\x00\x00\x001/xtR.",
		"range step 0":            g("builtins", "range") + "(K\x00K\x05K\x00tR.",
		"range float":             g("builtins", "range") + "(G?\xf0\x00\x00\x00\x00\x00\x00tR.",
		"uuid negative":           "\x80\x02" + g("uuid", "UUID") + ")\x81}X\x03\x00\x00\x00intJ\xff\xff\xff\xffsb.",
		"uuid 129 bits":           "\x80\x02" + g("uuid", "UUID") + ")\x81}X\x03\x00\x00\x00int\x8a\x11" + "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01" + "sb.",
		"uuid no state":           "\x80\x02" + g("uuid", "UUID") + ")\x81.",
		"deque negative maxlen":   g("collections", "deque") + "()J\xff\xff\xff\xfftR.",
		"counter of int":          g("collections", "Counter") + "(K\x01tR.",
		"ordereddict bad pairs":   g("collections", "OrderedDict") + "(]K\x01atR.",
		"ordereddict attributes":  "\x80\x02" + g("collections", "OrderedDict") + ")R}X\x01\x00\x00\x00xK\x01sb.",
		"defaultdict int factory": "\x80\x02" + g("collections", "defaultdict") + "K\x01\x85R.",
	}
	for name, data := range bad {
		_, err := stdlibDecode([]byte(data))
		var se *SyntaxError
		var te *UnmarshalTypeError
		var ge *GlobalError // a known constructor called with arguments it refuses
		if err == nil || !(errors.As(err, &se) || errors.As(err, &te) || errors.As(err, &ge)) || err.Error()[:7] != "pickle:" {
			t.Errorf("%s: got %v, want a *SyntaxError, *UnmarshalTypeError or *GlobalError", name, err)
		}
	}
}

// TestStdlibKeepUnknownTZInfo: a datetime whose tzinfo is another class
// (zoneinfo, pytz, a user class) is refused, or kept inert with KeepUnknown.
func TestStdlibKeepUnknownTZInfo(t *testing.T) {
	// CPython's datetimetester test_compat_unpickle: a Python 2 datetime
	// with a PicklableFixedOffset tzinfo.
	data := []byte("\x80\x02cdatetime\ndatetime\nU\n\x07\xdf\x0b\x1b\x14;\x01\x01\xe2@" +
		"ctest.datetimetester\nPicklableFixedOffset\n)R}(U\x14_FixedOffset__offsetcdatetime\ntimedelta\n" +
		"J\xff\xff\xff\xffJ0\x0b\x01\x00K\x00\x87RU\x17_FixedOffset__dstoffsetNU\x12_FixedOffset__nameU\x06cookieub\x86R.")
	_, err := stdlibDecode(data, Encoding("latin1"))
	var ge *GlobalError
	if !errors.As(err, &ge) || ge.Module != "test.datetimetester" {
		t.Errorf("without KeepUnknown: got %v, want a *GlobalError for test.datetimetester", err)
	}
	v, err := stdlibDecode(data, Encoding("latin1"), KeepUnknown(true))
	if err != nil {
		t.Fatal(err)
	}
	o, ok := v.(*Object)
	if !ok || o.Callable != (Global{"datetime", "datetime"}) || len(o.Args) != 2 {
		t.Fatalf("with KeepUnknown: got %#v, want the datetime call kept as an *Object", v)
	}
	if state, _ := o.Args[0].(string); state != "\x07\u00df\x0b\x1b\x14;\x01\x01\u00e2@" { // latin1-decoded
		t.Errorf("state %q", o.Args[0])
	}
	if tz, ok := o.Args[1].(*Object); !ok || tz.Callable != (Global{"test.datetimetester", "PicklableFixedOffset"}) {
		t.Errorf("tzinfo %#v", o.Args[1])
	}
}

// TestStdlibSharedAndCyclic: mutable containers keep identity: the same
// OrderedDict twice decodes to one pointer, and one holding itself to a
// cycle.
func TestStdlibSharedAndCyclic(t *testing.T) {
	// [od, od] where od = OrderedDict(a=1), protocol 2 (as CPython writes it).
	shared := []byte("\x80\x02]q\x00(ccollections\nOrderedDict\nq\x01)Rq\x02X\x01\x00\x00\x00aq\x03K\x01sh\x02e.")
	v, err := stdlibDecode(shared)
	if err != nil {
		t.Fatal(err)
	}
	l := v.(*List)
	if l.Items[0].(*OrderedDict) != l.Items[1].(*OrderedDict) {
		t.Error("[od, od]: two different *OrderedDict")
	}
	// od['self'] = od
	cyclic := []byte("\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01X\x04\x00\x00\x00selfq\x02h\x01s.")
	v, err = stdlibDecode(cyclic)
	if err != nil {
		t.Fatal(err)
	}
	od := v.(*OrderedDict)
	if self, _ := od.Get("self"); self != od {
		t.Errorf("od['self'] is %#v, not od", self)
	}
}

// TestStdlibEncodeGoTypes: Go's own types encode as their Python
// counterparts, and decode back to the same values.
func TestStdlibEncodeGoTypes(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	in := []struct {
		v    any
		want any
	}{
		{time.Date(2024, 1, 2, 3, 4, 5, 6789, time.UTC), DateTime{Year: 2024, Month: 1, Day: 2, Hour: 3, Minute: 4, Second: 5, Microsecond: 6, TZ: UTC}},
		{time.Date(2024, 1, 2, 3, 4, 5, 0, cet), DateTime{Year: 2024, Month: 1, Day: 2, Hour: 3, Minute: 4, Second: 5, TZ: &TimeZone{Offset: time.Hour, Name: "CET"}}},
		{time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("", -7200)), DateTime{Year: 2024, Month: 1, Day: 2, Hour: 3, Minute: 4, Second: 5, TZ: &TimeZone{Offset: -2 * time.Hour}}},
		{90*time.Minute + 1500*time.Nanosecond, TimeDelta{Seconds: 5400, Microseconds: 1}},
		{-time.Microsecond, TimeDelta{Days: -1, Seconds: 86399, Microseconds: 999999}},
		{big.NewRat(-5, 10), big.NewRat(-1, 2)},
	}
	for _, c := range in {
		for p := 0; p <= HighestProtocol; p++ {
			data, err := Marshal(c.v, Protocol(p))
			if err != nil {
				t.Errorf("%v p%d: %v", c.v, p, err)
				continue
			}
			got, err := stdlibDecode(data)
			if err != nil || !stdlibSame(got, c.want) {
				t.Errorf("%v p%d: decoded %#v, %v; want %#v", c.v, p, got, err, c.want)
			}
		}
	}
	if _, err := Marshal(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("year 10000: no error")
	}
	if _, err := Marshal(DateTime{Year: 2024, Month: 2, Day: 30}); err == nil {
		t.Error("February 30: no error")
	}
	if _, err := Marshal(Decimal{Digits: "1x"}); err == nil {
		t.Error("Decimal digits 1x: no error")
	}
	if _, err := Marshal(TimeDelta{Seconds: -1}); err == nil {
		t.Error("unnormalized TimeDelta: no error")
	}
	if _, err := Marshal(&Deque{Items: []any{1, 2}, Bounded: true, MaxLen: 1}); err == nil {
		t.Error("Deque over its MaxLen: no error")
	}
}

// TestStdlibDecimalText: ParseDecimal and String agree with Python's
// Decimal(s) and str() on the forms the constructor accepts.
func TestStdlibDecimalText(t *testing.T) {
	cases := map[string]string{ // input -> str(Decimal(input)), checked in python3
		"NaN0": "NaN", "NaN012": "NaN12", "-0": "-0", "0E-7": "0E-7", "1E+3": "1E+3", "123E-10": "1.23E-8",
		"-sNaN": "-sNaN", "Infinity": "Infinity", "-inf": "-Infinity", "  1.50 ": "1.50", "1_000": "1000",
		"0.000001": "0.000001", "0.0000001": "1E-7", "1e-6": "0.000001", "100e10": "1.00E+12", "+.5": "0.5",
		"5.": "5", "nan": "NaN", "snan00": "sNaN", "000.10": "0.10", "1E-0": "1", "-12.3e+2": "-1.23E+3",
	}
	for in, want := range cases {
		d, err := ParseDecimal(in)
		if err != nil || d.String() != want {
			t.Errorf("ParseDecimal(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	for _, in := range []string{"", "1.2.3", "e5", "1e", "1__0", "_1", "NaNx", "--1", "1e+-2", "Infinit"} {
		if d, err := ParseDecimal(in); err == nil {
			t.Errorf("ParseDecimal(%q) = %v, want an error", in, d)
		}
	}
}
