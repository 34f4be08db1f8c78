package pitr

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lazarus-dr/lazarus/platform/pg"
)

// A clone's DSN travels from the step that made it (db.clone, on one
// worker host) to the steps that read it (on any host). Before a reader
// trusts it, it asks the server at that address who it is: the clone's ID is
// its cluster_name (written by the cloner), and a clone is always paused in
// recovery. Anything else means the clone is gone: its host died, or it was
// torn down and the port now belongs to another server, which must never be
// read as if it were the clone.

// ErrCloneGone is the cause of Identify's refusal of a DSN: nothing answers
// there, or what answers is not the clone.
var ErrCloneGone = errors.New("clone gone")

// identifyTimeout bounds the question: a host that died drops packets, and
// a reader must not wait for the kernel's TCP timeout to learn it.
const identifyTimeout = 10 * time.Second

// Identify checks that the server at dsn is the clone id: its cluster_name
// is id, and it is in recovery (a clone, never a live primary). A clone made
// before clones carried their ID (cluster_name empty) is accepted when it is
// in recovery. The error wraps ErrCloneGone when the DSN does not reach the
// clone.
func Identify(ctx context.Context, dsn, id string) error {
	ictx, cancel := context.WithTimeout(ctx, identifyTimeout)
	defer cancel()
	conn, err := pg.Open(ictx, dsn)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("clone %s: %w: no answer at its address (%v)", id, ErrCloneGone, err)
	}
	defer conn.Close(context.Background())
	var name string
	var inRecovery bool
	if err := conn.QueryRow(ictx, `SELECT current_setting('cluster_name'), pg_is_in_recovery()`).Scan(&name, &inRecovery); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("clone %s: %w: its address answers but not its question (%v)", id, ErrCloneGone, err)
	}
	return identity(id, name, inRecovery)
}

// identity decides from what the server said.
func identity(id, name string, inRecovery bool) error {
	switch {
	case !inRecovery:
		return fmt.Errorf("clone %s: %w: its address is a server in production (cluster_name %q), not a paused clone", id, ErrCloneGone, name)
	case name != "" && name != id:
		return fmt.Errorf("clone %s: %w: its address is now clone %q", id, ErrCloneGone, name)
	}
	return nil
}
