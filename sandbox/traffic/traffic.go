// Package traffic is the sandbox's live-traffic generator: while a restore
// runs, it writes to tenants that were NOT deleted (new Jira and Confluence
// comments, new Opsgenie alerts, new users) at a configurable rate, bounded
// in count and time, and logs every row it writes in the sandbox database's
// traffic_log, so that verification can tell its writes from damage.
//
// It must never write to an excluded site, nor to a site that is deleted,
// being deleted, or was ever deleted (a site under restore); never update or
// delete an existing row; never commit a row it has not logged; and never
// use a row ID that a seeded row could have (IDs come from the sandbox's
// traffic_row_id sequence, from RowIDBase up).
package traffic

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
)

// Config says where and how much to write.
type Config struct {
	// CatalogDSN lists the live sites and their placements; identity rows
	// are written there too (IdentityDSN when set).
	CatalogDSN  string
	IdentityDSN string
	// Shards are the product shard databases by store name.
	Shards map[string]string
	// SandboxDSN holds traffic_log.
	SandboxDSN string
	// Exclude are site IDs never to touch (the deleted sites, the sites
	// under restore).
	Exclude []string
	// Rate is writes per second (> 0).
	Rate float64
	// Duration bounds the run in time (> 0).
	Duration time.Duration
	// MaxWrites bounds the run in count (0: Rate x Duration).
	MaxWrites int
	// Seed makes the choice of sites and kinds deterministic.
	Seed   int64
	Logger *zap.Logger
}

// Validate lists every problem of the config.
func (c *Config) Validate() error {
	var errs *multierror.Error
	if c.CatalogDSN == "" {
		errs = multierror.Append(errs, errors.New("traffic: CatalogDSN is empty"))
	}
	if c.SandboxDSN == "" {
		errs = multierror.Append(errs, errors.New("traffic: SandboxDSN is empty"))
	}
	if len(c.Shards) == 0 {
		errs = multierror.Append(errs, errors.New("traffic: no product shards"))
	}
	if c.Rate <= 0 || c.Rate > 10_000 {
		errs = multierror.Append(errs, fmt.Errorf("traffic: rate %v is not in (0, 10000] writes per second", c.Rate))
	}
	if c.Duration <= 0 {
		errs = multierror.Append(errs, fmt.Errorf("traffic: duration %s is not positive", c.Duration))
	}
	if c.MaxWrites < 0 {
		errs = multierror.Append(errs, fmt.Errorf("traffic: max writes %d is negative", c.MaxWrites))
	}
	return errs.ErrorOrNil()
}

// FromDescription fills the DSNs of a config from a platform description:
// the catalog and identity stores, every product shard, and the "sandbox"
// database on the catalog's cluster.
func FromDescription(d *platform.Description) (Config, error) {
	var c Config
	dsn := func(s platform.Store) (string, error) {
		cl, ok := d.Cluster(s.Cluster)
		if !ok {
			return "", fmt.Errorf("traffic: store %s: cluster %s is not described", s.Name, s.Cluster)
		}
		return pg.ClusterDSN(cl, s.Database), nil
	}
	cat := d.StoresOfKind("catalog")
	if len(cat) == 0 {
		return c, errors.New("traffic: the platform description has no catalog store")
	}
	var err error
	if c.CatalogDSN, err = dsn(cat[0]); err != nil {
		return c, err
	}
	sb := cat[0]
	sb.Database = "sandbox"
	if c.SandboxDSN, err = dsn(sb); err != nil {
		return c, err
	}
	if id := d.StoresOfKind("identity"); len(id) > 0 {
		if c.IdentityDSN, err = dsn(id[0]); err != nil {
			return c, err
		}
	}
	c.Shards = map[string]string{}
	for _, s := range d.StoresOfKind("product") {
		if c.Shards[s.Name], err = dsn(s); err != nil {
			return c, err
		}
	}
	return c, nil
}

// Result sums up a run.
type Result struct {
	Writes  int            `json:"writes"`
	Sites   int            `json:"sites"`
	ByTable map[string]int `json:"by_table"`
	Skipped int            `json:"skipped"` // picks with nothing to attach a row to
	Elapsed time.Duration  `json:"elapsed"`
	// Rate is the achieved writes per second.
	Rate float64 `json:"rate"`
}

// target is a live site that may receive traffic, with its product shards.
type target struct {
	site   string
	stores map[string]string // product -> store
}

// kinds of writes, each on one table.
var kinds = []struct {
	table, product string
}{
	{"jira_comments", "jira"},
	{"conf_comments", "confluence"},
	{"og_alerts", "opsgenie"},
	{"users", ""},
}

