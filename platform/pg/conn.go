package pg

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Open connects to a libpq URL (or key=value string), retrying for a short
// while when the server is starting up.
func Open(ctx context.Context, dsn string) (*pgx.Conn, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			return conn, nil
		}
		var pgErr *pgconn.PgError
		startingUp := errors.As(err, &pgErr) && pgErr.Code == "57P03" // cannot_connect_now
		if !startingUp || time.Now().After(deadline) {
			return nil, fmt.Errorf("connect %s: %w", redact(dsn), err)
		}
		if werr := waitPoll(ctx, 100*time.Millisecond); werr != nil {
			return nil, fmt.Errorf("connect %s: %w", redact(dsn), err)
		}
	}
}

// Open connects to database db of the cluster.
func (c *Cluster) Open(ctx context.Context, db string) (*pgx.Conn, error) {
	return Open(ctx, c.DSN(db))
}

// redact hides a password in a DSN for error messages.
func redact(dsn string) string {
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
