package types

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

const (
	microsPerSecond = int64(1_000_000)
	microsPerMinute = 60 * microsPerSecond
	microsPerHour   = 60 * microsPerMinute
	microsPerDay    = 24 * microsPerHour
	// Years outside this range are rejected: it keeps microsecond
	// arithmetic inside int64 with a wide margin.
	yearMin = 1
	yearMax = 294276
)

// DateFromTime is the date of t's calendar day in t's location.
func DateFromTime(t time.Time) DDate {
	y, m, d := t.Date()
	return DDate(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Time returns the date's midnight in UTC.
func (d DDate) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// TimestampFromTime is t's wall clock reading as a timestamp.
func TimestampFromTime(t time.Time) DTimestamp {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	u := time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC)
	return DTimestamp(u.Unix()*microsPerSecond + int64(u.Nanosecond()/1000))
}

// Time returns the timestamp as a UTC time.Time.
func (ts DTimestamp) Time() time.Time {
	return time.Unix(int64(ts)/microsPerSecond, (int64(ts)%microsPerSecond)*1000).UTC()
}

// TimestampTZFromTime is the instant t.
func TimestampTZFromTime(t time.Time) DTimestampTZ {
	return DTimestampTZ(t.Unix()*microsPerSecond + int64(t.Nanosecond()/1000))
}

// Time returns the instant as a time.Time in loc.
func (ts DTimestampTZ) Time(loc *time.Location) time.Time {
	sec, us := int64(ts)/microsPerSecond, int64(ts)%microsPerSecond
	if us < 0 {
		sec--
		us += microsPerSecond
	}
	return time.Unix(sec, us*1000).In(loc)
}

func splitNum(s string, n int) (int, string, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' && (n <= 0 || i < n) {
		i++
	}
	if i == 0 {
		return 0, s, false
	}
	v, err := strconv.Atoi(s[:i])
	return v, s[i:], err == nil
}

// parseDateTime parses "YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]][tz]". It
// returns the wall-clock fields as a UTC time and the zone offset in
// seconds if one was written.
func parseDateTime(s string, wantTime bool) (time.Time, int, bool, error) {
	orig := s
	bad := func() (time.Time, int, bool, error) {
		kind := "date"
		if wantTime {
			kind = "timestamp"
		}
		return time.Time{}, 0, false, fmt.Errorf("invalid input syntax for type %s: %q", kind, orig)
	}
	s = strings.TrimSpace(s)
	y, s, ok := splitNum(s, 0)
	if !ok || len(s) == 0 || s[0] != '-' {
		return bad()
	}
	mo, s, ok := splitNum(s[1:], 2)
	if !ok || len(s) == 0 || s[0] != '-' {
		return bad()
	}
	d, s, ok := splitNum(s[1:], 2)
	if !ok {
		return bad()
	}
	var h, mi, sec, us int
	if len(s) > 0 && (s[0] == ' ' || s[0] == 'T' || s[0] == 't') && len(s) > 1 && s[1] >= '0' && s[1] <= '9' {
		s = s[1:]
		if h, s, ok = splitNum(s, 2); !ok || len(s) == 0 || s[0] != ':' {
			return bad()
		}
		if mi, s, ok = splitNum(s[1:], 2); !ok {
			return bad()
		}
		if len(s) > 0 && s[0] == ':' {
			if sec, s, ok = splitNum(s[1:], 2); !ok {
				return bad()
			}
			if len(s) > 0 && s[0] == '.' {
				frac, rest, ok := splitNum(s[1:], 0)
				if !ok {
					return bad()
				}
				digits := len(s) - 1 - len(rest)
				us = fracToMicros(frac, digits, s[1:1+digits])
				s = rest
			}
		}
	}
	off, hasZone, err := parseZone(strings.TrimSpace(s))
	if err != nil {
		return bad()
	}
	if y < yearMin || y > yearMax || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return time.Time{}, 0, false, errFieldOverflow(orig, wantTime)
	}
	if h > 24 || mi > 59 || sec > 60 || (h == 24 && (mi > 0 || sec > 0 || us > 0)) {
		return time.Time{}, 0, false, errFieldOverflow(orig, wantTime)
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, us*1000, time.UTC)
	return t, off, hasZone, nil
}

