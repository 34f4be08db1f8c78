package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/drill"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/httpapi"
	"github.com/lazarus-dr/lazarus/preflight"
	"github.com/lazarus-dr/lazarus/runbooks"
)

// The activities of a DR drill (drill.ActivityPrepare, ActivityChecksums,
// ActivityCleanup): what the DrillRun workflow asks of the platform around
// the drill copies that the runbook's own actions restore. They read the
// live catalog the way the actions do (the description's catalog store,
// the worker's pools) and never write to a production tenant: the cleanup
// deletes only rows and objects of a copy it has proved to be one of this
// drill's.

// Site statuses of the catalog's site table.
const siteActive = "active"

// DrillPrepare (drill.ActivityPrepare) compiles the drill's runbook without
// its gates, checks the restore point, and draws the sites: the given list
// (each must be an active live site, not a drill copy) or a stratified
// sample of the live catalog (drill.Sample). Everything it refuses is
// non-retryable: a runbook that does not restore under new IDs, a restore
// point in the future, outside retention or before the oldest base backup
// of a cluster the runbook clones, a list with IDs that are not live
// sites (every bad ID named).
func (a *Activities) DrillPrepare(ctx context.Context, in drill.PrepareInput) (drill.PrepareOutput, error) {
	ctx = withPulse(ctx)
	out, err := a.drillPrepare(ctx, in)
	if err != nil {
		return drill.PrepareOutput{}, drillFail("drill "+orDash(in.DrillID)+": prepare", err)
	}
	return out, nil
}

func (a *Activities) drillPrepare(ctx context.Context, in drill.PrepareInput) (drill.PrepareOutput, error) {
	if err := a.need("description"); err != nil {
		return drill.PrepareOutput{}, err
	}
	if in.DrillID == "" {
		return drill.PrepareOutput{}, permanent(ErrInvalidInput, "drill_id is empty")
	}
	name := in.Runbook
	if name == "" {
		name = drill.DefaultRunbook
	}
	plan, err := runbooks.Load(name)
	if err != nil {
		return drill.PrepareOutput{}, permanent(ErrInvalidInput, "runbook %s: %v", name, err)
	}
	if err := drillRunbook(name, plan); err != nil {
		return drill.PrepareOutput{}, err
	}
	dplan, gates := plan.WithoutGates()
	if err := a.drillPoint(dplan, in.Point); err != nil {
		return drill.PrepareOutput{}, err
	}
	cands, all, err := a.liveCandidates(ctx)
	if err != nil {
		return drill.PrepareOutput{}, err
	}
	var picked []drill.Picked
	if len(in.Sites) > 0 {
		if picked, err = a.listedSites(ctx, in.Sites, cands); err != nil {
			return drill.PrepareOutput{}, err
		}
	} else {
		n := in.Sample
		if n <= 0 {
			n = drill.DefaultSample
		}
		picked = drill.Sample(cands, n, in.Seed)
	}
	if len(picked) == 0 {
		return drill.PrepareOutput{}, permanent(ErrInvalidInput, "the catalog has no active live site to drill (%d sites in all)", all)
	}
	a.d.Logger.Info("drill prepared", zap.String("drill", in.DrillID), zap.String("runbook", name),
		zap.Int("sites", len(picked)), zap.Int("candidates", len(cands)), zap.Int("live_sites", all), zap.Strings("gates_left_out", gates))
	return drill.PrepareOutput{Plan: *dplan, Sites: picked, GatesLeftOut: gates, LiveSites: all}, nil
}

// drillRunbook refuses a runbook that would not restore under new IDs: a
// drill copy is made by catalog.create_site, and catalog.undelete (Restore
// 2) writes back into the site itself, which in a drill is live.
func drillRunbook(name string, plan *runbooks.Plan) error {
	hasCreate := false
	var undelete []string
	for _, st := range plan.Steps {
		switch st.Action {
		case contract.ActionCatalogCreateSite:
			hasCreate = true
		case contract.ActionCatalogUndelete:
			undelete = append(undelete, st.ID)
		}
	}
	switch {
	case !hasCreate:
		return permanent(ErrDrillWritesLive, "runbook %s cannot run as a drill: it has no %s step, so it does not restore under new IDs and would write to the live sites (restore2 undeletes in place); use restore1 or a runbook that creates the site",
			name, contract.ActionCatalogCreateSite)
	case len(undelete) > 0:
		return permanent(ErrDrillWritesLive, "runbook %s cannot run as a drill: its steps %s run %s, which writes to the live site itself",
			name, strings.Join(undelete, ", "), contract.ActionCatalogUndelete)
	}
	return nil
}

