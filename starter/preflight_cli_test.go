package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/preflight"
)

// catalogStub answers the preflight's ID lookup from infos and counts the
// lookups; it refuses a lookup of more IDs than the preflight's chunks
// hold.
type catalogStub struct {
	*httptest.Server
	lookups atomic.Int64
}

func newCatalogStub(t *testing.T, infos map[string]platform.IDInfo) *catalogStub {
	t.Helper()
	s := &catalogStub{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.lookups.Add(1)
		var req struct{ IDs []string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.IDs) > preflight.DefaultChunkSize {
			http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
			return
		}
		out := make([]platform.IDInfo, len(req.IDs))
		for i, id := range req.IDs {
			out[i] = platform.IDInfo{ID: id, Kind: platform.KindUnknown}
			if in, ok := infos[id]; ok {
				out[i] = in
			}
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(s.Close)
	return s
}

// preflightCLI is the CLI with a platform description naming catalog (and
// clusters, YAML lines under "clusters:"), Temporal nowhere to be found.
func preflightCLI(t *testing.T, catalog, clusters string) (run func(args ...string) (stdout, stderr string, code int), dir string) {
	t.Helper()
	dir = t.TempDir()
	h := lazarus(t, "LAZARUS_PLATFORM="+writePlatform(t, dir, catalog, clusters), "TEMPORAL_ADDRESS="+closedAddr(t))
	return func(args ...string) (string, string, int) {
		t.Helper()
		r := h.Run(t, context.Background(), args...)
		return r.Stdout, r.Stderr, r.Code
	}, dir
}

// writePlatform writes a platform description into dir: the catalog's URL
// and clusters (YAML lines under "clusters:").
func writePlatform(t *testing.T, dir, catalog, clusters string) string {
	t.Helper()
	desc := fmt.Sprintf("name: test\nretention: 720h\nservices:\n  catalog: %s\n", catalog)
	if clusters != "" {
		desc += "clusters:\n" + clusters
	}
	return writeFile(t, dir, "platform.yaml", []byte(desc))
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var deletedAt = time.Now().Add(-time.Hour).UTC().Truncate(time.Second)

func stubInfos() map[string]platform.IDInfo {
	return map[string]platform.IDInfo{
		"5f0c1a2b-0000-4000-8000-0000000000e1": {ID: "5f0c1a2b-0000-4000-8000-0000000000e1", Kind: platform.KindSite, Status: "deleted", DeletedAt: deletedAt, Users: 3},
		"app-1":                                {ID: "app-1", Kind: platform.KindApp, Status: "active", SiteID: "site-live", AppName: "Timesheets"},
	}
}

func TestPreflightCLIReadsIDFilesAsPeopleWriteThem(t *testing.T) {
	cat := newCatalogStub(t, stubInfos())
	run, dir := preflightCLI(t, cat.URL, "")
	// A spreadsheet's export: a byte-order mark, CRLF, commas, a comment.
	f := writeFile(t, dir, "ids.csv", []byte("\uFEFF5f0c1a2b-0000-4000-8000-0000000000e1,\r\n# from the incident sheet\r\n"))
	stdout, stderr, code := run("restore", "start", "--runbook", "restore2", "--ids-file", f, "--dry-run")
	if code != 0 || !strings.Contains(stdout, "preflight: OK: 1 deleted sites, 3 users") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestPreflightCLIRefusesBinaryFilesBeforeAnyLookup(t *testing.T) {
	cat := newCatalogStub(t, stubInfos())
	run, dir := preflightCLI(t, cat.URL, "")
	for name, data := range map[string][]byte{
		"binary.bin": []byte("5f0c1a2b\x00\x00\x7fELF"),
		"latin1.txt": []byte("5f0c1a2b-0000-4000-8000-0000000000e1\ncaf\xe9\n"),
	} {
		f := writeFile(t, dir, name, data)
		for _, cmd := range [][]string{{"restore", "start", "--dry-run"}, {"batch", "add-sites", "b1"}} {
			stdout, stderr, code := run(append(cmd, "--ids-file", f)...)
			want := map[string]string{"binary.bin": "is a binary file, not a list of IDs: NUL byte at offset 8 (line 1, column 9)",
				"latin1.txt": "is not UTF-8 text: byte 0xE9 at offset 40 (line 2, column 4)"}[name]
			if code != 2 || stdout != "" || !strings.Contains(stderr, "--ids-file "+f+": "+want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("%v %s: exit %d\nstdout %q\nstderr %q", cmd, name, code, stdout, stderr)
			}
		}
	}
	if n := cat.lookups.Load(); n != 0 {
		t.Fatalf("the catalog was asked %d times about a file that is not text", n)
	}
}

// A long list: looked up under the catalog's cap, summarised by kind, the
// first problems in full; -o json prints every problem.
func TestPreflightCLISummarisesLongLists(t *testing.T) {
	cat := newCatalogStub(t, stubInfos())
	run, dir := preflightCLI(t, cat.URL, "")
	ids := []string{"app-1", "5F0C1A2B-0000-4000-8000-0000000000E1"}
	for i := 0; i < 12_000; i++ {
		ids = append(ids, fmt.Sprintf("9a2b%04d-0000-4000-8000-000000000000", i))
	}
	f := writeFile(t, dir, "ids.txt", []byte(strings.Join(ids, "\n")))
	stdout, stderr, code := run("restore", "start", "--ids-file", f, "--dry-run")
	if code != 1 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"preflight refused the list: 12000 unknown IDs, 1 app ID, 1 ID in the wrong letter case; no workflow started",
		"app-1: is an APP ID, not a site ID: app \"Timesheets\" of site site-live",
		"5F0C1A2B-0000-4000-8000-0000000000E1: unknown ID; did you mean 5f0c1a2b-0000-4000-8000-0000000000e1? It differs only in letter case (a deleted site)",
		fmt.Sprintf("... and %d more (--json prints every problem)", len(ids)-preflight.Shown),
		"nothing was started",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("refusal lacks %q", want)
		}
	}
	if n := strings.Count(stderr, "\n  - "); n != preflight.Shown {
		t.Errorf("%d problems in full, want %d", n, preflight.Shown)
	}
	if n := cat.lookups.Load(); n < 3 {
		t.Errorf("%d IDs in %d lookups: not chunked under the cap", len(ids), n)
	}

	stdout, _, code = run("restore", "start", "--ids-file", f, "--dry-run", "--json")
	var rep preflight.Report
	if err := json.Unmarshal([]byte(stdout), &rep); code != 1 || err != nil {
		t.Fatalf("--json: exit %d, %v\n%.300s", code, err, stdout)
	}
	if !rep.Refused || len(rep.Problems) != len(ids) || rep.Counts[preflight.KindUnknown] != 12_000 || rep.Problems[1].Suggestion != "5f0c1a2b-0000-4000-8000-0000000000e1" {
		t.Fatalf("--json: refused %v, %d problems, counts %v", rep.Refused, len(rep.Problems), rep.Counts)
	}
}

// A failing catalog is named with its address; its own error text, the
// HTTP status and the SQL error never reach the user.
func TestPreflightCLINamesAFailingCatalog(t *testing.T) {
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"lookup ids: id registry: ERROR: relation \"id_registry\" does not exist (SQLSTATE 42P01)"}`, http.StatusInternalServerError)
	}))
	defer broken.Close()
	dead := "http://" + closedAddr(t)
	for _, tc := range []struct{ catalog, want string }{
		{broken.URL, "preflight: the catalog service at " + broken.URL + " failed with an internal error (POST /v1/ids/lookup); nothing was started"},
		{dead, "preflight: the catalog service at " + dead + " refused the connection (is it running?); nothing was started"},
	} {
		run, _ := preflightCLI(t, tc.catalog, "")
		stdout, stderr, code := run("restore", "start", "--site", "5f0c1a2b-0000-4000-8000-0000000000e1", "--dry-run")
		if code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("exit %d, stderr %q\nwant %q", code, stderr, tc.want)
		}
		for _, raw := range []string{"SQLSTATE", "HTTP 500", "dial tcp"} {
			if strings.Contains(stdout+stderr, raw) {
				t.Errorf("the output holds the raw %q", raw)
			}
		}
	}
}

// A restore point before the oldest base backup of a cluster the runbook
// clones is refused, naming the backup and when it is restorable from.
func TestPreflightCLIRefusesPointsBeforeTheOldestBackup(t *testing.T) {
	cat := newCatalogStub(t, stubInfos())
	backups := t.TempDir()
	end := deletedAt.Add(-2 * time.Minute)
	b := filepath.Join(backups, "20221105T073600Z")
	if err := os.MkdirAll(b, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, b, "backup_label", []byte("START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\nSTART TIME: "+
		end.Add(-time.Minute).Format("2006-01-02 15:04:05 MST")+"\n"))
	writeFile(t, b, "backup.json", []byte(fmt.Sprintf(`{"cluster":"products","start_wal":"000000010000000000000002","end_time":%q}`,
		end.Format(time.RFC3339Nano))))
	run, _ := preflightCLI(t, cat.URL, "  - {name: products, port: 5432, backup_dir: "+backups+"}\n")
	site := "5f0c1a2b-0000-4000-8000-0000000000e1"
	_, stderr, code := run("restore", "start", "--runbook", "restore2", "--site", site, "--dry-run")
	want := fmt.Sprintf("%s: restore point %s (5m0s before its deletion) is before the oldest base backup of cluster products, 20221105T073600Z, restorable from %s",
		site, deletedAt.Add(-5*time.Minute).Format(time.RFC3339), end.Format(time.RFC3339))
	if code != 1 || !strings.Contains(stderr, want) || !strings.Contains(stderr, "1 restore point before the oldest backup") {
		t.Fatalf("exit %d, stderr:\n%s\nwant %s", code, stderr, want)
	}
	// A point after the backup's end passes.
	if stdout, stderr, code := run("restore", "start", "--runbook", "restore2", "--site", site, "--restore-offset", "1m", "--dry-run"); code != 0 {
		t.Fatalf("offset 1m: exit %d\n%s%s", code, stdout, stderr)
	}
}
