package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/tconn"
	"github.com/lazarus-dr/lazarus/internal/tcpproxy"
	"github.com/lazarus-dr/lazarus/internal/tserver"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/workflows"
)

// stack is one scenario's real stack, every part a process of its own:
// the Temporal dev server on a SQLite file (the flags of scripts/up.sh)
// or, with Config.Server "postgres", temporal-server on PostgreSQL,
// the sandbox (`lazarus sandbox up`), the workers (lazarus-worker), the
// live traffic to the other tenants (`lazarus sandbox traffic`).
type stack struct {
	cfg   Config
	log   *zap.Logger
	rng   *rand.Rand
	dir   string // the scenario's folder
	sbDir string // the sandbox's state folder
	logs  string
	pids  string

	address      string
	ui           string
	temporalBin  string
	temporalArgs []string
	temporal     *proc
	tserver      *tserver.Server // Config.Server "postgres": its cluster and config
	temporalRuns int
	sandbox      *proc
	traffic      *proc
	workers      []*proc
	workerRuns   int
	// workerPlatform, when set, is the platform description the workers
	// read instead of the sandbox's (scenario 1: media through a
	// tcpproxy.Proxy); mediaProxy is that proxy.
	workerPlatform string
	mediaProxy     *tcpproxy.Proxy
	// hosts, when set, are the worker hosts the workers run on (scenario
	// 7, twohosts.go); the server and the sandbox listen on their gateway.
	hosts *hostsLAN

	tc          client.Client
	desc        *platform.Description
	sites       []string // the sites the disaster deleted
	sitesFile   string
	disasterEnd time.Time
}

