package netio

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
)

// MutualTLS returns the ServerTLS and ClientTLS for a node holding cert,
// in a cluster whose node certificates are issued by the CAs in ca. Both
// sides must present a certificate that chains to ca: the listener
// requires and verifies the dialer's (for client authentication), the
// dialer verifies the listener's (for server authentication), so a node
// certificate needs both extended key usages, or none.
//
// The dialer checks the chain but not the host name: peer addresses are
// often IPs (learned from a hello, or a container's) that a certificate
// does not list, and what names a node here is its id, which the handshake
// checks. Holding a certificate from the cluster CA is what admits a node.
func MutualTLS(cert tls.Certificate, ca *x509.CertPool) (server, client *tls.Config, err error) {
	if ca == nil {
		return nil, nil, errors.New("netio: MutualTLS needs a CA pool")
	}
	if len(cert.Certificate) == 0 {
		return nil, nil, errors.New("netio: MutualTLS needs a certificate")
	}
	server = &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca,
		MinVersion:   tls.VersionTLS13,
	}
	client = &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS13,
		// InsecureSkipVerify only turns off the standard check, which
		// includes the host name; VerifyConnection does the chain check
		// itself, and the handshake fails if it does.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyPeerChain(cs, ca)
		},
	}
	return server, client, nil
}

// verifyPeerChain checks that the listener's certificate chains to ca and
// is valid for server authentication.
func verifyPeerChain(cs tls.ConnectionState, ca *x509.CertPool) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("netio: peer presented no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
		Roots:         ca,
		Intermediates: inter,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return fmt.Errorf("netio: peer certificate: %w", err)
	}
	return nil
}
