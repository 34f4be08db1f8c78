//go:build integration

package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/lazarus-dr/lazarus/internal/chromium"
	"github.com/lazarus-dr/lazarus/internal/devserver"
	"github.com/lazarus-dr/lazarus/internal/tconn"
	"github.com/lazarus-dr/lazarus/internal/tools"
	"github.com/lazarus-dr/lazarus/runbooks"
	"github.com/lazarus-dr/lazarus/worker"
	"github.com/lazarus-dr/lazarus/workflows"
)

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestWebUIListsBatchScreenshot runs a small batch on a dev server with its
// Web UI, opens the workflow list filtered by the batch search attribute in
// headless Chromium, and keeps the screenshot under out/.
func TestWebUIListsBatchScreenshot(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	uiPort := freePort(t)
	srv, err := devserver.Start(ctx, devserver.Options{UI: true, UIPort: strconv.Itoa(uiPort)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	c := srv.Client()
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	ready := make(chan struct{})
	go func() {
		_ = worker.Run(wctx, worker.Options{Client: c, Config: worker.DefaultConfig(), RegisterActivities: noop, Ready: ready})
	}()
	<-ready

	plan, err := runbooks.Load(writeTiny(t))
	if err != nil {
		t.Fatal(err)
	}
	// No gate: the batch ends on its own.
	var steps []runbooks.PlanStep
	for _, s := range plan.Steps {
		if s.Gate == nil {
			steps = append(steps, s)
		}
	}
	plan.Steps = steps
	batch := fmt.Sprintf("ui-%d", time.Now().Unix())
	var sites []workflows.Site
	for i := 0; i < 6; i++ {
		d := time.Now().Add(-time.Hour)
		sites = append(sites, workflows.Site{SiteID: fmt.Sprintf("ui-site-%d", i), DeletedAt: d, RestorePoint: d.Add(-5 * time.Minute)})
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.BatchWorkflowID(batch), TaskQueue: workflows.WorkflowTaskQueue},
		workflows.RestoreBatchWorkflowName, workflows.RestoreBatchInput{BatchID: batch, Plan: *plan, Sites: sites, MaxConcurrentSites: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// Visibility lags a little.
	q := fmt.Sprintf("%s = '%s'", workflows.SearchAttrBatchID, batch)
	for i := 0; ; i++ {
		resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: "default", Query: q})
		if err == nil && resp.GetCount() >= int64(len(sites)) {
			break
		}
		if i > 40 {
			t.Fatalf("visibility never listed the batch's site workflows (%v)", err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	root, _ := tools.RepoRoot()
	outDir := filepath.Join(root, "out")
	os.MkdirAll(outDir, 0o755)
	png := filepath.Join(outDir, "webui-batch-list.png")
	os.Remove(png)
	url := tconn.ListURL(fmt.Sprintf("http://127.0.0.1:%d", uiPort), "default", q)
	if err := chromium.Screenshot(ctx, url, png, chromium.Options{Width: 1400, Height: 900, VirtualTimeBudget: 15 * time.Second}); err != nil {
		t.Fatal(err)
	}
	st, err := chromium.Analyze(png)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Web UI %s\nscreenshot %s: variance %.0f colours %d non-white %.1f%%", url, png, st.Variance, st.Colors, 100*st.NonWhite)
	if st.Variance < 100 || st.Colors < 50 {
		t.Errorf("the Web UI screenshot looks blank: %+v", st)
	}
}

func writeTiny(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "tiny.yaml")
	if err := os.WriteFile(p, []byte(tinyRunbook), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
