package sandbox

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/sandbox/schema"
)

// A drill copy is a site restored under a new ID into an isolated copy
// while the site itself stays live (activities: catalog.create_site with
// Drill): its catalog row has restored_from set to the site it copies and a
// URL whose host is "drill-<batch>-" ahead of the site's own host. Its URL
// and its app installations (app IDs stay with the live site; vendors are
// not told) differ from the truth by design, so verification leaves exactly
// those two out, and nothing else.

// drillTablesLeftOut are the truth tables a drill copy is not compared on.
var drillTablesLeftOut = map[string]bool{"app_installations": true}

// drillOf reports whether asSite is a drill copy of site and, if so, the
// URL the site has (the live one, else the one registered in the audit
// store): the URL its truth holds.
func (p *Platform) drillOf(ctx context.Context, site, asSite string) (siteURL string, ok bool, err error) {
	if asSite == site {
		return "", false, nil
	}
	cat, err := p.Pool(ctx, schema.DBCatalog)
	if err != nil {
		return "", false, err
	}
	var u, from, orig string
	err = cat.QueryRow(ctx, `SELECT s.url, coalesce(s.restored_from, ''),
		coalesce((SELECT l.url FROM sites l WHERE l.site_id = $2),
		         (SELECT r.url FROM id_registry r WHERE r.id = $2 AND r.kind = 'site'), '')
		FROM sites s WHERE s.site_id = $1`, asSite, site).Scan(&u, &from, &orig)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	if from != site || orig == "" || !platform.IsDrillURL(u, orig) {
		return "", false, nil
	}
	return orig, true, nil
}
