package activities

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/drill"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/s3media"
)

// ErrNotDrillCopy is the error type of a cleanup that found, under a copy's
// ID, a site that is not a copy of this drill (and left it alone).
const ErrNotDrillCopy = "NotDrillCopy"

// cleanupProgress is the cleanup's heartbeat: the copies done so far.
type cleanupProgress struct {
	Done    []string `json:"done"`
	Rows    int64    `json:"rows"`
	Objects int      `json:"objects"`
}

// DrillCleanup (drill.ActivityCleanup) removes the drill copies of
// in.Sites (copy ID NewSiteID(drill, site)), whatever state each is in:
// never created, half restored, validated. It is the drill's compensation
// and is idempotent: a second run, or a run after a crash halfway, ends
// with nothing left.
//
// For each copy it first proves the copy is this drill's: when the live
// catalog (or, once the site row is gone, the ID registry) has the copy's
// ID, its row must be restored from the source site with the URL
// DrillURL(source URL, drill). Otherwise the copy is refused: nothing of
// it is deleted, and it is named in the error and in Left. Then it deletes
// the copy's rows from every store of the description, tables in reverse
// foreign-key order, one transaction per database, the catalog's database
// last (so that a retry still finds the row the proof reads until
// everything else is gone), and purges every object version and delete
// marker under the copy's media prefix. It heartbeats after each copy.
//
// At the end it looks again: Left are the copies of which a site row, a
// tenant row or an object is still found, and LiveSites counts the
// catalog's site rows. A refused copy makes a non-retryable error, what is
// left otherwise a retryable one; both carry the output as their details.
func (a *Activities) DrillCleanup(ctx context.Context, in drill.CleanupInput) (drill.CleanupOutput, error) {
	ctx = withPulse(ctx)
	what := "drill " + orDash(in.DrillID) + ": cleanup"
	if err := a.need("description"); err != nil {
		return drill.CleanupOutput{}, drillFail(what, err)
	}
	if in.DrillID == "" {
		return drill.CleanupOutput{}, drillFail(what, permanent(ErrInvalidInput, "drill_id is empty"))
	}
	if a.d.Description.Media.Bucket != "" { // no endpoint: AWS S3
		if err := a.need("media"); err != nil {
			return drill.CleanupOutput{}, drillFail(what, err)
		}
	}
	dbs, err := a.liveDBs()
	if err != nil {
		return drill.CleanupOutput{}, drillFail(what, err)
	}
	sources := slices.Sorted(slices.Values(in.Sites))
	sources = slices.Compact(sources)
	var out drill.CleanupOutput
	var refused []string
	copies := make([]string, 0, len(sources))
	prog := cleanupProgress{Done: []string{}}
	for _, site := range sources {
		if site == "" {
			continue
		}
		copyID := NewSiteID(in.DrillID, site)
		copies = append(copies, copyID)
		why, err := a.copyGuard(ctx, in.DrillID, site, copyID)
		if err != nil {
			return drill.CleanupOutput{}, drillFail(what, fmt.Errorf("check copy %s of %s: %w", copyID, site, err))
		}
		if why != "" {
			refused = append(refused, fmt.Sprintf("%s (copy of %s): %s", copyID, site, why))
			a.d.Logger.Error("drill cleanup refused a copy", zap.String("drill", in.DrillID), zap.String("site", site),
				zap.String("copy", copyID), zap.String("why", why))
			continue
		}
		rows, objs, err := a.removeCopy(ctx, dbs, copyID)
		if err != nil {
			return drill.CleanupOutput{}, drillFail(what, fmt.Errorf("remove copy %s of %s: %w", copyID, site, err))
		}
		if rows+int64(objs) > 0 {
			out.Removed = append(out.Removed, copyID)
		}
		out.Rows += rows
		out.Objects += objs
		prog.Done = append(prog.Done, copyID)
		prog.Rows, prog.Objects = out.Rows, out.Objects
		a.heartbeat(ctx, prog)
	}
	left, err := a.copiesLeft(ctx, dbs, copies)
	if err != nil {
		return drill.CleanupOutput{}, drillFail(what, fmt.Errorf("look for what is left: %w", err))
	}
	out.Left = left
	if out.LiveSites, err = a.countSites(ctx); err != nil {
		return drill.CleanupOutput{}, drillFail(what, err)
	}
	a.d.Logger.Info("drill cleanup", zap.String("drill", in.DrillID), zap.Int("copies", len(copies)),
		zap.Int("removed", len(out.Removed)), zap.Int64("rows", out.Rows), zap.Int("objects", out.Objects),
		zap.Strings("left", out.Left), zap.Int("live_sites", out.LiveSites))
	switch {
	case len(refused) > 0:
		return out, drillFail(what, permanent(ErrNotDrillCopy, "refused to remove %d of %d copies, which are not this drill's copies and were left untouched: %s",
			len(refused), len(copies), strings.Join(refused, "; ")), out)
	case len(left) > 0:
		return out, drillFail(what, fmt.Errorf("%d of %d copies still have rows or objects after the cleanup: %s",
			len(left), len(copies), strings.Join(left, ", ")), out)
	}
	return out, nil
}

