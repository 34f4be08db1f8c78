package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/lazarus-dr/lazarus/drill"
)

// drillSlowestSteps is how many steps the "slowest steps" tables show.
const drillSlowestSteps = 15

// DrillMarkdown writes a drill's report for a ticket or the issue: the
// summary, the regressions, a row per site and the slowest steps.
func DrillMarkdown(w io.Writer, r DrillReport) error {
	var b strings.Builder
	res, s := r.Result, r.Summary
	fmt.Fprintf(&b, "# %s\n\n", r.Title)
	fmt.Fprintf(&b, "Generated %s UTC. Runbook `%s`.", r.GeneratedAt.Format("2006-01-02 15:04:05"), res.Runbook)
	if res.ScheduleID != "" {
		fmt.Fprintf(&b, " Schedule `%s`.", res.ScheduleID)
	}
	if r.WorkflowURL != "" {
		fmt.Fprintf(&b, " Temporal Web UI: %s", r.WorkflowURL)
	}
	b.WriteString("\n\n## Summary\n\n")
	for _, l := range drillSummaryLines(r) {
		fmt.Fprintf(&b, "- %s\n", l)
	}
	if len(res.Errors) > 0 {
		b.WriteString("\nWhat went wrong:\n\n")
		for _, e := range res.Errors {
			fmt.Fprintf(&b, "- %s\n", oneLine(e))
		}
	}
	fmt.Fprintf(&b, "\n## Regressions (against %s)\n\n", previousWords(r))
	if len(res.Regressions) == 0 {
		b.WriteString("None.\n")
	}
	for _, g := range res.Regressions {
		fmt.Fprintf(&b, "- **%s**%s: %s\n", g.Kind, regressionSubject(g), oneLine(g.Detail))
	}
	fmt.Fprintf(&b, "\n## Sites (%d of %d validated)\n\n", s.SitesValidated, s.SitesTotal)
	b.WriteString("| Site | Copy | Stratum | Validated | Outcome | RTO | RPO |\n|---|---|---|---|---|---:|---:|\n")
	for _, site := range r.SitesShown() {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", mdEscape(site.SiteID), mdEscape(site.CopyID), site.Stratum,
			yesNo(site.Validated), site.Outcome, siteRTO(site), secs(site.RPOSeconds))
		for _, e := range site.Errors {
			fmt.Fprintf(&b, "| | ↳ %s | | | | | |\n", mdEscape(oneLine(e)))
		}
	}
	steps := r.Steps
	if len(steps) > drillSlowestSteps {
		steps = steps[:drillSlowestSteps]
	}
	fmt.Fprintf(&b, "\n## Slowest steps (%d of %d, by p95 across sites)\n\n", len(steps), len(r.Steps))
	b.WriteString("| Step | Sites | p50 | p95 | max |\n|---|---:|---:|---:|---:|\n")
	for _, st := range steps {
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s |\n", mdEscape(st.StepID), st.Sites, secs(st.P50), secs(st.P95), secs(st.Max))
	}
	b.WriteString("\n## Trend (oldest first)\n\n")
	b.WriteString("| Drill | Started (UTC) | Result | RTO p50 | RTO max | RPO p50 | RPO max |\n|---|---|---|---:|---:|---:|---:|\n")
	for _, p := range r.Trend {
		id := mdEscape(p.DrillID)
		if p.Current {
			id = "**" + id + "** (this drill)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", id, fmtTime(p.StartedAt), strings.ToLower(passedWord(p.Passed)),
			secs(p.RTOP50), secs(p.RTOMax), secs(p.RPOP50), secs(p.RPOMax))
	}
	b.WriteString("\nRTO: from the drill's start (the simulated disaster) to the copy validated. RPO: the drill's start minus the point the copy's data are of.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// drillSummaryLines are the summary's lines, for the Markdown and the HTML.
func drillSummaryLines(r DrillReport) []string {
	res, s := r.Result, r.Summary
	lines := []string{
		fmt.Sprintf("Result: **%s** (passed means every sampled site validated, production unchanged and everything cleaned up)", passedWord(res.Passed)),
		fmt.Sprintf("Sites validated: %d of %d", s.SitesValidated, s.SitesTotal),
	}
	if res.ProductionUnchanged {
		lines = append(lines, fmt.Sprintf("Production unchanged: yes, over %d tenants (checksums before and after, live traffic allowed for)", res.ProductionChecked))
	} else {
		lines = append(lines, fmt.Sprintf("Production unchanged: **NO**: %d of %d tenants changed%s", len(res.ProductionChanged), res.ProductionChecked, listTail(res.ProductionChanged)))
	}
	clean := "yes"
	if !res.CleanedUp {
		clean = "**NO**"
	}
	lines = append(lines, fmt.Sprintf("Cleaned up: %s (live sites %d before, %d after)", clean, res.LiveSitesBefore, res.LiveSitesAfter))
	if !res.RestorePoint.IsZero() {
		point := fmt.Sprintf("Restore point: %s UTC", fmtTime(res.RestorePoint))
		if !res.StartedAt.IsZero() {
			point += fmt.Sprintf(" (%s before the drill's start)", roundDur(res.StartedAt.Sub(res.RestorePoint)))
		}
		lines = append(lines, point)
	}
	lines = append(lines,
		fmt.Sprintf("RTO: p50 %s, p95 %s, max %s (over the validated sites)", secs(s.RTOP50), secs(s.RTOP95), secs(s.RTOMax)),
		fmt.Sprintf("RPO: p50 %s, max %s", secs(s.RPOP50), secs(s.RPOMax)))
	if !res.StartedAt.IsZero() && !res.EndedAt.IsZero() {
		lines = append(lines, fmt.Sprintf("Drill ran from %s to %s UTC (%s)", fmtTime(res.StartedAt), fmtTime(res.EndedAt), roundDur(res.EndedAt.Sub(res.StartedAt))))
	}
	if len(res.GatesLeftOut) > 0 {
		lines = append(lines, fmt.Sprintf("Gates left out (a drill has no customer to ask): %s", strings.Join(res.GatesLeftOut, ", ")))
	}
	return lines
}

func previousWords(r DrillReport) string {
	switch n := len(r.Previous); n {
	case 0:
		return "no previous drill of this runbook: only failures are flagged"
	case 1:
		return "1 previous drill of this runbook"
	default:
		return fmt.Sprintf("%d previous drills of this runbook", n)
	}
}

func regressionSubject(g drill.Regression) string {
	var parts []string
	if g.SiteID != "" {
		parts = append(parts, "site `"+g.SiteID+"`")
	}
	if g.StepID != "" {
		parts = append(parts, "step `"+g.StepID+"`")
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " ")
}

func listTail(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	if len(xs) > 10 {
		return ": " + strings.Join(xs[:10], ", ") + fmt.Sprintf(" and %d more", len(xs)-10)
	}
	return ": " + strings.Join(xs, ", ")
}

// siteRTO is a site's RTO, or "-" when it was not validated (it has none).
func siteRTO(s drill.Site) string {
	if !s.Validated {
		return "-"
	}
	return secs(s.RTOSeconds)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "**no**"
}
