package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazarus-dr/lazarus/runbooks"
)

func newRunbookCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "runbook",
		Short: "Validate, plan and draw runbooks (FILE, or a default: restore1, restore2)",
	}
	cmd.AddCommand(newRunbookValidateCmd(), newRunbookPlanCmd(), newRunbookGraphCmd(), newRunbookActionsCmd())
	return cmd
}

func newRunbookValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check runbooks; print one FILE:LINE:COL: message line per problem",
		Example: `  lazarus runbook validate runbooks/*.yaml
  lazarus runbook validate restore2 my-runbook.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			bad, total := 0, 0
			for _, arg := range args {
				file, src, err := runbooks.Source(arg)
				if err != nil {
					fmt.Fprintf(out, "%s: %v\n", arg, err)
					bad++
					total++
					continue
				}
				plan, err := runbooks.Compile(file, src)
				if err != nil {
					bad++
					ps := runbooks.Problems(err)
					if len(ps) == 0 {
						fmt.Fprintf(out, "%s: %v\n", file, err)
						total++
					}
					for _, p := range ps {
						fmt.Fprintln(out, p.Error())
					}
					total += len(ps)
					continue
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: ok (%s, %d steps)\n", file, plan.Runbook, len(plan.Steps))
			}
			if bad > 0 {
				return withExitCode(1, fmt.Errorf("%d problem(s) in %d of %d runbook(s)", total, bad, len(args)))
			}
			return nil
		},
	}
}

func loadPlan(arg string) (*runbooks.Plan, error) {
	plan, err := runbooks.Load(arg)
	if err != nil {
		if ps := runbooks.Problems(err); len(ps) > 0 {
			lines := make([]string, len(ps))
			for i, p := range ps {
				lines[i] = p.Error()
			}
			return nil, withExitCode(1, fmt.Errorf("runbook %s is not valid:\n%s", arg, strings.Join(lines, "\n")))
		}
		return nil, withExitCode(1, err)
	}
	return plan, nil
}

// planJSON is the --json shape of `runbook plan`.
type planJSON struct {
	Runbook          string         `json:"runbook"`
	Description      string         `json:"description,omitempty"`
	Digest           string         `json:"digest"`
	StepCount        int            `json:"step_count"`
	Steps            []stepJSON     `json:"steps"`
	CriticalPath     []string       `json:"critical_path"`
	EstimatedSeconds float64        `json:"estimated_seconds"`
	Width            int            `json:"width"`
	StepsPerService  map[string]int `json:"steps_per_service"`
}

type stepJSON struct {
	ID               string            `json:"id"`
	Action           string            `json:"action"`
	Scope            string            `json:"scope"`
	Service          string            `json:"service"`
	Stage            string            `json:"stage,omitempty"`
	Needs            []string          `json:"needs,omitempty"`
	Params           map[string]string `json:"params,omitempty"`
	EstimateSeconds  float64           `json:"estimate_seconds"`
	TimeoutSeconds   float64           `json:"timeout_seconds"`
	StartSeconds     float64           `json:"start_seconds"`
	FinishSeconds    float64           `json:"finish_seconds"`
	OnFailure        string            `json:"on_failure"`
	MaxAttempts      int32             `json:"max_attempts,omitempty"`
	Cleanup          string            `json:"cleanup,omitempty"`
	GateDeadlineSecs float64           `json:"gate_deadline_seconds,omitempty"`
	Critical         bool              `json:"critical,omitempty"`
}

func newRunbookPlanCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "plan FILE",
		Short: "Compile a runbook and show its steps, critical path, width and steps per service",
		Example: `  lazarus runbook plan restore2
  lazarus runbook plan runbooks/restore1.yaml --json | jq .estimated_seconds`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			plan, err := loadPlan(args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writePlanJSON(cmd.OutOrStdout(), plan)
			}
			return writePlanText(cmd.OutOrStdout(), plan)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as one JSON object")
	return cmd
}

func writePlanJSON(w io.Writer, plan *runbooks.Plan) error {
	sched := plan.Schedule()
	crit := map[string]bool{}
	for _, id := range plan.CriticalPath {
		crit[id] = true
	}
	out := planJSON{
		Runbook: plan.Runbook, Description: plan.Description, Digest: plan.Digest,
		StepCount: len(plan.Steps), Steps: make([]stepJSON, 0, len(plan.Steps)),
		CriticalPath: plan.CriticalPath, EstimatedSeconds: plan.EstimatedDuration.Seconds(),
		Width: plan.Width, StepsPerService: plan.StepsPerService,
	}
	for _, s := range plan.Steps {
		sj := stepJSON{
			ID: s.ID, Action: s.Action, Scope: string(s.Scope), Service: s.Service, Stage: s.Stage,
			Needs: s.Needs, Params: s.Params, EstimateSeconds: s.Estimate.Seconds(),
			TimeoutSeconds: s.Timeout.Seconds(), StartSeconds: sched.Start[s.ID].Seconds(),
			FinishSeconds: sched.Finish[s.ID].Seconds(), OnFailure: string(s.OnFailure),
			MaxAttempts: s.Retry.MaximumAttempts, Cleanup: s.Cleanup, Critical: crit[s.ID],
		}
		if s.Gate != nil {
			sj.GateDeadlineSecs = s.Gate.Deadline.Seconds()
		}
		out.Steps = append(out.Steps, sj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writePlanText(w io.Writer, plan *runbooks.Plan) error {
	sched := plan.Schedule()
	crit := map[string]bool{}
	for _, id := range plan.CriticalPath {
		crit[id] = true
	}
	fmt.Fprintf(w, "runbook %s: %d steps, width %d, estimated %s (sha256 %s)\n",
		plan.Runbook, len(plan.Steps), plan.Width, fmtDur(plan.EstimatedDuration), shortDigest(plan.Digest))
	if plan.Description != "" {
		fmt.Fprintf(w, "%s\n", plan.Description)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tSTEP\tACTION\tSCOPE\tSERVICE\tSTAGE\tESTIMATE\tSTART\tNEEDS")
	for i, s := range plan.Steps {
		mark := ""
		if crit[s.ID] {
			mark = "*"
		}
		needs := strings.Join(s.Needs, ",")
		if len(s.Needs) > 3 {
			needs = strings.Join(s.Needs[:3], ",") + fmt.Sprintf(",… (+%d)", len(s.Needs)-3)
		}
		if needs == "" {
			needs = "-"
		}
		fmt.Fprintf(tw, "%d\t%s%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, s.ID, mark, s.Action, s.Scope,
			s.Service, s.Stage, fmtDur(s.Estimate), fmtDur(sched.Start[s.ID]), needs)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\ncritical path (*), estimated %s (%.0f s):\n", fmtDur(plan.EstimatedDuration), plan.EstimatedDuration.Seconds())
	for i, id := range plan.CriticalPath {
		s, _ := plan.Step(id)
		fmt.Fprintf(w, "  %2d. %-34s %8s  ends at %s\n", i+1, id, fmtDur(s.Estimate), fmtDur(sched.Finish[id]))
	}
	fmt.Fprintf(w, "\nwidth: %d steps at once at most (ASAP schedule by estimates)\n", plan.Width)
	services := make([]string, 0, len(plan.StepsPerService))
	for s := range plan.StepsPerService {
		services = append(services, s)
	}
	sort.Strings(services)
	parts := make([]string, len(services))
	for i, s := range services {
		parts[i] = fmt.Sprintf("%s %d", s, plan.StepsPerService[s])
	}
	fmt.Fprintf(w, "steps per service: %s\n", strings.Join(parts, ", "))
	return nil
}

func fmtDur(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func shortDigest(d string) string {
	if len(d) > 12 {
		return d[:12]
	}
	return d
}

func newRunbookGraphCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "graph FILE",
		Short: "Draw a runbook's compiled plan as Mermaid or Graphviz DOT",
		Example: `  lazarus runbook graph restore2 --format mermaid > restore2.mmd
  lazarus runbook graph runbooks/restore1.yaml --format dot | dot -Tsvg > restore1.svg`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "mermaid" && format != "dot" {
				return withExitCode(2, fmt.Errorf("--format %q: want mermaid or dot", format))
			}
			plan, err := loadPlan(args[0])
			if err != nil {
				return err
			}
			if format == "dot" {
				_, err = io.WriteString(cmd.OutOrStdout(), plan.DOT())
			} else {
				_, err = io.WriteString(cmd.OutOrStdout(), plan.Mermaid())
			}
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "mermaid", "mermaid or dot")
	return cmd
}

func newRunbookActionsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "actions",
		Short: "List the closed registry of runbook actions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "ACTION\tSCOPE\tSERVICE\tPARAMS\tSUMMARY")
			for _, a := range runbooks.Actions() {
				var ps []string
				for _, p := range a.Required {
					ps = append(ps, p)
				}
				for _, p := range a.Optional {
					ps = append(ps, "["+p+"]")
				}
				extra := ""
				if a.Cleanup != "" {
					extra = " (cleanup: " + a.Cleanup + ")"
				}
				param := strings.Join(ps, " ")
				if param == "" {
					param = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s%s\n", a.Name, a.Scope, a.Service, param, a.Summary, extra)
			}
			return tw.Flush()
		},
	}
}
