package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/lazarus-dr/lazarus/internal/printer"
	"github.com/lazarus-dr/lazarus/preflight"
	"github.com/lazarus-dr/lazarus/workflows"
)

func newBatchCmd() *cobra.Command {
	tf := &temporalFlags{}
	c := &cobra.Command{Use: "batch", Short: "List, watch and steer restore batches"}
	tf.add(c)
	c.AddCommand(newBatchListCmd(tf), newBatchStatusCmd(tf), newBatchWatchCmd(tf),
		newBatchSimpleUpdateCmd(tf, "pause", workflows.UpdatePause, "Stop starting new sites (running sites go on)"),
		newBatchSimpleUpdateCmd(tf, "resume", workflows.UpdateResume, "Start new sites again"),
		newBatchSimpleUpdateCmd(tf, "cancel", workflows.UpdateCancel, "Cancel the batch: running sites stop at a safe point, clones are cleaned up"),
		newBatchAddSitesCmd(tf), newBatchSetConcurrencyCmd(tf))
	return c
}

// batchRow is a line of `batch list`.
type batchRow struct {
	Batch   string    `json:"batch"`
	Runbook string    `json:"runbook"`
	Status  string    `json:"status"`
	Started time.Time `json:"started" text:"STARTED (UTC)"`
	WebUI   string    `json:"web_ui" text:"WEB UI"`
}

func newBatchListCmd(tf *temporalFlags) *cobra.Command {
	var query string
	var limit int
	var of *outputFlags
	c := &cobra.Command{
		Use:     "list",
		Short:   "List batches (visibility query on the Lazarus search attributes)",
		Example: "  lazarus batch list\n  lazarus batch list --query \"LazarusRunbook='restore1'\"\n  lazarus batch list -o json",
		Args:    cobra.NoArgs,
		RunE: tf.withClient(func(cmd *cobra.Command, _ []string, c client.Client, ns string) error {
			p, err := of.printer(cmd)
			if err != nil {
				return err
			}
			q := fmt.Sprintf("WorkflowType = '%s'", workflows.RestoreBatchWorkflowName)
			if query != "" {
				q += " AND (" + query + ")"
			}
			rows, more, err := listBatches(cmd.Context(), c, ns, q, limit, tf)
			if err != nil {
				return err
			}
			if err := p.Table(rows, printer.TableOptions{TimeLayout: time.DateTime}); err != nil {
				return err
			}
			if more {
				return p.Err()
			}
			if len(rows) == 0 {
				p.Printf("(no batches)\n")
			}
			p.Printf("Web UI: %s\n", tf.listURL(ns, q))
			return p.Err()
		}),
	}
	c.Flags().StringVar(&query, "query", "", "extra visibility query, ANDed")
	c.Flags().IntVar(&limit, "limit", 50, "at most this many batches (0: all)")
	of = addOutputFlags(c, "")
	return c
}

// listBatches lists the batch workflows that match the visibility query q,
// at most limit of them (0: all); more says the limit cut the list.
func listBatches(ctx context.Context, c client.Client, ns, q string, limit int, tf *temporalFlags) (rows []batchRow, more bool, err error) {
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: ns, Query: q, NextPageToken: token, PageSize: 100})
		if err != nil {
			return nil, false, fmt.Errorf("list batches (%s): %w", q, err)
		}
		for _, e := range resp.GetExecutions() {
			batch := strings.TrimPrefix(e.GetExecution().GetWorkflowId(), "lazarus-batch-")
			fields := e.GetSearchAttributes().GetIndexedFields()
			if b := decodeKeyword(fields[workflows.SearchAttrBatchID]); b != "" {
				batch = b
			}
			rows = append(rows, batchRow{Batch: batch, Runbook: decodeKeyword(fields[workflows.SearchAttrRunbook]),
				Status: statusName(e.GetStatus()), Started: e.GetStartTime().AsTime(), WebUI: tf.workflowURL(ns, e.GetExecution().GetWorkflowId())})
			if limit > 0 && len(rows) >= limit {
				return rows, true, nil
			}
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 {
			return rows, false, nil
		}
	}
}

func statusName(s enumspb.WorkflowExecutionStatus) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "WORKFLOW_EXECUTION_STATUS_"))
}

