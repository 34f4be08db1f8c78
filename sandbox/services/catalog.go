package services

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/platform"
)

// Site statuses the catalog accepts.
var siteStatuses = map[string]bool{"active": true, "provisioning": true, "suspended": true}

// SelfURL is the API URL of a site, as the seed writes it into sites.self_url.
func SelfURL(siteID string) string { return "https://api.example-cloud.test/sites/" + siteID }

func (s *Server) catalogHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/sites/{id}", func(w http.ResponseWriter, r *http.Request) {
		rec, err := s.getSite(r.Context(), r.PathValue("id"))
		if err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, rec)
	})
	mux.HandleFunc("GET /v1/sites", func(w http.ResponseWriter, r *http.Request) {
		url := r.URL.Query().Get("url")
		if url == "" {
			fail(w, badRequest("query parameter url is required"))
			return
		}
		id, err := s.siteIDByURL(r.Context(), url)
		if err != nil {
			fail(w, err)
			return
		}
		rec, err := s.getSite(r.Context(), id)
		if err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, rec)
	})
	mux.HandleFunc("POST /v1/ids/lookup", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			IDs []string `json:"ids"`
		}
		if err := decode(r, &req); err != nil {
			fail(w, err)
			return
		}
		out, err := s.lookupIDs(r.Context(), req.IDs)
		if err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("POST /v1/sites", func(w http.ResponseWriter, r *http.Request) {
		var req platform.CreateSiteRequest
		if err := decode(r, &req); err != nil {
			fail(w, err)
			return
		}
		rec, err := s.createSite(r.Context(), req)
		if err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, rec)
	})
	mux.HandleFunc("POST /v1/sites/{id}/license", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Tier string `json:"tier"`
		}
		if err := decode(r, &req); err != nil {
			fail(w, err)
			return
		}
		s.answerSite(w, r, s.applyLicense(r.Context(), r.PathValue("id"), req.Tier))
	})
	mux.HandleFunc("POST /v1/sites/{id}/activate", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Product string `json:"product"`
			// Store is the product shard to place the product on; empty
			// keeps an existing placement or picks one.
			Store string `json:"store,omitempty"`
		}
		if err := decode(r, &req); err != nil {
			fail(w, err)
			return
		}
		s.answerSite(w, r, s.activateProduct(r.Context(), r.PathValue("id"), req.Product, req.Store))
	})
	mux.HandleFunc("POST /v1/sites/{id}/place", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Region string `json:"region"`
		}
		if err := decode(r, &req); err != nil {
			fail(w, err)
			return
		}
		s.answerSite(w, r, s.placeRegion(r.Context(), r.PathValue("id"), req.Region))
	})
	mux.HandleFunc("POST /v1/sites/{id}/status", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Status string `json:"status"`
		}
		if err := decode(r, &req); err != nil {
			fail(w, err)
			return
		}
		s.answerSite(w, r, s.setStatus(r.Context(), r.PathValue("id"), req.Status))
	})
	mux.HandleFunc("POST /v1/permanent-delete", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			IDs []string `json:"ids"`
		}
		if err := decode(r, &req); err != nil {
			fail(w, err)
			return
		}
		if len(req.IDs) == 0 {
			fail(w, badRequest("ids is empty"))
			return
		}
		if s.cfg.PermanentDelete == nil {
			writeError(w, http.StatusNotImplemented, errors.New("permanent-delete: not wired on this server"))
			return
		}
		s.log.Warn("permanent delete", zap.Int("ids", len(req.IDs)))
		res, err := s.cfg.PermanentDelete(r.Context(), req.IDs)
		if err != nil {
			fail(w, fmt.Errorf("permanent-delete: %w", err))
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
	return mux
}

