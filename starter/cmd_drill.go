package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/drill"
	"github.com/lazarus-dr/lazarus/internal/printer"
	"github.com/lazarus-dr/lazarus/report"
	"github.com/lazarus-dr/lazarus/runbooks"
	"github.com/lazarus-dr/lazarus/workflows"
)

// newDrillCmd is the `drill` group: run a DR drill now, schedule drills,
// list and steer the schedules, and write a drill's report.
func newDrillCmd() *cobra.Command {
	tf := &temporalFlags{}
	c := &cobra.Command{
		Use:   "drill",
		Short: "DR drills: restore a sample of live sites into drill copies, validate, measure RTO/RPO, clean up",
		Long: `A drill restores a sample of live sites with a runbook into isolated drill
copies under new IDs, validates each copy against its site's state at the
restore point, measures RTO and RPO per site and step, proves that no
production tenant changed, and always removes every copy. Each drill is a
DrillRun workflow (search attributes LazarusDrillID and LazarusDrillResult).`,
	}
	tf.add(c)
	c.AddCommand(newDrillRunCmd(tf), newDrillScheduleCmd(tf), newDrillListCmd(tf),
		newDrillScheduleActCmd(tf, "trigger", "Start a drill of the schedule now (refused while one of its drills runs)"),
		newDrillScheduleActCmd(tf, "pause", "Pause the schedule: no drill starts until it is unpaused"),
		newDrillScheduleActCmd(tf, "unpause", "Unpause the schedule"),
		newDrillScheduleActCmd(tf, "delete", "Delete the schedule (a drill it started goes on and still cleans up)"),
		newDrillReportCmd(tf))
	return c
}

// maxDrillIDLen bounds a drill ID: a drill copy's first host label is
// "drill-<drill ID>-<the site's first label>", and a DNS label is at most
// 63 characters, so the drill ID leaves the site's label 16 of them.
const maxDrillIDLen = 40

// validDrillID says whether s can be a drill ID: lower-case letters,
// digits and '-', neither first nor last, at most maxDrillIDLen long (it
// becomes part of a host name label).
func validDrillID(s string) bool { return validLabel(s, maxDrillIDLen) }

// drillIDHelp says what a drill ID may be, for the errors.
const drillIDHelp = "use lower-case letters, digits and '-' (not first or last), at most 40 characters: it becomes part of a drill copy's host name"

func validLabel(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// checkDrillRunbook checks a drill's --runbook where the CLI can: a
// default or a file here must compile and restore under new IDs (a
// catalog.create_site step), since a runbook that undeletes under the
// sites' own IDs would write to the live sites. It returns the runbook's
// name ("" when it is a file the CLI cannot read: it may be on the
// worker's host, which checks it).
func checkDrillRunbook(name string) (string, error) {
	if name == "" {
		return "", errors.New("--runbook is empty: name a runbook (restore1) or a file")
	}
	if !runbooks.IsDefault(name) {
		if _, err := os.Stat(name); errors.Is(err, os.ErrNotExist) {
			return "", nil
		}
	}
	plan, err := runbooks.Load(name)
	if err != nil {
		return "", fmt.Errorf("--runbook %s: %v", name, oneLineStr(err.Error(), 300))
	}
	for _, st := range plan.Steps {
		if st.Action == contract.ActionCatalogCreateSite {
			return plan.Runbook, nil
		}
	}
	return "", fmt.Errorf("--runbook %s restores under the sites' own IDs (no %s step): a drill restores into copies under new IDs; use %s or a runbook like it",
		name, contract.ActionCatalogCreateSite, drill.DefaultRunbook)
}

// oneArg accepts exactly one argument, named what, or says so (exit 2).
func oneArg(what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return withExitCode(2, fmt.Errorf("want one %s, got %d arguments", what, len(args)))
		}
		return nil
	}
}

type drillRunOpts struct {
	tf          *temporalFlags
	sample      int
	sitesFile   string
	runbook     string
	drillID     string
	seed        int64
	pointAge    time.Duration
	concurrency int
	operator    string
	wait        bool
	interval    time.Duration
	of          *outputFlags
}

