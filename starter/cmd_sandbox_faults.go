package main

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazarus-dr/lazarus/internal/printer"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/httpapi"
)

func newSandboxFaultsCmd(sf *sandboxFlags) *cobra.Command {
	var descPath string
	var errorRate float64
	var latency time.Duration
	var outage bool
	var of *outputFlags
	client := func() (*httpapi.Client, error) {
		descPath = sf.descPath(descPath)
		d, err := platform.Load(descPath)
		if err != nil {
			return nil, fmt.Errorf("%w (is the sandbox up? `lazarus sandbox up`)", err)
		}
		if d.Services.Admin == "" {
			return nil, fmt.Errorf("platform description %s has no admin service URL", descPath)
		}
		return httpapi.New(d.Services, httpapi.WithTimeout(10*time.Second)), nil
	}
	c := &cobra.Command{
		Use:   "faults [SERVICE]",
		Short: "Show, set or clear the sandbox services' injected faults (error rate, latency, outage)",
		Long: `Without flags, lists every service's fault and what it did since it was set.
With a SERVICE (catalog, identity, flags, apps, vendors, search, frontdoor) and
flags, sets that service's fault (flags not given are 0/off). 'faults clear' lifts all.`,
		Example: `  lazarus sandbox faults
  lazarus sandbox faults vendors --error-rate 0.2 --latency 300ms
  lazarus sandbox faults catalog --outage
  lazarus sandbox faults catalog          # lifts catalog's fault
  lazarus sandbox faults clear`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pr, err := of.printer(cmd)
			if err != nil {
				return err
			}
			cl, err := client()
			if err != nil {
				return withExitCode(2, err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			switch {
			case len(args) == 1 && args[0] == "clear":
				if err := cl.ClearFaults(ctx); err != nil {
					return err
				}
			case len(args) == 1:
				f := httpapi.Fault{ErrorRate: errorRate, LatencyMS: int(latency / time.Millisecond), Outage: outage}
				if _, err := cl.SetFault(ctx, args[0], f); err != nil {
					if httpapi.IsPermanent(err) {
						return withExitCode(2, err)
					}
					return err
				}
			}
			all, err := cl.Faults(ctx)
			if err != nil {
				return err
			}
			return printFaults(pr, all)
		},
	}
	f := c.Flags()
	f.StringVar(&descPath, "platform", "", "platform description file (default <state>/platform.yaml)")
	f.Float64Var(&errorRate, "error-rate", 0, "share of requests answered 500, 0..1")
	f.DurationVar(&latency, "latency", 0, "latency added to every request")
	f.BoolVar(&outage, "outage", false, "answer every request 503")
	of = addOutputFlags(c, "")
	return c
}

// faultRow is a service's fault and what it did since it was set.
type faultRow struct {
	Service   string        `json:"service" text:"SERVICE"`
	ErrorRate float64       `json:"error_rate" text:"ERROR-RATE,%.2f"`
	Latency   time.Duration `json:"-" text:"LATENCY"`
	LatencyMS int           `json:"latency_ms" text:"-"`
	Outage    bool          `json:"outage" text:"OUTAGE"`
	Requests  int64         `json:"requests" text:"REQUESTS,right"`
	Errors    int64         `json:"errors" text:"ERRORS,right"`
	Outages   int64         `json:"outages" text:"OUTAGES,right"`
}

func printFaults(p *printer.Printer, all map[string]httpapi.FaultState) error {
	rows := make([]faultRow, 0, len(all))
	for n, s := range all {
		rows = append(rows, faultRow{Service: n, ErrorRate: s.ErrorRate, Latency: time.Duration(s.LatencyMS) * time.Millisecond,
			LatencyMS: s.LatencyMS, Outage: s.Outage, Requests: s.Stats.Requests, Errors: s.Stats.Errors, Outages: s.Stats.Outages})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Service < rows[j].Service })
	return p.Table(rows, printer.TableOptions{})
}