func newBatchStatusCmd(tf *temporalFlags) *cobra.Command {
	var of *outputFlags
	c := &cobra.Command{
		Use:     "status BATCH",
		Short:   "Show a batch's progress: sites by status, steps per stage, parked sites, ETA",
		Example: "  lazarus batch status 20221105-073800-a1b2c3\n  lazarus batch status incident-42 --json",
		Args:    cobra.ExactArgs(1),
		RunE: tf.withClient(func(cmd *cobra.Command, args []string, c client.Client, ns string) error {
			pr, err := of.printer(cmd)
			if err != nil {
				return err
			}
			wid := workflows.BatchWorkflowID(args[0])
			p, closed, err := batchProgress(cmd.Context(), c, wid)
			if err != nil {
				return err
			}
			v := struct {
				workflows.BatchProgress
				WorkflowStatus string `json:"workflow_status"`
				WebUI          string `json:"web_ui"`
			}{p, closed, tf.workflowURL(ns, wid)}
			return pr.Print(v, func(w io.Writer) error {
				renderProgress(w, p, closed)
				_, err := fmt.Fprintf(w, "Web UI: %s\n", v.WebUI)
				return err
			})
		}),
	}
	of = addOutputFlags(c, "print JSON (-o json)")
	return c
}

// batchProgress queries the batch's progress and says whether the workflow
// is still running ("running") or how it closed.
func batchProgress(ctx context.Context, c client.Client, wid string) (workflows.BatchProgress, string, error) {
	var p workflows.BatchProgress
	var desc *workflowservice.DescribeWorkflowExecutionResponse
	err := retryTransient(ctx, func() (err error) {
		desc, err = c.DescribeWorkflowExecution(ctx, wid, "")
		return err
	})
	if err != nil {
		return p, "", fmt.Errorf("batch workflow %s: %w", wid, err)
	}
	status := statusName(desc.GetWorkflowExecutionInfo().GetStatus())
	var v converter.EncodedValue
	err = retryTransient(ctx, func() (err error) {
		v, err = c.QueryWorkflow(ctx, wid, "", workflows.QueryBatchProgress)
		return err
	})
	if err != nil {
		if status != "running" {
			// A closed batch whose worker is gone: build progress from the result.
			var res workflows.BatchResult
			if gerr := c.GetWorkflow(ctx, wid, "").Get(ctx, &res); gerr == nil {
				return progressFromResult(res), status, nil
			}
		}
		return p, status, fmt.Errorf("query %s of %s (is the worker running?): %w", workflows.QueryBatchProgress, wid, err)
	}
	if err := v.Get(&p); err != nil {
		return p, status, fmt.Errorf("decode progress of %s: %w", wid, err)
	}
	return p, status, nil
}

func progressFromResult(res workflows.BatchResult) workflows.BatchProgress {
	p := workflows.BatchProgress{BatchID: res.BatchID, Runbook: res.Runbook, Status: "done", SitesTotal: len(res.Sites),
		SitesByStatus: map[string]int{}, StartedAt: res.StartedAt}
	for _, s := range res.Sites {
		p.SitesByStatus[s.Outcome]++
		for _, st := range s.Steps {
			p.StepsTotal++
			if st.Status == workflows.StepDone || st.Status == workflows.StepSkipped {
				p.StepsDone++
			}
		}
	}
	return p
}

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

func newBatchSimpleUpdateCmd(tf *temporalFlags, use, update, short string) *cobra.Command {
	var operator, reason string
	c := &cobra.Command{
		Use:     use + " BATCH",
		Short:   short,
		Example: fmt.Sprintf("  lazarus batch %s incident-42 --operator alice", use),
		Args:    cobra.ExactArgs(1),
		RunE: tf.withClient(func(cmd *cobra.Command, args []string, c client.Client, ns string) error {
			ctx := cmd.Context()
			wid := workflows.BatchWorkflowID(args[0])
			if err := updateWorkflow(ctx, c, wid, update, nil); err != nil {
				return err
			}
			_ = reason
			return printAccepted(cmd, "batch "+args[0], use, orDefault(operator, "unknown"), tf.workflowURL(ns, wid))
		}),
	}
	c.Flags().StringVar(&operator, "operator", os.Getenv("USER"), "who decides (recorded in the log)")
	c.Flags().StringVar(&reason, "reason", "", "why")
	return c
}

// printAccepted says that the workflow of subject accepted an operator's
// decision, and where to see it.
func printAccepted(cmd *cobra.Command, subject, decision, operator, webUI string) error {
	_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s: %s accepted (operator %s)\nWeb UI: %s\n", subject, decision, operator, webUI)
	return err
}