// copyGuard says why copyID must not be removed as the drill's copy of
// site ("" when it may): a site row (or, once that is gone, an ID registry
// entry) under copyID that is not restored from site at DrillURL(site's
// URL, drill). Nothing registered under copyID at all is no objection:
// whatever rows or objects carry that ID are leftovers of this drill (the
// ID is the drill's and the site's UUIDv5).
func (a *Activities) copyGuard(ctx context.Context, drillID, site, copyID string) (string, error) {
	rows, err := a.catalogSites(ctx, []string{copyID, site})
	if err != nil {
		return "", err
	}
	srcURL := rows[site].url
	c, hasRow := rows[copyID]
	var reg map[string]string
	if !hasRow || srcURL == "" {
		if reg, err = a.registeredURLs(ctx, []string{copyID, site}); err != nil {
			return "", err
		}
		if srcURL == "" {
			srcURL = reg[site]
		}
	}
	var regURL string
	var hasReg bool
	if !hasRow {
		regURL, hasReg = reg[copyID]
		if !hasReg {
			return "", nil
		}
	}
	if srcURL == "" {
		return fmt.Sprintf("the URL of site %s is unknown (neither live nor registered), so the copy's URL cannot be checked", site), nil
	}
	want := platform.DrillURL(srcURL, drillID)
	switch {
	case hasRow && (c.restoredFrom != site || c.url != want):
		return fmt.Sprintf("its catalog row (URL %s, restored from %q) is not this drill's copy of %s (URL %s, restored from %q)",
			c.url, c.restoredFrom, site, want, site), nil
	case !hasRow && regURL != want:
		return fmt.Sprintf("the ID registry has it with URL %s, not the drill URL %s", regURL, want), nil
	}
	return "", nil
}

// removeCopy deletes every row of copyID from every live database (the
// catalog's last) and every object version under its media prefix (before
// the catalog's database). Each database is one transaction; tables go in
// reverse description order (children before parents).
func (a *Activities) removeCopy(ctx context.Context, dbs []storeDB, copyID string) (int64, int, error) {
	var rows int64
	objs := 0
	purged := a.d.Media == nil
	for i, db := range dbs {
		if !purged && i == len(dbs)-1 {
			n, err := a.purgeMedia(ctx, copyID)
			if err != nil {
				return rows, objs, err
			}
			objs, purged = n, true
		}
		n, err := a.deleteTenant(ctx, db, copyID)
		if err != nil {
			return rows, objs, err
		}
		rows += n
	}
	if !purged {
		n, err := a.purgeMedia(ctx, copyID)
		if err != nil {
			return rows, objs, err
		}
		objs = n
	}
	return rows, objs, nil
}

