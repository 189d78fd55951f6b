package parser

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
)

// copyStmt translates COPY. Only STDIN/STDOUT are accepted: reading or
// writing server files and running programs is a superuser feature
// LineraDB does not offer.
func (t *translator) copyStmt(s *pg.CopyStmt) ast.Stmt {
	if s.IsProgram || s.Filename != "" {
		unsupported("COPY to or from a file or program (use STDIN/STDOUT)")
	}
	if s.WhereClause != nil {
		unsupported("COPY FROM ... WHERE")
	}
	out := &ast.Copy{From: s.IsFrom, Columns: strList(s.Attlist)}
	switch {
	case s.Query != nil:
		sel := s.Query.GetSelectStmt()
		if sel == nil {
			unsupported("COPY of a statement other than SELECT")
		}
		out.Query = t.selectStmt(sel)
	case s.Relation != nil:
		out.Table = t.tableName(s.Relation)
	default:
		fail(sqlerr.SyntaxError, "COPY needs a table or a query")
	}
	for _, o := range s.Options {
		t.copyOption(o.GetDefElem(), &out.Options)
	}
	if err := checkCopyOptions(&out.Options); err != nil {
		panic(err)
	}
	return out
}

func (t *translator) copyOption(d *pg.DefElem, o *ast.CopyOptions) {
	if d == nil {
		fail(sqlerr.SyntaxError, "malformed COPY option")
	}
	val := t.constText(d.Arg)
	switch d.Defname {
	case "format":
		switch strings.ToLower(val) {
		case "text":
			o.CSV, o.Binary = false, false
		case "csv":
			o.CSV, o.Binary = true, false
		case "binary":
			o.CSV, o.Binary = false, true
		default:
			fail(sqlerr.InvalidParameterValue, "COPY format %q not recognized", val)
		}
	case "header":
		switch strings.ToLower(val) {
		case "", "true", "on", "1":
			o.Header = true
		case "false", "off", "0":
			o.Header = false
		default:
			unsupported("COPY HEADER %s", val)
		}
	case "delimiter":
		o.Delimiter = val
	case "null":
		v := val
		o.Null = &v
	case "quote":
		o.Quote = val
	case "escape":
		o.Escape = val
	case "freeze":
		// FREEZE only spares PostgreSQL later hint-bit and vacuum work on
		// the loaded rows; LineraDB's MVCC keeps no per-row visibility
		// state to freeze, so the option changes nothing here.
		switch strings.ToLower(val) {
		case "", "true", "on", "1", "false", "off", "0":
		default:
			fail(sqlerr.SyntaxError, "freeze requires a Boolean value")
		}
	case "encoding":
		if u := strings.ToUpper(strings.ReplaceAll(val, "-", "")); u != "UTF8" && u != "UNICODE" {
			unsupported("COPY ENCODING %s", val)
		}
	default:
		unsupported("COPY option %s", strings.ToUpper(d.Defname))
	}
}

// checkCopyOptions applies PostgreSQL's checks on COPY options.
func checkCopyOptions(o *ast.CopyOptions) *sqlerr.Error {
	if o.Binary {
		return checkBinaryCopyOptions(o)
	}
	if len(o.Delimiter) > 1 {
		return sqlerr.New(sqlerr.FeatureNotSupported, "COPY delimiter must be a single one-byte character")
	}
	if o.Delimiter == "\n" || o.Delimiter == "\r" {
		return sqlerr.New(sqlerr.InvalidParameterValue, "COPY delimiter cannot be newline or carriage return")
	}
	if !o.CSV && o.Quote != "" {
		return sqlerr.New(sqlerr.FeatureNotSupported, "COPY quote available only in CSV mode")
	}
	if !o.CSV && o.Escape != "" {
		return sqlerr.New(sqlerr.FeatureNotSupported, "COPY escape available only in CSV mode")
	}
	if len(o.Quote) > 1 || len(o.Escape) > 1 {
		return sqlerr.New(sqlerr.FeatureNotSupported, "COPY quote and escape must be a single one-byte character")
	}
	if o.Null != nil && strings.ContainsAny(*o.Null, "\r\n") {
		return sqlerr.New(sqlerr.InvalidParameterValue, "COPY null representation cannot use newline or carriage return")
	}
	return nil
}

// checkBinaryCopyOptions: the binary format has no delimiter, NULL
// marker, header, quote or escape (PostgreSQL's messages).
func checkBinaryCopyOptions(o *ast.CopyOptions) *sqlerr.Error {
	for _, c := range []struct {
		set  bool
		name string
	}{{o.Delimiter != "", "DELIMITER"}, {o.Null != nil, "NULL"}, {o.Header, "HEADER"},
		{o.Quote != "", "QUOTE"}, {o.Escape != "", "ESCAPE"}} {
		if c.set {
			return sqlerr.New(sqlerr.SyntaxError, "cannot specify %s in BINARY mode", c.name)
		}
	}
	return nil
}
