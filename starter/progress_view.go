package main

// What `batch watch` and `batch status` show of a batch's progress: per
// stage, the steps of its finished sites (the batch's query) plus those
// done in its running sites (their progress memos, when listed), and the
// sites blocked on a human with their reason and age.

import (
	"sort"
	"time"

	"github.com/lazarus-dr/lazarus/workflows"
)

// progressView is a batch's progress at one moment.
type progressView struct {
	P workflows.BatchProgress
	// Live are the steps done in the running sites; nil when they were not
	// listed (batch status, a closed batch, or a list that failed).
	Live *liveSteps
	// Status is the batch workflow's status ("running", "completed", ...).
	Status string
	Now    time.Time
	// Note is a line to show with the progress (why the running sites'
	// steps are not counted).
	Note string
}

// stepCount is a count of steps out of a total: those of finished sites
// and those done in running sites.
type stepCount struct {
	Stage                    string
	Finished, Running, Total int
}

// Done is every step counted.
func (c stepCount) Done() int { return c.Finished + c.Running }

// count adds running to finished, the running steps capped so that the
// sum stays within the total: a site that ended between the batch's query
// and the list is in both until the next list.
func count(stage string, finished, running, total int) stepCount {
	if running > total-finished {
		running = max(total-finished, 0)
	}
	return stepCount{Stage: stage, Finished: finished, Running: running, Total: total}
}

// steps counts all site steps: the finished sites' as the batch counted
// them when the running sites were listed, and the running sites'.
func (v progressView) steps() stepCount {
	if l := v.Live; l != nil {
		return count("", l.Finished, l.StepsDone, v.P.StepsTotal)
	}
	return count("", v.P.StepsDone, 0, v.P.StepsTotal)
}

// stages counts the steps of each stage of the batch's plan, by name, as
// steps does.
func (v progressView) stages() []stepCount {
	out := make([]stepCount, 0, len(v.P.StepsTotalByStage))
	for stage, total := range v.P.StepsTotalByStage {
		c := count(stage, v.P.StepsDoneByStage[stage], 0, total)
		if l := v.Live; l != nil {
			c = count(stage, l.FinishedByStage[stage], l.ByStage[stage], total)
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Stage < out[j].Stage })
	return out
}

// finishedSites counts the sites that ended, whatever their outcome.
func (v progressView) finishedSites() int {
	n := 0
	for k, c := range v.P.SitesByStatus {
		switch k {
		case workflows.SiteRunning, workflows.SiteQueued, workflows.SiteWaiting, workflows.SiteParked:
		default:
			n += c
		}
	}
	return n
}

// blockedSite is a site waiting for a human: parked (an operator's
// decision) or at a gate (a customer's validation).
type blockedSite struct {
	SiteID, StepID, Kind, Reason string
	// Age is how long it has waited (0: unknown, as in batches recorded
	// before the batch kept it).
	Age time.Duration
}

// blocked lists the parked sites and those waiting at a gate, each once,
// oldest first (those of unknown age last).
func (v progressView) blocked() (parked, waiting []blockedSite) {
	seen := map[string]bool{}
	for _, ps := range append(append([]workflows.ParkedSite(nil), v.P.Parked...), v.P.Waiting...) {
		if seen[ps.SiteID] {
			continue
		}
		seen[ps.SiteID] = true
		b := blockedSite{SiteID: ps.SiteID, StepID: ps.StepID, Kind: ps.Kind, Reason: ps.Reason}
		if !ps.Since.IsZero() && v.Now.After(ps.Since) {
			b.Age = v.Now.Sub(ps.Since)
		}
		if b.Kind == workflows.SiteWaiting {
			waiting = append(waiting, b)
		} else {
			b.Kind = workflows.SiteParked
			parked = append(parked, b)
		}
	}
	oldestFirst(parked)
	oldestFirst(waiting)
	return parked, waiting
}

func oldestFirst(s []blockedSite) {
	sort.SliceStable(s, func(i, j int) bool {
		if (s[i].Age == 0) != (s[j].Age == 0) {
			return s[j].Age == 0
		}
		return s[i].Age > s[j].Age
	})
}

// etaText is the batch's ETA, rounded more coarsely the further it is (so
// that it does not flicker by the second), with the clock time it names.
func (v progressView) etaText() string {
	d := v.P.ETA
	switch {
	case d <= 0:
		return ""
	case d < 2*time.Minute:
		d = d.Round(time.Second)
	case d < 20*time.Minute:
		d = d.Round(10 * time.Second)
	default:
		d = d.Round(time.Minute)
	}
	return d.String() + " (about " + v.Now.Add(d).Format("15:04 MST") + ")"
}
