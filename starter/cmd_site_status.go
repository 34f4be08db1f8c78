package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/lazarus-dr/lazarus/internal/printer"
	"github.com/lazarus-dr/lazarus/workflows"
)

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
		Use:               "status SITE",
		Short:             "Show a site's steps: status, attempts, times, errors",
		Example:           "  lazarus site status 5f0c...e1\n  lazarus site status 5f0c...e1 --json",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeSiteIDs,
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