func newDrillRunCmd(tf *temporalFlags) *cobra.Command {
	o := &drillRunOpts{tf: tf}
	c := &cobra.Command{
		Use:   "run",
		Short: "Start a DR drill now (a DrillRun workflow); with --wait, follow it and exit 0 only if it passed",
		Long: `Starts a DrillRun workflow: it draws --sample N live sites (stratified:
large, small and multi-product sites; the same --seed draws the same sites
from the same fleet) or takes the sites of --sites-file, restores them with
--runbook into drill copies under new IDs at a restore point --point-age
before the drill starts, validates every copy, measures RTO and RPO, checks
that no production tenant changed, and removes every copy.

Bad input is one line naming the flag, exit 2, and nothing is started.
With --wait it prints a line each time the sites done change, then the
drill's summary; it exits 0 only when the drill passed: every sampled site
validated, production unchanged, everything cleaned up (else 1).`,
		Example: `  lazarus drill run --sample 20 --wait
  lazarus drill run --sites-file drill-sites.txt --runbook restore1 --drill-id dr-2026-w48
  lazarus drill run --sample 100 --seed 7 --point-age 10m --concurrency 25 --wait`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := c.Flags()
	f.IntVar(&o.sample, "sample", 0, "how many live sites to draw (or pass --sites-file)")
	f.StringVar(&o.sitesFile, "sites-file", "", "the live sites to drill instead of a sample"+idFileHelp)
	f.StringVar(&o.runbook, "runbook", drill.DefaultRunbook, "runbook that restores under new IDs: restore1 or a YAML file")
	_ = c.RegisterFlagCompletionFunc("runbook", completeRunbooks)
	f.StringVar(&o.drillID, "drill-id", "", "drill ID: lower-case letters, digits, '-' (default: generated)")
	f.Int64Var(&o.seed, "seed", 0, "seed of the sample (default: a random one, printed)")
	f.DurationVar(&o.pointAge, "point-age", drill.DefaultPointAge, "the restore point is this long before the drill starts")
	f.IntVar(&o.concurrency, "concurrency", drill.DefaultConcurrency, "drill copies restored at once")
	f.StringVar(&o.operator, "operator", os.Getenv("USER"), "who starts the drill (recorded in it)")
	f.BoolVar(&o.wait, "wait", false, "follow the drill until it ends; exit 0 only if it passed")
	f.DurationVar(&o.interval, "interval", 2*time.Second, "with --wait: how often to look at the drill")
	o.of = addOutputFlags(c, "")
	return c
}

// input checks the flags and builds the drill's input. Every problem is
// an exit-2 error of one line; nothing is looked up in Temporal.
func (o *drillRunOpts) input(cmd *cobra.Command) (drill.Input, string, error) {
	var bad []string
	sampleSet := cmd.Flags().Changed("sample")
	switch {
	case o.sitesFile == "" && !sampleSet:
		bad = append(bad, "no sites: pass --sample N (live sites to draw) or --sites-file FILE")
	case o.sitesFile != "" && sampleSet:
		bad = append(bad, "--sample and --sites-file: pass one (the sites file is the sample)")
	case sampleSet && o.sample < 1:
		bad = append(bad, fmt.Sprintf("--sample %d: must be at least 1", o.sample))
	}
	if o.drillID != "" && !validDrillID(o.drillID) {
		bad = append(bad, fmt.Sprintf("--drill-id %q: %s", o.drillID, drillIDHelp))
	}
	if o.pointAge <= 0 {
		bad = append(bad, fmt.Sprintf("--point-age %s: must be positive (the restore point is this long before the drill starts)", o.pointAge))
	}
	if o.concurrency < 1 {
		bad = append(bad, fmt.Sprintf("--concurrency %d: must be at least 1", o.concurrency))
	}
	if o.interval <= 0 {
		bad = append(bad, fmt.Sprintf("--interval %s: must be positive", o.interval))
	}
	if len(bad) > 0 {
		return drill.Input{}, "", withExitCode(2, errors.New(strings.Join(bad, "; ")))
	}
	runbookName, err := checkDrillRunbook(o.runbook)
	if err != nil {
		return drill.Input{}, "", withExitCode(2, err)
	}
	in := drill.Input{DrillID: o.drillID, Runbook: o.runbook, Sample: o.sample, Seed: o.seed,
		PointAge: o.pointAge, Concurrency: o.concurrency, Operator: o.operator}
	if o.sitesFile != "" {
		if in.Sites, err = requireIDFile("--sites-file", o.sitesFile, cmd.InOrStdin()); err != nil {
			return drill.Input{}, "", withExitCode(2, err)
		}
		seen := map[string]bool{}
		for _, s := range in.Sites {
			if seen[s] {
				return drill.Input{}, "", withExitCode(2, fmt.Errorf("--sites-file %s: site %s is listed twice", o.sitesFile, s))
			}
			seen[s] = true
		}
	}
	if !cmd.Flags().Changed("seed") {
		in.Seed = rand.Int64N(1_000_000)
	}
	if in.DrillID == "" {
		in.DrillID = newBatchID()
	}
	if runbookName == "" {
		runbookName = o.runbook
	}
	return in, runbookName, nil
}

// drillRunDoc is what `drill run -o json` prints: the drill that started
// and, with --wait, its result.
type drillRunDoc struct {
	DrillID  string        `json:"drill_id"`
	Workflow string        `json:"workflow"`
	RunID    string        `json:"run_id"`
	WebUI    string        `json:"web_ui"`
	Seed     int64         `json:"seed"`
	Result   *drill.Result `json:"result,omitempty"`
}

// drillStartedCard is where to follow a drill that started.
type drillStartedCard struct {
	Workflow string `text:"workflow"`
	WebUI    string `text:"Web UI"`
	Drill    string `text:"drill and its sites"`
	Sites    string `text:"watch its sites"`
	Report   string `text:"report"`
}

func (o *drillRunOpts) run(cmd *cobra.Command) error {
	pr, err := o.of.printer(cmd)
	if err != nil {
		return err
	}
	in, runbookName, err := o.input(cmd)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if pr.JSON() {
		// stdout holds the JSON document only; what people read goes to stderr.
		out = cmd.ErrOrStderr()
	}
	ctx := cmd.Context()
	c, ns, err := o.tf.dialForPreflight(ctx)
	if err != nil {
		return withExitCode(1, fmt.Errorf("drill %s: %w; nothing was started", in.DrillID, err))
	}
	defer c.Close()
	what := fmt.Sprintf("%d sampled live sites", in.Sample)
	if len(in.Sites) > 0 {
		what = fmt.Sprintf("%d listed live sites", len(in.Sites))
	}
	wid := workflows.DrillWorkflowID(in.DrillID)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       wid,
		TaskQueue:                workflows.BatchTaskQueue,
		WorkflowTaskTimeout:      workflows.BatchWorkflowTaskTimeout,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		// A drill ID names one drill forever: never hand back an old run.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.SearchKeyDrillID.ValueSet(in.DrillID),
			workflows.SearchKeyDrillResult.ValueSet(drill.ResultRunning),
			workflows.SearchKeyRunbook.ValueSet(runbookName),
		),
		StaticSummary: fmt.Sprintf("DR drill %s: %s with %s, restore point %s before the start", in.DrillID, what, runbookName, in.PointAge),
	}, workflows.DrillWorkflowName, in)
	if err != nil {
		var already *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &already) {
			return withExitCode(1, fmt.Errorf("drill %s already exists (workflow %s): choose another --drill-id", in.DrillID, wid))
		}
		return withExitCode(1, fmt.Errorf("start drill %s: %w", in.DrillID, err))
	}
	fmt.Fprintf(out, "started drill %s: %s, runbook %s, seed %d, restore point %s before the start, %d copies at once\n",
		in.DrillID, what, runbookName, in.Seed, in.PointAge, in.Concurrency)
	card := drillStartedCard{
		Workflow: fmt.Sprintf("%s (run %s)", wid, run.GetRunID()),
		WebUI:    o.tf.workflowURL(ns, wid),
		Drill:    o.tf.listURL(ns, fmt.Sprintf("%s=%q", workflows.SearchAttrDrillID, in.DrillID)),
		Sites:    "lazarus batch watch " + in.DrillID,
		Report:   drillReportCommand(in.DrillID),
	}
	_ = printer.New(out, printer.Text).Card(card, printer.CardOptions{Indent: "  "})
	doc := drillRunDoc{DrillID: in.DrillID, Workflow: wid, RunID: run.GetRunID(), WebUI: card.WebUI, Seed: in.Seed}
	if !o.wait {
		return printDoc(pr, doc)
	}
	res, err := waitDrill(ctx, c, in.DrillID, wid, run.GetRunID(), out, o.interval)
	if err != nil {
		return err
	}
	printDrillSummary(out, res, card.WebUI)
	if res.Regressions == nil {
		res.Regressions = []drill.Regression{} // the report fills them: an array, never null
	}
	doc.Result = &res
	if err := printDoc(pr, doc); err != nil {
		return err
	}
	if !res.Passed {
		return withExitCode(1, fmt.Errorf("drill %s FAILED: %s", in.DrillID, drillFailure(res)))
	}
	return nil
}

