//go:build integration

package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/lazarus-dr/lazarus/internal/codec"
	"github.com/lazarus-dr/lazarus/internal/testpg"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
	"github.com/lazarus-dr/lazarus/sandbox"
	"github.com/lazarus-dr/lazarus/worker"
	"github.com/lazarus-dr/lazarus/workflows"
)

// TestSecretsNeverTravel restores a few sites of a sandbox whose clusters
// require a (random) password and whose bucket has a random secret key:
// the worker and the CLI get the password through PGPASSFILE and the S3
// keys through the credentials file platform.yaml names. Then neither
// secret may be in the recorded history of any workflow of the batch
// (payloads decoded through the project's codec), the worker's log (the
// sandbox's too: same logger) or the CLI's output. Before the restore, a
// connection without the password and one with a wrong password each fail
// with one clear line.
func TestSecretsNeverTravel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	began := time.Now()
	logs := &syncBuffer{}
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(logs), zap.DebugLevel))
	tmp := t.TempDir()
	bin, err := buildCLI(ctx, tmp)
	if err != nil {
		t.Fatal(err)
	}
	state := testpg.Dir(t, "lazarus-secrets-")
	srv, tc, p := upSeededWith(ctx, t, sandbox.Options{StateDir: state, Password: true, Logger: log}, 12, 21)
	passFile, credsFile := filepath.Join(state, "pgpass"), filepath.Join(state, "s3-credentials")
	password := secretIn(t, passFile, regexp.MustCompile(`^\*:\*:\*:postgres:(\S+)$`))
	s3Secret := secretIn(t, credsFile, regexp.MustCompile(`(?m)^aws_secret_access_key = (\S+)$`))
	secrets := map[string]string{"the PostgreSQL password": password, "the S3 secret key": s3Secret}
	for _, f := range []string{p.DescriptionPath(), filepath.Join(state, "state.json")} {
		raw, _ := os.ReadFile(f)
		searchSecrets(t, f, string(raw), secrets)
	}
	// The worker's and the CLI's description name no passfile: the
	// password comes from PGPASSFILE.
	desc := withoutPassfile(t, p.DescriptionPath(), filepath.Join(tmp, "platform.yaml"))
	refusedWithoutPassword(ctx, t, desc, tmp)
	t.Setenv("PGPASSFILE", passFile)
	t.Setenv("PGPASSWORD", "")
	startWorker(ctx, t, "the worker", worker.Options{Client: tc, PlatformFile: desc, Config: worker.DefaultConfig(), Logger: log})

	sites := deleteSites(ctx, t, p, 3, 21)
	const batch = "e2e-secrets"
	lz := cli{t: t, bin: bin, address: srv.FrontendHostPort(), platform: desc}
	started, code := lz.run(ctx, "restore", "start", "--runbook", "restore2", "--ids-file", writeLines(t, filepath.Join(tmp, "ids.txt"), sites),
		"--restore-offset", restoreOffset.String(), "--batch-id", batch, "--platform", desc)
	if code != 0 {
		t.Fatalf("restore start: exit %d\n%s", code, started)
	}
	watchAllRestored(ctx, t, lz, tc, batch, sites)
	status, _ := lz.run(ctx, "batch", "status", batch)

	hist, runs := histories(ctx, t, tc)
	if runs < 1+len(sites) {
		t.Fatalf("%d workflow runs recorded, want the batch and its %d sites at least", runs, len(sites))
	}
	// The search reads decoded payloads: the clone's DSN (password-free)
	// is there in plain text.
	if !strings.Contains(hist, "postgres://postgres@127.0.0.1:") || !strings.Contains(hist, "sslmode=disable") {
		t.Fatalf("the histories hold no clone DSN: the payloads were not decoded")
	}
	searchSecrets(t, "the workflow histories", hist, secrets)
	searchSecrets(t, "the worker's log", logs.String(), secrets)
	searchSecrets(t, "the CLI's output", started+status, secrets)
	t.Logf("%d workflow runs, %d bytes of history and %d of logs searched; %s in all", runs, len(hist), logs.Len(), time.Since(began).Round(time.Millisecond))
}

