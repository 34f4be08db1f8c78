package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/lazarus-dr/lazarus/internal/printer"
	"github.com/lazarus-dr/lazarus/workflows"
)

// walkCommands calls fn for every command of the tree under root, with
// its path ("batch list").
func walkCommands(root *cobra.Command, fn func(path string, c *cobra.Command)) {
	var walk func(prefix string, c *cobra.Command)
	walk = func(prefix string, c *cobra.Command) {
		for _, sc := range c.Commands() {
			name := strings.TrimSpace(prefix + " " + sc.Name())
			fn(name, sc)
			walk(name, sc)
		}
	}
	walk("", root)
}

// pflag takes a back-quoted word of a flag's usage as the name of its
// value in the help: "--concurrency batch set-concurrency" was one.
func TestFlagValueNamesAreOneWord(t *testing.T) {
	walkCommands(newRootCmd(), func(path string, c *cobra.Command) {
		check := func(f *pflag.Flag) {
			name, _ := pflag.UnquoteUsage(f)
			if strings.ContainsAny(name, " -") && name != "" {
				t.Errorf("%s --%s: value name %q (a back-quoted phrase in its usage)", path, f.Name, name)
			}
		}
		c.LocalFlags().VisitAll(check)
		c.PersistentFlags().VisitAll(check)
	})
}

func TestVersion(t *testing.T) {
	h := lazarus(t)
	ctx := context.Background()
	r := h.Run(t, ctx, "--version")
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, "lazarus ") || strings.Count(r.Stdout, "\n") != 1 || !strings.Contains(r.Stdout, runtime.Version()) {
		t.Errorf("--version: exit %d %q", r.Code, r.Stdout)
	}
	version = "v1.2.3-test"
	t.Cleanup(func() { version = "" })
	r = h.Run(t, ctx, "version", "-o", "json")
	var v buildVersion
	if err := json.Unmarshal([]byte(r.Stdout), &v); r.Code != 0 || err != nil || v.Version != "v1.2.3-test" || v.Go != runtime.Version() {
		t.Errorf("version -o json: exit %d, %v, %+v", r.Code, err, v)
	}
	if r = h.Run(t, ctx, "--version"); !strings.HasPrefix(r.Stdout, "lazarus v1.2.3-test ") {
		t.Errorf("--version with a linked version: %q", r.Stdout)
	}
}

// execution is a visibility row of a batch workflow's run.
func execution(wid, run, first string, st enumspb.WorkflowExecutionStatus, start time.Time) *workflowpb.WorkflowExecutionInfo {
	return &workflowpb.WorkflowExecutionInfo{
		Execution: &commonpb.WorkflowExecution{WorkflowId: wid, RunId: run},
		Status:    st, StartTime: timestamppb.New(start), FirstRunId: first,
	}
}

func TestBatchListOneRowABatch(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	// Newest first, as visibility lists them: batch b1 continued as new
	// twice and runs its third run; b2 continued once and completed.
	var d batchDedup
	for _, e := range []*workflowpb.WorkflowExecutionInfo{
		execution("lazarus-batch-b1", "r3", "r1", enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, t0.Add(2*time.Hour)),
		execution("lazarus-batch-b1", "r2", "r1", enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, t0.Add(time.Hour)),
		execution("lazarus-batch-b2", "s2", "s1", enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, t0.Add(30*time.Minute)),
		execution("lazarus-batch-b1", "r1", "r1", enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, t0),
		execution("lazarus-batch-b2", "s1", "s1", enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, t0.Add(-time.Hour)),
		execution("lazarus-batch-b3", "u1", "", enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, t0.Add(-2*time.Hour)),
	} {
		d.add(e)
	}
	var got []string
	for _, r := range d.rows {
		got = append(got, r.Batch+" "+r.Status)
	}
	if want := "b1 running, b2 completed, b3 failed"; strings.Join(got, ", ") != want {
		t.Errorf("rows %q, want %q", strings.Join(got, ", "), want)
	}
	if q := batchQuery("LazarusRunbook='restore1'"); !strings.Contains(q, "ExecutionStatus != 'ContinuedAsNew'") || !strings.HasSuffix(q, " AND (LazarusRunbook='restore1')") {
		t.Errorf("query %q", q)
	}
}

