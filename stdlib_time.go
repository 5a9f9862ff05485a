package pickle

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"time"
)

// This file maps Python's datetime module: datetime.datetime, date, time,
// timedelta and timezone. Decoding into any gives the faithful types below
// (a naive datetime stays naive, a timezone keeps its name, fold is kept);
// typed targets time.Time and time.Duration are filled directly. Encoding
// writes what CPython writes: datetime(state bytes[, tzinfo]) and so on.
// See docs/stdlib-types.md.

// DateTime is a Python datetime.datetime. TZ is nil for a naive datetime
// (one with no tzinfo), which is not an instant: convert it with TimeIn.
// Fold (0 or 1) tells the two wall times of a repeated hour apart, as in
// Python (PEP 495).
type DateTime struct {
	Year, Month, Day                  int
	Hour, Minute, Second, Microsecond int
	Fold                              int
	TZ                                *TimeZone
}

// Date is a Python datetime.date: a calendar day, with no clock.
type Date struct {
	Year, Month, Day int
}

// TimeOfDay is a Python datetime.time: a wall clock time with an optional
// timezone (TZ nil: naive) and no date.
type TimeOfDay struct {
	Hour, Minute, Second, Microsecond int
	Fold                              int
	TZ                                *TimeZone
}

// TimeDelta is a Python datetime.timedelta, normalized as Python does:
// 0 <= Seconds < 86400, 0 <= Microseconds < 1000000, and
// -999999999 <= Days <= 999999999. Its range (about ±2.7 million years) is
// far wider than time.Duration's (±292 years): see Duration.
type TimeDelta struct {
	Days, Seconds, Microseconds int
}

// TimeZone is a Python datetime.timezone: a fixed offset from UTC (strictly
// between -24h and 24h, in whole microseconds) and an optional name. The
// zero value, unnamed with offset 0, is timezone.utc. A timezone pickled
// with an empty name decodes as unnamed.
type TimeZone struct {
	Offset time.Duration
	Name   string
}

// UTC is Python's timezone.utc. Encoding a time.Time in time.UTC writes it,
// shared by all the datetimes of one pickle as in CPython.
var UTC = &TimeZone{}

var (
	datetimeGlobal  = Global{"datetime", "datetime"}
	dateGlobal      = Global{"datetime", "date"}
	timeGlobal      = Global{"datetime", "time"}
	timedeltaGlobal = Global{"datetime", "timedelta"}
	timezoneGlobal  = Global{"datetime", "timezone"}

	timeTimeType     = reflect.TypeOf(time.Time{})
	durationType     = reflect.TypeOf(time.Duration(0))
	dateTimeType     = reflect.TypeOf(DateTime{})
	dateType         = reflect.TypeOf(Date{})
	timeOfDayType    = reflect.TypeOf(TimeOfDay{})
	timeDeltaType    = reflect.TypeOf(TimeDelta{})
	timeZoneType     = reflect.TypeOf(TimeZone{})
	timeZonePtrType  = reflect.TypeOf((*TimeZone)(nil))
	errNotATimezone  = errors.New("tzinfo is not a datetime.timezone")
	maxTimeDeltaDays = 999999999
)

func init() {
	registerStdlib("datetime", "datetime", &stdlibType{toAny: anyDateTime, into: intoDateTime})
	registerStdlib("datetime", "date", &stdlibType{toAny: anyDate, into: intoDate})
	registerStdlib("datetime", "time", &stdlibType{toAny: anyTimeOfDay})
	registerStdlib("datetime", "timedelta", &stdlibType{toAny: anyTimeDelta, into: intoTimeDelta})
	registerStdlib("datetime", "timezone", &stdlibType{toAny: anyTimeZone, into: intoTimeZone})
	registerStdlibReducer(timeTimeType, func(v reflect.Value) (*Object, error) {
		dt, err := NewDateTime(v.Interface().(time.Time))
		if err != nil {
			return nil, err
		}
		return dt.pickleReduceEx(HighestProtocol)
	})
	registerStdlibReducer(durationType, func(v reflect.Value) (*Object, error) {
		return NewTimeDelta(time.Duration(v.Int())).PickleReduce()
	})
}

