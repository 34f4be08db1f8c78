package workflows

import (
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
)

// leadRounds are a batch's lead rounds as plain data: each round runs the
// plan's batch-scoped steps (a point-in-time clone, say) once for a set of
// sites (the batch's first sites, then the sites of each add-sites). It
// keeps each step's state per round and the per-site values a step handed
// to sites not started yet. It makes no workflow calls: batch_lead.go runs
// the steps.
type leadRounds struct {
	g      *graph
	rounds []LeadRound
	// table holds each distinct set of per-site values once (many sites
	// share a clone); siteRow maps a queued site to its row.
	table   []map[string]string
	index   map[string]int // table rows by leadKey
	siteRow map[string]int
	// siteRound maps a queued site to its round when not round 0.
	siteRound map[string]int
	// targets are each round's sites, as its batch steps see them (this
	// run's rounds only: a round runs within the run that opened it).
	targets map[int][]contract.SiteTarget
	// running counts rounds still running.
	running int
}

func newLeadRounds(g *graph) *leadRounds {
	return &leadRounds{g: g, index: map[string]int{}, siteRow: map[string]int{},
		siteRound: map[string]int{}, targets: map[int][]contract.SiteTarget{}}
}

// open adds a round for the sites, every batch step pending, and returns it.
func (l *leadRounds) open(sites []Site) int {
	r := LeadRound{Round: len(l.rounds)}
	for _, i := range l.g.batchSteps {
		ps := l.g.plan.Steps[i]
		r.Steps = append(r.Steps, StepState{StepID: ps.ID, Action: ps.Action, Service: ps.Service, Stage: ps.Stage, Status: StepPending})
	}
	l.rounds = append(l.rounds, r)
	targets := make([]contract.SiteTarget, len(sites))
	for i, s := range sites {
		targets[i] = contract.SiteTarget{SiteID: s.SiteID, DeletedAt: s.DeletedAt, RestorePoint: s.RestorePoint}
		if r.Round != 0 { // absent means round 0 (keeps the carry small)
			l.siteRound[s.SiteID] = r.Round
		}
	}
	l.targets[r.Round] = targets
	return r.Round
}

// roundOf is a queued site's round.
func (l *leadRounds) roundOf(siteID string) int { return l.siteRound[siteID] }

// ready says whether batch step i may start in a round: every batch step it
// needs is done or skipped.
func (l *leadRounds) ready(round, i int) bool {
	for _, need := range l.g.plan.Steps[i].Needs {
		for k, j := range l.g.batchSteps {
			if l.g.plan.Steps[j].ID == need {
				if st := l.rounds[round].Steps[k].Status; st != StepDone && st != StepSkipped {
					return false
				}
			}
		}
	}
	return true
}

// hasWork says whether a site of the round has a step it could run now: a
// site step none of whose needs is a batch step still pending or running in
// that round (site steps it needs come later anyway).
func (l *leadRounds) hasWork(round int) bool {
	if round >= len(l.rounds) || len(l.g.batchSteps) == 0 {
		return true
	}
	open := map[string]bool{}
	for _, st := range l.rounds[round].Steps {
		if st.Status == StepPending || st.Status == StepRunning {
			open[st.StepID] = true
		}
	}
	if len(open) == 0 {
		return true
	}
	for _, i := range l.g.siteSteps {
		root, blocked := true, false
		for _, need := range l.g.plan.Steps[i].Needs {
			if l.g.plan.Steps[l.g.index[need]].Scope != runbooks.ScopeBatch {
				root = false
				break
			}
			if open[need] {
				blocked = true
			}
		}
		if root && !blocked {
			return true
		}
	}
	return false
}

// leadStatus is how a site sees the state of a batch step.
func leadStatus(stepStatus string) string {
	switch stepStatus {
	case StepDone:
		return LeadDone
	case StepSkipped:
		return LeadSkipped
	case StepFailed:
		return LeadFailed
	}
	return LeadPending
}

// pending lists the round's batch steps that are not done, for a site's input.
func (l *leadRounds) pending(round int) []LeadStatus {
	if round >= len(l.rounds) {
		return nil
	}
	var out []LeadStatus
	for _, st := range l.rounds[round].Steps {
		ls := LeadStatus{StepID: st.StepID, Status: leadStatus(st.Status)}
		switch ls.Status {
		case LeadDone:
			continue
		case LeadFailed:
			ls.Error = st.Error
		}
		out = append(out, ls)
	}
	return out
}

// take hands a queued site its per-site values and round, and forgets them.
func (l *leadRounds) take(siteID string) (map[string]string, int) {
	var vars map[string]string
	if row, ok := l.siteRow[siteID]; ok {
		vars = l.table[row]
	}
	round := l.siteRound[siteID]
	delete(l.siteRow, siteID)
	delete(l.siteRound, siteID)
	return vars, round
}

// keep adds a step's per-site values to what a queued site will start with.
func (l *leadRounds) keep(siteID string, vals map[string]string) {
	merged := map[string]string{}
	if row, ok := l.siteRow[siteID]; ok {
		for _, key := range workflow.DeterministicKeys(l.table[row]) {
			merged[key] = l.table[row][key]
		}
	}
	for _, key := range workflow.DeterministicKeys(vals) {
		merged[key] = vals[key]
	}
	l.siteRow[siteID] = l.intern(merged)
}

// requeue gives a site back the values and round it was started with.
func (l *leadRounds) requeue(siteID string, vars map[string]string, round int) {
	if len(vars) > 0 {
		l.siteRow[siteID] = l.intern(vars)
	}
	if round != 0 {
		l.siteRound[siteID] = round
	}
}

// forget drops every queued site's values (the batch was cancelled).
func (l *leadRounds) forget() {
	l.siteRow, l.siteRound = map[string]int{}, map[string]int{}
}

// values are the output values of a round's done batch steps, for the
// steps that follow them.
func (l *leadRounds) values(round int) map[string]string {
	vars := map[string]string{}
	for _, prev := range l.rounds[round].Steps {
		if prev.Status == StepDone {
			for _, key := range workflow.DeterministicKeys(prev.Values) {
				vars[key] = prev.Values[key]
			}
		}
	}
	return vars
}

func (l *leadRounds) intern(m map[string]string) int {
	key := leadKey(m)
	if i, ok := l.index[key]; ok {
		return i
	}
	l.table = append(l.table, m)
	l.index[key] = len(l.table) - 1
	return len(l.table) - 1
}

func leadKey(m map[string]string) string {
	var sb strings.Builder
	for _, k := range workflow.DeterministicKeys(m) {
		sb.WriteString(k)
		sb.WriteByte(0)
		sb.WriteString(m[k])
		sb.WriteByte(0)
	}
	return sb.String()
}
