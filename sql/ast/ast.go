package ast

import "github.com/lineradb/lineradb/sql/types"

// Stmt is a statement.
type Stmt interface{ stmt() }

// Expr is a scalar expression.
type Expr interface{ expr() }

// TableExpr is an item of a FROM clause.
type TableExpr interface{ tableExpr() }

// ---- queries ----

// SetOp is a set operation between two queries.
type SetOp uint8

// Set operations.
const (
	SetNone SetOp = iota
	SetUnion
	SetIntersect
	SetExcept
)

// Select is a query: a SELECT block, a VALUES list, or a set operation of
// two queries (Op != SetNone: Left, Right, All), with optional ORDER BY,
// LIMIT and OFFSET applying to the whole.
type Select struct {
	With       []CTE
	Distinct   bool
	DistinctOn []Expr
	Targets    []Target
	From       []TableExpr
	Where      Expr
	GroupBy    []Expr
	Having     Expr
	Values     [][]Expr
	Op         SetOp
	All        bool
	Left       *Select
	Right      *Select
	OrderBy    []OrderItem
	Limit      Expr
	Offset     Expr
}

// CTE is one WITH item.
type CTE struct {
	Name  string
	Cols  []string
	Query *Select
	// Recursive is set for every item of WITH RECURSIVE; the planner
	// decides whether the query refers to itself.
	Recursive bool
}

// Target is one select-list item; Star targets expand to columns.
type Target struct {
	Expr  Expr
	Alias string
	Pos   int
}

// Nulls is the NULLS FIRST/LAST choice of an ORDER BY item.
type Nulls uint8

// NULLS orderings.
const (
	NullsDefault Nulls = iota
	NullsFirst
	NullsLast
)

// OrderItem is one ORDER BY item.
type OrderItem struct {
	Expr  Expr
	Desc  bool
	Nulls Nulls
}

// TableName names a table, with an optional alias.
type TableName struct {
	Schema     string
	Name       string
	Alias      string
	ColAliases []string
	Pos        int
}

// Subquery is a derived table.
type Subquery struct {
	Select     *Select
	Alias      string
	ColAliases []string
	Lateral    bool
}

// FuncTable is a set-returning function in FROM, e.g. generate_series.
type FuncTable struct {
	Func       *Func
	Alias      string
	ColAliases []string
}

// JoinKind is the kind of a join.
type JoinKind uint8

// Join kinds.
const (
	JoinInner JoinKind = iota
	JoinLeft
	JoinRight
	JoinFull
	JoinCross
)

// Join is a join of two table expressions.
type Join struct {
	Kind    JoinKind
	Left    TableExpr
	Right   TableExpr
	On      Expr
	Using   []string
	Natural bool
	Alias   string
}

func (*Select) stmt()         {}
func (*TableName) tableExpr() {}
func (*Subquery) tableExpr()  {}
func (*FuncTable) tableExpr() {}
func (*Join) tableExpr()      {}

// ---- DML ----

// Insert is INSERT INTO ... (VALUES | SELECT | DEFAULT VALUES).
type Insert struct {
	With       []CTE
	Table      TableName
	Columns    []string
	Source     *Select // nil: DEFAULT VALUES
	OnConflict *OnConflict
	Returning  []Target
}

// OnConflict is ON CONFLICT [(cols)] DO NOTHING | DO UPDATE SET ...
type OnConflict struct {
	Columns  []string
	DoUpdate bool
	Set      []SetClause
	Where    Expr
}

// SetClause is one "col = expr" of UPDATE or ON CONFLICT DO UPDATE; a nil
// Value means DEFAULT.
type SetClause struct {
	Column string
	Value  Expr
	Pos    int
}

// Update is UPDATE ... SET ... [FROM ...] [WHERE ...] [RETURNING ...].
type Update struct {
	With      []CTE
	Table     TableName
	Set       []SetClause
	From      []TableExpr
	Where     Expr
	Returning []Target
}

// Delete is DELETE FROM ... [USING ...] [WHERE ...] [RETURNING ...].
type Delete struct {
	With      []CTE
	Table     TableName
	Using     []TableExpr
	Where     Expr
	Returning []Target
}

func (*Insert) stmt() {}
func (*Update) stmt() {}
func (*Delete) stmt() {}

// ---- DDL ----

// TypeRef is a column type as written.
type TypeRef struct {
	T      types.T
	Serial bool
}

// ColumnDef is a column of CREATE TABLE or ADD COLUMN.
type ColumnDef struct {
	Name        string
	Type        TypeRef
	NotNull     bool
	PrimaryKey  bool
	Unique      bool
	Default     Expr
	DefaultText string
	Checks      []CheckDef
	Pos         int
}

// CheckDef is a CHECK constraint with its canonical text.
type CheckDef struct {
	Name string
	Expr Expr
	Text string
}

// ConstraintKind is a table constraint's kind.
type ConstraintKind uint8

// Table constraint kinds.
const (
	ConstraintPrimaryKey ConstraintKind = iota
	ConstraintUnique
	ConstraintCheck
)

// TableConstraint is a table-level constraint.
type TableConstraint struct {
	Kind    ConstraintKind
	Name    string
	Columns []string
	Check   CheckDef
}