// --- decoding ------------------------------------------------------------------

// stateBytes returns the packed state of a date, datetime or time: bytes,
// or a str of code points below 256 (Python 2 pickles loaded with
// Encoding("latin1"), which CPython accepts too). ok is false when the
// argument is not a state at all (the constructor's int arguments).
func stateBytes(c *callView, s State) (b []byte, ok bool, err error) {
	switch s.Kind() {
	case "bytes":
		err = s.Decode(&b)
		return b, true, err
	case "str":
		var txt string
		if err := s.Decode(&txt); err != nil {
			return nil, true, err
		}
		b = make([]byte, 0, len(txt))
		for _, r := range txt {
			if r > 0xFF {
				return nil, true, c.errorf("state str is not Latin-1")
			}
			b = append(b, byte(r))
		}
		return b, true, nil
	}
	return nil, false, nil
}

// tzArg decodes a tzinfo argument: None or a datetime.timezone. A tzinfo
// of another class gives errNotATimezone.
func tzArg(s State) (*TimeZone, error) {
	var x any
	if err := s.Decode(&x); err != nil {
		return nil, err
	}
	switch z := x.(type) {
	case nil:
		return nil, nil
	case *TimeZone:
		return z, nil
	}
	return nil, errNotATimezone
}

// intArgs decodes ints from the states, with each value's range.
func intArgs(c *callView, states []State, lo, hi []int64) ([]int, error) {
	out := make([]int, len(states))
	for i, s := range states {
		var x int64
		if err := s.Decode(&x); err != nil {
			return nil, err
		}
		if x < lo[i] || x > hi[i] {
			return nil, c.errorf(fmt.Sprintf("argument %d is %d, outside [%d, %d]", i+1, x, lo[i], hi[i]))
		}
		out[i] = int(x)
	}
	return out, nil
}

// inertOr returns the call as an inert *Object when KeepUnknown is on (a
// form this package does not model, such as a datetime whose tzinfo is of
// another class), or err.
func (c *callView) inertOr(err error) (any, error) {
	if !c.b.cfg.keepUnknown {
		return nil, err
	}
	o := &Object{}
	c.rememberEarly(o)
	return o, c.b.fillObject(c.n, o)
}

// typeErrorf returns a type error for a value that does not fit target v.
func (c *callView) typeErrorf(v reflect.Value, msg string) error {
	return c.b.typeError(c.n, v.Type(), c.Callee.String()+": "+msg)
}

// rememberEarly records v as the value of the call's node before its
// contents are decoded, so that a container that holds itself decodes to a
// cycle rather than recursing.
func (c *callView) rememberEarly(v any) {
	if c.b.m.nodes[c.n].flags&flagShared != 0 {
		c.b.remember(c.n, true, v)
	}
}

func anyDateTime(c *callView) (any, error) {
	dt, err := decodeDateTime(c)
	if errors.Is(err, errNotATimezone) {
		return c.inertOr(c.errorf("a tzinfo of a class other than datetime.timezone is not supported"))
	}
	return dt, err
}

