package pgwire

// SQLSTATEs pgwire reports that the SQL layer does not (PostgreSQL
// Appendix A).
const (
	codeProtocolViolation           = "08P01"
	codeInvalidAuthorization        = "28000"
	codeInvalidPassword             = "28P01"
	codeTooManyConnections          = "53300"
	codeInvalidBinaryRepresentation = "22P03"
	codeDuplicateCursor             = "42P03"
	codeDuplicatePreparedStatement  = "42P05"
	codeAdminShutdown               = "57P01"
	codeOutOfMemory                 = "53200"
)
