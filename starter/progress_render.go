package main

// The progress drawn as a screen: a header, bars overall and per stage,
// the blocked sites and the ETA, fitted to a terminal's width and height
// so that `batch watch` can redraw it in place.

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lazarus-dr/lazarus/internal/printer"
	"github.com/lazarus-dr/lazarus/workflows"
)

const barWidth = 40

// Bar cells: steps of finished sites, steps done in running sites, to do.
const (
	cellFinished = "█"
	cellRunning  = "▒"
	cellTodo     = "·"
)

// bar is a bar of barWidth cells, done of total filled.
func bar(done, total int) string {
	return bar2(barWidth, stepCount{Finished: done, Total: total})
}

// bar2 is a bar of width cells: the finished sites' steps, then the
// running sites' ones.
func bar2(width int, c stepCount) string {
	if c.Total <= 0 {
		return "[" + strings.Repeat(cellTodo, width) + "]"
	}
	done := min(c.Done(), c.Total)
	all := width * done / c.Total
	fin := min(width*min(c.Finished, c.Total)/c.Total, all)
	return "[" + strings.Repeat(cellFinished, fin) + strings.Repeat(cellRunning, all-fin) + strings.Repeat(cellTodo, width-all) + "]"
}

func pctOf(done, total int) float64 {
	if total == 0 {
		return 0
	}
	return 100 * float64(done) / float64(total)
}

// renderProgress draws the batch's progress (finished sites only: batch
// status), without a width or height limit.
func renderProgress(out io.Writer, p workflows.BatchProgress, wfStatus string) {
	v := progressView{P: p, Status: wfStatus, Now: time.Now()}
	for _, l := range v.screen(0, 0) {
		fmt.Fprintln(out, l)
	}
}

// stageRow is a stage's bar in the progress.
type stageRow struct {
	Stage, Bar string
	Pct        string `text:",right"`
	Steps      string
}

// blockedRow is a blocked site in the progress.
type blockedRow struct {
	Site   string
	Step   string
	For    string `text:",right"`
	Reason string
}

// screen is the progress as lines of at most width cells (0: any) and at
// most height lines (0: any): the lists of blocked sites are cut first.
func (v progressView) screen(width, height int) []string {
	bw := barWidth
	if width > 0 {
		bw = max(10, min(barWidth, width-48))
	}
	head := v.headLines(bw)
	var tail []string
	if eta := v.etaText(); eta != "" {
		tail = append(tail, "  ETA "+eta+", at the batch's pace since its first site ended")
	}
	room := -1 // lines left for the blocked sites
	if height > 0 {
		room = max(height-1-len(head)-len(tail), 0)
	}
	blocked := v.blockedLines(room)
	if room >= 0 && len(blocked) > room {
		blocked = blocked[:room]
	}
	lines := append(append(head, blocked...), tail...)
	if height > 0 && len(lines) > height-1 {
		lines = lines[:max(height-1, 1)]
	}
	if width > 0 {
		for i, l := range lines {
			lines[i] = fitWidth(l, width-1)
		}
	}
	return lines
}

// headLines are the header, the overall bars and the stage bars.
func (v progressView) headLines(bw int) []string {
	p := v.P
	state := p.Status
	if p.Paused {
		state += " (paused)"
	}
	restored := p.SitesByStatus[workflows.SiteRestored]
	steps := v.steps()
	lines := []string{
		fmt.Sprintf("batch %s  runbook %s  %s  workflow %s  window %d  elapsed %s", p.BatchID, p.Runbook, state, v.Status, p.MaxConcurrentSites, sinceAt(p.StartedAt, v.Now)),
		fmt.Sprintf("  restored %s %5.1f%%  %d/%d sites", bar2(bw, stepCount{Finished: restored, Total: p.SitesTotal}), pctOf(restored, p.SitesTotal), restored, p.SitesTotal),
		fmt.Sprintf("  steps    %s %5.1f%%  %d/%d", bar2(bw, steps), pctOf(steps.Done(), steps.Total), steps.Done(), steps.Total),
		fmt.Sprintf("  sites    %s (finished %d)", strings.Join(countList(p.SitesByStatus, " "), ", "), v.finishedSites()),
	}
	if v.Note != "" {
		lines = append(lines, "  "+v.Note)
	}
	if l := v.Live; l != nil {
		legend := fmt.Sprintf("  %s steps of finished sites, %s steps done in %d running sites", cellFinished, cellRunning, l.Sites)
		if l.Sites > l.Reporting {
			legend += fmt.Sprintf(" (%d without steps done yet)", l.Sites-l.Reporting)
		}
		lines = append(lines, legend)
	}
	var rows []stageRow
	for _, c := range v.stages() {
		rows = append(rows, stageRow{c.Stage, bar2(bw, c), fmt.Sprintf("%.1f%%", pctOf(c.Done(), c.Total)), fmt.Sprintf("%d/%d", c.Done(), c.Total)})
	}
	return append(lines, tableLines(rows, "    ", true)...)
}

// blockedLines list the parked sites, then those at a gate, with their
// reason and age, in about room lines (-1: any), shared by the lists.
func (v progressView) blockedLines(room int) []string {
	parked, waiting := v.blocked()
	groups := []struct {
		title string
		sites []blockedSite
	}{{"parked, waiting for an operator", parked}, {"waiting at a gate", waiting}}
	shown := 0
	for _, g := range groups {
		if len(g.sites) > 0 {
			shown++
		}
	}
	var lines []string
	for _, g := range groups {
		if len(g.sites) == 0 {
			continue
		}
		n := len(g.sites)
		if room >= 0 {
			// The title, the header and "... more" take three lines.
			n = min(n, max(room/shown-3, 1))
		}
		lines = append(lines, fmt.Sprintf("  %s (%d), oldest first:", g.title, len(g.sites)))
		rows := make([]blockedRow, n)
		for i, b := range g.sites[:n] {
			rows[i] = blockedRow{b.SiteID, b.StepID, ageText(b.Age), oneLineStr(b.Reason, 140)}
		}
		lines = append(lines, tableLines(rows, "    ", false)...)
		if n < len(g.sites) {
			lines = append(lines, fmt.Sprintf("    ... %d more", len(g.sites)-n))
		}
	}
	return lines
}

// tableLines is a table of rows through the printer, as lines.
func tableLines(rows any, indent string, noHeader bool) []string {
	var b strings.Builder
	_ = printer.New(&b, printer.Text).Table(rows, printer.TableOptions{Indent: indent, NoHeader: noHeader})
	s := strings.TrimSuffix(b.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// fitWidth cuts s to at most n characters, ending in "…" when cut.
func fitWidth(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func ageText(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return d.Round(time.Second).String()
}

// sinceAt is the time from t to now, "-" when t is unknown.
func sinceAt(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return now.Sub(t).Round(time.Second).String()
}

func oneLineStr(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
