package pickle

import (
	"fmt"
	"math/big"
	"strconv"
	"time"
)

// stdlibExpected holds the Go value of every case of
// testdata/stdlib/stdcheck.py (CASES and DECODE_ONLY), by name: what each
// pickle must decode to, and what Go encodes to compare with CPython.
var stdlibExpected = map[string]any{
	"dt_naive":           DateTime{Year: 2024, Month: 1, Day: 2, Hour: 3, Minute: 4, Second: 5, Microsecond: 6},
	"dt_utc":             DateTime{Year: 2024, Month: 1, Day: 2, Hour: 3, Minute: 4, Second: 5, Microsecond: 6, TZ: UTC},
	"dt_named":           DateTime{Year: 2024, Month: 7, Day: 1, Hour: 12, TZ: stdlibIST},
	"dt_negative_offset": DateTime{Year: 1999, Month: 12, Day: 31, Hour: 23, Minute: 59, Second: 59, TZ: &TimeZone{Offset: -(3*time.Hour + 30*time.Minute)}},
	"dt_offset_seconds":  DateTime{Year: 2020, Month: 2, Day: 29, Second: 1, TZ: &TimeZone{Offset: -7 * time.Second, Name: "odd"}},
	"dt_offset_micro":    DateTime{Year: 2020, Month: 2, Day: 29, TZ: &TimeZone{Offset: time.Microsecond}},
	"dt_fold_naive":      DateTime{Year: 2024, Month: 11, Day: 3, Hour: 1, Minute: 30, Fold: 1},
	"dt_fold_aware":      DateTime{Year: 2024, Month: 11, Day: 3, Hour: 1, Minute: 30, Second: 15, Microsecond: 250000, Fold: 1, TZ: &TimeZone{Offset: -5 * time.Hour, Name: "EST"}},
	"dt_min":             DateTime{Year: 1, Month: 1, Day: 1},
	"dt_max":             DateTime{Year: 9999, Month: 12, Day: 31, Hour: 23, Minute: 59, Second: 59, Microsecond: 999999},
	"dt_max_tz":          DateTime{Year: 9999, Month: 12, Day: 31, Hour: 23, Minute: 59, Second: 59, Microsecond: 999999, TZ: &TimeZone{Offset: 23*time.Hour + 59*time.Minute}},
	"dt_list_shared_utc": NewList(DateTime{Year: 2024, Month: 1, Day: 1, TZ: UTC}, DateTime{Year: 2024, Month: 1, Day: 2, TZ: UTC}),
	"dt_utc_named":       DateTime{Year: 2001, Month: 9, Day: 9, Hour: 1, Minute: 46, Second: 40, TZ: &TimeZone{Name: "UTC"}},

	"date_leap": Date{2024, 2, 29},
	"date_min":  Date{1, 1, 1},
	"date_max":  Date{9999, 12, 31},

	"time_simple":   TimeOfDay{Hour: 3, Minute: 4, Second: 5, Microsecond: 6},
	"time_midnight": TimeOfDay{},
	"time_max_utc":  TimeOfDay{Hour: 23, Minute: 59, Second: 59, Microsecond: 999999, TZ: UTC},
	"time_fold":     TimeOfDay{Hour: 1, Minute: 30, Fold: 1},
	"time_named":    TimeOfDay{Hour: 12, TZ: stdlibIST},

	"td_zero":            TimeDelta{},
	"td_negative":        TimeDelta{Days: -1, Seconds: 5, Microseconds: 7},
	"td_micro":           TimeDelta{Microseconds: 1},
	"td_max":             TimeDelta{Days: 999999999, Seconds: 86399, Microseconds: 999999},
	"td_min":             TimeDelta{Days: -999999999},
	"td_beyond_duration": TimeDelta{Days: 106752},
	"td_big_seconds":     TimeDelta{Days: 3, Seconds: 86399, Microseconds: 999999},

	"tz_utc":       UTC,
	"tz_negative":  &TimeZone{Offset: -3 * time.Hour},
	"tz_named":     &TimeZone{Offset: time.Hour, Name: "CET"},
	"tz_utc_named": &TimeZone{Name: "UTC"},
	"tz_max":       &TimeZone{Offset: 24*time.Hour - time.Microsecond},

	"dec_1_50":             Decimal{Digits: "150", Exp: -2},
	"dec_neg_zero":         Decimal{Neg: true, Digits: "0"},
	"dec_zero_exp":         Decimal{Digits: "0", Exp: -7},
	"dec_1e3":              Decimal{Digits: "1", Exp: 3},
	"dec_small":            Decimal{Digits: "123", Exp: -10},
	"dec_tiny_plain":       Decimal{Digits: "1", Exp: -6},
	"dec_100e10":           Decimal{Digits: "100", Exp: 10},
	"dec_inf":              Decimal{Form: Infinite},
	"dec_neg_inf":          Decimal{Neg: true, Form: Infinite},
	"dec_nan":              Decimal{Form: NaN},
	"dec_neg_nan":          Decimal{Neg: true, Form: NaN},
	"dec_snan":             Decimal{Form: SignalingNaN},
	"dec_nan_payload":      Decimal{Form: NaN, Digits: "12"},
	"dec_neg_snan_payload": Decimal{Neg: true, Form: SignalingNaN, Digits: "34"},
	"dec_pi50":             Decimal{Digits: "314159265358979323846264338327950288419716939937510", Exp: -50},
	"dec_huge_exp":         Decimal{Digits: "1", Exp: 999999},
	"dec_negative_tiny":    Decimal{Neg: true, Digits: "1000000000000000000000000000001", Exp: -430},
	"dec_int":              Decimal{Digits: "12345678901234567890"},

	"uuid_zero":  UUID{},
	"uuid_text":  stdlibMustUUID("12345678123456781234567812345678"),
	"uuid_max":   stdlibMustUUID("ffffffffffffffffffffffffffffffff"),
	"uuid_small": stdlibMustUUID("00000000000000000000000000003039"),
	"uuid_safe":  stdlibMustUUID("00000000000000000000000000000005"),

	"od_empty":  NewOrderedDict(),
	"od_items":  stdlibOD("b", int64(1), "a", NewList(int64(2))),
	"od_1001":   stdlibOD1001(),
	"od_nested": stdlibOD("x", stdlibOD("y", int64(1))),
	"dd_list":   stdlibDD(Global{"builtins", "list"}, "k", NewList(int64(1))),
	"dd_int":    stdlibDD(Global{"builtins", "int"}, "a", int64(1), "b", int64(2)),
	"dd_none":   stdlibDD(nil, int64(1), int64(2)),
	"dd_set":    stdlibDD(Global{"builtins", "set"}),
	"dd_dict":   stdlibDD(Global{"builtins", "dict"}, "x", NewDict()),
	"dd_float":  stdlibDD(Global{"builtins", "float"}),
	"dd_str":    stdlibDD(Global{"builtins", "str"}),

	"ctr_letters":  stdlibCounter("a", int64(5), "b", int64(2), "r", int64(2), "c", int64(1), "d", int64(1)),
	"ctr_empty":    NewCounter(),
	"ctr_negative": stdlibCounter("x", int64(-1), "y", int64(0)),

	"dq_empty":   &Deque{},
	"dq_items":   &Deque{Items: []any{int64(1), "two", 3.0}},
	"dq_maxlen":  &Deque{Items: []any{int64(1), int64(2)}, Bounded: true, MaxLen: 3},
	"dq_maxlen0": &Deque{Bounded: true, MaxLen: 0},
	"dq_1500":    stdlibDeque1500(),

	"frac_3_4":  big.NewRat(3, 4),
	"frac_neg":  big.NewRat(-1, 3),
	"frac_zero": big.NewRat(0, 1),
	"frac_big":  new(big.Rat).SetFrac(new(big.Int).Lsh(big.NewInt(1), 100), big.NewInt(3)),

	"range_5":     Range{0, 5, 1},
	"range_step":  Range{1, 10, 2},
	"range_down":  Range{10, 0, -3},
	"range_empty": Range{0, 0, 1},
	"range_big":   Range{-1 << 63, 1<<63 - 1, 1 << 62},

	"mixed_record": stdlibDict(
		"when", DateTime{Year: 2024, Month: 5, Day: 6, Hour: 7, Minute: 8, Second: 9, TZ: UTC},
		"amount", Decimal{Digits: "1250", Exp: -2},
		"id", stdlibMustUUID("00000000000000000000000000000007"),
		"tags", &Deque{Items: []any{"a"}},
		"ratio", big.NewRat(1, 3),
		"span", TimeDelta{Seconds: 3600},
	),
}

