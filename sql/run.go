package sql

import (
	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/sql/exec"
	"github.com/lineradb/lineradb/sql/types"
)

type typesDatum = types.Datum

// Drive completes a step synchronously against store.
func Drive(s *Session, store kv.Store, step Step) []Result {
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
		}
	}
	return step.Results
}

// Run executes a query string synchronously against store.
func Run(s *Session, store kv.Store, query string) []Result {
	return Drive(s, store, s.Start(query))
}

func columns(cs []exec.Column) []Column {
	out := make([]Column, len(cs))
	for i, c := range cs {
		out[i] = Column{Name: c.Name, TypeOID: uint32(c.T.OID), Typmod: c.T.Typmod, TypeSize: c.T.Size(), T: c.T}
	}
	return out
}