// answerSite answers the site's record after a change, or the change's error.
func (s *Server) answerSite(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		fail(w, err)
		return
	}
	rec, err := s.getSite(r.Context(), r.PathValue("id"))
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (s *Server) getSite(ctx context.Context, id string) (platform.SiteRecord, error) {
	var rec platform.SiteRecord
	var restored *string
	err := s.catalog.QueryRow(ctx,
		`SELECT site_id, url, region, tier, status, created_at, restored_from FROM sites WHERE site_id = $1`, id).
		Scan(&rec.SiteID, &rec.URL, &rec.Region, &rec.Tier, &rec.Status, &rec.CreatedAt, &restored)
	if errors.Is(err, pgx.ErrNoRows) {
		return rec, notFound("site %s is not in the catalog", id)
	}
	if err != nil {
		return rec, fmt.Errorf("get site %s: %w", id, err)
	}
	if restored != nil {
		rec.RestoredFrom = *restored
	}
	rows, err := s.catalog.Query(ctx, `SELECT a.product, coalesce(p.store, '')
		FROM product_activations a LEFT JOIN placements p ON p.site_id = a.site_id AND p.product = a.product
		WHERE a.site_id = $1 AND a.status = 'active' ORDER BY a.product`, id)
	if err != nil {
		return rec, fmt.Errorf("get site %s products: %w", id, err)
	}
	defer rows.Close()
	rec.Products = []string{}
	for rows.Next() {
		var product, store string
		if err := rows.Scan(&product, &store); err != nil {
			return rec, fmt.Errorf("get site %s products: %w", id, err)
		}
		rec.Products = append(rec.Products, product)
		if store != "" {
			if rec.Placements == nil {
				rec.Placements = map[string]string{}
			}
			rec.Placements[product] = store
		}
	}
	return rec, rows.Err()
}

// siteIDByURL finds the site serving a URL: an active one first, then the newest.
func (s *Server) siteIDByURL(ctx context.Context, url string) (string, error) {
	var id string
	err := s.catalog.QueryRow(ctx, `SELECT site_id FROM sites WHERE url = $1
		ORDER BY (status = 'active') DESC, created_at DESC, site_id LIMIT 1`, url).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", notFound("no site has url %s", url)
	}
	if err != nil {
		return "", fmt.Errorf("site by url %s: %w", url, err)
	}
	return id, nil
}

// MaxLookupIDs is the most IDs one lookup takes (its request body is also
// at most 4 MiB): a client looks a longer list up in chunks.
const MaxLookupIDs = 100_000

