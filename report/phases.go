package report

import (
	"fmt"
	"sort"
	"time"

	"github.com/lazarus-dr/lazarus/workflows"
)

// The batch's phases: what the Markdown's Mermaid gantt draws. Their number
// does not grow with the sites: one bar per stage and runbook (from the
// first site's step of the stage to the last's), never one per site.

// Phase states.
const (
	PhaseDone      = "done"
	PhaseActive    = "active"    // still running when the report was made
	PhaseFailed    = "failed"    // a step of it parked or failed
	PhaseMilestone = "milestone" // an instant: a restored mark, an operator's action
)

// Phase sections, in the order the gantt draws them (the stage sections,
// one per runbook, come after the lead steps).
const (
	SectionBatch     = "Batch"
	SectionLead      = "Lead steps"
	SectionStages    = "Sites by stage"
	SectionRestored  = "Sites restored"
	SectionOperators = "Operators"
)

// Phase is one bar (or milestone) of the batch's timeline.
type Phase struct {
	Section string    `json:"section"`
	Name    string    `json:"name"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	State   string    `json:"state"`
	// Sites is how many sites the phase covers (stage bars).
	Sites int `json:"sites,omitempty"`
	// Operator is who made an operator's action.
	Operator string `json:"operator,omitempty"`
}

// phases computes the batch's phases; now ends what is still running.
func phases(res workflows.BatchResult, lead []workflows.LeadRound, now time.Time) []Phase {
	var out []Phase
	if !res.StartedAt.IsZero() {
		p := Phase{Section: SectionBatch, Name: "batch " + res.BatchID, Start: res.StartedAt, End: res.EndedAt, State: PhaseDone, Sites: len(res.Sites)}
		if p.End.IsZero() {
			p.End, p.State = later(now, p.Start), PhaseActive
		}
		out = append(out, p)
	}
	out = append(out, runbookSpans(res, now)...)
	out = append(out, leadPhases(lead, now)...)
	out = append(out, stagePhases(res, now)...)
	for _, e := range restoredMarks(res.Sites) {
		out = append(out, Phase{Section: SectionRestored, Name: e.What, Start: e.At, End: e.At, State: PhaseMilestone})
	}
	for _, a := range res.Actions {
		out = append(out, Phase{Section: SectionOperators, Name: actionWord(a.Action) + " by " + operatorName(a.Operator),
			Start: a.At, End: a.At, State: PhaseMilestone, Operator: operatorName(a.Operator)})
	}
	return out
}

// runbookSpans is, per runbook, the span from its first site's start to its
// last site's end.
func runbookSpans(res workflows.BatchResult, now time.Time) []Phase {
	spans := map[string]*Phase{}
	for _, s := range res.Sites {
		start, end := stepBounds(s)
		if start.IsZero() {
			// A brief result (no steps): the site's own times.
			start, end = s.StartedAt, later(s.EndedAt, s.StartedAt)
		}
		if start.IsZero() {
			continue
		}
		rb := siteRunbook(s, res.Runbook)
		p, ok := spans[rb]
		if !ok {
			p = &Phase{Section: SectionBatch, Name: "sites on runbook " + rb, Start: start, End: end, State: PhaseDone}
			spans[rb] = p
		}
		p.Sites++
		if start.Before(p.Start) {
			p.Start = start
		}
		if end.After(p.End) {
			p.End = end
		}
		switch s.Outcome {
		case workflows.SiteParked, workflows.SiteFailed, workflows.SiteAborted:
			p.State = PhaseFailed
		case workflows.SiteRunning, workflows.SiteWaiting, workflows.SiteQueued:
			if p.State != PhaseFailed {
				p.State = PhaseActive
			}
		}
	}
	out := make([]Phase, 0, len(spans))
	for _, p := range spans {
		if p.State == PhaseActive {
			p.End = later(now, p.End)
		}
		p.Name = fmt.Sprintf("%s, %s", p.Name, plural(p.Sites, "site"))
		out = append(out, *p)
	}
	sortPhases(out)
	return out
}

// leadPhases are the batch-scoped steps that started, round by round.
func leadPhases(rounds []workflows.LeadRound, now time.Time) []Phase {
	var out []Phase
	for _, r := range rounds {
		for _, st := range r.Steps {
			if st.StartedAt.IsZero() {
				continue
			}
			name := "lead " + st.StepID
			if len(rounds) > 1 {
				name += fmt.Sprintf(" round %d", r.Round)
			}
			p := Phase{Section: SectionLead, Name: name, Start: st.StartedAt, End: st.EndedAt, State: stepPhaseState(st.Status)}
			if p.End.IsZero() {
				p.End = later(now, p.Start)
			}
			out = append(out, p)
		}
	}
	sortPhases(out)
	return out
}

// stageAcc gathers one (runbook, stage) bar.
type stageAcc struct {
	Phase
	runbook string
	stopped int // sites with a parked or failed step of the stage
}

// stagePhases is one bar per runbook and stage: from the first site's step
// of the stage to the last's; sections by runbook when more than one ran.
func stagePhases(res workflows.BatchResult, now time.Time) []Phase {
	acc := map[[2]string]*stageAcc{}
	runbooks := map[string]time.Time{} // runbook -> its first step's start
	for _, s := range res.Sites {
		rb := siteRunbook(s, res.Runbook)
		seen := map[string]bool{}
		stopped := map[string]bool{}
		for _, st := range s.Steps {
			if st.StartedAt.IsZero() {
				continue
			}
			stage := stageOf(st)
			k := [2]string{rb, stage}
			a, ok := acc[k]
			if !ok {
				a = &stageAcc{Phase: Phase{Name: stage, Start: st.StartedAt, End: st.StartedAt, State: PhaseDone}, runbook: rb}
				acc[k] = a
			}
			if first, ok := runbooks[rb]; !ok || st.StartedAt.Before(first) {
				runbooks[rb] = st.StartedAt
			}
			if !seen[stage] {
				seen[stage] = true
				a.Sites++
			}
			end := st.EndedAt
			state := stepPhaseState(st.Status)
			if state == PhaseFailed && !stopped[stage] {
				stopped[stage] = true
				a.stopped++
			}
			if end.IsZero() {
				end = st.StartedAt
				if state == PhaseActive {
					end = later(now, st.StartedAt)
				}
			}
			if st.StartedAt.Before(a.Start) {
				a.Start = st.StartedAt
			}
			if end.After(a.End) {
				a.End = end
			}
			if state == PhaseFailed || (state == PhaseActive && a.State == PhaseDone) {
				a.State = state
			}
		}
	}
	var out []Phase
	secStart := map[string]time.Time{}
	for _, a := range acc {
		p := a.Phase
		p.Section = SectionStages
		if len(runbooks) > 1 {
			p.Section += ", runbook " + a.runbook
		}
		secStart[p.Section] = runbooks[a.runbook]
		p.Name = fmt.Sprintf("stage %s, %s", p.Name, plural(p.Sites, "site"))
		if a.stopped > 0 {
			p.Name += fmt.Sprintf(", %d stopped", a.stopped)
		}
		out = append(out, p)
	}
	// Sections in the order their runbook started, bars by start.
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Section != b.Section {
			if sa, sb := secStart[a.Section], secStart[b.Section]; !sa.Equal(sb) {
				return sa.Before(sb)
			}
			return a.Section < b.Section
		}
		return phaseLess(a, b)
	})
	return out
}

// stepPhaseState maps a step's status to a phase state.
func stepPhaseState(status string) string {
	switch status {
	case workflows.StepDone, workflows.StepSkipped:
		return PhaseDone
	case workflows.StepParked, workflows.StepFailed:
		return PhaseFailed
	default:
		return PhaseActive
	}
}

func sortPhases(ps []Phase) { sort.Slice(ps, func(i, j int) bool { return phaseLess(ps[i], ps[j]) }) }

func phaseLess(a, b Phase) bool {
	if !a.Start.Equal(b.Start) {
		return a.Start.Before(b.Start)
	}
	return a.Name < b.Name
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
