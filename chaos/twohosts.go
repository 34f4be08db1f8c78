package chaos

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/netlab"
)

// Scenario 7: two worker hosts share the batch, and the host holding the
// clones dies in the middle of it. The hosts are network namespaces on a
// bridge (internal/netlab), as in e2e's TestTwoHostsOneBatch but at chaos
// scale: the Temporal server listens on the bridge's address (the gateway),
// the sandbox's clusters too (`lazarus sandbox up --network`), its HTTP
// services and S3 server through forwarders there; each host runs one
// lazarus-worker with --clone-address and --metrics-address on its own IP
// and a platform description of its own (its own scratch folders). Once the
// batch's clones are ready and their host copied some tenants, that host
// is killed: SIGKILL to every process in its namespace, its worker and its
// clones. The other host must finish the batch, making the clones again on
// its own IP when it finds them gone (activities.Engine.Reach), and every
// site must verify.

// hostsLAN is a scenario's LAN of worker hosts (stack.hosts).
type hostsLAN struct {
	lan       *netlab.LAN
	platforms *netlab.Platforms
	started   int               // workers started on the hosts so far
	logs      map[string]string // host name -> its worker's log
}

// metricsPort is where each host's worker serves /metrics, on its own IP.
const metricsPort = "9090"

// openHosts makes the LAN of n hosts before anything else starts: the
// Temporal server and the sandbox listen on its gateway.
func (s *stack) openHosts(ctx context.Context, n int) error {
	lan, err := netlab.New(ctx, n)
	if lan != nil {
		s.hosts = &hostsLAN{lan: lan, logs: map[string]string{}}
	}
	if err != nil {
		return fmt.Errorf("worker hosts: %w", err)
	}
	s.log.Info("worker hosts up", zap.String("gateway", lan.Gateway), zap.Int("hosts", len(lan.Hosts)))
	return s.recordHosts()
}

// hostsFile lists the hosts' namespaces and the LAN's interfaces until
// closeHosts removed them, for scripts/chaos.sh to remove after a driver
// killed hard.
func (s *stack) hostsFile() string { return filepath.Join(s.dir, "lan.txt") }

func (s *stack) recordHosts() error {
	var b strings.Builder
	for _, h := range s.hosts.lan.Hosts {
		fmt.Fprintf(&b, "netns %s\n", h.Name)
	}
	for _, l := range s.hosts.lan.Links() {
		fmt.Fprintf(&b, "link %s\n", l)
	}
	if err := os.WriteFile(s.hostsFile(), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("worker hosts: %w", err)
	}
	return nil
}

// bindIP is the address the Temporal server listens on: the hosts'
// gateway when there are hosts, else loopback.
func (s *stack) bindIP() string {
	if s.hosts != nil {
		return s.hosts.lan.Gateway
	}
	return "127.0.0.1"
}

// sandboxArgs are what `lazarus sandbox up` is given for the hosts: its
// clusters also listen on the gateway.
func (s *stack) sandboxArgs() []string {
	if s.hosts == nil {
		return nil
	}
	return []string{"--network", s.hosts.lan.Network}
}

// hostPlatforms writes each host's platform description (and starts the
// forwarders it needs): the scenario's prepare, once the sandbox is up.
func hostPlatforms(_ context.Context, r *run) error {
	ps, err := r.s.hosts.lan.WritePlatforms(filepath.Join(r.s.sbDir, "platform.yaml"), r.s.dir)
	if err != nil {
		return err
	}
	r.s.hosts.platforms = ps
	r.note("%d worker hosts on %s (Temporal server at %s); HTTP services and S3 forwarded on the gateway",
		len(r.s.hosts.lan.Hosts), r.s.hosts.lan.Network, r.s.address)
	return nil
}

// startHostWorker starts lazarus-worker on the next host and waits until it
// polls.
func (s *stack) startHostWorker(ctx context.Context) (*proc, error) {
	hs := s.hosts
	h := hs.lan.Hosts[hs.started%len(hs.lan.Hosts)]
	hs.started++
	s.workerRuns++
	name := fmt.Sprintf("worker-%d-%s", s.workerRuns, h.Name)
	logPath := filepath.Join(s.logs, name+".log")
	p, err := startProc(name, logPath, s.pids, s.env(), netlab.IPCommand(), "netns", "exec", h.Name, s.bin("lazarus-worker"),
		"--platform", hs.platforms.Paths[h.Name], "--address", s.address, "--namespace", "default",
		"--clone-address", h.IP, "--metrics-address", h.IP+":"+metricsPort, "--log-json", "--log-level", "info")
	if err != nil {
		return nil, err
	}
	if err := p.waitLog(ctx, 0, "worker running", time.Minute); err != nil {
		return nil, err
	}
	hs.logs[h.Name] = logPath
	s.workers = append(s.workers, p)
	return p, nil
}

