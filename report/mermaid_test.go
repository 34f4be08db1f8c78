package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/workflows"
)

var (
	mermaidTaskRe = regexp.MustCompile(`^    ([^:#;\n]+?) :(?:(done|active|crit|milestone), )?(p\d+), (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d), (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|0s)$`)
	mermaidSecRe  = regexp.MustCompile(`^    section ([^:#;\n]+)$`)
)

// mermaidTask is one task line of a gantt block.
type mermaidTask struct {
	section, name, tag string
	start, end         time.Time
}

// parseMermaid checks a gantt block line by line against what Mermaid's
// gantt grammar takes, and returns its sections and tasks.
func parseMermaid(t *testing.T, block string) (sections []string, tasks []mermaidTask) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(block, "\n"), "\n")
	if len(lines) < 7 || lines[0] != "```mermaid" || lines[1] != "gantt" || lines[len(lines)-1] != "```" {
		t.Fatalf("not a fenced mermaid gantt:\n%s", block)
	}
	head := map[string]bool{}
	ids := map[string]bool{}
	for _, l := range lines[2 : len(lines)-1] {
		switch {
		case strings.HasPrefix(l, "    title "):
			head["title"] = true
			if strings.ContainsAny(l, ":#;") {
				t.Errorf("title line %q", l)
			}
		case l == "    dateFormat YYYY-MM-DD HH:mm:ss":
			head["dateFormat"] = true
		case strings.HasPrefix(l, "    axisFormat %"):
			head["axisFormat"] = true
		case l == "    todayMarker off":
		case strings.HasPrefix(l, "    %% "):
		case mermaidSecRe.MatchString(l):
			sections = append(sections, mermaidSecRe.FindStringSubmatch(l)[1])
		case mermaidTaskRe.MatchString(l):
			m := mermaidTaskRe.FindStringSubmatch(l)
			if len(sections) == 0 {
				t.Errorf("task before any section: %q", l)
			}
			if ids[m[3]] {
				t.Errorf("task id %s twice", m[3])
			}
			ids[m[3]] = true
			low := strings.ToLower(m[1])
			for _, k := range mermaidKeywords {
				if strings.HasPrefix(low, k) {
					t.Errorf("task name starts with keyword %q: %q", k, l)
				}
			}
			task := mermaidTask{name: m[1], tag: m[2]}
			if len(sections) > 0 {
				task.section = sections[len(sections)-1]
			}
			var err error
			if task.start, err = time.Parse(mermaidDate, m[4]); err != nil {
				t.Error(err)
			}
			if m[5] == "0s" {
				if task.tag != "milestone" {
					t.Errorf("a duration of 0s on a bar: %q", l)
				}
				task.end = task.start
			} else if task.end, err = time.Parse(mermaidDate, m[5]); err != nil {
				t.Error(err)
			}
			if task.end.Before(task.start) {
				t.Errorf("ends before it starts: %q", l)
			}
			tasks = append(tasks, task)
		default:
			t.Errorf("not a gantt line: %q", l)
		}
	}
	for _, k := range []string{"title", "dateFormat", "axisFormat"} {
		if !head[k] {
			t.Errorf("gantt lacks %s", k)
		}
	}
	return sections, tasks
}

func findTask(tasks []mermaidTask, section, name string) (mermaidTask, bool) {
	for _, x := range tasks {
		if x.section == section && x.name == name {
			return x, true
		}
	}
	return mermaidTask{}, false
}

