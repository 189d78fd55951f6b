package sim

import (
	"errors"
	"fmt"

	"github.com/lineradb/lineradb/clock"
	"github.com/lineradb/lineradb/node"
	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/sql"
)

// A simulated SQL connection: one sql.Session whose transactions live on
// one replica (the gateway it connected to). The session is sans-IO: it
// asks for Begin, Commit and Abort and is resumed with their outcomes, so
// the connection turns those actions into calls of the replica's
// asynchronous API (node.Begin and node.Commit take callbacks) and keeps
// the session suspended in between while other events run.
//
// The connection's life, as a real client's TCP connection to a gateway:
//
//  1. open: a fresh session bound to the replica's current incarnation;
//  2. exec: one query string at a time; the continuation runs once the
//     session reaches ActionDone;
//  3. close: the client gave up (timeout) or the gateway went away (crash,
//     restart, stop, removal). An open kv transaction is aborted if its
//     incarnation still lives; callbacks that arrive later are dropped, and
//     a transaction they carry is aborted.
//
// Invariants: at most one query in flight (sqlConn.done is set exactly
// while one is); a closed connection never resumes its session; statements
// run only on the incarnation the connection opened on, and only while it
// runs (a paused gateway executes nothing).

// sqlConn is a client's connection to one replica.
type sqlConn struct {
	c    *dbCluster
	dn   *dbNode
	n    *node.Node // the incarnation the connection is bound to
	sess *sql.Session
	// txn is the kv transaction the session holds, nil outside one.
	txn *node.Txn
	// done is the continuation of the query in flight.
	done func([]sql.Result)
	// commitInFlight: a Commit was handed to the replica and has not
	// answered, so the transaction's outcome is not known yet.
	commitInFlight bool
	closed         bool
}

// errSQLNoCopy refuses COPY FROM: the workload never sends it.
var errSQLNoCopy = errors.New("sim: the SQL workload sends no COPY data")

func openSQLConn(c *dbCluster, dn *dbNode, clk clock.Clock) *sqlConn {
	if dn.status != dbRunning || dn.n == nil {
		panic(fmt.Sprintf("sim: SQL connection to node %d in state %s", dn.id, dn.status))
	}
	return &sqlConn{
		c: c, dn: dn, n: dn.n,
		sess: sql.NewSession(sql.SessionConfig{Clock: clk, Database: "lineradb", User: "sim"}),
	}
}

// gatewayGone reports whether the incarnation the connection is bound to
// no longer exists (crashed, stopped, removed, or replaced by a restart).
func (s *sqlConn) gatewayGone() bool { return s.dn.n != s.n }

// gatewayRunning reports whether the gateway can execute a statement now.
func (s *sqlConn) gatewayRunning() bool { return !s.gatewayGone() && s.dn.status == dbRunning }

// exec runs query and calls done with its results. The gateway must be
// running (gatewayRunning) and no query may be in flight.
func (s *sqlConn) exec(query string, done func([]sql.Result)) {
	if s.closed || s.done != nil || !s.gatewayRunning() {
		panic(fmt.Sprintf("sim: exec on a connection not ready (closed=%v busy=%v gone=%v)",
			s.closed, s.done != nil, s.gatewayGone()))
	}
	s.c.k.Trace([]byte(query))
	s.done = done
	s.drive(s.sess.Start(query))
	s.noticeStop()
}

// drive performs the session's actions until it is done or waits on the
// replica.
func (s *sqlConn) drive(step sql.Step) {
	for {
		switch step.Action {
		case sql.ActionDone:
			done := s.done
			s.done = nil
			done(step.Results)
			return
		case sql.ActionBegin:
			s.begin(step)
			return
		case sql.ActionCommit:
			s.commit(step)
			return
		case sql.ActionAbort:
			s.abortTxn()
			step = s.sess.ResumeAbort()
		case sql.ActionCopyIn:
			step = s.sess.ResumeCopyIn(0, errSQLNoCopy)
		default:
			panic(fmt.Sprintf("sim: unknown session action %d", step.Action))
		}
	}
}

func (s *sqlConn) begin(step sql.Step) {
	n := s.n
	n.Begin(step.BeginOpts, func(txn *node.Txn, err error) {
		if s.closed {
			if txn != nil {
				n.Abort(txn)
			}
			return
		}
		if err != nil {
			s.drive(s.sess.ResumeBegin(nil, err))
			return
		}
		s.txn = txn
		s.drive(s.sess.ResumeBegin(txn, nil))
	})
}

func (s *sqlConn) commit(step sql.Step) {
	txn, ok := step.Txn.(*node.Txn)
	if !ok || txn != s.txn {
		panic(fmt.Sprintf("sim: session committed %T, not the transaction it was given", step.Txn))
	}
	s.txn = nil
	s.commitInFlight = true
	s.n.Commit(txn, func(res kv.CommitResult, err error) {
		if s.closed {
			return
		}
		s.commitInFlight = false
		s.drive(s.sess.ResumeCommit(res, err))
	})
}

// abortTxn aborts the session's transaction on its replica. Abort is
// local bookkeeping, so it completes at once.
func (s *sqlConn) abortTxn() {
	if s.txn != nil && !s.gatewayGone() {
		s.n.Abort(s.txn)
	}
	s.txn = nil
}

// noticeStop lets the replica's harness notice that executing a statement
// stopped it (a read met a corrupt block).
func (s *sqlConn) noticeStop() {
	if !s.gatewayGone() {
		s.dn.checkStopped()
	}
}

// close abandons the connection; see the life cycle above.
func (s *sqlConn) close() {
	if s.closed {
		return
	}
	s.closed = true
	s.done = nil
	s.abortTxn()
}
