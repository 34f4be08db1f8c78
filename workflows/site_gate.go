package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"
)

type gateKind int

const (
	gateApproved gateKind = iota
	gateRejected
	gatePark
	gateStopped
)

type gateOutcome struct {
	kind gateKind
	msg  string
}

// runGate waits for a human decision on a gate: escalation flags the site as
// needing attention, the deadline applies the gate's OnDeadline.
func (s *siteRun) runGate(ctx workflow.Context, i int) gateOutcome {
	ps := s.in.Plan.Steps[i]
	gate := ps.Gate
	delete(s.gateDecisions, ps.ID)
	opened := workflow.Now(ctx)
	cond := func() bool {
		_, ok := s.gateDecisions[ps.ID]
		return ok || s.stopping != ""
	}
	decided := false
	var err error
	if gate.Escalation > 0 && (gate.Deadline <= 0 || gate.Escalation < gate.Deadline) {
		decided, err = workflow.AwaitWithTimeout(ctx, gate.Escalation, cond)
		if err == nil && !decided {
			s.escalated[ps.ID] = true
			s.changed = true
			s.logger.Warn("gate escalated: site needs attention", "step", ps.ID,
				"open_for", gate.Escalation.String(), "deadline", gate.Deadline.String())
		}
	}
	if err == nil && !decided {
		if gate.Deadline > 0 {
			left := gate.Deadline - workflow.Now(ctx).Sub(opened)
			if left > 0 {
				decided, err = workflow.AwaitWithTimeout(ctx, left, cond)
			}
		} else {
			err = workflow.Await(ctx, cond)
			decided = err == nil
		}
	}
	delete(s.escalated, ps.ID)
	s.changed = true
	d, ok := s.gateDecisions[ps.ID]
	delete(s.gateDecisions, ps.ID)
	switch {
	case err != nil || s.stopping != "":
		return gateOutcome{kind: gateStopped}
	case ok && d.Decision == "approve":
		return gateOutcome{kind: gateApproved, msg: fmt.Sprintf("approved by %s: %s", d.Operator, d.Reason)}
	case ok:
		return gateOutcome{kind: gateRejected, msg: fmt.Sprintf("rejected by %s: %s", d.Operator, d.Reason)}
	}
	// Deadline passed with no decision.
	s.logger.Warn("gate deadline passed", "step", ps.ID, "on_deadline", gate.OnDeadline)
	switch gate.OnDeadline {
	case "approve":
		return gateOutcome{kind: gateApproved, msg: "approved at the deadline (no decision)"}
	case "reject":
		return gateOutcome{kind: gateRejected, msg: "rejected at the deadline (no decision)"}
	}
	return gateOutcome{kind: gatePark, msg: "gate deadline passed with no decision"}
}
