package types

import (
	"fmt"
	"math/big"
	"strings"
)

// Decimal is an exact decimal: Coef × 10^-Scale. Scale is the display
// scale (PostgreSQL's dscale), so 1.50 keeps its trailing zero.
type Decimal struct {
	Coef  big.Int
	Scale int32
}

// Limits on decimal size, so hostile literals cannot make arithmetic
// unbounded (PostgreSQL's own limits are similar in magnitude).
const (
	decimalDigitsMax = 131072 + 16383
	decimalScaleMax  = 16383
	divScaleMin      = 16 // NUMERIC_MIN_SIG_DIGITS
)

var bigTen = big.NewInt(10)

func pow10(n int32) *big.Int {
	return new(big.Int).Exp(bigTen, big.NewInt(int64(n)), nil)
}

// NewDecimal builds coef × 10^-scale.
func NewDecimal(coef int64, scale int32) *Decimal {
	d := &Decimal{Scale: scale}
	d.Coef.SetInt64(coef)
	return d
}

// ParseDecimal parses "123", "-1.50", "1e-3", ".5".
func ParseDecimal(s string) (*Decimal, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("invalid input syntax for type numeric: %q", s)
	if s == "" {
		return nil, bad
	}
	mant, exp := s, int64(0)
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		var err error
		if exp, err = parseInt64(s[i+1:]); err != nil {
			return nil, bad
		}
		if exp > 1000 || exp < -1000 {
			return nil, fmt.Errorf("value overflows numeric format")
		}
	}
	neg := false
	if mant != "" && (mant[0] == '+' || mant[0] == '-') {
		neg = mant[0] == '-'
		mant = mant[1:]
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" && frac == "" || !allDigits(intPart) || !allDigits(frac) {
		return nil, bad
	}
	if len(intPart)+len(frac) > decimalDigitsMax {
		return nil, fmt.Errorf("value overflows numeric format")
	}
	d := &Decimal{Scale: int32(len(frac))}
	d.Coef.SetString(intPart+frac+"0", 10)
	d.Coef.Quo(&d.Coef, bigTen)
	if exp != 0 {
		d.Scale -= int32(exp)
		if d.Scale < 0 {
			d.Coef.Mul(&d.Coef, pow10(-d.Scale))
			d.Scale = 0
		}
	}
	if neg {
		d.Coef.Neg(&d.Coef)
	}
	return d, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func parseInt64(s string) (int64, error) {
	var n int64
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" || len(s) > 18 || !allDigits(s) {
		return 0, fmt.Errorf("bad integer")
	}
	for i := 0; i < len(s); i++ {
		n = n*10 + int64(s[i]-'0')
	}
	if neg {
		n = -n
	}
	return n, nil
}

