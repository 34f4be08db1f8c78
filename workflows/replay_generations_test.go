package workflows

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// changesOnFailurePathsOnly are the changes of versions.go that no
// recorded history asks: workflow.GetVersion is reached only when a
// child's start fails, which the recorder does not provoke.
var changesOnFailurePathsOnly = []string{changeSiteOwner, changeAdoptedLead}

// TestReplayKeepsEveryGeneration: workflows/testdata holds the histories
// of every code generation, the newest (the current release) and the one
// before it included, so that TestReplayRecordedHistories replays what
// the previous release's workers recorded. A generation is a file, or the
// runs of one batch (NAME_last_minus_N.json); what it asks of
// workflow.GetVersion tells which changes its code had. For each workflow
// type, with its changes in the order of versions.go, there must be a
// generation with none of them, one with the first, one with the first
// two, and so on to all of them. It fails when a change lands without
// histories recorded by the new code (or is asked on a failure path only
// and is not listed in changesOnFailurePathsOnly), and when the histories
// of an earlier generation are overwritten or deleted: record the new
// generation under a new name (go run ./workflows/internal/record writes
// batch_run_* and site_park_retry_gate.json, the oldest generation's
// names, so rename its output and git checkout those).
func TestReplayKeepsEveryGeneration(t *testing.T) {
	order := changeIDs(t)
	generations := recordedGenerations(t)
	byType := map[string]map[string]bool{} // workflow type -> changes its histories ask
	for _, g := range generations {
		if byType[g.workflowType] == nil {
			byType[g.workflowType] = map[string]bool{}
		}
		for c := range g.changes {
			byType[g.workflowType][c] = true
		}
	}
	asked := map[string]bool{}
	for wt, changes := range byType {
		var chain []string // this type's changes, in the order of versions.go
		for _, c := range order {
			if changes[c] {
				chain = append(chain, c)
				asked[c] = true
			}
		}
		for k := 0; k <= len(chain); k++ {
			if !slices.ContainsFunc(generations, func(g generation) bool { return g.workflowType == wt && g.hasExactly(chain[:k]) }) {
				t.Errorf("%s: no recorded generation with exactly the changes %v (of %v)", wt, chain[:k], chain)
			}
		}
	}
	for _, c := range order {
		if !asked[c] && !slices.Contains(changesOnFailurePathsOnly, c) {
			t.Errorf("change %q (versions.go): no history in testdata asks it; record the new code's histories under a new name", c)
		}
	}
}

// generation is what the histories of one recording asked.
type generation struct {
	name, workflowType string
	changes            map[string]bool
}

func (g generation) hasExactly(changes []string) bool {
	if len(g.changes) != len(changes) {
		return false
	}
	for _, c := range changes {
		if !g.changes[c] {
			return false
		}
	}
	return true
}

// changeIDs returns the change IDs of versions.go (its change* constants)
// in their order there.
func changeIDs(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "versions.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || !strings.HasPrefix(vs.Names[0].Name, "change") || len(vs.Values) != 1 {
			return true
		}
		if lit, ok := vs.Values[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			id, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		return true
	})
	if len(ids) < 10 {
		t.Fatalf("found %d change IDs in versions.go, want at least 10", len(ids))
	}
	return ids
}

var runSuffix = regexp.MustCompile(`_last_minus_\d+$`)

// recordedGenerations reads every history of testdata and groups the runs
// of one batch.
func recordedGenerations(t *testing.T) []generation {
	t.Helper()
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*generation{}
	for _, path := range files {
		name := runSuffix.ReplaceAllString(strings.TrimSuffix(filepath.Base(path), ".json"), "")
		wt, changes := askedChanges(t, path)
		g := byName[name]
		if g == nil {
			g = &generation{name: name, workflowType: wt, changes: map[string]bool{}}
			byName[name] = g
		}
		if g.workflowType != wt {
			t.Fatalf("%s: a %s among %s runs", path, wt, g.workflowType)
		}
		for _, c := range changes {
			g.changes[c] = true
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]generation, 0, len(names))
	for _, n := range names {
		out = append(out, *byName[n])
	}
	return out
}

// askedChanges returns a history's workflow type and the change IDs its
// version markers record at a version above DefaultVersion.
func askedChanges(t *testing.T, path string) (string, []string) {
	t.Helper()
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h, err := client.HistoryFromJSON(r, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	events := h.GetEvents()
	if len(events) == 0 {
		t.Fatalf("%s: no events", path)
	}
	wt := events[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName()
	dc := converter.GetDefaultDataConverter()
	var changes []string
	for _, e := range events {
		m := e.GetMarkerRecordedEventAttributes()
		if e.GetEventType() != enumspb.EVENT_TYPE_MARKER_RECORDED || m.GetMarkerName() != "Version" {
			continue
		}
		var id string
		var version int
		if err := dc.FromPayloads(m.GetDetails()["change-id"], &id); err != nil {
			t.Fatalf("%s: event %d: %v", path, e.GetEventId(), err)
		}
		if err := dc.FromPayloads(m.GetDetails()["version"], &version); err != nil {
			t.Fatalf("%s: event %d: %v", path, e.GetEventId(), err)
		}
		if version > 0 {
			changes = append(changes, id)
		}
	}
	return wt, changes
}