// errFieldOverflow is PostgreSQL's 22008 for impossible fields.
type fieldOverflow struct{ msg string }

func (e fieldOverflow) Error() string { return e.msg }

func errFieldOverflow(s string, wantTime bool) error {
	if wantTime {
		return fieldOverflow{fmt.Sprintf("date/time field value out of range: %q", s)}
	}
	return fieldOverflow{fmt.Sprintf("date/time field value out of range: %q", s)}
}

func fracToMicros(_ int, digits int, text string) int {
	for len(text) < 6 {
		text += "0"
	}
	v, _ := strconv.Atoi(text[:6])
	if digits > 6 && text[6] >= '5' {
		v++
	}
	return v
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parseZone parses "", "Z", "UTC", "+HH", "+HH:MM", "+HHMM", "-HH...".
func parseZone(s string) (int, bool, error) {
	switch strings.ToUpper(s) {
	case "":
		return 0, false, nil
	case "Z", "UTC", "GMT", "ZULU":
		return 0, true, nil
	}
	if s[0] != '+' && s[0] != '-' {
		return 0, false, fmt.Errorf("bad zone")
	}
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	h, rest, ok := splitNum(s[1:], 2)
	if !ok || h > 15 {
		return 0, false, fmt.Errorf("bad zone")
	}
	m := 0
	if rest != "" {
		rest = strings.TrimPrefix(rest, ":")
		if m, rest, ok = splitNum(rest, 2); !ok || rest != "" || m > 59 {
			return 0, false, fmt.Errorf("bad zone")
		}
	}
	return sign * (h*3600 + m*60), true, nil
}

// ParseDate parses a date literal.
func ParseDate(s string) (DDate, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "epoch":
		return 0, nil
	}
	t, _, _, err := parseDateTime(s, false)
	if err != nil {
		return 0, err
	}
	return DateFromTime(t), nil
}

// ParseTimestamp parses a timestamp literal; a zone, if written, is ignored
// as PostgreSQL does.
func ParseTimestamp(s string) (DTimestamp, error) {
	if strings.ToLower(strings.TrimSpace(s)) == "epoch" {
		return 0, nil
	}
	t, _, _, err := parseDateTime(s, true)
	if err != nil {
		return 0, err
	}
	return TimestampFromTime(t), nil
}

// ParseTimestampTZ parses an instant; without a zone, loc applies.
func ParseTimestampTZ(s string, loc *time.Location) (DTimestampTZ, error) {
	if strings.ToLower(strings.TrimSpace(s)) == "epoch" {
		return 0, nil
	}
	t, off, hasZone, err := parseDateTime(s, true)
	if err != nil {
		return 0, err
	}
	if hasZone {
		return TimestampTZFromTime(t.Add(-time.Duration(off) * time.Second)), nil
	}
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	return TimestampTZFromTime(time.Date(y, mo, d, h, mi, sec, t.Nanosecond(), loc)), nil
}

// FormatDate prints ISO "YYYY-MM-DD".
func FormatDate(d DDate) string {
	return d.Time().Format("2006-01-02")
}

func appendFraction(b []byte, us int) []byte {
	if us == 0 {
		return b
	}
	f := fmt.Sprintf(".%06d", us)
	return append(b, strings.TrimRight(f, "0")...)
}

// FormatTimestamp prints "YYYY-MM-DD HH:MM:SS[.ffffff]".
func FormatTimestamp(ts DTimestamp) string {
	t := ts.Time()
	b := []byte(t.Format("2006-01-02 15:04:05"))
	return string(appendFraction(b, t.Nanosecond()/1000))
}

// FormatTimestampTZ prints the instant in loc with its offset: "+00",
// "+05:30".
func FormatTimestampTZ(ts DTimestampTZ, loc *time.Location) string {
	t := ts.Time(loc)
	b := []byte(t.Format("2006-01-02 15:04:05"))
	b = appendFraction(b, t.Nanosecond()/1000)
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	b = append(b, sign)
	b = append(b, fmt.Sprintf("%02d", off/3600)...)
	if m, s := (off%3600)/60, off%60; m != 0 || s != 0 {
		b = append(b, fmt.Sprintf(":%02d", m)...)
		if s != 0 {
			b = append(b, fmt.Sprintf(":%02d", s)...)
		}
	}
	return string(b)
}

