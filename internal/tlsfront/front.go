// Package tlsfront is a real TLS terminator for tests. The Temporal dev
// server (`temporal server start-dev`) has no TLS option, so tests that
// must connect with TLS put this in front of it: it makes a CA, a server
// certificate and a client certificate in a directory, accepts TLS
// connections (ALPN "h2", optionally requiring a client certificate signed
// by the CA: mTLS), and forwards each connection's decrypted bytes to the
// dev server's plain gRPC port (internal/tcpproxy does the forwarding). gRPC without TLS is HTTP/2 with prior
// knowledge, so forwarding the bytes is all it takes.
//
// It is for tests only and must never be imported by production code.
package tlsfront

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"path/filepath"
	"sync/atomic"

	"github.com/lazarus-dr/lazarus/internal/tcpproxy"
)

// DefaultServerName is the only name in the server certificate.
const DefaultServerName = "temporal.lazarus.test"

// Options of Start.
type Options struct {
	// Backend is the plain TCP host:port the decrypted bytes go to.
	Backend string
	// Dir receives ca.pem, server.pem, server-key.pem, client.pem and
	// client-key.pem.
	Dir string
	// ServerName is the DNS name of the server certificate (default
	// DefaultServerName). The certificate has no IP address, so a client
	// connecting to 127.0.0.1 must ask for this name (--tls-server-name).
	ServerName string
	// RequireClientCert refuses clients without a certificate signed by
	// the CA (mTLS).
	RequireClientCert bool
}

// Front is a running TLS terminator.
type Front struct {
	// Addr is the TLS listener's host:port.
	Addr string
	// ServerName is the name the server certificate holds.
	ServerName string
	// CAPath is the CA certificate; CertPath and KeyPath a client
	// certificate and key that the front accepts.
	CAPath, CertPath, KeyPath string

	proxy      *tcpproxy.Proxy
	handshakes atomic.Int64
}

// Start makes the certificates and listens on a free loopback port.
func Start(o Options) (*Front, error) {
	if o.ServerName == "" {
		o.ServerName = DefaultServerName
	}
	ca, err := newAuthority()
	if err != nil {
		return nil, err
	}
	srvCert, srvKey, err := ca.issue("temporal frontend", o.ServerName, x509.ExtKeyUsageServerAuth)
	if err != nil {
		return nil, err
	}
	cliCert, cliKey, err := ca.issue("lazarus test client", "", x509.ExtKeyUsageClientAuth)
	if err != nil {
		return nil, err
	}
	if err := writePEM(o.Dir, map[string][]byte{"ca.pem": ca.pem, "server.pem": srvCert, "server-key.pem": srvKey,
		"client.pem": cliCert, "client-key.pem": cliKey}); err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(srvCert, srvKey)
	if err != nil {
		return nil, fmt.Errorf("server key pair: %w", err)
	}
	f := &Front{
		ServerName: o.ServerName,
		CAPath:     filepath.Join(o.Dir, "ca.pem"), CertPath: filepath.Join(o.Dir, "client.pem"), KeyPath: filepath.Join(o.Dir, "client-key.pem"),
	}
	conf := &tls.Config{
		Certificates: []tls.Certificate{pair},
		NextProtos:   []string{"h2"},
		MinVersion:   tls.VersionTLS12,
		// Called once a handshake has verified what it must: count it.
		VerifyConnection: func(tls.ConnectionState) error { f.handshakes.Add(1); return nil },
	}
	if o.RequireClientCert {
		pool := x509.NewCertPool()
		pool.AddCert(ca.cert)
		conf.ClientCAs, conf.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", conf)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	f.Addr = ln.Addr().String()
	f.proxy = tcpproxy.Serve(ln, o.Backend, 0)
	return f, nil
}

// Handshakes counts the TLS handshakes that succeeded: proof that a client
// came through TLS.
func (f *Front) Handshakes() int64 { return f.handshakes.Load() }

// Close stops listening; open connections end with their peers.
func (f *Front) Close() { f.proxy.Close() }
