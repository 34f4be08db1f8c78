//go:build integration

package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/sandbox"
	"github.com/lazarus-dr/lazarus/workflows"
)

// TestSwitchRunbookMidBatch (issue 15): a Restore 1 batch of 4 deleted
// sites, one at a time, is switched to Restore 2 by `lazarus batch
// switch-runbook` once its first site runs. The first site finishes with
// Restore 1 (a new ID), the others run Restore 2 (their own IDs); every
// site verifies against its truth; the batch's result and its report name
// both runbooks and the switch with its operator.
func TestSwitchRunbookMidBatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	tmp := t.TempDir()
	bin, err := buildCLI(ctx, tmp)
	if err != nil {
		t.Fatal(err)
	}
	srv, tc, p := upSeeded(ctx, t, "lazarus-switch-", 30, 15, zap.NewNop())
	sites := deleteSites(ctx, t, p, 4, 15)
	runWorker(ctx, t, tc, p, zap.NewNop())

	lz := cli{t: t, bin: bin, address: srv.FrontendHostPort(), platform: p.DescriptionPath()}
	file := writeLines(t, filepath.Join(tmp, "sites.txt"), sites)
	if out, code := lz.run(ctx, "restore", "start", "--runbook", "restore1", "--ids-file", file, "--restore-offset", restoreOffset.String(),
		"--batch-id", "e2e-switch", "--concurrency", "1"); code != 0 {
		t.Fatalf("restore start: exit %d\n%s", code, out)
	}
	waitFirstSiteStarted(ctx, t, tc, "e2e-switch")
	out, code := lz.run(ctx, "batch", "switch-runbook", "e2e-switch", "--runbook", "restore2", "--operator", "e2e-test", "--reason", "restore2 keeps site IDs")
	if code != 0 || !strings.Contains(out, "switch-runbook to restore2") {
		t.Fatalf("switch-runbook: exit %d\n%s", code, out)
	}
	if out, code := lz.run(ctx, "batch", "watch", "e2e-switch", "--auto-approve", "e2e-test"); code != 0 {
		t.Fatalf("batch watch: exit %d\n%s", code, out)
	}
	checkSwitchedBatch(ctx, t, lz, tc, p, sites)
}

// waitFirstSiteStarted waits until the batch has started a site.
func waitFirstSiteStarted(ctx context.Context, t *testing.T, tc client.Client, batch string) {
	t.Helper()
	for ctx.Err() == nil {
		v, err := tc.QueryWorkflow(ctx, workflows.BatchWorkflowID(batch), "", workflows.QueryBatchProgress)
		var p workflows.BatchProgress
		if err == nil && v.Get(&p) == nil && p.SitesTotal > 0 && p.SitesTotal > p.SitesByStatus[workflows.SiteQueued] {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("the batch started no site")
}

// checkSwitchedBatch: every site restored, the first by Restore 1 under a
// new ID and the rest by Restore 2 under their own; the switch recorded
// with its operator; the report names both runbooks.
func checkSwitchedBatch(ctx context.Context, t *testing.T, lz cli, tc client.Client, p *sandbox.Platform, sites []string) {
	t.Helper()
	var res workflows.BatchResult
	if err := tc.GetWorkflow(ctx, workflows.BatchWorkflowID("e2e-switch"), "").Get(ctx, &res); err != nil {
		t.Fatalf("batch result: %v", err)
	}
	ran := map[string]string{}
	for _, s := range res.Sites {
		rb := s.Runbook
		if rb == "" {
			rb = res.Runbook
		}
		ran[s.SiteID] = rb
		if s.Outcome != workflows.SiteRestored {
			t.Errorf("site %s (%s): %s %v", s.SiteID, rb, s.Outcome, s.Errors)
		}
	}
	n1, n2 := 0, 0
	for _, rb := range ran {
		switch rb {
		case "restore1":
			n1++
		case "restore2":
			n2++
		}
	}
	if len(ran) != len(sites) || n1 < 1 || n2 < 1 || n1+n2 != len(sites) {
		t.Fatalf("runbook per site %v: want every site, at least one with each runbook", ran)
	}
	switched := false
	for _, a := range res.Actions {
		switched = switched || (a.Action == workflows.ActionSwitchRunbook && a.Operator == "e2e-test" && a.Reason == "restore2 keeps site IDs")
	}
	if !switched {
		t.Errorf("the batch's actions %+v lack the switch by e2e-test", res.Actions)
	}
	rep, err := p.Verify(ctx, sandbox.VerifyOptions{IDs: sites})
	if err != nil || !rep.OK {
		t.Fatalf("verify: %v\n%s", err, report(rep))
	}
	for _, s := range rep.Sites {
		if newID := s.AsSiteID != "" && s.AsSiteID != s.SiteID; newID != (ran[s.SiteID] == "restore1") {
			t.Errorf("site %s ran %s and was restored as %q", s.SiteID, ran[s.SiteID], s.AsSiteID)
		}
	}
	md, code := lz.run(ctx, "report", "e2e-switch", "--format", "md")
	if code != 0 || !strings.Contains(md, "restore1") || !strings.Contains(md, "restore2") || !strings.Contains(md, "e2e-test") {
		t.Errorf("report: exit %d; want both runbooks and the operator in it:\n%s", code, md)
	}
	t.Logf("switched batch: %d sites by restore1, %d by restore2, all verified", n1, n2)
}
