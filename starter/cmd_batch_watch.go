package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/lazarus-dr/lazarus/internal/printer"
	"github.com/lazarus-dr/lazarus/workflows"
)

const barWidth = 40

func bar(done, total int) string {
	if total <= 0 {
		return "[" + strings.Repeat("·", barWidth) + "]"
	}
	if done > total {
		done = total
	}
	n := barWidth * done / total
	return "[" + strings.Repeat("█", n) + strings.Repeat("·", barWidth-n) + "]"
}

func pctOf(done, total int) float64 {
	if total == 0 {
		return 0
	}
	return 100 * float64(done) / float64(total)
}

// stageRow is a stage's bar in the progress.
type stageRow struct {
	Stage, Bar string
	Pct        string `text:",right"`
	Steps      string
}

// renderProgress draws the progress: overall bars, per-stage bars, parked
// sites with their reason, the ETA.
func renderProgress(out io.Writer, p workflows.BatchProgress, wfStatus string) {
	finished := 0
	for k, v := range p.SitesByStatus {
		if k != workflows.SiteRunning && k != workflows.SiteQueued && k != workflows.SiteWaiting && k != workflows.SiteParked {
			finished += v
		}
	}
	restored := p.SitesByStatus[workflows.SiteRestored]
	state := p.Status
	if p.Paused {
		state += " (paused)"
	}
	fmt.Fprintf(out, "batch %s  runbook %s  %s  workflow %s  window %d  elapsed %s\n", p.BatchID, p.Runbook, state, wfStatus, p.MaxConcurrentSites, since(p.StartedAt))
	fmt.Fprintf(out, "  restored %s %5.1f%%  %d/%d sites\n", bar(restored, p.SitesTotal), pctOf(restored, p.SitesTotal), restored, p.SitesTotal)
	fmt.Fprintf(out, "  steps    %s %5.1f%%  %d/%d\n", bar(p.StepsDone, p.StepsTotal), pctOf(p.StepsDone, p.StepsTotal), p.StepsDone, p.StepsTotal)
	fmt.Fprintf(out, "  sites    %s (finished %d)\n", strings.Join(countList(p.SitesByStatus, " "), ", "), finished)
	stages := make([]stageRow, 0, len(p.StepsTotalByStage))
	for s, t := range p.StepsTotalByStage {
		d := p.StepsDoneByStage[s]
		stages = append(stages, stageRow{s, bar(d, t), fmt.Sprintf("%.1f%%", pctOf(d, t)), fmt.Sprintf("%d/%d", d, t)})
	}
	sort.Slice(stages, func(i, j int) bool { return stages[i].Stage < stages[j].Stage })
	_ = printer.New(out, printer.Text).Table(stages, printer.TableOptions{Indent: "    ", NoHeader: true})
	if len(p.Parked) > 0 {
		fmt.Fprintf(out, "  needs an operator (%d):\n", len(p.Parked))
		for i, s := range p.Parked {
			if i == 20 {
				fmt.Fprintf(out, "    ... %d more\n", len(p.Parked)-20)
				break
			}
			fmt.Fprintf(out, "    %s step %s: %s\n", s.SiteID, s.StepID, oneLineStr(s.Reason, 140))
		}
	}
	if p.ETA > 0 {
		fmt.Fprintf(out, "  ETA %s (the batch's pace since its first site ended; from the step estimates until three sites have finished)\n", p.ETA.Round(time.Second))
	}
}

func since(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return time.Since(t).Round(time.Second).String()
}

