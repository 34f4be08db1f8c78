package tlsfront

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

func TestFrontForwardsOverMutualTLS(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "plain backend") }))
	defer backend.Close()
	f, err := Start(Options{Backend: strings.TrimPrefix(backend.URL, "http://"), Dir: t.TempDir(), RequireClientCert: true})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	caPEM, err := os.ReadFile(f.CAPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	pair, err := tls.LoadX509KeyPair(f.CertPath, f.KeyPath)
	if err != nil {
		t.Fatal(err)
	}
	// get sends a plain HTTP/1.0 request through the front and returns the
	// response's body.
	get := func(conf *tls.Config) (string, error) {
		c, err := tls.Dial("tcp", f.Addr, conf)
		if err != nil {
			return "", err
		}
		defer c.Close()
		if _, err := io.WriteString(c, "GET / HTTP/1.0\r\n\r\n"); err != nil {
			return "", err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	got, err := get(&tls.Config{RootCAs: pool, ServerName: f.ServerName, Certificates: []tls.Certificate{pair}})
	if err != nil || got != "plain backend" {
		t.Fatalf("mTLS request: %q %v", got, err)
	}
	if f.Handshakes() != 1 {
		t.Fatalf("handshakes %d, want 1", f.Handshakes())
	}
	if _, err := get(&tls.Config{ServerName: f.ServerName}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without the CA: want a certificate error, got %v", err)
	}
	if _, err := get(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}); err == nil {
		t.Fatal("the certificate holds no IP: a client that does not ask for its name must fail")
	}
	if _, err := get(&tls.Config{RootCAs: pool, ServerName: f.ServerName}); err == nil {
		t.Fatal("without a client certificate: want a refusal")
	}
}
