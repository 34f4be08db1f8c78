//go:build integration

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/internal/devserver"
	"github.com/lazarus-dr/lazarus/worker"
	"github.com/lazarus-dr/lazarus/workflows"
)

// A batch whose sites are midway (both at their customer gate, none
// finished) on a real dev server and worker: the batch's query counts no
// step, the sites' progress memos, listed through visibility, count the
// four steps each has done; `batch watch` shows stages apart (catalog
// 100%, validation 50%) and each waiting site with its age, in plain lines;
// with --auto-approve it approves both gates and ends with the batch.
func TestWatchCountsRunningSites(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	srv, err := devserver.Start(ctx, devserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	cat := fakeCatalog(t, time.Now().Add(-time.Hour))
	platformFile := filepath.Join(dir, "platform.yaml")
	runbook := filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(platformFile, []byte(fmt.Sprintf("name: test\nretention: 720h\nservices:\n  catalog: %s\n", cat.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(runbook, []byte(tinyRunbook), 0o644); err != nil {
		t.Fatal(err)
	}
	wctx, stopWorker := context.WithCancel(ctx)
	ready, stopped := make(chan struct{}), make(chan error, 1)
	go func() {
		stopped <- worker.Run(wctx, worker.Options{Client: srv.Client(), Config: worker.DefaultConfig(), RegisterActivities: noop, Ready: ready})
	}()
	defer func() { stopWorker(); <-stopped }() // before the server stops
	select {
	case <-ready:
	case err := <-stopped:
		t.Fatalf("worker: %v", err)
	}

	h := lazarus(t, "TEMPORAL_ADDRESS="+srv.FrontendHostPort(), "LAZARUS_PLATFORM="+platformFile)
	if r := h.Run(t, ctx, "restore", "start", "--runbook", runbook, "--site", "site-a", "--site", "site-b",
		"--batch-id", "mid", "--restore-offset", "2m"); r.Code != 0 {
		t.Fatalf("restore start: exit %d", r.Code)
	}

	// Visibility is eventually consistent: list until both sites report.
	var live liveSteps
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		live, err = listLiveSteps(ctx, srv.Client(), "default", "mid")
		if err == nil && live.Reporting == 2 && live.ByStage["validation"] == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the running sites never reported their steps: %+v, %v", live, err)
		}
	}
	p, status, err := batchProgress(ctx, srv.Client(), workflows.BatchWorkflowID("mid"))
	if err != nil {
		t.Fatal(err)
	}
	v := progressView{P: p, Live: &live, Status: status, Now: time.Now()}
	for _, c := range v.stages() {
		if c.Done() <= c.Finished {
			t.Errorf("stage %s: %d done, no more than the finished sites' %d", c.Stage, c.Done(), c.Finished)
		}
	}
	t.Logf("batch watch on a terminal of 100 by 30:\n%s", strings.Join(v.screen(100, 30), "\n"))
	if s := v.steps(); s.Finished != 0 || s.Done() != 8 || s.Total != 10 {
		t.Errorf("steps %+v, want 8 of 10, none of a finished site", s)
	}

	// batch watch, for a few seconds, to a non-terminal.
	watchCtx, stopWatch := context.WithTimeout(ctx, 4*time.Second)
	defer stopWatch()
	out := h.Run(t, watchCtx, "batch", "watch", "mid").Output
	for _, want := range []string{"stages catalog 100.0%", "validation 50.0%", "steps 80.0% 8/10",
		"site site-a waiting at gate customer for ", "site site-b waiting at gate customer for "} {
		if !strings.Contains(out, want) {
			t.Errorf("batch watch lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("batch watch drew on a non-terminal:\n%s", out)
	}

	// The gates approved from the batch's list of waiting sites: the watch
	// ends with the batch.
	r := h.Run(t, ctx, "batch", "watch", "mid", "--auto-approve", "tester")
	if r.Code != 0 || !strings.Contains(r.Output, "2/2 sites restored") {
		t.Errorf("batch watch --auto-approve: exit %d", r.Code)
	}
	// Its first line counts the running sites' steps as listed before the
	// approvals let them end.
	if !strings.Contains(r.Output, "steps 80.0% 8/10") || strings.Contains(r.Output, "steps 0.0%") {
		t.Errorf("batch watch --auto-approve lost the running sites' steps:\n%s", r.Output)
	}
}
