package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/sandbox/schema"
)

// SeedOptions say what fleet to generate.
type SeedOptions struct {
	// Sites is how many sites to add (required, > 0).
	Sites int
	// Seed makes the fleet deterministic (default 1).
	Seed int64
	// Add allows seeding into a non-empty fleet (new sites continue the
	// fleet's numbering).
	Add bool
	// NoTruth skips recording the truth of every tenant at the end.
	NoTruth bool
}

// SeedResult is what a seed wrote.
type SeedResult struct {
	Sites    int            `json:"sites"`
	Apps     int            `json:"apps"`
	Rows     int64          `json:"rows"`
	RowsByDB map[string]int `json:"rows_by_db"`
	Objects  int64          `json:"objects"`
	Bytes    int64          `json:"object_bytes"`
	Sizes    map[string]int `json:"sizes"`
	Took     time.Duration  `json:"took"`
}

// tableOrder is the COPY order (foreign-key order) per database kind.
func tableOrder(db string) []string {
	switch db {
	case schema.DBCatalog:
		return []string{"sites", "site_config", "licenses", "product_activations", "placements",
			"app_installations", "users", "groups", "memberships", "permissions", "site_admins",
			"site_flags", "id_registry"}
	case schema.DBVendors:
		return []string{"vendor_installations"}
	case schema.DBSearch:
		return []string{"search_docs"}
	}
	var out []string
	for _, s := range schema.Stores(1) {
		if s.Kind == "product" {
			for _, t := range s.Tables {
				out = append(out, t.Name)
			}
		}
	}
	return out
}

type chunk struct {
	rows    map[string]map[string][][]any // db -> table -> rows
	objects []Object
	sites   []SiteSpec
}

// FleetSize returns how many sites were ever seeded (live or deleted).
func (p *Platform) FleetSize(ctx context.Context) (int, error) {
	pool, err := p.Pool(ctx, schema.DBCatalog)
	if err != nil {
		return 0, err
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM id_registry WHERE kind = 'site'").Scan(&n); err != nil {
		return 0, fmt.Errorf("count sites: %w", err)
	}
	return n, nil
}

// Seed generates a fleet deterministically for o.Seed and writes it with
// binary COPY into every store, its media into the bucket and its vendor
// records into the vendors' database; then records the truth of every
// tenant. It refuses a non-empty fleet unless o.Add.
func (p *Platform) Seed(ctx context.Context, o SeedOptions) (*SeedResult, error) {
	start := time.Now()
	if o.Sites <= 0 {
		return nil, fmt.Errorf("seed: sites must be > 0 (got %d)", o.Sites)
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	existing, err := p.FleetSize(ctx)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	if existing > 0 && !o.Add {
		return nil, fmt.Errorf("seed: the fleet already has %d sites; use --add to add %d more", existing, o.Sites)
	}
	res := &SeedResult{RowsByDB: map[string]int{}, Sizes: map[string]int{}}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	chunks := make(chan chunk, 2)
	objects := make(chan Object, 256)
	var firstErr error
	var errOnce sync.Once
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	// Generator.
	go func() {
		defer close(chunks)
		const per = 50
		for i := 0; i < o.Sites; i += per {
			c := chunk{rows: map[string]map[string][][]any{}}
			for j := i; j < min(i+per, o.Sites); j++ {
				s := GenerateSite(o.Seed, existing+j, p.state.Shards)
				c.sites = append(c.sites, s)
				s.Rows(func(db, table string, row []any) {
					m := c.rows[db]
					if m == nil {
						m = map[string][][]any{}
						c.rows[db] = m
					}
					m[table] = append(m[table], row)
				}, func(ob Object) { c.objects = append(c.objects, ob) })
			}
			select {
			case chunks <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	// Uploaders.
	var upWG sync.WaitGroup
	var nObj, nBytes atomic.Int64
	for w := 0; w < 8; w++ {
		upWG.Add(1)
		go func() {
			defer upWG.Done()
			for ob := range objects {
				if ctx.Err() != nil {
					continue
				}
				_, err := p.media.Client().PutObject(ctx, &s3.PutObjectInput{
					Bucket: aws.String(p.state.Bucket), Key: aws.String(ob.Key), Body: bytes.NewReader(ob.Body),
					ContentLength: aws.Int64(int64(len(ob.Body))),
				})
				if err != nil {
					fail(fmt.Errorf("seed: put %s: %w", ob.Key, err))
					continue
				}
				nObj.Add(1)
				nBytes.Add(int64(len(ob.Body)))
			}
		}()
	}
	// Writers.
	var mu sync.Mutex
	var wWG sync.WaitGroup
	for w := 0; w < 3; w++ {
		wWG.Add(1)
		go func() {
			defer wWG.Done()
			for c := range chunks {
				if ctx.Err() != nil {
					continue
				}
				counts, err := p.writeChunk(ctx, c)
				if err != nil {
					fail(err)
					continue
				}
				for _, ob := range c.objects {
					select {
					case objects <- ob:
					case <-ctx.Done():
					}
				}
				mu.Lock()
				for db, n := range counts {
					res.RowsByDB[db] += n
					res.Rows += int64(n)
				}
				for _, s := range c.sites {
					res.Sites++
					res.Apps += len(s.Apps)
					res.Sizes[s.Size]++
				}
				mu.Unlock()
			}
		}()
	}
	wWG.Wait()
	close(objects)
	upWG.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	res.Objects, res.Bytes = nObj.Load(), nBytes.Load()
	p.log.Info("seeded", zap.Int("sites", res.Sites), zap.Int64("rows", res.Rows), zap.Int64("objects", res.Objects),
		zap.Duration("took", time.Since(start)))
	if !o.NoTruth {
		if _, err := p.RecordTruth(ctx, nil); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
	}
	res.Took = time.Since(start)
	return res, nil
}

// writeChunk copies one chunk into every database, one transaction per
// database, tables in foreign-key order.
func (p *Platform) writeChunk(ctx context.Context, c chunk) (map[string]int, error) {
	dbs := make([]string, 0, len(c.rows))
	for db := range c.rows {
		dbs = append(dbs, db)
	}
	sort.Strings(dbs)
	counts := map[string]int{}
	for _, db := range dbs {
		pool, err := p.Pool(ctx, db)
		if err != nil {
			return nil, err
		}
		tx, err := pool.Begin(ctx)
		if err != nil {
			return nil, fmt.Errorf("seed %s: %w", db, err)
		}
		for _, table := range tableOrder(db) {
			rows := c.rows[db][table]
			if len(rows) == 0 {
				continue
			}
			n, err := tx.CopyFrom(ctx, pgx.Identifier{table}, columns[table], pgx.CopyFromRows(rows))
			if err != nil {
				_ = tx.Rollback(ctx)
				return nil, fmt.Errorf("seed %s.%s: %w", db, table, err)
			}
			counts[db] += int(n)
		}
		if err := tx.Commit(ctx); err != nil {
			return nil, fmt.Errorf("seed %s: commit: %w", db, err)
		}
	}
	for db := range c.rows {
		for table, rows := range c.rows[db] {
			if _, ok := columns[table]; !ok || len(rows) == 0 {
				continue
			}
			found := false
			for _, t := range tableOrder(db) {
				if t == table {
					found = true
				}
			}
			if !found {
				return nil, errors.New("seed: table " + table + " of " + db + " has no COPY order")
			}
		}
	}
	return counts, nil
}
