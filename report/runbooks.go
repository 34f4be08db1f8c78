package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lazarus-dr/lazarus/workflows"
)

// Which runbook each site ran: a batch switched mid-incident
// (switch-runbook) runs more than one.

// RunbookCount is how many of the batch's sites ran one runbook.
type RunbookCount struct {
	Runbook  string `json:"runbook"`
	Sites    int    `json:"sites"`
	Restored int    `json:"restored"`
}

// siteRunbook is the runbook a site ran: its own, else the batch's (a
// result recorded before sites kept theirs).
func siteRunbook(s workflows.SiteResult, batch string) string {
	if s.Runbook != "" {
		return s.Runbook
	}
	return batch
}

// runbookCounts counts the sites per runbook, by runbook name.
func runbookCounts(sites []SiteLine) []RunbookCount {
	idx := map[string]int{}
	var out []RunbookCount
	for _, l := range sites {
		i, ok := idx[l.Runbook]
		if !ok {
			i = len(out)
			idx[l.Runbook] = i
			out = append(out, RunbookCount{Runbook: l.Runbook})
		}
		out[i].Sites++
		if l.Outcome == workflows.SiteRestored {
			out[i].Restored++
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Runbook < out[j].Runbook })
	return out
}

// MultipleRunbooks says whether the sites ran more than one runbook: then
// the report shows the count per runbook and the runbook of each site.
func (r Report) MultipleRunbooks() bool { return len(r.Runbooks) > 1 }

// runbooksPhrase names the runbooks the sites ran: "runbook restore2", or
// "runbooks restore1 (7 sites) and restore2 (7 sites)".
func runbooksPhrase(r Report) string {
	if !r.MultipleRunbooks() {
		return "runbook " + r.Runbook
	}
	parts := make([]string, len(r.Runbooks))
	for i, c := range r.Runbooks {
		parts[i] = fmt.Sprintf("%s (%d sites)", c.Runbook, c.Sites)
	}
	return "runbooks " + strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// runbookSwitches are the timeline's switch-runbook actions: when, who, what.
func runbookSwitches(r Report) []Event {
	var out []Event
	for _, e := range r.Timeline {
		if e.Action == workflows.ActionSwitchRunbook {
			out = append(out, e)
		}
	}
	return out
}
