//go:build integration

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/worker"
	"github.com/lazarus-dr/lazarus/workflows"
)

// pluginRunbook has the two plug-in steps only (a restore needs no other
// step to finish): a webhook, then an external step whose input is over
// the codec's 1 KiB (a long param), so a compressed payload would fail the
// example worker, which has no codec.
const pluginRunbook = `name: e2e-plugins
defaults:
  timeout: 1m
  heartbeat: 10s
  retry: {initial_interval: 200ms, backoff: 2, max_interval: 1s}
steps:
  - id: notify
    action: webhook
    params: {webhook: billing, reason: e2e}
  - id: reconcile
    action: external
    needs: [notify]
    params: {task_queue: e2e-billing, activity: billing.reconcile, account: "42", note: "%s"}
`

// TestPluginSteps (issue 14): a batch of 3 deleted sites runs a runbook
// with a webhook step and an external step against the examples, each a
// real process: examples/webhook-server (which fails each key's first
// call with 503 and refuses one site with 422) and
// examples/external-worker (the Temporal SDK only). The webhook is called
// twice per good site (503, then 200: retried) and the external worker
// once; the good sites are restored with both steps' outputs; the refused
// site parks at the webhook with one clear line, runs no external step,
// and is aborted by an operator.
func TestPluginSteps(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	tmp := t.TempDir()
	began := time.Now()
	// The binaries build while the sandbox comes up.
	builds := make(chan pluginBins, 1)
	go func() { builds <- buildPluginBins(ctx, tmp) }()
	srv, tc, p := upSeeded(ctx, t, "lazarus-plugins-", 12, 14, zap.NewNop())
	sites := deleteSites(ctx, t, p, 3, 14)
	bins := <-builds
	if bins.err != nil {
		t.Fatal(bins.err)
	}
	t.Logf("%.1fs: the CLI and the examples built, the sandbox up, 3 sites deleted", time.Since(began).Seconds())
	good, refused := sites[:2], sites[2]

	hookURL := startHookServer(ctx, t, bins.hook, "-addr", "127.0.0.1:0", "-fail-first", "-refuse-sites", refused)
	ext := startProcess(ctx, t, bins.external, "-address", srv.FrontendHostPort(), "-task-queue", "e2e-billing", "-activity", "billing.reconcile")
	platformFile := withWebhook(t, p.DescriptionPath(), filepath.Join(tmp, "platform.yaml"), hookURL+"/restore")
	startWorker(ctx, t, "the worker", worker.Options{Client: tc, PlatformFile: platformFile, Config: worker.DefaultConfig(), Logger: zap.NewNop()})

	lz := cli{t: t, bin: bins.cli, address: srv.FrontendHostPort(), platform: platformFile}
	if out, code := lz.run(ctx, "runbook", "validate", "../examples/plugin-runbook.yaml"); code != 0 {
		t.Fatalf("examples/plugin-runbook.yaml: exit %d\n%s", code, out)
	}
	rb := filepath.Join(tmp, "plugins.yaml")
	if err := os.WriteFile(rb, []byte(fmt.Sprintf(pluginRunbook, strings.Repeat("x", 1500))), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := lz.run(ctx, "restore", "start", "--runbook", rb, "--ids-file", writeLines(t, filepath.Join(tmp, "sites.txt"), sites),
		"--restore-offset", restoreOffset.String(), "--batch-id", "e2e-plugins"); code != 0 {
		t.Fatalf("restore start: exit %d\n%s", code, out)
	}
	started := time.Now()
	checkRefusedSiteParks(ctx, t, lz, refused, hookURL)
	t.Logf("%.1fs: the refused site parked %.1fs after the batch started", time.Since(began).Seconds(), time.Since(started).Seconds())
	if out, code := lz.run(ctx, "site", "abort", refused, "--operator", "e2e-test", "--reason", "no billing account"); code != 0 {
		t.Fatalf("site abort: exit %d\n%s", code, out)
	}
	var res workflows.BatchResult
	if err := tc.GetWorkflow(ctx, workflows.BatchWorkflowID("e2e-plugins"), "").Get(ctx, &res); err != nil {
		t.Fatalf("batch result: %v", err)
	}
	for _, s := range res.Sites {
		want := workflows.SiteRestored
		if s.SiteID == refused {
			want = workflows.SiteAborted
		}
		if s.Outcome != want {
			t.Errorf("site %s: %s %v, want %s", s.SiteID, s.Outcome, s.Errors, want)
		}
	}
	t.Logf("%.1fs: the batch ended %.1fs after it started", time.Since(began).Seconds(), time.Since(started).Seconds())
	checkHookCalls(t, hookURL, good, refused)
	checkExternalCalls(t, ext, good)
}

// checkRefusedSiteParks waits until the refused site's webhook step parks
// and requires its error, as `site status --json` shows it, to be the one
// line naming the webhook, its host, the status and the answer's message.
func checkRefusedSiteParks(ctx context.Context, t *testing.T, lz cli, site, hookURL string) {
	t.Helper()
	want := fmt.Sprintf("webhook billing (%s) answered 422 Unprocessable Entity: no billing account for site %s", strings.TrimPrefix(hookURL, "http://"), site)
	var last string
	for ctx.Err() == nil {
		out, code := lz.run(ctx, "site", "status", site, "--json")
		var st workflows.SiteState
		if code == 0 && json.Unmarshal([]byte(out), &st) == nil {
			for _, s := range st.Steps {
				if s.StepID == "notify" && s.Status == workflows.StepParked {
					if !strings.Contains(s.Error, want) || strings.Contains(s.Error, "\n") || strings.Contains(s.Error, "{") {
						t.Fatalf("parked step's error %q, want one line with %q", s.Error, want)
					}
					return
				}
			}
		}
		last = out
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("site %s never parked at its webhook step; last status:\n%s", site, last)
}

// hookCall is one line of the webhook server's GET /calls.
type hookCall struct {
	Key    string `json:"key"`
	SiteID string `json:"site_id"`
	Status int    `json:"status"`
}

// checkHookCalls: each good site's key was called twice (503, 200), the
// refused site's once (422), and nothing else.
func checkHookCalls(t *testing.T, hookURL string, good []string, refused string) {
	t.Helper()
	resp, err := http.Get(hookURL + "/calls")
	if err != nil {
		t.Fatalf("webhook server calls: %v", err)
	}
	defer resp.Body.Close()
	var calls []hookCall
	if err := json.NewDecoder(resp.Body).Decode(&calls); err != nil {
		t.Fatalf("webhook server calls: %v", err)
	}
	byKey := map[string][]int{}
	for _, c := range calls {
		byKey[c.Key] = append(byKey[c.Key], c.Status)
	}
	want := map[string][]int{"e2e-plugins/" + refused + "/notify": {422}}
	for _, s := range good {
		want["e2e-plugins/"+s+"/notify"] = []int{503, 200}
	}
	if fmt.Sprint(byKey) != fmt.Sprint(want) {
		t.Errorf("webhook calls by key %v, want %v", byKey, want)
	}
}

// checkExternalCalls: the external worker ran the step once for each good
// site, never for the refused one, and with the whole input.
func checkExternalCalls(t *testing.T, ext *process, good []string) {
	t.Helper()
	ran := map[string]int{}
	for _, line := range strings.Split(ext.stdout(), "\n") {
		var ev struct {
			Event  string `json:"event"`
			SiteID string `json:"site_id"`
			StepID string `json:"step_id"`
			Again  bool   `json:"again"`
			Params int    `json:"params"`
		}
		if json.Unmarshal([]byte(line), &ev) != nil || ev.Event != "step" {
			continue
		}
		ran[ev.SiteID]++
		if ev.StepID != "reconcile" || ev.Again || ev.Params != 4 {
			t.Errorf("external call %s", line)
		}
	}
	want := map[string]int{}
	for _, s := range good {
		want[s] = 1
	}
	if fmt.Sprint(ran) != fmt.Sprint(want) {
		t.Errorf("external worker ran %v, want %v\nits stderr:\n%s", ran, want, ext.stderr())
	}
}

// pluginBins are the programs the test runs.
type pluginBins struct {
	cli, hook, external string
	err                 error
}

// buildPluginBins builds the CLI and the two examples into dir.
func buildPluginBins(ctx context.Context, dir string) pluginBins {
	b := pluginBins{hook: filepath.Join(dir, "webhook-server"), external: filepath.Join(dir, "external-worker")}
	if b.cli, b.err = buildCLI(ctx, dir); b.err != nil {
		return b
	}
	if b.err = goBuild(ctx, b.hook, "./examples/webhook-server"); b.err != nil {
		return b
	}
	b.err = goBuild(ctx, b.external, "./examples/external-worker")
	return b
}

// withWebhook writes to path the platform description at from with a
// webhook "billing" at url.
func withWebhook(t *testing.T, from, path, url string) string {
	t.Helper()
	raw, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("\nwebhooks:")) {
		t.Fatalf("%s already has webhooks", from)
	}
	raw = append(raw, fmt.Sprintf("\nwebhooks:\n  - name: billing\n    url: %s\n    timeout: 5s\n", url)...)
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// process is an example program running beside the test.
type process struct {
	cmd         *exec.Cmd
	mu          sync.Mutex
	out, errOut bytes.Buffer
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (p *process) stdout() string { p.mu.Lock(); defer p.mu.Unlock(); return p.out.String() }
func (p *process) stderr() string { p.mu.Lock(); defer p.mu.Unlock(); return p.errOut.String() }

// startProcess runs bin with args until the test ends (SIGTERM, then a
// wait), its output kept.
func startProcess(ctx context.Context, t *testing.T, bin string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.CommandContext(ctx, bin, args...)}
	p.cmd.Stdout, p.cmd.Stderr = lockedWriter{&p.mu, &p.out}, lockedWriter{&p.mu, &p.errOut}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- p.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
	})
	return p
}

// startHookServer runs the example webhook server and returns its URL,
// read from its first line ("listening on http://HOST:PORT").
func startHookServer(ctx context.Context, t *testing.T, bin string, args ...string) string {
	t.Helper()
	p := startProcess(ctx, t, bin, args...)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		line, err := bufio.NewReader(strings.NewReader(p.stdout())).ReadString('\n')
		if err == nil {
			if url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on "); ok {
				return url
			}
			t.Fatalf("webhook server said %q", line)
		} else if !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("webhook server did not listen within 20s:\n%s", p.stderr())
	return ""
}
