//go:build integration

package pg_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/internal/testpg"
	"github.com/lazarus-dr/lazarus/internal/tools"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
)

// A cluster with ssl on and a certificate from a CA made here: with the
// cluster's sslrootcert, sslmode verify-full connects over TLS; without it,
// with a missing CA file, or against a server without TLS, the connection
// fails with pg.ErrTLS in one line that says what to set.
func TestTLSConnectionsWorkOrFailClearly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t.Setenv("HOME", t.TempDir()) // no ~/.postgresql/root.crt
	dir := t.TempDir()
	ca := writeCertificates(t, dir)
	c := tlsCluster(ctx, t, dir)
	plain := testpg.Start(t, ctx, "plain", false)

	described := func(port int, sslrootcert string) string {
		return pg.ClusterDSN(platform.Cluster{Name: "tls", Host: "127.0.0.1", Port: port, SSLMode: pg.SSLVerifyFull, SSLRootCert: sslrootcert}, "postgres")
	}
	conn, err := pg.Open(ctx, described(c.Port(), ca))
	if err != nil {
		t.Fatalf("verify-full with the CA: %v", err)
	}
	var ssl bool
	if err := conn.QueryRow(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl); err != nil || !ssl {
		t.Errorf("the connection is not TLS (%v, %v)", ssl, err)
	}
	conn.Close(ctx)

	for name, c := range map[string]struct{ dsn, want string }{
		"no CA":          {described(c.Port(), ""), "not signed by a CA this worker trusts"},
		"missing CA":     {described(c.Port(), filepath.Join(dir, "none.pem")), "sslrootcert cannot be read"},
		"server no TLS":  {described(plain.Port(), ca), "does not offer TLS, which sslmode verify-full requires"},
		"require no TLS": {pg.DSNWith("127.0.0.1", plain.Port(), "", "postgres", pg.ConnOptions{SSLMode: "require"}), "sslmode require requires"},
	} {
		conn, err := pg.Open(ctx, c.dsn)
		if err == nil {
			conn.Close(ctx)
			t.Errorf("%s: connected", name)
			continue
		}
		msg := err.Error()
		if !errors.Is(err, pg.ErrTLS) || !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") || !strings.Contains(msg, "host=127.0.0.1") {
			t.Errorf("%s: %q, want one line with %q", name, msg, c.want)
		}
	}
}

// tlsCluster starts a cluster with ssl on, its certificate and key in dir.
func tlsCluster(ctx context.Context, t *testing.T, dir string) *pg.Cluster {
	t.Helper()
	bin, err := tools.PGBin()
	if err != nil {
		t.Fatalf("PostgreSQL is required: %v", err)
	}
	port, err := pg.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	if err := pg.ChownTree(filepath.Join(dir, "server.key"), pg.DefaultOSUser()); err != nil {
		t.Fatal(err)
	}
	cfg := pg.ClusterConfig{Name: "tls", DataDir: filepath.Join(dir, "data"), Port: port,
		SocketDir: filepath.Join(dir, "sock"), PGBin: bin, WALSegSizeMB: 1,
		ExtraConf: map[string]string{"ssl": "on", "ssl_cert_file": filepath.Join(dir, "server.crt"), "ssl_key_file": filepath.Join(dir, "server.key")}}
	c, err := pg.Init(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	if err := c.StartPicking(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

// writeCertificates makes a CA (ca.pem) and a server certificate for
// 127.0.0.1 signed by it (server.crt, server.key 0600) in dir, and
// returns the CA's path.
func writeCertificates(t *testing.T, dir string) string {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lazarus test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caTmpl, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, block := range map[string]*pem.Block{
		"ca.pem":     {Type: "CERTIFICATE", Bytes: caDER},
		"server.crt": {Type: "CERTIFICATE", Bytes: srvDER},
		"server.key": {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"ca.pem", "server.crt"} {
		if err := os.Chmod(filepath.Join(dir, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "ca.pem")
}
