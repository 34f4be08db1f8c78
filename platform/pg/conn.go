package pg

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Deadlines of the connections this package opens. A DSN that sets one of
// these itself (connect_timeout, or the setting as a URL parameter) keeps its own.
const (
	// ConnectTimeout bounds making one connection (TCP, startup, the
	// backend's fork): milliseconds on a healthy server, a few seconds on a
	// loaded one; a server that has not answered in 10s is down or
	// unreachable, and the caller's retry is better spent elsewhere.
	ConnectTimeout = 10 * time.Second
	// startupRetry is how long Open retries a server that says it is
	// starting up (a clone just started, a restarted cluster).
	startupRetry = 10 * time.Second
)

// Limits are server-side bounds of a session, set at connect time, so that
// a statement, a lock wait or an abandoned transaction ends in an error
// even when the client is gone or its context has no deadline. Zero fields
// are not set.
type Limits struct {
	// Statement is statement_timeout: the longest one statement may run.
	Statement time.Duration
	// Lock is lock_timeout: the longest one lock wait may last.
	Lock time.Duration
	// IdleInTransaction is idle_in_transaction_session_timeout: a session
	// left idle inside a transaction (its client died mid-transaction) is
	// ended and its locks released.
	IdleInTransaction time.Duration
}

// RestoreLimits are the limits of the connections a restore makes to a
// live store or a clone (OpenForRestore).
var RestoreLimits = Limits{
	// The longest statement a restore runs is the COPY of one tenant's
	// rows of one table: a million rows take about 30 s here (30 to 45
	// thousand rows a second); 10 minutes leaves room for a tenant twenty
	// times that size on a slow disk, and still ends a runaway statement.
	Statement: 10 * time.Minute,
	// A copy that waits behind another transaction's uncommitted rows of
	// the same tenant (an earlier attempt of the same step, still running
	// after its task was lost) gives up within a minute and is retried,
	// instead of waiting as long as that attempt lives.
	Lock: time.Minute,
	// A worker killed mid-copy leaves a transaction open on the live store
	// (holding the tenant's new rows' locks) until TCP notices; 2 minutes
	// frees them for the retry. No statement of a restore leaves its
	// session idle inside a transaction for more than milliseconds.
	IdleInTransaction: 2 * time.Minute,
}

// Open connects to a libpq URL (or key=value string) within ConnectTimeout,
// retrying for a short while when the server is starting up.
func Open(ctx context.Context, dsn string) (*pgx.Conn, error) {
	return OpenWithLimits(ctx, dsn, Limits{})
}

// OpenForRestore is Open with the session limits of a restore
// (RestoreLimits).
func OpenForRestore(ctx context.Context, dsn string) (*pgx.Conn, error) {
	return OpenWithLimits(ctx, dsn, RestoreLimits)
}

// OpenWithLimits is Open with server-side session limits.
func OpenWithLimits(ctx context.Context, dsn string, lim Limits) (*pgx.Conn, error) {
	cfg, err := connConfig(dsn, lim)
	if err != nil {
		return nil, explainConnect(dsn, err)
	}
	if err := setPassword(ctx, cfg); err != nil {
		return nil, fmt.Errorf("connect %s: %w", redact(dsn), err)
	}
	return whileStartingUp(ctx, dsn, func() (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, cfg.Copy()) })
}

// whileStartingUp calls connect until it succeeds, retrying for
// startupRetry while the server says it is starting up (a clone just
// started, a restarted cluster); any other error ends it at once.
func whileStartingUp[T any](ctx context.Context, dsn string, connect func() (T, error)) (T, error) {
	deadline := time.Now().Add(startupRetry)
	for {
		conn, err := connect()
		if err == nil {
			return conn, nil
		}
		var zero T
		var pgErr *pgconn.PgError
		startingUp := errors.As(err, &pgErr) && pgErr.Code == "57P03" // cannot_connect_now
		if !startingUp || time.Now().After(deadline) {
			return zero, explainConnect(dsn, err)
		}
		if werr := waitPoll(ctx, 100*time.Millisecond); werr != nil {
			return zero, explainConnect(dsn, err)
		}
	}
}

