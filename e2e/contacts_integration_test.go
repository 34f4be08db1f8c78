//go:build integration

package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pitr"
	"github.com/lazarus-dr/lazarus/sandbox"
	"github.com/lazarus-dr/lazarus/sandbox/schema"
	"github.com/lazarus-dr/lazarus/workflows"
)

// holdRunbook clones the platform cluster, then holds every site at a
// gate: the batch runs, its clone is up, and no site is restored.
const holdRunbook = `name: contacts-hold
description: the batch's clone of the platform cluster, then every site waits at a gate (nothing restored)
steps:
  - id: clone-platform
    action: db.clone
    scope: batch
    params: {cluster: platform, tolerance: 5m}
    cleanup: db.drop_clone
    timeout: 10m
  - id: hold
    action: gate.customer_validation
    needs: [clone-platform]
    gate:
      deadline: 1h
      on_deadline: park
`

// TestBatchContactsFromTheClone: on the real stack (dev server, sandbox,
// worker with the real activities), sites are deleted and a batch clones
// the platform cluster and holds its sites before any restore step; `lazarus
// batch contacts` lists the admins of every deleted site, equal to the rows
// the sites had before the disaster and to the sandbox's truth, and the
// clone is not written to (still a paused standby at the same replay
// position), nor is the live catalog (the sites' admins still gone).
func TestBatchContactsFromTheClone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	log := zap.NewNop()
	tmp := t.TempDir()
	buildDone := make(chan struct {
		bin string
		err error
	}, 1)
	go func() {
		bin, err := buildCLI(ctx, tmp)
		buildDone <- struct {
			bin string
			err error
		}{bin, err}
	}()

	srv, tc, p := upSeeded(ctx, t, "lazarus-contacts-", 24, 15, log)
	time.Sleep(2 * time.Second) // restore points after the backups' end
	live, err := p.ListIDs(ctx, platform.KindSite, false)
	if err != nil || len(live) < 6 {
		t.Fatalf("live sites: %d, %v", len(live), err)
	}
	sites := live[:6]
	cat, err := p.Pool(ctx, schema.DBCatalog)
	if err != nil {
		t.Fatal(err)
	}
	before := adminRows(ctx, t, cat, sites)
	if len(before) < len(sites) {
		t.Fatalf("before the disaster: %d admins for %d sites, want at least one each", len(before), len(sites))
	}
	if _, err := p.PermanentDelete(ctx, sites); err != nil {
		t.Fatalf("disaster: %v", err)
	}

	runWorker(ctx, t, tc, p, log)
	b := <-buildDone
	if b.err != nil {
		t.Fatal(b.err)
	}
	lz := cli{t: t, bin: b.bin, address: srv.FrontendHostPort(), platform: p.DescriptionPath()}

	// An unknown batch is one clear line.
	if out, code := lz.run(ctx, "batch", "contacts", "no-such-batch"); code != 1 || !strings.Contains(out, "batch no-such-batch not found") {
		t.Errorf("unknown batch: exit %d, %q", code, out)
	}

	rb := filepath.Join(tmp, "hold.yaml")
	if err := os.WriteFile(rb, []byte(holdRunbook), 0o644); err != nil {
		t.Fatal(err)
	}
	const batch = "e2e-contacts"
	if out, code := lz.run(ctx, "restore", "start", "--runbook", rb, "--ids-file", writeLines(t, filepath.Join(tmp, "ids.txt"), sites),
		"--restore-offset", "1s", "--batch-id", batch, "--platform", p.DescriptionPath()); code != 0 {
		t.Fatalf("restore start: exit %d\n%s", code, out)
	}
	started := time.Now()
	var stdout, stderr string
	for {
		var code int
		stdout, stderr, code = lz.runSplit(ctx, "batch", "contacts", batch, "--format", "csv")
		if code == 0 {
			break
		}
		if code != 1 || !strings.Contains(stderr, "retry in a minute") || ctx.Err() != nil {
			t.Fatalf("batch contacts before the clone: exit %d, want 1 and a line saying to retry\n%s", code, stderr)
		}
		time.Sleep(time.Second)
	}
	t.Logf("batch contacts answered %s after the batch's start: %s", time.Since(started).Round(time.Millisecond), stderr)

	got := parseContactsCSV(t, stdout)
	if want := before; !sameRows(got, want) {
		t.Errorf("contacts differ from the admins before the disaster:\n got %v\nwant %v", got, want)
	}
	rep, err := p.CheckContacts(ctx, sites, got)
	if err != nil || !rep.OK() || rep.Admins != len(before) {
		t.Errorf("check against the truth: %+v, %v", rep, err)
	}
	// The check can fail: one wrong email is found.
	bad := append([]sandbox.ContactRow(nil), got...)
	bad[0].Email = "someone.else@example.test"
	if rep, err := p.CheckContacts(ctx, sites, bad); err != nil || len(rep.Mismatches) != 1 || rep.Mismatches[0].SiteID != bad[0].SiteID {
		t.Errorf("a wrong email: %+v, %v", rep, err)
	}

	// Read-only: the clone is still a paused standby at the same replay
	// position after a second read (JSON this time), and the live catalog
	// still has none of the sites' admins.
	clone := platformClone(t, p)
	pos := standbyPosition(ctx, t, clone)
	stdout, stderr, code := lz.runSplit(ctx, "batch", "contacts", batch, "--format", "json")
	var res contract.ContactsResult
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || len(res.Contacts) != len(before) {
		t.Fatalf("batch contacts --format json: exit %d, %d contacts\n%s%s", code, len(res.Contacts), stdout, stderr)
	}
	if after := standbyPosition(ctx, t, clone); after != pos || !strings.HasPrefix(pos, "true ") {
		t.Errorf("clone: %q before the read, %q after; want an unchanged standby", pos, after)
	}
	if n := len(adminRows(ctx, t, cat, sites)); n != 0 {
		t.Errorf("the live catalog has %d admins of the deleted sites, want none (nothing restored)", n)
	}
	_ = tc.TerminateWorkflow(ctx, workflows.BatchWorkflowID(batch), "", "test over")
}

