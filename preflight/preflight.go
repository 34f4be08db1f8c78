// Package preflight is the guard in front of every restore: it checks every
// ID a coordinator hands to `lazarus restore start` against the platform's
// directory and refuses the whole batch, with every problem listed at once,
// before anything is touched.
//
// It is pure logic over platform.Directory: it must never start a workflow,
// write to the platform, or let a batch through with a single problem in it.
package preflight

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"

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
	// MaxSites refuses a batch of more sites than this (0: no limit): a
	// guard against a runaway ID list.
	MaxSites int
	// Now is the time the check runs (the restore points are checked
	// against it); zero means time.Now().
	Now time.Time
}

// Problem is one refused ID.
type Problem struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
	// Kind classifies the problem: app-id, unknown, duplicate, live,
	// retention, empty, too-many, future.
	Kind string `json:"kind"`
}

func (p Problem) Error() string {
	if p.ID == "" {
		return p.Reason
	}
	return fmt.Sprintf("%s: %s", p.ID, p.Reason)
}

// Problem kinds.
const (
	KindAppID     = "app-id"
	KindUnknown   = "unknown"
	KindDuplicate = "duplicate"
	KindLive      = "live"
	KindRetention = "retention"
	KindEmpty     = "empty"
	KindTooMany   = "too-many"
	KindFuture    = "future"
)

// Result is a batch that passed: the sites with their deletion times,
// restore points and user counts, in the order given.
type Result struct {
	Sites []workflows.Site `json:"sites"`
	// Users is the total number of users of the sites.
	Users int `json:"users"`
}

// Refused is the error of a batch that did not pass: every problem, in the
// order of the IDs given.
type Refused struct {
	Problems []Problem
}

func (r *Refused) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "preflight refused the batch: %d problem(s), no workflow started", len(r.Problems))
	for _, p := range r.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Multi returns the problems as a go-multierror, for callers that collect
// errors that way.
func (r *Refused) Multi() *multierror.Error {
	var m *multierror.Error
	for _, p := range r.Problems {
		m = multierror.Append(m, p)
	}
	return m
}

// AsRefused returns the Refused error inside err, if any.
func AsRefused(err error) (*Refused, bool) {
	var r *Refused
	if errors.As(err, &r) {
		return r, true
	}
	return nil, false
}

// Check looks every ID up and returns the batch, or a *Refused listing every
// problem. Other errors (the directory cannot be reached) are returned
// wrapped; they refuse the batch too.
func Check(ctx context.Context, dir platform.Directory, req Request) (Result, error) {
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	if req.RestoreOffset < 0 {
		return Result{}, fmt.Errorf("preflight: restore offset %s is negative", req.RestoreOffset)
	}
	var problems []Problem
	if len(req.IDs) == 0 {
		return Result{}, &Refused{Problems: []Problem{{Kind: KindEmpty, Reason: "no IDs given: pass --ids-file FILE or --site ID"}}}
	}

	// Duplicates and blanks first: they need no lookup.
	seen := map[string]int{}
	var unique []string
	for i, raw := range req.IDs {
		id := strings.TrimSpace(raw)
		if id == "" {
			problems = append(problems, Problem{Kind: KindEmpty, Reason: fmt.Sprintf("ID #%d is empty", i+1)})
			continue
		}
		if first, ok := seen[id]; ok {
			problems = append(problems, Problem{ID: id, Kind: KindDuplicate,
				Reason: fmt.Sprintf("duplicate: given as ID #%d and again as ID #%d", first, i+1)})
			continue
		}
		seen[id] = i + 1
		unique = append(unique, id)
	}

	var infos []platform.IDInfo
	if len(unique) > 0 {
		var err error
		infos, err = dir.LookupIDs(ctx, unique)
		if err != nil {
			return Result{}, fmt.Errorf("preflight: look up %d IDs: %w", len(unique), err)
		}
	}
	byID := make(map[string]platform.IDInfo, len(infos))
	for _, info := range infos {
		byID[info.ID] = info
	}

	var res Result
	for _, id := range unique {
		info, ok := byID[id]
		if !ok || info.Kind == platform.KindUnknown || info.Kind == "" {
			problems = append(problems, Problem{ID: id, Kind: KindUnknown,
				Reason: "unknown ID: neither a site nor an app, live or deleted"})
			continue
		}
		switch info.Kind {
		case platform.KindApp:
			what := "app"
			if info.AppName != "" {
				what = fmt.Sprintf("app %q", info.AppName)
			}
			site := info.SiteID
			if site == "" {
				site = "(unknown site)"
			}
			problems = append(problems, Problem{ID: id, Kind: KindAppID,
				Reason: fmt.Sprintf("is an APP ID, not a site ID: %s of site %s%s (a site ID is expected here; restore site %s if that is what you mean)", what, site, statusNote(info.Status), site)})
			continue
		case platform.KindSite:
		default:
			problems = append(problems, Problem{ID: id, Kind: KindUnknown,
				Reason: fmt.Sprintf("unknown kind %q", info.Kind)})
			continue
		}
		if info.Status != "deleted" {
			status := info.Status
			if status == "" {
				status = "unknown status"
			}
			url := ""
			if info.URL != "" {
				url = " (" + info.URL + ")"
			}
			problems = append(problems, Problem{ID: id, Kind: KindLive,
				Reason: fmt.Sprintf("site%s is not deleted (%s): a live site is never overwritten", url, status)})
			continue
		}
		if info.DeletedAt.IsZero() {
			problems = append(problems, Problem{ID: id, Kind: KindUnknown,
				Reason: "site is deleted but its deletion time is unknown (no audit record): cannot choose a restore point"})
			continue
		}
		point := info.DeletedAt.Add(-req.RestoreOffset)
		if info.DeletedAt.After(now) {
			problems = append(problems, Problem{ID: id, Kind: KindFuture,
				Reason: fmt.Sprintf("deletion time %s is in the future", info.DeletedAt.UTC().Format(time.RFC3339))})
			continue
		}
		if req.Retention > 0 && point.Before(now.Add(-req.Retention)) {
			problems = append(problems, Problem{ID: id, Kind: KindRetention,
				Reason: fmt.Sprintf("restore point %s is outside retention (%s: oldest restorable point %s)",
					point.UTC().Format(time.RFC3339), req.Retention, now.Add(-req.Retention).UTC().Format(time.RFC3339))})
			continue
		}
		res.Sites = append(res.Sites, workflows.Site{
			SiteID: id, DeletedAt: info.DeletedAt, RestorePoint: point, Users: info.Users,
		})
		res.Users += info.Users
	}
	if req.MaxSites > 0 && len(unique) > req.MaxSites {
		problems = append(problems, Problem{Kind: KindTooMany,
			Reason: fmt.Sprintf("%d IDs given, more than --max-sites %d", len(unique), req.MaxSites)})
	}
	if len(problems) > 0 {
		return Result{}, &Refused{Problems: problems}
	}
	return res, nil
}

// Summary counts problems by kind, sorted by kind, for a one-line summary.
func (r *Refused) Summary() string {
	counts := map[string]int{}
	for _, p := range r.Problems {
		counts[p.Kind]++
	}
	kinds := make([]string, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	return strings.Join(parts, ", ")
}

func statusNote(status string) string {
	if status == "" {
		return ""
	}
	return ", app " + status
}