// closeHosts stops the forwarders and removes the hosts (what is left on
// them is killed): after everything that listens on the gateway stopped.
func (s *stack) closeHosts() {
	if s.hosts == nil {
		return
	}
	if s.hosts.platforms != nil {
		s.hosts.platforms.Close()
	}
	if err := s.hosts.lan.Close(); err != nil {
		s.log.Warn("remove the worker hosts", zap.Error(err))
		return
	}
	_ = os.Remove(s.hostsFile())
}

// hostKill is what killCloneHost did, for the judge.
type hostKill struct {
	owner, survivor netlab.Host
	clones          []string
	copies          int // tenant copies the owner had done
	processes       int
	at              time.Time
}

// killCloneHost waits until the batch's clones are ready and their host
// copied some tenants (a tenth of the sites', at least 6), then kills that
// host.
func killCloneHost(ctx context.Context, r *run) {
	hs := r.s.hosts
	// Restore 2 clones the platform and the products clusters.
	owner, clones, err := hs.lan.WaitClones(ctx, hs.platforms, 2)
	if err != nil {
		if ctx.Err() == nil {
			r.fail("the batch's clones: %v", err)
		}
		return
	}
	r.note("clones ready on host %s (%s): %s", owner.Name, owner.IP, strings.Join(clones, ", "))
	copies, err := netlab.WaitLog(ctx, hs.logs[owner.Name], netlab.LogTenantCopied, max(6, len(r.s.sites)/10))
	if err != nil {
		if ctx.Err() == nil {
			r.fail("site work on host %s: %v", owner.Name, err)
		}
		return
	}
	n, err := hs.lan.Kill(context.WithoutCancel(ctx), owner)
	if err != nil {
		r.fail("kill host %s: %v", owner.Name, err)
		return
	}
	k := &hostKill{owner: owner, clones: clones, copies: copies, processes: n, at: time.Now()}
	for _, h := range hs.lan.Hosts {
		if h.Name != owner.Name {
			k.survivor = h
		}
	}
	r.fact("host-kill", k)
	r.note("host %s killed (SIGKILL to its %d processes: its worker and clones) after %d tenant copies of its own; host %s goes on alone",
		owner.Name, n, copies, k.survivor.Name)
}

func judgeTwoHosts(ctx context.Context, r *run) {
	k, _ := r.got("host-kill").(*hostKill)
	if k == nil {
		r.fail("the host holding the clones was not killed during the batch")
		return
	}
	remade, err := netlab.CountLog(r.s.hosts.logs[k.survivor.Name], netlab.LogCloneRemade)
	if err != nil {
		r.fail("the survivor's log: %v", err)
	}
	if remade == 0 {
		r.fail("host %s never made a clone in place of the dead host's: the kill did not test what it should", k.survivor.Name)
	}
	if r.result != nil {
		took := r.result.EndedAt.Sub(r.b.started)
		r.note("figures: %d sites in %s (%.2f sites/s); host %s killed %s into the batch, which ended %s after the kill; on host %s, %d steps found a clone gone and made or reused this host's own",
			len(r.s.sites), took.Round(100*time.Millisecond), float64(len(r.s.sites))/took.Seconds(), k.owner.Name,
			k.at.Sub(r.b.started).Round(100*time.Millisecond), r.result.EndedAt.Sub(k.at).Round(100*time.Millisecond), k.survivor.Name, remade)
	}
	r.note("metrics of host %s: %s", k.survivor.Name, scrapeMetrics(ctx, k.survivor.IP))
}

// scrapeMetrics reads a host worker's /metrics and sums it up in a line:
// its lazarus_ and temporal_ series and a few totals.
func scrapeMetrics(ctx context.Context, ip string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	url := "http://" + ip + ":" + metricsPort + "/metrics"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err.Error()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Sprintf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("scrape %s: HTTP %d", url, resp.StatusCode)
	}
	sums := map[string]float64{}
	lazarus, temporal := 0, 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, _, _ := strings.Cut(line, "{")
		name, _, _ = strings.Cut(name, " ")
		switch {
		case strings.HasPrefix(name, "lazarus_"):
			lazarus++
		case strings.HasPrefix(name, "temporal_"):
			temporal++
		}
		fields := strings.Fields(line)
		if v, err := strconv.ParseFloat(fields[len(fields)-1], 64); err == nil {
			sums[name] += v
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Sprintf("scrape %s: %v", url, err)
	}
	return fmt.Sprintf("%d lazarus_ and %d temporal_ series; lazarus_sites_total %.0f, lazarus_clone_duration_seconds_count %.0f, lazarus_rows_restored_total %.0f, lazarus_step_duration_seconds_count %.0f",
		lazarus, temporal, sums["lazarus_sites_total"], sums["lazarus_clone_duration_seconds_count"],
		sums["lazarus_rows_restored_total"], sums["lazarus_step_duration_seconds_count"])
}