// drillReportCommand is the command that writes a drill's report.
func drillReportCommand(drillID string) string {
	return fmt.Sprintf("lazarus drill report %s -o html --out drill-%s.html", drillID, drillID)
}

// waitDrill follows the drill workflow wid until it closes, printing a
// line each time its batch's sites done change, and returns its result.
func waitDrill(ctx context.Context, c client.Client, drillID, wid, runID string, out io.Writer, interval time.Duration) (drill.Result, error) {
	var res drill.Result
	last := ""
	for {
		var status string
		err := retryTransient(ctx, func() error {
			desc, err := c.DescribeWorkflowExecution(ctx, wid, runID)
			if err == nil {
				status = statusName(desc.GetWorkflowExecutionInfo().GetStatus())
			}
			return err
		})
		if err != nil {
			return res, withExitCode(1, fmt.Errorf("drill %s: workflow %s: %w", drillID, wid, err))
		}
		if status != "running" {
			break
		}
		if line := drillProgressLine(ctx, c, drillID); line != last {
			fmt.Fprintf(out, "%s  %s\n", time.Now().UTC().Format(time.TimeOnly), line)
			last = line
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(interval):
		}
	}
	err := retryTransient(ctx, func() error { return c.GetWorkflow(ctx, wid, runID).Get(ctx, &res) })
	if err != nil {
		return res, withExitCode(1, fmt.Errorf("drill %s did not complete (it has no result; its cleanup ran as compensation: see the Web UI): %w", drillID, err))
	}
	return res, nil
}