// RowIDBase is the first row ID the traffic uses: far above any seeded ID,
// so a logged traffic row can never name a seeded row.
const RowIDBase int64 = 1_000_000_000_000

// rowIDSequence gives traffic row IDs, unique across tables, sites and runs.
const rowIDSequence = "traffic_row_id"

type runner struct {
	cfg      Config
	log      *zap.Logger
	catalog  *pgxpool.Pool
	identity *pgxpool.Pool
	sandbox  *pgxpool.Pool
	shards   map[string]*pgxpool.Pool
	rng      *rand.Rand
	// gone are targets found deleted, not active or once deleted.
	gone map[string]bool
}

// Run writes until Duration passes, MaxWrites rows are written or ctx ends
// (ending early is not an error). Every row is logged before its
// transaction commits; a site that stops being active (deleted by the
// disaster while the run goes on) is dropped, not an error.
func Run(ctx context.Context, cfg Config) (Result, error) {
	var res Result
	if err := cfg.Validate(); err != nil {
		return res, err
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.IdentityDSN == "" {
		cfg.IdentityDSN = cfg.CatalogDSN
	}
	if cfg.MaxWrites == 0 {
		cfg.MaxWrites = int(cfg.Rate*cfg.Duration.Seconds() + 0.5)
		if cfg.MaxWrites == 0 {
			cfg.MaxWrites = 1
		}
	}
	r := &runner{cfg: cfg, log: cfg.Logger.Named("traffic"), shards: map[string]*pgxpool.Pool{},
		rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x7261666669630a)), gone: map[string]bool{}}
	defer r.close()
	if err := r.open(ctx); err != nil {
		return res, err
	}
	targets, err := r.targets(ctx)
	if err != nil {
		return res, err
	}
	if len(targets) == 0 {
		return res, errors.New("traffic: no live site outside the exclude list to write to")
	}
	res.ByTable = map[string]int{}
	touched := map[string]bool{}
	began := time.Now()
	deadline := began.Add(cfg.Duration)
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	next := began
	skips := 0
	for res.Writes < cfg.MaxWrites {
		if wait := time.Until(next); wait > 0 {
			if next.After(deadline) {
				break
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return r.finish(res, touched, began), nil
			case <-t.C:
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		next = next.Add(interval)
		i := r.rng.IntN(len(targets))
		tg := targets[i]
		k := kinds[r.rng.IntN(len(kinds))]
		ok, err := r.write(ctx, tg, k.table, k.product)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return r.finish(res, touched, began), err
		}
		if r.gone[tg.site] {
			targets = append(targets[:i], targets[i+1:]...)
			if len(targets) == 0 {
				return r.finish(res, touched, began), errors.New("traffic: every target site was deleted or stopped being active")
			}
		}
		if !ok {
			// Nothing to attach this row to: pick again at once.
			res.Skipped++
			skips++
			next = next.Add(-interval)
			if skips > 10_000 {
				return r.finish(res, touched, began), errors.New("traffic: 10000 picks in a row found nothing to write to")
			}
			continue
		}
		skips = 0
		res.Writes++
		res.ByTable[k.table]++
		touched[tg.site] = true
	}
	return r.finish(res, touched, began), nil
}

func (r *runner) finish(res Result, touched map[string]bool, began time.Time) Result {
	res.Sites = len(touched)
	res.Elapsed = time.Since(began)
	if s := res.Elapsed.Seconds(); s > 0 {
		res.Rate = float64(res.Writes) / s
	}
	r.log.Info("traffic done", zap.Int("writes", res.Writes), zap.Int("sites", res.Sites),
		zap.Duration("elapsed", res.Elapsed), zap.Float64("rate", res.Rate))
	return res
}

func (r *runner) open(ctx context.Context) error {
	open := func(what, dsn string) (*pgxpool.Pool, error) {
		p, err := pgxpool.New(ctx, dsn)
		if err != nil {
			return nil, fmt.Errorf("traffic: open %s: %w", what, err)
		}
		return p, nil
	}
	var err error
	if r.catalog, err = open("catalog", r.cfg.CatalogDSN); err != nil {
		return err
	}
	if r.identity, err = open("identity", r.cfg.IdentityDSN); err != nil {
		return err
	}
	if r.sandbox, err = open("sandbox", r.cfg.SandboxDSN); err != nil {
		return err
	}
	if err := ensureSequence(ctx, r.sandbox); err != nil {
		return err
	}
	for name, dsn := range r.cfg.Shards {
		p, err := open("shard "+name, dsn)
		if err != nil {
			return err
		}
		r.shards[name] = p
	}
	return nil
}

