package pg

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrAuth is the cause of a connection the server refused for its
// credentials (a wrong or missing password); ErrTLS of one whose TLS could
// not be set up as its sslmode asks (no TLS on the server, a certificate
// not signed by the CA, a host name the certificate does not name).
var (
	ErrAuth = errors.New("authentication failed")
	ErrTLS  = errors.New("TLS failed")
)

// connectError is a failed connection told in one line that names the
// server and what to check, not the driver's text; errors.Is finds ErrAuth
// or ErrTLS and the driver's error below it.
type connectError struct {
	msg   string
	kind  error
	cause error
}

func (e *connectError) Error() string   { return e.msg }
func (e *connectError) Unwrap() []error { return []error{e.kind, e.cause} }

// explainConnect wraps a failed connection to dsn: an authentication or TLS
// failure becomes one clear line (see connectError); any other error keeps
// its text after the password-free DSN.
func explainConnect(dsn string, err error) error {
	where := redact(dsn)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "28P01" || pgErr.Code == "28000") {
		return &connectError{kind: ErrAuth, cause: err, msg: fmt.Sprintf(
			"connect %s: the server refused the password (or there is none): the worker reads it from the cluster's passfile, PGPASSFILE, PGPASSWORD or ~/.pgpass",
			where)}
	}
	text := err.Error()
	var unknownCA x509.UnknownAuthorityError
	var badHost x509.HostnameError
	switch {
	case strings.Contains(text, "server refused TLS connection"):
		return &connectError{kind: ErrTLS, cause: err, msg: fmt.Sprintf(
			"connect %s: the server does not offer TLS, which sslmode %s requires: turn ssl on in the server, or set the cluster's sslmode in the platform description",
			where, sslModeOf(dsn))}
	case errors.As(err, &unknownCA) || strings.Contains(text, "certificate signed by unknown authority"):
		return &connectError{kind: ErrTLS, cause: err, msg: fmt.Sprintf(
			"connect %s: the server's certificate is not signed by a CA this worker trusts: set the cluster's sslrootcert in the platform description",
			where)}
	case errors.As(err, &badHost) || strings.Contains(text, "certificate is valid for"):
		return &connectError{kind: ErrTLS, cause: err, msg: fmt.Sprintf(
			"connect %s: the server's certificate does not name this host (sslmode verify-full checks it): connect by a name the certificate holds",
			where)}
	case strings.Contains(text, "unable to read CA file") || strings.Contains(text, "unable to add CA to cert pool"):
		return &connectError{kind: ErrTLS, cause: err, msg: fmt.Sprintf(
			"connect %s: the cluster's sslrootcert cannot be read or holds no certificate", where)}
	}
	return fmt.Errorf("connect %s: %w", where, err)
}

// sslModeOf is the sslmode a DSN asks for ("prefer", libpq's default, when
// it says none).
func sslModeOf(dsn string) string {
	for _, kv := range strings.FieldsFunc(dsn, func(r rune) bool { return r == '?' || r == '&' || r == ' ' }) {
		if v, ok := strings.CutPrefix(kv, "sslmode="); ok {
			return v
		}
	}
	return "prefer"
}
