package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/lazarus-dr/lazarus/internal/printer"
	"github.com/lazarus-dr/lazarus/internal/tconn"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pitr"
	"github.com/lazarus-dr/lazarus/preflight"
	"github.com/lazarus-dr/lazarus/runbooks"
	"github.com/lazarus-dr/lazarus/workflows"
)

func newRestoreCmd() *cobra.Command {
	c := &cobra.Command{Use: "restore", Short: "Start a batch restore of deleted sites (after the preflight guard)"}
	c.AddCommand(newRestoreStartCmd())
	return c
}

type restoreStartOpts struct {
	tf            temporalFlags
	runbook       string
	idsFile       string
	sites         []string
	offset        time.Duration
	tolerance     time.Duration
	maxSites      int
	concurrency   int
	batchID       string
	dryRun        bool
	wait          bool
	platform      string
	autoApprove   string
	childrenRun   int
	retentionFlag time.Duration
	of            *outputFlags
	cmd           *cobra.Command
}

func newRestoreStartCmd() *cobra.Command {
	o := &restoreStartOpts{}
	c := &cobra.Command{
		Use:   "start",
		Short: "Check every ID (preflight), then start a RestoreBatch workflow",
		Long: `Checks every ID first and refuses the whole list, every problem named, when any
ID is an app ID (naming the app and its site), unknown (suggesting the known ID
when only the letter case differs), a duplicate, a live (not deleted) site, a
site a running batch already holds (naming the batch), or has a restore point
outside retention or before the oldest base backup (naming the backup). The
refusal prints a summary by kind and the first problems; -o json prints every
one. A file that is not UTF-8 text is refused before anything is looked up, and
a failing platform is named with its address. A refusal exits 1 and starts
nothing. Then starts RestoreBatch with the compiled runbook and prints the
Temporal Web UI link.`,
		Example: `  lazarus restore start --runbook restore2 --ids-file deleted-sites.txt
  lazarus restore start --runbook restore2 --ids-file ids.txt --dry-run
  lazarus restore start --runbook restore1 --site 5f0c...e1 --site 9a2b...07 --restore-offset 5m --wait
  lazarus restore start --runbook ./my-runbook.yaml --ids-file ids.txt --batch-id incident-42 --concurrency 100`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.cmd = cmd
			return o.run(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := c.Flags()
	f.StringVar(&o.runbook, "runbook", "restore2", "runbook: restore2, restore1 or a YAML file")
	_ = c.RegisterFlagCompletionFunc("runbook", completeRunbooks)
	f.StringVar(&o.idsFile, "ids-file", "", "file of site IDs"+idFileHelp)
	f.StringArrayVar(&o.sites, "site", nil, "a site ID (repeatable)")
	f.DurationVar(&o.offset, "restore-offset", 5*time.Minute, "restore each site to this long before its deletion (the policy)")
	f.DurationVar(&o.tolerance, "tolerance", 0, "clone planning: a site may get a point up to this much earlier than its restore point (default: the runbook's, else 5m)")
	f.IntVar(&o.maxSites, "max-sites", 0, "refuse a batch of more sites than this (a guard against a runaway list; 0: no limit)")
	f.IntVar(&o.concurrency, "concurrency", workflows.DefaultMaxConcurrentSites, "sites restored at once (sliding window; change it later with lazarus batch set-concurrency)")
	f.StringVar(&o.batchID, "batch-id", "", "batch ID (default: generated)")
	f.BoolVar(&o.dryRun, "dry-run", false, "check and print the plan (sites, clones, steps, critical path, ETA); start nothing")
	f.BoolVar(&o.wait, "wait", false, "watch the batch until it ends; exit non-zero if any site did not come back")
	f.StringVar(&o.autoApprove, "auto-approve", "", "with --wait: approve customer-validation gates as this operator (drills and demos only)")
	f.IntVar(&o.childrenRun, "children-per-run", 0, "site workflows per batch run before continue-as-new (0: the workflow's default)")
	f.DurationVar(&o.retentionFlag, "retention", 0, "override the platform's backup retention for the preflight (0: the platform description's)")
	addPlatformFlag(c, &o.platform)
	o.of = addOutputFlags(c, "print JSON (-o json): every problem of a refused list, or the sites and the batch")
	o.tf.add(c)
	return c
}

func (o *restoreStartOpts) run(ctx context.Context, in io.Reader, out, errw io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	pr, err := o.of.printer(o.cmd)
	if err != nil {
		return err
	}
	if pr.JSON() {
		// stdout holds the JSON document only; what people read goes to stderr.
		out = errw
	}
	// Inputs first: nothing is looked up before they are sound.
	var bad []string
	if o.offset < 0 {
		bad = append(bad, fmt.Sprintf("--restore-offset %s is negative", o.offset))
	}
	if o.tolerance < 0 {
		bad = append(bad, fmt.Sprintf("--tolerance %s is negative", o.tolerance))
	}
	if o.concurrency < 1 {
		bad = append(bad, fmt.Sprintf("--concurrency %d: must be at least 1", o.concurrency))
	}
	if o.maxSites < 0 {
		bad = append(bad, fmt.Sprintf("--max-sites %d is negative", o.maxSites))
	}
	if o.batchID != "" && !validBatchID(o.batchID) {
		bad = append(bad, fmt.Sprintf("--batch-id %q: use letters, digits, '-', '_' and '.' only", o.batchID))
	}
	if o.idsFile == "" && len(o.sites) == 0 {
		bad = append(bad, "no IDs: pass --ids-file FILE or --site ID")
	}
	if len(bad) > 0 {
		return withExitCode(2, errors.New(strings.Join(bad, "; ")))
	}
	plan, err := runbooks.Load(o.runbook)
	if err != nil {
		return withExitCode(2, fmt.Errorf("--runbook %s: %w", o.runbook, err))
	}
	if o.tolerance > 0 {
		for i := range plan.Steps {
			if plan.Steps[i].Action == "db.clone" {
				if plan.Steps[i].Params == nil {
					plan.Steps[i].Params = map[string]string{}
				}
				plan.Steps[i].Params["tolerance"] = o.tolerance.String()
			}
		}
	}
	ids, err := collectIDs(o.idsFile, o.sites, in)
	if err != nil {
		return withExitCode(2, err)
	}
	dir, desc, err := directory(o.platform)
	if err != nil {
		return withExitCode(2, err)
	}
	retention := desc.Retention
	if o.retentionFlag > 0 {
		retention = o.retentionFlag
	}
	req := preflight.Request{IDs: ids, RestoreOffset: o.offset, Retention: retention, MaxSites: o.maxSites}
	if clusters := plan.ClonedClusters(); len(clusters) > 0 {
		if req.Backups, err = preflight.OldestBackups(desc, clusters...); err != nil {
			return withExitCode(1, err)
		}
		if req.Windows, err = cloneWindows(ctx, desc, clusters); err != nil {
			return withExitCode(1, err)
		}
	}
	var c client.Client
	var ns string
	if o.dryRun {
		// A dry run checks the running batches when Temporal answers.
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		c, ns, err = o.tf.dialForPreflight(dctx)
		cancel()
		if tconn.IsConfigError(err) {
			return err
		}
		if err != nil {
			fmt.Fprintf(out, "preflight: not checked whether running batches hold these sites: %v\n", err)
		}
	} else if c, ns, err = o.tf.dialForPreflight(ctx); err != nil {
		return withExitCode(1, fmt.Errorf("preflight: %w; nothing was started", err))
	}
	if c != nil {
		defer c.Close()
		req.Running = o.tf.running(c, ns)
	}
	fmt.Fprintf(out, "preflight: checking %d IDs against %s (restore offset %s, retention %s)\n", len(ids), desc.Name, o.offset, retention)
	res, err := checkIDs(ctx, dir, req, pr, out, errw)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "preflight: OK: %d deleted sites, %d users\n", len(res.Sites), res.Users)

	batchID := o.batchID
	if batchID == "" {
		batchID = newBatchID()
	}
	doc := restoreStartDoc{Sites: res.Sites, Users: res.Users, BatchID: batchID, DryRun: o.dryRun}
	if o.dryRun {
		printDryRun(out, plan, res, o, batchID)
		return printDoc(pr, doc)
	}
	input := workflows.RestoreBatchInput{BatchID: batchID, Plan: *plan, Sites: res.Sites, MaxConcurrentSites: o.concurrency, MaxChildrenPerRun: o.childrenRun}
	wid := workflows.BatchWorkflowID(batchID)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       wid,
		TaskQueue:                workflows.BatchTaskQueue,
		WorkflowTaskTimeout:      workflows.BatchWorkflowTaskTimeout,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		// A batch ID names one batch forever: never hand back an old run.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.SearchKeyBatchID.ValueSet(batchID),
			workflows.SearchKeyRunbook.ValueSet(plan.Runbook),
			workflows.SearchKeyStatus.ValueSet(workflows.SiteRunning),
		),
		StaticSummary: fmt.Sprintf("Restore of %d sites with %s", len(res.Sites), plan.Runbook),
	}, workflows.RestoreBatchWorkflowName, input)
	if err != nil {
		var already *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &already) {
			return withExitCode(1, fmt.Errorf("batch %s already exists (workflow %s): choose another --batch-id: %w", batchID, wid, err))
		}
		return withExitCode(1, fmt.Errorf("start batch %s: %w", batchID, err))
	}
	fmt.Fprintf(out, "started batch %s: %d sites, runbook %s (%d steps per site), up to %d at once\n", batchID, len(res.Sites), plan.Runbook, len(plan.SiteSteps()), o.concurrency)
	card := startedCard{
		Workflow: fmt.Sprintf("%s (run %s)", wid, run.GetRunID()),
		WebUI:    o.tf.workflowURL(ns, wid),
		Sites:    o.tf.listURL(ns, fmt.Sprintf("%s=%q", workflows.SearchAttrBatchID, batchID)),
		Watch:    "lazarus batch watch " + batchID,
	}
	_ = printer.New(out, printer.Text).Card(card, printer.CardOptions{Indent: "  "})
	doc.Workflow, doc.RunID, doc.WebUI = wid, run.GetRunID(), card.WebUI
	if err := printDoc(pr, doc); err != nil {
		return err
	}
	if !o.wait {
		return nil
	}
	w := &watcher{c: c, ns: ns, tf: &o.tf, batchID: batchID, out: out, autoApprove: o.autoApprove, interval: time.Second}
	return w.run(ctx)
}