func (r *runner) close() {
	for _, p := range []*pgxpool.Pool{r.catalog, r.identity, r.sandbox} {
		if p != nil {
			p.Close()
		}
	}
	for _, p := range r.shards {
		p.Close()
	}
}

// targets are the active sites outside the exclude list, in site order.
func (r *runner) targets(ctx context.Context) ([]target, error) {
	excl := r.cfg.Exclude
	if excl == nil {
		excl = []string{}
	}
	rows, err := r.catalog.Query(ctx, `SELECT s.site_id, coalesce(p.product, ''), coalesce(p.store, '')
		FROM sites s LEFT JOIN placements p ON p.site_id = s.site_id
		WHERE s.status = 'active' AND NOT (s.site_id = ANY($1))
		  AND NOT EXISTS (SELECT 1 FROM deletion_events e WHERE e.kind = 'site' AND e.target_id = s.site_id)
		ORDER BY s.site_id, p.product`, excl)
	if err != nil {
		return nil, fmt.Errorf("traffic: list sites: %w", err)
	}
	defer rows.Close()
	by := map[string]*target{}
	var order []string
	for rows.Next() {
		var site, product, store string
		if err := rows.Scan(&site, &product, &store); err != nil {
			return nil, fmt.Errorf("traffic: list sites: %w", err)
		}
		tg := by[site]
		if tg == nil {
			tg = &target{site: site, stores: map[string]string{}}
			by[site] = tg
			order = append(order, site)
		}
		if product != "" {
			tg.stores[product] = store
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("traffic: list sites: %w", err)
	}
	sort.Strings(order)
	out := make([]target, 0, len(order))
	for _, s := range order {
		out = append(out, *by[s])
	}
	return out, nil
}

// ensureSequence makes the row ID sequence in the sandbox database (a
// sandbox made before it existed gets it here).
func ensureSequence(ctx context.Context, db *pgxpool.Pool) error {
	_, err := db.Exec(ctx, fmt.Sprintf(`CREATE SEQUENCE IF NOT EXISTS %s MINVALUE %d START %d`, rowIDSequence, RowIDBase, RowIDBase))
	if err != nil {
		// Two runs creating it at once: fine when it exists now.
		var n int
		if qerr := db.QueryRow(ctx, `SELECT count(*) FROM pg_class WHERE relname = $1 AND relkind = 'S'`, rowIDSequence).Scan(&n); qerr == nil && n == 1 {
			return nil
		}
		return fmt.Errorf("traffic: row ID sequence %s: %w", rowIDSequence, err)
	}
	return nil
}

// guard opens a catalog transaction holding the site's catalog row FOR
// SHARE while one write runs and commits, so that a deletion (which locks
// that row FOR UPDATE before it touches any store) cannot start until the
// write is done, and a write cannot start while a deletion runs (SKIP
// LOCKED: the pick is skipped, not waited for). A site that is gone, not
// active, or has a deletion event in the audit store (deleted, maybe under
// restore) is marked gone and never written to again. ok is false when the
// site must not be written to now.
func (r *runner) guard(ctx context.Context, site string) (tx pgx.Tx, ok bool, err error) {
	tx, err = r.catalog.Begin(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("traffic: site %s: catalog: %w", site, err)
	}
	var status string
	var deleted bool
	err = tx.QueryRow(ctx, `SELECT s.status, EXISTS (SELECT 1 FROM deletion_events e WHERE e.kind = 'site' AND e.target_id = s.site_id)
		FROM sites s WHERE s.site_id = $1 FOR SHARE OF s SKIP LOCKED`, site).Scan(&status, &deleted)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		// Deleted, or locked by a deletion in progress.
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sites WHERE site_id = $1)`, site).Scan(&exists); err != nil {
			_ = tx.Rollback(ctx)
			return nil, false, fmt.Errorf("traffic: site %s: catalog: %w", site, err)
		}
		if !exists {
			r.gone[site] = true
		}
		_ = tx.Rollback(ctx)
		return nil, false, nil
	case err != nil:
		_ = tx.Rollback(ctx)
		return nil, false, fmt.Errorf("traffic: site %s: catalog: %w", site, err)
	case status != "active" || deleted:
		r.gone[site] = true
		_ = tx.Rollback(ctx)
		return nil, false, nil
	}
	return tx, true, nil
}

// write adds one row of the given table to the site; false when the site
// has nothing to attach it to (no such product, no issue to comment on) or
// must not be written to (see guard).
//
// The row gets a fresh ID from the sandbox's sequence (RowIDBase and up);
// it is inserted (INSERT ... RETURNING) in a transaction of the target
// database, logged in traffic_log with the ID the insert returned, and only
// then committed, all while the guard holds the site's catalog row. So no
// committed row is unlogged, and a logged row whose commit failed names an
// ID no other row has (verification subtracts only rows that exist).
func (r *runner) write(ctx context.Context, tg target, table, product string) (bool, error) {
	db := r.identity
	store := "identity"
	if product != "" {
		st, ok := tg.stores[product]
		if !ok {
			return false, nil
		}
		p, ok := r.shards[st]
		if !ok {
			return false, nil
		}
		db, store = p, st
	}
	guard, ok, err := r.guard(ctx, tg.site)
	if err != nil || !ok {
		return false, err
	}
	// Released after the write's commit (defers run last in, first out).
	defer guard.Rollback(context.WithoutCancel(ctx))
	tx, err := db.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("traffic: site %s: %s: %w", tg.site, store, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var parent int64
	switch table {
	case "jira_comments", "conf_comments":
		parentTable := map[string]string{"jira_comments": "jira_issues", "conf_comments": "conf_pages"}[table]
		var n int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+parentTable+` WHERE site_id = $1`, tg.site).Scan(&n); err != nil {
			return false, fmt.Errorf("traffic: site %s: %s: %w", tg.site, parentTable, err)
		}
		if n == 0 {
			return false, nil
		}
		err := tx.QueryRow(ctx, `SELECT id FROM `+parentTable+` WHERE site_id = $1 ORDER BY id OFFSET $2 LIMIT 1`,
			tg.site, r.rng.Int64N(n)).Scan(&parent)
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("traffic: site %s: %s: %w", tg.site, parentTable, err)
		}
	}
	var id int64
	if err := r.sandbox.QueryRow(ctx, `SELECT nextval('`+rowIDSequence+`')`).Scan(&id); err != nil {
		return false, fmt.Errorf("traffic: next row ID: %w", err)
	}
	now := time.Now().UTC()
	body := fmt.Sprintf("traffic %s #%d", now.Format(time.RFC3339Nano), id)
	var q string
	var args []any
	switch table {
	case "jira_comments":
		q = `INSERT INTO jira_comments (site_id, id, issue_id, author_id, body, created_at) VALUES ($1, $2, $3, 1, $4, $5) RETURNING id`
		args = []any{tg.site, id, parent, body, now}
	case "conf_comments":
		q = `INSERT INTO conf_comments (site_id, id, page_id, author_id, body, created_at) VALUES ($1, $2, $3, 1, $4, $5) RETURNING id`
		args = []any{tg.site, id, parent, body, now}
	case "og_alerts":
		q = `INSERT INTO og_alerts (site_id, id, message, priority, created_at) VALUES ($1, $2, $3, 'P3', $4) RETURNING id`
		args = []any{tg.site, id, body, now}
	case "users":
		acct := fmt.Sprintf("traffic-%s-%d", shortID(tg.site), id)
		q = `INSERT INTO users (site_id, id, account_id, email, display_name) VALUES ($1, $2, $3, $4, $5) RETURNING id`
		args = []any{tg.site, id, acct, acct + "@traffic.example.test", "Traffic user " + fmt.Sprint(id)}
	default:
		return false, fmt.Errorf("traffic: no writer for table %s", table)
	}
	var written int64
	if err := tx.QueryRow(ctx, q, args...).Scan(&written); err != nil {
		return false, fmt.Errorf("traffic: write %s row %d of site %s: %w", table, id, tg.site, err)
	}
	var logID int64
	if err := r.sandbox.QueryRow(ctx, `INSERT INTO traffic_log (site_id, store, table_name, row_id) VALUES ($1, $2, $3, $4) RETURNING id`,
		tg.site, store, table, written).Scan(&logID); err != nil {
		return false, fmt.Errorf("traffic: log %s row %d of site %s: %w", table, written, tg.site, err)
	}
	// The commit is not cut short by the traffic being stopped (SIGTERM
	// cancels ctx), and a failed commit keeps its log entry: a commit whose
	// answer was lost may have committed, and an entry naming an ID no row
	// has is ignored by verification, while a committed row without its
	// entry would be reported as damage (it was, once, in a demo stopped
	// mid-commit).
	if err := tx.Commit(context.WithoutCancel(ctx)); err != nil {
		return false, fmt.Errorf("traffic: commit %s row %d of site %s (log entry %d kept): %w", table, written, tg.site, logID, err)
	}
	return true, nil
}

func shortID(s string) string {
	s = strings.ReplaceAll(s, "-", "")
	if len(s) > 8 {
		return s[:8]
	}
	return s
}
