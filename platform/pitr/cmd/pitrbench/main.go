// Command pitrbench measures tenant point-in-time restore on this machine:
// the time to bring up a clone recovered to a point (copy + WAL replay +
// paused), and the extraction rate of pitr.Load (rows per second) next to a
// plain COPY ... TO STDOUT piped into COPY ... FROM STDIN of the same rows,
// as a ratio (target: at least 0.8). scripts/bench-pitr.sh runs it; -json
// FILE also writes the figures to FILE.
//
// It makes its own PostgreSQL cluster in a temporary folder and removes it;
// it must never touch any other cluster.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lazarus-dr/lazarus/internal/tools"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
	"github.com/lazarus-dr/lazarus/platform/pitr"
)

const schema = `
CREATE TABLE issues (
  site_id text NOT NULL, id bigint NOT NULL, project_id bigint NOT NULL, key text NOT NULL,
  summary text NOT NULL, body text NOT NULL, status text NOT NULL, self_url text NOT NULL,
  links jsonb NOT NULL, created_at timestamptz NOT NULL,
  PRIMARY KEY (site_id, id));
CREATE INDEX ON issues (site_id, project_id);`

const cols = "site_id, id, project_id, key, summary, body, status, self_url, links, created_at"

var store = platform.Store{Name: "bench", Cluster: "bench", Database: "bench", TenantColumn: "site_id",
	Tables: []platform.Table{{Name: "issues", RemapColumns: []string{"self_url", "links"}}}}

func main() {
	rows := flag.Int("rows", 200000, "rows of the restored tenant (another tenant gets as many)")
	rounds := flag.Int("rounds", 3, "measurements of each kind (the median is printed)")
	keep := flag.Bool("keep", false, "keep the temporary folder")
	jsonOut := flag.String("json", "", "also write the figures to this file (JSON)")
	flag.Parse()
	if *rows <= 0 || *rounds <= 0 {
		fmt.Fprintf(os.Stderr, "pitrbench: -rows %d -rounds %d: both must be at least 1\n", *rows, *rounds)
		os.Exit(2)
	}
	f, err := run(*rows, *rounds, *keep)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pitrbench:", err)
		os.Exit(1)
	}
	if *jsonOut != "" {
		if err := f.write(*jsonOut); err != nil {
			fmt.Fprintln(os.Stderr, "pitrbench:", err)
			os.Exit(1)
		}
	}
}

// figures are what -json writes: medians over the rounds.
type figures struct {
	Rows             int     `json:"extraction_rows"`
	Rounds           int     `json:"rounds"`
	CloneSeconds     float64 `json:"clone_seconds"`
	WALReplayedBytes int64   `json:"wal_replayed_bytes"`
	// PlainRowsPerSecond is the baseline: COPY TO STDOUT | COPY FROM STDIN.
	PlainRowsPerSecond  float64 `json:"plain_copy_rows_per_second"`
	DirectRowsPerSecond float64 `json:"direct_rows_per_second"`
	MergeRowsPerSecond  float64 `json:"merge_rows_per_second"`
	// ExtractionRatio is the direct path's rate over the baseline's.
	ExtractionRatio float64 `json:"extraction_ratio"`
	MergeRatio      float64 `json:"merge_ratio"`
}

// write writes the figures to path as indented JSON.
func (f figures) write(path string) error {
	raw, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the figures: %w", err)
	}
	if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("write -json %s: %w", path, err)
	}
	return nil
}

// round3 rounds x to 3 decimals.
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// run measures and prints the figures, and returns them.
func run(n, rounds int, keep bool) (figures, error) {
	var f figures
	err := measure(n, rounds, keep, &f)
	return f, err
}