// stdlibVectorExpected holds the Go value of every vector of
// testdata/stdlib/stdcheck.py (VECTORS), by name.
var stdlibVectorExpected = map[string]any{
	"py2_date_p0":               Date{2015, 11, 27},
	"py2_date_p1":               Date{2015, 11, 27},
	"py2_date_p2":               Date{2015, 11, 27},
	"py2_datetime_p0":           DateTime{Year: 2015, Month: 11, Day: 27, Hour: 20, Minute: 59, Second: 1, Microsecond: 4096},
	"py2_datetime_p1":           DateTime{Year: 2015, Month: 11, Day: 27, Hour: 20, Minute: 59, Second: 1, Microsecond: 4096},
	"py2_datetime_p2":           DateTime{Year: 2015, Month: 11, Day: 27, Hour: 20, Minute: 59, Second: 1, Microsecond: 4096},
	"py2_time_p0":               TimeOfDay{Hour: 20, Minute: 59, Second: 16, Microsecond: 4096},
	"py2_time_p1":               TimeOfDay{Hour: 20, Minute: 59, Second: 16, Microsecond: 4096},
	"py2_time_p2":               TimeOfDay{Hour: 20, Minute: 59, Second: 25, Microsecond: 4096},
	"py2_datetime_p2_bytes":     DateTime{Year: 2015, Month: 11, Day: 27, Hour: 20, Minute: 59, Second: 1, Microsecond: 4096},
	"py2_timedelta_p2":          TimeDelta{Days: 1, Seconds: 2, Microseconds: 3},
	"py2_decimal_p0":            Decimal{Neg: true, Digits: "150", Exp: -2},
	"py2_decimal_p2":            Decimal{Form: SignalingNaN},
	"py2_ordereddict_p2":        stdlibOD("b", int64(1), "a", int64(2)),
	"py2_deque_maxlen_p2":       &Deque{Items: []any{int64(1), int64(2)}, Bounded: true, MaxLen: 5},
	"py2_defaultdict_p2":        stdlibDD(Global{"builtins", "int"}, "a", int64(1)),
	"py2_defaultdict_long_p0":   stdlibDD(Global{"builtins", "int"}, "a", int64(1)),
	"py2_counter_p2":            stdlibCounter("x", int64(3)),
	"py2_uuid_p0":               stdlibMustUUID("00000000000000000000000000003039"),
	"py2_uuid_p2":               stdlibMustUUID("00000000000000000000000000003039"),
	"py2_fraction_p0":           big.NewRat(-3, 4),
	"py3_fraction_str_p4":       big.NewRat(7, 1),
	"py2_xrange_p2":             Range{0, 5, 1},
	"py3_datetime_str_state_p2": DateTime{Year: 2024, Month: 1, Day: 2, Hour: 3, Minute: 4, Second: 5, Microsecond: 6},
}

