package worker

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/tconn"
	"github.com/lazarus-dr/lazarus/logging"
)

// Flags are the command-line flags of the worker (lazarus-worker and
// `lazarus worker` share them).
type Flags struct {
	Platform string
	// ConfigFile is the worker's own YAML (--config); Temporal's
	// temporal.toml is Temporal.ConfigFile (--config-file).
	ConfigFile string
	// Temporal holds the connection flags, the temporal CLI's.
	Temporal     tconn.Config
	LogLevel     string
	LogJSON      bool
	NoWorkflows  bool
	NoActivities bool
	// PprofAddress serves the runtime's profiles there (off when empty).
	PprofAddress string
	// MetricsAddress serves Prometheus metrics (/metrics) and readiness
	// (/readyz) there (off when empty).
	MetricsAddress string
	// CloneAddress is this host's IP for its point-in-time clones.
	CloneAddress string
	// DeploymentName and BuildID, both set, make the worker a Worker
	// Deployment Version (versioning.go); neither: unversioned.
	DeploymentName string
	BuildID        string
	// Per-service overrides: --limit db=8 --rate vendors=50.
	Limits map[string]int
	Rates  map[string]string
}

// AddFlags declares the flags on fs.
func (f *Flags) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&f.Platform, "platform", envOr("LAZARUS_PLATFORM", ".state/sandbox/platform.yaml"), "platform description file ($LAZARUS_PLATFORM)")
	fs.StringVar(&f.ConfigFile, "config", os.Getenv("LAZARUS_WORKER_CONFIG"), "worker config file (YAML: per-service concurrency and rate limits)")
	f.Temporal.AddFlags(fs)
	fs.StringVar(&f.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.BoolVar(&f.LogJSON, "log-json", false, "log JSON lines")
	fs.BoolVar(&f.NoWorkflows, "no-workflows", false, "run the activity workers only")
	fs.BoolVar(&f.NoActivities, "no-activities", false, "run the workflow worker only")
	fs.StringVar(&f.PprofAddress, "pprof-address", os.Getenv("LAZARUS_PPROF_ADDRESS"), "serve Go profiles (net/http/pprof) on this address, e.g. 127.0.0.1:6060 ($LAZARUS_PPROF_ADDRESS; default off)")
	fs.StringVar(&f.MetricsAddress, "metrics-address", os.Getenv("LAZARUS_METRICS_ADDRESS"), "serve Prometheus metrics (/metrics) and readiness (/readyz) on this address, e.g. 127.0.0.1:9090 ($LAZARUS_METRICS_ADDRESS; default off)")
	fs.StringVar(&f.CloneAddress, "clone-address", os.Getenv("LAZARUS_CLONE_ADDRESS"), "this host's IP that the other worker hosts reach: its point-in-time clones listen there ($LAZARUS_CLONE_ADDRESS; default 127.0.0.1, one host)")
	fs.StringVar(&f.DeploymentName, "deployment-name", os.Getenv("LAZARUS_DEPLOYMENT_NAME"), "Worker Deployment name, with --build-id: run as that deployment version (worker versioning; $LAZARUS_DEPLOYMENT_NAME; default off)")
	fs.StringVar(&f.BuildID, "build-id", os.Getenv("LAZARUS_BUILD_ID"), "this worker's Build ID in --deployment-name, e.g. v2 or a git commit ($LAZARUS_BUILD_ID)")
	fs.StringToIntVar(&f.Limits, "limit", nil, "max concurrent activities per service, e.g. --limit db=8,vendors=20")
	fs.StringToStringVar(&f.Rates, "rate", nil, "activities per second per service task queue, e.g. --rate vendors=50")
}

// Options turns the flags into Run's options.
func (f *Flags) Options() (Options, *zap.Logger, error) {
	log, err := logging.New(f.LogLevel, f.LogJSON)
	if err != nil {
		return Options{}, nil, err
	}
	cfg := DefaultConfig()
	if f.ConfigFile != "" {
		if cfg, err = LoadConfig(f.ConfigFile); err != nil {
			return Options{}, nil, err
		}
	}
	if cfg.Services == nil {
		cfg.Services = map[string]Limits{}
	}
	for svc, n := range f.Limits {
		l := cfg.Services[svc]
		l.MaxConcurrentActivities = n
		cfg.Services[svc] = l
	}
	for svc, rs := range f.Rates {
		r, err := strconv.ParseFloat(rs, 64)
		if err != nil {
			return Options{}, nil, fmt.Errorf("--rate %s=%s: not a number", svc, rs)
		}
		l := cfg.Services[svc]
		l.ActivitiesPerSecond = r
		cfg.Services[svc] = l
	}
	if err := cfg.Validate(); err != nil {
		return Options{}, nil, fmt.Errorf("worker flags: %w", err)
	}
	versioning := Versioning{DeploymentName: f.DeploymentName, BuildID: f.BuildID}
	if err := versioning.Validate(); err != nil {
		return Options{}, nil, err
	}
	tc := f.Temporal
	tc.Logger = log
	// Bad connection input (a missing TLS file, an unknown profile) is a
	// usage error now, not a failed dial later.
	if _, err := tc.ClientOptions(); err != nil {
		return Options{}, nil, err
	}
	return Options{
		Temporal:     tc,
		PlatformFile: f.Platform, Config: cfg, Logger: log,
		NoWorkflows: f.NoWorkflows, NoActivities: f.NoActivities, PprofAddress: f.PprofAddress,
		MetricsAddress: f.MetricsAddress, Host: Host{CloneAddress: f.CloneAddress}, Versioning: versioning,
	}, log, nil
}

// RunUntilSignal runs the worker until SIGINT or SIGTERM.
func RunUntilSignal(opts Options) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, opts)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
