package main

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/lazarus-dr/lazarus/preflight"
	"github.com/lazarus-dr/lazarus/workflows"
)

func newBatchSimpleUpdateCmd(tf *temporalFlags, use, update, short string) *cobra.Command {
	var of *operatorFlags
	c := &cobra.Command{
		Use:               use + " BATCH",
		Short:             short,
		Example:           fmt.Sprintf("  lazarus batch %s incident-42 --operator alice --reason \"shard 3 is overloaded\"", use),
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeBatchIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			op, err := of.get()
			if err != nil {
				return err
			}
			return tf.withClient(func(cmd *cobra.Command, args []string, c client.Client, ns string) error {
				wid := workflows.BatchWorkflowID(args[0])
				if err := updateWorkflow(cmd.Context(), c, wid, update, op); err != nil {
					return withExitCode(1, err)
				}
				return printAccepted(cmd, "batch "+args[0], use, op.Operator, tf.workflowURL(ns, wid))
			})(cmd, args)
		},
	}
	of = addOperatorFlags(c)
	return c
}

func newBatchAddSitesCmd(tf *temporalFlags) *cobra.Command {
	var idsFile, platformFile string
	var sites []string
	var offset time.Duration
	var of *outputFlags
	var opf *operatorFlags
	c := &cobra.Command{
		Use:               "add-sites BATCH",
		Short:             "Add sites to a running batch (after the same preflight)",
		Example:           "  lazarus batch add-sites incident-42 --ids-file more-sites.txt",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeBatchIDs,
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
			op, err := opf.get()
			if err != nil {
				return err
			}
			dir, desc, err := directory(platformFile)
			if err != nil {
				return withExitCode(2, err)
			}
			req := preflight.Request{IDs: ids, RestoreOffset: offset, Retention: desc.Retention, Batch: args[0]}
			if req.Backups, err = preflight.OldestBackups(desc); err != nil {
				return withExitCode(1, err)
			}
			if req.Windows, err = cloneWindows(ctx, desc, clusterNames(desc)); err != nil {
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
			if err := updateWorkflow(ctx, c, wid, workflows.UpdateAddSites, workflows.AddSitesRequest{Sites: res.Sites, Operator: op.Operator, Reason: op.Reason}); err != nil {
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
	opf = addOperatorFlags(c)
	return c
}

func newBatchSetConcurrencyCmd(tf *temporalFlags) *cobra.Command {
	var of *operatorFlags
	c := &cobra.Command{
		Use:               "set-concurrency BATCH N",
		Short:             "Change how many sites of the batch are restored at once",
		Example:           "  lazarus batch set-concurrency incident-42 50 --operator alice --reason \"the shards keep up\"",
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeBatchIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := strconv.Atoi(args[1])
			if err != nil || n < 1 {
				return withExitCode(2, fmt.Errorf("N %q: want a whole number >= 1", args[1]))
			}
			op, err := of.get()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			c, ns, err := tf.dial(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			wid := workflows.BatchWorkflowID(args[0])
			if err := updateWorkflow(ctx, c, wid, workflows.UpdateSetConcurrency, n, op); err != nil {
				return withExitCode(1, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "batch %s: concurrency set to %d (operator %s)\nWeb UI: %s\n", args[0], n, op.Operator, tf.workflowURL(ns, wid))
			return nil
		},
	}
	of = addOperatorFlags(c)
	return c
}
