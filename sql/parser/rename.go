package parser

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lineradb/lineradb/sql/sqlerr"
)

// RenameColumnRefs rewrites the column references named oldName in an
// expression kept as SQL text (a CHECK constraint) to newName, so that a
// catalog storing expressions as text survives ALTER TABLE RENAME COLUMN.
//
// It works on PostgreSQL's own tokens rather than on the parse tree so
// that the rest of the text (casts, literals, spacing) is kept byte for
// byte. A token is a reference to the column when it is an identifier or
// a non-reserved keyword that folds to oldName, and is neither a function
// name (followed by "(") nor a qualifier (followed by "."). The new name
// is written double-quoted, so any name survives the round trip.
func RenameColumnRefs(text, oldName, newName string) (string, error) {
	res, err := pg.Scan(text)
	if err != nil {
		return "", sqlerr.New(sqlerr.InternalError, "scanning catalog expression %q: %v", text, err)
	}
	toks := res.Tokens
	var b strings.Builder
	last := 0
	for i, tok := range toks {
		if tok.KeywordKind == pg.KeywordKind_RESERVED_KEYWORD {
			continue
		}
		if tok.Token != pg.Token_IDENT && tok.KeywordKind == pg.KeywordKind_NO_KEYWORD {
			continue
		}
		start, end := int(tok.Start), int(tok.End)
		if start < last || end > len(text) || foldIdent(text[start:end]) != oldName {
			continue
		}
		if i+1 < len(toks) && (toks[i+1].Token == pg.Token_ASCII_40 || toks[i+1].Token == pg.Token_ASCII_46) {
			continue
		}
		b.WriteString(text[last:start])
		b.WriteString(QuoteIdent(newName))
		last = end
	}
	b.WriteString(text[last:])
	return b.String(), nil
}

// foldIdent returns the name an identifier token denotes: quoted
// identifiers verbatim, unquoted ones lower-cased (ASCII, as PostgreSQL).
func foldIdent(tok string) string {
	if len(tok) >= 2 && tok[0] == '"' && tok[len(tok)-1] == '"' {
		return strings.ReplaceAll(tok[1:len(tok)-1], `""`, `"`)
	}
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, tok)
}

// QuoteIdent double-quotes an identifier for SQL text.
func QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
