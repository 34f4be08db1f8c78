package main

import (
	"github.com/spf13/cobra"

	"github.com/lazarus-dr/lazarus/workflows"
)

func newSiteCmd() *cobra.Command {
	tf := &temporalFlags{}
	c := &cobra.Command{Use: "site", Short: "A site's restore: status, and operator decisions on parked steps and gates"}
	tf.add(c)
	c.AddCommand(newSiteStatusCmd(tf))
	for _, d := range []struct{ use, short string }{
		{"retry", "Retry a parked step"},
		{"skip", "Skip a parked step (its dependents go on)"},
		{"abort", "Abort the site's restore (running steps are cancelled)"},
	} {
		c.AddCommand(newSiteDecisionCmd(tf, d.use, d.short, workflows.UpdateStepDecision))
	}
	c.AddCommand(newSiteDecisionCmd(tf, "approve", "Approve a gate (customer validation)", workflows.UpdateGateDecision))
	c.AddCommand(newSiteDecisionCmd(tf, "reject", "Reject a gate (customer validation)", workflows.UpdateGateDecision))
	return c
}
