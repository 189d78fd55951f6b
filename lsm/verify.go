package lsm

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/lineradb/lineradb/diskio"
)

// VerifyReport is the result of VerifySSTables: one line per table.
type VerifyReport struct {
	Files []FileVerdict
}

// FileVerdict is one table's verification result; Err is nil if intact.
type FileVerdict struct {
	Name    string
	Entries uint64
	Err     error
}

// Damaged lists the names of the tables that failed, sorted.
func (r *VerifyReport) Damaged() []string {
	var out []string
	for _, f := range r.Files {
		if f.Err != nil {
			out = append(out, f.Name)
		}
	}
	return out
}

func (r *VerifyReport) String() string {
	var b strings.Builder
	for _, f := range r.Files {
		if f.Err != nil {
			fmt.Fprintf(&b, "DAMAGED %s: %v\n", f.Name, f.Err)
		} else {
			fmt.Fprintf(&b, "ok      %s: %d entries\n", f.Name, f.Entries)
		}
	}
	fmt.Fprintf(&b, "%d tables, %d damaged\n", len(r.Files), len(r.Damaged()))
	return b.String()
}

// VerifySSTables checks every *.sst in dir (for lineradb-admin
// verify-sstables): footer, every block's checksum, key well-formedness and
// order within and across blocks, range deletions, and that the properties
// agree with the contents. It reads without a cache and never panics on
// damage; the error is only for failing to list the directory.
func VerifySSTables(fs diskio.FS, dir string) (*VerifyReport, error) {
	names, err := fs.List(dir)
	if err != nil {
		return nil, fmt.Errorf("lsm: list %s: %w", dir, err)
	}
	sort.Strings(names)
	r := &VerifyReport{}
	for _, n := range names {
		if typ, num := parseFileName(n); typ == fileTypeTable {
			name := joinPath(dir, n)
			entries, err := VerifyTable(fs, name, num)
			r.Files = append(r.Files, FileVerdict{Name: name, Entries: entries, Err: err})
		}
	}
	return r, nil
}

// VerifyTable checks one table; see VerifySSTables.
func VerifyTable(fs diskio.FS, name string, fileNum uint64) (entries uint64, err error) {
	f, err := fs.Open(name)
	if err != nil {
		return 0, fmt.Errorf("lsm: open %s: %w", name, err)
	}
	defer f.Close()
	r, err := openTable(f, fileNum, nil)
	if err != nil {
		return 0, err
	}
	if _, err := r.rangeTombstones(); err != nil {
		return 0, err
	}
	var prev []byte
	var minSeq, maxSeq uint64
	for bi := range r.index {
		b, err := r.dataBlock(bi)
		if err == nil && !invariantsOn {
			err = r.checkDataBlock(b, bi) // dataBlock checked it already with invariants on
		}
		if err != nil {
			return entries, err
		}
		var it blockIter
		it.init(b)
		for ok := it.first(); ok; ok = it.next() {
			k := it.key
			if prev != nil && compareInternal(prev, k) >= 0 {
				return entries, corruptf(name, int64(r.index[bi].h.offset), "keys out of order across blocks")
			}
			s := seqOf(k)
			if entries == 0 || s < minSeq {
				minSeq = s
			}
			maxSeq = max(maxSeq, s)
			if uk := userKeyOf(k); bytes.Compare(uk, r.props.smallest) < 0 || bytes.Compare(uk, r.props.largest) > 0 {
				return entries, corruptf(name, int64(r.index[bi].h.offset), "key outside the properties' key range")
			}
			prev = append(prev[:0], k...)
			entries++
		}
	}
	if entries != r.props.numEntries {
		return entries, corruptf(name, 0, "properties count %d entries, table holds %d", r.props.numEntries, entries)
	}
	if entries > 0 && (minSeq < r.props.smallestSeq || maxSeq > r.props.largestSeq) {
		return entries, corruptf(name, 0, "seqs outside the properties' seq range")
	}
	return entries, nil
}

// VerifyWAL checks a write-ahead log: every record's checksum and batch
// encoding. A torn tail (an unsynced write cut by a crash) is reported as
// tornBytes, not as an error.
func VerifyWAL(fs diskio.FS, name string) (batches int, tornBytes int64, err error) {
	recs, valid, err := readRecords(fs, name)
	if err != nil {
		return 0, 0, err
	}
	for i, rec := range recs {
		if _, _, err := decodeBatch(rec); err != nil {
			return i, 0, corruptf(name, 0, "record %d: %v", i, err)
		}
	}
	size, err := fs.Stat(name)
	if err != nil {
		return len(recs), 0, fmt.Errorf("lsm: stat %s: %w", name, err)
	}
	return len(recs), size - valid, nil
}