// measure makes the cluster, the backup, the clones and the copies,
// prints the figures and sets f to them.
func measure(n, rounds int, keep bool, f *figures) error {
	ctx := context.Background()
	bin, err := tools.PGBin()
	if err != nil {
		return err
	}
	base, err := os.MkdirTemp("", "pitrbench-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(base)
	}
	port, err := pg.FreePort()
	if err != nil {
		return err
	}
	c, err := pg.Init(ctx, pg.ClusterConfig{Name: "bench", DataDir: filepath.Join(base, "data"), Port: port,
		SocketDir: filepath.Join(base, "sock"), PGBin: bin, WALArchive: filepath.Join(base, "archive")})
	if err != nil {
		return err
	}
	if err := c.Start(ctx); err != nil {
		return err
	}
	defer c.Stop(context.Background())
	if err := c.CreateDatabase(ctx, "bench"); err != nil {
		return err
	}
	live, err := c.Open(ctx, "bench")
	if err != nil {
		return err
	}
	defer live.Close(context.Background())
	if _, err := live.Exec(ctx, schema); err != nil {
		return err
	}
	seed := `INSERT INTO issues SELECT $1, g, g % 50, 'PRJ-' || g, 'summary of issue ' || g,
		repeat('lorem ipsum dolor sit amet ', 3), 'open', 'https://x.test/sites/' || $1 || '/issues/' || g,
		jsonb_build_object('self', 'https://x.test/sites/' || $1 || '/i/' || g, 'n', g), now() - g * interval '1 second'
		FROM generate_series(1, $2::int) g`
	for _, site := range []string{"t-bench", "t-other"} {
		if _, err := live.Exec(ctx, seed, site, n); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	desc := &platform.Description{Name: "bench", Clusters: []platform.Cluster{{Name: "bench", Host: "127.0.0.1", Port: port,
		User: pg.Superuser, PGBin: bin, BackupDir: filepath.Join(base, "backups"), WALArchive: filepath.Join(base, "archive"),
		OSUser: pg.DefaultOSUser(), ScratchDir: filepath.Join(base, "scratch")}}}
	if err := pg.PrepareDir(desc.Clusters[0].BackupDir, desc.Clusters[0].OSUser, 0o755); err != nil {
		return err
	}
	// The backup is taken before the tenant's rows are written again, so
	// the clone replays them from the WAL archive.
	if _, err := live.Exec(ctx, "DELETE FROM issues WHERE site_id = 't-bench'"); err != nil {
		return err
	}
	backup, err := c.BaseBackup(ctx, filepath.Join(desc.Clusters[0].BackupDir, "b1"))
	if err != nil {
		return err
	}
	if _, err := live.Exec(ctx, seed, "t-bench", n); err != nil {
		return err
	}
	var point time.Time
	var walBytes float64
	if err := live.QueryRow(ctx, "SELECT clock_timestamp(), pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)",
		backup.StartLSN).Scan(&point, &walBytes); err != nil {
		return err
	}
	if err := emptyTenant(ctx, live); err != nil {
		return err
	}

	cloner := pitr.NewLocalCloner(desc, nil)
	var cloneSecs []float64
	var cl pitr.Clone
	for i := 0; i < rounds; i++ {
		began := time.Now()
		cl, err = cloner.Clone(ctx, "bench", point)
		if err != nil {
			return err
		}
		cloneSecs = append(cloneSecs, time.Since(began).Seconds())
		if i < rounds-1 {
			if err := cloner.Teardown(ctx, cl.ID); err != nil {
				return err
			}
		}
	}
	defer cloner.Teardown(context.Background(), cl.ID)
	src, err := pg.Open(ctx, cl.DSN("bench"))
	if err != nil {
		return err
	}
	defer src.Close(context.Background())

	var plain, direct, merge []float64
	for i := 0; i < rounds; i++ {
		secs, got, err := plainCopy(ctx, src, live)
		if err != nil {
			return fmt.Errorf("plain copy: %w", err)
		}
		if got != int64(n) {
			return fmt.Errorf("plain copy moved %d rows, want %d", got, n)
		}
		plain = append(plain, float64(n)/secs)
		if err := emptyTenant(ctx, live); err != nil {
			return err
		}
		for _, alwaysMerge := range []bool{false, true} {
			began := time.Now()
			res, err := pitr.Load(ctx, src, live, pitr.LoadRequest{Store: store, SiteID: "t-bench", AlwaysMerge: alwaysMerge})
			if err != nil {
				return err
			}
			secs := time.Since(began).Seconds()
			if res.Inserted != int64(n) {
				return fmt.Errorf("load inserted %d rows, want %d", res.Inserted, n)
			}
			if alwaysMerge {
				merge = append(merge, float64(n)/secs)
			} else {
				direct = append(direct, float64(n)/secs)
			}
			if err := emptyTenant(ctx, live); err != nil {
				return err
			}
		}
	}
	p, d, m := median(plain), median(direct), median(merge)
	fmt.Printf("PITR clone: %.2f s to recovered and paused (median of %d; %.1f MB of WAL replayed from the archive, fsync off)\n",
		median(cloneSecs), len(cloneSecs), walBytes/1e6)
	fmt.Printf("Tenant extraction, %d rows (binary COPY, median of %d):\n", n, rounds)
	fmt.Printf("  plain COPY TO STDOUT | COPY FROM STDIN : %9.0f rows/s\n", p)
	fmt.Printf("  pitr.Load, direct path (tenant absent) : %9.0f rows/s   ratio %.2f (target >= 0.80)\n", d, d/p)
	fmt.Printf("  pitr.Load, merge path (temp table + ON CONFLICT DO NOTHING): %9.0f rows/s   ratio %.2f\n", m, m/p)
	*f = figures{Rows: n, Rounds: rounds, CloneSeconds: round3(median(cloneSecs)), WALReplayedBytes: int64(walBytes),
		PlainRowsPerSecond: math.Round(p), DirectRowsPerSecond: math.Round(d), MergeRowsPerSecond: math.Round(m),
		ExtractionRatio: round3(d / p), MergeRatio: round3(m / p)}
	return nil
}

// emptyTenant deletes the restored tenant's rows from the live table and
// vacuums it, so every measurement starts alike.
func emptyTenant(ctx context.Context, live *pgx.Conn) error {
	if _, err := live.Exec(ctx, "DELETE FROM issues WHERE site_id = 't-bench'"); err != nil {
		return err
	}
	_, err := live.Exec(ctx, "VACUUM issues")
	return err
}

// plainCopy is the baseline: the tenant's rows COPY'd out of the clone and
// straight into the live table, in one transaction.
func plainCopy(ctx context.Context, src, dst *pgx.Conn) (float64, int64, error) {
	began := time.Now()
	tx, err := dst.Begin(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		bw := bufio.NewWriterSize(pw, 256<<10)
		_, err := src.PgConn().CopyTo(ctx, bw, "COPY (SELECT "+cols+" FROM issues WHERE site_id = 't-bench') TO STDOUT (FORMAT binary)")
		if err == nil {
			err = bw.Flush()
		}
		_ = pw.CloseWithError(err)
		done <- err
	}()
	tag, err := dst.PgConn().CopyFrom(ctx, pr, "COPY issues ("+cols+") FROM STDIN (FORMAT binary)")
	_ = pr.CloseWithError(errors.New("done"))
	if oerr := <-done; oerr != nil {
		return 0, 0, oerr
	}
	if err != nil {
		return 0, 0, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, 0, err
	}
	return time.Since(began).Seconds(), tag.RowsAffected(), nil
}