// restoreStartDoc is what `restore start -o json` prints when the list
// passed: the sites, and the batch that started (or would start).
type restoreStartDoc struct {
	Refused  bool             `json:"refused"`
	DryRun   bool             `json:"dry_run,omitempty"`
	BatchID  string           `json:"batch_id"`
	Workflow string           `json:"workflow,omitempty"`
	RunID    string           `json:"run_id,omitempty"`
	WebUI    string           `json:"web_ui,omitempty"`
	Users    int              `json:"users"`
	Sites    []workflows.Site `json:"sites"`
}

// printDoc prints v as JSON when the printer is in JSON mode.
func printDoc(pr *printer.Printer, v any) error {
	if !pr.JSON() {
		return nil
	}
	return pr.Print(v, nil)
}

// checkIDs runs the preflight, says on out how long it took, and prints a
// refusal: the summary and the first problems on errw (every problem, as
// JSON, on the printer in JSON mode). A refused list, or a check that
// could not be made, is an exit-1 error that says nothing was started.
func checkIDs(ctx context.Context, dir platform.Directory, req preflight.Request, pr *printer.Printer, out, errw io.Writer) (preflight.Result, error) {
	t0 := time.Now()
	res, err := preflight.Check(ctx, dir, req)
	fmt.Fprintf(out, "preflight: checked %d IDs in %s\n", len(req.IDs), time.Since(t0).Round(time.Millisecond))
	if err == nil {
		return res, nil
	}
	if r, ok := preflight.AsRefused(err); ok {
		if pr.JSON() {
			if perr := pr.Print(r.Report(), nil); perr != nil {
				return res, perr
			}
		} else {
			fmt.Fprintln(errw, r.Error())
		}
		return res, withExitCode(1, fmt.Errorf("preflight REFUSED the list (%s); nothing was started: fix the list and run again", r.Summary()))
	}
	return res, withExitCode(1, err)
}

