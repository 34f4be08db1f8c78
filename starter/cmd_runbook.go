package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazarus-dr/lazarus/internal/printer"
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

// validation is one runbook's outcome in `runbook validate -o json`.
type validation struct {
	Arg      string             `json:"arg"`
	File     string             `json:"file"`
	OK       bool               `json:"ok"`
	Runbook  string             `json:"runbook,omitempty"`
	Steps    int                `json:"steps,omitempty"`
	Problems []runbooks.Problem `json:"problems"`
}

func newRunbookValidateCmd() *cobra.Command {
	var of *outputFlags
	c := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check runbooks; print one FILE:LINE:COL: message line per problem (-o json: one object a runbook)",
		Example: `  lazarus runbook validate runbooks/*.yaml
  lazarus runbook validate restore2 my-runbook.yaml
  lazarus runbook validate my-runbook.yaml -o json | jq '.[].problems[]'`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeRunbooks,
		RunE: func(cmd *cobra.Command, args []string) error {
			pr, err := of.printer(cmd)
			if err != nil {
				return err
			}
			vs := make([]validation, len(args))
			bad, total := 0, 0
			for i, arg := range args {
				vs[i] = validateRunbook(arg)
				if !vs[i].OK {
					bad++
					total += len(vs[i].Problems)
				}
			}
			err = pr.Print(vs, func(io.Writer) error {
				for _, v := range vs {
					for _, p := range v.Problems {
						if p.Line == 0 { // no position: the file could not be read, or the error has none
							pr.Printf("%s: %s\n", p.File, p.Message)
						} else {
							pr.Printf("%s\n", p.Error())
						}
					}
					if v.OK {
						fmt.Fprintf(cmd.ErrOrStderr(), "%s: ok (%s, %d steps)\n", v.File, v.Runbook, v.Steps)
					}
				}
				return pr.Err()
			})
			if err != nil {
				return err
			}
			if bad > 0 {
				return withExitCode(1, fmt.Errorf("%d problem(s) in %d of %d runbook(s)", total, bad, len(args)))
			}
			return nil
		},
	}
	of = addOutputFlags(c, "")
	return c
}

// validateRunbook loads and compiles arg (a built-in name or a file) and
// lists its problems; one that cannot be read or has no position is a
// problem at line 0.
func validateRunbook(arg string) validation {
	v := validation{Arg: arg, File: arg, Problems: []runbooks.Problem{}}
	file, src, err := runbooks.Source(arg)
	if err != nil {
		v.Problems = append(v.Problems, runbooks.Problem{File: arg, Message: err.Error()})
		return v
	}
	v.File = file
	plan, err := runbooks.Compile(file, src)
	if err != nil {
		if v.Problems = append(v.Problems, runbooks.Problems(err)...); len(v.Problems) == 0 {
			v.Problems = append(v.Problems, runbooks.Problem{File: file, Message: err.Error()})
		}
		return v
	}
	v.OK, v.Runbook, v.Steps = true, plan.Runbook, len(plan.Steps)
	return v
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
	HeartbeatSeconds float64           `json:"heartbeat_seconds,omitempty"`
	RetryBudgetSecs  float64           `json:"retry_budget_seconds,omitempty"`
	Cleanup          string            `json:"cleanup,omitempty"`
	OnlyIfProduct    string            `json:"only_if_product,omitempty"`
	GateDeadlineSecs float64           `json:"gate_deadline_seconds,omitempty"`
	Critical         bool              `json:"critical,omitempty"`
}

func newRunbookPlanCmd() *cobra.Command {
	var of *outputFlags
	cmd := &cobra.Command{
		Use:   "plan FILE",
		Short: "Compile a runbook and show its steps, critical path, width and steps per service",
		Example: `  lazarus runbook plan restore2
  lazarus runbook plan runbooks/restore1.yaml --json | jq .estimated_seconds`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeRunbooks,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := of.printer(cmd)
			if err != nil {
				return err
			}
			plan, err := loadPlan(args[0])
			if err != nil {
				return err
			}
			return p.Print(newPlanJSON(plan), func(io.Writer) error { return writePlanText(p, plan) })
		},
	}
	of = addOutputFlags(cmd, "print the plan as one JSON object (-o json)")
	return cmd
}

