package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/lazarus-dr/lazarus/workflows"
)

func newSiteDecisionCmd(tf *temporalFlags, decision, short, update string) *cobra.Command {
	var operator, reason string
	gate := update == workflows.UpdateGateDecision
	use := decision + " SITE STEP"
	example := fmt.Sprintf("  lazarus site %s 5f0c...e1 restore-db-jira-software --operator alice --reason \"shard back\"", decision)
	if gate {
		use = decision + " SITE [STEP]"
		example = fmt.Sprintf("  lazarus site %s 5f0c...e1 --operator bob --reason \"customer confirmed on the call\"", decision)
	}
	if decision == "abort" {
		use = "abort SITE [STEP]"
		example = "  lazarus site abort 5f0c...e1 --operator alice --reason \"customer asked to stop\""
	}
	c := &cobra.Command{
		Use:               use,
		Short:             short,
		Example:           example,
		Args:              cobra.RangeArgs(1, 2),
		ValidArgsFunction: completeStepIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(operator) == "" {
				return withExitCode(2, errors.New("--operator NAME is required: every decision is recorded with who made it"))
			}
			ctx := cmd.Context()
			c, ns, err := tf.dial(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			site := args[0]
			step := ""
			if len(args) == 2 {
				step = args[1]
			}
			if step == "" {
				// The one step waiting for this kind of decision.
				st, err := siteState(ctx, c, site)
				if err != nil {
					return err
				}
				want := workflows.StepParked
				if gate {
					want = workflows.StepWaiting
				}
				var cands []string
				for _, s := range st.Steps {
					if s.Status == want {
						cands = append(cands, s.StepID)
					}
				}
				switch {
				case len(cands) == 1:
					step = cands[0]
				case decision == "abort":
					// Abort needs no step.
				case len(cands) == 0:
					return withExitCode(1, fmt.Errorf("site %s has no %s step: nothing to %s", site, want, decision))
				default:
					return withExitCode(2, fmt.Errorf("site %s has %d %s steps (%s): name the STEP", site, len(cands), want, strings.Join(cands, ", ")))
				}
			}
			var arg any
			if gate {
				arg = workflows.GateDecision{StepID: step, Decision: decision, Operator: operator, Reason: reason}
			} else {
				arg = workflows.StepDecision{StepID: step, Decision: decision, Operator: operator, Reason: reason}
			}
			if err := updateSite(ctx, c, site, update, arg); err != nil {
				return withExitCode(1, err)
			}
			return printAccepted(cmd, "site "+site, decision+" "+orDefault(step, "-"), operator, tf.workflowURL(ns, workflows.SiteWorkflowID(site)))
		},
	}
	c.Flags().StringVar(&operator, "operator", os.Getenv("LAZARUS_OPERATOR"), "who decides (required; recorded in the workflow history) ($LAZARUS_OPERATOR)")
	c.Flags().StringVar(&reason, "reason", "", "why")
	return c
}

// updateSite sends an operator's decision to a site's workflow.
func updateSite(ctx context.Context, c client.Client, site, update string, arg any) error {
	return updateWorkflow(ctx, c, workflows.SiteWorkflowID(site), update, arg)
}