// lookupIDs tells site IDs from app IDs, live or deleted; the audit store
// (id_registry, deletion_events) knows deleted ones.
func (s *Server) lookupIDs(ctx context.Context, ids []string) ([]platform.IDInfo, error) {
	if len(ids) > MaxLookupIDs {
		return nil, badRequest("ids: %d IDs, at most %d per lookup: look the list up in chunks", len(ids), MaxLookupIDs)
	}
	if err := checkIDText(ids); err != nil {
		return nil, err
	}
	out := make([]platform.IDInfo, len(ids))
	for i, id := range ids {
		out[i] = platform.IDInfo{ID: id, Kind: platform.KindUnknown}
	}
	if len(ids) == 0 {
		return out, nil
	}
	type reg struct {
		kind, siteID, url, appName string
	}
	regs := map[string]reg{}
	rows, err := s.audit.Query(ctx, `SELECT id, kind, site_id, url, app_name FROM id_registry WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("lookup ids: id registry: %w", err)
	}
	for rows.Next() {
		var id string
		var g reg
		if err := rows.Scan(&id, &g.kind, &g.siteID, &g.url, &g.appName); err != nil {
			rows.Close()
			return nil, fmt.Errorf("lookup ids: id registry: %w", err)
		}
		regs[id] = g
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lookup ids: id registry: %w", err)
	}
	// Live sites (also those the registry does not know, e.g. made by hand).
	liveSites := map[string]platform.IDInfo{}
	rows, err = s.catalog.Query(ctx, `SELECT s.site_id, s.url, (SELECT count(*) FROM users u WHERE u.site_id = s.site_id)
		FROM sites s WHERE s.site_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("lookup ids: sites: %w", err)
	}
	for rows.Next() {
		var in platform.IDInfo
		var users int64
		if err := rows.Scan(&in.ID, &in.URL, &users); err != nil {
			rows.Close()
			return nil, fmt.Errorf("lookup ids: sites: %w", err)
		}
		in.Users = int(users)
		liveSites[in.ID] = in
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lookup ids: sites: %w", err)
	}
	liveApps := map[string]platform.IDInfo{}
	rows, err = s.catalog.Query(ctx, `SELECT app_id, site_id, name FROM app_installations WHERE app_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("lookup ids: app installations: %w", err)
	}
	for rows.Next() {
		var in platform.IDInfo
		if err := rows.Scan(&in.ID, &in.SiteID, &in.AppName); err != nil {
			rows.Close()
			return nil, fmt.Errorf("lookup ids: app installations: %w", err)
		}
		liveApps[in.ID] = in
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lookup ids: app installations: %w", err)
	}
	// Deletions: the latest event per target, and per site (an app goes
	// with its site).
	type del struct {
		at    time.Time
		users int
	}
	byTarget := map[string]del{}
	bySite := map[string]del{}
	rows, err = s.audit.Query(ctx, `SELECT kind, target_id, site_id, deleted_at, coalesce((what->>'users')::bigint, -1)
		FROM deletion_events WHERE target_id = ANY($1) OR (kind = 'site' AND site_id IN
			(SELECT site_id FROM id_registry WHERE id = ANY($1)))
		ORDER BY deleted_at`, ids)
	if err != nil {
		return nil, fmt.Errorf("lookup ids: deletion events: %w", err)
	}
	for rows.Next() {
		var kind, target, site string
		var d del
		var users int64
		if err := rows.Scan(&kind, &target, &site, &d.at, &users); err != nil {
			rows.Close()
			return nil, fmt.Errorf("lookup ids: deletion events: %w", err)
		}
		d.users = int(users)
		byTarget[target] = d
		if kind == "site" {
			bySite[site] = d
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lookup ids: deletion events: %w", err)
	}
	for i, id := range ids {
		in := &out[i]
		g, known := regs[id]
		live, isLiveSite := liveSites[id]
		app, isLiveApp := liveApps[id]
		switch {
		case isLiveSite || (known && g.kind == "site"):
			in.Kind = platform.KindSite
			in.URL = g.url
			if isLiveSite {
				in.Status = "active"
				in.URL = live.URL
				in.Users = live.Users
			} else {
				in.Status = "deleted"
				d, ok := byTarget[id]
				if !ok {
					d, ok = bySite[id]
				}
				if ok {
					in.DeletedAt = d.at.UTC()
					if d.users >= 0 {
						in.Users = d.users
					}
				}
			}
		case isLiveApp || (known && g.kind == "app"):
			in.Kind = platform.KindApp
			in.SiteID, in.AppName = g.siteID, g.appName
			if isLiveApp {
				in.Status = "active"
				in.SiteID, in.AppName = app.SiteID, app.AppName
			} else {
				in.Status = "deleted"
				d, ok := byTarget[id]
				if !ok {
					d, ok = bySite[g.siteID]
				}
				if ok {
					in.DeletedAt = d.at.UTC()
				}
			}
		}
	}
	return out, nil
}

// checkIDText refuses IDs that are not text PostgreSQL can hold (invalid
// UTF-8, a NUL byte), naming each, rather than failing on them in a query.
func checkIDText(ids []string) error {
	var bad []string
	for i, id := range ids {
		switch {
		case !utf8.ValidString(id):
			bad = append(bad, fmt.Sprintf("ids[%d] %q is not UTF-8 text", i, id))
		case strings.IndexByte(id, 0) >= 0:
			bad = append(bad, fmt.Sprintf("ids[%d] %q holds a NUL byte", i, id))
		}
		if len(bad) == 10 {
			bad = append(bad, "...")
			break
		}
	}
	if len(bad) > 0 {
		return badRequest("%s", strings.Join(bad, "; "))
	}
	return nil
}

func (s *Server) createSite(ctx context.Context, req platform.CreateSiteRequest) (platform.SiteRecord, error) {
	var problems []string
	if req.NewSiteID == "" {
		problems = append(problems, "new_site_id is empty")
	}
	if req.URL == "" {
		problems = append(problems, "url is empty")
	}
	if req.Region == "" {
		problems = append(problems, "region is empty")
	}
	if req.Tier == "" {
		problems = append(problems, "tier is empty")
	}
	if req.NewSiteID != "" && req.NewSiteID == req.OldSiteID {
		problems = append(problems, "new_site_id equals old_site_id")
	}
	if len(problems) > 0 {
		return platform.SiteRecord{}, badRequest("create site: %s", strings.Join(problems, "; "))
	}
	// Idempotent: the same request again answers the same site.
	if rec, err := s.getSite(ctx, req.NewSiteID); err == nil {
		if rec.RestoredFrom != req.OldSiteID || rec.URL != req.URL {
			return rec, fmt.Errorf("%w: create site %s: it exists already with url %s restored from %q",
				errConflict, req.NewSiteID, rec.URL, rec.RestoredFrom)
		}
		return rec, nil
	} else if !errors.Is(err, errNotFound) {
		return platform.SiteRecord{}, err
	}
	var other string
	err := s.catalog.QueryRow(ctx, `SELECT site_id FROM sites WHERE url = $1 AND status IN ('active','provisioning') AND site_id <> $2 LIMIT 1`,
		req.URL, req.NewSiteID).Scan(&other)
	if err == nil {
		return platform.SiteRecord{}, fmt.Errorf("%w: create site %s: url %s is served by live site %s", errConflict, req.NewSiteID, req.URL, other)
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return platform.SiteRecord{}, fmt.Errorf("create site %s: %w", req.NewSiteID, err)
	}
	tx, err := s.catalog.Begin(ctx)
	if err != nil {
		return platform.SiteRecord{}, fmt.Errorf("create site %s: %w", req.NewSiteID, err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var restored *string
	if req.OldSiteID != "" {
		restored = &req.OldSiteID
	}
	// The customer and owner: as asked, else the old site's when it is
	// still live (a drill), else from the audit record of its deletion.
	_, err = tx.Exec(ctx, `INSERT INTO sites (site_id, url, region, tier, status, owner, customer_id, self_url, restored_from)
		VALUES ($1, $2, $3, $4, 'provisioning',
			coalesce(nullif($8, ''), (SELECT owner FROM sites WHERE site_id = $6), 'customer'),
			coalesce(nullif($9, ''), (SELECT customer_id FROM sites WHERE site_id = $6),
				(SELECT what->>'customer_id' FROM deletion_events WHERE target_id = $6 AND kind = 'site' ORDER BY deleted_at DESC LIMIT 1), ''),
			$5, $7)
		ON CONFLICT (site_id) DO NOTHING`,
		req.NewSiteID, req.URL, req.Region, req.Tier, SelfURL(req.NewSiteID), req.OldSiteID, restored, req.Owner, req.CustomerID)
	if err != nil {
		return platform.SiteRecord{}, fmt.Errorf("create site %s: %w", req.NewSiteID, err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO id_registry (id, kind, site_id, url) VALUES ($1, 'site', $1, $2) ON CONFLICT (id) DO NOTHING`,
		req.NewSiteID, req.URL)
	if err != nil {
		return platform.SiteRecord{}, fmt.Errorf("create site %s: id registry: %w", req.NewSiteID, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return platform.SiteRecord{}, fmt.Errorf("create site %s: %w", req.NewSiteID, err)
	}
	s.log.Info("site created", zap.String("site", req.NewSiteID), zap.String("restored_from", req.OldSiteID))
	return s.getSite(ctx, req.NewSiteID)
}

func (s *Server) requireSite(ctx context.Context, id string) error {
	var one int
	err := s.catalog.QueryRow(ctx, `SELECT 1 FROM sites WHERE site_id = $1`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("site %s is not in the catalog", id)
	}
	if err != nil {
		return fmt.Errorf("site %s: %w", id, err)
	}
	return nil
}

func (s *Server) applyLicense(ctx context.Context, id, tier string) error {
	if tier == "" {
		return badRequest("license: tier is empty")
	}
	if err := s.requireSite(ctx, id); err != nil {
		return err
	}
	_, err := s.catalog.Exec(ctx, `WITH upd AS (UPDATE sites SET tier = $2, updated_at = now() WHERE site_id = $1)
		INSERT INTO licenses (site_id, id, tier, seats, starts_at)
		SELECT $1, coalesce((SELECT max(id) FROM licenses WHERE site_id = $1), 0) + 1, $2, 10, now()
		WHERE NOT EXISTS (SELECT 1 FROM licenses WHERE site_id = $1 AND tier = $2)`, id, tier)
	if err != nil {
		return fmt.Errorf("license site %s: %w", id, err)
	}
	return nil
}

// activateProduct activates a product and places it on a shard: the given
// store, else the site's existing placement, else the placement of the site
// it was restored from if still live, else the shard holding that product
// for the fewest sites (ties by name).
func (s *Server) activateProduct(ctx context.Context, id, product, store string) error {
	if product == "" {
		return badRequest("activate: product is empty")
	}
	if store != "" {
		if _, ok := s.shards[store]; !ok {
			return badRequest("activate: store %q is not a product shard (have %s)", store, strings.Join(s.shardNames(), ", "))
		}
	}
	if err := s.requireSite(ctx, id); err != nil {
		return err
	}
	tx, err := s.catalog.Begin(ctx)
	if err != nil {
		return fmt.Errorf("activate %s on site %s: %w", product, id, err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `INSERT INTO product_activations (site_id, product, status) VALUES ($1, $2, 'active')
		ON CONFLICT (site_id, product) DO UPDATE SET status = 'active'`, id, product); err != nil {
		return fmt.Errorf("activate %s on site %s: %w", product, id, err)
	}
	var existing string
	err = tx.QueryRow(ctx, `SELECT store FROM placements WHERE site_id = $1 AND product = $2`, id, product).Scan(&existing)
	switch {
	case err == nil:
		if store != "" && store != existing {
			return fmt.Errorf("%w: activate %s on site %s: already placed on %s, not %s", errConflict, product, id, existing, store)
		}
	case errors.Is(err, pgx.ErrNoRows):
		if store == "" {
			err = tx.QueryRow(ctx, `SELECT p.store FROM placements p JOIN sites s ON s.restored_from = p.site_id
				WHERE s.site_id = $1 AND p.product = $2`, id, product).Scan(&store)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("activate %s on site %s: %w", product, id, err)
			}
		}
		if store == "" {
			counts := map[string]int64{}
			rows, err := tx.Query(ctx, `SELECT store, count(*) FROM placements WHERE product = $1 GROUP BY store`, product)
			if err != nil {
				return fmt.Errorf("activate %s on site %s: %w", product, id, err)
			}
			for rows.Next() {
				var st string
				var n int64
				if err := rows.Scan(&st, &n); err != nil {
					rows.Close()
					return fmt.Errorf("activate %s on site %s: %w", product, id, err)
				}
				counts[st] = n
			}
			rows.Close()
			for _, name := range s.shardNames() {
				if store == "" || counts[name] < counts[store] {
					store = name
				}
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO placements (site_id, product, cluster, database, store, region)
			SELECT $1, $2, 'products', $3, $3, region FROM sites WHERE site_id = $1`, id, product, store); err != nil {
			return fmt.Errorf("activate %s on site %s: place on %s: %w", product, id, store, err)
		}
	default:
		return fmt.Errorf("activate %s on site %s: %w", product, id, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("activate %s on site %s: %w", product, id, err)
	}
	return nil
}

func (s *Server) shardNames() []string {
	names := make([]string, 0, len(s.shards))
	for n := range s.shards {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (s *Server) placeRegion(ctx context.Context, id, region string) error {
	if region == "" {
		return badRequest("place: region is empty")
	}
	if err := s.requireSite(ctx, id); err != nil {
		return err
	}
	_, err := s.catalog.Exec(ctx, `WITH p AS (UPDATE placements SET region = $2 WHERE site_id = $1)
		UPDATE sites SET region = $2, updated_at = now() WHERE site_id = $1`, id, region)
	if err != nil {
		return fmt.Errorf("place site %s in %s: %w", id, region, err)
	}
	return nil
}

func (s *Server) setStatus(ctx context.Context, id, status string) error {
	if !siteStatuses[status] {
		return badRequest("status: %q is not one of active, provisioning, suspended", status)
	}
	if err := s.requireSite(ctx, id); err != nil {
		return err
	}
	if _, err := s.catalog.Exec(ctx, `UPDATE sites SET status = $2, updated_at = now() WHERE site_id = $1`, id, status); err != nil {
		return fmt.Errorf("set status of site %s: %w", id, err)
	}
	return nil
}
