package worker

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// MetricWorkerInfo is 1, with the worker's build as labels: a series from
// the first scrape on (the others appear with the first site, step or
// clone), and the way to see which build each worker runs while an upgrade
// rolls out.
const MetricWorkerInfo = "lazarus_worker_info"

// Version is the worker's version, set at build time by `make build`
// (-ldflags "-X github.com/lazarus-dr/lazarus/worker.Version=..."); empty
// falls back on the module's build information.
var Version string

// registerInfo adds lazarus_worker_info{version, revision, go_version} to reg.
func registerInfo(reg *prometheus.Registry) error {
	version, revision := "devel", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if Version != "" {
			version = Version
		} else if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				revision = s.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        MetricWorkerInfo,
		Help:        "The worker's build: 1, labelled with its version, VCS revision and Go version.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "go_version": runtime.Version()},
	})
	g.Set(1)
	if err := reg.Register(g); err != nil {
		return fmt.Errorf("metrics: register %s: %w", MetricWorkerInfo, err)
	}
	return nil
}