// Completion with Temporal down prints nothing but cobra's directive, and
// does so fast.
func TestCompletionWithTemporalDown(t *testing.T) {
	h := lazarus(t, "TEMPORAL_ADDRESS=127.0.0.1:1")
	ctx := context.Background()
	for _, args := range [][]string{
		{"__complete", "batch", "status", ""},
		{"__complete", "site", "status", "5f"},
		{"__complete", "report", ""},
		{"__complete", "batch", "list", "--address", "127.0.0.1:1", "--namespace", "nope", "-o", ""},
	} {
		start := time.Now()
		r := h.Run(t, ctx, args...)
		if took := time.Since(start); took > completionTimeout+2*time.Second {
			t.Errorf("%v took %s", args, took)
		}
		want := ":4\n"
		if args[2] == "list" {
			want = "text\njson\n:4\n" // -o needs no Temporal
		}
		if r.Code != 0 || r.Stdout != want || strings.Contains(strings.ToLower(r.Stderr), "error") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, r.Code, r.Stdout, r.Stderr)
		}
	}
	cmd := &cobra.Command{}
	cmd.Flags().String("address", "", "")
	_ = cmd.Flags().Set("address", "127.0.0.1:1")
	if out, dir := completeStepIDs(cmd, []string{"site-a"}, ""); out != nil || dir != cobra.ShellCompDirectiveNoFileComp {
		t.Errorf("steps with Temporal down: %q %v", out, dir)
	}
	if out, _ := completeStepIDs(cmd, []string{"site-a", "step"}, ""); out != nil {
		t.Errorf("a third argument completed: %q", out)
	}
}

func TestCompleteRunbooks(t *testing.T) {
	h := lazarus(t)
	ctx := context.Background()
	r := h.Run(t, ctx, "__complete", "restore", "start", "--runbook", "restore")
	if r.Code != 0 || r.Stdout != "restore1\tbuilt-in runbook\nrestore2\tbuilt-in runbook\n:0\n" {
		t.Errorf("--runbook: %q", r.Stdout)
	}
	r = h.Run(t, ctx, "__complete", "runbook", "plan", "restore2")
	if r.Stdout != "restore2\tbuilt-in runbook\n:0\n" {
		t.Errorf("runbook plan: %q", r.Stdout)
	}
	// No built-in matches: the shell completes file names (directive 0).
	if r = h.Run(t, ctx, "__complete", "drill", "run", "--runbook", "./my"); r.Stdout != ":0\n" {
		t.Errorf("--runbook ./my: %q", r.Stdout)
	}
}

