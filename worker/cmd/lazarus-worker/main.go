// Command lazarus-worker is the Lazarus worker process: the restore
// workflows and every runbook action, one Temporal worker per downstream
// service's task queue, each with its own concurrency and rate limit.
//
//	lazarus-worker --platform .state/sandbox/platform.yaml [--config worker.yaml] [--limit db=8] [--rate vendors=50]
//	               [--metrics-address 127.0.0.1:9090] [--clone-address IP]
//
// Temporal is reached the way the temporal CLI reaches it (internal/tconn):
// --address, --namespace, --api-key, --tls*, --codec-endpoint, --profile,
// --config-file and --identity, else the TEMPORAL_* variables, else the
// temporal.toml profile. SIGTERM stops it gracefully.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/lazarus-dr/lazarus/worker"
)

func main() {
	var f worker.Flags
	fs := pflag.NewFlagSet("lazarus-worker", pflag.ExitOnError)
	f.AddFlags(fs)
	_ = fs.Parse(os.Args[1:])
	opts, log, err := f.Options()
	if err != nil {
		fmt.Fprintln(os.Stderr, "lazarus-worker:", err)
		os.Exit(2)
	}
	defer log.Sync() //nolint:errcheck
	if err := worker.RunUntilSignal(opts); err != nil {
		fmt.Fprintln(os.Stderr, "lazarus-worker:", err)
		os.Exit(1)
	}
}