// connConfig parses dsn and applies ConnectTimeout and the limits, unless
// the DSN sets them itself.
func connConfig(dsn string, lim Limits) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = ConnectTimeout
	}
	for name, d := range map[string]time.Duration{
		"statement_timeout":                   lim.Statement,
		"lock_timeout":                        lim.Lock,
		"idle_in_transaction_session_timeout": lim.IdleInTransaction,
	} {
		if _, set := cfg.RuntimeParams[name]; !set && d > 0 {
			cfg.RuntimeParams[name] = strconv.FormatInt(d.Milliseconds(), 10) // milliseconds
		}
	}
	return cfg, nil
}

// Open connects to database db of the cluster.
func (c *Cluster) Open(ctx context.Context, db string) (*pgx.Conn, error) {
	return Open(ctx, c.DSN(db))
}

// redact names the server of a DSN for messages, never its password:
// host, port, user and database, read without opening any file the DSN
// names (a missing sslrootcert must not hide which server it was).
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		host, port := u.Hostname(), u.Port()
		if h := q.Get("host"); h != "" {
			host = h
		}
		if p := q.Get("port"); p != "" {
			port = p
		}
		if port == "" {
			port = "5432"
		}
		return fmt.Sprintf("host=%s port=%s user=%s dbname=%s", host, port, u.User.Username(), strings.TrimPrefix(u.Path, "/"))
	}
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s", cfg.Host, cfg.Port, cfg.User, cfg.Database)
}

// CreateDatabase creates database name if it does not exist (idempotent).
func (c *Cluster) CreateDatabase(ctx context.Context, name string) error {
	if name == "" {
		return fmt.Errorf("create database on %s: name is empty", c.cfg.Name)
	}
	conn, err := c.Open(ctx, "postgres")
	if err != nil {
		return fmt.Errorf("create database %s on %s: %w", name, c.cfg.Name, err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("create database %s on %s: %w", name, c.cfg.Name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: a racing creator
			return nil
		}
		return fmt.Errorf("create database %s on %s: %w", name, c.cfg.Name, err)
	}
	return nil
}

// SwitchWALAndWaitArchived makes everything written so far archived: it
// commits a transaction with an XID (so that a later recovery to any time
// before now finds a commit after its target and stops there), switches to a
// new WAL segment and waits until pg_stat_archiver reports the finished
// segment archived (or ctx ends, or 2 minutes pass).
func (c *Cluster) SwitchWALAndWaitArchived(ctx context.Context) error {
	conn, err := c.Open(ctx, "postgres")
	if err != nil {
		return fmt.Errorf("switch WAL on %s: %w", c.cfg.Name, err)
	}
	defer conn.Close(context.Background())
	if err := SwitchWALAndWaitArchived(ctx, conn); err != nil {
		return fmt.Errorf("switch WAL on %s: %w", c.cfg.Name, err)
	}
	return nil
}

// SwitchWALAndWaitArchived does the same on any connection to a primary.
func SwitchWALAndWaitArchived(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, "SELECT pg_current_xact_id()"); err != nil {
		return fmt.Errorf("marker transaction: %w", err)
	}
	var seg string
	if err := conn.QueryRow(ctx, "SELECT pg_walfile_name(pg_switch_wal())").Scan(&seg); err != nil {
		return fmt.Errorf("pg_switch_wal: %w", err)
	}
	return WaitArchived(ctx, conn, seg, 2*time.Minute)
}

// WaitArchived polls pg_stat_archiver until segment seg (or a later one) is
// archived. It fails early with the archiver's failure when archiving fails
// repeatedly on that segment.
func WaitArchived(ctx context.Context, conn *pgx.Conn, seg string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	delay := 20 * time.Millisecond
	for {
		var lastArchived, lastFailed string
		var failedCount int64
		err := conn.QueryRow(ctx, `SELECT coalesce(last_archived_wal, ''), coalesce(last_failed_wal, ''), failed_count
			FROM pg_stat_archiver`).Scan(&lastArchived, &lastFailed, &failedCount)
		if err != nil {
			return fmt.Errorf("read pg_stat_archiver: %w", err)
		}
		// Segment names of one timeline sort like their positions; a later
		// timeline sorts later too.
		if len(lastArchived) >= 24 && lastArchived[:24] >= seg {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("WAL segment %s not archived after %s (last archived %q, last failed %q, %d failures)",
				seg, timeout, lastArchived, lastFailed, failedCount)
		}
		if err := waitPoll(ctx, delay); err != nil {
			return fmt.Errorf("wait for WAL segment %s to be archived: %w", seg, err)
		}
		if delay < 200*time.Millisecond {
			delay *= 2
		}
	}
}