// runSplit runs the CLI with stdout and stderr apart.
func (c cli) runSplit(ctx context.Context, args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = append(os.Environ(), "TEMPORAL_ADDRESS="+c.address, "TEMPORAL_NAMESPACE=default", "LAZARUS_PLATFORM="+c.platform)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("run lazarus %v: %v", args, err)
	}
	c.t.Logf("$ lazarus %s  (exit %d)\n%s", strings.Join(args, " "), code, e.String())
	return o.String(), e.String(), code
}

// adminRows reads the sites' admins (with their users' names) from the
// live catalog.
func adminRows(ctx context.Context, t *testing.T, cat *pgxpool.Pool, sites []string) []sandbox.ContactRow {
	t.Helper()
	rows, err := cat.Query(ctx, `SELECT a.site_id, a.user_id, u.display_name, a.email, a.phone FROM site_admins a
		JOIN users u ON u.site_id = a.site_id AND u.id = a.user_id WHERE a.site_id = ANY($1)`, sites)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (c sandbox.ContactRow, err error) {
		err = r.Scan(&c.SiteID, &c.UserID, &c.Name, &c.Email, &c.Phone)
		return c, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func parseContactsCSV(t *testing.T, s string) []sandbox.ContactRow {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil || len(recs) == 0 || strings.Join(recs[0][:3], ",") != "site_id,name,email" {
		t.Fatalf("contacts CSV: %v\n%s", err, s)
	}
	var out []sandbox.ContactRow
	for _, r := range recs[1:] {
		uid, err := strconv.ParseInt(r[4], 10, 64)
		if err != nil {
			t.Fatalf("user_id %q", r[4])
		}
		out = append(out, sandbox.ContactRow{SiteID: r[0], Name: r[1], Email: r[2], Phone: r[3], UserID: uid})
	}
	return out
}

func sameRows(a, b []sandbox.ContactRow) bool {
	key := func(rs []sandbox.ContactRow) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.SiteID+"|"+strconv.FormatInt(r.UserID, 10)+"|"+r.Name+"|"+r.Email+"|"+r.Phone)
		}
		sort.Strings(out)
		return out
	}
	return strings.Join(key(a), "\n") == strings.Join(key(b), "\n")
}

// platformClone is the DSN of the catalog database on the running clone of
// the platform cluster (the batch made one).
func platformClone(t *testing.T, p *sandbox.Platform) string {
	t.Helper()
	clones, err := pitr.NewLocalCloner(p.Description(), zap.NewNop()).Clones(schema.ClusterPlatform)
	if err != nil || len(clones) != 1 {
		t.Fatalf("clones of the platform cluster: %d, %v; want 1", len(clones), err)
	}
	return clones[0].DSN(schema.DBCatalog)
}

// standbyPosition is "<in recovery> <replay LSN>" of a clone.
func standbyPosition(ctx context.Context, t *testing.T, dsn string) string {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var rec bool
	var lsn string
	if err := conn.QueryRow(ctx, `SELECT pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn()::text, '')`).Scan(&rec, &lsn); err != nil {
		t.Fatal(err)
	}
	return strconv.FormatBool(rec) + " " + lsn
}
