package types

// Datum is one SQL value. Its concrete type is fixed by the family of the
// SQL type it belongs to; Null is the NULL of every type.
type Datum interface{ isDatum() }

// DNull is the type of Null.
type DNull struct{}

// Null is SQL NULL.
var Null Datum = DNull{}

// DBool is a boolean.
type DBool bool

// DInt is smallint, integer, bigint and oid (range checked per type).
type DInt int64

// DFloat is real and double precision (real values are kept rounded to
// float32).
type DFloat float64

// DString is text, varchar, char and name.
type DString string

// DBytes is bytea.
type DBytes string

// DDate is a date: days since 1970-01-01.
type DDate int32

// DTimestamp is a timestamp without time zone: microseconds since
// 1970-01-01 00:00:00.
type DTimestamp int64

// DTimestampTZ is an instant: microseconds since 1970-01-01 00:00:00 UTC.
type DTimestampTZ int64

// DInterval is PostgreSQL's interval: months, days and microseconds are
// kept apart because their lengths vary.
type DInterval struct {
	Months int32
	Days   int32
	Micros int64
}

// DUUID is a uuid.
type DUUID [16]byte

// DNumeric is an exact decimal.
type DNumeric struct{ Decimal }

func (DNull) isDatum()        {}
func (DBool) isDatum()        {}
func (DInt) isDatum()         {}
func (DFloat) isDatum()       {}
func (DString) isDatum()      {}
func (DBytes) isDatum()       {}
func (DDate) isDatum()        {}
func (DTimestamp) isDatum()   {}
func (DTimestampTZ) isDatum() {}
func (DInterval) isDatum()    {}
func (DUUID) isDatum()        {}
func (*DNumeric) isDatum()    {}

// IsNull reports whether d is NULL.
func IsNull(d Datum) bool {
	_, ok := d.(DNull)
	return ok || d == nil
}

// Row is a tuple of datums.
type Row []Datum