func TestMermaidGanttPhases(t *testing.T) {
	r := Build(fixtureSwitched(14), Options{GeneratedAt: t0.Add(time.Hour), Lead: fixtureLead()})
	g := MermaidGantt(r)
	sections, tasks := parseMermaid(t, g)
	want := []string{SectionBatch, SectionLead, "Sites by stage, runbook restore1", "Sites by stage, runbook restore2", SectionRestored, SectionOperators}
	if strings.Join(sections, "|") != strings.Join(want, "|") {
		t.Fatalf("sections %q, want %q", sections, want)
	}
	check := func(section, name, tag string, start, end time.Time) {
		t.Helper()
		x, ok := findTask(tasks, section, name)
		if !ok {
			t.Errorf("no task %q in section %q:\n%s", name, section, g)
			return
		}
		if x.tag != tag || !x.start.Equal(start) || !x.end.Equal(end) {
			t.Errorf("%s: got %s %s..%s, want %s %s..%s", name, x.tag, x.start, x.end, tag, start, end)
		}
	}
	check(SectionBatch, "batch b-2022", "done", t0.Add(-5*time.Minute), t0.Add(88*time.Second))
	// Sites 1-6 on restore1 start every 2s from t0, each lasts 24s (site
	// 6 parks at 6s): restore1 from t0 to site 5's end.
	check(SectionBatch, "sites on runbook restore1, 7 sites", "crit", t0, t0.Add(10*time.Second+24*time.Second))
	check(SectionBatch, "sites on runbook restore2, 7 sites", "crit", t0.Add(14*time.Second), t0.Add(24*time.Second+24*time.Second))
	check(SectionLead, "lead clone-platform", "done", t0.Add(-5*time.Minute), t0.Add(-time.Minute))
	check(SectionLead, "lead clone-products", "done", t0.Add(-5*time.Minute), t0)
	if _, ok := findTask(tasks, SectionLead, "lead drop-clones"); ok {
		t.Error("a lead step that has not started is drawn")
	}
	// Catalog runs 2s from each site's start: restore2's sites 7..13.
	check("Sites by stage, runbook restore2", "stage catalog, 7 sites", "done", t0.Add(14*time.Second), t0.Add(28*time.Second))
	check("Sites by stage, runbook restore1", "stage data, 7 sites, 1 stopped", "crit", t0.Add(2*time.Second), t0.Add(18*time.Second))
	check("Sites by stage, runbook restore1", "stage validation, 6 sites", "done", t0.Add(17*time.Second), t0.Add(34*time.Second))
	check(SectionRestored, "50% of sites restored", "milestone", t0.Add(38*time.Second), t0.Add(38*time.Second))
	var ops []string
	for _, x := range tasks {
		if x.section == SectionOperators {
			if x.tag != "milestone" {
				t.Errorf("operator action %q is not a milestone", x.name)
			}
			ops = append(ops, x.name)
		}
	}
	if got := strings.Join(ops, "|"); got != "batch paused by bob|batch resumed by bob|runbook switched by alice|concurrency changed by alice" {
		t.Errorf("operator milestones %s", got)
	}
	check(SectionOperators, "runbook switched by alice", "milestone", switchAt, switchAt)
	// Stages of a section by start.
	var last time.Time
	for _, x := range tasks {
		if x.section == "Sites by stage, runbook restore1" {
			if x.start.Before(last) {
				t.Errorf("stages out of order at %q", x.name)
			}
			last = x.start
		}
	}
	if !strings.Contains(g, "axisFormat %H:%M:%S\n") {
		t.Errorf("a 6-minute batch wants seconds on its axis:\n%s", g)
	}
	// Deterministic.
	if again := MermaidGantt(Build(fixtureSwitched(14), Options{GeneratedAt: t0.Add(time.Hour), Lead: fixtureLead()})); again != g {
		t.Error("two builds of one result draw two gantts")
	}
}

func TestMarkdownHasTheGantt(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, Build(fixtureSwitched(14), Options{GeneratedAt: t0.Add(time.Hour)})); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	i, j := strings.Index(md, "## Timeline (UTC)"), strings.Index(md, "```mermaid\ngantt\n")
	if i < 0 || j < i || j > strings.Index(md, "## Sites") {
		t.Fatalf("no gantt under the timeline:\n%s", md)
	}
	end := strings.Index(md[j+3:], "```\n")
	parseMermaid(t, md[j:j+3+end+4])
}

// An 883-site batch, as in the incident: the gantt stays a few dozen
// lines, aggregated per stage, with no site in it.
func TestMermaidGanttBounded(t *testing.T) {
	res := fixtureSwitched(883)
	for i := 0; i < 30; i++ {
		res.Actions = append(res.Actions, workflows.OperatorAction{At: t0.Add(time.Duration(20+i) * time.Second), Action: workflows.ActionSetConcurrency, Operator: "carol"})
	}
	g := MermaidGantt(Build(res, Options{Lead: fixtureLead()}))
	_, tasks := parseMermaid(t, g)
	// 3 batch + 2 lead + 2x6 stages + 3 restored marks (757 restored:
	// no 90% mark) + 34 actions.
	if len(tasks) != 3+2+12+3+34 {
		t.Errorf("%d tasks:\n%s", len(tasks), g)
	}
	if strings.Contains(g, "site-0") {
		t.Error("a site is drawn on its own")
	}
	x, ok := findTask(tasks, "Sites by stage, runbook restore2", "stage data, 442 sites, 63 stopped")
	if !ok {
		t.Fatalf("no aggregated data stage:\n%s", g)
	}
	if x.tag != "crit" {
		t.Errorf("a stage with parked sites is %q", x.tag)
	}
}

