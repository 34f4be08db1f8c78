package sandbox

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// repoTLS are the files of the pgBackRest repository server's TLS: a CA
// made for this state folder, and a server certificate it signed for
// localhost (pgBackRest 2.45 checks a certificate's host names, never its
// IP addresses, so the repository is reached as localhost).
type repoTLS struct{ dir string }

func (r repoTLS) CA() string   { return filepath.Join(r.dir, "ca.crt") }
func (r repoTLS) Cert() string { return filepath.Join(r.dir, "server.crt") }
func (r repoTLS) Key() string  { return filepath.Join(r.dir, "server.key") }

// repoHost is the host name the repository is reached by.
const repoHost = "localhost"

// ensure makes the CA and the server certificate unless valid ones for
// another week are there. The CA's key is not kept: a new server
// certificate comes with a new CA.
func (r repoTLS) ensure(now time.Time) error {
	if r.valid(now.Add(7 * 24 * time.Hour)) {
		return nil
	}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return fmt.Errorf("repository TLS: %w", err)
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("repository TLS: %w", err)
	}
	ca := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: "Lazarus sandbox CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("repository TLS: CA: %w", err)
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("repository TLS: %w", err)
	}
	srv := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano() + 1), Subject: pkix.Name{CommonName: repoHost},
		DNSNames: []string{repoHost}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	srvDER, err := x509.CreateCertificate(rand.Reader, srv, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("repository TLS: server certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		return fmt.Errorf("repository TLS: %w", err)
	}
	for _, f := range []struct {
		path, typ string
		der       []byte
		mode      os.FileMode
	}{{r.Key(), "EC PRIVATE KEY", keyDER, 0o600}, {r.Cert(), "CERTIFICATE", srvDER, 0o644}, {r.CA(), "CERTIFICATE", caDER, 0o644}} {
		if err := os.WriteFile(f.path, pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der}), f.mode); err != nil {
			return fmt.Errorf("repository TLS: %w", err)
		}
	}
	return nil
}

// valid reports whether the files are there, the server certificate is
// the CA's, names repoHost and is valid at until.
func (r repoTLS) valid(until time.Time) bool {
	pair, err := tls.LoadX509KeyPair(r.Cert(), r.Key())
	if err != nil || len(pair.Certificate) == 0 {
		return false
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return false
	}
	pool, err := r.pool()
	if err != nil {
		return false
	}
	_, err = leaf.Verify(x509.VerifyOptions{DNSName: repoHost, Roots: pool, CurrentTime: until})
	return err == nil
}

// pool is the CA as a certificate pool (for the Go client that makes the
// bucket).
func (r repoTLS) pool() (*x509.CertPool, error) {
	raw, err := os.ReadFile(r.CA())
	if err != nil {
		return nil, fmt.Errorf("repository TLS: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(raw) {
		return nil, errors.New("repository TLS: " + r.CA() + " holds no certificate")
	}
	return pool, nil
}
