package pitr

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/lazarus-dr/lazarus/platform"
)

// TableComparison is one table of one tenant compared row by row between a
// restore point's clone and the live store (see CompareTenantTable).
type TableComparison struct {
	Table string `json:"table"`
	// Rows the tenant had at the point (in the clone).
	Rows int64 `json:"rows"`
	// Missing rows of the point have no live row with their key; Differ
	// rows have one with other contents.
	Missing int64 `json:"missing"`
	Differ  int64 `json:"differ"`
	// Extra live rows have no row of the point with their key: written
	// since the point.
	Extra int64 `json:"extra"`
	// Keys are the primary keys (tenant column left out) of the first
	// missing or differing rows, at most MaxKeys.
	Keys []string `json:"keys,omitempty"`
}

// MaxKeys is how many keys of bad rows a TableComparison names.
const MaxKeys = 3

// OK says whether every row of the point is live and equal.
func (c TableComparison) OK() bool { return c.Missing == 0 && c.Differ == 0 }

// CompareTenantTable compares, row by row, the rows of siteID in table t of
// a store in clone with the rows of asSiteID in live, the clone's rows read
// as if they belonged to asSiteID (the remap of TenantChecksum and Load).
// Rows are matched by primary key (by their whole text when the table has
// none) and compared on the columns both sides have: a column the live
// table gained since the point is not compared (the restore gives it its
// default). Both sides stream sorted by key, so memory does not grow with
// the tenant. asSiteID "" means siteID.
func CompareTenantTable(ctx context.Context, clone, live Querier, store platform.Store, t platform.Table, siteID, asSiteID string) (TableComparison, error) {
	c, err := compareTenantTable(ctx, clone, live, store, t, siteID, asSiteID)
	if err != nil {
		return c, surface(fmt.Errorf("compare site %s in %s.%s: %w", siteID, store.Name, t.Name, err))
	}
	return c, nil
}

func compareTenantTable(ctx context.Context, clone, live Querier, store platform.Store, t platform.Table, siteID, asSiteID string) (TableComparison, error) {
	out := TableComparison{Table: t.Name}
	if asSiteID == "" {
		asSiteID = siteID
	}
	if siteID == "" {
		return out, refuse("site ID is empty")
	}
	cols, err := commonColumns(ctx, clone, live, t.Name)
	if err != nil {
		return out, err
	}
	pk, err := primaryKey(ctx, live, t.Name)
	if err != nil {
		return out, err
	}
	tenant := store.TenantColumnOf(t)
	q, err := rowSumsQuery(cols, pk, tenant, t)
	if err != nil {
		return out, err
	}
	cr, err := clone.Query(ctx, q, siteID, asSiteID)
	if err != nil {
		return out, fmt.Errorf("clone: %w", err)
	}
	defer cr.Close()
	lr, err := live.Query(ctx, q, asSiteID, asSiteID)
	if err != nil {
		return out, fmt.Errorf("live: %w", err)
	}
	defer lr.Close()
	if err := mergeRowSums(cr, lr, &out); err != nil {
		return out, err
	}
	return out, nil
}

// commonColumns are the live table's columns that the clone's table has
// too, with the same type.
func commonColumns(ctx context.Context, clone, live Querier, table string) ([]column, error) {
	lcols, err := tableColumns(ctx, live, table)
	if err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	ccols, err := tableColumns(ctx, clone, table)
	if err != nil {
		return nil, fmt.Errorf("clone: %w", err)
	}
	inClone := map[string]string{}
	for _, c := range ccols {
		inClone[c.name] = c.typ
	}
	var out []column
	for _, c := range lcols {
		typ, ok := inClone[c.name]
		if !ok {
			continue
		}
		if typ != c.typ {
			return nil, refuse("table %s: column %s is %s in the clone but %s live", table, c.name, typ, c.typ)
		}
		out = append(out, c)
	}
	return out, nil
}

