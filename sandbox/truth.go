package sandbox

import (
	"context"
	"crypto/md5"
	"encoding/json"
	"fmt"
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

// Truth stores, besides the catalog-database stores: one per product (its
// tables summed over every shard, so a site placed on another shard after a
// Restore 1 still compares) and the media.
const (
	TruthMedia       = "media"
	truthProductPref = "products/"
	truthAppPref     = "app:"
)

// projections are, for tables whose rows a Restore 1 rewrites through the
// catalog API (creation times, status, shard), the columns that make a
// site's identity; every other table compares whole rows.
var projections = map[string][]string{
	"sites":               {"site_id", "url", "region", "tier", "owner", "customer_id", "self_url"},
	"licenses":            {"site_id", "tier"},
	"product_activations": {"site_id", "product", "status"},
	"placements":          {"site_id", "product", "cluster", "region"},
	"app_installations":   {"site_id", "app_id", "vendor", "name", "callback_url"},
}

func rowExpr(table string) string { return rowExprWith(table, "", "") }

// rowExprWith is rowExpr with one projected column read from expr instead
// (a drill copy's url read as the site's own).
func rowExprWith(table, col, expr string) string {
	cols, ok := projections[table]
	if !ok {
		return "t::text"
	}
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = "t." + pgx.Identifier{c}.Sanitize()
		if c == col {
			q[i] = expr
		}
	}
	return "ROW(" + strings.Join(q, ", ") + ")::text"
}

// keyExpr is the column traffic and app exclusions name a row by.
func keyExpr(table string) string {
	if table == "app_installations" {
		return "t.app_id"
	}
	for _, c := range columns[table] {
		if c == "id" {
			return "t.id::text"
		}
	}
	return ""
}

// truthTable is one table a truth store covers.
type truthTable struct {
	db, table, store string
}

// truthTables lists every table the truth covers, with its database and
// truth store.
func (p *Platform) truthTables() []truthTable {
	var out []truthTable
	for _, s := range schema.Stores(1) {
		switch s.Kind {
		case "catalog", "identity", "flags":
			for _, t := range s.Tables {
				out = append(out, truthTable{db: s.Database, table: t.Name, store: s.Name})
			}
		case "product":
			for _, shard := range p.shards() {
				for _, t := range s.Tables {
					out = append(out, truthTable{db: shard, table: t.Name, store: truthProductPref + t.Product})
				}
			}
		}
	}
	return out
}

// exclusions are rows left out of fingerprints: the traffic generator's
// writes and the installations of listed apps.
type exclusions struct {
	rows    map[string]map[string]bool // table -> "site\x00key"
	objects map[string]bool            // object keys
}

func (e *exclusions) keys(table string) map[string]bool { return e.rows[table] }

// alias excludes, under site as, the rows excluded under site (a site
// restored under a new ID carries the traffic it had before the point).
func (e *exclusions) alias(site, as string) {
	if as == site {
		return
	}
	for t, keys := range e.rows {
		var add []string
		for k := range keys {
			if rest, ok := strings.CutPrefix(k, site+"\x00"); ok {
				add = append(add, rest)
			}
		}
		for _, k := range add {
			e.addRow(t, as, k)
		}
	}
}

func (e *exclusions) addRow(table, site, key string) {
	if e.rows == nil {
		e.rows = map[string]map[string]bool{}
	}
	m := e.rows[table]
	if m == nil {
		m = map[string]bool{}
		e.rows[table] = m
	}
	m[site+"\x00"+key] = true
}

