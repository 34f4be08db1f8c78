package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestCustomerStatusFigures(t *testing.T) {
	gen := t0.Add(time.Hour)
	st := Build(fixture(14), Options{GeneratedAt: gen}).Status
	// Losses of 5, 6 and 7 minutes over 5, 5 and 4 sites: median 6m.
	if st.DataLossTypical != 6*time.Minute || st.DataLossWorst != 7*time.Minute {
		t.Errorf("data loss typical %s worst %s", st.DataLossTypical, st.DataLossWorst)
	}
	if st.Final || !st.NextUpdate.Equal(gen.Add(DefaultNextUpdate)) || !st.AsOf.Equal(gen) {
		t.Errorf("status %+v", st)
	}
	text := strings.Join(st.Text, "\n")
	for _, want := range []string{
		"As of 2022-04-05 10:00 UTC, 12 of 14 affected sites (85.7%) are restored, covering 192 of 231 users (83.1%).",
		"Work continues on the remaining 2 sites.",
		"changes made in the last 6 minutes before the deletion are lost (7 minutes at most).",
		"Next update by 2022-04-05 11:00 UTC.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("status lacks %q:\n%s", want, text)
		}
	}
	for _, jargon := range []string{"runbook", "parked", "stage", "step"} {
		if strings.Contains(strings.ToLower(text), jargon) {
			t.Errorf("customer status speaks of %q:\n%s", jargon, text)
		}
	}
}

func TestCustomerStatusNextUpdate(t *testing.T) {
	// --next-update 30m at 10:00:30: by 10:31 (rounded up to the minute).
	gen := t0.Add(time.Hour + 30*time.Second)
	st := Build(fixture(14), Options{GeneratedAt: gen, NextUpdate: 30 * time.Minute}).Status
	if want := t0.Add(time.Hour + 31*time.Minute); !st.NextUpdate.Equal(want) {
		t.Errorf("next update %s, want %s", st.NextUpdate, want)
	}
	if !strings.Contains(strings.Join(st.Text, " "), "Next update by 2022-04-05 10:31 UTC.") {
		t.Errorf("text %q", st.Text)
	}
}

func TestCustomerStatusFinal(t *testing.T) {
	st := Build(fixture(5), Options{GeneratedAt: t0.Add(time.Hour)}).Status
	text := strings.Join(st.Text, " ")
	if !st.Final || !st.NextUpdate.IsZero() || !strings.Contains(text, "this is the final update") || strings.Contains(text, "Next update") {
		t.Errorf("finished batch, every site restored: %+v", st)
	}
	if !strings.Contains(text, "5 of 5 affected sites (100.0%)") || strings.Contains(text, "remaining") {
		t.Errorf("text %q", text)
	}
	// Every site restored so far, but the batch runs on (sites may be added).
	res := fixture(5)
	res.EndedAt = time.Time{}
	if st := Build(res, Options{GeneratedAt: t0.Add(time.Hour)}).Status; st.Final || st.NextUpdate.IsZero() {
		t.Errorf("running batch: %+v", st)
	}
}

func TestHumanDur(t *testing.T) {
	for d, want := range map[time.Duration]string{
		45 * time.Second:                "45 seconds",
		time.Minute:                     "1 minute",
		6*time.Minute + 20*time.Second:  "6 minutes",
		95 * time.Minute:                "95 minutes",
		2*time.Hour + 5*time.Minute:     "2 hours 5 minutes",
		3 * time.Hour:                   "3 hours",
		3*24*time.Hour + 4*time.Hour:    "3 days 4 hours",
		2*24*time.Hour + 20*time.Minute: "2 days",
		25*time.Hour + 1*time.Minute:    "25 hours 1 minute",
		500 * time.Millisecond:          "1 second",
		0:                               "0 seconds",
		time.Hour + 59*time.Minute + 59*time.Second: "2 hours",
		59*time.Second + 600*time.Millisecond:       "1 minute",
	} {
		if got := humanDur(d); got != want {
			t.Errorf("%s: %q, want %q", d, got, want)
		}
	}
}

func TestStatusInEveryFormat(t *testing.T) {
	r := Build(fixture(14), Options{GeneratedAt: t0.Add(time.Hour)})
	var md, h, js bytes.Buffer
	for f, w := range map[string]*bytes.Buffer{"md": &md, "html": &h, "json": &js} {
		if err := Render(w, f, r); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(md.String(), "## Status for customers\n\n> As of 2022-04-05 10:00 UTC, 12 of 14 affected sites (85.7%)") ||
		!strings.Contains(md.String(), "> Next update by 2022-04-05 11:00 UTC.\n") {
		t.Errorf("markdown status:\n%s", md.String())
	}
	if i, j := strings.Index(md.String(), "## Status for customers"), strings.Index(md.String(), "## What happened"); i < 0 || i > j {
		t.Error("the status is not the report's first section")
	}
	if !strings.Contains(h.String(), `<blockquote class="status">As of 2022-04-05 10:00 UTC, 12 of 14 affected sites (85.7%)`) ||
		!strings.Contains(h.String(), "Next update by 2022-04-05 11:00 UTC.") {
		t.Error("html lacks the status")
	}
	var got struct {
		Status struct {
			NextUpdate      time.Time     `json:"next_update"`
			DataLossWorst   time.Duration `json:"data_loss_worst"`
			DataLossTypical time.Duration `json:"data_loss_typical"`
			Text            []string      `json:"text"`
		} `json:"customer_status"`
	}
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if !got.Status.NextUpdate.Equal(t0.Add(2*time.Hour)) || got.Status.DataLossWorst != 7*time.Minute || len(got.Status.Text) != 4 {
		t.Errorf("json status %+v", got.Status)
	}
}

func TestContactsLine(t *testing.T) {
	r := Build(fixture(3), Options{})
	var md, h bytes.Buffer
	if err := Markdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if err := HTML(&h, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "\nPeople to tell: `lazarus batch contacts b-2022 --format csv`\n") {
		t.Errorf("markdown lacks the contacts line:\n%s", md.String())
	}
	if !strings.Contains(h.String(), "People to tell: <code>lazarus batch contacts b-2022 --format csv</code>") {
		t.Error("html lacks the contacts line")
	}
	for id, want := range map[string]string{
		"":              "lazarus batch contacts BATCH --format csv",
		"incident-42":   "lazarus batch contacts incident-42 --format csv",
		"it's on fire":  `lazarus batch contacts 'it'\''s on fire' --format csv`,
		"b;rm -rf /tmp": "lazarus batch contacts 'b;rm -rf /tmp' --format csv",
	} {
		if got := contactsCommand(id); got != want {
			t.Errorf("%q: %s, want %s", id, got, want)
		}
	}
}