// String renders the decimal with exactly Scale fractional digits.
func (d *Decimal) String() string {
	abs := new(big.Int).Abs(&d.Coef)
	digits := abs.String()
	if d.Scale > 0 {
		if len(digits) <= int(d.Scale) {
			digits = strings.Repeat("0", int(d.Scale)-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-int(d.Scale)] + "." + digits[len(digits)-int(d.Scale):]
	}
	if d.Coef.Sign() < 0 {
		return "-" + digits
	}
	return digits
}

// Sign is -1, 0 or 1.
func (d *Decimal) Sign() int { return d.Coef.Sign() }

// rescaled returns d's coefficient at scale s >= d.Scale.
func (d *Decimal) rescaled(s int32) *big.Int {
	if s == d.Scale {
		return new(big.Int).Set(&d.Coef)
	}
	return new(big.Int).Mul(&d.Coef, pow10(s-d.Scale))
}

// Cmp compares numerically (1.50 == 1.5).
func (d *Decimal) Cmp(o *Decimal) int {
	s := max(d.Scale, o.Scale)
	return d.rescaled(s).Cmp(o.rescaled(s))
}

// Add returns d+o.
func (d *Decimal) Add(o *Decimal) *Decimal {
	s := max(d.Scale, o.Scale)
	r := &Decimal{Scale: s}
	r.Coef.Add(d.rescaled(s), o.rescaled(s))
	return r
}

// Sub returns d-o.
func (d *Decimal) Sub(o *Decimal) *Decimal {
	s := max(d.Scale, o.Scale)
	r := &Decimal{Scale: s}
	r.Coef.Sub(d.rescaled(s), o.rescaled(s))
	return r
}

// Mul returns d×o at scale d.Scale+o.Scale.
func (d *Decimal) Mul(o *Decimal) (*Decimal, error) {
	r := &Decimal{Scale: d.Scale + o.Scale}
	r.Coef.Mul(&d.Coef, &o.Coef)
	if r.Scale > decimalScaleMax {
		r = r.Round(decimalScaleMax)
	}
	return r, r.checkSize()
}

func (d *Decimal) checkSize() error {
	if d.Coef.BitLen() > decimalDigitsMax*10/3 {
		return fmt.Errorf("value overflows numeric format")
	}
	return nil
}

// Neg returns -d.
func (d *Decimal) Neg() *Decimal {
	r := &Decimal{Scale: d.Scale}
	r.Coef.Neg(&d.Coef)
	return r
}

// Abs returns |d|.
func (d *Decimal) Abs() *Decimal {
	r := &Decimal{Scale: d.Scale}
	r.Coef.Abs(&d.Coef)
	return r
}

// weight returns PostgreSQL's base-10000 weight of d and its first
// base-10000 digit, which choose the scale of a quotient.
func (d *Decimal) weight() (int, int) {
	if d.Coef.Sign() == 0 {
		return 0, 0
	}
	digits := new(big.Int).Abs(&d.Coef).String()
	intDigits := len(digits) - int(d.Scale)
	if intDigits > 0 {
		w := (intDigits - 1) / 4
		lead := (intDigits-1)%4 + 1
		return w, atoiPrefix(digits, lead)
	}
	zeros := -intDigits // zeros between the point and the first digit
	w := -(zeros/4 + 1)
	group := strings.Repeat("0", zeros%4) + digits
	return w, atoiPrefix(group, 4)
}

func atoiPrefix(s string, n int) int {
	v := 0
	for i := 0; i < n; i++ {
		v *= 10
		if i < len(s) {
			v += int(s[i] - '0')
		}
	}
	return v
}

// DivScale is the result scale PostgreSQL's numeric division picks.
func DivScale(a, b *Decimal) int32 {
	w1, f1 := a.weight()
	w2, f2 := b.weight()
	qw := w1 - w2
	if f1 <= f2 {
		qw--
	}
	s := int32(divScaleMin - qw*4)
	s = max(s, a.Scale, b.Scale, 0)
	return min(s, 1000)
}

// Div returns d/o rounded half away from zero to scale; o must be nonzero.
func (d *Decimal) Div(o *Decimal, scale int32) *Decimal {
	// d/o = (dc × 10^-ds) / (oc × 10^-os); scaled to 10^-scale with one
	// guard digit for rounding.
	num := new(big.Int).Set(&d.Coef)
	shift := int64(scale) + 1 + int64(o.Scale) - int64(d.Scale)
	den := new(big.Int).Set(&o.Coef)
	if shift >= 0 {
		num.Mul(num, pow10(int32(shift)))
	} else {
		den.Mul(den, pow10(int32(-shift)))
	}
	q := new(big.Int).Quo(num, den)
	r := &Decimal{Scale: scale + 1}
	r.Coef.Set(q)
	return r.Round(scale)
}

// Mod returns d mod o (sign of d), o nonzero.
func (d *Decimal) Mod(o *Decimal) *Decimal {
	s := max(d.Scale, o.Scale)
	r := &Decimal{Scale: s}
	r.Coef.Rem(d.rescaled(s), o.rescaled(s))
	return r
}

// Round rounds half away from zero to scale s (s may be negative: round
// to tens, hundreds...); the result has scale max(s, 0).
func (d *Decimal) Round(s int32) *Decimal {
	if s >= d.Scale {
		return &Decimal{Coef: *d.rescaled(s), Scale: s}
	}
	p := pow10(d.Scale - s)
	q, rem := new(big.Int).QuoRem(&d.Coef, p, new(big.Int))
	rem.Abs(rem).Mul(rem, big.NewInt(2))
	if rem.Cmp(p) >= 0 {
		if d.Coef.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	r := &Decimal{Coef: *q, Scale: s}
	if s < 0 {
		r.Coef.Mul(&r.Coef, pow10(-s))
		r.Scale = 0
	}
	return r
}

// Trunc truncates toward zero to scale s.
func (d *Decimal) Trunc(s int32) *Decimal {
	if s >= d.Scale {
		return &Decimal{Coef: *d.rescaled(s), Scale: s}
	}
	q := new(big.Int).Quo(&d.Coef, pow10(d.Scale-s))
	r := &Decimal{Coef: *q, Scale: s}
	if s < 0 {
		r.Coef.Mul(&r.Coef, pow10(-s))
		r.Scale = 0
	}
	return r
}

// Floor returns the largest integer <= d.
func (d *Decimal) Floor() *Decimal {
	t := d.Trunc(0)
	if d.Sign() < 0 && t.Cmp(d) != 0 {
		t.Coef.Sub(&t.Coef, big.NewInt(1))
	}
	return t
}

// Ceil returns the smallest integer >= d.
func (d *Decimal) Ceil() *Decimal {
	t := d.Trunc(0)
	if d.Sign() > 0 && t.Cmp(d) != 0 {
		t.Coef.Add(&t.Coef, big.NewInt(1))
	}
	return t
}

// Int64 converts to an integer, rounding half away from zero.
func (d *Decimal) Int64() (int64, bool) {
	r := d.Round(0)
	if !r.Coef.IsInt64() {
		return 0, false
	}
	return r.Coef.Int64(), true
}

// Float64 converts to the nearest double.
func (d *Decimal) Float64() float64 {
	f, _ := new(big.Float).SetPrec(200).SetRat(new(big.Rat).SetFrac(&d.Coef, pow10(d.Scale))).Float64()
	return f
}

// IntDigits is the number of digits before the decimal point (0 for |d| < 1).
func (d *Decimal) IntDigits() int {
	n := len(new(big.Int).Abs(&d.Coef).String()) - int(d.Scale)
	if d.Coef.Sign() == 0 || n < 0 {
		return 0
	}
	return n
}

// Normalized strips trailing fractional zeros (for keys and hashing).
func (d *Decimal) Normalized() *Decimal {
	r := &Decimal{Coef: *new(big.Int).Set(&d.Coef), Scale: d.Scale}
	m := new(big.Int)
	for r.Scale > 0 {
		q, rem := new(big.Int).QuoRem(&r.Coef, bigTen, m)
		if rem.Sign() != 0 {
			break
		}
		r.Coef.Set(q)
		r.Scale--
	}
	return r
}
