package runbooks

import (
	"fmt"
	"strings"
	"time"
)

// Mermaid renders the plan as a Mermaid flowchart: an arrow goes from a step
// to the steps that need it; batch steps are drawn as subroutines, gates as
// hexagons, steps with only_if_product dashed with "only if PRODUCT" in
// their label, and the critical path is highlighted.
func (p *Plan) Mermaid() string {
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	ids := map[string]string{}
	for i, s := range p.Steps {
		ids[s.ID] = fmt.Sprintf("s%d", i)
	}
	for i, s := range p.Steps {
		label := fmt.Sprintf("%s<br/><i>%s</i> · %s", s.ID, s.Action, shortDuration(s.Estimate))
		if s.OnlyIfProduct != "" {
			label += "<br/>only if " + s.OnlyIfProduct
		}
		label = strings.ReplaceAll(label, `"`, "#quot;")
		open, closeS := "[\"", "\"]"
		switch {
		case s.Scope == ScopeBatch:
			open, closeS = "[[\"", "\"]]"
		case s.Gate != nil:
			open, closeS = "{{\"", "\"}}"
		}
		fmt.Fprintf(&b, "  s%d%s%s%s\n", i, open, label, closeS)
	}
	for _, s := range p.Steps {
		for _, n := range s.Needs {
			fmt.Fprintf(&b, "  %s --> %s\n", ids[n], ids[s.ID])
		}
	}
	var cond []string
	for _, s := range p.Steps {
		if s.OnlyIfProduct != "" {
			cond = append(cond, ids[s.ID])
		}
	}
	if len(cond) > 0 {
		b.WriteString("  classDef conditional stroke-dasharray:5 5;\n")
		fmt.Fprintf(&b, "  class %s conditional\n", strings.Join(cond, ","))
	}
	if len(p.CriticalPath) > 0 {
		b.WriteString("  classDef critical stroke:#c00,stroke-width:3px;\n")
		cp := make([]string, 0, len(p.CriticalPath))
		for _, id := range p.CriticalPath {
			if x, ok := ids[id]; ok {
				cp = append(cp, x)
			}
		}
		fmt.Fprintf(&b, "  class %s critical\n", strings.Join(cp, ","))
	}
	return b.String()
}

// DOT renders the plan as a Graphviz digraph (same conventions as Mermaid;
// steps with only_if_product are dashed).
func (p *Plan) DOT() string {
	var b strings.Builder
	critical := map[string]bool{}
	for _, id := range p.CriticalPath {
		critical[id] = true
	}
	fmt.Fprintf(&b, "digraph %s {\n  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\"];\n", dotQuote(p.Runbook))
	for _, s := range p.Steps {
		label := fmt.Sprintf("%s\n%s · %s", s.ID, s.Action, shortDuration(s.Estimate))
		if s.OnlyIfProduct != "" {
			label += "\nonly if " + s.OnlyIfProduct
		}
		attrs := []string{fmt.Sprintf("label=%s", dotQuote(label))}
		switch {
		case s.Scope == ScopeBatch:
			attrs = append(attrs, "shape=box3d")
		case s.Gate != nil:
			attrs = append(attrs, "shape=hexagon")
		}
		if s.OnlyIfProduct != "" {
			attrs = append(attrs, "style=dashed")
		}
		if critical[s.ID] {
			attrs = append(attrs, "color=red", "penwidth=3")
		}
		fmt.Fprintf(&b, "  %s [%s];\n", dotQuote(s.ID), strings.Join(attrs, ", "))
	}
	for _, s := range p.Steps {
		for _, n := range s.Needs {
			style := ""
			if critical[s.ID] && critical[n] {
				style = " [color=red, penwidth=2]"
			}
			fmt.Fprintf(&b, "  %s -> %s%s;\n", dotQuote(n), dotQuote(s.ID), style)
		}
	}
	b.WriteString("}\n")
	return b.String()
}

func dotQuote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	s = strings.ReplaceAll(s, "\n", `\n`)
	return `"` + s + `"`
}

// shortDuration prints 90s as 1m30s and 2h0m0s as 2h.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