var stdlibIST = &TimeZone{Offset: 5*time.Hour + 30*time.Minute, Name: "IST"}

func stdlibMustUUID(h string) UUID {
	var u UUID
	for i := range u {
		b, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		if err != nil {
			panic(err)
		}
		u[i] = byte(b)
	}
	return u
}

// stdlibFill sets alternating keys and values in d.
func stdlibFill(d *Dict, kv []any) {
	for i := 0; i < len(kv); i += 2 {
		if err := d.Set(kv[i], kv[i+1]); err != nil {
			panic(err)
		}
	}
}

func stdlibDict(kv ...any) *Dict { d := NewDict(); stdlibFill(d, kv); return d }

func stdlibOD(kv ...any) *OrderedDict { od := NewOrderedDict(); stdlibFill(&od.Dict, kv); return od }

func stdlibDD(factory any, kv ...any) *DefaultDict {
	dd := NewDefaultDict(factory)
	stdlibFill(&dd.Dict, kv)
	return dd
}

func stdlibCounter(kv ...any) *Counter { c := NewCounter(); stdlibFill(&c.Dict, kv); return c }

func stdlibOD1001() *OrderedDict {
	od := NewOrderedDict()
	for i := range 1001 {
		stdlibFill(&od.Dict, []any{int64(i), fmt.Sprint(i)})
	}
	return od
}

func stdlibDeque1500() *Deque {
	dq := &Deque{}
	for i := range 1500 {
		dq.Items = append(dq.Items, int64(i))
	}
	return dq
}

// stdlibAtProtocol returns what CPython's pickle of v at protocol p loads
// back to: below protocol 4 datetimes and times lose their fold.
func stdlibAtProtocol(v any, p int) any {
	if p >= 4 {
		return v
	}
	switch x := v.(type) {
	case DateTime:
		x.Fold = 0
		return x
	case TimeOfDay:
		x.Fold = 0
		return x
	case *List:
		out := NewList()
		for _, it := range x.Items {
			out.Append(stdlibAtProtocol(it, p))
		}
		return out
	}
	return v
}
