// Command lazarus-chaos plays the chaos scenarios of `make chaos` on the
// real stack, one at a time, and prints one table row per scenario: sites
// restored, sites verified, rows duplicated, other tenants changed, the
// longest time any step waited for recovery, and pass or fail. It exits 1
// when any scenario fails, 2 when it cannot run.
//
//	lazarus-chaos [--scenarios 1,4] [--sites 200] [--state .state/chaos] ...
//	lazarus-chaos observe --batch ID [--json waits.json]   (observe.go)
//
// Every flag has an environment variable (SCENARIOS, SITES, FLEET,
// CONCURRENCY, SEED, TIMEOUT, MAX_RECOVERY, KILLS, OUTAGE, OUTAGE_SERVICE,
// SERVER_DOWN, CHAOS_STATE, KEEP) so that `SCENARIOS=1,4 make chaos` works.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/lazarus-dr/lazarus/chaos"
	"github.com/lazarus-dr/lazarus/logging"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "observe" {
		os.Exit(runObserve(os.Args[2:]))
	}
	os.Exit(run())
}

func run() int {
	var cfg chaos.Config
	var scenarios, logLevel string
	fs := pflag.NewFlagSet("lazarus-chaos", pflag.ContinueOnError)
	fs.StringVar(&scenarios, "scenarios", env("SCENARIOS", "all"), "scenarios to run: all, 1,4,5 or 1-3 ($SCENARIOS)")
	fs.IntVar(&cfg.Sites, "sites", envInt("SITES", 200), "sites deleted and restored per scenario ($SITES)")
	fs.IntVar(&cfg.Fleet, "fleet", envInt("FLEET", 0), "sites seeded per scenario (default sites*1.5) ($FLEET)")
	fs.IntVar(&cfg.Concurrency, "concurrency", envInt("CONCURRENCY", 200), "the batch's window of sites at once ($CONCURRENCY)")
	fs.Int64Var(&cfg.Seed, "seed", int64(envInt("SEED", 1)), "seed of every random choice ($SEED)")
	fs.DurationVar(&cfg.Timeout, "timeout", envDur("TIMEOUT", 25*time.Minute), "a scenario's batch must end within this ($TIMEOUT)")
	fs.DurationVar(&cfg.MaxRecovery, "max-recovery", envDur("MAX_RECOVERY", 2*time.Minute), "the longest a step may wait for recovery ($MAX_RECOVERY)")
	fs.IntVar(&cfg.Kills, "kills", envInt("KILLS", 5), "scenario 1: times the worker is killed ($KILLS)")
	fs.DurationVar(&cfg.Outage, "outage", envDur("OUTAGE", 2*time.Minute), "scenario 4: length of the outage ($OUTAGE)")
	fs.StringVar(&cfg.OutageService, "outage-service", env("OUTAGE_SERVICE", ""), "scenario 4: catalog, search, vendors or frontdoor (default: drawn) ($OUTAGE_SERVICE)")
	fs.DurationVar(&cfg.ServerDown, "server-down", envDur("SERVER_DOWN", 10*time.Second), "scenario 3: how long the Temporal server stays down ($SERVER_DOWN)")
	fs.StringVar(&cfg.Server, "temporal-server", env("TEMPORAL_SERVER", "dev"), "dev (the CLI's dev server on SQLite) or postgres (temporal-server on PostgreSQL) ($TEMPORAL_SERVER)")
	fs.StringVar(&cfg.StateDir, "state", env("CHAOS_STATE", ""), "folder of the scenarios' stacks (default .state/chaos) ($CHAOS_STATE)")
	fs.StringVar(&cfg.BinDir, "bin", env("CHAOS_BIN", ""), "folder of lazarus and lazarus-worker (default bin/) ($CHAOS_BIN)")
	fs.BoolVar(&cfg.Keep, "keep", env("KEEP", "") == "1", "keep each scenario's sandbox data ($KEEP=1)")
	fs.StringVar(&logLevel, "log-level", env("LOG_LEVEL", "info"), "the driver's log level")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	var err error
	if cfg.Scenarios, err = chaos.ParseScenarios(scenarios); err != nil {
		fmt.Fprintln(os.Stderr, "lazarus-chaos:", err)
		return 2
	}
	log, err := logging.New(logLevel, false)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lazarus-chaos:", err)
		return 2
	}
	defer log.Sync() //nolint:errcheck
	cfg.Logger = log
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rows, err := chaos.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lazarus-chaos:", err)
		return 2
	}
	fmt.Println()
	if err := chaos.WriteTable(os.Stdout, rows); err != nil {
		fmt.Fprintln(os.Stderr, "lazarus-chaos:", err)
	}
	fmt.Println()
	fmt.Println(chaos.Summary(rows))
	for _, r := range rows {
		if !r.Pass() {
			return 1
		}
	}
	if ctx.Err() != nil || len(rows) < len(cfg.Scenarios) {
		fmt.Fprintln(os.Stderr, "lazarus-chaos: interrupted before every scenario ran")
		return 1
	}
	return 0
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envInt(k string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return n
	}
	return def
}

func envDur(k string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(k)); err == nil {
		return d
	}
	return def
}
