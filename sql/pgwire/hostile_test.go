package pgwire

import (
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// TestHostileInput throws malformed streams at a live server, each on its
// own connection, while a healthy session stays open; every bad connection
// must end (with an error where the protocol allows one), the healthy one
// must be unaffected, and new clients must still be served.
func TestHostileInput(t *testing.T) {
	ts := startServer(t, ServerConfig{MessageBytesMax: 1 << 20})
	healthy, _ := connect(t, ts.addr, nil)

	seed := rand.Uint64()
	t.Logf("garbage seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(rng.UintN(256))
	}
	// Startup-phase attacks: no session is created.
	for _, pre := range [][]byte{
		garbage,
		{0, 0, 0, 3},             // length below minimum
		{0x7f, 0xff, 0xff, 0xff}, // absurd length
		startupPacket(pgproto3.ProtocolVersion30, nil)[:6], // truncated
		startupPacket(1234, nil),                           // unknown code
	} {
		c := dial(t, ts.addr)
		c.sendRaw(pre)
		_ = c.nc.(interface{ CloseWrite() error }).CloseWrite()
		c.untilClosed()
	}

	big := binary.BigEndian.AppendUint32([]byte{'Q'}, 0x7fffffff)
	manyParams := bindWithParams(65535)
	cases := []struct {
		name string
		raw  []byte
		want string // the last message before the close; "" = closed silently
	}{
		{"huge length", big, "ErrorResponse(FATAL 08P01 invalid message length: 2147483643 bytes exceeds the maximum of 1048576)"},
		{"length below 4", rawMessage('Q', 2, nil), "ErrorResponse(FATAL 08P01 invalid frontend message: invalid message length: 2)"},
		{"unknown type", rawMessage('z', 4, nil), "ErrorResponse(FATAL 08P01 invalid frontend message: unknown message type: z)"},
		{"password after startup", rawMessage('p', 8, cstr("pwd")), "ErrorResponse(FATAL 08P01 invalid frontend message type *pgproto3.PasswordMessage after startup)"},
		{"malformed bind", rawMessage('B', 6, []byte{0, 0}), "ErrorResponse(FATAL 08P01 invalid frontend message: invalid message format)"},
		{"truncated", rawMessage('Q', 100, []byte("rows 1")), ""},
		{"startup again", startupPacket(pgproto3.ProtocolVersion30, cstr("user")), "ErrorResponse(FATAL 08P01 invalid frontend message: unknown message type: \x00)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := connect(t, ts.addr, nil)
			c.sendRaw(tc.raw)
			_ = c.nc.(interface{ CloseWrite() error }).CloseWrite()
			got := c.untilClosed()
			if tc.want == "" {
				expectTrace(t, got)
				return
			}
			if len(got) == 0 || !strings.HasPrefix(got[len(got)-1], strings.SplitN(tc.want, ":", 2)[0]) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("65535 params", func(t *testing.T) {
		c, _ := connect(t, ts.addr, nil)
		c.send(&pgproto3.Parse{Query: "echo $1"})
		c.sendRaw(manyParams)
		c.send(&pgproto3.Sync{})
		expectTrace(t, c.untilReady(), "ParseComplete",
			"ErrorResponse(ERROR 08P01 bind message supplies 65535 parameters, but prepared statement \"\" requires 1)",
			"ReadyForQuery(I)")
		c.send(&pgproto3.Parse{Query: "echo $1", ParameterOIDs: make([]uint32, 65535)},
			&pgproto3.Describe{ObjectType: 'S'}, &pgproto3.Sync{})
		got := c.untilReady()
		if len(got) != 4 || got[0] != "ParseComplete" || !strings.HasPrefix(got[1], "ParameterDescription") {
			t.Fatalf("got %.200q", got)
		}
	})
	expectTrace(t, healthy.query("rows 1"), "RowDescription(n:23/0,s:25/0)", "DataRow(1,r1)", "CommandComplete(SELECT 1)", "ReadyForQuery(I)")
	fresh, _ := connect(t, ts.addr, nil)
	expectTrace(t, fresh.query("rows 0"), "RowDescription(n:23/0,s:25/0)", "CommandComplete(SELECT 0)", "ReadyForQuery(I)")
}

// bindWithParams is a raw Bind for the unnamed statement carrying n NULL
// parameters.
func bindWithParams(n int) []byte {
	body := []byte{0, 0} // portal "", statement ""
	body = binary.BigEndian.AppendUint16(body, 0)
	body = binary.BigEndian.AppendUint16(body, uint16(n))
	for range n {
		body = binary.BigEndian.AppendUint32(body, 0xffffffff)
	}
	body = binary.BigEndian.AppendUint16(body, 0)
	return rawMessage('B', int32(4+len(body)), body)
}
