package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/workflows"
)

func TestActionsInTimeline(t *testing.T) {
	r := Build(fixtureSwitched(14), Options{GeneratedAt: t0.Add(time.Hour)})
	var got []Event
	for _, e := range r.Timeline {
		if e.Operator != "" {
			got = append(got, e)
		}
	}
	want := []Event{
		{At: t0.Add(3 * time.Second), Operator: "bob", Action: workflows.ActionPause, What: "batch paused by bob (reason: db cluster under load)"},
		{At: t0.Add(6 * time.Second), Operator: "bob", Action: workflows.ActionResume, What: "batch resumed by bob"},
		{At: switchAt, Operator: "alice", Action: workflows.ActionSwitchRunbook,
			What: "runbook switched by alice: restore1 -> restore2 for 7 queued sites (reason: restore2 validated in drill d-17)"},
		{At: switchAt, Operator: "alice", Action: workflows.ActionSetConcurrency, What: "concurrency changed by alice: max concurrent sites 50"},
	}
	if len(got) != len(want) {
		t.Fatalf("operator events %+v", got)
	}
	for i := range want {
		if !got[i].At.Equal(want[i].At) || got[i].What != want[i].What || got[i].Operator != want[i].Operator || got[i].Action != want[i].Action {
			t.Errorf("event %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// Among the other events, oldest first: after the batch's start,
	// before the first site restored.
	var md bytes.Buffer
	if err := Markdown(&md, r); err != nil {
		t.Fatal(err)
	}
	s := md.String()
	order := []string{
		"- 2022-04-05 08:55:00 restore batch b-2022 started (runbook restore1)\n",
		"- 2022-04-05 09:00:03 batch paused by bob (reason: db cluster under load)\n",
		"- 2022-04-05 09:00:06 batch resumed by bob\n",
		"- 2022-04-05 09:00:12 runbook switched by alice: restore1 -> restore2 for 7 queued sites (reason: restore2 validated in drill d-17)\n",
		"- 2022-04-05 09:00:12 concurrency changed by alice: max concurrent sites 50\n",
		"- 2022-04-05 09:00:24 first site restored\n",
	}
	tl := s[strings.Index(s, "## Timeline"):]
	last := -1
	for _, l := range order {
		i := strings.Index(tl, l)
		if i < 0 || i < last {
			t.Fatalf("timeline lacks or misplaces %q:\n%s", l, tl)
		}
		last = i
	}
	var h bytes.Buffer
	if err := HTML(&h, r); err != nil {
		t.Fatal(err)
	}
	html := h.String()
	if n := strings.Count(html, `<li class="op">`); n != 4 {
		t.Errorf("%d operator lines in the html timeline", n)
	}
	for _, w := range []string{
		`<li class="op">2022-04-05 09:00:03 — batch paused by bob (reason: db cluster under load)</li>`,
		`<li class="op">2022-04-05 09:00:12 — runbook switched by alice: restore1 -&gt; restore2 for 7 queued sites (reason: restore2 validated in drill d-17)</li>`,
	} {
		if !strings.Contains(html, w) {
			t.Errorf("html lacks %s", w)
		}
	}
}

func TestActionText(t *testing.T) {
	for _, c := range []struct {
		a    workflows.OperatorAction
		want string
	}{
		{workflows.OperatorAction{Action: workflows.ActionCancel, Operator: "dan", Reason: "wrong sites\nfile"}, "batch cancelled by dan (reason: wrong sites file)"},
		{workflows.OperatorAction{Action: workflows.ActionAddSites, Detail: "12 sites"}, "sites added by an unnamed operator: 12 sites"},
		{workflows.OperatorAction{Action: "retry", Operator: "erin"}, "retry by erin"},
	} {
		if got := actionText(c.a); got != c.want {
			t.Errorf("%+v: %q, want %q", c.a, got, c.want)
		}
	}
}
