package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/tconn"
	"github.com/lazarus-dr/lazarus/runbooks"
	"github.com/lazarus-dr/lazarus/workflows"
)

// Shell completion of the names a coordinator types: batch IDs, site IDs,
// step IDs and runbook names. The functions have cobra's
// ValidArgsFunction signature. Those that read Temporal dial it with the
// command's own connection flags (--address, --namespace, TLS, API key,
// profile, or Temporal's environment configuration), give up after
// completionTimeout, and
// degrade silently: when Temporal is down or slow they complete nothing
// and print nothing, because a shell shows whatever a completion prints.

// completionTimeout bounds everything one completion asks of Temporal.
const completionTimeout = 3 * time.Second

// maxCompletions bounds the names one completion lists.
const maxCompletions = 1000

// noCompletion completes nothing, and no file names either.
func noCompletion() ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveNoFileComp
}

// completionClient dials Temporal with cmd's connection flags and a
// logger that prints nothing; ok is false when Temporal is not reachable
// in time. The caller calls done when it has finished.
func completionClient(cmd *cobra.Command) (ctx context.Context, c client.Client, ns string, done func(), ok bool) {
	parent := cmd.Context()
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithTimeout(parent, completionTimeout)
	cfg := connectionFlags(cmd)
	cfg.Logger = zap.NewNop()
	c, opts, err := tconn.Dial(ctx, cfg)
	if err != nil {
		cancel()
		return nil, nil, "", nil, false
	}
	return ctx, c, opts.Namespace, func() { c.Close(); cancel() }, true
}

// connectionFlags is the Temporal connection the user typed on cmd's line
// (every tconn flag: address, TLS, API key, profile...): a completion runs
// before the command's own flag values are bound, so they are read by name.
func connectionFlags(cmd *cobra.Command) tconn.Config {
	var cfg tconn.Config
	fs := pflag.NewFlagSet("connection", pflag.ContinueOnError)
	cfg.AddFlags(fs)
	fs.VisitAll(func(f *pflag.Flag) {
		for _, set := range []*pflag.FlagSet{cmd.Flags(), cmd.InheritedFlags()} {
			if typed := set.Lookup(f.Name); typed != nil && typed.Changed {
				_ = fs.Set(f.Name, typed.Value.String())
				return
			}
		}
	})
	return cfg
}

// flagValue is the value of cmd's flag name (its own or inherited), ""
// when it has none.
func flagValue(cmd *cobra.Command, name string) string {
	if f := cmd.Flags().Lookup(name); f != nil {
		return f.Value.String()
	}
	if f := cmd.InheritedFlags().Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}

// completeBatchIDs completes a BATCH argument (the first) with the IDs of
// the batches Temporal's visibility lists, each described by its runbook
// and status.
func completeBatchIDs(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return noCompletion()
	}
	ctx, c, ns, done, ok := completionClient(cmd)
	if !ok {
		return noCompletion()
	}
	defer done()
	rows, _, err := listBatches(ctx, c, ns, batchQuery(""), maxCompletions)
	if err != nil {
		return noCompletion()
	}
	var out []string
	for _, r := range rows {
		if strings.HasPrefix(r.Batch, toComplete) {
			out = append(out, r.Batch+"\t"+describe(r.Runbook, r.Status))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeSiteIDs completes a SITE argument (the first) with the IDs of
// the sites the batches restore or restored (site workflows, by their
// LazarusSiteID), running ones first; with a --batch flag set, only that
// batch's sites (search attribute LazarusBatchID).
func completeSiteIDs(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return noCompletion()
	}
	ctx, c, ns, done, ok := completionClient(cmd)
	if !ok {
		return noCompletion()
	}
	defer done()
	sites, err := listSites(ctx, c, ns, flagValue(cmd, "batch"), toComplete)
	if err != nil {
		return noCompletion()
	}
	return sites, cobra.ShellCompDirectiveNoFileComp
}

// completeStepIDs completes `SITE STEP`: the site (as completeSiteIDs)
// and then the steps of that site's restore, from its site-state query,
// each described by its status (parked and waiting steps first).
func completeStepIDs(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	switch len(args) {
	case 0:
		return completeSiteIDs(cmd, args, toComplete)
	case 1:
	default:
		return noCompletion()
	}
	ctx, c, _, done, ok := completionClient(cmd)
	if !ok {
		return noCompletion()
	}
	defer done()
	st, err := siteState(ctx, c, args[0])
	if err != nil {
		return noCompletion()
	}
	var first, rest []string
	for _, s := range st.Steps {
		if !strings.HasPrefix(s.StepID, toComplete) {
			continue
		}
		line := s.StepID + "\t" + describe(s.Status, s.Action)
		if s.Status == workflows.StepParked || s.Status == workflows.StepWaiting {
			first = append(first, line)
		} else {
			rest = append(rest, line)
		}
	}
	return append(first, rest...), cobra.ShellCompDirectiveNoFileComp
}

// completeRunbooks completes a runbook argument or flag value with the
// built-in runbooks (restore1, restore2); when none matches, the shell
// completes file names (a runbook may be a YAML file).
func completeRunbooks(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	var out []string
	for _, name := range runbooks.Defaults() {
		if strings.HasPrefix(name, toComplete) {
			out = append(out, name+"\tbuilt-in runbook")
		}
	}
	return out, cobra.ShellCompDirectiveDefault
}

// listSites lists the IDs of site workflows whose site ID starts with
// prefix, of batch only when batch is not empty, each described by its
// batch and status, running ones first, each site once.
func listSites(ctx context.Context, c client.Client, ns, batch, prefix string) ([]string, error) {
	q := fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus != 'ContinuedAsNew'", workflows.RestoreSiteWorkflowName)
	if batch != "" {
		q += fmt.Sprintf(" AND %s = '%s'", workflows.SearchAttrBatchID, strings.ReplaceAll(batch, "'", "\\'"))
	}
	seen := map[string]bool{}
	var running, other []string
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: ns, Query: q, NextPageToken: token, PageSize: 500})
		if err != nil {
			return nil, fmt.Errorf("list sites (%s): %w", q, err)
		}
		for _, e := range resp.GetExecutions() {
			fields := e.GetSearchAttributes().GetIndexedFields()
			site := decodeKeyword(fields[workflows.SearchAttrSiteID])
			if site == "" {
				site = strings.TrimPrefix(e.GetExecution().GetWorkflowId(), "lazarus-site-")
			}
			if seen[site] || !strings.HasPrefix(site, prefix) {
				continue
			}
			seen[site] = true
			status := statusName(e.GetStatus())
			b := decodeKeyword(fields[workflows.SearchAttrBatchID])
			if b != "" {
				b = "batch " + b
			}
			line := site + "\t" + describe(b, status)
			if status == "running" {
				running = append(running, line)
			} else {
				other = append(other, line)
			}
			if len(seen) >= maxCompletions {
				return append(running, other...), nil
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return append(running, other...), nil
		}
	}
}

// describe joins the non-empty parts of a completion's description.
func describe(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ", ")
}
