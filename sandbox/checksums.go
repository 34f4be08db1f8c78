package sandbox

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/sandbox/schema"
)

// ProductionChecksums maps every production tenant (every site of the
// catalog's sites table that is not a drill copy, see drill.go) to one
// checksum over all of its stores: the catalog-database stores (catalog,
// identity, flags), its rows in every product shard, and its media. The
// rows and objects the live-traffic generator wrote are left out, as
// verification leaves them out (see truth.go), so a tenant that only
// received traffic keeps its checksum, and any other write to it changes
// it. A drill takes them before and after, to prove it wrote to no
// production tenant. Everything is read in one snapshot per database,
// taken before the traffic log is read (see snapshot). It implements
// platform.Checksums.
//
// It reads the same rows as the truth's fingerprints (rowExpr), with a
// cheaper sum: two 64-bit hashes of each row (hashtextextended) summed in
// PostgreSQL's 128-bit integer sums, traffic rows left out by an anti-join
// on the traffic log's keys instead of subtracted afterwards, and each
// database read on its own connection at the same time. The sums are only
// ever compared with each other, never with the recorded truth.
func (p *Platform) ProductionChecksums(ctx context.Context) (map[string]string, error) {
	began := time.Now()
	snap, ex, err := p.openSnapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("production checksums: %w", err)
	}
	defer snap.close()
	live, err := p.productionSites(ctx, snap)
	if err != nil {
		return nil, fmt.Errorf("production checksums: %w", err)
	}
	fps, err := p.fastFingerprints(ctx, snap, ex)
	if err != nil {
		return nil, fmt.Errorf("production checksums: %w", err)
	}
	out := make(map[string]string, len(live))
	for _, s := range live {
		out[s] = siteChecksum(fps[s])
	}
	p.log.Info("production checksums", zap.Int("sites", len(out)), zap.Duration("took", time.Since(began)))
	return out, nil
}

// fastFingerprints is every site's fingerprint per truth store (see
// ProductionChecksums for how it differs from fleetFingerprints): one
// goroutine per database of the snapshot, and one for the media.
func (p *Platform) fastFingerprints(ctx context.Context, snap *snapshot, ex *exclusions) (siteFPs, error) {
	byDB := map[string][]truthTable{}
	var dbs []string
	for _, tt := range p.truthTables() {
		if _, ok := byDB[tt.db]; !ok {
			dbs = append(dbs, tt.db)
		}
		byDB[tt.db] = append(byDB[tt.db], tt)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parts := make([]siteFPs, len(dbs)+1)
	errs := make([]error, len(dbs)+1)
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[i], errs[i] = p.dbFingerprints(ctx, snap, byDB[db], ex)
			if errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		parts[len(dbs)] = siteFPs{}
		errs[len(dbs)] = p.mediaFingerprints(ctx, nil, "", "", ex, parts[len(dbs)])
		if errs[len(dbs)] != nil {
			cancel()
		}
	}()
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := siteFPs{}
	for _, part := range parts {
		for site, stores := range part {
			for store, sf := range stores {
				for table, f := range sf {
					out.add(site, store, table, f)
				}
			}
		}
	}
	return out, nil
}

// dbFingerprints reads the tables of one database, one after another, in
// its snapshot transaction.
func (p *Platform) dbFingerprints(ctx context.Context, snap *snapshot, tables []truthTable, ex *exclusions) (siteFPs, error) {
	out := siteFPs{}
	for _, tt := range tables {
		q, err := snap.q(tt.db)
		if err != nil {
			return nil, err
		}
		from := pgx.Identifier{tt.table}.Sanitize() + " t"
		var args []any
		if kx := keyExpr(tt.table); kx != "" && ex != nil && len(ex.keys(tt.table)) > 0 {
			var sites, keys []string
			for k := range ex.keys(tt.table) {
				s, key, _ := strings.Cut(k, "\x00")
				sites, keys = append(sites, s), append(keys, key)
			}
			from += fmt.Sprintf(` LEFT JOIN unnest($1::text[], $2::text[]) x(s, k) ON x.s = t.site_id AND x.k = %s`, kx)
			from += ` WHERE x.s IS NULL`
			args = []any{sites, keys}
		}
		sql := fmt.Sprintf(`SELECT site_id, count(*), coalesce(sum(hashtextextended(r, 0)), 0)::text, coalesce(sum(hashtextextended(r, 1)), 0)::text
			FROM (SELECT t.site_id, %s r FROM %s) s GROUP BY site_id`, rowExpr(tt.table), from)
		rows, err := q.Query(ctx, sql, args...)
		if err != nil {
			return nil, fmt.Errorf("checksums of %s.%s: %w", tt.db, tt.table, err)
		}
		if err := addFingerprintRows(rows, tt, out); err != nil {
			return nil, fmt.Errorf("checksums of %s.%s: %w", tt.db, tt.table, err)
		}
	}
	return out, nil
}

// siteChecksum is the MD5 over a site's non-empty stores' checksums, in
// store name order.
func siteChecksum(stores map[string]storeFP) string {
	names := make([]string, 0, len(stores))
	for s, sf := range stores {
		if sf.rows() != 0 {
			names = append(names, s)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, s := range names {
		fmt.Fprintf(&b, "%s %s\n", s, stores[s].checksum())
	}
	sum := md5.Sum([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// productionSites lists, sorted, the sites of the catalog in the snapshot
// that are not drill copies: a drill copy has restored_from set and a
// drill URL of the URL its source has (live, or else in the audit store).
func (p *Platform) productionSites(ctx context.Context, snap *snapshot) ([]string, error) {
	q, err := snap.q(schema.DBCatalog)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT s.site_id, s.url, coalesce(s.restored_from, ''),
		CASE WHEN coalesce(s.restored_from, '') = '' THEN '' ELSE
		coalesce((SELECT l.url FROM sites l WHERE l.site_id = s.restored_from),
		         (SELECT r.url FROM id_registry r WHERE r.id = s.restored_from AND r.kind = 'site'), '') END
		FROM sites s ORDER BY s.site_id`)
	if err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, u, from, orig string
		if err := rows.Scan(&id, &u, &from, &orig); err != nil {
			return nil, fmt.Errorf("list sites: %w", err)
		}
		if from != "" && orig != "" && platform.IsDrillURL(u, orig) {
			continue
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sites: %w", err)
	}
	return out, nil
}

var _ platform.Checksums = (*Platform)(nil)
