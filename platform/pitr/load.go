package pitr

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
)

// LoadRequest asks Load to copy one tenant of one store from a clone into
// the live store.
type LoadRequest struct {
	Store platform.Store
	// SiteID is the tenant to copy (its ID in the clone).
	SiteID string
	// AsSiteID, when set and different from SiteID, loads the rows under
	// this new ID (Restore 1, drills): the tenant column takes the new ID
	// and every RemapColumns column has the old ID replaced by the new one.
	// The old site's live rows are never written.
	AsSiteID string
	// Product, when set, copies only the tables of that product
	// (platform.Table.Product) plus tables with no product.
	Product string
	// SkipTables are tables already done (from the activity's heartbeat
	// details): they are not copied again.
	SkipTables []string
	// AlwaysMerge turns the direct path off: every table goes through the
	// temp table and INSERT ... ON CONFLICT DO NOTHING.
	AlwaysMerge bool
	// OnProgress is called after each table is committed, and while a
	// table's rows stream from the clone (for every 256 KiB of COPY data),
	// so that a caller can heartbeat the copy's progress and tell a moving
	// copy from a stuck one. It may be called from another goroutine than
	// Load's, never from two at once.
	OnProgress func(Progress)
}

// Progress is what Load reports after each committed table; an activity
// records it as heartbeat details and passes TablesDone back as SkipTables
// when it is retried.
type Progress struct {
	Store      string   `json:"store"`
	TablesDone []string `json:"tables_done"`
	TablesAll  int      `json:"tables_all"`
	// Rows read from the clone and rows inserted into the live store (rows
	// already there are kept, not counted as inserted) so far, in committed
	// tables.
	Rows     int64 `json:"rows"`
	Inserted int64 `json:"inserted"`
	// Copying is the table whose rows are streaming now ("" between
	// tables); Bytes counts the COPY data streamed so far, every table
	// (committed or not) included.
	Copying string `json:"copying,omitempty"`
	Bytes   int64  `json:"bytes,omitempty"`
}

// TableResult is one table's outcome.
type TableResult struct {
	Table string `json:"table"`
	// Rows copied from the clone; Inserted into the live table (the rest
	// were there already: a rerun, or rows that survived).
	Rows     int64 `json:"rows"`
	Inserted int64 `json:"inserted"`
	Skipped  bool  `json:"skipped,omitempty"`
	// Path is "direct" (COPY into the live table: the tenant had no row
	// there) or "merge" (temp table + INSERT ... ON CONFLICT DO NOTHING).
	Path    string  `json:"path,omitempty"`
	Seconds float64 `json:"seconds"`
}

// LoadResult is Load's answer.
type LoadResult struct {
	Store    string        `json:"store"`
	Tables   []TableResult `json:"tables"`
	Rows     int64         `json:"rows"`
	Inserted int64         `json:"inserted"`
	Seconds  float64       `json:"seconds"`
}

// Load copies one tenant's rows from src (a connection to the store's
// database on a clone) into dst (the live store's database), table by table
// in the store's foreign-key order (parents first).
//
// Per table, in one transaction: binary COPY of the tenant's rows out of the
// clone (remapped there when AsSiteID is set), piped into binary COPY FROM
// STDIN into a temporary table, then INSERT INTO live SELECT ... FROM temp
// ON CONFLICT DO NOTHING (the merge path). When the tenant has no row at all
// in the live table (a deleted site, a new ID), the rows are copied straight
// into the live table instead (the direct path, about 1.5 times faster; a
// concurrent conflicting write makes it fail and the retry merges).
//
// Why a transaction per table rather than one per store: a killed worker
// resumes after the last committed table (Progress.TablesDone passed back as
// SkipTables) instead of starting over; each table's transaction is
// idempotent on its own (ON CONFLICT DO NOTHING keeps what is there), so a
// rerun of a half-done table, or of everything, changes nothing. Parents
// commit before their children, so foreign keys hold at every commit. The
// tenant being restored is deleted or is a new ID, so nobody depends on
// seeing it whole before the load ends.
//
// Other tenants are never read or written: every statement is filtered on
// the tenant column; on a remap the old tenant's live rows are not written.
// Rows the tenant wrote after the restore point are kept: they conflict and
// stay as they are. A failure mid-copy may leave src closed (pgx closes a
// connection whose COPY is interrupted): use fresh connections to resume.
func Load(ctx context.Context, src, dst *pgx.Conn, req LoadRequest) (LoadResult, error) {
	res, err := load(ctx, src, dst, req)
	return res, surface(err)
}

