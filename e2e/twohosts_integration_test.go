//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/netlab"
	"github.com/lazarus-dr/lazarus/internal/tcpproxy"
	"github.com/lazarus-dr/lazarus/platform/pitr"
	"github.com/lazarus-dr/lazarus/sandbox"
	"github.com/lazarus-dr/lazarus/workflows"
)

const (
	twoHostsFleet = 40
	twoHostsSites = 16
)

// TestTwoHostsOneBatch (issue 13): two worker hosts share one batch, and
// one of them dies in the middle of it.
//
// The hosts are network namespaces on a bridge (internal/netlab), each
// running a lazarus-worker process with --clone-address set to its own IP.
// The Temporal dev server and the sandbox run on the bridge's side (this
// machine's namespace): the sandbox's clusters listen on the bridge's
// address, and its HTTP services and S3 server are reached through
// forwarders there, so every byte a worker sends crosses the veth pairs.
//
// A Restore 2 batch of 16 deleted sites runs, two at a time. Once db.clone
// has made the batch's clones and the host holding them has copied rows for
// some sites, that host is killed: SIGKILL to
// every process in its namespace, its worker and its clones. The other host
// must finish the batch: steps it takes over find the clones gone (their
// addresses no longer answer), make the same clones on their own host, and
// go on. Every site must verify against the sandbox's truth.
func TestTwoHostsOneBatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	tmp := t.TempDir()
	lan, err := netlab.New(ctx, 2)
	if lan != nil {
		t.Cleanup(func() {
			if err := lan.Close(); err != nil {
				t.Errorf("remove the test hosts: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	bin, err := buildCLI(ctx, tmp)
	if err != nil {
		t.Fatal(err)
	}
	workerBin := filepath.Join(tmp, "lazarus-worker")
	if err := goBuild(ctx, workerBin, "./worker/cmd/lazarus-worker"); err != nil {
		t.Fatal(err)
	}
	srv, tc, p := upSeededOn(ctx, t, "lazarus-2hosts-", twoHostsFleet, 13, lan.Network, zap.NewNop())
	temporal := forwardOnGateway(t, lan, srv.FrontendHostPort())
	descs := hostPlatforms(t, p.DescriptionPath(), lan, tmp)
	time.Sleep(afterBackup)
	sites, err := p.Like2022(ctx, twoHostsSites, 0, 13)
	if err != nil {
		t.Fatalf("pick sites: %v", err)
	}
	if _, err := p.PermanentDelete(ctx, sites); err != nil {
		t.Fatalf("delete: %v", err)
	}
	logs := map[string]string{}
	for _, h := range lan.Hosts {
		logs[h.Name] = filepath.Join(tmp, h.Name+".log")
		startHostWorker(ctx, t, lan, h, workerBin, descs[h.Name], temporal, logs[h.Name])
	}

	lz := cli{t: t, bin: bin, address: srv.FrontendHostPort(), platform: p.DescriptionPath()}
	file := writeLines(t, filepath.Join(tmp, "sites.txt"), sites)
	began := time.Now()
	if out, code := lz.run(ctx, "restore", "start", "--runbook", "restore2", "--ids-file", file, "--restore-offset", restoreOffset.String(),
		"--batch-id", "e2e-two-hosts", "--concurrency", "2"); code != 0 {
		t.Fatalf("restore start: exit %d\n%s", code, out)
	}
	owner, clones := waitClones(ctx, t, lan, descs)
	busy := waitSiteWork(ctx, t, logs[owner.Name], 6)
	cloned := time.Since(began)
	killed, err := lan.Kill(ctx, owner)
	if err != nil {
		t.Fatalf("kill host %s: %v", owner.Name, err)
	}
	killedAt := time.Now()
	t.Logf("killed host %s (%s) %.1fs after the start, after %d site steps of its own: %d processes, its worker and %d clones %v",
		owner.Name, owner.IP, cloned.Seconds(), busy, killed, len(clones), clones)

	if out, code := lz.run(ctx, "batch", "watch", "e2e-two-hosts", "--auto-approve", "e2e-test"); code != 0 {
		t.Fatalf("batch watch: exit %d\n%s", code, out)
	}
	var res workflows.BatchResult
	if err := tc.GetWorkflow(ctx, workflows.BatchWorkflowID("e2e-two-hosts"), "").Get(ctx, &res); err != nil {
		t.Fatalf("batch result: %v", err)
	}
	done := time.Now()
	restored := 0
	for _, s := range res.Sites {
		if s.Outcome == workflows.SiteRestored {
			restored++
		} else {
			t.Errorf("site %s: %s %v", s.SiteID, s.Outcome, s.Errors)
		}
	}
	if restored != len(sites) {
		t.Fatalf("%d of %d sites restored", restored, len(sites))
	}
	rep, err := p.Verify(ctx, sandbox.VerifyOptions{IDs: sites})
	if err != nil || !rep.OK {
		t.Fatalf("verify: %v\n%s", err, report(rep))
	}
	survivor := lan.Hosts[0]
	if survivor.Name == owner.Name {
		survivor = lan.Hosts[1]
	}
	remade := remadeClones(t, logs[survivor.Name])
	if remade == 0 {
		t.Errorf("host %s never made a clone in place of the dead host's: the kill did not test what it should (log %s)", survivor.Name, logs[survivor.Name])
	}
	t.Logf("two hosts: %d sites restored and verified in %.1fs; host %s killed at %.1fs, the batch ended %.1fs later; on host %s, %d steps found a clone gone and made or reused this host's own",
		restored, done.Sub(began).Seconds(), owner.Name, cloned.Seconds(), done.Sub(killedAt).Seconds(), survivor.Name, remade)
}

// forwardOnGateway puts a forwarder on the bridge's address in front of a
// server that listens on loopback, and returns the forwarder's address.
func forwardOnGateway(t *testing.T, lan *netlab.LAN, target string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(target)
	if err != nil {
		t.Fatal(err)
	}
	p, err := tcpproxy.Listen(net.JoinHostPort(lan.Gateway, port), target, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p.Addr()
}

var loopbackURL = regexp.MustCompile(`http://127\.0\.0\.1:(\d+)`)

// hostPlatforms writes one platform description per host: the sandbox's,
// with every address on the bridge's side (the clusters listen there; the
// HTTP services and S3 get forwarders on the same ports) and a scratch
// folder of the host's own, as separate machines have.
func hostPlatforms(t *testing.T, src string, lan *netlab.LAN, dir string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	for _, m := range loopbackURL.FindAllStringSubmatch(text, -1) {
		forwardOnGateway(t, lan, "127.0.0.1:"+m[1])
	}
	text = strings.ReplaceAll(text, "127.0.0.1", lan.Gateway)
	scratch := regexp.MustCompile(`(?m)^(\s*scratch_dir:\s*)(\S+)\s*$`)
	if len(scratch.FindAllString(text, -1)) == 0 {
		t.Fatalf("platform %s has no scratch_dir", src)
	}
	out := map[string]string{}
	for _, h := range lan.Hosts {
		desc := scratch.ReplaceAllString(text, "${1}${2}-"+h.Name)
		path := filepath.Join(dir, "platform-"+h.Name+".yaml")
		if err := os.WriteFile(path, []byte(desc), 0o644); err != nil {
			t.Fatal(err)
		}
		out[h.Name] = path
	}
	return out
}

// startHostWorker runs lazarus-worker on host h until the test ends.
func startHostWorker(ctx context.Context, t *testing.T, lan *netlab.LAN, h netlab.Host, bin, desc, temporal, logFile string) {
	t.Helper()
	f, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := lan.Command(ctx, h, bin, "--platform", desc, "--address", temporal, "--namespace", "default",
		"--clone-address", h.IP, "--log-json")
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the worker on %s: %v", h.Name, err)
	}
	t.Cleanup(func() {
		_, _ = lan.Kill(context.Background(), h)
		_ = cmd.Wait()
		_ = f.Close()
	})
}

// waitClones waits until the batch's clones are ready, and returns the host
// holding most of them (each host's scratch folders are its own) with their
// IDs.
func waitClones(ctx context.Context, t *testing.T, lan *netlab.LAN, descs map[string]string) (netlab.Host, []string) {
	t.Helper()
	for {
		total := 0
		var best netlab.Host
		var bestIDs []string
		for _, h := range lan.Hosts {
			ids := readyClones(t, descs[h.Name], h.IP)
			total += len(ids)
			if len(ids) > len(bestIDs) {
				best, bestIDs = h, ids
			}
		}
		if total >= 2 { // restore2 clones the platform and the products clusters
			return best, bestIDs
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the batch's clones were not ready in time: %d seen", total)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

var scratchLine = regexp.MustCompile(`(?m)^\s*scratch_dir:\s*(\S+)\s*$`)

// readyClones lists the clones made on a host that listen on its address.
func readyClones(t *testing.T, desc, ip string) []string {
	t.Helper()
	raw, err := os.ReadFile(desc)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range scratchLine.FindAllStringSubmatch(string(raw), -1) {
		states, _ := filepath.Glob(filepath.Join(m[1], "*", "clone.json"))
		for _, s := range states {
			b, err := os.ReadFile(s)
			if err != nil {
				continue
			}
			var cl pitr.Clone
			if json.Unmarshal(b, &cl) == nil && cl.Host == ip {
				ids = append(ids, cl.ID)
			}
		}
	}
	return ids
}

// waitSiteWork waits until a worker's log shows at least n tenant copies
// (site steps reading a clone), and returns how many it shows: the host to
// be killed is then in the middle of the batch's site work, not only done
// with its clones.
func waitSiteWork(ctx context.Context, t *testing.T, logFile string, n int) int {
	t.Helper()
	for {
		raw, err := os.ReadFile(logFile)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(string(raw), `"msg":"tenant rows copied"`); got >= n {
			return got
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the worker of %s did no site work in time", logFile)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// remadeClones counts the log lines of a worker that made a clone in place
// of one whose host is gone (activities.Engine.Reach).
func remadeClones(t *testing.T, logFile string) int {
	t.Helper()
	raw, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(raw), "clone unreachable; making it on this host")
}