func decodeDateTime(c *callView) (DateTime, error) {
	var dt DateTime
	if len(c.Kwargs) > 0 || len(c.States) > 0 {
		return dt, c.errorf("unexpected keyword arguments or state")
	}
	if len(c.Args) == 0 || len(c.Args) > 8 {
		return dt, c.errorf(fmt.Sprintf("takes 1 to 8 arguments, not %d", len(c.Args)))
	}
	state, isState, err := stateBytes(c, c.Args[0])
	if err != nil {
		return dt, err
	}
	var tzAt int
	if isState {
		if len(c.Args) > 2 || len(state) != 10 || state[2]&0x7F < 1 || state[2]&0x7F > 12 {
			return dt, c.errorf("bad datetime state")
		}
		dt = DateTime{
			Year: int(state[0])<<8 | int(state[1]), Month: int(state[2] & 0x7F), Day: int(state[3]),
			Hour: int(state[4]), Minute: int(state[5]), Second: int(state[6]),
			Microsecond: int(state[7])<<16 | int(state[8])<<8 | int(state[9]),
			Fold:        int(state[2] >> 7),
		}
		tzAt = 1
	} else {
		// datetime(year, month, day[, hour[, minute[, second[, microsecond[, tzinfo]]]]])
		n := min(len(c.Args), 7)
		if n < 3 {
			return dt, c.errorf("needs year, month and day")
		}
		v, err := intArgs(c, c.Args[:n], []int64{1, 1, 1, 0, 0, 0, 0}, []int64{9999, 12, 31, 23, 59, 59, 999999})
		if err != nil {
			return dt, err
		}
		v = append(v, 0, 0, 0, 0)
		dt = DateTime{Year: v[0], Month: v[1], Day: v[2], Hour: v[3], Minute: v[4], Second: v[5], Microsecond: v[6]}
		tzAt = 7
	}
	if len(c.Args) > tzAt {
		if dt.TZ, err = tzArg(c.Args[tzAt]); err != nil {
			return dt, err
		}
	}
	if err := dt.validate(); err != nil {
		return dt, c.errorf(err.Error())
	}
	return dt, nil
}

func intoDateTime(c *callView, v reflect.Value) (bool, error) {
	if v.Type() != timeTimeType {
		return false, nil
	}
	dt, err := decodeDateTime(c)
	if err != nil {
		return true, err
	}
	t, err := dt.Time()
	if err != nil {
		return true, c.typeErrorf(v, err.Error())
	}
	v.Set(reflect.ValueOf(t))
	return true, nil
}

func anyDate(c *callView) (any, error) { return decodeDate(c) }

func decodeDate(c *callView) (Date, error) {
	var d Date
	if len(c.Kwargs) > 0 || len(c.States) > 0 {
		return d, c.errorf("unexpected keyword arguments or state")
	}
	if len(c.Args) == 0 || len(c.Args) > 3 {
		return d, c.errorf(fmt.Sprintf("takes 1 to 3 arguments, not %d", len(c.Args)))
	}
	state, isState, err := stateBytes(c, c.Args[0])
	if err != nil {
		return d, err
	}
	if isState {
		if len(c.Args) != 1 || len(state) != 4 || state[2] < 1 || state[2] > 12 {
			return d, c.errorf("bad date state")
		}
		d = Date{Year: int(state[0])<<8 | int(state[1]), Month: int(state[2]), Day: int(state[3])}
	} else {
		if len(c.Args) != 3 {
			return d, c.errorf("needs year, month and day")
		}
		v, err := intArgs(c, c.Args, []int64{1, 1, 1}, []int64{9999, 12, 31})
		if err != nil {
			return d, err
		}
		d = Date{v[0], v[1], v[2]}
	}
	if err := d.validate(); err != nil {
		return d, c.errorf(err.Error())
	}
	return d, nil
}

func intoDate(c *callView, v reflect.Value) (bool, error) {
	if v.Type() != timeTimeType {
		return false, nil
	}
	d, err := decodeDate(c)
	if err != nil {
		return true, err
	}
	v.Set(reflect.ValueOf(d.Time()))
	return true, nil
}

func anyTimeOfDay(c *callView) (any, error) {
	t, err := decodeTimeOfDay(c)
	if errors.Is(err, errNotATimezone) {
		return c.inertOr(c.errorf("a tzinfo of a class other than datetime.timezone is not supported"))
	}
	return t, err
}

