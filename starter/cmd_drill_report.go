package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/lazarus-dr/lazarus/drill"
	"github.com/lazarus-dr/lazarus/report"
	"github.com/lazarus-dr/lazarus/workflows"
)

// A drill's report compares it with at most drillReportPrevious earlier
// drills of its runbook, found among the drillReportScan newest completed
// DrillRun workflows that started before it.
const (
	drillReportPrevious = 20
	drillReportScan     = 200
)

func newDrillReportCmd(tf *temporalFlags) *cobra.Command {
	var format, output, out string
	c := &cobra.Command{
		Use:   "report DRILL_ID",
		Short: "A drill's report: passed or failed, sites, RTO/RPO, production unchanged, cleanup, regressions",
		Long: `Reads the drill's result (its DrillRun workflow's) and the results of up to 20
earlier completed drills of the same runbook, and writes the report with the
regressions against them: a step more than 25% slower than its median over the
earlier drills, a site that was not validated, a restore point that drifted,
production changed, not cleaned up. The HTML plots RTO and RPO across the
drills. A drill still running has no report yet (exit 1).`,
		Example: `  lazarus drill report 20261129-030000-a1b2c3
  lazarus drill report weekly-20261130-030000 -o html --out drill.html
  lazarus drill report dr-2026-w48 -o json | jq .regressions`,
		Args: oneArg("DRILL_ID"),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if output != "" && !isReportFormat(output) && strings.ContainsAny(output, "./\\") {
				// --output FILE (a path), from before -o was the format as
				// everywhere else.
				if out != "" {
					return withExitCode(2, fmt.Errorf("--output %q: want text, json, md or html (the file is --out)", output))
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "lazarus: --output FILE is deprecated: write --out %s (-o/--output is the format, as in every command)\n", output)
				out, output = output, ""
			}
			f, err := reportFormat(output, format, cmd.Flags().Changed("format"))
			if err != nil {
				return withExitCode(2, err)
			}
			format = f
			if !validDrillID(args[0]) {
				return withExitCode(2, fmt.Errorf("DRILL_ID %q: not a drill ID: %s", args[0], drillIDHelp))
			}
			return nil
		},
		RunE: tf.withClient(func(cmd *cobra.Command, args []string, c client.Client, ns string) error {
			ctx := cmd.Context()
			id := args[0]
			ex, err := findDrill(ctx, c, ns, id)
			if err != nil {
				return withExitCode(1, err)
			}
			webUI := tf.workflowURL(ns, ex.wid)
			switch ex.status {
			case "completed":
			case "running":
				return withExitCode(1, fmt.Errorf("drill %s is still running (started %s UTC): its report is written when it ends; follow it at %s",
					id, ex.start.UTC().Format(time.DateTime), webUI))
			default:
				return withExitCode(1, fmt.Errorf("drill %s ended %s, without a result to report: see %s", id, ex.status, webUI))
			}
			var cur drill.Result
			if err := c.GetWorkflow(ctx, ex.wid, ex.runID).Get(ctx, &cur); err != nil {
				return withExitCode(1, fmt.Errorf("drill %s: read the result of %s: %w", id, ex.wid, err))
			}
			prev, err := previousDrills(ctx, c, ns, cur, ex)
			if err != nil {
				return withExitCode(1, err)
			}
			r := report.BuildDrill(cur, prev, report.DrillOptions{WorkflowURL: webUI})
			var w io.Writer = cmd.OutOrStdout()
			toFile := out != "" && out != "-"
			var f *os.File
			if toFile {
				if f, err = os.Create(out); err != nil {
					return withExitCode(1, fmt.Errorf("--out: %w", err))
				}
				w = f
			}
			err = report.RenderDrill(w, format, r)
			if toFile {
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			if err != nil {
				return withExitCode(1, fmt.Errorf("write the report of drill %s: %w", id, err))
			}
			if toFile {
				fmt.Fprintf(cmd.OutOrStdout(), "report of drill %s written to %s: %s, %d/%d sites validated, %d regressions against %d earlier drills of %s\nWeb UI: %s\n",
					id, out, drillVerdict(cur.Passed), r.Summary.SitesValidated, r.Summary.SitesTotal,
					len(r.Result.Regressions), len(prev), cur.Runbook, webUI)
			}
			return nil
		}),
	}
	c.Flags().StringVarP(&output, "output", "o", "", "output format: text (the Markdown report), json, md or html (default text)")
	_ = c.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json", "md", "html"}, cobra.ShellCompDirectiveNoFileComp))
	c.Flags().StringVar(&format, "format", "md", "md, html or json (the same as -o)")
	_ = c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"md", "html", "json"}, cobra.ShellCompDirectiveNoFileComp))
	c.Flags().StringVar(&out, "out", "", "write to this file (default: standard output)")
	return c
}