// newStack makes a fresh folder for scenario name (stopping a sandbox a
// crashed earlier run left there).
func newStack(ctx context.Context, cfg Config, name string, seed int64) (*stack, error) {
	dir := filepath.Join(cfg.StateDir, name)
	s := &stack{cfg: cfg, log: cfg.Logger.With(zap.String("scenario", name)), rng: rand.New(rand.NewPCG(uint64(seed), 7)),
		dir: dir, sbDir: filepath.Join(dir, "sandbox"), logs: filepath.Join(dir, "logs"), pids: filepath.Join(dir, "pids")}
	if _, err := os.Stat(filepath.Join(s.sbDir, "platform.yaml")); err == nil {
		_, _ = s.lazarus(ctx, "sandbox", "down", "--state", s.sbDir)
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("clear %s: %w", dir, err)
	}
	// PostgreSQL runs as the postgres user: it must traverse the folders.
	for _, d := range []string{cfg.StateDir, dir, s.logs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
		if err := os.Chmod(d, 0o755); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *stack) bin(name string) string { return filepath.Join(s.cfg.BinDir, name) }

// env is what every lazarus process is given.
func (s *stack) env() []string {
	return []string{"TEMPORAL_ADDRESS=" + s.address, "TEMPORAL_NAMESPACE=default", "LAZARUS_UI_ADDRESS=" + s.ui,
		"LAZARUS_PLATFORM=" + filepath.Join(s.sbDir, "platform.yaml"), "LAZARUS_STATE=" + s.dir}
}

// lazarus runs the CLI to its end: what it printed, its exit code, and
// an error when it could not run.
func (s *stack) lazarus(ctx context.Context, args ...string) (output, error) {
	return runCmd(ctx, s.env(), s.bin("lazarus"), args...)
}

// must runs the CLI and wants exit 0; it returns the standard output.
func (s *stack) must(ctx context.Context, args ...string) (string, error) {
	o, err := s.lazarus(ctx, args...)
	if err == nil && o.Code != 0 {
		err = fmt.Errorf("lazarus %s: exit %d:\n%s", strings.Join(args, " "), o.Code, tail([]byte(o.text()), 20))
	}
	return o.Stdout, err
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startTemporal starts the dev server on free ports with the flags of
// scripts/up.sh, and a client once it answers.
func (s *stack) startTemporal(ctx context.Context) error {
	if s.cfg.Server == "postgres" {
		return s.startRealTemporal(ctx)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	ui, err := freePort()
	if err != nil {
		return err
	}
	ip := s.bindIP()
	s.address, s.ui = net.JoinHostPort(ip, strconv.Itoa(port)), "http://"+net.JoinHostPort(ip, strconv.Itoa(ui))
	s.temporalBin = s.cfg.TemporalBin
	s.temporalArgs = []string{"server", "start-dev", "--ip", ip, "--port", strconv.Itoa(port),
		"--ui-port", strconv.Itoa(ui), "--db-filename", filepath.Join(s.dir, "temporal.db"),
		"--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal",
		"--dynamic-config-value", "system.enableActivityEagerExecution=true",
		"--dynamic-config-value", "history.maximumBufferedEventsBatch=1000", "--log-level", "warn"}
	for _, sa := range workflows.SearchAttributeTypes {
		s.temporalArgs = append(s.temporalArgs, "--search-attribute", sa)
	}
	if err := s.runTemporal(ctx); err != nil {
		return err
	}
	tc, _, err := tconn.Dial(ctx, tconn.Config{Address: s.address, Namespace: "default", Logger: zap.NewNop()})
	if err != nil {
		return err
	}
	s.tc = tc
	s.log.Info("Temporal dev server up", zap.String("address", s.address), zap.String("web_ui", s.ui))
	return nil
}

// startRealTemporal starts temporal-server on its own PostgreSQL cluster
// (internal/tserver) in the scenario's folder; it has no Web UI.
func (s *stack) startRealTemporal(ctx context.Context) error {
	srv, err := tserver.Prepare(ctx, tserver.Options{Dir: filepath.Join(s.dir, "temporal"), BindIP: s.bindIP()})
	if err != nil {
		return err
	}
	s.tserver, s.address = srv, srv.Address
	s.temporalBin, s.temporalArgs = srv.Command()
	if err := s.runTemporal(ctx); err != nil {
		return err
	}
	if err := srv.Bootstrap(ctx); err != nil {
		return err
	}
	tc, _, err := tconn.Dial(ctx, tconn.Config{Address: s.address, Namespace: "default", Logger: zap.NewNop()})
	if err != nil {
		return err
	}
	s.tc = tc
	s.log.Info("Temporal server on PostgreSQL up", zap.String("address", s.address), zap.Duration("schema", srv.Timings.Schema))
	return nil
}

// runTemporal starts the server process and waits until it is healthy.
func (s *stack) runTemporal(ctx context.Context) error {
	s.temporalRuns++
	p, err := startProc("temporal", filepath.Join(s.logs, "temporal.log"), s.pids, nil, s.temporalBin, s.temporalArgs...)
	if err != nil {
		return err
	}
	s.temporal = p
	deadline := time.Now().Add(90 * time.Second)
	for {
		hctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		c, _, err := tconn.Dial(hctx, tconn.Config{Address: s.address, Namespace: "default", Logger: zap.NewNop()})
		if err == nil {
			_, err = c.CheckHealth(hctx, &client.CheckHealthRequest{})
			c.Close()
		}
		cancel()
		if err == nil {
			return nil
		}
		if p.exited() || time.Now().After(deadline) {
			raw, _ := os.ReadFile(p.logPath)
			return fmt.Errorf("Temporal server not healthy (%v); log ends:\n%s", err, tail(raw, 15))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// restartTemporal stops the server (SIGTERM), keeps it down for down,
// and starts it again on the same database with the same flags.
func (s *stack) restartTemporal(ctx context.Context, down time.Duration) (time.Duration, error) {
	t0 := time.Now()
	if err := s.temporal.stop(syscall.SIGTERM, 30*time.Second); err != nil {
		s.log.Warn("Temporal stop", zap.Error(err))
	}
	s.log.Info("Temporal server stopped", zap.Duration("took", time.Since(t0)))
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(down):
	}
	if err := s.runTemporal(ctx); err != nil {
		return time.Since(t0), err
	}
	return time.Since(t0), nil
}

// startSandbox runs `lazarus sandbox up` and waits until it serves.
func (s *stack) startSandbox(ctx context.Context) error {
	p, err := startProc("sandbox", filepath.Join(s.logs, "sandbox.log"), s.pids, s.env(), s.bin("lazarus"),
		append([]string{"sandbox", "up", "--state", s.sbDir, "--log-level", "warn"}, s.sandboxArgs()...)...)
	if err != nil {
		return err
	}
	s.sandbox = p
	if err := p.waitLog(ctx, 0, "\nrunning", 4*time.Minute); err != nil {
		return err
	}
	s.desc, err = platform.Load(filepath.Join(s.sbDir, "platform.yaml"))
	return err
}

// prepareFleet seeds the fleet, takes the base backups, starts the live
// traffic and deletes Sites sites drawn from the seed, once their restore
// points (deletion - offset) lie after the backups.
func (s *stack) prepareFleet(ctx context.Context) error {
	t0 := time.Now()
	seed := strconv.FormatInt(s.cfg.Seed, 10)
	if _, err := s.must(ctx, "sandbox", "seed", "--state", s.sbDir, "--sites", strconv.Itoa(s.cfg.Fleet), "--seed", seed); err != nil {
		return err
	}
	if _, err := s.must(ctx, "sandbox", "backup", "--state", s.sbDir); err != nil {
		return err
	}
	backupEnd := time.Now()
	p, err := startProc("traffic", filepath.Join(s.logs, "traffic.log"), s.pids, s.env(), s.bin("lazarus"),
		"sandbox", "traffic", "--state", s.sbDir, "--rate", strconv.FormatFloat(s.cfg.TrafficRate, 'f', -1, 64),
		"--duration", "12h", "--seed", seed)
	if err != nil {
		return err
	}
	s.traffic = p
	out, err := s.must(ctx, "sandbox", "ids", "--state", s.sbDir, "--kind", "site")
	if err != nil {
		return err
	}
	live := strings.Fields(out)
	if len(live) < s.cfg.Sites+10 {
		return fmt.Errorf("the fleet has %d live sites, want at least %d", len(live), s.cfg.Sites+10)
	}
	s.rng.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
	s.sites = live[:s.cfg.Sites]
	s.sitesFile = filepath.Join(s.dir, "deleted-sites.txt")
	if err := os.WriteFile(s.sitesFile, []byte(strings.Join(s.sites, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	time.Sleep(time.Until(backupEnd.Add(s.cfg.RestoreOffset + time.Second)))
	if _, err := s.must(ctx, "sandbox", "disaster", "--state", s.sbDir, "--ids-file", s.sitesFile); err != nil {
		return err
	}
	s.disasterEnd = time.Now()
	s.log.Info("fleet ready", zap.Int("fleet", s.cfg.Fleet), zap.Int("deleted", len(s.sites)), zap.Duration("took", time.Since(t0)))
	return nil
}

// startWorker starts one more lazarus-worker and waits until it polls.
func (s *stack) startWorker(ctx context.Context) (*proc, error) {
	if s.hosts != nil {
		return s.startHostWorker(ctx)
	}
	s.workerRuns++
	name := fmt.Sprintf("worker-%d", s.workerRuns)
	desc := filepath.Join(s.sbDir, "platform.yaml")
	if s.workerPlatform != "" {
		desc = s.workerPlatform
	}
	p, err := startProc(name, filepath.Join(s.logs, name+".log"), s.pids, s.env(), s.bin("lazarus-worker"),
		"--platform", desc, "--address", s.address, "--log-level", "info")
	if err != nil {
		return nil, err
	}
	if err := p.waitLog(ctx, 0, "worker running", time.Minute); err != nil {
		return nil, err
	}
	s.workers = append(s.workers, p)
	return p, nil
}

// down stops everything, in the order of scripts/down.sh.
func (s *stack) down() {
	stop := func(p *proc, sig syscall.Signal, grace time.Duration) {
		if p == nil {
			return
		}
		if err := p.stop(sig, grace); err != nil {
			s.log.Warn("stop", zap.String("process", p.name), zap.Error(err))
		}
	}
	stop(s.traffic, syscall.SIGINT, 15*time.Second)
	for _, w := range s.workers {
		stop(w, syscall.SIGTERM, 45*time.Second)
	}
	if s.mediaProxy != nil {
		s.mediaProxy.Close()
	}
	stop(s.sandbox, syscall.SIGTERM, 150*time.Second)
	if s.tc != nil {
		s.tc.Close()
	}
	stop(s.temporal, syscall.SIGTERM, 30*time.Second)
	if s.tserver != nil {
		if err := s.tserver.Stop(context.Background()); err != nil {
			s.log.Warn("stop", zap.String("process", "temporal PostgreSQL"), zap.Error(err))
		}
	}
	s.closeHosts()
	if !s.cfg.Keep {
		_ = os.RemoveAll(s.sbDir)
	}
}