func decodeTimeOfDay(c *callView) (TimeOfDay, error) {
	var t TimeOfDay
	if len(c.Kwargs) > 0 || len(c.States) > 0 {
		return t, c.errorf("unexpected keyword arguments or state")
	}
	if len(c.Args) > 5 {
		return t, c.errorf(fmt.Sprintf("takes at most 5 arguments, not %d", len(c.Args)))
	}
	var (
		state   []byte
		isState bool
		err     error
	)
	if len(c.Args) > 0 {
		if state, isState, err = stateBytes(c, c.Args[0]); err != nil {
			return t, err
		}
	}
	tzAt := 1
	if isState {
		if len(c.Args) > 2 || len(state) != 6 || state[0]&0x7F >= 24 {
			return t, c.errorf("bad time state")
		}
		t = TimeOfDay{
			Hour: int(state[0] & 0x7F), Minute: int(state[1]), Second: int(state[2]),
			Microsecond: int(state[3])<<16 | int(state[4])<<8 | int(state[5]),
			Fold:        int(state[0] >> 7),
		}
	} else {
		n := min(len(c.Args), 4)
		v, err := intArgs(c, c.Args[:n], []int64{0, 0, 0, 0}, []int64{23, 59, 59, 999999})
		if err != nil {
			return t, err
		}
		v = append(v, 0, 0, 0, 0)
		t = TimeOfDay{Hour: v[0], Minute: v[1], Second: v[2], Microsecond: v[3]}
		tzAt = 4
	}
	if len(c.Args) > tzAt {
		if t.TZ, err = tzArg(c.Args[tzAt]); err != nil {
			return t, err
		}
	}
	if err := t.validate(); err != nil {
		return t, c.errorf(err.Error())
	}
	return t, nil
}

func anyTimeDelta(c *callView) (any, error) { return decodeTimeDelta(c) }

// decodeTimeDelta reads timedelta(days, seconds, microseconds,
// milliseconds, minutes, hours, weeks), all ints, normalized as Python does.
func decodeTimeDelta(c *callView) (TimeDelta, error) {
	if len(c.Kwargs) > 0 || len(c.States) > 0 {
		return TimeDelta{}, c.errorf("unexpected keyword arguments or state")
	}
	if len(c.Args) > 7 {
		return TimeDelta{}, c.errorf(fmt.Sprintf("takes at most 7 arguments, not %d", len(c.Args)))
	}
	// microseconds per unit of each argument
	units := []int64{86400e6, 1e6, 1, 1e3, 60e6, 3600e6, 604800e6}
	total := new(big.Int)
	for i, s := range c.Args {
		var x big.Int
		if s.Kind() != "int" {
			return TimeDelta{}, c.errorf("arguments must be ints, not " + s.Kind())
		}
		if err := s.Decode(&x); err != nil {
			return TimeDelta{}, err
		}
		total.Add(total, x.Mul(&x, big.NewInt(units[i])))
	}
	td, ok := timeDeltaFromMicroseconds(total)
	if !ok {
		return TimeDelta{}, c.errorf("timedelta out of range (more than 999999999 days)")
	}
	return td, nil
}

// timeDeltaFromMicroseconds normalizes a count of microseconds.
func timeDeltaFromMicroseconds(us *big.Int) (TimeDelta, bool) {
	var days, rem big.Int
	days.DivMod(us, big.NewInt(86400e6), &rem) // Euclidean: rem >= 0
	if !days.IsInt64() || days.Int64() > int64(maxTimeDeltaDays) || days.Int64() < -int64(maxTimeDeltaDays) {
		return TimeDelta{}, false
	}
	r := rem.Int64()
	return TimeDelta{Days: int(days.Int64()), Seconds: int(r / 1e6), Microseconds: int(r % 1e6)}, true
}

func intoTimeDelta(c *callView, v reflect.Value) (bool, error) {
	if v.Type() != durationType {
		return false, nil
	}
	td, err := decodeTimeDelta(c)
	if err != nil {
		return true, err
	}
	d, ok := td.Duration()
	if !ok {
		return true, c.typeErrorf(v, td.String()+" does not fit in a time.Duration (±292 years); decode into pickle.TimeDelta")
	}
	v.SetInt(int64(d))
	return true, nil
}

