package pickle

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// Standard library values as dict keys and set members, from python3.
func TestStdlibValuesAsKeys(t *testing.T) {
	py := pythonOrSkip(t)
	out, err := exec.Command(py, "-c", `
import pickle, datetime, decimal, uuid, sys
d = {datetime.date(2024, 1, 2): 'date', decimal.Decimal('1.50'): 'dec', uuid.UUID(int=7): 'uuid',
     datetime.datetime(2024, 1, 2, 3, tzinfo=datetime.timezone.utc): 'dt', datetime.timedelta(1): 'td',
     frozenset({datetime.time(1, 2)}): 'fs'}
sys.stdout.write(pickle.dumps(d, protocol=4).hex())
`).Output()
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, len(out)/2)
	for i := range data {
		var b byte
		for _, c := range out[2*i : 2*i+2] {
			b <<= 4
			b |= byte(strings.IndexByte("0123456789abcdef", c))
		}
		data[i] = b
	}
	var v any
	if err := Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	d := v.(*Dict)
	if d.Len() != 6 {
		t.Fatalf("%d keys", d.Len())
	}
	if got, ok := d.Get(Date{2024, 1, 2}); !ok || got != "date" {
		t.Errorf("date key: %v %v", got, ok)
	}
	if got, ok := d.Get(Decimal{Digits: "15", Exp: -1}); !ok || got != "dec" {
		t.Errorf("Decimal('1.5') finds Decimal('1.50'): %v %v", got, ok)
	}
	plus2 := &TimeZone{Offset: 2 * 3600 * 1e9}
	if got, ok := d.Get(DateTime{Year: 2024, Month: 1, Day: 2, Hour: 5, TZ: plus2}); !ok || got != "dt" {
		t.Errorf("the same instant in another zone: %v %v", got, ok)
	}
	// Round trip: the encoder writes these keys back.
	back, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var again any
	if err := Unmarshal(back, &again); err != nil || !Equal(v, again) {
		t.Errorf("round trip: %v", err)
	}
	if err := NewDict().Set(Decimal{Form: SignalingNaN}, 1); !errors.Is(err, ErrUnhashable) {
		t.Errorf("sNaN key: %v", err)
	}
}
