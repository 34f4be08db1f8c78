package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The done-when of issue 15: a batch switched from restore1 to restore2,
// and the report shows both runbooks.
func TestReportShowsBothRunbooks(t *testing.T) {
	r := Build(fixtureSwitched(14), Options{GeneratedAt: t0.Add(time.Hour)})
	want := []RunbookCount{{Runbook: "restore1", Sites: 7, Restored: 6}, {Runbook: "restore2", Sites: 7, Restored: 6}}
	if !reflect.DeepEqual(r.Runbooks, want) {
		t.Fatalf("runbooks %+v", r.Runbooks)
	}
	rb := map[string]string{}
	for _, l := range r.Sites {
		rb[l.SiteID] = l.Runbook
	}
	// Site 0's result names no runbook: the batch's.
	if rb["site-0000"] != "restore1" || rb["site-0006"] != "restore1" || rb["site-0007"] != "restore2" || rb["site-0013"] != "restore2" {
		t.Fatalf("site runbooks %v", rb)
	}
	var md bytes.Buffer
	if err := Markdown(&md, r); err != nil {
		t.Fatal(err)
	}
	s := md.String()
	for _, w := range []string{
		"with runbooks restore1 (7 sites) and restore2 (7 sites)",
		"Runbook `restore1`. Sites ran `restore1`, `restore2`.\n",
		"## Runbooks\n\n| Runbook | Sites | Restored |\n|---|---:|---:|\n| restore1 | 7 | 6 |\n| restore2 | 7 | 6 |\n",
		"\n- 2022-04-05 09:00:12 runbook switched by alice: restore1 -> restore2 for 7 queued sites (reason: restore2 validated in drill d-17)\n\n## Timeline",
		"| Site | Outcome | Runbook | Users |",
		"| site-0000 | restored | restore1 | 10 |",
		"| site-0007 | restored | restore2 | 17 |",
		"| site-0013 | parked | restore2 | 23 |",
		"| | ↳ site site-0013: step db-jira: connection reset | | | | | | | |\n",
	} {
		if !strings.Contains(s, w) {
			t.Errorf("markdown lacks %q", w)
		}
	}
	// Every row of the sites table has the header's 9 columns.
	for _, l := range strings.Split(s[strings.Index(s, "## Sites"):], "\n") {
		if strings.HasPrefix(l, "|") && strings.Count(l, "|")-strings.Count(l, `\|`) != 10 {
			t.Errorf("row of %d columns: %q", strings.Count(l, "|")-1, l)
		}
	}
	var h bytes.Buffer
	if err := HTML(&h, r); err != nil {
		t.Fatal(err)
	}
	html := h.String()
	for _, w := range []string{
		"<h2>Runbooks</h2>", "<tr><td>restore1</td><td class=\"num\">7</td><td class=\"num\">6</td></tr>",
		"<tr><td>restore2</td><td class=\"num\">7</td><td class=\"num\">6</td></tr>",
		"<th>Outcome</th><th>Runbook</th><th>Users</th>", `<td class="o-restored">restored</td><td>restore2</td>`,
		`colspan="8"`, "sites ran <b>restore1</b>, <b>restore2</b> · generated", "with runbooks restore1 (7 sites) and restore2 (7 sites)",
	} {
		if !strings.Contains(html, w) {
			t.Errorf("html lacks %q", w)
		}
	}
	var js bytes.Buffer
	if err := JSON(&js, r); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Runbooks []RunbookCount `json:"runbooks"`
		Sites    []struct {
			Runbook string `json:"runbook"`
		} `json:"sites"`
	}
	if err := json.Unmarshal(js.Bytes(), &got); err != nil || !reflect.DeepEqual(got.Runbooks, want) || got.Sites[0].Runbook == "" {
		t.Errorf("json %v %+v", err, got)
	}
}

// One runbook: no runbook section and no runbook column.
func TestOneRunbookNoColumn(t *testing.T) {
	r := Build(fixture(14), Options{})
	if r.MultipleRunbooks() || len(r.Runbooks) != 1 || r.Runbooks[0] != (RunbookCount{Runbook: "restore2", Sites: 14, Restored: 12}) {
		t.Fatalf("runbooks %+v", r.Runbooks)
	}
	var md, h bytes.Buffer
	if err := Markdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if err := HTML(&h, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), "## Runbooks") || strings.Contains(md.String(), "| Runbook |") || strings.Contains(md.String(), "Sites ran") || !strings.Contains(md.String(), "with runbook restore2, in") {
		t.Errorf("markdown:\n%s", md.String())
	}
	if strings.Contains(h.String(), "<th>Runbook</th>") || strings.Contains(h.String(), "sites ran") || !strings.Contains(h.String(), `colspan="7"`) {
		t.Error("html has a runbook column")
	}
}