func load(ctx context.Context, src, dst *pgx.Conn, req LoadRequest) (LoadResult, error) {
	began := time.Now()
	res := LoadResult{Store: req.Store.Name}
	if err := ValidateLoad(req); err != nil {
		return res, err
	}
	skip := map[string]bool{}
	for _, t := range req.SkipTables {
		skip[t] = true
	}
	tables := tablesFor(req.Store, req.Product)
	prog := Progress{Store: req.Store.Name, TablesAll: len(tables)}
	report := func() {
		if req.OnProgress != nil {
			p := prog
			p.TablesDone = append([]string(nil), prog.TablesDone...)
			req.OnProgress(p)
		}
	}
	for _, t := range tables {
		if skip[t.Name] {
			res.Tables = append(res.Tables, TableResult{Table: t.Name, Skipped: true})
			prog.TablesDone = append(prog.TablesDone, t.Name)
			continue
		}
		// Called from pipeCopy's goroutine, which has ended before
		// loadTable returns.
		streamed := func(n int64) {
			prog.Copying = t.Name
			prog.Bytes += n
			report()
		}
		tr, err := loadTable(ctx, src, dst, req, t, streamed)
		if err != nil {
			return res, fmt.Errorf("load site %s store %s table %s: %w", req.SiteID, req.Store.Name, t.Name, err)
		}
		res.Tables = append(res.Tables, tr)
		res.Rows += tr.Rows
		res.Inserted += tr.Inserted
		prog.TablesDone = append(prog.TablesDone, t.Name)
		prog.Rows, prog.Inserted, prog.Copying = res.Rows, res.Inserted, ""
		report()
	}
	res.Seconds = time.Since(began).Seconds()
	return res, nil
}

// LoadDSN is Load with its own connections: srcDSN reaches the store's
// database on the clone, dstDSN the live store's database.
func LoadDSN(ctx context.Context, srcDSN, dstDSN string, req LoadRequest) (LoadResult, error) {
	if err := ValidateLoad(req); err != nil {
		return LoadResult{Store: req.Store.Name}, err
	}
	src, err := pg.OpenForRestore(ctx, srcDSN)
	if err != nil {
		return LoadResult{Store: req.Store.Name}, fmt.Errorf("load site %s store %s: clone: %w", req.SiteID, req.Store.Name, err)
	}
	defer src.Close(context.Background())
	dst, err := pg.OpenForRestore(ctx, dstDSN)
	if err != nil {
		return LoadResult{Store: req.Store.Name}, fmt.Errorf("load site %s store %s: live store: %w", req.SiteID, req.Store.Name, err)
	}
	defer dst.Close(context.Background())
	return Load(ctx, src, dst, req)
}

// ValidateLoad reports everything wrong with a load request, before any
// connection is made.
func ValidateLoad(req LoadRequest) error {
	var problems []string
	if req.Store.Name == "" {
		problems = append(problems, "store name is empty")
	}
	if strings.TrimSpace(req.SiteID) == "" {
		problems = append(problems, "site ID is empty")
	}
	if len(req.Store.Tables) == 0 {
		problems = append(problems, "store has no tables")
	}
	for _, t := range req.Store.Tables {
		if req.Store.TenantColumnOf(t) == "" {
			problems = append(problems, fmt.Sprintf("table %s has no tenant column", t.Name))
		}
	}
	if req.Product != "" && len(tablesFor(req.Store, req.Product)) == 0 {
		problems = append(problems, fmt.Sprintf("store %s has no table of product %q", req.Store.Name, req.Product))
	}
	if len(problems) > 0 {
		return refuse("load site %s into store %s: %s", req.SiteID, req.Store.Name, strings.Join(problems, "; "))
	}
	return nil
}

// tablesFor returns the store's tables (of one product, when given) in order.
func tablesFor(s platform.Store, product string) []platform.Table {
	var out []platform.Table
	for _, t := range s.Tables {
		if product == "" || t.Product == "" || t.Product == product {
			out = append(out, t)
		}
	}
	return out
}

// column is one column of a live table.
type column struct {
	name    string
	typ     string // format_type
	isText  bool
	isJSON  string // "json" or "jsonb" or ""
	ordinal int
}