// FormatInterval prints PostgreSQL's "postgres" interval style.
func FormatInterval(iv DInterval) string {
	var b strings.Builder
	isZero, isBefore := true, false
	part := func(v int64, unit string) {
		if v == 0 {
			return
		}
		if !isZero {
			b.WriteByte(' ')
		}
		if isBefore && v > 0 {
			b.WriteByte('+')
		}
		fmt.Fprintf(&b, "%d %s", v, unit)
		if v != 1 {
			b.WriteByte('s')
		}
		isBefore = v < 0
		isZero = false
	}
	part(int64(iv.Months/12), "year")
	part(int64(iv.Months%12), "mon")
	part(int64(iv.Days), "day")
	us := iv.Micros
	if isZero || us != 0 {
		if !isZero {
			b.WriteByte(' ')
		}
		switch {
		case us < 0:
			b.WriteByte('-')
			us = -us
		case isBefore:
			b.WriteByte('+')
		}
		h := us / microsPerHour
		m := us % microsPerHour / microsPerMinute
		s := us % microsPerMinute / microsPerSecond
		fmt.Fprintf(&b, "%02d:%02d:%02d", h, m, s)
		b.Write(appendFraction(nil, int(us%microsPerSecond)))
	}
	return b.String()
}

// intervalUnits maps unit names to (months, days, micros) per unit.
var intervalUnits = map[string][3]float64{
	"microsecond": {0, 0, 1}, "microseconds": {0, 0, 1}, "us": {0, 0, 1}, "usec": {0, 0, 1}, "usecs": {0, 0, 1},
	"millisecond": {0, 0, 1e3}, "milliseconds": {0, 0, 1e3}, "ms": {0, 0, 1e3}, "msec": {0, 0, 1e3}, "msecs": {0, 0, 1e3},
	"second": {0, 0, 1e6}, "seconds": {0, 0, 1e6}, "sec": {0, 0, 1e6}, "secs": {0, 0, 1e6}, "s": {0, 0, 1e6},
	"minute": {0, 0, 6e7}, "minutes": {0, 0, 6e7}, "min": {0, 0, 6e7}, "mins": {0, 0, 6e7}, "m": {0, 0, 6e7},
	"hour": {0, 0, 3.6e9}, "hours": {0, 0, 3.6e9}, "hr": {0, 0, 3.6e9}, "hrs": {0, 0, 3.6e9}, "h": {0, 0, 3.6e9},
	"day": {0, 1, 0}, "days": {0, 1, 0}, "d": {0, 1, 0},
	"week": {0, 7, 0}, "weeks": {0, 7, 0}, "w": {0, 7, 0},
	"month": {1, 0, 0}, "months": {1, 0, 0}, "mon": {1, 0, 0}, "mons": {1, 0, 0},
	"year": {12, 0, 0}, "years": {12, 0, 0}, "yr": {12, 0, 0}, "yrs": {12, 0, 0}, "y": {12, 0, 0},
	"decade": {120, 0, 0}, "decades": {120, 0, 0}, "century": {1200, 0, 0}, "centuries": {1200, 0, 0},
}

// ParseInterval parses "1 year 2 mons 3 days 04:05:06", "2 hours ago",
// "-1 day", "10" (seconds), "1.5 days".
func ParseInterval(s string) (DInterval, error) {
	bad := fmt.Errorf("invalid input syntax for type interval: %q", s)
	fields := strings.Fields(strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "@")))
	if len(fields) == 0 {
		return DInterval{}, bad
	}
	var months, days, micros float64
	ago := false
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if f == "ago" && i == len(fields)-1 {
			ago = true
			continue
		}
		if strings.Contains(f, ":") {
			us, err := parseClock(f)
			if err != nil {
				return DInterval{}, bad
			}
			micros += float64(us)
			continue
		}
		num, unit := splitUnit(f)
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || num == "" {
			return DInterval{}, bad
		}
		if unit == "" && i+1 < len(fields) {
			if _, ok := intervalUnits[fields[i+1]]; ok {
				unit = fields[i+1]
				i++
			}
		}
		if unit == "" {
			unit = "second"
		}
		m, ok := intervalUnits[unit]
		if !ok {
			return DInterval{}, bad
		}
		months += v * m[0]
		days += v * m[1]
		micros += v * m[2]
	}
	iv, err := intervalFromParts(months, days, micros)
	if err != nil {
		return DInterval{}, fmt.Errorf("interval out of range")
	}
	if ago {
		iv = DInterval{-iv.Months, -iv.Days, -iv.Micros}
	}
	return iv, nil
}