func anyTimeZone(c *callView) (any, error) {
	z, err := decodeTimeZone(c)
	if err != nil {
		return nil, err
	}
	if *z == (TimeZone{}) {
		return UTC, nil // Python's timezone(timedelta(0)) is the singleton timezone.utc
	}
	return z, nil
}

func decodeTimeZone(c *callView) (*TimeZone, error) {
	if len(c.Kwargs) > 0 || len(c.States) > 0 {
		return nil, c.errorf("unexpected keyword arguments or state")
	}
	if len(c.Args) < 1 || len(c.Args) > 2 {
		return nil, c.errorf(fmt.Sprintf("takes 1 or 2 arguments, not %d", len(c.Args)))
	}
	var td TimeDelta
	if err := c.Args[0].Decode(&td); err != nil {
		return nil, err
	}
	z := &TimeZone{Offset: td.duration()}
	if td.Days < -1 || td.Days > 0 || z.Offset <= -24*time.Hour || z.Offset >= 24*time.Hour {
		return nil, c.errorf("offset must be strictly between -24h and 24h")
	}
	if len(c.Args) == 2 {
		if c.Args[1].Kind() != "str" {
			return nil, c.errorf("name must be a str, not " + c.Args[1].Kind())
		}
		if err := c.Args[1].Decode(&z.Name); err != nil {
			return nil, err
		}
	}
	return z, nil
}

func intoTimeZone(c *callView, v reflect.Value) (bool, error) {
	if v.Type() != reflect.TypeOf((*time.Location)(nil)).Elem() {
		return false, nil
	}
	z, err := decodeTimeZone(c)
	if err != nil {
		return true, err
	}
	loc, err := z.Location()
	if err != nil {
		return true, c.typeErrorf(v, err.Error())
	}
	v.Set(reflect.ValueOf(loc).Elem())
	return true, nil
}

// --- validation and conversions --------------------------------------------------

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func (d Date) validate() error {
	switch {
	case d.Year < 1 || d.Year > 9999:
		return fmt.Errorf("year %d is out of range 1..9999", d.Year)
	case d.Month < 1 || d.Month > 12:
		return fmt.Errorf("month %d is out of range 1..12", d.Month)
	case d.Day < 1 || d.Day > daysIn(d.Year, d.Month):
		return fmt.Errorf("day %d is out of range for %04d-%02d", d.Day, d.Year, d.Month)
	}
	return nil
}

func validClock(h, m, s, us, fold int, tz *TimeZone) error {
	switch {
	case h < 0 || h > 23:
		return fmt.Errorf("hour %d is out of range 0..23", h)
	case m < 0 || m > 59:
		return fmt.Errorf("minute %d is out of range 0..59", m)
	case s < 0 || s > 59:
		return fmt.Errorf("second %d is out of range 0..59", s)
	case us < 0 || us > 999999:
		return fmt.Errorf("microsecond %d is out of range 0..999999", us)
	case fold != 0 && fold != 1:
		return fmt.Errorf("fold %d is not 0 or 1", fold)
	}
	if tz != nil {
		return tz.validate()
	}
	return nil
}

func (dt DateTime) validate() error {
	if err := dt.Date().validate(); err != nil {
		return err
	}
	return validClock(dt.Hour, dt.Minute, dt.Second, dt.Microsecond, dt.Fold, dt.TZ)
}

func (t TimeOfDay) validate() error {
	return validClock(t.Hour, t.Minute, t.Second, t.Microsecond, t.Fold, t.TZ)
}

func (z *TimeZone) validate() error {
	if z.Offset <= -24*time.Hour || z.Offset >= 24*time.Hour {
		return fmt.Errorf("timezone offset %v is not strictly between -24h and 24h", z.Offset)
	}
	if z.Offset%time.Microsecond != 0 {
		return fmt.Errorf("timezone offset %v is not a whole number of microseconds", z.Offset)
	}
	return nil
}

// Naive reports whether dt has no timezone.
func (dt DateTime) Naive() bool { return dt.TZ == nil }

