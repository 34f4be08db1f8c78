package pg

import (
	"net/url"
	"strings"
	"testing"

	"github.com/lazarus-dr/lazarus/platform"
)

// A host that is not loopback nor a socket folder gets verify-full unless
// the description says otherwise; loopback and sockets get disable.
func TestSSLModeDefaults(t *testing.T) {
	for host, want := range map[string]string{
		"127.0.0.1": SSLDisable, "127.8.9.10": SSLDisable, "::1": SSLDisable, "[::1]": SSLDisable,
		"localhost": SSLDisable, "LocalHost": SSLDisable, "/run/postgresql": SSLDisable, "": SSLDisable,
		"10.77.0.1": SSLVerifyFull, "db.example.com": SSLVerifyFull, "2001:db8::1": SSLVerifyFull,
		"localhost.example.com": SSLVerifyFull, "128.0.0.1": SSLVerifyFull,
	} {
		if got := DefaultSSLMode(host); got != want {
			t.Errorf("DefaultSSLMode(%q) = %s, want %s", host, got, want)
		}
	}
}

func query(t *testing.T, dsn string) url.Values {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("%s: %v", dsn, err)
	}
	return u.Query()
}

// Every DSN builder carries the cluster's sslmode, sslrootcert and
// passfile, and never a password.
func TestClusterDSNCarriesTheDescriptionsOptions(t *testing.T) {
	remote := platform.Cluster{Name: "c", Host: "db.example.com", Port: 5432, User: "restorer"}
	q := query(t, ClusterDSN(remote, "catalog"))
	if q.Get("sslmode") != SSLVerifyFull || q.Has("sslrootcert") || q.Has("passfile") {
		t.Errorf("remote default: %v", q)
	}
	remote.SSLMode, remote.SSLRootCert, remote.PassFile = "verify-ca", "/etc/lazarus/ca.pem", "/etc/lazarus/pgpass"
	dsn := ClusterDSN(remote, "catalog")
	q = query(t, dsn)
	if q.Get("sslmode") != "verify-ca" || q.Get("sslrootcert") != "/etc/lazarus/ca.pem" || q.Get("passfile") != "/etc/lazarus/pgpass" {
		t.Errorf("described: %v", q)
	}
	if !strings.HasPrefix(dsn, "postgres://restorer@db.example.com:5432/catalog?") {
		t.Errorf("DSN %s", dsn)
	}
	if u, _ := url.Parse(dsn); u.User != nil {
		if _, set := u.User.Password(); set {
			t.Errorf("DSN %s holds a password", dsn)
		}
	}
	local := ClusterDSN(platform.Cluster{Name: "l", Port: 5433}, "x")
	if local != "postgres://postgres@127.0.0.1:5433/x?sslmode=disable" {
		t.Errorf("local DSN %s", local)
	}
	sock := query(t, ClusterDSN(platform.Cluster{Name: "s", Host: "/tmp/s", Port: 5433, SSLMode: "require"}, "x"))
	if sock.Get("host") != "/tmp/s" || sock.Get("sslmode") != "require" {
		t.Errorf("socket DSN %v: the description's sslmode wins over the default", sock)
	}
}

// pgx reads the options the DSN carries: sslmode verify-full makes a TLS
// config that checks the host name; the passfile gives the password.
func TestPgxReadsTheDSNsOptions(t *testing.T) {
	dir := t.TempDir()
	pass := dir + "/pgpass"
	writeFile(t, pass, "db.example.com:*:*:restorer:s3cret\n")
	dsn := ClusterDSN(platform.Cluster{Name: "c", Host: "db.example.com", Port: 5432, User: "restorer", PassFile: pass}, "catalog")
	cfg, err := connConfig(dsn, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Password != "s3cret" {
		t.Errorf("password from the passfile: %q", cfg.Password)
	}
	if cfg.TLSConfig == nil {
		t.Fatal("verify-full: no TLS config")
	}
	if cfg.TLSConfig.ServerName != "db.example.com" || cfg.TLSConfig.InsecureSkipVerify || len(cfg.Fallbacks) != 0 {
		t.Errorf("verify-full: server name %q, skip verify %v, %d fallbacks (none without TLS)",
			cfg.TLSConfig.ServerName, cfg.TLSConfig.InsecureSkipVerify, len(cfg.Fallbacks))
	}
	local, err := connConfig(DSN("127.0.0.1", 5432, "", "x"), Limits{})
	if err != nil || local.TLSConfig != nil {
		t.Errorf("loopback: TLS %+v, %v", local.TLSConfig, err)
	}
}

// redact names the server, never a password, even of a DSN pgx cannot
// parse (a missing sslrootcert).
func TestRedact(t *testing.T) {
	for dsn, want := range map[string]string{
		"postgres://u:pw@db.example.com:6432/cat?sslmode=verify-full&sslrootcert=/nope": "host=db.example.com port=6432 user=u dbname=cat",
		"postgres://u@localhost/cat?host=%2Ftmp%2Fs&port=5433&password=pw":              "host=/tmp/s port=5433 user=u dbname=cat",
		"host=h port=7 user=u dbname=d password=pw sslmode=disable":                     "host=h port=7 user=u dbname=d",
	} {
		if got := redact(dsn); got != want || strings.Contains(got, "pw") {
			t.Errorf("redact(%q) = %q, want %q", dsn, got, want)
		}
	}
}
