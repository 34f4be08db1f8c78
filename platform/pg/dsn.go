package pg

import (
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/lazarus-dr/lazarus/platform"
)

// The sslmode defaults (DefaultSSLMode).
const (
	// SSLDisable is for a loopback address or a socket folder: nothing
	// leaves the machine.
	SSLDisable = "disable"
	// SSLVerifyFull is for any other host: the connection is encrypted and
	// the server's certificate must be signed by a trusted CA (the
	// cluster's sslrootcert, else ~/.postgresql/root.crt) for that host.
	SSLVerifyFull = "verify-full"
)

// ConnOptions are how a connection is secured and where its password comes
// from: libpq's sslmode, sslrootcert and passfile. None is a secret: a DSN
// carrying them may travel (in workflow history, in logs).
type ConnOptions struct {
	// SSLMode is libpq's sslmode; empty: DefaultSSLMode of the host.
	SSLMode string `json:"sslmode,omitempty"`
	// SSLRootCert is the CA file that verifies the server.
	SSLRootCert string `json:"sslrootcert,omitempty"`
	// PassFile is a .pgpass file; empty: the worker's PGPASSFILE,
	// PGPASSWORD or ~/.pgpass (pgx reads them as libpq does).
	PassFile string `json:"passfile,omitempty"`
}

// ConnOptionsOf are the connection options a platform description gives a
// cluster (and its clones).
func ConnOptionsOf(c platform.Cluster) ConnOptions {
	return ConnOptions{SSLMode: c.SSLMode, SSLRootCert: c.SSLRootCert, PassFile: c.PassFile}
}

// DefaultSSLMode is the sslmode of a host whose description sets none:
// SSLDisable for a socket folder (a path), localhost and a loopback address
// (127.0.0.0/8, ::1), SSLVerifyFull for any other host.
func DefaultSSLMode(host string) string {
	if host == "" || strings.HasPrefix(host, "/") || strings.EqualFold(host, "localhost") {
		return SSLDisable
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil && ip.IsLoopback() {
		return SSLDisable
	}
	return SSLVerifyFull
}

// DSN builds a libpq URL with the default connection options of host; host
// may be a socket folder.
func DSN(host string, port int, user, db string) string {
	return DSNWith(host, port, user, db, ConnOptions{})
}

// DSNWith builds a libpq URL (pgx v5) of database db; host may be a socket
// folder. It never holds a password: pgx finds it in the passfile or the
// worker's environment.
func DSNWith(host string, port int, user, db string, o ConnOptions) string {
	if user == "" {
		user = Superuser
	}
	u := url.URL{Scheme: "postgres", User: url.User(user), Path: "/" + db}
	q := url.Values{}
	if strings.HasPrefix(host, "/") {
		u.Host = "localhost"
		q.Set("host", host)
		q.Set("port", strconv.Itoa(port))
	} else {
		u.Host = net.JoinHostPort(host, strconv.Itoa(port))
	}
	mode := o.SSLMode
	if mode == "" {
		mode = DefaultSSLMode(host)
	}
	q.Set("sslmode", mode)
	if o.SSLRootCert != "" {
		q.Set("sslrootcert", o.SSLRootCert)
	}
	if o.PassFile != "" {
		q.Set("passfile", o.PassFile)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// ClusterDSN is a libpq URL of database db on a described cluster, with its
// connection options (an empty host is 127.0.0.1, an empty user Superuser).
func ClusterDSN(c platform.Cluster, db string) string {
	host := c.Host
	if host == "" {
		host = "127.0.0.1"
	}
	return DSNWith(host, c.Port, c.User, db, ConnOptionsOf(c))
}