// orDefault is s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// updateWorkflow sends an Update and waits for it to complete; a rejection
// by the workflow's validator comes back as the error.
func updateWorkflow(ctx context.Context, c client.Client, wid, name string, arg any) error {
	opts := client.UpdateWorkflowOptions{WorkflowID: wid, UpdateName: name, WaitForStage: client.WorkflowUpdateStageCompleted}
	if arg != nil {
		opts.Args = []any{arg}
	}
	h, err := c.UpdateWorkflow(ctx, opts)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", name, wid, err)
	}
	if err := h.Get(ctx, nil); err != nil {
		return fmt.Errorf("%s on %s: %w", name, wid, err)
	}
	return nil
}

func newBatchAddSitesCmd(tf *temporalFlags) *cobra.Command {
	var idsFile, platformFile string
	var sites []string
	var offset time.Duration
	var of *outputFlags
	c := &cobra.Command{
		Use:     "add-sites BATCH",
		Short:   "Add sites to a running batch (after the same preflight)",
		Example: "  lazarus batch add-sites incident-42 --ids-file more-sites.txt",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			pr, err := of.printer(cmd)
			if err != nil {
				return err
			}
			ids, err := collectIDs(idsFile, sites, cmd.InOrStdin())
			if err != nil {
				return withExitCode(2, err)
			}
			if len(ids) == 0 {
				return withExitCode(2, errors.New("no IDs: pass --ids-file FILE or --site ID"))
			}
			dir, desc, err := directory(platformFile)
			if err != nil {
				return withExitCode(2, err)
			}
			req := preflight.Request{IDs: ids, RestoreOffset: offset, Retention: desc.Retention, Batch: args[0]}
			if req.Backups, err = preflight.OldestBackups(desc); err != nil {
				return withExitCode(1, err)
			}
			c, ns, err := tf.dialForPreflight(ctx)
			if err != nil {
				return withExitCode(1, fmt.Errorf("preflight: %w; nothing was started", err))
			}
			defer c.Close()
			req.Running = tf.running(c, ns)
			res, err := checkIDs(ctx, dir, req, pr, cmd.ErrOrStderr(), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			wid := workflows.BatchWorkflowID(args[0])
			if err := updateWorkflow(ctx, c, wid, workflows.UpdateAddSites, workflows.AddSitesRequest{Sites: res.Sites}); err != nil {
				return withExitCode(1, err)
			}
			doc := restoreStartDoc{BatchID: args[0], Workflow: wid, WebUI: tf.workflowURL(ns, wid), Sites: res.Sites, Users: res.Users}
			if pr.JSON() {
				return pr.Print(doc, nil)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "batch %s: added %d sites\nWeb UI: %s\n", args[0], len(res.Sites), doc.WebUI)
			return nil
		},
	}
	c.Flags().StringVar(&idsFile, "ids-file", "", "file of site IDs"+idFileHelp)
	c.Flags().StringArrayVar(&sites, "site", nil, "a site ID (repeatable)")
	c.Flags().DurationVar(&offset, "restore-offset", 5*time.Minute, "restore each site to this long before its deletion")
	addPlatformFlag(c, &platformFile)
	of = addOutputFlags(c, "print JSON (-o json): every problem of a refused list, or the sites added")
	return c
}

func newBatchSetConcurrencyCmd(tf *temporalFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "set-concurrency BATCH N",
		Short:   "Change how many sites of the batch are restored at once",
		Example: "  lazarus batch set-concurrency incident-42 50",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := strconv.Atoi(args[1])
			if err != nil || n < 1 {
				return withExitCode(2, fmt.Errorf("N %q: want a whole number >= 1", args[1]))
			}
			ctx := cmd.Context()
			c, ns, err := tf.dial(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			wid := workflows.BatchWorkflowID(args[0])
			if err := updateWorkflow(ctx, c, wid, workflows.UpdateSetConcurrency, n); err != nil {
				return withExitCode(1, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "batch %s: concurrency set to %d\nWeb UI: %s\n", args[0], n, tf.workflowURL(ns, wid))
			return nil
		},
	}
}

// decodeKeyword reads a Keyword search attribute's value.
func decodeKeyword(p *commonpb.Payload) string {
	if p == nil {
		return ""
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &s); err != nil {
		return ""
	}
	return s
}