// dialForPreflight dials Temporal; when it cannot be reached the error is
// one line naming its address.
func (f *temporalFlags) dialForPreflight(ctx context.Context) (client.Client, string, error) {
	c, ns, err := f.dial(ctx)
	if err == nil {
		return c, ns, nil
	}
	addr := f.hostPort()
	switch msg := err.Error(); {
	case strings.Contains(msg, "connection refused"):
		return nil, "", fmt.Errorf("Temporal at %s refused the connection (is it running? `make up`)", addr)
	case errors.Is(err, context.DeadlineExceeded), strings.Contains(msg, "context deadline exceeded"):
		return nil, "", fmt.Errorf("Temporal at %s did not answer in time", addr)
	}
	return nil, "", err
}

// running is the preflight's question to Temporal: which sites running
// batches hold.
func (f *temporalFlags) running(c client.Client, ns string) preflight.TemporalRunning {
	return preflight.TemporalRunning{Client: c, Namespace: ns, Address: f.hostPort()}
}

// startedCard is where to follow a batch that started.
type startedCard struct {
	Workflow string `text:"workflow"`
	WebUI    string `text:"Web UI"`
	Sites    string `text:"sites"`
	Watch    string `text:"watch"`
}

func validBatchID(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return len(s) > 0 && len(s) <= 100
}

