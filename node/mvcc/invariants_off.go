//go:build !invariants

package mvcc

func (s *Store) checkNoRangeDelsAfter(uint64) {}
