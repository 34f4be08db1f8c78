package report

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lazarus-dr/lazarus/workflows"
)

// Who did what, site by site: the operators' decisions on parked steps and
// gates (retry, skip, abort, approve, reject), which each site keeps in its
// full result (SiteResult.Decisions, from its memo), as timeline events.
// Up to maxDecisionLines decisions get a line each; past that (a watcher
// that approved 883 gates) one line per decision and operator says how
// many, from when to when.
const maxDecisionLines = 20

// decisionWords says what a decision did.
var decisionWords = map[string]string{
	"retry":   "step retried",
	"skip":    "step skipped",
	"abort":   "site aborted",
	"approve": "gate approved",
	"reject":  "gate rejected",
}

func decisionWord(d string) string {
	if w, ok := decisionWords[d]; ok {
		return w
	}
	return "decision " + oneLine(d)
}

// decisionEvents are the sites' decisions as timeline events.
func decisionEvents(sites []workflows.SiteResult) []Event {
	var all []workflows.OperatorAction
	for _, s := range sites {
		all = append(all, s.Decisions...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].At.Before(all[j].At) })
	if len(all) <= maxDecisionLines {
		ev := make([]Event, 0, len(all))
		for _, d := range all {
			what := fmt.Sprintf("%s by %s: %s", decisionWord(d.Action), operatorName(d.Operator), oneLine(d.Detail))
			if r := strings.TrimSpace(d.Reason); r != "" {
				what += fmt.Sprintf(" (reason: %s)", oneLine(r))
			}
			ev = append(ev, Event{At: d.At, What: what, Operator: operatorName(d.Operator), Action: d.Action})
		}
		return ev
	}
	type key struct{ action, operator string }
	type span struct {
		n           int
		first, last time.Time
	}
	spans := map[key]*span{}
	var order []key
	for _, d := range all {
		k := key{d.Action, operatorName(d.Operator)}
		sp, ok := spans[k]
		if !ok {
			sp = &span{first: d.At}
			spans[k] = sp
			order = append(order, k)
		}
		sp.n++
		sp.last = d.At
	}
	ev := make([]Event, 0, len(order))
	for _, k := range order {
		sp := spans[k]
		what := fmt.Sprintf("%s by %s: %d sites", decisionWord(k.action), k.operator, sp.n)
		if sp.n == 1 {
			what = fmt.Sprintf("%s by %s: 1 site", decisionWord(k.action), k.operator)
		}
		if sp.n > 1 {
			what += fmt.Sprintf(", from %s to %s", sp.first.UTC().Format("15:04:05"), sp.last.UTC().Format("15:04:05"))
		}
		ev = append(ev, Event{At: sp.first, What: what, Operator: k.operator, Action: k.action})
	}
	return ev
}