// drillExecution is a drill's workflow execution as the report needs it.
type drillExecution struct {
	wid, runID, status string
	start              time.Time
}

// findDrill finds drill id's workflow: lazarus-drill-ID for a drill
// started with `drill run`, else the DrillRun workflow whose
// LazarusDrillID is id (a scheduled drill's workflow ID is the schedule's
// with a time).
func findDrill(ctx context.Context, c client.Client, ns, id string) (drillExecution, error) {
	wid := workflows.DrillWorkflowID(id)
	desc, err := c.DescribeWorkflowExecution(ctx, wid, "")
	var notFound *serviceerror.NotFound
	if err == nil {
		info := desc.GetWorkflowExecutionInfo()
		return drillExecution{wid: wid, runID: info.GetExecution().GetRunId(), status: statusName(info.GetStatus()), start: info.GetStartTime().AsTime()}, nil
	}
	if !errors.As(err, &notFound) {
		return drillExecution{}, fmt.Errorf("drill %s: workflow %s: %w", id, wid, err)
	}
	q := fmt.Sprintf("WorkflowType = '%s' AND %s = '%s'", workflows.DrillWorkflowName, workflows.SearchAttrDrillID, id)
	resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: ns, Query: q, PageSize: 1})
	if err != nil {
		return drillExecution{}, fmt.Errorf("drill %s: list (%s): %w", id, q, err)
	}
	if len(resp.GetExecutions()) == 0 {
		return drillExecution{}, fmt.Errorf("no drill %s: no workflow %s, and no %s workflow with %s=%s (see `lazarus drill list`)",
			id, wid, workflows.DrillWorkflowName, workflows.SearchAttrDrillID, id)
	}
	e := resp.GetExecutions()[0]
	return drillExecution{wid: e.GetExecution().GetWorkflowId(), runID: e.GetExecution().GetRunId(), status: statusName(e.GetStatus()), start: e.GetStartTime().AsTime()}, nil
}

// previousDrills are the results of up to drillReportPrevious completed
// drills of cur's runbook that started before it, newest first.
func previousDrills(ctx context.Context, c client.Client, ns string, cur drill.Result, ex drillExecution) ([]drill.Result, error) {
	q := fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Completed' AND StartTime < '%s'",
		workflows.DrillWorkflowName, ex.start.UTC().Format(time.RFC3339Nano))
	type candidate struct {
		wid, runID string
		start      time.Time
	}
	var cands []candidate
	var token []byte
	for len(cands) < drillReportScan {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: ns, Query: q, NextPageToken: token, PageSize: 100})
		if err != nil {
			return nil, fmt.Errorf("earlier drills (%s): %w", q, err)
		}
		for _, e := range resp.GetExecutions() {
			if e.GetExecution().GetWorkflowId() == ex.wid {
				continue
			}
			cands = append(cands, candidate{e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId(), e.GetStartTime().AsTime()})
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	// Newest first, whatever order the visibility store lists them in.
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].start.After(cands[j].start) })
	var out []drill.Result
	for _, cd := range cands {
		if len(out) == drillReportPrevious {
			break
		}
		var r drill.Result
		if err := c.GetWorkflow(ctx, cd.wid, cd.runID).Get(ctx, &r); err != nil {
			continue // a result that cannot be read is no baseline
		}
		if r.Runbook == cur.Runbook && r.DrillID != cur.DrillID {
			out = append(out, r)
		}
	}
	return out, nil
}
