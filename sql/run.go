package sql

import (
	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/sql/exec"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

type typesDatum = types.Datum

// CopyFeeder supplies COPY FROM STDIN's data for a synchronous driver: it
// calls ci.Insert with the rows and returns how many went in and the
// first error.
type CopyFeeder func(ci *CopyIn) (int64, error)

// Drive completes a step synchronously against store. A COPY FROM STDIN
// fails (it has no data source); use DriveCopy.
func Drive(s *Session, store kv.Store, step Step) []Result {
	return DriveCopy(s, store, step, nil)
}

// DriveCopy is Drive with a data source for COPY FROM STDIN.
func DriveCopy(s *Session, store kv.Store, step Step, feed CopyFeeder) []Result {
	return driveStep(s, store, step, feed).Results
}

func driveStep(s *Session, store kv.Store, step Step, feed CopyFeeder) Step {
	for step.Action != ActionDone {
		switch step.Action {
		case ActionBegin:
			txn, err := store.Begin(step.BeginOpts)
			step = s.ResumeBegin(txn, err)
		case ActionCommit:
			res, err := store.Commit(step.Txn)
			step = s.ResumeCommit(res, err)
		case ActionAbort:
			store.Abort(step.Txn)
			step = s.ResumeAbort()
		case ActionCopyIn:
			if feed == nil {
				step = s.ResumeCopyIn(0, sqlerr.New(sqlerr.FeatureNotSupported, "COPY FROM STDIN needs a client that sends data"))
				continue
			}
			n, err := feed(step.CopyIn)
			step = s.ResumeCopyIn(n, err)
		}
	}
	return step
}

// Run executes a query string synchronously against store.
func Run(s *Session, store kv.Store, query string) []Result {
	return Drive(s, store, s.Start(query))
}

// Prepare describes query synchronously against store (StartPrepare).
func Prepare(s *Session, store kv.Store, query string, paramOIDs []types.OID) (*Prepared, *Error) {
	step := driveStep(s, store, s.StartPrepare(query, paramOIDs), nil)
	if step.Prepared != nil {
		return step.Prepared, nil
	}
	for _, r := range step.Results {
		if r.Err != nil {
			return nil, r.Err
		}
	}
	return nil, sqlerr.New(sqlerr.InternalError, "prepare produced no statement and no error")
}

// Execute runs a prepared statement synchronously against store
// (StartExecute); feed supplies COPY FROM data and may be nil.
func Execute(s *Session, store kv.Store, p *Prepared, params []types.Datum, feed CopyFeeder) []Result {
	return DriveCopy(s, store, s.StartExecute(p, params), feed)
}

func columns(cs []exec.Column) []Column {
	out := make([]Column, len(cs))
	for i, c := range cs {
		out[i] = Column{Name: c.Name, TypeOID: uint32(c.T.OID), Typmod: c.T.Typmod, TypeSize: c.T.Size(), T: c.T}
	}
	return out
}
