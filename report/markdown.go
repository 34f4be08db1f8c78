package report

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// JSON writes the report as indented JSON.
func JSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Markdown writes the report for a status page or a ticket.
func Markdown(w io.Writer, r Report) error {
	var b strings.Builder
	s := r.Summary
	fmt.Fprintf(&b, "# %s\n\n", r.Title)
	fmt.Fprintf(&b, "Generated %s UTC. Runbook `%s`.", r.GeneratedAt.Format("2006-01-02 15:04:05"), r.Runbook)
	if r.MultipleRunbooks() {
		names := make([]string, len(r.Runbooks))
		for i, c := range r.Runbooks {
			names[i] = "`" + c.Runbook + "`"
		}
		fmt.Fprintf(&b, " Sites ran %s.", strings.Join(names, ", "))
	}
	if r.WorkflowURL != "" {
		fmt.Fprintf(&b, " Temporal Web UI: %s", r.WorkflowURL)
	}
	b.WriteString("\n\n## Status for customers\n\n")
	for _, l := range r.Status.Text {
		fmt.Fprintf(&b, "> %s\n", mdEscape(l))
	}
	fmt.Fprintf(&b, "\nPeople to tell: `%s`\n", r.ContactsCommand)
	b.WriteString("\n## What happened\n\n")
	for _, l := range r.WhatHappened {
		fmt.Fprintf(&b, "- %s\n", l)
	}
	b.WriteString("\n## Who is affected, and how much is back\n\n")
	b.WriteString("| | restored | total | % |\n|---|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| Sites | %d | %d | %.1f%% |\n", s.SitesRestored, s.SitesTotal, s.PctSites)
	fmt.Fprintf(&b, "| Users | %d | %d | %.1f%% |\n\n", s.UsersRestored, s.UsersTotal, s.PctUsers)
	fmt.Fprintf(&b, "Outcomes: %s.\n\n", outcomesLine(s.Outcomes))
	fmt.Fprintf(&b, "Expected data loss per site (deletion time minus restore point): min %s, median %s, max %s.\n",
		roundDur(s.DataLossMin), roundDur(s.DataLossMedian), roundDur(s.DataLossMax))
	if s.SitesRestored > 0 {
		fmt.Fprintf(&b, "Time to restore one site: median %s, max %s. Batch elapsed: %s.\n", roundDur(s.RestoreMedian), roundDur(s.RestoreMax), roundDur(s.Elapsed))
	}
	if r.MultipleRunbooks() {
		markdownRunbooks(&b, r)
	}
	b.WriteString("\n## Timeline (UTC)\n\n")
	if g := MermaidGantt(r); g != "" {
		b.WriteString(g + "\n")
	}
	for _, e := range r.Timeline {
		fmt.Fprintf(&b, "- %s %s\n", e.At.UTC().Format("2006-01-02 15:04:05"), e.What)
	}
	b.WriteString("\n## Sites\n\n")
	// The runbook column only when the sites ran more than one.
	rbHead, rbRule, rbEmpty := "", "", ""
	if r.MultipleRunbooks() {
		rbHead, rbRule, rbEmpty = " Runbook |", "---|", " |"
	}
	fmt.Fprintf(&b, "| Site | Outcome |%s Users | Deleted at | Restore point | Expected data loss | Confidence | Time to restore |\n", rbHead)
	fmt.Fprintf(&b, "|---|---|%s---:|---|---|---:|---|---:|\n", rbRule)
	for _, l := range r.Sites {
		rb := ""
		if r.MultipleRunbooks() {
			rb = " " + mdEscape(l.Runbook) + " |"
		}
		fmt.Fprintf(&b, "| %s | %s |%s %d | %s | %s | %s | %s | %s |\n", mdEscape(l.SiteID), l.Outcome, rb, l.Users,
			fmtTime(l.DeletedAt), fmtTime(l.RestorePoint), roundDur(l.ExpectedDataLoss), l.Confidence, roundDur(l.Duration))
		for _, e := range l.Errors {
			fmt.Fprintf(&b, "| | ↳ %s |%s | | | | | |\n", mdEscape(oneLine(e)), rbEmpty)
		}
	}
	b.WriteString("\nConfidence: **high** = restored and validated against the platform; **medium** = restored, validation not completed; **low** = not restored yet, the figure is the policy's target.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// markdownRunbooks writes the sites per runbook and the switches.
func markdownRunbooks(b *strings.Builder, r Report) {
	b.WriteString("\n## Runbooks\n\n")
	b.WriteString("| Runbook | Sites | Restored |\n|---|---:|---:|\n")
	for _, c := range r.Runbooks {
		fmt.Fprintf(b, "| %s | %d | %d |\n", mdEscape(c.Runbook), c.Sites, c.Restored)
	}
	if sw := runbookSwitches(r); len(sw) > 0 {
		b.WriteString("\n")
		for _, e := range sw {
			fmt.Fprintf(b, "- %s %s\n", fmtTime(e.At), e.What)
		}
	}
}

func outcomesLine(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", m[k], k)
	}
	return strings.Join(parts, ", ")
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
