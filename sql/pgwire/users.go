package pgwire

import (
	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/sql"
)

// StoredUsers is the UserStore of a server whose users are the roles
// stored in the database (sql's CREATE ROLE / USER ... PASSWORD), plus the
// configured bootstrap superuser, which is not stored.
type StoredUsers struct {
	// Store must be safe for concurrent use.
	Store kv.Store
	// Superuser and SuperuserPassword (a SCRAM verifier, "" = none) are
	// the configured bootstrap superuser; they win over a stored role of
	// the same name.
	Superuser         string
	SuperuserPassword string
}

// LookupUser reads the role in a read-only transaction of its own. A
// role without LOGIN does not exist as far as logging in goes, so the
// client gets the same 28P01 as for a wrong password.
func (u *StoredUsers) LookupUser(name string) (string, bool, error) {
	if u.Superuser != "" && name == u.Superuser {
		return u.SuperuserPassword, true, nil
	}
	txn, err := u.Store.Begin(kv.TxnOptions{Isolation: kv.SnapshotIsolation, ReadOnly: true})
	if err != nil {
		return "", false, err
	}
	defer u.Store.Abort(txn)
	r, ok, err := sql.LookupRole(txn, name)
	if err != nil || !ok || !r.Login {
		return "", false, err
	}
	return r.Password, true, nil
}