// CreateTable is CREATE TABLE.
type CreateTable struct {
	Name        TableName
	IfNotExists bool
	Columns     []ColumnDef
	Constraints []TableConstraint
}

// DropTable is DROP TABLE.
type DropTable struct {
	Names    []TableName
	IfExists bool
	Cascade  bool
}

// IndexColumn is a column of CREATE INDEX.
type IndexColumn struct {
	Name string
	Desc bool
}

// CreateIndex is CREATE [UNIQUE] INDEX.
type CreateIndex struct {
	Name        string
	Table       TableName
	Unique      bool
	Columns     []IndexColumn
	IfNotExists bool
}

// DropIndex is DROP INDEX.
type DropIndex struct {
	Names    []TableName
	IfExists bool
}

// AlterKind is an ALTER TABLE sub-command.
type AlterKind uint8

// ALTER TABLE sub-commands.
const (
	AlterAddColumn AlterKind = iota
	AlterDropColumn
	AlterAddConstraint
)

// AlterCmd is one ALTER TABLE sub-command.
type AlterCmd struct {
	Kind        AlterKind
	Column      ColumnDef       // AddColumn
	Name        string          // DropColumn
	Constraint  TableConstraint // AddConstraint
	IfExists    bool
	IfNotExists bool
}

// AlterTable is ALTER TABLE ... ADD/DROP COLUMN, ADD [CONSTRAINT name]
// PRIMARY KEY / UNIQUE / CHECK.
type AlterTable struct {
	Table    TableName
	IfExists bool
	Cmds     []AlterCmd
}

// Rename is ALTER TABLE ... RENAME [COLUMN a] TO b, or ALTER INDEX ...
// RENAME TO.
type Rename struct {
	Table    TableName
	Column   string // "" renames the table itself
	NewName  string
	IfExists bool
	Index    bool
}

// Truncate is TRUNCATE.
type Truncate struct {
	Tables []TableName
}

// Vacuum is VACUUM [ANALYZE] [tables] or ANALYZE [tables]. LineraDB has
// nothing to reclaim or sample, so it only checks that the tables exist.
type Vacuum struct {
	Tables []TableName
	// Columns[i] are the columns named for Tables[i] (ANALYZE t (a, b)).
	Columns [][]string
	// IsVacuum distinguishes VACUUM (tag "VACUUM") from ANALYZE.
	IsVacuum bool
}

func (*CreateTable) stmt() {}
func (*DropTable) stmt()   {}
func (*CreateIndex) stmt() {}
func (*DropIndex) stmt()   {}
func (*AlterTable) stmt()  {}
func (*Rename) stmt()      {}
func (*Truncate) stmt()    {}
func (*Vacuum) stmt()      {}

// ---- transactions and session ----

// TxnModes are BEGIN / SET TRANSACTION options.
type TxnModes struct {
	Isolation string // "", "serializable", "repeatable read", "read committed", "read uncommitted"
	ReadOnly  *bool
}

// Begin is BEGIN / START TRANSACTION.
type Begin struct{ Modes TxnModes }

// Commit is COMMIT / END.
type Commit struct{}

// Rollback is ROLLBACK / ABORT.
type Rollback struct{}

// Savepoint is SAVEPOINT name.
type Savepoint struct{ Name string }

// ReleaseSavepoint is RELEASE [SAVEPOINT] name.
type ReleaseSavepoint struct{ Name string }

// RollbackToSavepoint is ROLLBACK TO [SAVEPOINT] name.
type RollbackToSavepoint struct{ Name string }

// SetTransaction is SET TRANSACTION ....
type SetTransaction struct{ Modes TxnModes }

// SetVar is SET [LOCAL] name = value / TO DEFAULT / RESET name.
type SetVar struct {
	Name    string
	Values  []string
	Default bool
	Local   bool
	All     bool
}

// Show is SHOW name.
type Show struct{ Name string }

// Explain is EXPLAIN stmt.
type Explain struct {
	Stmt Stmt
}

// Empty is a statement with nothing in it (";").
type Empty struct{}

func (*Begin) stmt()               {}
func (*Commit) stmt()              {}
func (*Rollback) stmt()            {}
func (*Savepoint) stmt()           {}
func (*ReleaseSavepoint) stmt()    {}
func (*RollbackToSavepoint) stmt() {}
func (*SetTransaction) stmt()      {}
func (*SetVar) stmt()              {}
func (*Show) stmt()                {}
func (*Explain) stmt()             {}
func (*Empty) stmt()               {}

// ---- COPY ----

// Copy is COPY table [(columns)] FROM STDIN / TO STDOUT, or
// COPY (query) TO STDOUT, with its data format options. Only the client
// connection is a data source or sink: files and programs are refused by
// the parser.
type Copy struct {
	Table   TableName
	Columns []string
	Query   *Select // COPY (query) TO STDOUT; nil for a table
	From    bool
	Options CopyOptions
}

// CopyOptions are COPY's WITH (...) options; zero values mean the
// format's default.
type CopyOptions struct {
	CSV       bool
	Binary    bool // FORMAT binary: PostgreSQL's binary COPY format
	Header    bool
	Delimiter string  // one byte when set
	Null      *string // the NULL marker when set
	Quote     string  // csv only, one byte when set
	Escape    string  // csv only, one byte when set
}

func (*Copy) stmt() {}
