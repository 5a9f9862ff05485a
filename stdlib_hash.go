package pickle

import (
	"fmt"
	"time"
)

// This file makes the standard library value types usable as dict keys and
// set members in the generic model, with Python's equality among values of
// one kind: two datetimes are equal if they are the same instant (aware) or
// the same wall time (naive, fold ignored), two Decimals if their values
// are equal (Decimal('1.0') == Decimal('1')), two timezones if their
// offsets are. Equality across kinds (Decimal('1') == 1) is not modelled.

// stdlibKeyForm returns a canonical form of a standard library value for
// hashing and equality, and whether v is such a value. ok with an empty
// form means "hashable, equal only to itself" (a NaN).
func stdlibKeyForm(v any) (form string, ok bool, err error) {
	switch x := v.(type) {
	case UUID:
		return "uuid:" + string(x[:]), true, nil
	case Date:
		return fmt.Sprintf("date:%d-%d-%d", x.Year, x.Month, x.Day), true, nil
	case TimeDelta:
		return fmt.Sprintf("td:%d:%d:%d", x.Days, x.Seconds, x.Microseconds), true, nil
	case *TimeZone:
		if x == nil {
			return "", false, nil
		}
		return "tz:" + x.Offset.String(), true, nil
	case TimeOfDay:
		us := int64(x.Hour*3600+x.Minute*60+x.Second)*1e6 + int64(x.Microsecond)
		if x.TZ == nil {
			return fmt.Sprintf("time:%d", us), true, nil
		}
		return fmt.Sprintf("timeaware:%d", us-x.TZ.Offset.Microseconds()), true, nil
	case DateTime:
		wall := time.Date(x.Year, time.Month(x.Month), x.Day, x.Hour, x.Minute, x.Second, x.Microsecond*1000, time.UTC)
		if x.TZ == nil {
			return fmt.Sprintf("dt:%d", wall.UnixMicro()), true, nil
		}
		return fmt.Sprintf("dtaware:%d", wall.Add(-x.TZ.Offset).UnixMicro()), true, nil
	case Range:
		// Ranges compare as the sequences they make.
		n := x.Len()
		switch n {
		case 0:
			return "range:empty", true, nil
		case 1:
			return fmt.Sprintf("range:%d", x.Start), true, nil
		}
		return fmt.Sprintf("range:%d:%d:%d", x.Start, x.Step, n), true, nil
	case Decimal:
		switch x.Form {
		case SignalingNaN:
			return "", true, &unhashableError{"decimal.Decimal sNaN"}
		case NaN:
			return "", true, nil
		case Infinite:
			if x.Neg {
				return "dec:-inf", true, nil
			}
			return "dec:inf", true, nil
		}
		r, err := x.Rat()
		if err != nil {
			return "dec:" + x.String(), true, nil // beyond exact conversion: by its text
		}
		return "dec:" + r.RatString(), true, nil
	}
	return "", false, nil
}
