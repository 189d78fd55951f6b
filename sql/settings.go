package sql

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lineradb/lineradb/sql/exec"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// defaultSettings are the session parameters clients set and show, with
// PostgreSQL 15's defaults (server_version first, as in ParameterStatus).
var defaultSettings = map[string]string{
	"server_version": "15.0", "server_encoding": "UTF8", "client_encoding": "UTF8",
	"datestyle": "ISO, MDY", "timezone": "UTC", "intervalstyle": "postgres",
	"search_path": `"$user", public`, "application_name": "", "extra_float_digits": "1",
	"standard_conforming_strings": "on", "statement_timeout": "0", "integer_datetimes": "on",
	"default_transaction_isolation": "serializable", "default_transaction_read_only": "off",
	"is_superuser": "on", "lock_timeout": "0", "idle_in_transaction_session_timeout": "0",
	"client_min_messages": "notice", "max_identifier_length": "63",
}

// readOnlySettings cannot be SET.
var readOnlySettings = map[string]bool{"server_version": true, "server_encoding": true,
	"integer_datetimes": true, "max_identifier_length": true, "is_superuser": true}

func (s *Session) setting(name string) (string, bool) {
	name = strings.ToLower(name)
	switch name {
	case "transaction_isolation":
		if s.txn != nil {
			return s.isolationName, true
		}
		return s.settings["default_transaction_isolation"], true
	case "transaction_read_only":
		if s.txn != nil && s.readOnly {
			return "on", true
		}
		return "off", true
	case "work_mem":
		return exec.FormatWorkMem(s.workMemBytes), true
	}
	v, ok := s.settings[name]
	return v, ok
}

func (s *Session) set(name string, values []string, toDefault bool) error {
	name = strings.ToLower(name)
	if name == "work_mem" {
		return s.setWorkMem(values, toDefault)
	}
	if _, ok := defaultSettings[name]; !ok {
		if !strings.Contains(name, ".") { // custom "a.b" settings are allowed
			return sqlerr.New(sqlerr.UndefinedObject, "unrecognized configuration parameter %q", name)
		}
	}
	if readOnlySettings[name] {
		return sqlerr.New("55P02", "parameter %q cannot be changed", name)
	}
	if toDefault {
		s.settings[name] = defaultSettings[name]
		if name == "timezone" {
			s.loc = time.UTC
		}
		return nil
	}
	v := strings.Join(values, ", ")
	switch name {
	case "timezone":
		loc, err := loadZone(v)
		if err != nil {
			return sqlerr.New(sqlerr.InvalidParameterValue, "invalid value for parameter \"TimeZone\": %q", v)
		}
		s.loc = loc
	case "client_encoding":
		if u := strings.ToUpper(strings.ReplaceAll(v, "-", "")); u != "UTF8" && u != "UNICODE" {
			return sqlerr.New(sqlerr.FeatureNotSupported, "conversion between %s and UTF8 is not supported", v)
		}
		v = "UTF8"
	case "datestyle":
		if !strings.Contains(strings.ToUpper(v), "ISO") {
			return sqlerr.Unsupported("DateStyle other than ISO")
		}
		v = "ISO, MDY"
	case "default_transaction_isolation":
		if !slices.Contains([]string{"serializable", "repeatable read", "read committed", "read uncommitted"}, strings.ToLower(v)) {
			return sqlerr.New(sqlerr.InvalidParameterValue, "invalid value for parameter %q: %q", name, v)
		}
		v = strings.ToLower(v)
	}
	s.settings[name] = v
	return nil
}

// work_mem's range in kB, as PostgreSQL's (64kB to 2GB - 1kB).
const (
	workMemKBMin = 64
	workMemKBMax = 2_097_151
)

// setWorkMem is SET work_mem: an integer in kB, or a number with a unit
// (kB, MB, GB), as PostgreSQL takes it.
func (s *Session) setWorkMem(values []string, toDefault bool) error {
	if toDefault {
		s.workMemBytes = s.cfg.WorkMemBytes
		return nil
	}
	v := strings.TrimSpace(strings.Join(values, ", "))
	kb, ok := parseMemoryKB(v)
	if !ok {
		return sqlerr.New(sqlerr.InvalidParameterValue, "invalid value for parameter \"work_mem\": %q", v).
			WithHint("Valid units for this parameter are \"kB\", \"MB\" and \"GB\".")
	}
	if kb < workMemKBMin || kb > workMemKBMax {
		return sqlerr.New(sqlerr.InvalidParameterValue, "%d kB is outside the valid range for parameter \"work_mem\" (%d .. %d)", kb, workMemKBMin, workMemKBMax)
	}
	s.workMemBytes = kb * 1024
	return nil
}

// parseMemoryKB reads "4096", "64kB", "4MB" or "1GB" as kB.
func parseMemoryKB(v string) (int64, bool) {
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	if i == 0 || i > 10 {
		return 0, false
	}
	n, err := strconv.ParseInt(v[:i], 10, 64)
	if err != nil {
		return 0, false
	}
	switch strings.TrimSpace(v[i:]) {
	case "", "kB":
		return n, true
	case "MB":
		return n * 1024, true
	case "GB":
		return n * 1024 * 1024, true
	}
	return 0, false
}

// loadZone accepts UTC, fixed offsets and IANA names.
func loadZone(v string) (*time.Location, error) {
	switch strings.ToUpper(v) {
	case "UTC", "GMT", "Z", "ETC/UTC":
		return time.UTC, nil
	}
	return time.LoadLocation(v)
}

func (s *Session) show(name string) {
	if name == "all" {
		s.fail(sqlerr.Unsupported("SHOW ALL"))
		return
	}
	v, ok := s.setting(name)
	if !ok {
		s.fail(sqlerr.New(sqlerr.UndefinedObject, "unrecognized configuration parameter %q", name))
		return
	}
	s.add(Result{Tag: "SHOW", Columns: []Column{textColumn(showName(name))}, Rows: []types.Row{{types.DString(v)}}})
}

// showName is SHOW's column name for a setting: PostgreSQL prints a few
// with their canonical capitalisation.
func showName(name string) string {
	switch name {
	case "timezone":
		return "TimeZone"
	case "datestyle":
		return "DateStyle"
	case "intervalstyle":
		return "IntervalStyle"
	}
	return name
}