// loadTraffic reads the traffic log.
func (p *Platform) loadTraffic(ctx context.Context) (*exclusions, error) {
	ex := &exclusions{objects: map[string]bool{}}
	pool, err := p.Pool(ctx, schema.DBSandbox)
	if err != nil {
		return nil, err
	}
	rows, err := pool.Query(ctx, `SELECT site_id, table_name, coalesce(row_id::text, ''), object_key FROM traffic_log`)
	if err != nil {
		return nil, fmt.Errorf("read traffic log: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var site, table, id, key string
		if err := rows.Scan(&site, &table, &id, &key); err != nil {
			return nil, err
		}
		if key != "" {
			ex.objects[key] = true
		}
		if table != "" && id != "" {
			ex.addRow(table, site, id)
		}
	}
	return ex, rows.Err()
}

// siteFPs maps site -> truth store -> fingerprint.
type siteFPs map[string]map[string]storeFP

func (s siteFPs) add(site, store, table string, f fingerprint) {
	m := s[site]
	if m == nil {
		m = map[string]storeFP{}
		s[site] = m
	}
	sf := m[store]
	if sf == nil {
		sf = storeFP{}
		m[store] = sf
	}
	cur := sf[table]
	cur.add(f)
	sf[table] = cur
}

const sumsSQL = `count(*), coalesce(sum(('x' || substr(h, 1, 16))::bit(64)::bigint::numeric), 0)::text,
	coalesce(sum(('x' || substr(h, 17, 16))::bit(64)::bigint::numeric), 0)::text`

// fleetFingerprints computes, for sites (nil = every site), the fingerprint
// of every truth store now, leaving out excluded rows and objects.
func (p *Platform) fleetFingerprints(ctx context.Context, snap *snapshot, sites []string, ex *exclusions) (siteFPs, error) {
	out := siteFPs{}
	for _, tt := range p.truthTables() {
		pool, err := snap.q(tt.db)
		if err != nil {
			return nil, err
		}
		where, args := "", []any{}
		if sites != nil {
			where, args = "WHERE t.site_id = ANY($1)", []any{sites}
		}
		q := fmt.Sprintf(`SELECT site_id, %s FROM (SELECT t.site_id, md5(%s) h FROM %s t %s) s GROUP BY site_id`,
			sumsSQL, rowExpr(tt.table), pgx.Identifier{tt.table}.Sanitize(), where)
		rows, err := pool.Query(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("fingerprint %s.%s: %w", tt.db, tt.table, err)
		}
		if err := addFingerprintRows(rows, tt, out); err != nil {
			return nil, fmt.Errorf("fingerprint %s.%s: %w", tt.db, tt.table, err)
		}
		if err := p.subtractExcluded(ctx, snap, tt, "", "", ex, out); err != nil {
			return nil, err
		}
	}
	if err := p.mediaFingerprints(ctx, sites, "", "", ex, out); err != nil {
		return nil, err
	}
	if sites != nil {
		want := map[string]bool{}
		for _, s := range sites {
			want[s] = true
		}
		for s := range out {
			if !want[s] {
				delete(out, s)
			}
		}
	}
	return out, nil
}

// subtractExcluded takes excluded rows of one table out of the
// fingerprints. For a remapped site (asSite != ""), rows of asSite are
// normalised to site.
func (p *Platform) subtractExcluded(ctx context.Context, snap *snapshot, tt truthTable, site, asSite string, ex *exclusions, out siteFPs) error {
	if ex == nil {
		return nil
	}
	keys := ex.keys(tt.table)
	kx := keyExpr(tt.table)
	if len(keys) == 0 || kx == "" {
		return nil
	}
	var sites, ids []string
	for k := range keys {
		s, id, _ := strings.Cut(k, "\x00")
		if asSite != "" && s != asSite {
			continue
		}
		sites = append(sites, s)
		ids = append(ids, id)
	}
	if len(sites) == 0 {
		return nil
	}
	pool, err := snap.q(tt.db)
	if err != nil {
		return err
	}
	expr := rowExpr(tt.table)
	args := []any{sites, ids}
	if asSite != "" {
		expr = "replace(" + expr + ", $3, $4)"
		args = append(args, asSite, site)
	}
	q := fmt.Sprintf(`SELECT t.site_id, %s, md5(%s) FROM %s t WHERE t.site_id = ANY($1) AND %s = ANY($2)`,
		kx, expr, pgx.Identifier{tt.table}.Sanitize(), kx)
	rows, err := pool.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("excluded rows of %s.%s: %w", tt.db, tt.table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var s, id, h string
		if err := rows.Scan(&s, &id, &h); err != nil {
			return err
		}
		if !keys[s+"\x00"+id] {
			continue
		}
		var f fingerprint
		if err := f.addHex(h, -1); err != nil {
			return err
		}
		key := s
		if asSite != "" {
			key = site
		}
		out.add(key, tt.store, tt.table, f)
	}
	return rows.Err()
}

// fpOptions adjust a site's fingerprint for a drill copy.
type fpOptions struct {
	// urlAs, when set, reads the sites row's url as this (the site's own).
	urlAs string
	// skip are tables left out.
	skip map[string]bool
}

// siteFingerprint computes the truth stores of site asSite now, normalised
// to site (asSite == site unless restored under a new ID).
func (p *Platform) siteFingerprint(ctx context.Context, snap *snapshot, site, asSite string, ex *exclusions, o fpOptions) (map[string]storeFP, error) {
	out := siteFPs{}
	for _, tt := range p.truthTables() {
		if o.skip[tt.table] {
			continue
		}
		pool, err := snap.q(tt.db)
		if err != nil {
			return nil, err
		}
		args := []any{asSite}
		if asSite != site {
			args = append(args, site)
		}
		expr := rowExpr(tt.table)
		if tt.table == "sites" && o.urlAs != "" {
			args = append(args, o.urlAs)
			expr = rowExprWith(tt.table, "url", fmt.Sprintf("$%d::text", len(args)))
		}
		if asSite != site {
			expr = "replace(" + expr + ", $1, $2)"
		}
		q := fmt.Sprintf(`SELECT %s FROM (SELECT md5(%s) h FROM %s t WHERE t.site_id = $1) s`,
			sumsSQL, expr, pgx.Identifier{tt.table}.Sanitize())
		var n int64
		var a, b string
		if err := pool.QueryRow(ctx, q, args...).Scan(&n, &a, &b); err != nil {
			return nil, fmt.Errorf("fingerprint %s.%s of %s: %w", tt.db, tt.table, asSite, err)
		}
		if n == 0 {
			continue
		}
		f := fingerprint{Rows: n}
		if f.A, err = mod64(a); err == nil {
			f.B, err = mod64(b)
		}
		if err != nil {
			return nil, err
		}
		out.add(site, tt.store, tt.table, f)
		if err := p.subtractExcluded(ctx, snap, tt, site, asSite, ex, out); err != nil {
			return nil, err
		}
	}
	if err := p.mediaFingerprints(ctx, []string{asSite}, site, asSite, ex, out); err != nil {
		return nil, err
	}
	return out[site], nil
}

// mediaFingerprints adds the media store: per current object, the MD5 of
// its key relative to the site prefix and its ETag (the content's MD5).
func (p *Platform) mediaFingerprints(ctx context.Context, sites []string, site, asSite string, ex *exclusions, out siteFPs) error {
	var want map[string]bool
	prefixes := []string{"sites/"}
	if sites != nil {
		want = map[string]bool{}
		prefixes = nil
		for _, s := range sites {
			want[s] = true
		}
		if len(sites) <= 50 {
			for _, s := range sites {
				prefixes = append(prefixes, "sites/"+s+"/")
			}
		} else {
			prefixes = []string{"sites/"}
		}
	}
	for _, prefix := range prefixes {
		pg := s3.NewListObjectsV2Paginator(p.media.Client(), &s3.ListObjectsV2Input{
			Bucket: aws.String(p.state.Bucket), Prefix: aws.String(prefix)})
		for pg.HasMorePages() {
			page, err := pg.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("list media %s: %w", prefix, err)
			}
			for _, o := range page.Contents {
				key := aws.ToString(o.Key)
				rest := strings.TrimPrefix(key, "sites/")
				s, rel, ok := strings.Cut(rest, "/")
				if !ok || (want != nil && !want[s]) {
					continue
				}
				if ex != nil && ex.objects[key] {
					continue
				}
				etag := strings.Trim(aws.ToString(o.ETag), `"`)
				var f fingerprint
				f.addHash(md5sum(rel+"\x00"+etag), 1)
				target := s
				if asSite != "" && s == asSite {
					target = site
				}
				out.add(target, TruthMedia, "objects", f)
			}
		}
	}
	return nil
}

