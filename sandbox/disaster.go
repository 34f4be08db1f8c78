package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/sandbox/schema"
)

// Deletion is what the permanent-delete API did for one ID.
type Deletion struct {
	ID        string          `json:"id"`
	Kind      platform.IDKind `json:"kind"`
	SiteID    string          `json:"site_id"`
	DeletedAt time.Time       `json:"deleted_at"`
	Rows      int64           `json:"rows"`
	Objects   int             `json:"objects"`
	// Apps are the app installations removed with a site (vendors told).
	Apps []string `json:"apps,omitempty"`
}

// DeleteResult is the permanent-delete API's answer.
type DeleteResult struct {
	Deletions []Deletion    `json:"deletions"`
	Sites     int           `json:"sites"`
	Apps      int           `json:"apps"`
	Took      time.Duration `json:"took"`
}

// InvalidIDsError lists every problem of a permanent-delete list; nothing
// was deleted.
type InvalidIDsError struct {
	Problems []string
}

func (e *InvalidIDsError) Error() string {
	return fmt.Sprintf("permanent delete refused, nothing deleted: %d problem(s):\n  %s",
		len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// HTTPStatus makes the permanent-delete API answer a refused list with 400.
func (e *InvalidIDsError) HTTPStatus() int { return http.StatusBadRequest }

type idEntry struct {
	kind, site, url, appName string
	live                     bool
}

// lookupIDs reads the registry and liveness of ids.
func (p *Platform) lookupIDs(ctx context.Context, ids []string) (map[string]idEntry, error) {
	pool, err := p.Pool(ctx, schema.DBCatalog)
	if err != nil {
		return nil, err
	}
	rows, err := pool.Query(ctx, `SELECT r.id, r.kind, r.site_id, r.url, r.app_name,
		CASE WHEN r.kind = 'site' THEN EXISTS (SELECT 1 FROM sites s WHERE s.site_id = r.id)
		     ELSE EXISTS (SELECT 1 FROM app_installations a WHERE a.app_id = r.id) END
		FROM id_registry r WHERE r.id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("look up IDs: %w", err)
	}
	defer rows.Close()
	out := map[string]idEntry{}
	for rows.Next() {
		var id string
		var e idEntry
		if err := rows.Scan(&id, &e.kind, &e.site, &e.url, &e.appName, &e.live); err != nil {
			return nil, err
		}
		out[id] = e
	}
	return out, rows.Err()
}

// PermanentDelete replays the bad script: for each ID, one after another,
// an app ID deletes that app installation (its vendor told: uninstall
// callback) and a site ID deletes the whole site across every store (rows
// gone from the live tables and the catalog, media deleted so that delete
// markers remain, every app's vendor told), each deletion written to the
// audit store. Every ID is checked first: unknown, already deleted or
// repeated IDs refuse the whole list (*InvalidIDsError) before anything is
// touched. The truth of every affected site is recorded before deleting.
func (p *Platform) PermanentDelete(ctx context.Context, ids []string) (*DeleteResult, error) {
	return p.PermanentDeleteOver(ctx, ids, 0)
}

// PermanentDeleteOver is PermanentDelete with the deletions spread evenly
// over a duration (the 2022 script ran 07:38 to 08:01 UTC, 23 minutes), so
// that sites get different deletion times and restore points.
func (p *Platform) PermanentDeleteOver(ctx context.Context, ids []string, over time.Duration) (*DeleteResult, error) {
	start := time.Now()
	if over < 0 {
		return nil, fmt.Errorf("permanent delete: duration %s is negative", over)
	}
	if len(ids) == 0 {
		return nil, &InvalidIDsError{Problems: []string{"the list of IDs is empty"}}
	}
	known, err := p.lookupIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("permanent delete: %w", err)
	}
	var problems []string
	seen := map[string]int{}
	deletedSites := map[string]int{}
	affected := map[string]bool{}
	for i, id := range ids {
		line := i + 1
		if prev, ok := seen[id]; ok {
			problems = append(problems, fmt.Sprintf("ID %d %s: repeats ID %d", line, id, prev))
			continue
		}
		seen[id] = line
		e, ok := known[id]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("ID %d %s: unknown (neither a site nor an app)", line, id))
		case !e.live:
			problems = append(problems, fmt.Sprintf("ID %d %s: %s already deleted", line, id, e.kind))
		case e.kind == "app" && deletedSites[e.site] > 0:
			problems = append(problems, fmt.Sprintf("ID %d %s: app of site %s, deleted earlier by ID %d", line, id, e.site, deletedSites[e.site]))
		default:
			affected[e.site] = true
			if e.kind == "site" {
				deletedSites[id] = line
			}
		}
	}
	if len(problems) > 0 {
		return nil, &InvalidIDsError{Problems: problems}
	}
	sites := make([]string, 0, len(affected))
	for s := range affected {
		sites = append(sites, s)
	}
	sort.Strings(sites)
	if _, err := p.RecordTruth(ctx, sites); err != nil {
		return nil, fmt.Errorf("permanent delete: %w", err)
	}
	res := &DeleteResult{}
	began := time.Now()
	for i, id := range ids {
		if over > 0 && i > 0 {
			due := began.Add(over * time.Duration(i) / time.Duration(max(len(ids)-1, 1)))
			select {
			case <-ctx.Done():
				return res, fmt.Errorf("permanent delete stopped after %d deletions: %w", len(res.Deletions), ctx.Err())
			case <-time.After(time.Until(due)):
			}
		}
		e := known[id]
		var d Deletion
		var err error
		if e.kind == "site" {
			d, err = p.deleteSite(ctx, id, e)
			res.Sites++
		} else {
			d, err = p.deleteApp(ctx, id, e)
			res.Apps++
		}
		if err != nil {
			return res, fmt.Errorf("permanent delete %s %s (after %d deletions): %w", e.kind, id, len(res.Deletions), err)
		}
		res.Deletions = append(res.Deletions, d)
		p.log.Info("deleted", zap.String("kind", e.kind), zap.String("id", id), zap.Int64("rows", d.Rows), zap.Int("objects", d.Objects))
	}
	res.Took = time.Since(start)
	return res, nil
}

// reverse returns tables in reverse order (children first).
func reverse(in []string) []string {
	out := make([]string, len(in))
	for i, t := range in {
		out[len(in)-1-i] = t
	}
	return out
}

// deleteSite deletes one site from every store. Its catalog row is locked
// (FOR UPDATE) first, in the transaction that finally deletes the catalog
// rows, so that the traffic generator (which holds that row FOR SHARE while
// it writes, and skips a locked one) never writes to a site being deleted.
func (p *Platform) deleteSite(ctx context.Context, siteID string, e idEntry) (Deletion, error) {
	d := Deletion{ID: siteID, Kind: platform.KindSite, SiteID: siteID}
	what := map[string]any{"url": e.url}
	rowsByStore := map[string]int64{}
	cat, err := p.Pool(ctx, schema.DBCatalog)
	if err != nil {
		return d, err
	}
	tx, err := cat.Begin(ctx)
	if err != nil {
		return d, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SELECT 1 FROM sites WHERE site_id = $1 FOR UPDATE`, siteID); err != nil {
		return d, fmt.Errorf("lock site %s: %w", siteID, err)
	}
	d.DeletedAt = time.Now().UTC()
	// Product shards: every shard (a site's products may be on several).
	for _, shard := range p.shards() {
		n, err := p.deleteRows(ctx, shard, reverse(tableOrder(shard)), siteID)
		if err != nil {
			return d, err
		}
		if n > 0 {
			rowsByStore[shard] = n
		}
		d.Rows += n
	}
	n, err := p.deleteRows(ctx, schema.DBSearch, []string{"search_docs"}, siteID)
	if err != nil {
		return d, err
	}
	rowsByStore[schema.StoreSearch] = n
	d.Rows += n
	// Media: delete every current object (delete markers remain).
	objs, err := p.deleteMedia(ctx, siteID)
	if err != nil {
		return d, err
	}
	d.Objects = objs
	// Catalog database: apps (vendors told), identity, flags, catalog, audit.
	var users int
	_ = cat.QueryRow(ctx, `SELECT count(*) FROM users WHERE site_id = $1`, siteID).Scan(&users)
	what["users"] = users
	arows, err := cat.Query(ctx, `SELECT app_id FROM app_installations WHERE site_id = $1 ORDER BY app_id`, siteID)
	if err != nil {
		return d, err
	}
	apps, err := pgx.CollectRows(arows, pgx.RowTo[string])
	if err != nil {
		return d, err
	}
	for _, a := range apps {
		if err := p.tellVendorUninstalled(ctx, a, siteID); err != nil {
			return d, err
		}
	}
	d.Apps = apps
	what["apps"] = apps
	for _, t := range reverse(tableOrder(schema.DBCatalog)) {
		if t == "id_registry" {
			continue
		}
		tag, err := tx.Exec(ctx, fmt.Sprintf("DELETE FROM %s WHERE site_id = $1", pgx.Identifier{t}.Sanitize()), siteID)
		if err != nil {
			return d, fmt.Errorf("delete %s rows of %s: %w", t, siteID, err)
		}
		d.Rows += tag.RowsAffected()
		rowsByStore[storeOfCatalogTable(t)] += tag.RowsAffected()
	}
	what["rows"] = rowsByStore
	what["objects"] = d.Objects
	raw, _ := json.Marshal(what)
	if _, err := tx.Exec(ctx, `INSERT INTO deletion_events (kind, target_id, site_id, deleted_at, what) VALUES ('site', $1, $1, $2, $3)`,
		siteID, d.DeletedAt, string(raw)); err != nil {
		return d, fmt.Errorf("audit deletion of %s: %w", siteID, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return d, err
	}
	return d, nil
}

func storeOfCatalogTable(t string) string {
	for _, s := range schema.Stores(1) {
		if s.Database != schema.DBCatalog {
			continue
		}
		for _, tb := range s.Tables {
			if tb.Name == t {
				return s.Name
			}
		}
	}
	return "catalog"
}

func (p *Platform) deleteRows(ctx context.Context, db string, tables []string, siteID string) (int64, error) {
	pool, err := p.Pool(ctx, db)
	if err != nil {
		return 0, err
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	var n int64
	for _, t := range tables {
		tag, err := tx.Exec(ctx, fmt.Sprintf("DELETE FROM %s WHERE site_id = $1", pgx.Identifier{t}.Sanitize()), siteID)
		if err != nil {
			return 0, fmt.Errorf("delete %s.%s rows of %s: %w", db, t, siteID, err)
		}
		n += tag.RowsAffected()
	}
	return n, tx.Commit(ctx)
}

func (p *Platform) deleteMedia(ctx context.Context, siteID string) (int, error) {
	c := p.media.Client()
	prefix := "sites/" + siteID + "/"
	n := 0
	pg := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(p.state.Bucket), Prefix: aws.String(prefix)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return n, fmt.Errorf("list media of %s: %w", siteID, err)
		}
		for _, o := range page.Contents {
			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(p.state.Bucket), Key: o.Key}); err != nil {
				return n, fmt.Errorf("delete %s: %w", aws.ToString(o.Key), err)
			}
			n++
		}
	}
	return n, nil
}

