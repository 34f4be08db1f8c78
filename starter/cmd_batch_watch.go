package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"golang.org/x/term"

	"github.com/lazarus-dr/lazarus/workflows"
)

func newBatchWatchCmd(tf *temporalFlags) *cobra.Command {
	var interval time.Duration
	var autoApprove string
	var of *outputFlags
	c := &cobra.Command{
		Use:   "watch BATCH",
		Short: "Live progress bars until the batch ends; exit 1 if any site did not come back",
		Long: `Watch a batch until it ends: sites by status, steps overall and per stage, the
sites parked or waiting at a gate with their reason and age, and the batch's ETA.

The per-stage bars count the steps of the finished sites (the batch's query) and,
while the batch runs, the steps done in its running sites: their progress memos,
read through one visibility list every few seconds.

On a terminal the progress is redrawn in place, fitted to the terminal's width and
height; otherwise (a pipe, a log file) it is printed as plain lines: one every 10 s
or when the batch's status changes, and one for each site that becomes blocked.
With -o json it prints one JSON object a refresh (JSON lines), the last one with
the batch's outcome.`,
		Example: `  lazarus batch watch incident-42
  lazarus batch watch drill-7 --auto-approve drill-bot   # drills/demos: approve customer gates
  lazarus batch watch incident-42 -o json | jq -c '{status, steps}'`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeBatchIDs,
		RunE: tf.withClient(func(cmd *cobra.Command, args []string, c client.Client, ns string) error {
			ctx := cmd.Context()
			pr, err := of.printer(cmd)
			if err != nil {
				return err
			}
			w := &watcher{c: c, ns: ns, tf: tf, batchID: args[0], out: cmd.OutOrStdout(), interval: interval, autoApprove: autoApprove,
				json: pr.JSON()}
			if w.json {
				// Only JSON lines on stdout; what people read goes to stderr.
				w.out, w.jsonOut = cmd.ErrOrStderr(), cmd.OutOrStdout()
			}
			return w.run(ctx)
		}),
	}
	c.Flags().DurationVar(&interval, "interval", time.Second, "refresh interval")
	c.Flags().StringVar(&autoApprove, "auto-approve", "", "approve every customer-validation gate that opens, as this operator (drills and demos only)")
	of = addOutputFlags(c, "")
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

	live  *liveSampler
	plain plainLog
	// json: -o json, a JSON object a refresh on jsonOut.
	json    bool
	jsonOut io.Writer
	// drawn is how many lines the last redraw drew on the terminal.
	drawn int
}

// run redraws the progress until the batch workflow closes, then prints
// the outcome and returns an exit code 1 error if any site is not restored.
// On a terminal it redraws in place, within the terminal's size; otherwise
// it prints plain lines (plainLog).
func (w *watcher) run(ctx context.Context) error {
	wid := workflows.BatchWorkflowID(w.batchID)
	w.live = &liveSampler{c: w.c, ns: w.ns, batchID: w.batchID, every: max(liveEvery, w.interval)}
	fmt.Fprintf(w.out, "watching batch %s: %s\n", w.batchID, w.tf.workflowURL(w.ns, wid))
	for {
		p, status, err := batchProgress(ctx, w.c, wid)
		if err != nil && status == "" && !transient(err) {
			return err
		}
		if err != nil {
			// Still not answering after retryTransient: say so, keep watching.
			fmt.Fprintf(w.out, "Temporal did not answer (%v); still watching\n", err)
			w.drawn = 0
		}
		if err == nil {
			// The running sites are listed right after the batch's query,
			// before any approval lets a site end between the two.
			v := w.sample(ctx, progressView{P: p, Status: status, Now: time.Now()})
			if w.autoApprove != "" {
				w.approveGates(ctx, p)
			}
			w.show(v)
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
	return w.outcome(ctx, wid)
}

// sample adds the steps done in the running sites while the batch runs
// (listed at most every liveEvery, with the batch's counts of that moment).
// A site that ends between the batch's query and the list is in neither
// until the next list.
func (w *watcher) sample(ctx context.Context, v progressView) progressView {
	if v.Status == "running" {
		var err error
		if v.Live, err = w.live.sample(ctx, v.Now, v.P); err != nil {
			v.Note = "running sites' steps not counted: " + oneLineStr(err.Error(), 200)
		}
	}
	return v
}

// show draws the progress of a moment.
func (w *watcher) show(v progressView) {
	if w.json {
		_ = writeJSONLine(w.jsonOut, v.snapshot())
		return
	}
	fd, tty := terminal(w.out)
	if !tty {
		for _, l := range w.plain.lines(v) {
			fmt.Fprintln(w.out, l)
		}
		return
	}
	width, height, err := term.GetSize(fd)
	if err != nil {
		width, height = 0, 0
	}
	w.redraw(v.screen(width, height))
}

// redraw draws lines over the ones it drew last: the cursor goes up as
// many lines and clears to the end of the screen. The lines fit the
// terminal (progressView.screen), so none wraps and the count is right.
func (w *watcher) redraw(lines []string) {
	var b strings.Builder
	if w.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\x1b[J", w.drawn)
	}
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	fmt.Fprint(w.out, b.String())
	w.drawn = len(lines)
}

// outcome prints how the batch ended; an error (exit code 1) if any site
// did not come back.
func (w *watcher) outcome(ctx context.Context, wid string) error {
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
	if w.json {
		_ = writeJSONLine(w.jsonOut, progressSnapshot{At: time.Now().UTC(), Batch: w.batchID, Status: "done", Workflow: "completed",
			SitesTotal: len(res.Sites), SitesByStatus: counts,
			Outcome: &snapshotOutcome{Restored: counts[workflows.SiteRestored], Sites: len(res.Sites), ByStatus: counts}})
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
// those of the sites its progress lists as waiting (or, from a worker that
// does not list them, the sites whose status search attribute says
// "waiting").
func (w *watcher) approveGates(ctx context.Context, p workflows.BatchProgress) {
	n := p.SitesByStatus[workflows.SiteWaiting]
	if n == 0 {
		return
	}
	if w.approved == nil {
		w.approved = map[string]bool{}
	}
	if len(p.Waiting) >= n {
		for _, s := range p.Waiting {
			w.approveSite(ctx, s.SiteID)
		}
		return
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
			w.approveSite(ctx, site)
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 {
			return
		}
	}
}

// approveSite approves the site's gates that wait, each once.
func (w *watcher) approveSite(ctx context.Context, site string) {
	st, err := siteState(ctx, w.c, site)
	if err != nil {
		return
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

// terminal says whether w is a terminal, and gives its file descriptor.
func terminal(w io.Writer) (int, bool) {
	f, ok := w.(*os.File)
	if !ok {
		return 0, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}