func (a *Activities) purgeMedia(ctx context.Context, copyID string) (int, error) {
	prefix := a.d.Media.SitePrefix(copyID)
	cctx, stop := a.keepAlive(ctx, a.d.MediaTimeout, nil)
	n, err := a.d.Media.PurgePrefix(cctx, prefix)
	stop()
	if err != nil {
		return n, fmt.Errorf("purge media %s: %w", prefix, err)
	}
	return n, nil
}

// deleteTenant deletes a tenant's rows of every table of one database in
// one transaction, children first.
func (a *Activities) deleteTenant(ctx context.Context, db storeDB, siteID string) (int64, error) {
	type tbl struct{ name, col string }
	var tables []tbl
	for _, s := range db.stores {
		for _, t := range s.Tables {
			tables = append(tables, tbl{t.Name, s.TenantColumnOf(t)})
		}
	}
	if len(tables) == 0 {
		return 0, nil
	}
	slices.Reverse(tables)
	var n int64
	cctx, stop := a.keepAlive(ctx, a.d.CopyTimeout, nil)
	defer stop()
	conn, err := a.d.Pools.Acquire(cctx, db.dsn)
	if err != nil {
		return 0, fmt.Errorf("delete %s from %s: %w", siteID, db.key, err)
	}
	defer conn.Release()
	err = pgx.BeginFunc(cctx, conn, func(tx pgx.Tx) error {
		for _, t := range tables {
			tag, err := tx.Exec(cctx, fmt.Sprintf(`DELETE FROM %s WHERE %s = $1`, pgx.Identifier{t.name}.Sanitize(), pgx.Identifier{t.col}.Sanitize()), siteID)
			if err != nil {
				return fmt.Errorf("table %s: %w", t.name, err)
			}
			n += tag.RowsAffected()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("delete %s from %s: %w", siteID, db.key, err)
	}
	return n, nil
}

// copiesLeft lists, in the order given, the copies of which any row (one
// query per database for all copies) or object is still found.
func (a *Activities) copiesLeft(ctx context.Context, dbs []storeDB, copies []string) ([]string, error) {
	if len(copies) == 0 {
		return nil, nil
	}
	found := map[string]bool{}
	for _, db := range dbs {
		var parts []string
		for _, s := range db.stores {
			for _, t := range s.Tables {
				col := pgx.Identifier{s.TenantColumnOf(t)}.Sanitize()
				parts = append(parts, fmt.Sprintf(`SELECT DISTINCT %s::text FROM %s WHERE %s = ANY($1)`, col, pgx.Identifier{t.Name}.Sanitize(), col))
			}
		}
		if len(parts) == 0 {
			continue
		}
		err := a.query(ctx, db.dsn, "look for copies' rows in "+db.key, strings.Join(parts, " UNION "), []any{copies}, func(r pgx.Rows) error {
			var id string
			if err := r.Scan(&id); err != nil {
				return err
			}
			found[id] = true
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if a.d.Media != nil {
		for _, c := range copies {
			if found[c] {
				continue
			}
			var hist map[string][]s3media.Entry
			err := a.call(ctx, func(ctx context.Context) (err error) {
				hist, err = a.d.Media.History(ctx, a.d.Media.SitePrefix(c))
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("look for copy %s's objects: %w", c, err)
			}
			if len(hist) > 0 {
				found[c] = true
			}
		}
	}
	var out []string
	for _, c := range copies {
		if found[c] {
			out = append(out, c)
		}
	}
	return out, nil
}

// countSites counts the rows of the live catalog's site table.
func (a *Activities) countSites(ctx context.Context) (int, error) {
	s, t, err := a.siteTable()
	if err != nil {
		return 0, err
	}
	dsn, err := a.liveDSNOf(s)
	if err != nil {
		return 0, err
	}
	var n int
	err = a.query(ctx, dsn, "count the catalog's "+t.Name, fmt.Sprintf(`SELECT count(*) FROM %s`, pgx.Identifier{t.Name}.Sanitize()), nil,
		func(r pgx.Rows) error { return r.Scan(&n) })
	return n, err
}