func (p *Platform) deleteApp(ctx context.Context, appID string, e idEntry) (Deletion, error) {
	d := Deletion{ID: appID, Kind: platform.KindApp, SiteID: e.site, DeletedAt: time.Now().UTC()}
	if err := p.tellVendorUninstalled(ctx, appID, e.site); err != nil {
		return d, err
	}
	cat, err := p.Pool(ctx, schema.DBCatalog)
	if err != nil {
		return d, err
	}
	tx, err := cat.Begin(ctx)
	if err != nil {
		return d, err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `DELETE FROM app_installations WHERE app_id = $1`, appID)
	if err != nil {
		return d, fmt.Errorf("delete app installation %s: %w", appID, err)
	}
	d.Rows = tag.RowsAffected()
	raw, _ := json.Marshal(map[string]any{"app_name": e.appName, "site_id": e.site})
	if _, err := tx.Exec(ctx, `INSERT INTO deletion_events (kind, target_id, site_id, deleted_at, what) VALUES ('app', $1, $2, $3, $4)`,
		appID, e.site, d.DeletedAt, string(raw)); err != nil {
		return d, fmt.Errorf("audit deletion of app %s: %w", appID, err)
	}
	return d, tx.Commit(ctx)
}

// tellVendorUninstalled sends the vendor service the uninstall callback
// (or, without services, marks the vendor's record directly).
func (p *Platform) tellVendorUninstalled(ctx context.Context, appID, siteID string) error {
	url := ""
	if p.desc != nil {
		url = p.desc.Services.Vendors
	}
	if url == "" {
		pool, err := p.Pool(ctx, schema.DBVendors)
		if err != nil {
			return err
		}
		_, err = pool.Exec(ctx, `UPDATE vendor_installations SET status = 'uninstalled', updated_at = now() WHERE app_id = $1`, appID)
		if err != nil {
			return fmt.Errorf("uninstall app %s at its vendor: %w", appID, err)
		}
		return nil
	}
	body, _ := json.Marshal(map[string]string{"app_id": appID, "site_id": siteID})
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/callbacks/uninstall", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return nil
			}
			lastErr = fmt.Errorf("vendor uninstall callback for app %s: HTTP %d: %s", appID, resp.StatusCode, strings.TrimSpace(string(msg)))
			if resp.StatusCode/100 == 4 {
				return lastErr
			}
		} else {
			lastErr = fmt.Errorf("vendor uninstall callback for app %s: %w", appID, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(100*(attempt+1)) * time.Millisecond):
		}
	}
	return lastErr
}

