// Command lazarus-worker is the Lazarus worker process: the restore
// workflows and every runbook action, one Temporal worker per downstream
// service's task queue, each with its own concurrency and rate limit.
//
//	lazarus-worker --platform .state/sandbox/platform.yaml [--config worker.yaml] [--limit db=8] [--rate vendors=50]
//
// Temporal is reached the standard way: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
// TEMPORAL_API_KEY, TEMPORAL_TLS* (or --address/--namespace). SIGTERM stops
// it gracefully.
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