func newPlanJSON(plan *runbooks.Plan) planJSON {
	sched := plan.Schedule()
	crit := criticalSet(plan)
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
			MaxAttempts: s.Retry.MaximumAttempts, Cleanup: s.Cleanup, OnlyIfProduct: s.OnlyIfProduct, Critical: crit[s.ID],
			HeartbeatSeconds: s.Heartbeat.Seconds(), RetryBudgetSecs: s.RetryBudget.Seconds(),
		}
		if s.Gate != nil {
			sj.GateDeadlineSecs = s.Gate.Deadline.Seconds()
		}
		out.Steps = append(out.Steps, sj)
	}
	return out
}

// criticalSet is the set of the plan's steps on its critical path.
func criticalSet(plan *runbooks.Plan) map[string]bool {
	crit := map[string]bool{}
	for _, id := range plan.CriticalPath {
		crit[id] = true
	}
	return crit
}

// planStepRow is a line of the plan's step table.
type planStepRow struct {
	N        int `text:"#"`
	Step     string
	Action   string
	Scope    string
	Service  string
	Stage    string
	Estimate string
	Start    string
	Needs    string
	// OnlyIf is the product without which the step is skipped.
	OnlyIf string `text:"ONLY IF"`
}

// criticalRow is a line of the plan's critical path.
type criticalRow struct {
	N        string `text:",right"`
	Step     string
	Estimate string `text:",right"`
	Ends     string
}

func writePlanText(p *printer.Printer, plan *runbooks.Plan) error {
	sched := plan.Schedule()
	crit := criticalSet(plan)
	p.Printf("runbook %s: %d steps, width %d, estimated %s (sha256 %s)\n",
		plan.Runbook, len(plan.Steps), plan.Width, fmtDur(plan.EstimatedDuration), shortDigest(plan.Digest))
	if plan.Description != "" {
		p.Printf("%s\n", plan.Description)
	}
	p.Printf("\n")
	rows := make([]planStepRow, len(plan.Steps))
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
		rows[i] = planStepRow{N: i + 1, Step: s.ID + mark, Action: s.Action, Scope: string(s.Scope), Service: s.Service,
			Stage: s.Stage, Estimate: fmtDur(s.Estimate), Start: fmtDur(sched.Start[s.ID]), Needs: needs, OnlyIf: orDefault(s.OnlyIfProduct, "-")}
	}
	if err := p.Table(rows, printer.TableOptions{}); err != nil {
		return err
	}
	p.Printf("\ncritical path (*), estimated %s (%.0f s):\n", fmtDur(plan.EstimatedDuration), plan.EstimatedDuration.Seconds())
	path := make([]criticalRow, len(plan.CriticalPath))
	for i, id := range plan.CriticalPath {
		s, _ := plan.Step(id)
		path[i] = criticalRow{N: fmt.Sprintf("%d.", i+1), Step: id, Estimate: fmtDur(s.Estimate), Ends: "ends at " + fmtDur(sched.Finish[id])}
	}
	if err := p.Table(path, printer.TableOptions{Indent: "  ", NoHeader: true}); err != nil {
		return err
	}
	p.Printf("\nwidth: %d steps at once at most (ASAP schedule by estimates)\n", plan.Width)
	p.Printf("steps per service: %s\n", strings.Join(countList(plan.StepsPerService, " "), ", "))
	return p.Err()
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
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeRunbooks,
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

// actionRow is a line of the action table.
type actionRow struct {
	Action  string
	Scope   string
	Service string
	Params  string
	Summary string
}

func newRunbookActionsCmd() *cobra.Command {
	var of *outputFlags
	cmd := &cobra.Command{
		Use:   "actions",
		Short: "List the closed registry of runbook actions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := of.printer(cmd)
			if err != nil {
				return err
			}
			actions := runbooks.Actions()
			rows := make([]actionRow, 0, len(actions))
			for _, a := range actions {
				var ps []string
				for _, p := range a.Required {
					ps = append(ps, p)
				}
				for _, p := range a.Optional {
					ps = append(ps, "["+p+"]")
				}
				if a.AnyParams {
					ps = append(ps, "[...]") // any other param, passed through
				}
				extra := ""
				if a.Cleanup != "" {
					extra = " (cleanup: " + a.Cleanup + ")"
				}
				param := strings.Join(ps, " ")
				if param == "" {
					param = "-"
				}
				rows = append(rows, actionRow{Action: a.Name, Scope: string(a.Scope), Service: a.Service, Params: param, Summary: a.Summary + extra})
			}
			return p.Print(actions, func(io.Writer) error { return p.Table(rows, printer.TableOptions{}) })
		},
	}
	of = addOutputFlags(cmd, "")
	return cmd
}
