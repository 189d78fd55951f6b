package pgcatalog

import (
	"fmt"

	"github.com/lineradb/lineradb/sql/catalog"
)

// Fixed OIDs, PostgreSQL 15's where PostgreSQL fixes them.
const (
	oidNamespaceCatalog = 11    // pg_catalog
	oidNamespacePublic  = 2200  // public
	oidNamespaceInfo    = 13000 // information_schema (initdb-assigned in PostgreSQL)
	oidBootstrapRole    = 10    // the bootstrap superuser: owns every object
	oidDatabaseOwner    = 6171  // pg_database_owner: owns schema public
	oidDatabase         = 16384 // the one database a cluster serves
	oidAmHeap           = 2
	oidAmBtree          = 403
	oidTablespace       = 1663 // pg_default
	oidTablespaceGlobal = 1664 // pg_global
	oidCollDefault      = 100
	oidCollC            = 950
	oidCollPOSIX        = 951
	encodingUTF8        = 6
)

// Relation OIDs derive from catalog IDs so that they are stable across
// sessions and replicas and need no stored counter: every table owns a
// block of oidBlockSize OIDs above oidUserMin.
//
//	base+0                 the table
//	base+1                 its row type (pg_type, typtype 'c')
//	base+2                 the row type's array type
//	base+oidIndexFirst+i   index i (the primary index is 1)
//	base+oidConFirst+i     the PRIMARY KEY/UNIQUE constraint of index i
//	base+oidCheckFirst+k   CHECK constraint k
//	base+oidSeqFirst+k     owned sequence k
const (
	oidUserMin    = 1 << 20
	oidBlockSize  = 4096
	oidIndexFirst = 16
	oidConFirst   = 1024
	oidCheckFirst = 2048
	oidSeqFirst   = 3072
	oidDefFirst   = 3584 // pg_attrdef rows: column ID
	subPerKindMax = 512  // indexes, checks, sequences, defaults per table
)

// tableIDMax keeps every OID of the last table's block inside uint32.
const tableIDMax = (1<<32 - oidUserMin) / oidBlockSize

// oidKind names what a user OID denotes.
type oidKind uint8

const (
	kindNone oidKind = iota
	kindTable
	kindRowType
	kindRowArray
	kindIndex
	kindConstraint
	kindCheck
	kindSequence
	kindAttrDef
)

func tableBase(id uint32) (uint32, error) {
	if id >= tableIDMax {
		return 0, fmt.Errorf("pgcatalog: table ID %d has no OID block", id)
	}
	return oidUserMin + id*oidBlockSize, nil
}

func tableOID(t *catalog.Table) uint32 {
	b, _ := tableBase(t.ID)
	return b
}

func subOID(t *catalog.Table, first, i uint32) uint32 {
	if i >= subPerKindMax {
		return 0 // out of range: no OID (never matches a lookup)
	}
	return tableOID(t) + first + i
}

func indexOID(t *catalog.Table, indexID uint32) uint32 { return subOID(t, oidIndexFirst, indexID) }
func conOID(t *catalog.Table, indexID uint32) uint32   { return subOID(t, oidConFirst, indexID) }
func checkOID(t *catalog.Table, k int) uint32          { return subOID(t, oidCheckFirst, uint32(k)) }
func seqOID(t *catalog.Table, k int) uint32            { return subOID(t, oidSeqFirst, uint32(k)) }
func attrDefOID(t *catalog.Table, col uint32) uint32   { return subOID(t, oidDefFirst, col) }

// splitOID maps a user OID back to its table ID, kind and sub-index.
func splitOID(oid uint32) (tableID uint32, kind oidKind, sub uint32) {
	if oid < oidUserMin {
		return 0, kindNone, 0
	}
	tableID, off := (oid-oidUserMin)/oidBlockSize, (oid-oidUserMin)%oidBlockSize
	switch {
	case off == 0:
		return tableID, kindTable, 0
	case off == 1:
		return tableID, kindRowType, 0
	case off == 2:
		return tableID, kindRowArray, 0
	case off >= oidDefFirst && off < oidDefFirst+subPerKindMax:
		return tableID, kindAttrDef, off - oidDefFirst
	case off >= oidSeqFirst:
		return tableID, kindSequence, off - oidSeqFirst
	case off >= oidCheckFirst:
		return tableID, kindCheck, off - oidCheckFirst
	case off >= oidConFirst:
		return tableID, kindConstraint, off - oidConFirst
	case off >= oidIndexFirst:
		return tableID, kindIndex, off - oidIndexFirst
	}
	return tableID, kindNone, 0
}