func oneLineStr(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func newBatchWatchCmd(tf *temporalFlags) *cobra.Command {
	var interval time.Duration
	var autoApprove string
	c := &cobra.Command{
		Use:   "watch BATCH",
		Short: "Live progress bars until the batch ends; exit 1 if any site did not come back",
		Example: `  lazarus batch watch incident-42
  lazarus batch watch drill-7 --auto-approve drill-bot   # drills/demos: approve customer gates`,
		Args: cobra.ExactArgs(1),
		RunE: tf.withClient(func(cmd *cobra.Command, args []string, c client.Client, ns string) error {
			ctx := cmd.Context()
			w := &watcher{c: c, ns: ns, tf: tf, batchID: args[0], out: cmd.OutOrStdout(), interval: interval, autoApprove: autoApprove}
			return w.run(ctx)
		}),
	}
	c.Flags().DurationVar(&interval, "interval", time.Second, "refresh interval")
	c.Flags().StringVar(&autoApprove, "auto-approve", "", "approve every customer-validation gate that opens, as this operator (drills and demos only)")
	return c
}

type watcher struct {
	c           client.Client
	ns          string
	tf          *temporalFlags
	batchID     string
	out         io.Writer
	interval    time.Duration
	autoApprove string
	approved    map[string]bool
	// firstAt and firstDone are the first sample of finished sites, for
	// the measured rate.
	firstAt   time.Time
	firstDone int
}

// rateETA estimates the time left from the rate at which sites have
// finished since the watch began.
func (w *watcher) rateETA(p workflows.BatchProgress) string {
	done := 0
	for k, v := range p.SitesByStatus {
		if k != workflows.SiteRunning && k != workflows.SiteQueued && k != workflows.SiteWaiting && k != workflows.SiteParked {
			done += v
		}
	}
	now := time.Now()
	if w.firstAt.IsZero() {
		w.firstAt, w.firstDone = now, done
		return ""
	}
	el := now.Sub(w.firstAt)
	n := done - w.firstDone
	if n <= 0 || el < 3*time.Second {
		return ""
	}
	rate := float64(n) / el.Seconds()
	left := p.SitesTotal - done
	eta := time.Duration(float64(left) / rate * float64(time.Second)).Round(time.Second)
	return fmt.Sprintf("  measured: %.2f sites/s, %d sites left: ETA %s\n", rate, left, eta)
}

// run redraws the progress until the batch workflow closes, then prints
// the outcome and returns an exit code 1 error if any site is not restored.
func (w *watcher) run(ctx context.Context) error {
	wid := workflows.BatchWorkflowID(w.batchID)
	tty := isTerminal(w.out)
	fmt.Fprintf(w.out, "watching batch %s: %s\n", w.batchID, w.tf.workflowURL(w.ns, wid))
	lines := 0
	lastPrint := time.Time{}
	for {
		p, status, err := batchProgress(ctx, w.c, wid)
		if err != nil && status == "" && !transient(err) {
			return err
		}
		if err != nil {
			// Still not answering after retryTransient: say so, keep watching.
			fmt.Fprintf(w.out, "Temporal did not answer (%v); still watching\n", err)
		}
		if err == nil {
			if w.autoApprove != "" {
				w.approveGates(ctx, p)
			}
			var b strings.Builder
			renderProgress(&b, p, status)
			b.WriteString(w.rateETA(p))
			if tty {
				if lines > 0 {
					fmt.Fprintf(w.out, "\x1b[%dA\x1b[J", lines)
				}
				fmt.Fprint(w.out, b.String())
				lines = strings.Count(b.String(), "\n")
			} else if time.Since(lastPrint) >= 10*time.Second || status != "running" {
				fmt.Fprint(w.out, b.String())
				lastPrint = time.Now()
			}
		}
		if status != "" && status != "running" {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(w.interval):
		}
	}
	var res workflows.BatchResult
	if err := retryTransient(ctx, func() error { return w.c.GetWorkflow(ctx, wid, "").Get(ctx, &res) }); err != nil {
		return withExitCode(1, fmt.Errorf("batch %s did not complete: %w", w.batchID, err))
	}
	notBack := 0
	counts := map[string]int{}
	for _, s := range res.Sites {
		counts[s.Outcome]++
		if s.Outcome != workflows.SiteRestored {
			notBack++
		}
	}
	fmt.Fprintf(w.out, "batch %s ended after %s: %d/%d sites restored %v\n", w.batchID, res.EndedAt.Sub(res.StartedAt).Round(time.Millisecond), counts[workflows.SiteRestored], len(res.Sites), counts)
	fmt.Fprintf(w.out, "report: lazarus report %s --format html --out report.html\n", w.batchID)
	fmt.Fprintf(w.out, "Web UI: %s\n", w.tf.workflowURL(w.ns, wid))
	if notBack > 0 {
		return withExitCode(1, fmt.Errorf("%d of %d sites did not come back", notBack, len(res.Sites)))
	}
	return nil
}

// approveGates approves the open customer-validation gates of a batch:
// the batch's sites whose status search attribute says "waiting".
func (w *watcher) approveGates(ctx context.Context, p workflows.BatchProgress) {
	if p.SitesByStatus[workflows.SiteWaiting] == 0 {
		return
	}
	if w.approved == nil {
		w.approved = map[string]bool{}
	}
	q := fmt.Sprintf("%s = '%s' AND %s = '%s' AND ExecutionStatus = 'Running'", workflows.SearchAttrBatchID, w.batchID,
		workflows.SearchAttrStatus, workflows.SiteWaiting)
	var token []byte
	for {
		resp, err := w.c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: w.ns, Query: q, NextPageToken: token, PageSize: 500})
		if err != nil {
			return
		}
		for _, e := range resp.GetExecutions() {
			site := decodeKeyword(e.GetSearchAttributes().GetIndexedFields()[workflows.SearchAttrSiteID])
			if site == "" {
				site = strings.TrimPrefix(e.GetExecution().GetWorkflowId(), "lazarus-site-")
			}
			st, err := siteState(ctx, w.c, site)
			if err != nil {
				continue
			}
			for _, step := range st.Steps {
				key := site + "/" + step.StepID
				if step.Status != workflows.StepWaiting || w.approved[key] {
					continue
				}
				d := workflows.GateDecision{StepID: step.StepID, Decision: "approve", Operator: w.autoApprove,
					Reason: "auto-approved by `lazarus batch watch --auto-approve` (drill or demo)"}
				if err := updateSite(ctx, w.c, site, workflows.UpdateGateDecision, d); err == nil {
					w.approved[key] = true
				}
			}
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 {
			return
		}
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
