package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/lazarus-dr/lazarus/internal/printer"
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

// siteStepRow is a line of `site status`.
type siteStepRow struct {
	Step    string
	Action  string
	Status  string
	Try     int
	Took    string
	Message string `text:"MESSAGE / ERROR"`
}

func newSiteStatusCmd(tf *temporalFlags) *cobra.Command {
	var of *outputFlags
	c := &cobra.Command{
		Use:     "status SITE",
		Short:   "Show a site's steps: status, attempts, times, errors",
		Example: "  lazarus site status 5f0c...e1\n  lazarus site status 5f0c...e1 --json",
		Args:    cobra.ExactArgs(1),
		RunE: tf.withClient(func(cmd *cobra.Command, args []string, c client.Client, ns string) error {
			p, err := of.printer(cmd)
			if err != nil {
				return err
			}
			st, err := siteState(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			v := struct {
				workflows.SiteState
				WebUI string `json:"web_ui"`
			}{st, tf.workflowURL(ns, workflows.SiteWorkflowID(args[0]))}
			return p.Print(v, func(io.Writer) error { return writeSiteText(p, st, v.WebUI) })
		}),
	}
	of = addOutputFlags(c, "print JSON (-o json)")
	return c
}

func writeSiteText(p *printer.Printer, st workflows.SiteState, webUI string) error {
	attention := ""
	if st.NeedsAttention {
		attention = "  NEEDS ATTENTION"
	}
	p.Printf("site %s  batch %s  runbook %s  %s  stage %s  restore point %s%s\n", st.SiteID, st.BatchID, st.Runbook, st.Status, st.Stage,
		st.RestorePoint.UTC().Format(time.RFC3339), attention)
	rows := make([]siteStepRow, len(st.Steps))
	for i, s := range st.Steps {
		took := "-"
		if !s.StartedAt.IsZero() && !s.EndedAt.IsZero() {
			took = s.EndedAt.Sub(s.StartedAt).Round(time.Millisecond).String()
		}
		msg := s.Message
		if s.Error != "" {
			msg = "ERROR " + s.Error
		}
		rows[i] = siteStepRow{Step: s.StepID, Action: s.Action, Status: s.Status, Try: int(s.Attempts), Took: took, Message: oneLineStr(msg, 120)}
	}
	if err := p.Table(rows, printer.TableOptions{Indent: "  "}); err != nil {
		return err
	}
	p.Printf("Web UI: %s\n", webUI)
	return p.Err()
}

func siteState(ctx context.Context, c client.Client, site string) (workflows.SiteState, error) {
	var st workflows.SiteState
	wid := workflows.SiteWorkflowID(site)
	v, err := c.QueryWorkflow(ctx, wid, "", workflows.QuerySiteState)
	if err != nil {
		return st, fmt.Errorf("query %s of site %s (workflow %s): %w", workflows.QuerySiteState, site, wid, err)
	}
	if err := v.Get(&st); err != nil {
		return st, fmt.Errorf("decode state of site %s: %w", site, err)
	}
	return st, nil
}

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
		Use:     use,
		Short:   short,
		Example: example,
		Args:    cobra.RangeArgs(1, 2),
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
