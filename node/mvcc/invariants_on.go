//go:build invariants

package mvcc

import (
	"encoding/binary"
	"fmt"

	"github.com/lineradb/lineradb/lsm"
)

// checkNoRangeDelsAfter asserts the fast path's premise: the
// range-deletion log holds no record above rv (newestRangeDel is a true
// upper bound). It scans the log the fast path skips.
func (s *Store) checkNoRangeDelsAfter(rv uint64) {
	it, err := s.db.NewIter(&lsm.IterOptions{LowerBound: rangeDelKey(rv + 1), UpperBound: rangeDelLogEnd()})
	if err != nil {
		return // an LSM failure; the apply that follows reports it
	}
	defer it.Close()
	if it.First() {
		panic(fmt.Sprintf("mvcc: range-deletion log holds index %d above read version %d, but newestRangeDel is %d",
			binary.BigEndian.Uint64(it.Key()[len(sysRangeDelPrefix):]), rv, s.newestRangeDel))
	}
}
