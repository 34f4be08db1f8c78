package main

// The progress as plain lines, for an output that is not a terminal (a log
// file, a pipe, CI): no bars and no cursor movements, one line per
// refresh that is due, and one line per site when it becomes blocked on a
// human.

import (
	"fmt"
	"strings"
	"time"

	"github.com/lazarus-dr/lazarus/workflows"
)

// plainEvery is how often `batch watch` prints a progress line when its
// output is not a terminal (and whenever the batch's status changes).
const plainEvery = 10 * time.Second

// plainLine is the progress in one line: time, sites, steps, each stage
// (with the steps done in running sites, when any), the ETA.
func (v progressView) plainLine() string {
	p := v.P
	state := p.Status
	if p.Paused {
		state += " (paused)"
	}
	steps := v.steps()
	parts := []string{
		fmt.Sprintf("%s batch %s %s: sites %s (finished %d of %d)", v.Now.UTC().Format(time.RFC3339), p.BatchID, state,
			strings.Join(countList(p.SitesByStatus, " "), ", "), v.finishedSites(), p.SitesTotal),
		fmt.Sprintf("steps %.1f%% %d/%d", pctOf(steps.Done(), steps.Total), steps.Done(), steps.Total),
	}
	var stages []string
	for _, c := range v.stages() {
		st := fmt.Sprintf("%s %.1f%%", c.Stage, pctOf(c.Done(), c.Total))
		if c.Running > 0 {
			// Where the running sites are: their steps done in this stage.
			st += fmt.Sprintf(" (%d in running sites)", c.Running)
		}
		stages = append(stages, st)
	}
	if len(stages) > 0 {
		parts = append(parts, "stages "+strings.Join(stages, ", "))
	}
	if v.Live != nil {
		parts = append(parts, fmt.Sprintf("%d running sites listed", v.Live.Sites))
	}
	if eta := v.etaText(); eta != "" {
		parts = append(parts, "ETA "+eta)
	}
	if v.Note != "" {
		parts = append(parts, v.Note)
	}
	return strings.Join(parts, "; ")
}

// plainLog prints the progress as plain lines: a line when due, and a line
// for each site that became blocked since the last call.
type plainLog struct {
	at     time.Time
	status string
	seen   map[string]bool // site/step/kind of the blocked sites told
}

// lines are the lines to print now (none when nothing is due).
func (l *plainLog) lines(v progressView) []string {
	var out []string
	if l.at.IsZero() || v.Now.Sub(l.at) >= plainEvery || v.Status != l.status {
		out = append(out, v.plainLine())
		l.at, l.status = v.Now, v.Status
	}
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	parked, waiting := v.blocked()
	for _, b := range append(parked, waiting...) {
		key := b.SiteID + "/" + b.StepID + "/" + b.Kind
		if l.seen[key] {
			continue
		}
		l.seen[key] = true
		what := "parked at step " + b.StepID
		if b.Kind != workflows.SiteParked {
			what = "waiting at gate " + b.StepID
		}
		line := fmt.Sprintf("%s batch %s: site %s %s", v.Now.UTC().Format(time.RFC3339), v.P.BatchID, b.SiteID, what)
		if b.Age > 0 {
			line += " for " + ageText(b.Age)
		}
		out = append(out, line+": "+oneLineStr(b.Reason, 300))
	}
	return out
}
