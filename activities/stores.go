package activities

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
)

// Parts of stores: which action restores which tables.
//
// A table's Part (platform.Table.Part) decides; when it is empty the part
// is derived from the store's kind and the table's name:
//
//	kind catalog:  tables named *config* or *metadata*  -> "metadata"  (metadata.restore)
//	               tables named app*                   -> "apps"      (apps.reattach)
//	               every other table                   -> "site"      (catalog.undelete)
//	kind identity: users and tables named *admin*      -> "contacts"  (identity.restore_contacts)
//	               every other table                   -> "sync"      (identity.sync copies all)
//	kind flags:    every table                          (flags.restore)
//	kind product:  tables whose Product is the param    (db.restore_tenant)
//	kind derived, audit: never copied (search.reindex rebuilds derived stores)
const (
	PartSite     = "site"
	PartMetadata = "metadata"
	PartApps     = "apps"
	PartContacts = "contacts"
	PartSync     = "sync"
)

// PartOf is the part a table of a store belongs to.
func PartOf(s platform.Store, t platform.Table) string {
	if t.Part != "" {
		return t.Part
	}
	name := strings.ToLower(t.Name)
	switch s.Kind {
	case "catalog":
		switch {
		case strings.Contains(name, "config") || strings.Contains(name, "metadata"):
			return PartMetadata
		case strings.HasPrefix(name, "app"):
			return PartApps
		}
		return PartSite
	case "identity":
		if name == "users" || strings.Contains(name, "admin") {
			return PartContacts
		}
		return PartSync
	}
	return ""
}

// tablesOf returns a store's tables (in its order) for which keep is true.
func tablesOf(s platform.Store, keep func(platform.Table) bool) []platform.Table {
	var out []platform.Table
	for _, t := range s.Tables {
		if keep(t) {
			out = append(out, t)
		}
	}
	return out
}

// LiveDSN is a libpq URL of a database on a described cluster, with the
// cluster's sslmode, sslrootcert and passfile (pg.ClusterDSN); never a
// password.
func LiveDSN(c platform.Cluster, db string) string { return pg.ClusterDSN(c, db) }

// withDatabase swaps the database of a libpq URL.
func withDatabase(dsn, db string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", permanent(ErrInvalidInput, "clone DSN %q is not a libpq URL", redact(dsn))
	}
	u.Path = "/" + db
	return u.String(), nil
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "<unparsable>"
	}
	return u.Redacted()
}

// storeDSNs returns the clone and live DSNs of a store for a site: the
// clone comes from Vars[contract.CloneDSNVar(cluster)] (set by db.clone),
// checked to still be that clone (Vars[contract.CloneIDVar(cluster)]) when
// the PITR can check it: see CloneReacher.
func (a *Activities) storeDSNs(ctx context.Context, in contract.StepInput, s platform.Store) (clone, live string, err error) {
	c, ok := a.d.Description.Cluster(s.Cluster)
	if !ok {
		return "", "", permanent(ErrInvalidInput, "store %s: cluster %q is not in the platform description", s.Name, s.Cluster)
	}
	key := contract.CloneDSNVar(s.Cluster)
	raw := in.Vars[key]
	if raw == "" {
		return "", "", permanent(ErrInvalidInput, "vars %s is missing (the runbook needs a db.clone step with cluster=%s before this one)", key, s.Cluster)
	}
	if r, ok := a.d.PITR.(CloneReacher); ok {
		if id := in.Vars[contract.CloneIDVar(s.Cluster)]; id != "" {
			if raw, err = r.Reach(ctx, c, id, raw); err != nil {
				return "", "", fmt.Errorf("store %s: %w", s.Name, err)
			}
		}
	}
	clone, err = withDatabase(raw, s.Database)
	if err != nil {
		return "", "", err
	}
	return clone, LiveDSN(c, s.Database), nil
}

// storeOfKind returns the single store of a kind.
func (a *Activities) storeOfKind(kind string) (platform.Store, error) {
	ss := a.d.Description.StoresOfKind(kind)
	if len(ss) != 1 {
		return platform.Store{}, permanent(ErrInvalidInput, "platform description has %d stores of kind %q, want 1", len(ss), kind)
	}
	return ss[0], nil
}

// tenantRows reads a tenant's rows of one table as JSON objects (column ->
// value), ordered by their text form: one call (see Activities.call) on a
// connection with the restore's session limits.
func (a *Activities) tenantRows(ctx context.Context, dsn string, s platform.Store, table, siteID string) (out []map[string]any, err error) {
	err = a.call(ctx, func(ctx context.Context) (err error) {
		out, err = readTenantRows(ctx, a.d.Pools, dsn, s, table, siteID)
		return err
	})
	return out, err
}

func readTenantRows(ctx context.Context, pools *pg.Pools, dsn string, s platform.Store, table, siteID string) ([]map[string]any, error) {
	var t platform.Table
	found := false
	for _, x := range s.Tables {
		if x.Name == table {
			t, found = x, true
		}
	}
	if !found {
		t = platform.Table{Name: table}
	}
	conn, err := pools.Acquire(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	q := fmt.Sprintf(`SELECT to_jsonb(t) FROM %s t WHERE %s = $1 ORDER BY t::text`,
		pgx.Identifier{t.Name}.Sanitize(), pgx.Identifier{s.TenantColumnOf(t)}.Sanitize())
	rows, err := conn.Query(ctx, q, siteID)
	if err != nil {
		return nil, fmt.Errorf("read %s.%s of site %s: %w", s.Name, t.Name, siteID, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[map[string]any])
	if err != nil {
		return nil, fmt.Errorf("read %s.%s of site %s: %w", s.Name, t.Name, siteID, err)
	}
	return out, nil
}

func str(m map[string]any, k string) string {
	if v, ok := m[k]; ok && v != nil {
		return fmt.Sprint(v)
	}
	return ""
}