// drillProgressLine says how far the drill's batch is: sites done of the
// total, by outcome. Before the batch exists the drill is preparing.
func drillProgressLine(ctx context.Context, c client.Client, drillID string) string {
	v, err := c.QueryWorkflow(ctx, workflows.BatchWorkflowID(drillID), "", workflows.QueryBatchProgress)
	var p workflows.BatchProgress
	if err == nil {
		err = v.Get(&p)
	}
	if err != nil {
		var notFound *serviceerror.NotFound
		if errors.As(err, &notFound) {
			return fmt.Sprintf("drill %s: preparing (compiling the runbook, drawing the sample, taking production checksums)", drillID)
		}
		return fmt.Sprintf("drill %s: its batch does not answer yet", drillID)
	}
	done := 0
	counts := map[string]int{}
	for k, n := range p.SitesByStatus {
		if n > 0 {
			counts[k] = n
		}
		if k != workflows.SiteRunning && k != workflows.SiteQueued && k != workflows.SiteWaiting && k != workflows.SiteParked {
			done += n
		}
	}
	line := fmt.Sprintf("drill %s: %d/%d sites done", drillID, done, p.SitesTotal)
	if len(counts) > 0 {
		line += " (" + strings.Join(countList(counts, " "), ", ") + ")"
	}
	if p.SitesTotal > 0 && done == p.SitesTotal {
		line += "; checking production and cleaning up"
	}
	return line
}

