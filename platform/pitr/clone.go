package pitr

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/lazarus-dr/lazarus/platform/pg"
)

// Clone is a read-only copy of a cluster recovered to time T.
type Clone struct {
	// ID is deterministic: "<cluster>-<T in unix nanoseconds>".
	ID      string    `json:"id"`
	Cluster string    `json:"cluster"`
	T       time.Time `json:"t"`
	Host    string    `json:"host"`
	Port    int       `json:"port"`
	User    string    `json:"user"`
	// DataDir is the clone's data folder (empty for a cloud clone).
	DataDir string `json:"data_dir,omitempty"`
	// Backup is the base backup it was recovered from.
	Backup string `json:"backup,omitempty"`
	// LastCommit is the time of the last transaction replayed (never after T).
	LastCommit time.Time `json:"last_commit,omitempty"`
	// Ready is when the clone reached T and paused.
	Ready time.Time `json:"ready"`
	// Seconds it took to make (copy + recover), 0 when reused.
	Seconds float64 `json:"seconds,omitempty"`
	// Conn are the sslmode, sslrootcert and passfile of its DSN: its
	// cluster's (pg.ConnOptionsOf). Never a password.
	Conn pg.ConnOptions `json:"conn,omitempty"`
}

// DSN is a libpq URL of database db on the clone, without a password:
// pgx reads it from Conn.PassFile or the worker's environment.
func (c Clone) DSN(db string) string { return pg.DSNWith(c.Host, c.Port, c.User, db, c.Conn) }

// Window is the range of points a cluster can be cloned at.
type Window struct {
	Earliest time.Time `json:"earliest"`
	Latest   time.Time `json:"latest"`
}

// Cloner makes and removes point-in-time clones of a cluster. The local
// adapter (LocalCloner) recovers base backups plus the WAL archive; a cloud
// adapter (RDS/Aurora point-in-time restore) fits the same interface.
// Extraction (Load) only needs the clone's DSN.
type Cloner interface {
	// Clone returns a read-only clone of cluster recovered to t, reusing
	// one already made for the same (cluster, t). A t outside the window
	// is refused with a non-retryable error (errors.Is(err, ErrRefused)).
	Clone(ctx context.Context, cluster string, t time.Time) (Clone, error)
	// Teardown removes a clone; a clone already gone is not an error.
	Teardown(ctx context.Context, id string) error
	// Window says which points cluster can be cloned at now.
	Window(ctx context.Context, cluster string) (Window, error)
}

// ErrRefused is the cause of every refusal that retrying cannot fix (a T
// outside the backups' window, an unknown cluster).
var ErrRefused = errors.New("refused")

// refuse makes a non-retryable Temporal application error wrapping ErrRefused.
func refuse(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), "PITRRefused", ErrRefused)
}

// surface keeps a refusal non-retryable when it was wrapped with context:
// Temporal only honours an *ApplicationError at the top of the chain.
func surface(err error) error {
	if err == nil || !IsRefused(err) {
		return err
	}
	if _, top := err.(*temporal.ApplicationError); top {
		return err
	}
	var app *temporal.ApplicationError
	typ := "PITRRefused"
	if errors.As(err, &app) {
		typ = app.Type()
	}
	return temporal.NewNonRetryableApplicationError(err.Error(), typ, err)
}

// IsRefused reports whether err is a refusal (not worth retrying).
func IsRefused(err error) bool { return errors.Is(err, ErrRefused) }

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.]+(-[A-Za-z0-9_.]+)*$`)

// CloneID is the deterministic ID of the clone of cluster at t (t is first
// truncated to PostgreSQL's microseconds).
func CloneID(cluster string, t time.Time) string {
	return fmt.Sprintf("%s-%d", cluster, t.Truncate(time.Microsecond).UnixNano())
}

// ParseCloneID splits a clone ID into its cluster and point.
func ParseCloneID(id string) (cluster string, t time.Time, err error) {
	i := strings.LastIndexByte(id, '-')
	if i <= 0 {
		return "", time.Time{}, fmt.Errorf("clone ID %q is not <cluster>-<unix nanoseconds>", id)
	}
	ns, err := strconv.ParseInt(id[i+1:], 10, 64)
	if err != nil || !nameRE.MatchString(id[:i]) {
		return "", time.Time{}, fmt.Errorf("clone ID %q is not <cluster>-<unix nanoseconds>", id)
	}
	return id[:i], time.Unix(0, ns).UTC(), nil
}

// FormatTarget formats t for recovery_target_time.
func FormatTarget(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format("2006-01-02 15:04:05.999999") + "+00"
}
