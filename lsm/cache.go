package lsm

import "container/list"

// blockCache is an LRU of raw data blocks (checksum verified, restart
// array checked) with a byte budget: a block costs its size plus
// blockOverheadBytes. Deterministic:
// recency is a linked list and lookups are by exact key, so the same access
// sequence always evicts the same blocks.
type blockCache struct {
	capacityBytes int64
	usedBytes     int64
	lru           *list.List // front = most recent; values are *cacheEntry
	entries       map[cacheKey]*list.Element
	hits, misses  int64
}

type cacheKey struct {
	fileNum, offset uint64
}

type cacheEntry struct {
	key   cacheKey
	block *rawBlock
}

func newBlockCache(capacityBytes int64) *blockCache {
	return &blockCache{
		capacityBytes: capacityBytes,
		lru:           list.New(),
		entries:       make(map[cacheKey]*list.Element),
	}
}

func (c *blockCache) get(k cacheKey) *rawBlock {
	if c == nil {
		return nil
	}
	e, ok := c.entries[k]
	if !ok {
		c.misses++
		return nil
	}
	c.hits++
	c.lru.MoveToFront(e)
	return e.Value.(*cacheEntry).block
}

func (c *blockCache) put(k cacheKey, b *rawBlock) {
	if c == nil || int64(b.sizeBytes()) > c.capacityBytes {
		return
	}
	if e, ok := c.entries[k]; ok {
		c.lru.MoveToFront(e)
		return
	}
	c.entries[k] = c.lru.PushFront(&cacheEntry{k, b})
	c.usedBytes += int64(b.sizeBytes())
	for c.usedBytes > c.capacityBytes {
		c.evict(c.lru.Back())
	}
}

func (c *blockCache) evict(e *list.Element) {
	ce := e.Value.(*cacheEntry)
	c.lru.Remove(e)
	delete(c.entries, ce.key)
	c.usedBytes -= int64(ce.block.sizeBytes())
	if c.usedBytes < 0 {
		panic("lsm: block cache usedBytes negative")
	}
}

// evictFile drops every block of a deleted file. It walks the list, not the
// map, so the order of removals is deterministic.
func (c *blockCache) evictFile(fileNum uint64) {
	if c == nil {
		return
	}
	for e := c.lru.Front(); e != nil; {
		next := e.Next()
		if e.Value.(*cacheEntry).key.fileNum == fileNum {
			c.evict(e)
		}
		e = next
	}
}