// Like2022 builds a deletion list the way the incident did: first apps
// correct app IDs, then sites site IDs where app IDs were meant (sites that
// have apps, other than the apps' sites). Fewer when the fleet is smaller.
// Deterministic for a seed and a fleet.
func (p *Platform) Like2022(ctx context.Context, sites, apps int, seed int64) ([]string, error) {
	if sites < 0 || apps < 0 {
		return nil, fmt.Errorf("like-2022: sites (%d) and apps (%d) must not be negative", sites, apps)
	}
	cat, err := p.Pool(ctx, schema.DBCatalog)
	if err != nil {
		return nil, err
	}
	rows, err := cat.Query(ctx, `SELECT site_id, min(app_id) FROM app_installations GROUP BY site_id ORDER BY site_id`)
	if err != nil {
		return nil, fmt.Errorf("like-2022: %w", err)
	}
	type sa struct{ site, app string }
	var list []sa
	for rows.Next() {
		var x sa
		if err := rows.Scan(&x.site, &x.app); err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(uint64(seed), 2022))
	r.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
	nApps := min(apps, len(list))
	appSites := list[len(list)-nApps:]
	rest := list[:len(list)-nApps]
	nSites := min(sites, len(rest))
	var out []string
	for _, x := range appSites {
		out = append(out, x.app)
	}
	for _, x := range rest[:nSites] {
		out = append(out, x.site)
	}
	return out, nil
}

// ListIDs lists IDs of a kind (site or app), live or deleted, in order.
func (p *Platform) ListIDs(ctx context.Context, kind platform.IDKind, deleted bool) ([]string, error) {
	if kind != platform.KindSite && kind != platform.KindApp {
		return nil, fmt.Errorf("list IDs: kind %q is not site or app", kind)
	}
	cat, err := p.Pool(ctx, schema.DBCatalog)
	if err != nil {
		return nil, err
	}
	live := `EXISTS (SELECT 1 FROM sites s WHERE s.site_id = r.id)`
	if kind == platform.KindApp {
		live = `EXISTS (SELECT 1 FROM app_installations a WHERE a.app_id = r.id)`
	}
	if deleted {
		live = "NOT " + live
	}
	rows, err := cat.Query(ctx, `SELECT r.id FROM id_registry r WHERE r.kind = $1 AND `+live+` ORDER BY r.created_at, r.id`, string(kind))
	if err != nil {
		return nil, fmt.Errorf("list IDs: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
