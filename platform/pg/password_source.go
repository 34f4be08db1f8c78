package pg

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// PasswordSource makes a password at connect time, for the servers it
// knows: an RDS IAM authentication token, signed with the worker's AWS
// credentials and valid for minutes. It is asked on every new connection
// and the password is never stored, so no DSN, clone or workflow history
// carries it. ok is false for a server the source does not know: the
// connection then uses libpq's sources (passfile, PGPASSWORD, ~/.pgpass).
type PasswordSource interface {
	Password(ctx context.Context, host string, port int, user string) (pw string, ok bool, err error)
}

// passwordSource is the process's source (nil: none).
var passwordSource atomic.Pointer[PasswordSource]

// SetPasswordSource makes s the source of every connection this package
// opens from now on (the worker sets it once at start, when a cluster uses
// IAM authentication); nil removes it.
func SetPasswordSource(s PasswordSource) {
	if s == nil {
		passwordSource.Store(nil)
		return
	}
	passwordSource.Store(&s)
}

// setPassword asks the process's source, when there is one, for the
// password of the server cc dials: Open calls it before connecting, and a
// pool before each new connection (pgxpool's BeforeConnect), so a token is
// always fresh.
func setPassword(ctx context.Context, cc *pgx.ConnConfig) error {
	p := passwordSource.Load()
	if p == nil {
		return nil
	}
	pw, ok, err := (*p).Password(ctx, cc.Host, int(cc.Port), cc.User)
	if err != nil {
		return fmt.Errorf("password for user %s at %s:%d: %w", cc.User, cc.Host, cc.Port, err)
	}
	if ok {
		cc.Password = pw
	}
	return nil
}
