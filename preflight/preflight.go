// Package preflight is the guard in front of every restore: it checks every
// ID a coordinator hands to `lazarus restore start` (or `batch add-sites`)
// against the platform's directory, its base backups and the batches already
// running, and refuses the whole list, with every problem listed at once,
// before anything is touched.
//
// It reads and never writes: it must never start a workflow, write to the
// platform, or let a batch through with a single problem in it. Every
// problem is one line that names the ID and what is wrong with it; a failing
// platform is named with its address, never passed on as a raw server error.
package preflight

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/workflows"
)

// Request is what the coordinator asked for.
type Request struct {
	// IDs are the IDs to restore, in the order given (ids file, then --site).
	IDs []string
	// RestoreOffset is how long before its deletion a site is restored to
	// (the policy: 5 minutes in the incident).
	RestoreOffset time.Duration
	// Retention is how far back backups reach; a restore point older than
	// Now - Retention cannot be restored. Zero means no check.
	Retention time.Duration
	// Backups are the oldest base backup of each cluster the restore
	// clones (OldestBackups): a restore point before the end of one cannot
	// be restored. Empty means no check.
	Backups []OldestBackup
	// Windows are the restorable windows of the clusters the restore
	// clones, as their cloners say (RestorableWindows): a restore point
	// outside one cannot be restored, whatever the backup kind. Empty
	// means no check.
	Windows []ClusterWindow
	// Running, when set, says which sites a running batch already holds;
	// they are refused, naming the batch (TemporalRunning asks Temporal).
	Running Running
	// Batch is the batch the sites are added to (batch add-sites); empty
	// for a new batch.
	Batch string
	// MaxSites refuses a batch of more sites than this (0: no limit): a
	// guard against a runaway ID list.
	MaxSites int
	// Now is the time the check runs (the restore points are checked
	// against it); zero means time.Now().
	Now time.Time
	// ChunkSize is how many IDs one directory lookup carries (0:
	// DefaultChunkSize); a lookup also stays under ChunkBytes.
	ChunkSize int
}

// Result is a list that passed: the sites with their deletion times,
// restore points and user counts, in the order given.
type Result struct {
	Sites []workflows.Site `json:"sites"`
	// Users is the total number of users of the sites.
	Users int `json:"users"`
}

// Unavailable is the error of a check that could not be made because
// something it asks failed (the catalog, Temporal, a backup folder). Its
// text is one line for a person: which service, at which address, what
// happened, and that nothing was started.
type Unavailable struct {
	Line string
	Err  error
}

func (u *Unavailable) Error() string { return u.Line }
func (u *Unavailable) Unwrap() error { return u.Err }

// Check looks every ID up and returns the sites, or a *Refused listing every
// problem. When the check itself cannot be made (the directory fails) the
// error is an *Unavailable; either way nothing may be started.
func Check(ctx context.Context, dir platform.Directory, req Request) (Result, error) {
	if req.Now.IsZero() {
		req.Now = time.Now()
	}
	if req.RestoreOffset < 0 {
		return Result{}, fmt.Errorf("preflight: restore offset %s is negative", req.RestoreOffset)
	}
	if len(req.IDs) == 0 {
		return Result{}, &Refused{Problems: []Problem{{Kind: KindEmpty, Reason: "no IDs given: pass --ids-file FILE or --site ID"}}}
	}
	unique, problems := screen(req.IDs)
	infos, err := lookupAll(ctx, dir, unique, req.ChunkSize)
	if err != nil {
		return Result{}, unavailable(dir, fmt.Sprintf("look up %d IDs", len(unique)), err)
	}
	cases, err := caseMatches(ctx, dir, unique, infos, req.ChunkSize)
	if err != nil {
		return Result{}, unavailable(dir, "look up IDs in other letter cases", err)
	}
	var holders map[string]Holder
	if req.Running != nil {
		var sites []string
		for _, id := range unique {
			if infos[id].Kind == platform.KindSite {
				sites = append(sites, id)
			}
		}
		if len(sites) > 0 {
			if holders, err = req.Running.RunningBatches(ctx, sites); err != nil {
				return Result{}, runningUnavailable(req.Running, err)
			}
		}
	}
	c := classifier{req: req, infos: infos, cases: cases, holders: holders}
	res, more := c.classify(unique)
	problems = append(problems, more...)
	if req.MaxSites > 0 && len(unique) > req.MaxSites {
		problems = append(problems, Problem{Kind: KindTooMany,
			Reason: fmt.Sprintf("%d IDs given, more than --max-sites %d", len(unique), req.MaxSites)})
	}
	if len(problems) > 0 {
		return Result{}, &Refused{Problems: problems}
	}
	return res, nil
}

// AsRefused returns the Refused error inside err, if any.
func AsRefused(err error) (*Refused, bool) {
	var r *Refused
	if errors.As(err, &r) {
		return r, true
	}
	return nil, false
}
