package server

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/node"
	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/raft"
)

// nodeDirName is the replica's directory inside server.data_dir (raft/ is
// the WAL, lsm-*/ the SSTables); backups/ sits beside it.
const nodeDirName = "node"

// restoreLeaderWait bounds how long a restore waits for its private
// single-node cluster to elect itself.
const restoreLeaderWait = 30 * time.Second

// RestoreBackup founds a NEW single-node cluster with member nodeID in the
// empty (or missing) dataDir and loads the backup into it. Start the server
// on dataDir with --node-id=nodeID and no peers; grow the cluster with
// /admin/add-peer. A non-empty dataDir is refused: restore never overwrites.
func RestoreBackup(backupDir, dataDir string, nodeID uint64) (BackupInfo, error) {
	if nodeID == 0 {
		return BackupInfo{}, errors.New("restore: node id must be positive")
	}
	if err := requireEmptyDir(dataDir); err != nil {
		return BackupInfo{}, err
	}
	// Verify the whole backup before creating anything.
	if _, err := ReadBackup(backupDir, func([]byte, []byte) error { return nil }); err != nil {
		return BackupInfo{}, err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return BackupInfo{}, err
	}
	rt, err := node.StartRuntime(node.RuntimeConfig{
		Node: node.Config{
			ID: nodeID, FS: diskio.NewOSFS(dataDir), Dir: nodeDirName, Peers: []uint64{nodeID},
			Rand: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), nodeID)),
		},
		ListenAddr:   "127.0.0.1:0",
		TickInterval: 10 * time.Millisecond,
	})
	if err != nil {
		return BackupInfo{}, err
	}
	info, loadErr := loadBackup(rt, backupDir)
	if loadErr == nil {
		loadErr = rt.Admin(func(n *node.Node) error { return n.TakeSnapshot() })
	}
	return info, errors.Join(loadErr, rt.Stop())
}

func requireEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("restore: %s is not empty (%d entries): restore only into an empty data directory", dir, len(entries))
	}
	return nil
}

func waitLeader(rt *node.Runtime, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		st, err := rt.Status()
		if err != nil {
			return err
		}
		if st.Stopped != nil {
			return st.Stopped
		}
		if st.Role == raft.RoleLeader && st.Applied >= st.Commit {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("restore: no leader within %v", wait)
}

// loadBackup writes the backup's records in bounded batches.
func loadBackup(rt *node.Runtime, backupDir string) (BackupInfo, error) {
	if err := waitLeader(rt, restoreLeaderWait); err != nil {
		return BackupInfo{}, err
	}
	var txn kv.Txn
	var keys, bytes int
	flush := func() error {
		if txn == nil {
			return nil
		}
		_, err := rt.Commit(txn)
		txn, keys, bytes = nil, 0, 0
		return err
	}
	info, err := ReadBackup(backupDir, func(key, value []byte) error {
		if txn == nil {
			var err error
			if txn, err = rt.Begin(kv.TxnOptions{}); err != nil {
				return err
			}
		}
		if err := txn.Put(key, value); err != nil {
			return err
		}
		keys++
		bytes += len(key) + len(value)
		if keys >= restoreBatchKeysMax || bytes >= restoreBatchBytesMax {
			return flush()
		}
		return nil
	})
	if err != nil {
		if txn != nil {
			rt.Abort(txn)
		}
		return info, err
	}
	return info, flush()
}