// tableColumns reads a table's columns (not dropped, not generated).
func tableColumns(ctx context.Context, q querier, table string) ([]column, error) {
	rows, err := q.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typcategory = 'S', t.typname, a.attnum
		FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
		ORDER BY a.attnum`, quoteTable(table))
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	defer rows.Close()
	var cols []column
	for rows.Next() {
		var c column
		var typname string
		if err := rows.Scan(&c.name, &c.typ, &c.isText, &typname, &c.ordinal); err != nil {
			return nil, err
		}
		if typname == "json" || typname == "jsonb" {
			c.isJSON = typname
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("table %s has no columns", table)
	}
	return cols, nil
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// quoteTable quotes a possibly schema-qualified table name.
func quoteTable(name string) string {
	return pgx.Identifier(strings.Split(name, ".")).Sanitize()
}

func ident(s string) string { return pgx.Identifier{s}.Sanitize() }

// literal quotes a string literal (COPY takes no parameters).
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func loadTable(ctx context.Context, src, dst *pgx.Conn, req LoadRequest, t platform.Table, streamed func(int64)) (TableResult, error) {
	began := time.Now()
	tr := TableResult{Table: t.Name}
	tenant := req.Store.TenantColumnOf(t)
	cols, err := tableColumns(ctx, dst, t.Name)
	if err != nil {
		return tr, err
	}
	// Columns the live table gained after the restore point are not in
	// the clone: they take their defaults. A column the clone has and the
	// live table lost is not copied.
	srcCols, err := tableColumns(ctx, src, t.Name)
	if err != nil {
		return tr, fmt.Errorf("clone: %w", err)
	}
	inSrc := map[string]string{}
	for _, c := range srcCols {
		inSrc[c.name] = c.typ
	}
	kept := cols[:0:0]
	for _, c := range cols {
		typ, ok := inSrc[c.name]
		if !ok {
			continue
		}
		if typ != c.typ {
			return tr, refuse("table %s: column %s is %s in the clone but %s live", t.Name, c.name, typ, c.typ)
		}
		kept = append(kept, c)
	}
	cols = kept
	byName := map[string]column{}
	for _, c := range cols {
		byName[c.name] = c
	}
	tc, ok := byName[tenant]
	if !ok {
		return tr, refuse("table %s has no tenant column %q", t.Name, tenant)
	}
	remap := req.AsSiteID != "" && req.AsSiteID != req.SiteID
	remapCols := map[string]bool{}
	if remap {
		for _, rc := range t.RemapColumns {
			c, ok := byName[rc]
			if !ok {
				return tr, refuse("table %s: remap column %q does not exist", t.Name, rc)
			}
			if !c.isText && c.isJSON == "" {
				return tr, refuse("table %s: remap column %q is %s, not text or JSON", t.Name, rc, c.typ)
			}
			remapCols[rc] = true
		}
	}
	// The remap happens on the clone's side, in the SELECT that COPY runs,
	// so both paths below load rows exactly as they must land.
	names := make([]string, len(cols))
	selects := make([]string, len(cols))
	oldID, newID := literal(req.SiteID), literal(target(req))
	for i, c := range cols {
		names[i] = ident(c.name)
		switch {
		case remap && c.name == tenant:
			selects[i] = newID + "::" + c.typ
		case remapCols[c.name] && c.isJSON != "":
			selects[i] = fmt.Sprintf("replace(%s::text, %s, %s)::%s", ident(c.name), oldID, newID, c.isJSON)
		case remapCols[c.name]:
			selects[i] = fmt.Sprintf("replace(%s, %s, %s)", ident(c.name), oldID, newID)
		default:
			selects[i] = ident(c.name)
		}
	}
	colList := strings.Join(names, ", ")
	copyOut := fmt.Sprintf("COPY (SELECT %s FROM %s WHERE %s = %s::%s) TO STDOUT (FORMAT binary)",
		strings.Join(selects, ", "), quoteTable(t.Name), ident(tenant), oldID, tc.typ)

	tx, err := dst.Begin(ctx)
	if err != nil {
		return tr, err
	}
	defer func() { _ = tx.Rollback(context.Background()) }()

	// Direct path: the target tenant has no row in this table (a deleted
	// site, a new ID, a first run): COPY straight into the live table, in
	// this transaction. A row written concurrently with the same key makes
	// the COPY fail and the transaction roll back; the retry then sees rows
	// and takes the merge path. The result is the same as the merge's.
	var present bool
	if !req.AlwaysMerge {
		if err := tx.QueryRow(ctx, fmt.Sprintf("SELECT EXISTS (SELECT 1 FROM %s WHERE %s = $1::%s)",
			quoteTable(t.Name), ident(tenant), tc.typ), target(req)).Scan(&present); err != nil {
			return tr, fmt.Errorf("look for the tenant's rows: %w", err)
		}
	}
	if !req.AlwaysMerge && !present {
		tr.Path = "direct"
		rows, err := pipeCopy(ctx, src.PgConn(), dst.PgConn(), copyOut,
			fmt.Sprintf("COPY %s (%s) FROM STDIN (FORMAT binary)", quoteTable(t.Name), colList), streamed)
		if err != nil {
			return tr, err
		}
		tr.Rows, tr.Inserted = rows, rows
	} else {
		// Merge path: through a temp table (no WAL, no constraints, dropped
		// at commit) and INSERT ... ON CONFLICT DO NOTHING, which keeps
		// every row already there (a rerun, or rows written after the
		// restore point).
		tr.Path = "merge"
		tmp := ident("lazarus_load_" + strings.ReplaceAll(t.Name, ".", "_"))
		if _, err := tx.Exec(ctx, fmt.Sprintf("CREATE TEMP TABLE %s ON COMMIT DROP AS SELECT %s FROM %s WITH NO DATA",
			tmp, colList, quoteTable(t.Name))); err != nil {
			return tr, fmt.Errorf("temp table: %w", err)
		}
		rows, err := pipeCopy(ctx, src.PgConn(), dst.PgConn(), copyOut,
			fmt.Sprintf("COPY %s (%s) FROM STDIN (FORMAT binary)", tmp, colList), streamed)
		if err != nil {
			return tr, err
		}
		tr.Rows = rows
		tag, err := tx.Exec(ctx, fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s ON CONFLICT DO NOTHING",
			quoteTable(t.Name), colList, colList, tmp))
		if err != nil {
			return tr, fmt.Errorf("insert from temp table: %w", err)
		}
		tr.Inserted = tag.RowsAffected()
	}
	if err := tx.Commit(ctx); err != nil {
		return tr, fmt.Errorf("commit: %w", err)
	}
	tr.Seconds = time.Since(began).Seconds()
	return tr, nil
}

// target is the ID the rows land under.
func target(req LoadRequest) string {
	if req.AsSiteID != "" {
		return req.AsSiteID
	}
	return req.SiteID
}

// pipeCopy streams COPY TO STDOUT on src into COPY FROM STDIN on dst and
// returns the number of rows. streamed (when not nil) is told the size of
// every chunk (up to 256 KiB) handed to dst, from pipeCopy's goroutine.
func pipeCopy(ctx context.Context, src, dst *pgconn.PgConn, copyOut, copyIn string, streamed func(int64)) (int64, error) {
	pr, pw := io.Pipe()
	outErr := make(chan error, 1)
	var outRows int64
	go func() {
		// Batch the clone's one-message-per-row output into large writes.
		bw := bufio.NewWriterSize(countingWriter{pw, streamed}, 256<<10)
		tag, err := src.CopyTo(ctx, bw, copyOut)
		if err == nil {
			outRows = tag.RowsAffected()
			err = bw.Flush()
		}
		_ = pw.CloseWithError(err)
		outErr <- err
	}()
	tag, inErr := dst.CopyFrom(ctx, pr, copyIn)
	_ = pr.CloseWithError(errors.New("copy into live store ended"))
	oErr := <-outErr
	if oErr != nil {
		return 0, fmt.Errorf("copy out of clone: %w", oErr)
	}
	if inErr != nil {
		return 0, fmt.Errorf("copy into temp table: %w", inErr)
	}
	if tag.RowsAffected() != outRows {
		return 0, fmt.Errorf("copied %d rows out of the clone but %d into the temp table", outRows, tag.RowsAffected())
	}
	return outRows, nil
}

// countingWriter tells n about the size of every write that succeeded.
type countingWriter struct {
	w io.Writer
	n func(int64)
}

func (c countingWriter) Write(p []byte) (int, error) {
	k, err := c.w.Write(p)
	if k > 0 && c.n != nil {
		c.n(int64(k))
	}
	return k, err
}
