package runbooks

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lazarus-dr/lazarus/internal/suggest"
)

type want struct {
	line, col int
	substr    string
}

var wantRe = regexp.MustCompile(`^# want (\d+):(\d+) (.+)$`)

// readWants returns the "# want LINE:COL message" lines of a fixture: every
// problem the fixture must produce, in file order.
func readWants(t *testing.T, src []byte) []want {
	t.Helper()
	var ws []want
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		m := wantRe.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		l, _ := strconv.Atoi(m[1])
		c, _ := strconv.Atoi(m[2])
		ws = append(ws, want{l, c, m[3]})
	}
	return ws
}

// TestInvalidFixtures runs every fixture under testdata/invalid: the problems
// reported must be exactly the fixture's "# want" lines (position and a
// substring of the message), in order, all at once.
func TestInvalidFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil || len(files) < 15 {
		t.Fatalf("want at least 15 invalid fixtures, got %d (%v)", len(files), err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			ws := readWants(t, src)
			if len(src) > 0 && len(ws) == 0 {
				t.Fatalf("fixture has no # want lines")
			}
			plan, err := Compile(f, src)
			if err == nil {
				t.Fatalf("compiled without error: %d steps", len(plan.Steps))
			}
			if plan != nil {
				t.Errorf("got a plan along with an error")
			}
			ps := Problems(err)
			if len(ps) == 0 {
				t.Fatalf("error carries no problems: %v", err)
			}
			for _, p := range ps {
				if p.File != f {
					t.Errorf("problem names file %q, want %q", p.File, f)
				}
				if !strings.HasPrefix(p.Error(), f+":") {
					t.Errorf("problem %q does not start with FILE:", p.Error())
				}
			}
			if len(src) == 0 {
				return // checked by TestEmptyRunbook
			}
			if len(ps) != len(ws) {
				t.Errorf("got %d problems, want %d:\n%v", len(ps), len(ws), err)
			}
			for i := 0; i < len(ps) && i < len(ws); i++ {
				p, w := ps[i], ws[i]
				if p.Line != w.line || p.Column != w.col || !strings.Contains(p.Message, w.substr) {
					t.Errorf("problem %d:\n got  %d:%d: %s\n want %d:%d: ...%s...", i, p.Line, p.Column, p.Message, w.line, w.col, w.substr)
				}
			}
			// The error's text is one FILE:LINE:COL: line per problem.
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(ps) {
				t.Errorf("error text has %d lines for %d problems:\n%s", len(lines), len(ps), err)
			}
		})
	}
}

func TestEmptyRunbook(t *testing.T) {
	for _, src := range []string{"", "\n\n", "# just a comment\n", "---\n"} {
		_, err := Compile("empty.yaml", []byte(src))
		ps := Problems(err)
		if len(ps) != 1 || !strings.Contains(ps[0].Message, "empty runbook") || ps[0].Line != 1 {
			t.Errorf("source %q: got %v, want one 'empty runbook' problem at line 1", src, err)
		}
	}
}

func TestValidFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid/*.yaml")
	if len(files) < 3 {
		t.Fatalf("want at least 3 valid fixtures, got %d", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := Compile(f, src)
			if err != nil {
				t.Fatalf("unexpected problems:\n%v", err)
			}
			if err := plan.Check(); err != nil {
				t.Fatalf("compiled plan fails Check: %v", err)
			}
		})
	}
}

// TestDidYouMean checks the suggestions used in unknown-action, unknown-field
// and dangling-needs messages.
func TestDidYouMean(t *testing.T) {
	if got := suggest.DidYouMean("identity.synk", actionNames()); got != ` (did you mean "identity.sync"?)` {
		t.Errorf("got %q", got)
	}
	if got := suggest.DidYouMean("zzzzzzzz", actionNames()); got != "" {
		t.Errorf("far-off name got a suggestion %q", got)
	}
}