// Date returns the date part of dt.
func (dt DateTime) Date() Date { return Date{dt.Year, dt.Month, dt.Day} }

// TimeOfDay returns the clock part of dt, with its fold and timezone.
func (dt DateTime) TimeOfDay() TimeOfDay {
	return TimeOfDay{dt.Hour, dt.Minute, dt.Second, dt.Microsecond, dt.Fold, dt.TZ}
}

// Time returns dt as a time.Time: in its timezone's fixed zone when dt is
// aware, in time.UTC when it is naive (use TimeIn to place a naive
// datetime in another location). It fails only for a timezone offset with
// a fraction of a second, which time.Location cannot hold.
func (dt DateTime) Time() (time.Time, error) {
	if dt.TZ == nil {
		return dt.TimeIn(time.UTC), nil
	}
	loc, err := dt.TZ.Location()
	if err != nil {
		return time.Time{}, err
	}
	return dt.TimeIn(loc), nil
}

// TimeIn returns the wall time of dt in loc, ignoring dt's own timezone.
// With Fold 1, a wall time that occurs twice in loc gives the second one.
func (dt DateTime) TimeIn(loc *time.Location) time.Time {
	t := time.Date(dt.Year, time.Month(dt.Month), dt.Day, dt.Hour, dt.Minute, dt.Second, dt.Microsecond*1000, loc)
	if dt.Fold == 1 {
		// time.Date picks the first of two equal wall times; the second
		// is one zone transition later with the same wall clock.
		if later := t.Add(time.Hour); later.Hour() == t.Hour() && later.Minute() == t.Minute() {
			return later
		}
	}
	return t
}

// NewDateTime returns the aware datetime of t: in timezone.utc for
// time.UTC, otherwise in a timezone with t's offset, named after t's zone
// when t's location is a fixed zone of that name (as time.FixedZone makes).
// Nanoseconds are truncated to microseconds. It fails for years outside
// 1..9999, which Python's datetime cannot hold.
func NewDateTime(t time.Time) (DateTime, error) {
	if t.Year() < 1 || t.Year() > 9999 {
		return DateTime{}, fmt.Errorf("year %d is out of Python's datetime range 1..9999", t.Year())
	}
	dt := DateTime{
		Year: t.Year(), Month: int(t.Month()), Day: t.Day(),
		Hour: t.Hour(), Minute: t.Minute(), Second: t.Second(), Microsecond: t.Nanosecond() / 1000,
		TZ: zoneOf(t),
	}
	return dt, nil
}

// zoneOf returns the timezone of t (see NewDateTime).
func zoneOf(t time.Time) *TimeZone {
	loc := t.Location()
	if loc == time.UTC {
		return UTC
	}
	name, offset := t.Zone()
	z := &TimeZone{Offset: time.Duration(offset) * time.Second}
	if name != "" && loc.String() == name {
		z.Name = name
	}
	return z
}

// Time returns midnight of d in time.UTC.
func (d Date) Time() time.Time {
	return time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
}

// duration returns td in nanoseconds without a range check.
func (td TimeDelta) duration() time.Duration {
	return time.Duration(td.Days)*24*time.Hour + time.Duration(td.Seconds)*time.Second + time.Duration(td.Microseconds)*time.Microsecond
}

// Duration returns td as a time.Duration, and false when it is beyond
// time.Duration's range (about ±292 years).
func (td TimeDelta) Duration() (time.Duration, bool) {
	const maxDays = math.MaxInt64 / int64(24*time.Hour)
	if int64(td.Days) > maxDays || int64(td.Days) < -maxDays-1 {
		return 0, false
	}
	us := big.NewInt(int64(td.Days))
	us.Mul(us, big.NewInt(86400e6))
	us.Add(us, big.NewInt(int64(td.Seconds)*1e6+int64(td.Microseconds)))
	us.Mul(us, big.NewInt(1000))
	if !us.IsInt64() {
		return 0, false
	}
	return time.Duration(us.Int64()), true
}

