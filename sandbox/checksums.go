package sandbox

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

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
	fps, err := p.fleetFingerprints(ctx, snap, nil, ex)
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
		if from != "" && orig != "" && isDrillURL(u, orig) {
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
