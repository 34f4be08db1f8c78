package report

import (
	"fmt"
	"strings"

	"github.com/lazarus-dr/lazarus/workflows"
)

// Who did what: the operators' steering actions (pause, resume, cancel,
// set-concurrency, add-sites, switch-runbook) as timeline events.

// actionWords says what an action did, for a reader who does not know the
// command's name.
var actionWords = map[string]string{
	workflows.ActionPause:          "batch paused",
	workflows.ActionResume:         "batch resumed",
	workflows.ActionCancel:         "batch cancelled",
	workflows.ActionSetConcurrency: "concurrency changed",
	workflows.ActionAddSites:       "sites added",
	workflows.ActionSwitchRunbook:  "runbook switched",
}

// actionEvents turns the batch's operator actions into timeline events, in
// their order (the batch records them oldest first).
func actionEvents(actions []workflows.OperatorAction) []Event {
	ev := make([]Event, 0, len(actions))
	for _, a := range actions {
		ev = append(ev, Event{At: a.At, What: actionText(a), Operator: operatorName(a.Operator), Action: a.Action})
	}
	return ev
}

// actionText is one action as a timeline line: what, by whom, the detail
// and the reason, e.g. "runbook switched by alice: restore1 -> restore2
// for 120 queued sites (reason: restore2 validated)".
func actionText(a workflows.OperatorAction) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s by %s", actionWord(a.Action), operatorName(a.Operator))
	if d := strings.TrimSpace(a.Detail); d != "" {
		fmt.Fprintf(&b, ": %s", oneLine(d))
	}
	if r := strings.TrimSpace(a.Reason); r != "" {
		fmt.Fprintf(&b, " (reason: %s)", oneLine(r))
	}
	return b.String()
}

func actionWord(action string) string {
	if w, ok := actionWords[action]; ok {
		return w
	}
	if action == "" {
		return "operator action"
	}
	return action
}

func operatorName(op string) string {
	if op = strings.TrimSpace(op); op != "" {
		return oneLine(op)
	}
	return "an unnamed operator"
}