func TestMermaidGanttCapsOperators(t *testing.T) {
	res := fixture(3)
	for i := 0; i < mermaidMaxOperators+25; i++ {
		res.Actions = append(res.Actions, workflows.OperatorAction{At: t0.Add(time.Duration(i) * time.Second), Action: workflows.ActionPause, Operator: fmt.Sprintf("op%02d", i)})
	}
	g := MermaidGantt(Build(res, Options{}))
	_, tasks := parseMermaid(t, g)
	var ops []string
	for _, x := range tasks {
		if x.section == SectionOperators {
			ops = append(ops, x.name)
		}
	}
	if len(ops) != mermaidMaxOperators || ops[0] != "batch paused by op25" || ops[len(ops)-1] != "batch paused by op64" {
		t.Errorf("%d operator milestones, %q..%q: want the latest %d", len(ops), ops[0], ops[len(ops)-1], mermaidMaxOperators)
	}
	if !strings.Contains(g, "    %% 25 earlier operator actions are in the timeline below\n") {
		t.Errorf("no note of the dropped actions:\n%s", g)
	}
}

// A running batch: what is still running ends at the report's time.
func TestMermaidGanttRunning(t *testing.T) {
	res := fixture(4)
	res.EndedAt = time.Time{}
	s := &res.Sites[3]
	s.Outcome = workflows.SiteRunning
	s.Steps[len(s.Steps)-1].Status = workflows.StepRunning
	s.Steps[len(s.Steps)-1].EndedAt = time.Time{}
	now := t0.Add(2 * time.Hour)
	_, tasks := parseMermaid(t, MermaidGantt(Build(res, Options{GeneratedAt: now})))
	for _, name := range []string{"batch b-2022", "sites on runbook restore2, 4 sites"} {
		x, ok := findTask(tasks, SectionBatch, name)
		if !ok || x.tag != "active" || !x.end.Equal(now) {
			t.Errorf("%s: %+v", name, x)
		}
	}
	x, ok := findTask(tasks, SectionStages, "stage validation, 4 sites")
	if !ok || x.tag != "active" || !x.end.Equal(now) {
		t.Errorf("validation stage %+v", x)
	}
	if x, _ := findTask(tasks, SectionStages, "stage catalog, 4 sites"); x.tag != "done" {
		t.Errorf("catalog stage %+v", x)
	}
}

// What an operator or a batch ID may hold never breaks a line of the gantt.
func TestMermaidGanttSanitizes(t *testing.T) {
	res := fixture(2)
	res.BatchID = "inc:42 #7; %%x"
	res.Actions = []workflows.OperatorAction{
		{At: t0, Action: workflows.ActionPause, Operator: "eve: #1; 100%%\nsection evil -> <b>{x}</b>"},
		{At: t0, Action: "title", Operator: "mallory"},
		{At: t0, Action: workflows.ActionResume, Operator: strings.Repeat("long-name ", 20)},
	}
	g := MermaidGantt(Build(res, Options{}))
	_, tasks := parseMermaid(t, g)
	for _, x := range tasks {
		if len([]rune(x.name)) > mermaidNameMax+2 || strings.ContainsAny(x.name, "<>{}") {
			t.Errorf("name %q", x.name)
		}
	}
	if _, ok := findTask(tasks, SectionOperators, "· title by mallory"); !ok {
		t.Errorf("a name starting with a keyword is not guarded:\n%s", g)
	}
	if strings.Count(g, "\n    section ") != 4 {
		t.Errorf("an operator's name opened a section:\n%s", g)
	}
}

func TestMermaidAxis(t *testing.T) {
	for span, want := range map[time.Duration]string{5 * time.Minute: "%H:%M:%S", 3 * time.Hour: "%H:%M", 72 * time.Hour: "%m-%d %H:%M"} {
		if got := mermaidAxis(span); got != want {
			t.Errorf("%s: %s, want %s", span, got, want)
		}
	}
}

func TestMermaidGanttEmpty(t *testing.T) {
	r := Build(workflows.BatchResult{BatchID: "x"}, Options{})
	if g := MermaidGantt(r); g != "" {
		t.Fatalf("gantt of nothing:\n%s", g)
	}
	var b bytes.Buffer
	if err := Markdown(&b, r); err != nil || strings.Contains(b.String(), "```mermaid") {
		t.Fatalf("%v\n%s", err, b.String())
	}
}

// A site known by its brief result (no steps) still counts in its
// runbook's span; it has no stage to be drawn in.
func TestMermaidGanttBriefSites(t *testing.T) {
	res := fixture(3)
	res.Sites[2].Steps = nil
	res.Sites[2].StartedAt, res.Sites[2].EndedAt = t0.Add(time.Minute), t0.Add(2*time.Minute)
	_, tasks := parseMermaid(t, MermaidGantt(Build(res, Options{})))
	x, ok := findTask(tasks, SectionBatch, "sites on runbook restore2, 3 sites")
	if !ok || !x.start.Equal(t0) || !x.end.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("runbook span %+v", x)
	}
	if _, ok := findTask(tasks, SectionStages, "stage catalog, 2 sites"); !ok {
		t.Errorf("stages %+v", tasks)
	}
}
