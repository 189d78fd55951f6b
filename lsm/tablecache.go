package lsm

import (
	"container/list"
	"fmt"

	"github.com/lineradb/lineradb/diskio"
)

// tableCache keeps at most maxOpen table readers open, evicting the least
// recently used one that no iterator holds. Readers in use are pinned: the
// bound can be exceeded by the number of pinned readers, never by idle ones.
type tableCache struct {
	fs           diskio.FS
	dir          string
	maxOpen      int
	blocks       *blockCache
	lru          *list.List // values are *tableHandle; front = most recent
	byNum        map[uint64]*list.Element
	hits, misses int64
}

// tableHandle is a reference-counted open reader.
type tableHandle struct {
	tc      *tableCache
	fileNum uint64
	r       *tableReader
	refs    int
	evicted bool
}

func newTableCache(fs diskio.FS, dir string, maxOpen int, blocks *blockCache) *tableCache {
	if maxOpen < 1 {
		panic("lsm: tableCache maxOpen < 1")
	}
	return &tableCache{fs: fs, dir: dir, maxOpen: maxOpen, blocks: blocks,
		lru: list.New(), byNum: make(map[uint64]*list.Element)}
}

func tableFileName(dir string, fileNum uint64) string {
	return joinPath(dir, fmt.Sprintf("%06d.sst", fileNum))
}

func joinPath(dir, name string) string {
	if dir == "" || dir == "." {
		return name
	}
	return dir + "/" + name
}

// acquire returns a pinned reader; the caller must release it.
func (tc *tableCache) acquire(fileNum uint64) (*tableHandle, error) {
	if e, ok := tc.byNum[fileNum]; ok {
		tc.hits++
		tc.lru.MoveToFront(e)
		h := e.Value.(*tableHandle)
		h.refs++
		return h, nil
	}
	tc.misses++
	name := tableFileName(tc.dir, fileNum)
	f, err := tc.fs.Open(name)
	if err != nil {
		return nil, fmt.Errorf("lsm: open %s: %w", name, err)
	}
	r, err := openTable(f, fileNum, tc.blocks)
	if err != nil {
		f.Close()
		return nil, err
	}
	h := &tableHandle{tc: tc, fileNum: fileNum, r: r, refs: 1}
	tc.byNum[fileNum] = tc.lru.PushFront(h)
	tc.trim()
	return h, nil
}

func (h *tableHandle) release() {
	h.refs--
	if h.refs < 0 {
		panic("lsm: tableHandle released too often")
	}
	if h.refs == 0 && h.evicted {
		h.r.close()
	}
}

// trim closes idle readers beyond the bound, oldest first.
func (tc *tableCache) trim() {
	for e := tc.lru.Back(); e != nil && tc.lru.Len() > tc.maxOpen; {
		prev := e.Prev()
		if h := e.Value.(*tableHandle); h.refs == 0 {
			tc.drop(e)
		}
		e = prev
	}
}

func (tc *tableCache) drop(e *list.Element) {
	h := e.Value.(*tableHandle)
	tc.lru.Remove(e)
	delete(tc.byNum, h.fileNum)
	h.evicted = true
	if h.refs == 0 {
		h.r.close()
	}
}

// evict forgets a file that is being deleted.
func (tc *tableCache) evict(fileNum uint64) {
	if e, ok := tc.byNum[fileNum]; ok {
		tc.drop(e)
	}
	tc.blocks.evictFile(fileNum)
}

func (tc *tableCache) closeAll() {
	for e := tc.lru.Front(); e != nil; {
		next := e.Next()
		tc.drop(e)
		e = next
	}
}

func (tc *tableCache) openCount() int { return tc.lru.Len() }
