//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/internal/devserver"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/runbooks"
	"github.com/lazarus-dr/lazarus/worker"
	"github.com/lazarus-dr/lazarus/workflows"
)

const tinyRunbook = `name: tiny
description: a tiny Restore-2-shaped plan for the CLI test
defaults:
  timeout: 1m
  estimate: 1s
  on_failure: park
  retry: {initial_interval: 100ms, backoff: 2, max_interval: 1s, max_attempts: 2}
steps:
  - id: undelete
    action: catalog.undelete
  - id: identity
    action: identity.sync
    needs: [undelete]
  - id: flags
    action: flags.restore
    needs: [undelete]
  - id: validate
    action: validate.automated
    needs: [identity, flags]
  - id: customer
    action: gate.customer_validation
    needs: [validate]
    gate: {deadline: 10m, escalation: 5m, on_deadline: park}
`

// fakeCatalog answers the preflight's ID lookup.
func fakeCatalog(t *testing.T, deletedAt time.Time) *httptest.Server {
	infos := map[string]platform.IDInfo{
		"site-a":    {ID: "site-a", Kind: platform.KindSite, Status: "deleted", DeletedAt: deletedAt, Users: 40},
		"site-b":    {ID: "site-b", Kind: platform.KindSite, Status: "deleted", DeletedAt: deletedAt.Add(time.Second), Users: 2},
		"site-live": {ID: "site-live", Kind: platform.KindSite, Status: "active"},
		"app-1":     {ID: "app-1", Kind: platform.KindApp, Status: "active", SiteID: "site-live", AppName: "Timesheets"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/ids/lookup" {
			http.NotFound(w, r)
			return
		}
		var req struct{ IDs []string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		var out []platform.IDInfo
		for _, id := range req.IDs {
			if in, ok := infos[id]; ok {
				out = append(out, in)
			} else {
				out = append(out, platform.IDInfo{ID: id, Kind: platform.KindUnknown})
			}
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// noop registers an instant activity under every action name.
func noop(r sdkworker.ActivityRegistry) error {
	for _, name := range runbooks.ActivityNames() {
		name := name
		r.RegisterActivityWithOptions(func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
			return contract.StepOutput{Message: "no-op " + name}, nil
		}, activity.RegisterOptions{Name: name})
	}
	return nil
}

func TestCoordinatorCLI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()
	srv, err := devserver.Start(ctx, devserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	addr := srv.FrontendHostPort()

	cat := fakeCatalog(t, time.Now().Add(-time.Hour))
	platformFile := filepath.Join(dir, "platform.yaml")
	if err := os.WriteFile(platformFile, []byte(fmt.Sprintf("name: test\nretention: 720h\nservices:\n  catalog: %s\n", cat.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	runbook := filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(runbook, []byte(tinyRunbook), 0o644); err != nil {
		t.Fatal(err)
	}

	wctx, stopWorker := context.WithCancel(ctx)
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- worker.Run(wctx, worker.Options{Client: srv.Client(), Config: worker.DefaultConfig(), RegisterActivities: noop, Ready: ready})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("worker: %v", err)
	}

	h := lazarus(t, "TEMPORAL_ADDRESS="+addr, "LAZARUS_PLATFORM="+platformFile, "LAZARUS_UI_ADDRESS=http://ui.test:8233")
	run := func(args ...string) (string, int) {
		t.Helper()
		r := h.Run(t, ctx, args...)
		return r.Output, r.Code
	}

	// The guard: a mixed list is refused, naming every problem, and
	// nothing starts.
	out, code := run("restore", "start", "--runbook", runbook, "--site", "site-a", "--site", "app-1", "--site", "site-live",
		"--site", "nope", "--site", "site-a", "--batch-id", "refused")
	if code != 1 {
		t.Fatalf("mixed list: exit %d, want 1", code)
	}
	for _, want := range []string{"app-1", "APP ID", "Timesheets", "site-live", "never overwritten", "nope", "unknown", "duplicate", "no workflow started"} {
		if !strings.Contains(out, want) {
			t.Errorf("refusal lacks %q", want)
		}
	}
	if _, err := srv.Client().DescribeWorkflowExecution(ctx, workflows.BatchWorkflowID("refused"), ""); err == nil {
		t.Fatal("a refused batch started a workflow")
	} else {
		var nf *serviceerror.NotFound
		if !errors.As(err, &nf) {
			t.Fatalf("describe refused batch: %v", err)
		}
	}

	// Dry run: the plan, nothing started.
	out, code = run("restore", "start", "--runbook", runbook, "--site", "site-a", "--site", "site-b", "--batch-id", "dry", "--dry-run")
	if code != 0 || !strings.Contains(out, "DRY RUN") || !strings.Contains(out, "Critical path") || !strings.Contains(out, "ETA") {
		t.Fatalf("dry run: exit %d", code)
	}
	if _, err := srv.Client().DescribeWorkflowExecution(ctx, workflows.BatchWorkflowID("dry"), ""); err == nil {
		t.Fatal("a dry run started a workflow")
	}

	// A real batch, watched to the end, gates approved by the watcher.
	out, code = run("restore", "start", "--runbook", runbook, "--site", "site-a", "--site", "site-b", "--batch-id", "t1",
		"--restore-offset", "2m", "--wait", "--auto-approve", "tester")
	if code != 0 {
		t.Fatalf("restore start --wait: exit %d", code)
	}
	for _, want := range []string{"started batch t1", "http://ui.test:8233/namespaces/default/workflows/lazarus-batch-t1", "2/2 sites restored"} {
		if !strings.Contains(out, want) {
			t.Errorf("start output lacks %q", want)
		}
	}
	// Starting the same batch again is refused.
	if _, code = run("restore", "start", "--runbook", runbook, "--site", "site-a", "--batch-id", "t1"); code == 0 {
		t.Error("a second batch t1 started")
	}

	out, code = run("batch", "status", "t1")
	if code != 0 || !strings.Contains(out, "2/2 sites") || !strings.Contains(out, "lazarus-batch-t1") {
		t.Errorf("batch status: exit %d", code)
	}
	// JSON for programs: --json and -o json alike.
	var st struct {
		SitesTotal int    `json:"sites_total"`
		WebUI      string `json:"web_ui"`
	}
	out, code = run("batch", "status", "t1", "--json")
	if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil || st.SitesTotal != 2 || !strings.HasSuffix(st.WebUI, "lazarus-batch-t1") {
		t.Errorf("batch status --json: exit %d, %v, %+v", code, err, st)
	}
	var site struct {
		SiteID string `json:"site_id"`
	}
	out, code = run("site", "status", "site-a", "-o", "json")
	if err := json.Unmarshal([]byte(out), &site); code != 0 || err != nil || site.SiteID != "site-a" {
		t.Errorf("site status -o json: exit %d, %v, %+v", code, err, site)
	}
	out, code = run("site", "status", "site-a")
	if code != 0 || !strings.Contains(out, "customer") || !strings.Contains(out, "lazarus-site-site-a") {
		t.Errorf("site status: exit %d", code)
	}
	out, code = run("report", "t1", "--format", "md")
	if code != 0 || !strings.Contains(out, "| Sites | 2 | 2 | 100.0% |") || !strings.Contains(out, "| Users | 42 | 42 | 100.0% |") ||
		!strings.Contains(out, "expected data loss 2m0s to 2m0s") || !strings.Contains(out, "| high |") {
		t.Errorf("report: exit %d", code)
	}
	htmlFile := filepath.Join(dir, "r.html")
	if _, code = run("report", "t1", "--format", "html", "--out", htmlFile); code != 0 {
		t.Errorf("report html: exit %d", code)
	} else if b, _ := os.ReadFile(htmlFile); !bytes.Contains(b, []byte(`class="step"`)) {
		t.Error("html report has no Gantt bars")
	}
	// Visibility is eventually consistent: list until the batch shows.
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, code = run("batch", "list")
		if code == 0 && strings.Contains(out, "t1") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch list never showed t1")
		}
		time.Sleep(time.Second)
	}
	var batches []batchRow
	out, code = run("batch", "list", "-o", "json")
	if err := json.Unmarshal([]byte(out), &batches); code != 0 || err != nil || len(batches) == 0 || batches[0].Batch != "t1" || batches[0].Started.IsZero() {
		t.Errorf("batch list -o json: exit %d, %v, %+v", code, err, batches)
	}
	// A decision for a step that is not parked is refused by the validator.
	if _, code = run("site", "retry", "site-a", "undelete", "--operator", "alice"); code == 0 {
		t.Error("retry of a done step accepted")
	}
	if _, code = run("site", "retry", "site-a", "undelete"); code != 2 {
		t.Errorf("decision without --operator: exit %d, want 2", code)
	}

	// Graceful shutdown.
	stopWorker()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("worker stopped with %v", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("worker did not stop")
	}
}