// printDrillSummary prints what a drill found: passed or failed, sites
// validated, production unchanged, cleaned up, RTO and RPO, and the
// report command.
func printDrillSummary(out io.Writer, res drill.Result, webUI string) {
	s := report.BuildDrill(res, nil, report.DrillOptions{}).Summary
	verdict := drillVerdict(res.Passed)
	fmt.Fprintf(out, "drill %s %s after %s (runbook %s)\n", res.DrillID, verdict, res.EndedAt.Sub(res.StartedAt).Round(time.Second), res.Runbook)
	fields := printer.Fields{
		{Name: "sites validated", Value: fmt.Sprintf("%d/%d%s", s.SitesValidated, s.SitesTotal, notValidated(res))},
		{Name: "production unchanged", Value: fmt.Sprintf("%s (%d tenants checked before and after%s)", yesNoWord(res.ProductionUnchanged), res.ProductionChecked, changedList(res))},
		{Name: "cleaned up", Value: fmt.Sprintf("%s (live sites %d before, %d after)", yesNoWord(res.CleanedUp), res.LiveSitesBefore, res.LiveSitesAfter)},
		{Name: "RTO", Value: fmt.Sprintf("p50 %s, p95 %s, max %s", secsDur(s.RTOP50), secsDur(s.RTOP95), secsDur(s.RTOMax))},
		{Name: "RPO", Value: fmt.Sprintf("p50 %s, max %s", secsDur(s.RPOP50), secsDur(s.RPOMax))},
	}
	for i, e := range res.Errors {
		if i == 5 {
			fields = append(fields, printer.Field{Name: "", Value: fmt.Sprintf("... %d more", len(res.Errors)-5)})
			break
		}
		name := ""
		if i == 0 {
			name = "errors"
		}
		fields = append(fields, printer.Field{Name: name, Value: oneLineStr(e, 160)})
	}
	fields = append(fields, printer.Field{Name: "report", Value: drillReportCommand(res.DrillID)}, printer.Field{Name: "Web UI", Value: webUI})
	_ = printer.New(out, printer.Text).Card(fields, printer.CardOptions{Indent: "  "})
}

// drillVerdict is PASSED or FAILED.
func drillVerdict(passed bool) string {
	if passed {
		return "PASSED"
	}
	return "FAILED"
}

// drillFailure says in a few words why a drill did not pass.
func drillFailure(res drill.Result) string {
	var why []string
	failed := 0
	for _, s := range res.Sites {
		if !s.Validated {
			failed++
		}
	}
	if failed > 0 {
		why = append(why, fmt.Sprintf("%d of %d sites not validated", failed, len(res.Sites)))
	}
	if !res.ProductionUnchanged {
		why = append(why, "production not proven unchanged")
	}
	if !res.CleanedUp {
		why = append(why, "not everything was cleaned up")
	}
	if len(why) == 0 {
		why = append(why, "see its errors")
	}
	return strings.Join(why, ", ")
}

func notValidated(res drill.Result) string {
	var ids []string
	for _, s := range res.Sites {
		if !s.Validated {
			ids = append(ids, s.SiteID+" "+s.Outcome)
		}
	}
	if len(ids) == 0 {
		return ""
	}
	if len(ids) > 5 {
		ids = append(ids[:5], fmt.Sprintf("%d more", len(ids)-5))
	}
	return "; not validated: " + strings.Join(ids, ", ")
}

func changedList(res drill.Result) string {
	if len(res.ProductionChanged) == 0 {
		return ""
	}
	ids := res.ProductionChanged
	if len(ids) > 5 {
		ids = append(append([]string(nil), ids[:5]...), fmt.Sprintf("%d more", len(res.ProductionChanged)-5))
	}
	return "; changed: " + strings.Join(ids, ", ")
}

func yesNoWord(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

// secsDur prints seconds as a duration to the second (to the
// millisecond under a second).
func secsDur(x float64) string {
	d := time.Duration(x * float64(time.Second))
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
