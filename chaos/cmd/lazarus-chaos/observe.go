package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/chaos"
	"github.com/lazarus-dr/lazarus/internal/tconn"
)

// runObserve is `lazarus-chaos observe --batch ID`: it follows a batch
// that someone else starts (make demo's) until it closes, measures every
// step's recovery wait as the scenarios do, prints the longest in one line
// and, with --json, writes them all with each action's times (queue and
// run) and the histories' sizes. It never changes the batch.
func runObserve(args []string) int {
	var batchID, address, jsonOut string
	fs := pflag.NewFlagSet("lazarus-chaos observe", pflag.ContinueOnError)
	fs.StringVar(&batchID, "batch", "", "the batch to follow (required)")
	fs.StringVar(&address, "address", env("TEMPORAL_ADDRESS", ""), "Temporal frontend host:port ($TEMPORAL_ADDRESS)")
	fs.StringVar(&jsonOut, "json", "", "write every recovery wait, each action's times and the histories' sizes to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if batchID == "" {
		fmt.Fprintln(os.Stderr, "lazarus-chaos observe: --batch is required: the ID of the batch to follow")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tc, _, err := tconn.Dial(ctx, tconn.Config{Address: address, Namespace: "default", Logger: zap.NewNop()})
	if err != nil {
		fmt.Fprintf(os.Stderr, "lazarus-chaos observe: cannot reach Temporal at %s: %v\n", address, err)
		return 2
	}
	defer tc.Close()
	o, err := chaos.Observe(ctx, tc, batchID)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lazarus-chaos observe:", err)
		return 1
	}
	if jsonOut != "" {
		raw, err := json.MarshalIndent(o, "", "  ")
		if err == nil {
			err = os.WriteFile(jsonOut, raw, 0o644)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "lazarus-chaos observe: write --json %s: %v\n", jsonOut, err)
		}
	}
	// The summary line comes last: make demo reads it with tail -n 1.
	fmt.Println(o.Line())
	return 0
}
