package preflight

import (
	"fmt"
	"time"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/workflows"
)

// classifier judges each looked-up ID.
type classifier struct {
	req   Request
	infos map[string]platform.IDInfo
	// cases are the known IDs that unknown ones differ from only in case.
	cases map[string]platform.IDInfo
	// holders are the running batches that hold sites of the list.
	holders map[string]Holder
}

// classify returns the sites that pass, and a problem for every other ID,
// in the order given. A cluster without any base backup is one problem.
func (c classifier) classify(ids []string) (Result, []Problem) {
	var res Result
	var problems []Problem
	for _, b := range c.req.Backups {
		if b.Backup == "" {
			problems = append(problems, Problem{Kind: KindBeforeBackup,
				Reason: fmt.Sprintf("cluster %s has no base backup in %s: no site can be restored from it", b.Cluster, b.Folder)})
		}
	}
	for _, w := range c.req.Windows {
		if w.None != "" {
			problems = append(problems, Problem{Kind: KindOutsideWindow,
				Reason: fmt.Sprintf("cluster %s (%s backups) has no restorable window: %s: no site can be restored from it", w.Cluster, w.Backups, w.None)})
		}
	}
	for _, id := range ids {
		site, p, ok := c.one(id)
		if !ok {
			problems = append(problems, p)
			continue
		}
		res.Sites = append(res.Sites, site)
		res.Users += site.Users
	}
	return res, problems
}

// one judges one ID: the site, or the problem with it.
func (c classifier) one(id string) (workflows.Site, Problem, bool) {
	bad := func(kind, format string, args ...any) (workflows.Site, Problem, bool) {
		return workflows.Site{}, Problem{ID: id, Kind: kind, Reason: fmt.Sprintf(format, args...)}, false
	}
	info, found := c.infos[id]
	if h, ok := c.holders[id]; ok {
		return bad(KindRunning, "%s", c.heldBy(h))
	}
	switch {
	case !known(info, found) && c.cases[id].ID != "":
		k := c.cases[id]
		p := Problem{ID: id, Kind: KindLetterCase, Suggestion: k.ID,
			Reason: fmt.Sprintf("unknown ID; did you mean %s? It differs only in letter case (%s)", k.ID, describe(k))}
		return workflows.Site{}, p, false
	case !found || info.Kind == platform.KindUnknown || info.Kind == "":
		return bad(KindUnknown, "unknown ID: neither a site nor an app, live or deleted")
	case info.Kind == platform.KindApp:
		what := "app"
		if info.AppName != "" {
			what = fmt.Sprintf("app %q", info.AppName)
		}
		site := info.SiteID
		if site == "" {
			site = "(unknown site)"
		}
		return bad(KindAppID, "is an APP ID, not a site ID: %s of site %s%s (a site ID is expected here; restore site %s if that is what you mean)",
			what, site, statusNote(info.Status), site)
	case info.Kind != platform.KindSite:
		return bad(KindUnknown, "unknown kind %q", info.Kind)
	case info.Status != "deleted":
		status := info.Status
		if status == "" {
			status = "unknown status"
		}
		url := ""
		if info.URL != "" {
			url = " (" + info.URL + ")"
		}
		return bad(KindLive, "site%s is not deleted (%s): a live site is never overwritten", url, status)
	case info.DeletedAt.IsZero():
		return bad(KindNoDeletionTime, "site is deleted but its deletion time is unknown (no audit record): cannot choose a restore point")
	}
	return c.point(id, info)
}

// point checks the site's restore point against the clock, retention and
// the oldest base backups.
func (c classifier) point(id string, info platform.IDInfo) (workflows.Site, Problem, bool) {
	bad := func(kind, format string, args ...any) (workflows.Site, Problem, bool) {
		return workflows.Site{}, Problem{ID: id, Kind: kind, Reason: fmt.Sprintf(format, args...)}, false
	}
	now := c.req.Now
	point := info.DeletedAt.Add(-c.req.RestoreOffset)
	if info.DeletedAt.After(now) {
		return bad(KindFuture, "deletion time %s is in the future", info.DeletedAt.UTC().Format(time.RFC3339))
	}
	if c.req.Retention > 0 && point.Before(now.Add(-c.req.Retention)) {
		return bad(KindRetention, "restore point %s is outside retention (%s: oldest restorable point %s)",
			point.UTC().Format(time.RFC3339), c.req.Retention, now.Add(-c.req.Retention).UTC().Format(time.RFC3339))
	}
	if b, ok := binding(c.req.Backups, point); ok {
		return bad(KindBeforeBackup, "restore point %s (%s before its deletion) is before the oldest base backup of cluster %s, %s, restorable from %s",
			point.UTC().Format(time.RFC3339), c.req.RestoreOffset, b.Cluster, b.Backup, ceilSecond(b.RestorableFrom).UTC().Format(time.RFC3339))
	}
	if w, ok := outside(c.req.Windows, point); ok {
		return bad(KindOutsideWindow, "restore point %s (%s before its deletion) is outside the restorable window of cluster %s, %s (%s backups)",
			point.UTC().Format(time.RFC3339), c.req.RestoreOffset, w.Cluster, windowText(w), w.Backups)
	}
	return workflows.Site{SiteID: id, DeletedAt: info.DeletedAt, RestorePoint: point, Users: info.Users}, Problem{}, true
}

// heldBy says which running batch holds a site.
func (c classifier) heldBy(h Holder) string {
	how := "is being restored by running batch " + h.Batch
	if h.Queued {
		how = "is queued in running batch " + h.Batch
	}
	if c.req.Batch != "" && h.Batch == c.req.Batch {
		return how + " already (this batch)"
	}
	return fmt.Sprintf("%s (see `lazarus batch status %s`): a site is restored by one batch at a time", how, h.Batch)
}

// describe says what a known ID is, in a few words.
func describe(in platform.IDInfo) string {
	status := in.Status
	if status == "active" {
		status = "live"
	}
	if status == "" {
		status = "known"
	}
	if in.Kind == platform.KindApp {
		return fmt.Sprintf("a %s app of site %s", status, in.SiteID)
	}
	return fmt.Sprintf("a %s site", status)
}

func statusNote(status string) string {
	if status == "" {
		return ""
	}
	return ", app " + status
}