func newBatchID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// printDryRun prints what the batch would do: sites, clones, steps,
// critical path and an ETA.
func printDryRun(out io.Writer, plan *runbooks.Plan, res preflight.Result, o *restoreStartOpts, batchID string) {
	fmt.Fprintf(out, "\nDRY RUN: batch %s would restore %d sites with runbook %s (digest %.12s). Nothing started.\n", batchID, len(res.Sites), plan.Runbook, plan.Digest)
	sites := append([]workflows.Site(nil), res.Sites...)
	sort.Slice(sites, func(i, j int) bool { return sites[i].DeletedAt.Before(sites[j].DeletedAt) })
	fmt.Fprintf(out, "\nSites (%d, %d users), by deletion time:\n", len(sites), res.Users)
	var siteRows []dryRunSiteRow
	for i, s := range sites {
		if i == 10 && len(sites) > 12 {
			// The first ten, then the last.
			siteRows = append(siteRows, dryRunSiteRow{Site: fmt.Sprintf("... %d more ...", len(sites)-11)})
			s = sites[len(sites)-1]
		}
		siteRows = append(siteRows, dryRunSiteRow{s.SiteID, s.DeletedAt.UTC().Format(time.RFC3339),
			s.RestorePoint.UTC().Format(time.RFC3339), strconv.Itoa(s.Users)})
		if len(siteRows) == 12 {
			break
		}
	}
	tp := printer.New(out, printer.Text)
	_ = tp.Table(siteRows, printer.TableOptions{Indent: "  "})
	fmt.Fprintf(out, "\nClones (batch-scoped lead steps):\n")
	haveClone := false
	for _, st := range plan.BatchSteps() {
		if st.Action != "db.clone" {
			fmt.Fprintf(out, "  %s (%s)\n", st.ID, st.Action)
			continue
		}
		haveClone = true
		tol := o.tolerance
		if tol == 0 {
			if d, err := time.ParseDuration(st.Params["tolerance"]); err == nil {
				tol = d
			}
		}
		in := pitr.PlanInput{Tolerance: tol}
		for _, s := range res.Sites {
			in.Sites = append(in.Sites, pitr.PlanSite{SiteID: s.SiteID, DeletedAt: s.DeletedAt, RestorePoint: s.RestorePoint})
		}
		cp, err := pitr.PlanClones(in)
		if err != nil {
			fmt.Fprintf(out, "  %s: cluster %s: cannot plan: %v\n", st.ID, st.Params["cluster"], err)
			continue
		}
		var extra time.Duration
		for _, a := range cp.Sites {
			if a.ExtraLoss > extra {
				extra = a.ExtraLoss
			}
		}
		fmt.Fprintf(out, "  %s: cluster %s: %d clones (tolerance %s; worst extra data loss %s)\n", st.ID, st.Params["cluster"], len(cp.Clones), cp.Tolerance, extra)
		for _, pc := range cp.Clones {
			fmt.Fprintf(out, "    at %s for %d sites\n", pc.Point.UTC().Format(time.RFC3339Nano), len(pc.Sites))
		}
	}
	if !haveClone {
		fmt.Fprintf(out, "  none\n")
	}
	fmt.Fprintf(out, "\nSteps (%d; %d per site, %d per batch):\n", len(plan.Steps), len(plan.SiteSteps()), len(plan.BatchSteps()))
	stepRows := make([]dryRunStepRow, len(plan.Steps))
	for i, st := range plan.Steps {
		needs := "-"
		if len(st.Needs) > 0 {
			needs = strings.Join(st.Needs, ", ")
		}
		if st.Gate != nil {
			needs += fmt.Sprintf(" gate(deadline %s)", st.Gate.Deadline)
		}
		stepRows[i] = dryRunStepRow{st.ID, st.Action, string(st.Scope), st.Service, st.Estimate, needs}
	}
	_ = tp.Table(stepRows, printer.TableOptions{Indent: "  "})
	sched := plan.Schedule()
	fmt.Fprintf(out, "\nCritical path (%s by estimates): %s\n", sched.Total, strings.Join(sched.CriticalPath, " -> "))
	siteCP := siteCritical(plan)
	waves := (len(res.Sites) + o.concurrency - 1) / o.concurrency
	if waves < 1 {
		waves = 1
	}
	eta := sched.Total + time.Duration(waves-1)*siteCP
	fmt.Fprintf(out, "ETA: %s for %d sites, %d at once (%d wave(s) of about %s after the lead steps; estimates, gates included)\n", eta.Round(time.Second), len(res.Sites), o.concurrency, waves, siteCP)
}

// dryRunSiteRow is a site in the dry run.
type dryRunSiteRow struct {
	Site         string
	Deleted      string
	RestorePoint string `text:"RESTORE POINT"`
	Users        string `text:",right"`
}

// dryRunStepRow is a step in the dry run.
type dryRunStepRow struct {
	Step     string
	Action   string
	Scope    string
	Service  string
	Estimate time.Duration
	Needs    string
}

// siteCritical is the longest chain of site steps by estimates.
func siteCritical(plan *runbooks.Plan) time.Duration {
	fin := map[string]time.Duration{}
	var best time.Duration
	for _, st := range plan.Steps {
		if st.Scope != runbooks.ScopeSite {
			continue
		}
		var start time.Duration
		for _, n := range st.Needs {
			if f, ok := fin[n]; ok && f > start {
				start = f
			}
		}
		fin[st.ID] = start + st.Estimate
		if fin[st.ID] > best {
			best = fin[st.ID]
		}
	}
	return best
}
