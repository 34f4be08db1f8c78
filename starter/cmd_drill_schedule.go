package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/lazarus-dr/lazarus/drill"
	"github.com/lazarus-dr/lazarus/internal/codec"
	"github.com/lazarus-dr/lazarus/internal/printer"
	"github.com/lazarus-dr/lazarus/workflows"
)

// maxScheduleIDLen bounds a drill schedule's ID: a scheduled drill's ID is
// the schedule ID, '-' and its start time (YYYYMMDD-HHMMSS, 15
// characters; drill.ID), and must fit maxDrillIDLen.
const maxScheduleIDLen = maxDrillIDLen - 16

// drillScheduleMemo is the schedule memo field that keeps the spec as it
// was given (Temporal turns a cron expression into calendars).
const drillScheduleMemo = "lazarus-drill-spec"

// Bounds of a drill schedule's flags.
const (
	minDrillEvery         = time.Minute
	minDrillCatchupWindow = 10 * time.Second // Temporal's own minimum
)

type drillScheduleOpts struct {
	tf          *temporalFlags
	scheduleID  string
	every       time.Duration
	cron        string
	sample      int
	runbook     string
	seed        int64
	pointAge    time.Duration
	concurrency int
	catchup     time.Duration
	paused      bool
}

func newDrillScheduleCmd(tf *temporalFlags) *cobra.Command {
	o := &drillScheduleOpts{tf: tf}
	c := &cobra.Command{
		Use:   "schedule",
		Short: "Create a Temporal Schedule that runs a drill every DURATION or on a cron spec",
		Long: `Creates a Temporal Schedule whose action starts a DrillRun workflow (workflow
ID lazarus-drill-<schedule ID>-<time>, drill ID <schedule ID>-<YYYYMMDD-HHMMSS>)
with --sample, --runbook, --seed and --point-age. Give exactly one of --every
and --cron.

Overlap policy SKIP: when a drill is due while the schedule's previous drill
still runs, that drill is skipped, so two drills never run at once. Not
BUFFER_ONE: a buffered drill would start the moment a long one ended, two
drills back to back on the platform's stores and the worker, with a restore
point and a sample meant for a time that has passed; the next regular drill
comes soon enough, and the skip is counted on the schedule.

Catch-up window (--catchup-window, default 1h): when Temporal was down at a
drill's time, the drill still starts on its return if that is within the
window; a drill missed for longer is not run at an unplanned hour.

The scheduled workflows carry LazarusDrillResult=running from the start; each
sets its own LazarusDrillID, which is known only once it starts.`,
		Example: `  lazarus drill schedule --schedule-id weekly --cron "0 3 * * MON" --sample 20
  lazarus drill schedule --schedule-id nightly-r1 --every 24h --sample 50 --runbook restore1 --seed 7
  lazarus drill schedule --schedule-id smoke --every 1m --sample 2 --catchup-window 30s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := c.Flags()
	f.StringVar(&o.scheduleID, "schedule-id", "", "the schedule's ID: lower-case letters, digits, '-', at most 24 characters")
	f.DurationVar(&o.every, "every", 0, "run a drill this often (at least 1m), e.g. 168h")
	f.StringVar(&o.cron, "cron", "", `run a drill on this cron spec (UTC), e.g. "0 3 * * MON"`)
	f.IntVar(&o.sample, "sample", 0, "how many live sites each drill draws")
	f.StringVar(&o.runbook, "runbook", drill.DefaultRunbook, "runbook that restores under new IDs: restore1 or a YAML file on the worker's host")
	_ = c.RegisterFlagCompletionFunc("runbook", completeRunbooks)
	f.Int64Var(&o.seed, "seed", 0, "seed of every drill's sample (0: each drill draws with its start time as the seed, so the weeks cover other sites; the seed is in the report)")
	f.DurationVar(&o.pointAge, "point-age", drill.DefaultPointAge, "the restore point is this long before each drill starts")
	f.IntVar(&o.concurrency, "concurrency", drill.DefaultConcurrency, "drill copies restored at once")
	f.DurationVar(&o.catchup, "catchup-window", time.Hour, "a drill missed while Temporal was down still runs if it is at most this late")
	f.BoolVar(&o.paused, "paused", false, "create the schedule paused")
	return c
}

// check is every problem of the flags, as one exit-2 error line.
func (o *drillScheduleOpts) check(cmd *cobra.Command) error {
	var bad []string
	switch {
	case o.scheduleID == "":
		bad = append(bad, "no --schedule-id: name the schedule")
	case !validLabel(o.scheduleID, maxScheduleIDLen):
		bad = append(bad, fmt.Sprintf("--schedule-id %q: use lower-case letters, digits and '-' (not first or last), at most %d characters: each drill's ID is the schedule ID and its start time, part of a host name", o.scheduleID, maxScheduleIDLen))
	}
	everySet := cmd.Flags().Changed("every")
	switch {
	case everySet && o.cron != "":
		bad = append(bad, "--every and --cron: pass one, not both")
	case !everySet && o.cron == "":
		bad = append(bad, `no schedule: pass --every DURATION (e.g. 168h) or --cron EXPR (e.g. "0 3 * * MON")`)
	case everySet && o.every < minDrillEvery:
		bad = append(bad, fmt.Sprintf("--every %s: at least %s (a drill takes minutes)", o.every, minDrillEvery))
	case o.cron != "":
		if err := checkCron(o.cron); err != nil {
			bad = append(bad, fmt.Sprintf("--cron %q: %v", o.cron, err))
		}
	}
	switch {
	case !cmd.Flags().Changed("sample"):
		bad = append(bad, "no --sample: pass --sample N (live sites each drill draws)")
	case o.sample < 1:
		bad = append(bad, fmt.Sprintf("--sample %d: must be at least 1", o.sample))
	}
	if o.pointAge <= 0 {
		bad = append(bad, fmt.Sprintf("--point-age %s: must be positive", o.pointAge))
	}
	if o.concurrency < 1 {
		bad = append(bad, fmt.Sprintf("--concurrency %d: must be at least 1", o.concurrency))
	}
	if o.catchup < minDrillCatchupWindow {
		bad = append(bad, fmt.Sprintf("--catchup-window %s: at least %s (Temporal's minimum)", o.catchup, minDrillCatchupWindow))
	}
	if len(bad) > 0 {
		return withExitCode(2, errors.New(strings.Join(bad, "; ")))
	}
	return nil
}

// checkCron catches the cron specs that are plainly not one (Temporal
// checks the rest): 5 to 7 fields, or an @-shorthand.
func checkCron(s string) error {
	spec := strings.TrimSpace(s)
	if i := strings.Index(spec, "#"); i >= 0 {
		spec = strings.TrimSpace(spec[:i])
	}
	fields := strings.Fields(spec)
	if len(fields) > 0 && (strings.HasPrefix(fields[0], "TZ=") || strings.HasPrefix(fields[0], "CRON_TZ=")) {
		fields = fields[1:]
	}
	switch {
	case len(fields) == 0:
		return errors.New("empty")
	case strings.HasPrefix(fields[0], "@"):
		return nil
	case len(fields) < 5 || len(fields) > 7:
		return fmt.Errorf("has %d fields: want 5 (minute hour day-of-month month day-of-week), 6 or 7", len(fields))
	}
	return nil
}

// specText is how a drill schedule's spec is shown: "every 24h0m0s" or
// "cron 0 3 * * MON".
func (o *drillScheduleOpts) specText() string {
	if o.cron != "" {
		return "cron " + o.cron
	}
	return "every " + o.every.String()
}

func (o *drillScheduleOpts) run(cmd *cobra.Command) error {
	if err := o.check(cmd); err != nil {
		return err
	}
	runbookName, err := checkDrillRunbook(o.runbook)
	if err != nil {
		return withExitCode(2, err)
	}
	if runbookName == "" {
		runbookName = o.runbook
	}
	ctx := cmd.Context()
	c, ns, err := o.tf.dialForPreflight(ctx)
	if err != nil {
		return withExitCode(1, fmt.Errorf("schedule %s: %w; nothing was created", o.scheduleID, err))
	}
	defer c.Close()
	in := drill.Input{Runbook: o.runbook, Sample: o.sample, Seed: o.seed, PointAge: o.pointAge, Concurrency: o.concurrency,
		Operator: "schedule " + o.scheduleID, ScheduleID: o.scheduleID}
	spec := client.ScheduleSpec{}
	if o.cron != "" {
		spec.CronExpressions = []string{o.cron}
	} else {
		spec.Intervals = []client.ScheduleIntervalSpec{{Every: o.every}}
	}
	h, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   o.scheduleID,
		Spec: spec,
		Action: &client.ScheduleWorkflowAction{
			ID:                  workflows.DrillWorkflowID(o.scheduleID),
			Workflow:            workflows.DrillWorkflowName,
			Args:                []any{in},
			TaskQueue:           workflows.BatchTaskQueue,
			WorkflowTaskTimeout: workflows.BatchWorkflowTaskTimeout,
			TypedSearchAttributes: temporal.NewSearchAttributes(
				workflows.SearchKeyDrillResult.ValueSet(drill.ResultRunning),
				workflows.SearchKeyRunbook.ValueSet(runbookName),
			),
			StaticSummary: fmt.Sprintf("Scheduled DR drill (%s): %d sampled live sites with %s", o.scheduleID, o.sample, runbookName),
		},
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: o.catchup,
		Paused:        o.paused,
		Note:          "created by lazarus drill schedule",
		Memo:          map[string]any{drillScheduleMemo: o.specText()},
	})
	if err != nil {
		var invalid *serviceerror.InvalidArgument
		switch {
		case errors.Is(err, temporal.ErrScheduleAlreadyRunning):
			return withExitCode(1, fmt.Errorf("schedule %s already exists: choose another --schedule-id, or delete it first (lazarus drill delete %s)", o.scheduleID, o.scheduleID))
		case errors.As(err, &invalid):
			return withExitCode(2, fmt.Errorf("schedule %s (%s): Temporal refused it: %s", o.scheduleID, o.specText(), invalid.Message))
		}
		return withExitCode(1, fmt.Errorf("create schedule %s: %w", o.scheduleID, err))
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "created drill schedule %s: %s, %d sampled live sites with %s, seed %d, overlap SKIP, catch-up window %s\n",
		o.scheduleID, o.specText(), o.sample, runbookName, o.seed, o.catchup)
	fields := printer.Fields{}
	if d, err := h.Describe(ctx); err == nil && len(d.Info.NextActionTimes) > 0 && !o.paused {
		fields = append(fields, printer.Field{Name: "next drill", Value: d.Info.NextActionTimes[0].UTC().Format(time.RFC3339)})
	}
	fields = append(fields,
		printer.Field{Name: "schedule", Value: scheduleURL(o.tf, ns, o.scheduleID)},
		printer.Field{Name: "its drills", Value: o.tf.listURL(ns, fmt.Sprintf("TemporalScheduledById = '%s'", o.scheduleID))},
		printer.Field{Name: "list", Value: "lazarus drill list"},
	)
	return printer.New(out, printer.Text).Card(fields, printer.CardOptions{Indent: "  "})
}

// scheduleURL is the Web UI page of a schedule.
func scheduleURL(tf *temporalFlags, ns, id string) string {
	return tf.nsURL(ns) + "/schedules/" + url.PathEscape(id)
}

// drillScheduleRow is a line of `drill list`.
type drillScheduleRow struct {
	ScheduleID string    `json:"schedule_id" text:"SCHEDULE"`
	Spec       string    `json:"spec"`
	Sample     int       `json:"sample" text:",right"`
	Runbook    string    `json:"runbook"`
	State      string    `json:"state"`
	Paused     bool      `json:"paused" text:"-"`
	Note       string    `json:"note,omitempty" text:"-"`
	NextRun    time.Time `json:"next_run,omitzero" text:"NEXT RUN (UTC)"`
	// The last drill the schedule started (its recent actions).
	LastDrill      string `json:"last_drill_id,omitempty" text:"LAST DRILL"`
	LastWorkflow   string `json:"last_workflow_id,omitempty" text:"-"`
	LastResult     string `json:"last_result"  text:"-"`
	LastValidated  int    `json:"last_sites_validated,omitempty" text:"-"`
	LastSites      int    `json:"last_sites,omitempty" text:"-"`
	LastResultText string `json:"-" text:"LAST RESULT"`
	Actions        int    `json:"drills_started" text:"-"`
	SkippedOverlap int    `json:"drills_skipped_overlap" text:"-"`
	WebUI          string `json:"web_ui" text:"-"`
}

// Last results of a drill schedule besides drill.Result*: no drill yet.
const lastResultNone = "none"

func newDrillListCmd(tf *temporalFlags) *cobra.Command {
	var of *outputFlags
	c := &cobra.Command{
		Use:     "list",
		Short:   "List the drill schedules: spec, paused or not, next run, the last drill's result",
		Example: "  lazarus drill list\n  lazarus drill list -o json",
		Args:    cobra.NoArgs,
		RunE: tf.withClient(func(cmd *cobra.Command, _ []string, c client.Client, ns string) error {
			pr, err := of.printer(cmd)
			if err != nil {
				return err
			}
			rows, err := listDrillSchedules(cmd.Context(), c, tf, ns)
			if err != nil {
				return withExitCode(1, err)
			}
			if err := pr.Table(rows, printer.TableOptions{TimeLayout: time.DateTime}); err != nil {
				return err
			}
			if len(rows) == 0 {
				pr.Printf("(no drill schedules: create one with `lazarus drill schedule`)\n")
			}
			pr.Printf("Web UI: %s\n", tf.nsURL(ns)+"/schedules")
			return pr.Err()
		}),
	}
	of = addOutputFlags(c, "")
	return c
}

// listDrillSchedules lists the schedules whose action starts DrillRun and
// describes each (the list is eventually consistent; the description is
// the schedule's state now), by schedule ID.
func listDrillSchedules(ctx context.Context, c client.Client, tf *temporalFlags, ns string) ([]drillScheduleRow, error) {
	it, err := c.ScheduleClient().List(ctx, client.ScheduleListOptions{PageSize: 200})
	if err != nil {
		return nil, fmt.Errorf("list schedules: %w", err)
	}
	var ids []string
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("list schedules: %w", err)
		}
		if e.WorkflowType.Name == workflows.DrillWorkflowName {
			ids = append(ids, e.ID)
		}
	}
	sort.Strings(ids)
	rows := []drillScheduleRow{}
	for _, id := range ids {
		d, err := c.ScheduleClient().GetHandle(ctx, id).Describe(ctx)
		var notFound *serviceerror.NotFound
		if errors.As(err, &notFound) {
			continue // deleted since the list
		}
		if err != nil {
			return nil, fmt.Errorf("describe schedule %s: %w", id, err)
		}
		rows = append(rows, drillScheduleRowOf(ctx, c, tf, ns, id, d))
	}
	return rows, nil
}

// drillScheduleRowOf is the row of schedule id, with its last drill's
// result.
func drillScheduleRowOf(ctx context.Context, c client.Client, tf *temporalFlags, ns, id string, d *client.ScheduleDescription) drillScheduleRow {
	row := drillScheduleRow{ScheduleID: id, State: "active", LastResult: lastResultNone, LastResultText: "-", WebUI: scheduleURL(tf, ns, id),
		Actions: d.Info.NumActions, SkippedOverlap: d.Info.NumActionsSkippedOverlap}
	if st := d.Schedule.State; st != nil {
		row.Paused, row.Note = st.Paused, st.Note
		if st.Paused {
			row.State = "paused"
		}
	}
	row.Spec = scheduleSpecText(d)
	if a, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction); ok && len(a.Args) > 0 {
		if p, ok := a.Args[0].(*commonpb.Payload); ok {
			var in drill.Input
			if codec.DataConverter().FromPayload(p, &in) == nil {
				row.Sample, row.Runbook = in.Sample, in.Runbook
			}
		}
	}
	if len(d.Info.NextActionTimes) > 0 && !row.Paused {
		row.NextRun = d.Info.NextActionTimes[0]
	}
	if n := len(d.Info.RecentActions); n > 0 {
		if wf := d.Info.RecentActions[n-1].StartWorkflowResult; wf != nil {
			row.LastWorkflow = wf.WorkflowID
			lastDrillResult(ctx, c, wf.WorkflowID, wf.FirstExecutionRunID, &row)
		}
	}
	return row
}

// scheduleSpecText is the spec as it was given (the memo), else what the
// description shows of it.
func scheduleSpecText(d *client.ScheduleDescription) string {
	if p, ok := d.Memo.GetFields()[drillScheduleMemo]; ok {
		var s string
		if codec.DataConverter().FromPayload(p, &s) == nil && s != "" {
			return s
		}
	}
	var parts []string
	if sp := d.Schedule.Spec; sp != nil {
		for _, iv := range sp.Intervals {
			parts = append(parts, "every "+iv.Every.String())
		}
		for _, cr := range sp.CronExpressions {
			parts = append(parts, "cron "+cr)
		}
		if len(sp.Calendars) > 0 {
			parts = append(parts, fmt.Sprintf("%d calendar specs", len(sp.Calendars)))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "; ")
}

// lastDrillResult fills the row's last drill: its ID (its search
// attribute) and result: running, passed or failed (the drill's own
// verdict), or how its workflow ended without a result.
func lastDrillResult(ctx context.Context, c client.Client, wid, runID string, row *drillScheduleRow) {
	desc, err := c.DescribeWorkflowExecution(ctx, wid, runID)
	if err != nil {
		row.LastResult, row.LastResultText = "unknown", "unknown ("+oneLineStr(err.Error(), 80)+")"
		return
	}
	info := desc.GetWorkflowExecutionInfo()
	row.LastDrill = decodeKeyword(info.GetSearchAttributes().GetIndexedFields()[workflows.SearchAttrDrillID])
	switch status := statusName(info.GetStatus()); status {
	case "running":
		row.LastResult, row.LastResultText = drill.ResultRunning, drill.ResultRunning
	case "completed":
		var res drill.Result
		if err := c.GetWorkflow(ctx, wid, runID).Get(ctx, &res); err != nil {
			row.LastResult, row.LastResultText = "unknown", "completed (result unreadable)"
			return
		}
		if row.LastDrill == "" {
			row.LastDrill = res.DrillID
		}
		row.LastResult = drill.ResultFailed
		if res.Passed {
			row.LastResult = drill.ResultPassed
		}
		for _, s := range res.Sites {
			if s.Validated {
				row.LastValidated++
			}
		}
		row.LastSites = len(res.Sites)
		row.LastResultText = fmt.Sprintf("%s (%d/%d sites validated)", row.LastResult, row.LastValidated, row.LastSites)
	default:
		row.LastResult, row.LastResultText = "workflow "+status, "workflow "+status+" (no result)"
	}
}

// newDrillScheduleActCmd is `drill trigger|pause|unpause|delete SCHEDULE_ID`.
func newDrillScheduleActCmd(tf *temporalFlags, verb, short string) *cobra.Command {
	var reason string
	c := &cobra.Command{
		Use:     verb + " SCHEDULE_ID",
		Short:   short,
		Example: fmt.Sprintf("  lazarus drill %s weekly", verb),
		Args:    oneArg("SCHEDULE_ID"),
		RunE: tf.withClient(func(cmd *cobra.Command, args []string, c client.Client, ns string) error {
			return actOnDrillSchedule(cmd.Context(), c, tf, ns, verb, args[0], reason, cmd.OutOrStdout())
		}),
	}
	if verb == "pause" || verb == "unpause" {
		c.Flags().StringVar(&reason, "reason", "", "why (recorded as the schedule's note)")
		c.Example = fmt.Sprintf("  lazarus drill %s weekly --reason \"platform freeze until Monday\"", verb)
	}
	return c
}

// actOnDrillSchedule triggers, pauses, unpauses or deletes drill schedule
// id, after checking that it is one.
func actOnDrillSchedule(ctx context.Context, c client.Client, tf *temporalFlags, ns, verb, id, reason string, out io.Writer) error {
	h := c.ScheduleClient().GetHandle(ctx, id)
	d, err := h.Describe(ctx)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return withExitCode(1, fmt.Errorf("no schedule %q (see `lazarus drill list`)", id))
	}
	if err != nil {
		return withExitCode(1, fmt.Errorf("schedule %s: %w", id, err))
	}
	if a, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction); !ok || fmt.Sprint(a.Workflow) != workflows.DrillWorkflowName {
		return withExitCode(1, fmt.Errorf("schedule %s is not a drill schedule (its action is not a %s workflow): not touched", id, workflows.DrillWorkflowName))
	}
	note := reason
	if note == "" {
		note = verb + "d with lazarus drill " + verb
	}
	var did string
	switch verb {
	case "trigger":
		if n := len(d.Info.RunningWorkflows); n > 0 {
			return withExitCode(1, fmt.Errorf("schedule %s: its drill %s is still running, and two drills never run at once: not triggered", id, d.Info.RunningWorkflows[n-1].WorkflowID))
		}
		err, did = h.Trigger(ctx, client.ScheduleTriggerOptions{}), "triggered a drill now (lazarus drill list shows it)"
	case "pause":
		err, did = h.Pause(ctx, client.SchedulePauseOptions{Note: note}), "paused: no drill starts until `lazarus drill unpause "+id+"`"
	case "unpause":
		err, did = h.Unpause(ctx, client.ScheduleUnpauseOptions{Note: note}), "unpaused"
	case "delete":
		err, did = h.Delete(ctx), "deleted (a drill it started goes on, and still cleans up)"
	default:
		return fmt.Errorf("drill %s: not a schedule action", verb)
	}
	if err != nil {
		return withExitCode(1, fmt.Errorf("%s schedule %s: %w", verb, id, err))
	}
	fmt.Fprintf(out, "schedule %s: %s\n", id, did)
	if verb != "delete" {
		fmt.Fprintf(out, "Web UI: %s\n", scheduleURL(tf, ns, id))
	}
	return nil
}
