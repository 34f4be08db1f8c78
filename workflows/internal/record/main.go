// Command record runs RestoreSite and RestoreBatch on a real Temporal dev
// server with stand-in activities, writes their histories to
// workflows/testdata/*.json (for the replay test) and prints history
// lengths of Restore-2-shaped and Restore-1-shaped site plans.
//
//	go run ./workflows/internal/record
//
// It must never be part of a worker: it is a development tool.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"
)

var actions = []string{"catalog", "restore", "sync", "validate", "db.clone", "db.drop_clone", "flaky"}

var measureDefaults = flag.Bool("measure-defaults", false, "also run one site of each default runbook (restore1, restore2) and print its history length")

var measureSites = flag.Int("measure-sites", 0, "also run a batch of this many one-step sites and print each run's history length")

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "record:", err)
		os.Exit(1)
	}
}

// run records the histories (and prints the lengths) on a dev server of
// its own, with stand-in activities.
func run() error {
	ctx := context.Background()
	c, stop, err := startServer(ctx)
	if err != nil {
		return err
	}
	defer stop()
	out := "workflows/testdata"
	rp := time.Date(2026, 4, 5, 7, 33, 0, 0, time.UTC)
	if err := recordSite(ctx, c, out, rp); err != nil {
		return err
	}
	if err := measureShapes(ctx, c, rp); err != nil {
		return err
	}
	if err := recordBatch(ctx, c, out, rp); err != nil {
		return err
	}
	if *measureDefaults {
		if err := measureDefaultPlans(ctx, c, rp); err != nil {
			return err
		}
	}
	if *measureSites > 0 {
		return measure(ctx, c, rp, *measureSites)
	}
	return nil
}
