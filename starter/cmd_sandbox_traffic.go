package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazarus-dr/lazarus/logging"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/sandbox/traffic"
)

func newSandboxTrafficCmd(sf *sandboxFlags) *cobra.Command {
	var (
		descPath, excludeFile string
		exclude               []string
		rate                  float64
		duration              time.Duration
		maxWrites             int
		seed                  int64
		of                    *outputFlags
	)
	c := &cobra.Command{
		Use:   "traffic",
		Short: "Write live traffic to the sites that were not deleted, logged for verification",
		Long: `Writes new rows (Jira and Confluence comments, Opsgenie alerts, users) to active
sites that are not excluded, at --rate writes per second, until --duration passes or
--max rows are written (or Ctrl-C). Every row is logged in the sandbox database's
traffic_log before it is committed, with an ID far above any seeded one, so that
'lazarus sandbox verify' tells traffic from damage. Sites that are deleted, being
deleted or were ever deleted (under restore) are never written to: each write
holds the site's catalog row, which a deletion locks first.`,
		Example: `  lazarus sandbox traffic --rate 20 --duration 5m
  lazarus sandbox traffic --rate 50 --duration 1h --max 10000 --exclude-file ids.txt
  lazarus sandbox traffic --platform /tmp/sb/platform.yaml --rate 5 --duration 30s --json`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pr, err := of.printer(cmd)
			if err != nil {
				return err
			}
			// The list is read before the sandbox: a bad file is refused first.
			if excludeFile != "" {
				ids, err := readIDFile("--exclude-file", excludeFile, cmd.InOrStdin())
				if err != nil {
					return withExitCode(2, err)
				}
				exclude = append(exclude, ids...)
			}
			descPath = sf.descPath(descPath)
			d, err := platform.Load(descPath)
			if err != nil {
				return withExitCode(2, fmt.Errorf("%w (is the sandbox up? `lazarus sandbox up`)", err))
			}
			cfg, err := traffic.FromDescription(d)
			if err != nil {
				return withExitCode(2, err)
			}
			log, err := logging.New(sf.logLevel, false)
			if err != nil {
				return withExitCode(2, err)
			}
			defer log.Sync() //nolint:errcheck
			cfg.Exclude, cfg.Rate, cfg.Duration, cfg.MaxWrites, cfg.Seed, cfg.Logger = exclude, rate, duration, maxWrites, seed, log
			if err := cfg.Validate(); err != nil {
				return withExitCode(2, err)
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			res, err := traffic.Run(ctx, cfg)
			if err != nil {
				return err
			}
			return pr.Print(res, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "traffic: %d rows on %d sites in %s (%.1f/s): %s\n",
					res.Writes, res.Sites, res.Elapsed.Round(time.Millisecond), res.Rate, strings.Join(countList(res.ByTable, "="), " "))
				return err
			})
		},
	}
	f := c.Flags()
	f.StringVar(&descPath, "platform", "", "platform description file (default <state>/platform.yaml)")
	f.Float64Var(&rate, "rate", 10, "writes per second")
	f.DurationVar(&duration, "duration", time.Minute, "how long to write")
	f.IntVar(&maxWrites, "max", 0, "at most this many rows (0: rate x duration)")
	f.StringSliceVar(&exclude, "exclude", nil, "site IDs never to write to (besides every non-active site)")
	f.StringVar(&excludeFile, "exclude-file", "", "file of site IDs never to write to"+idFileHelp)
	f.Int64Var(&seed, "seed", 1, "seed of the choice of sites and rows")
	of = addOutputFlags(c, "print the result as JSON (-o json)")
	return c
}
