package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/lazarus-dr/lazarus/internal/printer"
	"github.com/lazarus-dr/lazarus/preflight"
	"github.com/lazarus-dr/lazarus/runbooks"
	"github.com/lazarus-dr/lazarus/workflows"
)

// switchOpts are the flags of `batch switch-runbook`.
type switchOpts struct {
	runbook, sitesFile, platform string
	includeParked                bool
	op                           *operatorFlags

	// What readInputs made of them.
	plan *runbooks.Plan
	ids  []string
	who  workflows.Operator
}

func newBatchSwitchRunbookCmd(tf *temporalFlags) *cobra.Command {
	o := &switchOpts{}
	c := &cobra.Command{
		Use:   "switch-runbook BATCH",
		Short: "Move the batch's sites that have not started to another runbook (running sites keep theirs)",
		Long: "Moves the sites of a running batch that have not started (all of them, or those of --sites-file)\n" +
			"to another runbook. The runbook is validated and compiled first, and the restore preflight\n" +
			"runs on the sites it moves. Its batch-scoped steps (the clones) must be the batch's: the sites\n" +
			"use the clones the batch made. The switch is recorded with its operator and reason, and the\n" +
			"batch's result and report say which runbook each site ran.",
		Example: "  lazarus batch switch-runbook incident-42 --runbook restore2 --operator alice --reason \"restore2 keeps site IDs\"\n" +
			"  lazarus batch switch-runbook incident-42 --runbook ./my-runbook.yaml --sites-file late.txt --operator alice",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeBatchIDs,
		// The inputs are read before Temporal is dialled: a bad one is
		// one line and exit 2, and nothing is asked of the batch.
		PreRunE: func(cmd *cobra.Command, _ []string) error { return o.readInputs(cmd) },
		RunE: tf.withClient(func(cmd *cobra.Command, args []string, c client.Client, ns string) error {
			return o.run(cmd, c, ns, tf, args[0])
		}),
	}
	f := c.Flags()
	f.StringVar(&o.runbook, "runbook", "", "the runbook to switch to: a built-in name (restore1, restore2) or a YAML file (required)")
	f.StringVar(&o.sitesFile, "sites-file", "", "move only these sites"+idFileHelp)
	f.BoolVar(&o.includeParked, "include-parked", false, "also move the parked sites: each is cancelled where it parked and starts again from its first step with the new runbook (what its finished steps did is not undone)")
	o.op = addOperatorFlags(c)
	addPlatformFlag(c, &o.platform)
	_ = c.RegisterFlagCompletionFunc("runbook", completeRunbooks)
	return c
}

// readInputs checks the flags, compiles the runbook and reads the sites
// file: every problem of the flags at once, exit 2.
func (o *switchOpts) readInputs(cmd *cobra.Command) error {
	var bad []string
	if o.sitesFile != "" {
		var err error
		if o.ids, err = requireIDFile("--sites-file", o.sitesFile, cmd.InOrStdin()); err != nil {
			bad = append(bad, err.Error())
		}
	}
	if op, err := o.op.get(); err != nil {
		bad = append(bad, err.Error())
	} else {
		o.who = op
	}
	if o.runbook == "" {
		bad = append(bad, "--runbook NAME|FILE is required")
	} else if plan, err := runbooks.Load(o.runbook); err != nil {
		bad = append(bad, fmt.Sprintf("--runbook %s: %v", o.runbook, err))
	} else {
		o.plan = plan
	}
	if len(bad) > 0 {
		return withExitCode(2, errors.New(strings.Join(bad, "; ")))
	}
	return nil
}

func (o *switchOpts) run(cmd *cobra.Command, c client.Client, ns string, tf *temporalFlags, batchID string) error {
	ctx := cmd.Context()
	plan, ids := o.plan, o.ids
	var err error
	wid := workflows.BatchWorkflowID(batchID)
	check := ids
	if len(check) == 0 {
		if check, err = queuedSites(ctx, c, wid); err != nil {
			return withExitCode(1, err)
		}
	}
	if err := o.preflight(cmd, plan, check); err != nil {
		return err
	}
	req := workflows.SwitchRunbookRequest{Plan: *plan, Sites: ids, IncludeParked: o.includeParked, Operator: o.who.Operator, Reason: o.who.Reason}
	if err := updateWorkflow(ctx, c, wid, workflows.UpdateSwitchRunbook, req); err != nil {
		return withExitCode(1, err)
	}
	what := fmt.Sprintf("switch-runbook to %s (%d sites", plan.Runbook, len(check))
	if o.includeParked {
		what += ", and the parked ones"
	}
	if len(ids) == 0 {
		what += ", and the sites added later"
	}
	return printAccepted(cmd, "batch "+batchID, what+")", o.who.Operator, tf.workflowURL(ns, wid))
}

// preflight runs the restore preflight on the sites a switch moves: still
// deleted, the right kind of ID, within retention and the new runbook's
// base backups. Nothing is sent when it refuses.
//
// With no site to check (none queued: only parked ones, which passed the
// preflight when the batch started, or none at all), the batch's own
// validator says whether anything can move.
func (o *switchOpts) preflight(cmd *cobra.Command, plan *runbooks.Plan, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	dir, desc, err := directory(o.platform)
	if err != nil {
		return withExitCode(2, err)
	}
	req := preflight.Request{IDs: ids, Retention: desc.Retention}
	if clusters := plan.ClonedClusters(); len(clusters) > 0 {
		if req.Backups, err = preflight.OldestBackups(desc, clusters...); err != nil {
			return withExitCode(1, err)
		}
		if req.Windows, err = cloneWindows(cmd.Context(), desc, clusters); err != nil {
			return withExitCode(1, err)
		}
	}
	out := cmd.ErrOrStderr()
	fmt.Fprintf(out, "preflight: checking the %d sites to move to %s against %s\n", len(ids), plan.Runbook, desc.Name)
	pr := printer.New(cmd.OutOrStdout(), printer.Text)
	if _, err := checkIDs(cmd.Context(), dir, req, pr, out, out); err != nil {
		return err
	}
	return nil
}

// queuedSites asks the batch for its sites that have not started.
func queuedSites(ctx context.Context, c client.Client, wid string) ([]string, error) {
	v, err := c.QueryWorkflow(ctx, wid, "", workflows.QueryBatchQueued)
	if err != nil {
		return nil, fmt.Errorf("ask batch %s for its sites not started: %w", wid, err)
	}
	var queued []workflows.Site
	if err := v.Get(&queued); err != nil {
		return nil, fmt.Errorf("read batch %s's sites not started: %w", wid, err)
	}
	ids := make([]string, len(queued))
	for i, s := range queued {
		ids[i] = s.SiteID
	}
	return ids, nil
}
