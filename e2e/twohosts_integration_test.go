//go:build integration

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/netlab"
	"github.com/lazarus-dr/lazarus/sandbox"
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
	sites := deleteSites(ctx, t, p, twoHostsSites, 13)
	logs := map[string]string{}
	for _, h := range lan.Hosts {
		logs[h.Name] = filepath.Join(tmp, h.Name+".log")
		startHostWorker(ctx, t, lan, h, workerBin, descs.Paths[h.Name], temporal, logs[h.Name])
	}

	lz := cli{t: t, bin: bin, address: srv.FrontendHostPort(), platform: p.DescriptionPath()}
	file := writeLines(t, filepath.Join(tmp, "sites.txt"), sites)
	began := time.Now()
	if out, code := lz.run(ctx, "restore", "start", "--runbook", "restore2", "--ids-file", file, "--restore-offset", restoreOffset.String(),
		"--batch-id", "e2e-two-hosts", "--concurrency", "2"); code != 0 {
		t.Fatalf("restore start: exit %d\n%s", code, out)
	}
	// restore2 clones the platform and the products clusters.
	owner, clones, err := lan.WaitClones(ctx, descs, 2)
	if err != nil {
		t.Fatalf("the batch's clones: %v", err)
	}
	// The host to be killed is then in the middle of the batch's site
	// work, not only done with its clones.
	busy, err := netlab.WaitLog(ctx, logs[owner.Name], netlab.LogTenantCopied, 6)
	if err != nil {
		t.Fatalf("site work on %s: %v", owner.Name, err)
	}
	cloned := time.Since(began)
	killed, err := lan.Kill(ctx, owner)
	if err != nil {
		t.Fatalf("kill host %s: %v", owner.Name, err)
	}
	killedAt := time.Now()
	t.Logf("killed host %s (%s) %.1fs after the start, after %d site steps of its own: %d processes, its worker and %d clones %v",
		owner.Name, owner.IP, cloned.Seconds(), busy, killed, len(clones), clones)

	restored := watchAllRestored(ctx, t, lz, tc, "e2e-two-hosts", sites)
	done := time.Now()
	rep, err := p.Verify(ctx, sandbox.VerifyOptions{IDs: sites})
	if err != nil || !rep.OK {
		t.Fatalf("verify: %v\n%s", err, report(rep))
	}
	survivor := lan.Hosts[0]
	if survivor.Name == owner.Name {
		survivor = lan.Hosts[1]
	}
	remade, err := netlab.CountLog(logs[survivor.Name], netlab.LogCloneRemade)
	if err != nil {
		t.Fatal(err)
	}
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
	p, err := lan.Forward(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p.Addr()
}

// hostPlatforms writes one platform description per host (netlab.LAN.WritePlatforms).
func hostPlatforms(t *testing.T, src string, lan *netlab.LAN, dir string) *netlab.Platforms {
	t.Helper()
	ps, err := lan.WritePlatforms(src, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ps.Close)
	return ps
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
