package report

import (
	"fmt"
	"strings"
	"time"
)

// The Markdown's timeline as a Mermaid gantt (```mermaid block): ticket
// systems, status pages and GitHub draw it; elsewhere it stays readable text.

// mermaidMaxOperators caps the operators' milestones drawn (the latest
// kept); every action is in the timeline list all the same.
const mermaidMaxOperators = 40

// mermaidDate is the gantt's dateFormat, in Go's and in Mermaid's spelling.
const (
	mermaidDate       = "2006-01-02 15:04:05"
	mermaidDateFormat = "YYYY-MM-DD HH:mm:ss"
)

// mermaidNameMax caps a bar's name (an operator's name can be long).
const mermaidNameMax = 60

// MermaidGantt renders r's phases as a Mermaid gantt block, fenced; empty
// when nothing has started.
func MermaidGantt(r Report) string {
	ps := r.Phases
	if len(ps) == 0 {
		return ""
	}
	ps, dropped := capOperators(ps)
	var t0, t1 time.Time
	for _, p := range ps {
		if t0.IsZero() || p.Start.Before(t0) {
			t0 = p.Start
		}
		if p.End.After(t1) {
			t1 = p.End
		}
	}
	var b strings.Builder
	b.WriteString("```mermaid\ngantt\n")
	fmt.Fprintf(&b, "    title %s\n", mermaidText("Batch "+r.BatchID+" timeline, UTC"))
	fmt.Fprintf(&b, "    dateFormat %s\n", mermaidDateFormat)
	fmt.Fprintf(&b, "    axisFormat %s\n", mermaidAxis(t1.Sub(t0)))
	b.WriteString("    todayMarker off\n")
	section := ""
	for i, p := range ps {
		if p.Section != section {
			section = p.Section
			fmt.Fprintf(&b, "    section %s\n", mermaidText(section))
			if section == SectionOperators && dropped > 0 {
				fmt.Fprintf(&b, "    %%%% %d earlier operator actions are in the timeline below\n", dropped)
			}
		}
		id := fmt.Sprintf("p%d", i+1)
		start := p.Start.UTC().Format(mermaidDate)
		if p.State == PhaseMilestone {
			fmt.Fprintf(&b, "    %s :milestone, %s, %s, 0s\n", mermaidName(p.Name), id, start)
			continue
		}
		tag := map[string]string{PhaseDone: "done, ", PhaseActive: "active, ", PhaseFailed: "crit, "}[p.State]
		fmt.Fprintf(&b, "    %s :%s%s, %s, %s\n", mermaidName(p.Name), tag, id, start, p.End.UTC().Format(mermaidDate))
	}
	b.WriteString("```\n")
	return b.String()
}

// capOperators keeps the latest mermaidMaxOperators operator milestones
// (the phases list them oldest first) and says how many it dropped.
func capOperators(ps []Phase) ([]Phase, int) {
	n := 0
	for _, p := range ps {
		if p.Section == SectionOperators {
			n++
		}
	}
	drop := n - mermaidMaxOperators
	if drop <= 0 {
		return ps, 0
	}
	out := make([]Phase, 0, len(ps)-drop)
	skipped := 0
	for _, p := range ps {
		if p.Section == SectionOperators && skipped < drop {
			skipped++
			continue
		}
		out = append(out, p)
	}
	return out, drop
}

// mermaidAxis picks the axis' tick labels for a span.
func mermaidAxis(span time.Duration) string {
	switch {
	case span > 36*time.Hour:
		return "%m-%d %H:%M"
	case span < 10*time.Minute:
		return "%H:%M:%S"
	default:
		return "%H:%M"
	}
}

// mermaidKeywords start a gantt line that is not a task: a bar's name must
// not begin with one.
var mermaidKeywords = []string{"title", "section", "dateformat", "axisformat", "tickinterval", "excludes", "includes",
	"todaymarker", "inclusiveenddates", "topaxis", "weekday", "weekend", "click", "acctitle", "accdescr", "displaymode", "vert", "gantt"}

// mermaidName is a bar's name: text Mermaid reads as a task's name, short.
func mermaidName(s string) string {
	s = mermaidText(s)
	if r := []rune(s); len(r) > mermaidNameMax {
		s = strings.TrimSpace(string(r[:mermaidNameMax-1])) + "…"
	}
	low := strings.ToLower(s)
	for _, k := range mermaidKeywords {
		if strings.HasPrefix(low, k) {
			return "· " + s
		}
	}
	return s
}

// mermaidText takes out what ends or breaks a gantt line's text: the
// colon (the task's data follows it), "#" and ";" (comments, statement
// ends), "%%" (a comment), line breaks, and angle brackets and braces.
func mermaidText(s string) string {
	s = mermaidReplacer.Replace(s)
	for strings.Contains(s, "%%") {
		s = strings.ReplaceAll(s, "%%", "%")
	}
	return strings.TrimSpace(s)
}

var mermaidReplacer = strings.NewReplacer(
	":", " -", "#", "no.", ";", ",", "\r", " ", "\n", " ", "\t", " ",
	"->", "→", "<", "‹", ">", "›", "`", "'", "{", "(", "}", ")",
)