// refusedWithoutPassword connects to every cluster of desc without a
// password, then with a wrong one: each must fail with pg.ErrAuth in one
// line that says where the password comes from, not the server's text.
func refusedWithoutPassword(ctx context.Context, t *testing.T, desc, tmp string) {
	t.Helper()
	d, err := platform.Load(desc)
	if err != nil {
		t.Fatal(err)
	}
	empty, wrong := filepath.Join(tmp, "empty.pgpass"), filepath.Join(tmp, "wrong.pgpass")
	for f, content := range map[string]string{empty: "", wrong: "*:*:*:postgres:not-the-password\n"} {
		if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PGPASSWORD", "")
	for _, c := range d.Clusters {
		for _, f := range []string{empty, wrong} {
			t.Setenv("PGPASSFILE", f)
			conn, err := pg.Open(ctx, pg.ClusterDSN(c, "postgres"))
			if err == nil {
				conn.Close(ctx)
				t.Fatalf("cluster %s: connected with the passfile %s", c.Name, f)
			}
			msg := err.Error()
			if !errors.Is(err, pg.ErrAuth) || strings.Contains(msg, "\n") || strings.Contains(msg, "SQLSTATE") ||
				strings.Contains(msg, "not-the-password") || !strings.Contains(msg, "PGPASSFILE") || !strings.Contains(msg, "user=postgres") {
				t.Errorf("cluster %s, passfile %s: %q, want one line naming the server and where the password comes from", c.Name, f, msg)
			}
		}
	}
}

// histories is every recorded event of every workflow run of the
// namespace (the batch, its sites and any other child), as protojson, with
// each payload's data decoded by the project's codec and appended as text.
func histories(ctx context.Context, t *testing.T, tc client.Client) (string, int) {
	t.Helper()
	var out strings.Builder
	visit := proxy.VisitPayloadsOptions{Visitor: func(_ *proxy.VisitPayloadsContext, ps []*common.Payload) ([]*common.Payload, error) {
		dec, err := codec.Codec().Decode(ps)
		if err != nil {
			return nil, err
		}
		for _, p := range dec {
			out.Write(p.GetData())
			out.WriteByte('\n')
		}
		return dec, nil
	}}
	runs := 0
	var token []byte
	for {
		page, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", NextPageToken: token})
		if err != nil {
			t.Fatalf("list workflows: %v", err)
		}
		for _, ex := range page.GetExecutions() {
			runs++
			id, run := ex.GetExecution().GetWorkflowId(), ex.GetExecution().GetRunId()
			it := tc.GetWorkflowHistory(ctx, id, run, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			for it.HasNext() {
				ev, err := it.Next()
				if err != nil {
					t.Fatalf("history of %s: %v", id, err)
				}
				if err := proxy.VisitPayloads(ctx, ev, visit); err != nil {
					t.Fatalf("history of %s: decode payloads: %v", id, err)
				}
				raw, err := protojson.Marshal(ev)
				if err != nil {
					t.Fatal(err)
				}
				out.Write(raw)
				out.WriteByte('\n')
			}
		}
		if token = page.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	if !strings.Contains(out.String(), workflows.BatchWorkflowID("e2e-secrets")) {
		t.Fatalf("no history names the batch's workflow")
	}
	return out.String(), runs
}

// searchSecrets fails the test for each secret found in text.
func searchSecrets(t *testing.T, where, text string, secrets map[string]string) {
	t.Helper()
	for name, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s holds %s", where, name)
		}
	}
}

// secretIn reads the first submatch of re in a file, which must be its
// owner's only (0600).
func secretIn(t *testing.T, path string, re *regexp.Regexp) string {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, info.Mode().Perm())
	}
	raw, _ := os.ReadFile(path)
	m := re.FindStringSubmatch(strings.TrimSpace(string(raw)))
	if m == nil || len(m[1]) < 16 {
		t.Fatalf("%s holds no random secret", path)
	}
	return m[1]
}

// withoutPassfile copies a platform description without its passfile
// lines.
func withoutPassfile(t *testing.T, src, dst string) string {
	t.Helper()
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	out := regexp.MustCompile(`(?m)^\s*passfile:.*\n`).ReplaceAll(raw, nil)
	if bytes.Equal(out, raw) {
		t.Fatalf("%s names no passfile", src)
	}
	if err := os.WriteFile(dst, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// syncBuffer is a bytes.Buffer safe for a logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}