// A step ID longer than any padding keeps every column of site status in
// line.
func TestSiteStatusLongStepIDs(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	st := workflows.SiteState{SiteID: "site-a", BatchID: "b1", Runbook: "restore2", Status: "running", Stage: "data", RestorePoint: t0,
		Steps: []workflows.StepState{
			{StepID: "undelete", Action: "catalog.undelete", Status: "done", Attempts: 1, StartedAt: t0, EndedAt: t0.Add(time.Second)},
			{StepID: "restore-db-jira-software-and-confluence-attachments-of-the-site", Action: "db.restore", Status: "parked", Attempts: 3, Error: "shard down"},
			{StepID: "flags", Action: "flags.restore", Status: "running", Attempts: 1},
		}}
	var b strings.Builder
	if err := writeSiteText(printer.New(&b, printer.Text), st, "http://ui/x"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	var table []string
	for _, l := range lines {
		if strings.HasPrefix(l, "  ") {
			table = append(table, l)
		}
	}
	if len(table) != 4 {
		t.Fatalf("want a header and 3 rows:\n%s", b.String())
	}
	col := strings.Index(table[0], "ACTION")
	for _, l := range table[1:] {
		if col < 0 || len(l) <= col || l[col-2:col] != "  " || l[col] == ' ' {
			t.Errorf("ACTION column (at %d) broken in %q\n%s", col, l, b.String())
		}
	}
	if !strings.Contains(b.String(), "ERROR shard down") {
		t.Errorf("no error:\n%s", b.String())
	}
}

// Bad -o values are one line naming the flag, exit 2, before Temporal is
// dialled.
func TestReportOutputFlag(t *testing.T) {
	h := lazarus(t, "TEMPORAL_ADDRESS=127.0.0.1:1")
	ctx := context.Background()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "b1", "-o", "yaml"}, `--output "yaml": want text, json, md or html`},
		{[]string{"report", "b1", "-o", "json", "--format", "md"}, `--output "json" and --format "md" disagree`},
		{[]string{"report", "b1", "--format", "pdf"}, `--format "pdf": want md, html or json`},
		{[]string{"batch", "list", "-o", "yaml"}, `--output "yaml": want text or json`},
		{[]string{"batch", "status", "b1", "-o", "yaml"}, `--output "yaml": want text or json`},
		{[]string{"site", "status", "s1", "-o", "csv"}, `--output "csv": want text or json`},
		{[]string{"sandbox", "backup", "-o", "yaml"}, `--output "yaml": want text or json`},
		{[]string{"sandbox", "ids", "-o", "yaml"}, `--output "yaml": want text or json`},
		{[]string{"drill", "report", "d1", "-o", "yaml"}, `--output "yaml": want text, json, md or html`},
		{[]string{"drill", "report", "d1", "-o", "html", "--format", "json"}, `--output "html" and --format "json" disagree`},
		{[]string{"drill", "report", "d1", "--output", "r.html", "--out", "s.html"}, `--output "r.html": want text, json, md or html (the file is --out)`},
		{[]string{"runbook", "validate", "restore2", "-o", "yaml"}, `--output "yaml": want text or json`},
	} {
		r := h.Run(t, ctx, c.args...)
		if r.Code != 2 || r.Stdout != "" || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, r.Code, r.Stdout, r.Stderr, c.want)
		}
	}
	for _, c := range []struct{ output, format, want string }{
		{"", "md", "md"}, {"text", "md", "md"}, {"json", "md", "json"}, {"html", "md", "html"}, {"", "json", "json"},
	} {
		if got, err := reportFormat(c.output, c.format, false); err != nil || got != c.want {
			t.Errorf("reportFormat(%q, %q) = %q, %v; want %q", c.output, c.format, got, err, c.want)
		}
	}
	if got, err := reportFormat("json", "json", true); err != nil || got != "json" {
		t.Errorf("-o json --format json: %q, %v", got, err)
	}
}

// Every flag that names a file of IDs is read by readIDFile: its help
// ends the same way, and a UTF-16 file is refused with the same line,
// naming the flag, before anything is looked up or touched.
func TestEveryIDFileFlagHasTheOneReader(t *testing.T) {
	// notYet are the ID-file flags that still have their own reading (to
	// be moved to readIDFile by their command's owner, then taken out).
	notYet := map[string]bool{}
	idFlags := map[string][]string{} // command path: its ID-file flags
	walkCommands(newRootCmd(), func(path string, c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if notYet[path+" --"+f.Name] {
				t.Logf("%s --%s: not yet on readIDFile", path, f.Name)
				return
			}
			if strings.HasSuffix(f.Name, "-file") && strings.Contains(f.Usage, "ID") {
				idFlags[path] = append(idFlags[path], f.Name)
				if !strings.HasSuffix(f.Usage, idFileHelp) {
					t.Errorf("%s --%s: usage %q does not end with idFileHelp", path, f.Name, f.Usage)
				}
			}
		})
	})
	for _, want := range []string{"restore start", "batch add-sites", "drill run", "sandbox disaster", "sandbox verify", "sandbox traffic"} {
		if len(idFlags[want]) == 0 {
			t.Errorf("%s has no ID-file flag", want)
		}
	}
	dir := t.TempDir()
	u16 := filepath.Join(dir, "ids.txt")
	if err := os.WriteFile(u16, []byte("\xff\xfea\x00\n\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := lazarus(t, "TEMPORAL_ADDRESS=127.0.0.1:1", "LAZARUS_PLATFORM="+filepath.Join(dir, "none.yaml"))
	ctx := context.Background()
	for path, flags := range idFlags {
		for _, f := range flags {
			args := append(strings.Fields(path), "--"+f, u16)
			switch path {
			case "batch add-sites", "batch switch-runbook", "batch contacts":
				args = append(args[:2], append([]string{"b1"}, args[2:]...)...)
			}
			if strings.HasPrefix(path, "sandbox ") {
				args = append(args, "--state", filepath.Join(dir, "state"))
			}
			r := h.Run(t, ctx, args...)
			want := "--" + f + " " + u16 + ": is UTF-16 text"
			if r.Code != 2 || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, want) {
				t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", args, r.Code, r.Stderr, want)
			}
		}
	}
}

