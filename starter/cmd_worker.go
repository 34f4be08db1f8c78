package main

import (
	"github.com/spf13/cobra"

	"github.com/lazarus-dr/lazarus/worker"
)

func newWorkerCmd() *cobra.Command {
	var f worker.Flags
	c := &cobra.Command{
		Use:   "worker",
		Short: "Run the Lazarus worker (same as lazarus-worker): workflows and every runbook action",
		Example: `  lazarus worker --platform .state/sandbox/platform.yaml
  lazarus worker --platform platform.yaml --limit db=8 --rate vendors=50
  TEMPORAL_ADDRESS=temporal:7233 lazarus worker --config worker.yaml`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, log, err := f.Options()
			if err != nil {
				return withExitCode(2, err)
			}
			defer log.Sync() //nolint:errcheck
			return worker.RunUntilSignal(opts)
		},
	}
	f.AddFlags(c.Flags())
	return c
}