// NewTimeDelta returns d as a timedelta; nanoseconds are truncated toward
// zero to whole microseconds.
func NewTimeDelta(d time.Duration) TimeDelta {
	td, _ := timeDeltaFromMicroseconds(big.NewInt(int64(d / time.Microsecond)))
	return td
}

// Location returns z as a time.Location: time.UTC for timezone.utc, else a
// fixed zone named z.Name (empty for an unnamed timezone). It fails for an
// offset with a fraction of a second.
func (z *TimeZone) Location() (*time.Location, error) {
	if err := z.validate(); err != nil {
		return nil, err
	}
	if *z == (TimeZone{}) {
		return time.UTC, nil
	}
	if z.Offset%time.Second != 0 {
		return nil, fmt.Errorf("timezone offset %v has a fraction of a second, which time.Location cannot hold", z.Offset)
	}
	return time.FixedZone(z.Name, int(z.Offset/time.Second)), nil
}

// --- printing ---------------------------------------------------------------------

// String returns d as Python's str does: 2024-01-02.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// String returns t as Python's str does: 03:04:05.000006+05:30.
func (t TimeOfDay) String() string {
	s := fmt.Sprintf("%02d:%02d:%02d", t.Hour, t.Minute, t.Second)
	if t.Microsecond != 0 {
		s += fmt.Sprintf(".%06d", t.Microsecond)
	}
	if t.TZ != nil {
		s += formatOffset(t.TZ.Offset)
	}
	return s
}

// String returns dt as Python's str does: 2024-01-02 03:04:05.000006+05:30.
func (dt DateTime) String() string { return dt.Date().String() + " " + dt.TimeOfDay().String() }

// String returns td as Python's str does: "-1 day, 0:00:05.000007".
func (td TimeDelta) String() string {
	s := fmt.Sprintf("%d:%02d:%02d", td.Seconds/3600, td.Seconds/60%60, td.Seconds%60)
	if td.Microseconds != 0 {
		s += fmt.Sprintf(".%06d", td.Microseconds)
	}
	if td.Days != 0 {
		plural := "s"
		if td.Days == 1 || td.Days == -1 {
			plural = ""
		}
		s = fmt.Sprintf("%d day%s, %s", td.Days, plural, s)
	}
	return s
}

// String returns the zone's name, or Python's default one (UTC, UTC+05:30).
func (z *TimeZone) String() string {
	if z.Name != "" {
		return z.Name
	}
	if z.Offset == 0 {
		return "UTC"
	}
	return "UTC" + formatOffset(z.Offset)
}

// formatOffset writes an offset as +HH:MM[:SS[.ffffff]].
func formatOffset(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	s := fmt.Sprintf("%s%02d:%02d", sign, int(d/time.Hour), int(d/time.Minute%60))
	if rest := d % time.Minute; rest != 0 {
		s += fmt.Sprintf(":%02d", int(rest/time.Second))
		if us := rest % time.Second / time.Microsecond; us != 0 {
			s += fmt.Sprintf(".%06d", int(us))
		}
	}
	return s
}

// --- encoding ----------------------------------------------------------------------

// PickleReduce writes dt as CPython does: datetime(state[, tzinfo]) with the
// 10-byte state, the fold bit in its third byte.
func (dt DateTime) PickleReduce() (*Object, error) { return dt.pickleReduceEx(HighestProtocol) }

// pickleReduceEx is dt's reduction at protocol proto: CPython keeps the
// fold bit only from protocol 4.
func (dt DateTime) pickleReduceEx(proto int) (*Object, error) {
	if err := dt.validate(); err != nil {
		return nil, err
	}
	m := byte(dt.Month)
	if dt.Fold == 1 && proto > 3 {
		m |= 0x80
	}
	state := []byte{byte(dt.Year >> 8), byte(dt.Year), m, byte(dt.Day),
		byte(dt.Hour), byte(dt.Minute), byte(dt.Second),
		byte(dt.Microsecond >> 16), byte(dt.Microsecond >> 8), byte(dt.Microsecond)}
	return reduceWithTZ(datetimeGlobal, state, dt.TZ), nil
}