func TestRunbookValidateJSON(t *testing.T) {
	h := lazarus(t)
	r := h.Run(t, context.Background(), "runbook", "validate", "restore2", "runbooks/testdata/invalid/cycle.yaml", "no/such/file.yaml", "-o", "json")
	var vs []validation
	if err := json.Unmarshal([]byte(r.Stdout), &vs); err != nil || r.Code != 1 || len(vs) != 3 {
		t.Fatalf("validate -o json: exit %d, %v, %q", r.Code, err, r.Stdout)
	}
	if !vs[0].OK || vs[0].Runbook != "restore2" || vs[0].Steps == 0 || len(vs[0].Problems) != 0 {
		t.Errorf("restore2: %+v", vs[0])
	}
	if vs[1].OK || len(vs[1].Problems) == 0 || vs[1].Problems[0].Line == 0 || !strings.Contains(vs[1].Problems[0].File, "cycle.yaml") {
		t.Errorf("cycle.yaml: %+v", vs[1])
	}
	if vs[2].OK || len(vs[2].Problems) != 1 || vs[2].Problems[0].File != "no/such/file.yaml" {
		t.Errorf("missing file: %+v", vs[2])
	}
}

// drill report's --output FILE, from before -o was the format, still
// writes the file, with a note; -o json reaches Temporal.
func TestDrillReportOutputFlag(t *testing.T) {
	h := lazarus(t, "TEMPORAL_ADDRESS=127.0.0.1:1")
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "drill.html")
	r := h.Run(t, ctx, "drill", "report", "d1", "--format", "html", "--output", file)
	if r.Code != 1 || !strings.Contains(r.Stderr, "--output FILE is deprecated: write --out "+file) || !strings.Contains(r.Stderr, "connect to Temporal") {
		t.Errorf("--output FILE: exit %d, stderr %q", r.Code, r.Stderr)
	}
	for _, o := range []string{"json", "text", "md", "html"} {
		if r = h.Run(t, ctx, "drill", "report", "d1", "-o", o); r.Code != 1 || !strings.Contains(r.Stderr, "connect to Temporal") || strings.Contains(r.Stderr, "deprecated") {
			t.Errorf("-o %s: exit %d, stderr %q", o, r.Code, r.Stderr)
		}
	}
}

// A completion dials with every connection flag typed on the line (TLS, API
// key, profile), not only --address and --namespace.
func TestCompletionTakesEveryConnectionFlag(t *testing.T) {
	var f temporalFlags
	cmd := &cobra.Command{Use: "lazarus"}
	f.add(cmd)
	sub := &cobra.Command{Use: "status", Run: func(*cobra.Command, []string) {}}
	cmd.AddCommand(sub)
	if err := cmd.ParseFlags([]string{"--address", "tls.example:7233", "--tls-ca-path", "/ca.pem",
		"--tls-server-name", "temporal.example", "--api-key", "k", "--profile", "dr"}); err != nil {
		t.Fatal(err)
	}
	got := connectionFlags(sub)
	if got.Address != "tls.example:7233" || got.TLSCAPath != "/ca.pem" || got.TLSServerName != "temporal.example" ||
		got.APIKey != "k" || got.Profile != "dr" {
		t.Fatalf("completion's connection: %+v", got)
	}
	if untyped := connectionFlags(&cobra.Command{}); untyped.Address != "" || untyped.Profile != "" {
		t.Fatalf("no flag typed, yet: %+v", untyped)
	}
}
