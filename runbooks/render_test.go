package runbooks

import (
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	p := compileFileForRender(t)
	edges := 0
	for _, s := range p.Steps {
		edges += len(s.Needs)
	}
	m := p.Mermaid()
	if !strings.HasPrefix(m, "flowchart TD\n") || strings.Count(m, " --> ") != edges {
		t.Errorf("mermaid: %d edges, want %d:\n%s", strings.Count(m, " --> "), edges, m)
	}
	if !strings.Contains(m, `s0[["clone`) || !strings.Contains(m, `{{"customer`) || !strings.Contains(m, "class s0,s1,s2,s4,s5 critical") {
		t.Errorf("mermaid shapes or critical class missing:\n%s", m)
	}
	d := p.DOT()
	if !strings.HasPrefix(d, `digraph "diamond" {`) || strings.Count(d, " -> ") != edges || !strings.Contains(d, `"clone" -> "undelete" [color=red`) {
		t.Errorf("dot:\n%s", d)
	}
	if !strings.Contains(d, `"flags" [label="flags\nflags.restore · 1m"]`) {
		t.Errorf("dot label:\n%s", d)
	}
}

func compileFileForRender(t *testing.T) *Plan { return compileFile(t, "testdata/valid/diamond.yaml") }
