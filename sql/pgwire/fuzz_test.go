package pgwire

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

var writeCorpus = flag.Bool("pgwire.writecorpus", false, "rewrite testdata/fuzz/FuzzMessageDecoder from the seed streams")

// seedRand is a deterministic randomness source for fuzzing (nonces,
// salts), so a failing input replays exactly.
type seedRand struct{ r *rand.ChaCha8 }

func (s seedRand) Read(p []byte) (int, error) { return s.r.Read(p) }

// encodeStream concatenates frontend messages as a client would send them.
func encodeStream(msgs ...pgproto3.FrontendMessage) []byte {
	var b []byte
	for _, m := range msgs {
		var err error
		b, err = m.Encode(b)
		if err != nil {
			panic(err)
		}
	}
	return b
}

var fuzzStartup = encodeStream(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
	Parameters: map[string]string{"user": "fuzz"}})

// seedStreams are valid conversations the fuzzer mutates. The first byte
// selects the mode (see runFuzzStream).
func seedStreams() [][]byte {
	body := func(mode byte, msgs ...pgproto3.FrontendMessage) []byte {
		return append([]byte{mode}, encodeStream(msgs...)...)
	}
	return [][]byte{
		body(0, &pgproto3.Query{String: "rows 3; notice; error 42601"}, &pgproto3.Terminate{}),
		body(0, &pgproto3.Parse{Name: "s", Query: "echo $1 $2", ParameterOIDs: []uint32{25}},
			&pgproto3.Describe{ObjectType: 'S', Name: "s"},
			&pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "s", ParameterFormatCodes: []int16{0, 1},
				Parameters: [][]byte{[]byte("x"), {0, 0, 0, 0, 0, 0, 0, 9}}, ResultFormatCodes: []int16{1}},
			&pgproto3.Execute{Portal: "p", MaxRows: 1}, &pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{}),
		body(0, &pgproto3.Parse{Query: "alltypes"}, &pgproto3.Bind{ResultFormatCodes: []int16{1}},
			&pgproto3.Execute{}, &pgproto3.Close{ObjectType: 'S'}, &pgproto3.Flush{}, &pgproto3.Sync{}),
		body(0, &pgproto3.Query{String: "copyin csv header"}, &pgproto3.CopyData{Data: []byte("a,b\n1,\"x\"\"y\"\n")},
			&pgproto3.CopyDone{}, &pgproto3.Query{String: "copyout"}),
		body(0, &pgproto3.Query{String: "copyin"}, &pgproto3.CopyData{Data: []byte("1\t\\N\n2\t\\x41\n")},
			&pgproto3.CopyFail{Message: "no"}, &pgproto3.Query{String: "begin; error 1; rows 1"}, &pgproto3.Query{String: "rollback"}),
		append([]byte{1}, startupPacket(sslRequestCode, nil)...),
		append(append([]byte{1}, startupPacket(gssEncRequestCode, nil)...), fuzzStartup...),
		append([]byte{1}, cancelPacket(1000, 42)...),
		body(2, &pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("n,,n=,r=abcdef")},
			&pgproto3.SASLResponse{Data: []byte("c=biws,r=abcdef,p=AAAA")}),
		body(4, &pgproto3.PasswordMessage{Password: "md5abcdef"}),
		body(6, &pgproto3.PasswordMessage{Password: "secret"}),
	}
}

// runFuzzStream feeds data to one Conn as the client's byte stream. The
// first byte picks the mode: bit 0 set = raw (the stream includes its own
// startup packets), else a valid startup message is prepended; bits 1-2
// pick the authentication method.
func runFuzzStream(t *testing.T, data []byte) {
	if len(data) == 0 {
		return
	}
	mode, stream := data[0], data[1:]
	if mode&1 == 0 {
		stream = append(append([]byte{}, fuzzStartup...), stream...)
	}
	scram, _ := newScramVerifier("secret", []byte("0123456789abcdef"), 16)
	users := userMap{"fuzz": scram.String()}
	if mode&6 == 4 {
		users["fuzz"] = MD5Password("fuzz", "secret")
	}
	rw := struct {
		io.Reader
		io.Writer
	}{bytes.NewReader(stream), io.Discard}
	conn := NewConn(rw, ConnConfig{
		Backend: &fakeBackend{fuzz: true}, Auth: AuthConfig{Method: AuthMethod(mode >> 1 & 3), Users: users},
		Rand: seedRand{rand.NewChaCha8([32]byte{})}, MessageBytesMax: 1 << 16, Logger: quietLogger(),
	})
	var pe *PanicError
	if err := conn.Serve(); errors.As(err, &pe) {
		t.Fatalf("panic serving %q: %v", data, pe.Value)
	}
}

func FuzzMessageDecoder(f *testing.F) {
	for _, s := range seedStreams() {
		f.Add(s)
	}
	f.Fuzz(runFuzzStream)
}

// TestFuzzCorpusCurrent keeps the checked-in corpus in step with
// seedStreams (rewrite with -pgwire.writecorpus).
func TestFuzzCorpusCurrent(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzMessageDecoder")
	for i, s := range seedStreams() {
		path := filepath.Join(dir, fmt.Sprintf("seed%02d", i))
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
		if *writeCorpus {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("%s is stale or missing (run go test -run TestFuzzCorpusCurrent -pgwire.writecorpus): %v", path, err)
		}
	}
}
