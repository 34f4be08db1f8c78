package pitr

import (
	"context"
	"fmt"
	"strings"

	"github.com/lazarus-dr/lazarus/platform"
)

// Querier is what TenantChecksum needs: *pgx.Conn, *pgxpool.Pool and pgx.Tx
// all fit.
type Querier = querier

// TableChecksum is one table's canonical checksum for one tenant.
type TableChecksum struct {
	Table string `json:"table"`
	Rows  int64  `json:"rows"`
	MD5   string `json:"md5"`
}

// Checksum is a tenant's canonical checksum over a store's tables.
type Checksum struct {
	Store  string          `json:"store"`
	Tables []TableChecksum `json:"tables"`
}

// Rows is the total row count.
func (c Checksum) Rows() int64 {
	var n int64
	for _, t := range c.Tables {
		n += t.Rows
	}
	return n
}

// Diff names every table whose rows or checksum differ (empty: equal).
func (c Checksum) Diff(other Checksum) []string {
	byName := map[string]TableChecksum{}
	for _, t := range other.Tables {
		byName[t.Table] = t
	}
	var out []string
	for _, t := range c.Tables {
		o, ok := byName[t.Table]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s.%s: missing on the other side", c.Store, t.Table))
		case t.Rows != o.Rows:
			out = append(out, fmt.Sprintf("%s.%s: %d rows vs %d", c.Store, t.Table, t.Rows, o.Rows))
		case t.MD5 != o.MD5:
			out = append(out, fmt.Sprintf("%s.%s: same %d rows, different contents (md5 %s vs %s)", c.Store, t.Table, t.Rows, t.MD5, o.MD5))
		}
		delete(byName, t.Table)
	}
	for _, o := range other.Tables {
		if _, ok := byName[o.Table]; ok {
			out = append(out, fmt.Sprintf("%s.%s: missing on this side", c.Store, o.Table))
		}
	}
	return out
}

// TenantChecksum computes, for every table of the store, the number of
// siteID's rows and the md5 of their text, ordered by primary key, as if they
// belonged to asSiteID: the tenant column reads asSiteID and every remap
// column has siteID replaced by asSiteID (JSON re-normalised). So the
// checksum of the old site on a clone with asSiteID = the new ID equals the
// checksum of the remapped copy on the live store (with siteID = asSiteID =
// the new ID). asSiteID "" means siteID.
func TenantChecksum(ctx context.Context, conn Querier, store platform.Store, siteID, asSiteID string) (Checksum, error) {
	sum, err := tenantChecksum(ctx, conn, store, siteID, asSiteID)
	return sum, surface(err)
}

func tenantChecksum(ctx context.Context, conn Querier, store platform.Store, siteID, asSiteID string) (Checksum, error) {
	if asSiteID == "" {
		asSiteID = siteID
	}
	sum := Checksum{Store: store.Name}
	if siteID == "" {
		return sum, refuse("checksum of store %s: site ID is empty", store.Name)
	}
	for _, t := range store.Tables {
		tc, err := tableChecksum(ctx, conn, store, t, siteID, asSiteID)
		if err != nil {
			return sum, fmt.Errorf("checksum of site %s in %s.%s: %w", siteID, store.Name, t.Name, err)
		}
		sum.Tables = append(sum.Tables, tc)
	}
	return sum, nil
}

func tableChecksum(ctx context.Context, conn Querier, store platform.Store, t platform.Table, siteID, asSiteID string) (TableChecksum, error) {
	tenant := store.TenantColumnOf(t)
	cols, err := tableColumns(ctx, conn, t.Name)
	if err != nil {
		return TableChecksum{}, err
	}
	exprs, list, tenantType := remappedColumns(cols, tenant, t)
	if tenantType == "" {
		return TableChecksum{}, refuse("table %s has no tenant column %q", t.Name, tenant)
	}
	pk, err := primaryKey(ctx, conn, t.Name)
	if err != nil {
		return TableChecksum{}, err
	}
	rowExpr := "ROW(" + strings.Join(list, ", ") + ")::text"
	var order []string
	for _, k := range pk {
		order = append(order, exprs[k])
	}
	if len(order) == 0 {
		order = []string{rowExpr}
	}
	q := fmt.Sprintf(`SELECT count(*), coalesce(md5(string_agg(%s, E'\n' ORDER BY %s)), '')
		FROM %s WHERE %s = $1::%s`, rowExpr, strings.Join(order, ", "), quoteTable(t.Name), ident(tenant), tenantType)
	tc := TableChecksum{Table: t.Name}
	if err := conn.QueryRow(ctx, q, siteID, asSiteID).Scan(&tc.Rows, &tc.MD5); err != nil {
		return tc, err
	}
	return tc, nil
}

// primaryKey returns a table's primary key columns in key order.
func primaryKey(ctx context.Context, conn Querier, table string) ([]string, error) {
	rows, err := conn.Query(ctx, `SELECT a.attname FROM pg_index i
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
		WHERE i.indrelid = $1::regclass AND i.indisprimary
		ORDER BY array_position(i.indkey::int2[], a.attnum)`, quoteTable(table))
	if err != nil {
		return nil, fmt.Errorf("primary key of %s: %w", table, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
