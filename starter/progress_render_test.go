package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lazarus-dr/lazarus/workflows"
)

// stageBar is the bar drawn for a stage in the screen's lines.
func stageBar(t *testing.T, lines []string, stage string) string {
	t.Helper()
	for _, l := range lines {
		if f := strings.Fields(l); len(f) > 1 && f[0] == stage {
			return f[1]
		}
	}
	t.Fatalf("no bar for stage %s in\n%s", stage, strings.Join(lines, "\n"))
	return ""
}

// While sites run, the stage bars differ from one another: the finished
// sites' steps (█) and those done in running sites (▒).
func TestScreenStageBarsDiffer(t *testing.T) {
	lines := progressView{P: midway(), Live: live(), Status: "running", Now: watchNow}.screen(0, 0)
	text := strings.Join(lines, "\n")
	cat, id, val := stageBar(t, lines, "catalog"), stageBar(t, lines, "identity"), stageBar(t, lines, "validation")
	if cat == id || id == val || cat == val {
		t.Fatalf("stage bars alike:\n%s", text)
	}
	if strings.Count(cat, cellFinished) != 8 || strings.Count(cat, cellRunning) != 32 {
		t.Errorf("catalog bar %s: want 8 finished cells and 32 running (2 + 8 of 10)", cat)
	}
	for _, want := range []string{"10/10", "7/10", "5/20", "22/40", "8 running sites"} {
		if !strings.Contains(text, want) {
			t.Errorf("screen lacks %q:\n%s", want, text)
		}
	}
}

// Parked and waiting sites are listed with their reason and age, and the
// batch's ETA with its clock time.
func TestScreenListsBlockedSitesWithAge(t *testing.T) {
	text := strings.Join(progressView{P: midway(), Status: "running", Now: watchNow}.screen(0, 0), "\n")
	for _, want := range []string{
		"parked, waiting for an operator (1)", "s9", "4m0s", "identity: 503 Service Unavailable",
		"waiting at a gate (1)", "s10", "1m30s", "waiting for a gate decision",
		"ETA 7m10s (about 21:07 UTC)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("screen lacks %q:\n%s", want, text)
		}
	}
}

// manyBlocked is midway with n parked sites, each with a long reason.
func manyBlocked(n int) workflows.BatchProgress {
	p := midway()
	for i := 0; i < n; i++ {
		p.Parked = append(p.Parked, workflows.ParkedSite{SiteID: fmt.Sprintf("site-%03d", i), StepID: "identity",
			Reason: strings.Repeat("connection refused ", 10), Kind: workflows.SiteParked, Since: watchNow.Add(-time.Duration(i) * time.Second)})
	}
	return p
}

// On a terminal of 60 by 20, no line is wider than 59 cells and the screen
// takes at most 19 lines (a redraw in place must not scroll): the blocked
// lists are cut, and say how many more there are; the ETA stays.
func TestScreenFitsTheTerminal(t *testing.T) {
	lines := progressView{P: manyBlocked(30), Live: live(), Status: "running", Now: watchNow}.screen(60, 20)
	text := strings.Join(lines, "\n")
	if len(lines) > 19 {
		t.Errorf("%d lines on a terminal of 20:\n%s", len(lines), text)
	}
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n > 59 {
			t.Errorf("line of %d cells on a terminal of 60: %q", n, l)
		}
	}
	for _, want := range []string{"more", "ETA", "waiting at a gate (1)"} {
		if !strings.Contains(text, want) {
			t.Errorf("screen lacks %q:\n%s", want, text)
		}
	}
	if w := utf8.RuneCountInString(stageBar(t, lines, "catalog")); w != 14 {
		t.Errorf("bar of %d cells on a terminal of 60, want 14 (60 - 48 + 2)", w)
	}
	// Unlimited: every site, every reason whole.
	if all := (progressView{P: manyBlocked(30), Now: watchNow}).screen(0, 0); len(all) < 30+8 {
		t.Errorf("%d lines without a limit, want every parked site", len(all))
	}
}

// Output that is not a terminal gets plain lines: no cursor movement, no
// bars; a progress line when due, a line per newly blocked site.
func TestPlainLinesWhenNotATerminal(t *testing.T) {
	var out bytes.Buffer
	w := &watcher{out: &out, live: &liveSampler{c: &fakeLister{pages: nil}, every: time.Hour, at: watchNow, last: live()}}
	w.show(w.sample(t.Context(), progressView{P: midway(), Status: "running", Now: watchNow}))
	w.show(w.sample(t.Context(), progressView{P: midway(), Status: "running", Now: watchNow.Add(time.Second)}))
	text := out.String()
	if strings.Contains(text, "\x1b") || strings.Contains(text, cellFinished) || strings.Contains(text, cellTodo) {
		t.Fatalf("escape codes or bars on a non-terminal:\n%s", text)
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3 (progress, parked s9, waiting s10; nothing new a second later):\n%s", len(lines), text)
	}
	for i, want := range []string{
		"2026-11-29T21:00:00Z batch b1 running: sites parked 1, restored 2, running 6, waiting 1 (finished 2 of 10); steps 55.0% 22/40; stages catalog 100.0% (8 in running sites), identity 70.0% (5 in running sites), validation 25.0% (1 in running sites)",
		"site s9 parked at step identity for 4m0s: identity: 503 Service Unavailable",
		"site s10 waiting at gate customer for 1m30s: waiting for a gate decision",
	} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d %q lacks %q", i, lines[i], want)
		}
	}
	out.Reset()
	w.show(w.sample(t.Context(), progressView{P: midway(), Status: "running", Now: watchNow.Add(plainEvery)}))
	w.show(w.sample(t.Context(), progressView{P: midway(), Status: "completed", Now: watchNow.Add(plainEvery + time.Second)}))
	if n := strings.Count(out.String(), "batch b1 running:"); n != 2 {
		t.Errorf("%d progress lines after %s and at the end, want 2:\n%s", n, plainEvery, out.String())
	}
}

func TestPipeIsNotATerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if _, tty := terminal(w); tty {
		t.Error("a pipe taken for a terminal")
	}
	if _, tty := terminal(&bytes.Buffer{}); tty {
		t.Error("a buffer taken for a terminal")
	}
}

// On a terminal each refresh goes back up over the lines drawn before and
// clears them.
func TestRedrawInPlace(t *testing.T) {
	var out bytes.Buffer
	w := &watcher{out: &out}
	w.redraw([]string{"a", "b", "c"})
	w.redraw([]string{"d", "e"})
	w.redraw([]string{"f"})
	if got, want := out.String(), "a\nb\nc\n\x1b[3A\x1b[Jd\ne\n\x1b[2A\x1b[Jf\n"; got != want {
		t.Fatalf("redraws %q, want %q", got, want)
	}
}
