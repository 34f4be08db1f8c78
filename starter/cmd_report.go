package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/lazarus-dr/lazarus/internal/codec"
	"github.com/lazarus-dr/lazarus/report"
	"github.com/lazarus-dr/lazarus/workflows"
)

func newReportCmd() *cobra.Command {
	tf := &temporalFlags{}
	var format, output, out string
	var ganttSites int
	var nextUpdate time.Duration
	c := &cobra.Command{
		Use:   "report BATCH",
		Short: "The incident-communication report of a batch: % restored, data loss per site, timeline",
		Long: `Writes what happened, who is affected, the percentage of sites and of users
restored, each site's restore point and expected data loss (deletion time minus
restore point) with its confidence, and the timeline. The HTML has a per-site
step timeline (SVG Gantt). Works on a running batch (partial) and a finished one.`,
		Example: `  lazarus report incident-42
  lazarus report incident-42 -o json | jq .summary
  lazarus report incident-42 -o html --out report.html
  lazarus report incident-42 --format json --out report.json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeBatchIDs,
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			f, err := reportFormat(output, format, cmd.Flags().Changed("format"))
			if err != nil {
				return withExitCode(2, err)
			}
			format = f
			if nextUpdate <= 0 {
				return withExitCode(2, fmt.Errorf("--next-update %s: want a positive duration, e.g. 30m", nextUpdate))
			}
			return nil
		},
		RunE: tf.withClient(func(cmd *cobra.Command, args []string, c client.Client, ns string) error {
			ctx := cmd.Context()
			wid := workflows.BatchWorkflowID(args[0])
			res, partial, err := batchResult(ctx, c, wid)
			if err != nil {
				return withExitCode(1, err)
			}
			opts := report.Options{WorkflowURL: tf.workflowURL(ns, wid), UIBase: tf.nsURL(ns), GanttMaxSites: ganttSites,
				NextUpdate: nextUpdate, Lead: res.Lead}
			if partial {
				opts.Title = fmt.Sprintf("Restore of %d deleted sites (batch %s), in progress", len(res.Sites), res.BatchID)
			}
			enrichSites(ctx, c, &res)
			r := report.Build(res, opts)
			var w io.Writer = cmd.OutOrStdout()
			if out != "" && out != "-" {
				f, err := os.Create(out)
				if err != nil {
					return withExitCode(1, fmt.Errorf("--out: %w", err))
				}
				defer f.Close()
				w = f
			}
			if err := report.Render(w, format, r); err != nil {
				return withExitCode(1, err)
			}
			if out != "" && out != "-" {
				fmt.Fprintf(cmd.OutOrStdout(), "report of batch %s written to %s (%d/%d sites restored, %.1f%% of users)\nWeb UI: %s\n",
					args[0], out, r.Summary.SitesRestored, r.Summary.SitesTotal, r.Summary.PctUsers, opts.WorkflowURL)
			}
			return nil
		}),
	}
	tf.add(c)
	c.Flags().StringVarP(&output, "output", "o", "", "output format: text (the Markdown report), json, md or html (default text)")
	_ = c.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json", "md", "html"}, cobra.ShellCompDirectiveNoFileComp))
	c.Flags().StringVar(&format, "format", "md", "md, html or json (the same as -o)")
	_ = c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"md", "html", "json"}, cobra.ShellCompDirectiveNoFileComp))
	c.Flags().StringVar(&out, "out", "", "write to this file (default stdout)")
	c.Flags().IntVar(&ganttSites, "gantt-sites", 60, "sites drawn in the HTML Gantt chart (the slowest)")
	c.Flags().DurationVar(&nextUpdate, "next-update", report.DefaultNextUpdate, "when the customer status promises the next update, from now")
	return c
}

// isReportFormat says whether s is a value of a report's -o/--output.
func isReportFormat(s string) bool {
	switch s {
	case "text", "json", "md", "html":
		return true
	}
	return false
}

// reportFormat is the report's format from -o/--output (text is the
// Markdown report) and --format (changed: given on the command line); the
// two must agree when both are given.
func reportFormat(output, format string, formatGiven bool) (string, error) {
	if output == "" {
		if format != "md" && format != "html" && format != "json" {
			return "", fmt.Errorf("--format %q: want md, html or json", format)
		}
		return format, nil
	}
	if !isReportFormat(output) {
		return "", fmt.Errorf("--output %q: want text, json, md or html", output)
	}
	f := output
	if f == "text" {
		f = "md"
	}
	if formatGiven && format != f {
		return "", fmt.Errorf("--output %q and --format %q disagree: give one of them", output, format)
	}
	return f, nil
}

// batchResult returns the batch's result when it has ended, else its
// results so far (partial = true) from the batch-results query.
func batchResult(ctx context.Context, c client.Client, wid string) (workflows.BatchResult, bool, error) {
	var res workflows.BatchResult
	desc, err := c.DescribeWorkflowExecution(ctx, wid, "")
	if err != nil {
		return res, false, fmt.Errorf("batch workflow %s: %w", wid, err)
	}
	if statusName(desc.GetWorkflowExecutionInfo().GetStatus()) == "completed" {
		if err := c.GetWorkflow(ctx, wid, "").Get(ctx, &res); err != nil {
			return res, false, fmt.Errorf("result of %s: %w", wid, err)
		}
		return res, false, nil
	}
	v, err := c.QueryWorkflow(ctx, wid, "", workflows.QueryBatchResults)
	if err != nil {
		return res, true, fmt.Errorf("query %s of %s: %w", workflows.QueryBatchResults, wid, err)
	}
	if err := v.Get(&res.Sites); err != nil {
		return res, true, fmt.Errorf("decode results of %s: %w", wid, err)
	}
	// The sites still running or queued come from the progress.
	p, _, err := batchProgress(ctx, c, wid)
	if err != nil {
		return res, true, err
	}
	res.BatchID, res.Runbook, res.StartedAt = p.BatchID, p.Runbook, p.StartedAt
	res.Actions, res.Lead = p.Actions, p.Lead
	for _, ps := range p.Parked {
		res.Sites = append(res.Sites, workflows.SiteResult{SiteID: ps.SiteID, Outcome: workflows.SiteParked, Errors: []string{ps.StepID + ": " + ps.Reason}})
	}
	return res, true, nil
}

// enrichSites fills in what the batch's compact per-site record leaves out
// (deletion time, start and end, the steps for the Gantt chart) from each
// site's own workflow: its result when it has ended, else its state query.
// The site workflow ID names the site only, so this reads the site's
// latest restore, which is this batch's unless a later batch restored the
// same site again.
func enrichSites(ctx context.Context, c client.Client, res *workflows.BatchResult) {
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range res.Sites {
		if len(res.Sites[i].Steps) > 0 && !res.Sites[i].DeletedAt.IsZero() {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(s *workflows.SiteResult) {
			defer wg.Done()
			defer func() { <-sem }()
			wid := workflows.SiteWorkflowID(s.SiteID)
			desc, err := c.DescribeWorkflowExecution(ctx, wid, "")
			if err != nil {
				return
			}
			if statusName(desc.GetWorkflowExecutionInfo().GetStatus()) == "running" {
				if st, err := siteState(ctx, c, s.SiteID); err == nil && st.BatchID == res.BatchID {
					s.Steps = st.Steps
					if s.RestorePoint.IsZero() {
						s.RestorePoint = st.RestorePoint
					}
				}
				return
			}
			var full workflows.SiteResult
			if err := c.GetWorkflow(ctx, wid, "").Get(ctx, &full); err != nil || full.SiteID != s.SiteID {
				return
			}
			if len(full.Steps) == 0 {
				// A site returns its batch the brief result and keeps
				// the full one in its memo.
				if p, ok := desc.GetWorkflowExecutionInfo().GetMemo().GetFields()[workflows.MemoSiteResult]; ok {
					var m workflows.SiteResult
					if codec.DataConverter().FromPayload(p, &m) == nil && m.SiteID == s.SiteID {
						full = m
					}
				}
			}
			outcome := s.Outcome
			errs := s.Errors
			*s = full
			if outcome != "" {
				s.Outcome = outcome
			}
			if len(errs) > 0 {
				s.Errors = errs
			}
		}(&res.Sites[i])
	}
	wg.Wait()
}