// reduceWithTZ is the call cls(state) or cls(state, tz).
func reduceWithTZ(cls Global, state []byte, tz *TimeZone) *Object {
	if tz == nil {
		return &Object{Callable: cls, Build: "REDUCE", Args: Tuple{state}}
	}
	return &Object{Callable: cls, Build: "REDUCE", Args: Tuple{state, tz}}
}

// PickleReduce writes d as CPython does: date(state) with the 4-byte state.
func (d Date) PickleReduce() (*Object, error) {
	if err := d.validate(); err != nil {
		return nil, err
	}
	state := []byte{byte(d.Year >> 8), byte(d.Year), byte(d.Month), byte(d.Day)}
	return &Object{Callable: dateGlobal, Build: "REDUCE", Args: Tuple{state}}, nil
}

// PickleReduce writes t as CPython does: time(state[, tzinfo]) with the
// 6-byte state, the fold bit in its first byte.
func (t TimeOfDay) PickleReduce() (*Object, error) { return t.pickleReduceEx(HighestProtocol) }

// pickleReduceEx is t's reduction at protocol proto (fold from protocol 4).
func (t TimeOfDay) pickleReduceEx(proto int) (*Object, error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	h := byte(t.Hour)
	if t.Fold == 1 && proto > 3 {
		h |= 0x80
	}
	state := []byte{h, byte(t.Minute), byte(t.Second), byte(t.Microsecond >> 16), byte(t.Microsecond >> 8), byte(t.Microsecond)}
	return reduceWithTZ(timeGlobal, state, t.TZ), nil
}

// PickleReduce writes td as CPython does: timedelta(days, seconds,
// microseconds). It fails for a TimeDelta that is not normalized.
func (td TimeDelta) PickleReduce() (*Object, error) {
	if td.Seconds < 0 || td.Seconds >= 86400 || td.Microseconds < 0 || td.Microseconds >= 1e6 ||
		td.Days < -maxTimeDeltaDays || td.Days > maxTimeDeltaDays {
		return nil, fmt.Errorf("TimeDelta %+v is not normalized (0 <= Seconds < 86400, 0 <= Microseconds < 1000000, |Days| <= 999999999)", td)
	}
	return &Object{Callable: timedeltaGlobal, Build: "REDUCE",
		Args: Tuple{int64(td.Days), int64(td.Seconds), int64(td.Microseconds)}}, nil
}

// PickleReduce writes z as CPython does: timezone(offset) for an unnamed
// zone, timezone(offset, name) for a named one.
func (z TimeZone) PickleReduce() (*Object, error) {
	if err := z.validate(); err != nil {
		return nil, err
	}
	td := NewTimeDelta(z.Offset)
	if z.Name == "" {
		return &Object{Callable: timezoneGlobal, Build: "REDUCE", Args: Tuple{td}}, nil
	}
	return &Object{Callable: timezoneGlobal, Build: "REDUCE", Args: Tuple{td, z.Name}}, nil
}

// --- equality -----------------------------------------------------------------------

// Equal reports whether dt and u are the same Python value field by field
// (the same wall time, fold and timezone; not the same instant).
func (dt DateTime) Equal(u DateTime) bool {
	return dt.Date() == u.Date() && dt.TimeOfDay().Equal(u.TimeOfDay())
}

// Equal reports whether t and u have the same fields and timezone.
func (t TimeOfDay) Equal(u TimeOfDay) bool {
	return t.Hour == u.Hour && t.Minute == u.Minute && t.Second == u.Second &&
		t.Microsecond == u.Microsecond && t.Fold == u.Fold && t.TZ.Equal(u.TZ)
}

// Equal reports whether z and y are both nil, or have the same offset and
// name.
func (z *TimeZone) Equal(y *TimeZone) bool {
	if z == nil || y == nil {
		return z == y
	}
	return *z == *y
}