// rowSumsQuery selects, for the tenant $1 read as $2, each row's key (its
// primary key's text, tenant column left out) and the md5 of its text,
// ordered by key in byte order (COLLATE "C", the order Go compares strings
// in), so that two sides can be merged.
func rowSumsQuery(cols []column, pk []string, tenant string, t platform.Table) (string, error) {
	exprs, list, tenantType := remappedColumns(cols, tenant, t)
	if tenantType == "" {
		return "", refuse("table %s has no tenant column %q", t.Name, tenant)
	}
	rowExpr := "ROW(" + strings.Join(list, ", ") + ")::text"
	var key []string
	for _, k := range pk {
		if k != tenant {
			key = append(key, exprs[k])
		}
	}
	keyExpr := rowExpr
	if len(pk) > 0 {
		keyExpr = "ROW(" + strings.Join(key, ", ") + ")::text"
	}
	return fmt.Sprintf(`SELECT k, md5(r) FROM (SELECT (%s) COLLATE "C" AS k, %s AS r FROM %s WHERE %s = $1::%s) s ORDER BY k`,
		keyExpr, rowExpr, quoteTable(t.Name), ident(tenant), tenantType), nil
}

// remappedColumns are the SQL expressions of a table's columns for tenant
// $1 read as tenant $2: the tenant column is $2, every remap column has $1
// replaced by $2 (JSON parsed again), the others are themselves. exprs maps
// a column to its expression, list is them in column order, and tenantType
// is the tenant column's type ("" when the table has no tenant column).
func remappedColumns(cols []column, tenant string, t platform.Table) (exprs map[string]string, list []string, tenantType string) {
	remap := map[string]bool{}
	for _, c := range t.RemapColumns {
		remap[c] = true
	}
	exprs = map[string]string{}
	for _, c := range cols {
		var e string
		switch {
		case c.name == tenant:
			tenantType = c.typ
			e = "$2::" + c.typ
		case remap[c.name] && c.isJSON != "":
			e = fmt.Sprintf("replace(%s::text, $1, $2)::%s", ident(c.name), c.isJSON)
		case remap[c.name]:
			e = fmt.Sprintf("replace(%s::text, $1, $2)", ident(c.name))
		default:
			e = ident(c.name)
		}
		exprs[c.name] = e
		list = append(list, e)
	}
	return exprs, list, tenantType
}

// rowSum is one row of a rowSumsQuery.
type rowSum struct {
	key, sum string
	ok       bool
}

func nextSum(rows pgx.Rows) (rowSum, error) {
	if !rows.Next() {
		return rowSum{}, rows.Err()
	}
	var r rowSum
	if err := rows.Scan(&r.key, &r.sum); err != nil {
		return r, err
	}
	r.ok = true
	return r, nil
}

// mergeRowSums walks the clone's and the live store's rows, both sorted by
// key, and counts into out.
func mergeRowSums(clone, live pgx.Rows, out *TableComparison) error {
	c, err := nextSum(clone)
	if err != nil {
		return fmt.Errorf("clone: %w", err)
	}
	l, err := nextSum(live)
	if err != nil {
		return fmt.Errorf("live: %w", err)
	}
	bad := func(key string) {
		if len(out.Keys) < MaxKeys {
			out.Keys = append(out.Keys, key)
		}
	}
	for c.ok || l.ok {
		advanceClone, advanceLive := false, false
		switch {
		case !l.ok || (c.ok && c.key < l.key):
			out.Rows++
			out.Missing++
			bad(c.key)
			advanceClone = true
		case !c.ok || l.key < c.key:
			out.Extra++
			advanceLive = true
		default:
			out.Rows++
			if c.sum != l.sum {
				out.Differ++
				bad(c.key)
			}
			advanceClone, advanceLive = true, true
		}
		if advanceClone {
			if c, err = nextSum(clone); err != nil {
				return fmt.Errorf("clone: %w", err)
			}
		}
		if advanceLive {
			if l, err = nextSum(live); err != nil {
				return fmt.Errorf("live: %w", err)
			}
		}
	}
	return nil
}