// drillPoint checks the restore point: set, in the past, inside retention,
// and not before the oldest base backup of any cluster the plan clones.
func (a *Activities) drillPoint(plan *runbooks.Plan, point time.Time) error {
	if point.IsZero() {
		return permanent(ErrInvalidInput, "the restore point is not set")
	}
	if err := a.inRetention(point); err != nil {
		return err
	}
	clusters := plan.ClonedClusters()
	if len(clusters) == 0 {
		return nil
	}
	backups, err := preflight.OldestBackups(a.d.Description, clusters...)
	if err != nil {
		// A folder that cannot be read now may be readable on a retry.
		return fmt.Errorf("check the restore point against the base backups: %w", err)
	}
	for _, b := range backups {
		switch {
		case b.Backup == "":
			return permanent(ErrOutsideRetention, "cluster %s has no base backup in %s: no restore point can be restored", b.Cluster, b.Folder)
		case point.Before(b.RestorableFrom):
			return permanent(ErrOutsideRetention, "restore point %s is before the oldest base backup of cluster %s (%s, restorable from %s)",
				point.UTC().Format(time.RFC3339), b.Cluster, b.Backup, b.RestorableFrom.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// catalogSite is one row of the live catalog's site table.
type catalogSite struct {
	id, status, url, restoredFrom string
	// sourceURL is, for a row with restoredFrom, the URL of that site (live,
	// else from the audit store's registry).
	sourceURL string
}

// drillCopy says whether the row is a drill copy: restored from a site
// whose URL it carries as a drill URL.
func (s catalogSite) drillCopy() bool {
	return s.restoredFrom != "" && s.sourceURL != "" && platform.IsDrillURL(s.url, s.sourceURL)
}

// storeDB is a live database of the description: the DSN and the stores
// (with their tables) it holds, in description order.
type storeDB struct {
	key    string // cluster/database
	dsn    string
	stores []platform.Store
}

// liveDBs groups the description's stores by live database, in the order
// of their first store; the catalog store's database comes last.
func (a *Activities) liveDBs() ([]storeDB, error) {
	cat, err := a.storeOfKind("catalog")
	if err != nil {
		return nil, err
	}
	var out []storeDB
	idx := map[string]int{}
	for _, s := range a.d.Description.Stores {
		c, ok := a.d.Description.Cluster(s.Cluster)
		if !ok {
			return nil, permanent(ErrInvalidInput, "store %s: cluster %q is not in the platform description", s.Name, s.Cluster)
		}
		key := s.Cluster + "/" + s.Database
		i, ok := idx[key]
		if !ok {
			i = len(out)
			idx[key] = i
			out = append(out, storeDB{key: key, dsn: LiveDSN(c, s.Database)})
		}
		out[i].stores = append(out[i].stores, s)
	}
	last := cat.Cluster + "/" + cat.Database
	sort.SliceStable(out, func(i, j int) bool { return out[i].key != last && out[j].key == last })
	return out, nil
}

// liveDSNOf is the DSN of a store's live database.
func (a *Activities) liveDSNOf(s platform.Store) (string, error) {
	c, ok := a.d.Description.Cluster(s.Cluster)
	if !ok {
		return "", permanent(ErrInvalidInput, "store %s: cluster %q is not in the platform description", s.Name, s.Cluster)
	}
	return LiveDSN(c, s.Database), nil
}

// query runs one read on a live database under the call deadline and
// hands each row to scan.
func (a *Activities) query(ctx context.Context, dsn, what, q string, args []any, scan func(pgx.Rows) error) error {
	return a.call(ctx, func(ctx context.Context) error {
		conn, err := a.d.Pools.Acquire(ctx, dsn)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		defer conn.Release()
		rows, err := conn.Query(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	})
}

// catalogSites reads the live catalog's site table (ids nil: every row),
// with the source URL of every restored row.
func (a *Activities) catalogSites(ctx context.Context, ids []string) (map[string]catalogSite, error) {
	s, t, err := a.siteTable()
	if err != nil {
		return nil, err
	}
	dsn, err := a.liveDSNOf(s)
	if err != nil {
		return nil, err
	}
	col := pgx.Identifier{s.TenantColumnOf(t)}.Sanitize()
	q := fmt.Sprintf(`SELECT s.%[1]s, coalesce(s.status, ''), coalesce(s.url, ''), coalesce(s.restored_from, ''),
		coalesce(src.url, '') FROM %[2]s s LEFT JOIN %[2]s src ON src.%[1]s = s.restored_from`, col, pgx.Identifier{t.Name}.Sanitize())
	var args []any
	if ids != nil {
		q += fmt.Sprintf(` WHERE s.%s = ANY($1)`, col)
		args = []any{ids}
	}
	out := map[string]catalogSite{}
	var unknownSources []string
	err = a.query(ctx, dsn, "read the catalog's "+t.Name, q, args, func(r pgx.Rows) error {
		var c catalogSite
		if err := r.Scan(&c.id, &c.status, &c.url, &c.restoredFrom, &c.sourceURL); err != nil {
			return err
		}
		if c.restoredFrom != "" && c.sourceURL == "" {
			unknownSources = append(unknownSources, c.restoredFrom)
		}
		out[c.id] = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(unknownSources) > 0 {
		reg, err := a.registeredURLs(ctx, unknownSources)
		if err != nil {
			return nil, err
		}
		for id, c := range out {
			if c.restoredFrom != "" && c.sourceURL == "" {
				c.sourceURL = reg[c.restoredFrom]
				out[id] = c
			}
		}
	}
	return out, nil
}

// registeredURLs are the URLs the audit store's ID registry (a table
// id_registry of the store of kind audit, when there is one) holds for
// sites: every site ever created, deleted ones included.
func (a *Activities) registeredURLs(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range a.d.Description.StoresOfKind("audit") {
		for _, t := range s.Tables {
			if t.Name != "id_registry" {
				continue
			}
			dsn, err := a.liveDSNOf(s)
			if err != nil {
				return nil, err
			}
			err = a.query(ctx, dsn, "read the ID registry", `SELECT id, url FROM id_registry WHERE id = ANY($1) AND kind = 'site'`,
				[]any{ids}, func(r pgx.Rows) error {
					var id, u string
					if err := r.Scan(&id, &u); err != nil {
						return err
					}
					out[id] = u
					return nil
				})
			if err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// liveCandidates lists the sites a drill may draw (active rows of the
// catalog's site table that are not drill copies) with their users,
// products and rows, and counts every row of the site table. It takes one
// query per database: the site table, the identity users, the product
// activations (or placements), and per product shard the tenants' row
// counts of every table.
func (a *Activities) liveCandidates(ctx context.Context) ([]drill.Candidate, int, error) {
	sites, err := a.catalogSites(ctx, nil)
	if err != nil {
		return nil, 0, err
	}
	users, err := a.countPerSite(ctx, "identity", func(t platform.Table) bool { return t.Name == "users" }, false)
	if err != nil {
		return nil, 0, err
	}
	products, err := a.countPerSite(ctx, "catalog", func(t platform.Table) bool { return t.Name == "product_activations" }, false)
	if err != nil {
		return nil, 0, err
	}
	if len(products) == 0 {
		cat, _ := a.storeOfKind("catalog")
		pt := placementsTable(cat)
		if products, err = a.countPerSite(ctx, "catalog", func(t platform.Table) bool { return t.Name == pt }, false); err != nil {
			return nil, 0, err
		}
	}
	rows, err := a.countPerSite(ctx, "product", func(platform.Table) bool { return true }, true)
	if err != nil {
		return nil, 0, err
	}
	var out []drill.Candidate
	for _, s := range sites {
		if s.status != siteActive || s.drillCopy() {
			continue
		}
		out = append(out, drill.Candidate{SiteID: s.id, Users: int(users[s.id]), Products: int(products[s.id]), Rows: rows[s.id]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SiteID < out[j].SiteID })
	return out, len(sites), nil
}

// countPerSite counts, per site, the rows of the tables keep selects in
// every store of a kind: one query per store (a UNION ALL of the tables'
// counts). sum adds the stores up; otherwise the first store with the
// table wins.
func (a *Activities) countPerSite(ctx context.Context, kind string, keep func(platform.Table) bool, sum bool) (map[string]int64, error) {
	out := map[string]int64{}
	for _, s := range a.d.Description.StoresOfKind(kind) {
		tables := tablesOf(s, keep)
		if len(tables) == 0 {
			continue
		}
		dsn, err := a.liveDSNOf(s)
		if err != nil {
			return nil, err
		}
		parts := make([]string, len(tables))
		for i, t := range tables {
			col := pgx.Identifier{s.TenantColumnOf(t)}.Sanitize()
			parts[i] = fmt.Sprintf(`SELECT %s::text AS site, count(*) AS n FROM %s GROUP BY 1`, col, pgx.Identifier{t.Name}.Sanitize())
		}
		q := `SELECT site, sum(n)::bigint FROM (` + strings.Join(parts, " UNION ALL ") + `) c GROUP BY site`
		got := map[string]int64{}
		err = a.query(ctx, dsn, "count the tenants' rows of store "+s.Name, q, nil, func(r pgx.Rows) error {
			var site string
			var n int64
			if err := r.Scan(&site, &n); err != nil {
				return err
			}
			got[site] = n
			return nil
		})
		if err != nil {
			return nil, err
		}
		for site, n := range got {
			out[site] += n
		}
		if !sum {
			break
		}
	}
	return out, nil
}

// listedSites checks a given site list: every ID must be an active live
// site that is not a drill copy, listed once. Every bad ID is named in one
// non-retryable error.
func (a *Activities) listedSites(ctx context.Context, ids []string, cands []drill.Candidate) ([]drill.Picked, error) {
	byID := map[string]drill.Candidate{}
	for _, c := range cands {
		byID[c.SiteID] = c
	}
	var picked []drill.Picked
	var problems []string
	seen := map[string]bool{}
	var notInCatalog []string
	for _, raw := range ids {
		id := strings.TrimSpace(raw)
		switch {
		case id == "":
			problems = append(problems, "an empty ID")
			continue
		case seen[id]:
			problems = append(problems, id+": listed twice")
			continue
		}
		seen[id] = true
		if c, ok := byID[id]; ok {
			picked = append(picked, drill.Picked{SiteID: id, Stratum: drill.StratumListed, Users: c.Users})
			continue
		}
		notInCatalog = append(notInCatalog, id)
	}
	if len(notInCatalog) > 0 {
		why, err := a.whyNotLive(ctx, notInCatalog)
		if err != nil {
			return nil, err
		}
		for _, id := range notInCatalog {
			problems = append(problems, id+": "+why[id])
		}
	}
	if len(problems) > 0 {
		return nil, permanent(ErrUnknownSite, "refusing the site list: %d of %d entries are not active live sites (%s); nothing was drawn",
			len(problems), len(ids), strings.Join(problems, "; "))
	}
	return picked, nil
}

// whyNotLive says, for IDs that are no drill candidate, what they are:
// a drill copy, a site that is not active, a deleted site, an app ID, or
// unknown.
func (a *Activities) whyNotLive(ctx context.Context, ids []string) (map[string]string, error) {
	rows, err := a.catalogSites(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	var rest []string
	for _, id := range ids {
		s, ok := rows[id]
		switch {
		case !ok:
			rest = append(rest, id)
		case s.drillCopy():
			out[id] = "a drill copy (of site " + s.restoredFrom + "), not a live site"
		default:
			out[id] = fmt.Sprintf("a site whose status is %q, not active", s.status)
		}
	}
	if len(rest) == 0 {
		return out, nil
	}
	for _, id := range rest {
		out[id] = "not a site of the live catalog"
	}
	if a.d.Catalog == nil {
		return out, nil
	}
	var infos []platform.IDInfo
	err = a.call(ctx, func(ctx context.Context) (err error) {
		infos, err = a.d.Catalog.LookupIDs(ctx, rest)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("look up %d listed IDs: %w", len(rest), err)
	}
	for _, info := range infos {
		if !slices.Contains(rest, info.ID) {
			continue
		}
		switch {
		case info.Kind == platform.KindApp:
			out[info.ID] = "an app ID (of site " + info.SiteID + "), not a site ID"
		case info.Kind == platform.KindSite && info.Status == "deleted":
			out[info.ID] = "a deleted site, not a live one"
		case info.Kind == platform.KindSite:
			out[info.ID] = fmt.Sprintf("a site whose status is %q, not active", info.Status)
		default:
			out[info.ID] = "unknown to the platform"
		}
	}
	return out, nil
}

// drillFail wraps an error of a drill activity with what it was doing,
// lifting its retryability (and type) to the top of the chain, where
// Temporal reads it; a platform service's 4xx answer is non-retryable (see
// fail). details, when given, travel with the error (a cleanup's output).
func drillFail(what string, err error, details ...any) error {
	if err == nil {
		return nil
	}
	var ae *temporal.ApplicationError
	switch {
	case errors.As(err, &ae) && ae.NonRetryable():
		return temporal.NewNonRetryableApplicationError(what, ae.Type(), err, details...)
	case ae != nil:
		return temporal.NewApplicationErrorWithCause(what, ae.Type(), err, details...)
	case httpapi.IsPermanent(err) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded):
		return temporal.NewNonRetryableApplicationError(what, ErrPlatformRefused, err, details...)
	}
	return temporal.NewApplicationErrorWithCause(what, "", err, details...)
}