// intervalFromParts cascades fractions down as PostgreSQL does: a
// fractional month becomes 30-day days, a fractional day 24-hour micros.
func intervalFromParts(months, days, micros float64) (DInterval, error) {
	const lim = 1 << 31
	if months > lim || months < -lim || days > lim || days < -lim || micros > 9e18 || micros < -9e18 {
		return DInterval{}, fmt.Errorf("interval out of range")
	}
	wm := int32(months)
	days += (months - float64(wm)) * 30
	wd := int32(days)
	micros += (days - float64(wd)) * float64(microsPerDay)
	return DInterval{Months: wm, Days: wd, Micros: int64(roundHalfAway(micros))}, nil
}

func roundHalfAway(f float64) float64 {
	if f < 0 {
		return -roundHalfAway(-f)
	}
	return float64(int64(f + 0.5))
}

func splitUnit(f string) (string, string) {
	i := 0
	for i < len(f) && (f[i] == '-' || f[i] == '+' || f[i] == '.' || (f[i] >= '0' && f[i] <= '9')) {
		i++
	}
	return f[:i], f[i:]
}

// parseClock parses "[-]HH:MM[:SS[.ffffff]]" into microseconds.
func parseClock(f string) (int64, error) {
	neg := strings.HasPrefix(f, "-")
	f = strings.TrimLeft(f, "+-")
	parts := strings.Split(f, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, fmt.Errorf("bad clock")
	}
	h, err1 := strconv.ParseInt(parts[0], 10, 64)
	m, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || h > 2562047788 || m > 59 || h < 0 || m < 0 {
		return 0, fmt.Errorf("bad clock")
	}
	us := h*microsPerHour + m*microsPerMinute
	if len(parts) == 3 {
		sec, err := strconv.ParseFloat(parts[2], 64)
		if err != nil || sec < 0 || sec >= 60 {
			return 0, fmt.Errorf("bad clock")
		}
		us += int64(roundHalfAway(sec * 1e6))
	}
	if neg {
		us = -us
	}
	return us, nil
}

// AddInterval adds iv to a wall-clock time: months first (clamping the day
// to the month's end), then days, then microseconds.
func AddInterval(t time.Time, iv DInterval) time.Time {
	if iv.Months != 0 {
		y, m, d := t.Date()
		total := int(m) - 1 + int(iv.Months)
		ny, nm := y+floorDiv(total, 12), total-floorDiv(total, 12)*12+1
		d = min(d, daysIn(ny, nm))
		h, mi, s := t.Clock()
		t = time.Date(ny, time.Month(nm), d, h, mi, s, t.Nanosecond(), t.Location())
	}
	if iv.Days != 0 {
		t = t.AddDate(0, 0, int(iv.Days))
	}
	return t.Add(time.Duration(iv.Micros) * time.Microsecond)
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// IntervalBetween is a-b as PostgreSQL's timestamp subtraction reports
// it: whole days plus the remaining microseconds.
func IntervalBetween(aMicros, bMicros int64) DInterval {
	d := aMicros - bMicros
	return DInterval{Days: int32(d / microsPerDay), Micros: d % microsPerDay}
}

// IntervalMicros approximates an interval's length with 30-day months, the
// way PostgreSQL compares intervals.
func IntervalMicros(iv DInterval) float64 {
	return float64(iv.Months)*30*float64(microsPerDay) + float64(iv.Days)*float64(microsPerDay) + float64(iv.Micros)
}

// CheckTimestampRange rejects timestamps outside the supported years.
func CheckTimestampRange(t time.Time) error {
	if y := t.Year(); y < yearMin || y > yearMax {
		return fmt.Errorf("timestamp out of range")
	}
	return nil
}