func md5sum(s string) [16]byte { return md5.Sum([]byte(s)) }

// TruthSnapshot is what RecordTruth stored.
type TruthSnapshot struct {
	RecordedAt time.Time `json:"recorded_at"`
	Sites      int       `json:"sites"`
	Stores     int       `json:"stores"`
	Apps       int       `json:"apps"`
}

// RecordTruth stores, for the given sites (nil: every site of the fleet),
// per store a canonical checksum of the site's rows and media, and for
// each of their apps the checksum of its installation. Rows the traffic
// generator wrote are left out.
func (p *Platform) RecordTruth(ctx context.Context, siteIDs []string) (*TruthSnapshot, error) {
	db, ex, err := p.openSnapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("record truth: %w", err)
	}
	fps, err := p.fleetFingerprints(ctx, db, siteIDs, ex)
	db.close()
	if err != nil {
		return nil, fmt.Errorf("record truth: %w", err)
	}
	apps, err := p.appHashes(ctx, siteIDs, "", "")
	if err != nil {
		return nil, fmt.Errorf("record truth: %w", err)
	}
	snap := &TruthSnapshot{RecordedAt: time.Now().UTC()}
	var rows [][]any
	sites := make([]string, 0, len(fps))
	for s := range fps {
		sites = append(sites, s)
	}
	sort.Strings(sites)
	for _, s := range sites {
		for store, sf := range fps[s] {
			if sf.rows() == 0 {
				continue
			}
			tables, _ := json.Marshal(sf)
			rows = append(rows, []any{s, store, sf.checksum(), sf.rows(), string(tables), snap.RecordedAt})
			snap.Stores++
		}
	}
	for _, a := range apps {
		rows = append(rows, []any{a.site, truthAppPref + a.appID, a.hash, int64(1), "{}", snap.RecordedAt})
		snap.Apps++
	}
	snap.Sites = len(sites)
	pool, err := p.Pool(ctx, schema.DBSandbox)
	if err != nil {
		return nil, err
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"truth"},
		[]string{"site_id", "store", "checksum", "row_count", "tables", "recorded_at"}, pgx.CopyFromRows(rows)); err != nil {
		return nil, fmt.Errorf("record truth: %w", err)
	}
	p.log.Info("truth recorded", zap.Int("sites", snap.Sites), zap.Int("stores", snap.Stores), zap.Int("apps", snap.Apps))
	return snap, nil
}

