package runbooks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the compiler: it must never panic, an
// error must carry problems with positions, and a plan must be well formed.
// Seeds: every fixture and both default runbooks, plus the committed corpus
// under testdata/fuzz/FuzzParse/.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.yaml")
	files = append(files, "restore1.yaml", "restore2.yaml")
	for _, name := range files {
		if src, err := os.ReadFile(name); err == nil {
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		plan, err := Compile("fuzz.yaml", src)
		if err != nil {
			if plan != nil {
				t.Fatal("plan and error together")
			}
			ps := Problems(err)
			if len(ps) == 0 {
				t.Fatalf("error without problems: %v", err)
			}
			for _, p := range ps {
				if p.File != "fuzz.yaml" || p.Line < 1 || p.Column < 1 || p.Message == "" {
					t.Fatalf("bad problem %+v", p)
				}
			}
			return
		}
		if len(plan.Steps) == 0 || len(plan.Steps) > MaxSteps {
			t.Fatalf("plan with %d steps", len(plan.Steps))
		}
		if err := plan.Check(); err != nil {
			t.Fatalf("compiled plan fails Check: %v", err)
		}
		if plan.Width < 1 || plan.Width > len(plan.Steps) || len(plan.CriticalPath) == 0 {
			t.Fatalf("width %d, critical path %v", plan.Width, plan.CriticalPath)
		}
		if _, err := json.Marshal(plan); err != nil {
			t.Fatal(err)
		}
		_ = plan.Mermaid()
		_ = plan.DOT()
	})
}