type appHash struct {
	appID, site, hash string
}

// appHashes returns the canonical hash of app installations of sites (nil:
// all), or of the one asSite normalised to site.
func (p *Platform) appHashes(ctx context.Context, sites []string, site, asSite string) ([]appHash, error) {
	pool, err := p.Pool(ctx, schema.DBCatalog)
	if err != nil {
		return nil, err
	}
	expr := rowExpr("app_installations")
	q := fmt.Sprintf(`SELECT t.app_id, t.site_id, md5(%s) FROM app_installations t`, expr)
	var args []any
	if asSite != "" {
		q = fmt.Sprintf(`SELECT t.app_id, $2::text, md5(replace(%s, $1, $2)) FROM app_installations t WHERE t.site_id = $1`, expr)
		args = []any{asSite, site}
	} else if sites != nil {
		q += " WHERE t.site_id = ANY($1)"
		args = []any{sites}
	}
	rows, err := pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("app installations: %w", err)
	}
	defer rows.Close()
	var out []appHash
	for rows.Next() {
		var a appHash
		if err := rows.Scan(&a.appID, &a.site, &a.hash); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// truthRecord is one stored truth row.
type truthRecord struct {
	store    string
	checksum string
	rows     int64
	tables   storeFP
	at       time.Time
}

// loadTruth returns, per site, the truth snapshot to compare with: the
// latest recorded at or before point (zero point: the latest), else the
// earliest after it. sites nil loads every site. App truths are left out.
func (p *Platform) loadTruth(ctx context.Context, sites []string, point time.Time) (map[string][]truthRecord, error) {
	pool, err := p.Pool(ctx, schema.DBSandbox)
	if err != nil {
		return nil, err
	}
	q := `SELECT site_id, store, checksum, row_count, tables::text, recorded_at FROM truth WHERE store NOT LIKE 'app:%'`
	var args []any
	if sites != nil {
		q += ` AND site_id = ANY($1)`
		args = []any{sites}
	}
	rows, err := pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("load truth: %w", err)
	}
	defer rows.Close()
	all := map[string]map[time.Time][]truthRecord{}
	for rows.Next() {
		var site, tables string
		var r truthRecord
		if err := rows.Scan(&site, &r.store, &r.checksum, &r.rows, &tables, &r.at); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(tables), &r.tables); err != nil {
			return nil, fmt.Errorf("load truth of %s/%s: %w", site, r.store, err)
		}
		m := all[site]
		if m == nil {
			m = map[time.Time][]truthRecord{}
			all[site] = m
		}
		m[r.at] = append(m[r.at], r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := map[string][]truthRecord{}
	for site, snaps := range all {
		var chosen time.Time
		var earliest time.Time
		for at := range snaps {
			if earliest.IsZero() || at.Before(earliest) {
				earliest = at
			}
			if (point.IsZero() || !at.After(point)) && at.After(chosen) {
				chosen = at
			}
		}
		if chosen.IsZero() {
			chosen = earliest
		}
		out[site] = snaps[chosen]
	}
	return out, nil
}

// loadAppTruth returns the latest truth of each app: its site and hash.
func (p *Platform) loadAppTruth(ctx context.Context, appIDs []string) (map[string]appHash, error) {
	pool, err := p.Pool(ctx, schema.DBSandbox)
	if err != nil {
		return nil, err
	}
	stores := make([]string, len(appIDs))
	for i, a := range appIDs {
		stores[i] = truthAppPref + a
	}
	rows, err := pool.Query(ctx, `SELECT DISTINCT ON (store) store, site_id, checksum FROM truth
		WHERE store = ANY($1) ORDER BY store, recorded_at DESC`, stores)
	if err != nil {
		return nil, fmt.Errorf("load app truth: %w", err)
	}
	defer rows.Close()
	out := map[string]appHash{}
	for rows.Next() {
		var a appHash
		var store string
		if err := rows.Scan(&store, &a.site, &a.hash); err != nil {
			return nil, err
		}
		a.appID = strings.TrimPrefix(store, truthAppPref)
		out[a.appID] = a
	}
	return out, rows.Err()
}

// compareSite compares a site's stores now with its truth records; apps
// lists installations (of listed apps) to take out of both sides, skip
// tables left out on both sides.
func compareSite(truth []truthRecord, now map[string]storeFP, appOut []appHash, skip map[string]bool) []platform.StoreDiff {
	tmap := map[string]storeFP{}
	for _, r := range truth {
		sf := storeFP{}
		for t, f := range r.tables {
			if !skip[t] {
				sf[t] = f
			}
		}
		tmap[r.store] = sf
	}
	if len(skip) > 0 {
		trimmed := map[string]storeFP{}
		for s, sf := range now {
			c := storeFP{}
			for t, f := range sf {
				if !skip[t] {
					c[t] = f
				}
			}
			trimmed[s] = c
		}
		now = trimmed
	}
	for _, a := range appOut {
		sf := tmap[schema.StoreCatalog]
		if sf == nil {
			continue
		}
		f := sf["app_installations"]
		if f.addHex(a.hash, -1) == nil {
			sf["app_installations"] = f
		}
	}
	stores := map[string]bool{schema.StoreCatalog: true}
	for s := range tmap {
		stores[s] = true
	}
	for s, sf := range now {
		if sf.rows() != 0 {
			stores[s] = true
		}
	}
	names := make([]string, 0, len(stores))
	for s := range stores {
		names = append(names, s)
	}
	sort.Slice(names, func(i, j int) bool { return storeRank(names[i]) < storeRank(names[j]) })
	var out []platform.StoreDiff
	for _, s := range names {
		t, n := tmap[s], now[s]
		if t == nil {
			t = storeFP{}
		}
		if n == nil {
			n = storeFP{}
		}
		d := platform.StoreDiff{Store: s, Match: t.checksum() == n.checksum()}
		if !d.Match {
			d.Diff = diffStore(t, n)
		}
		out = append(out, d)
	}
	return out
}

func storeRank(s string) string {
	order := map[string]string{schema.StoreCatalog: "0", schema.StoreIdentity: "1", schema.StoreFlags: "2", TruthMedia: "9"}
	if r, ok := order[s]; ok {
		return r + s
	}
	return "5" + s
}

// VerifySite compares site asSiteID now with the truth of siteID at point
// (asSiteID differs from siteID after a Restore 1 or in a drill; empty
// means siteID). Traffic siteID received before the point is left out under
// asSiteID too. A drill copy (see drill.go) is not compared on its URL nor
// its app installations. It implements platform.Truth.
func (p *Platform) VerifySite(ctx context.Context, siteID, asSiteID string, point time.Time) ([]platform.StoreDiff, error) {
	if siteID == "" {
		return nil, fmt.Errorf("verify site: site ID is empty")
	}
	if asSiteID == "" {
		asSiteID = siteID
	}
	truth, err := p.loadTruth(ctx, []string{siteID}, point)
	if err != nil {
		return nil, fmt.Errorf("verify site %s: %w", siteID, err)
	}
	if len(truth[siteID]) == 0 {
		return nil, fmt.Errorf("verify site %s: no truth recorded for this site", siteID)
	}
	var o fpOptions
	siteURL, drill, err := p.drillOf(ctx, siteID, asSiteID)
	if err != nil {
		return nil, fmt.Errorf("verify site %s as %s: %w", siteID, asSiteID, err)
	}
	if drill {
		o = fpOptions{urlAs: siteURL, skip: drillTablesLeftOut}
	}
	snap, ex, err := p.openSnapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify site %s: %w", siteID, err)
	}
	ex.alias(siteID, asSiteID)
	now, err := p.siteFingerprint(ctx, snap, siteID, asSiteID, ex, o)
	snap.close()
	if err != nil {
		return nil, fmt.Errorf("verify site %s as %s: %w", siteID, asSiteID, err)
	}
	return compareSite(truth[siteID], now, nil, o.skip), nil
}

var _ platform.Truth = (*Platform)(nil)
