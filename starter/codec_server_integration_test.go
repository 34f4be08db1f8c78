//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand"
	"os/exec"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/internal/codec"
	"github.com/lazarus-dr/lazarus/internal/devserver"
	"github.com/lazarus-dr/lazarus/internal/tools"
	"github.com/lazarus-dr/lazarus/runbooks"
	"github.com/lazarus-dr/lazarus/workflows"
)

// codecEcho keeps its input's sites in its memo and returns its input.
func codecEcho(ctx workflow.Context, in workflows.RestoreBatchInput) (workflows.RestoreBatchInput, error) {
	if err := workflow.UpsertMemo(ctx, map[string]any{"sites": in.Sites}); err != nil {
		return in, err
	}
	return in, nil
}

// codecBatch is a Restore 2 batch input of n sites with random IDs.
func codecBatch(t *testing.T, n int) workflows.RestoreBatchInput {
	plan, err := runbooks.Default("restore2")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(883))
	in := workflows.RestoreBatchInput{BatchID: "codec", Plan: *plan, MaxConcurrentSites: 200}
	at := time.Date(2022, 4, 5, 7, 38, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", r.Uint32(), r.Intn(1<<16), r.Intn(1<<12), r.Intn(1<<12), r.Int63n(1<<48))
		in.Sites = append(in.Sites, workflows.Site{SiteID: id, DeletedAt: at, RestorePoint: at.Add(-5 * time.Minute), Users: 1 + r.Intn(400)})
	}
	return in
}

// runTemporal runs the temporal CLI and returns its combined output and
// exit code; it logs the command and the output's size (histories are
// long).
func runTemporal(ctx context.Context, t *testing.T, bin string, args ...string) (string, int) {
	t.Helper()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run temporal %v: %v", args, err)
	}
	t.Logf("$ temporal %s  (exit %d, %d bytes of output)", strings.Join(args, " "), code, len(out))
	if code != 0 {
		t.Logf("%s", out)
	}
	return string(out), code
}

// A workflow started through a client with the codec stores its input,
// result and memo compressed (a client without the codec sees binary/zlib);
// `temporal workflow show --codec-endpoint` on lazarus codec-server shows
// them as plain JSON.
func TestIntegrationCodecServerDecodesHistory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv, err := devserver.Start(ctx, devserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	c, err := client.Dial(client.Options{HostPort: srv.FrontendHostPort(), Namespace: "default", DataConverter: codec.DataConverter()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw, err := client.Dial(client.Options{HostPort: srv.FrontendHostPort(), Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()

	w := sdkworker.New(c, "codec-test", sdkworker.Options{})
	w.RegisterWorkflowWithOptions(codecEcho, workflow.RegisterOptions{Name: "CodecEcho"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	in := codecBatch(t, 883)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "codec-echo", TaskQueue: "codec-test"}, "CodecEcho", in)
	if err != nil {
		t.Fatal(err)
	}
	var out workflows.RestoreBatchInput
	if err := run.Get(ctx, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Sites) != len(in.Sites) || out.Sites[882].SiteID != in.Sites[882].SiteID {
		t.Fatalf("the result came back with %d sites", len(out.Sites))
	}

	// Without the codec: compressed payloads.
	plain, _ := converter.GetDefaultDataConverter().ToPayload(in)
	var stored, result int
	it := raw.GetWorkflowHistory(ctx, "codec-echo", "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := ev.GetWorkflowExecutionStartedEventAttributes(); a != nil {
			p := a.GetInput().GetPayloads()[0]
			if e := string(p.GetMetadata()[converter.MetadataEncoding]); e != codec.Encoding {
				t.Fatalf("the stored input's encoding is %q, want %q", e, codec.Encoding)
			}
			stored = len(p.GetData())
		}
		if a := ev.GetWorkflowExecutionCompletedEventAttributes(); a != nil {
			p := a.GetResult().GetPayloads()[0]
			if e := string(p.GetMetadata()[converter.MetadataEncoding]); e != codec.Encoding {
				t.Fatalf("the stored result's encoding is %q, want %q", e, codec.Encoding)
			}
			result = len(p.GetData())
		}
	}
	t.Logf("input of 883 sites: %d bytes plain, %d stored (%.1fx); result %d stored", len(plain.GetData()), stored, float64(len(plain.GetData()))/float64(stored), result)
	desc, err := raw.DescribeWorkflowExecution(ctx, "codec-echo", "")
	if err != nil {
		t.Fatal(err)
	}
	if p := desc.GetWorkflowExecutionInfo().GetMemo().GetFields()["sites"]; string(p.GetMetadata()[converter.MetadataEncoding]) != codec.Encoding {
		t.Fatalf("the memo upserted by the workflow is %v, want %s (the worker's data converter encodes memos)", p.GetMetadata(), codec.Encoding)
	}

	// lazarus codec-server, and the temporal CLI through it.
	addr, stopServer := startCodecServerCmd(t)
	defer func() {
		if code, out := stopServer(); code != 0 {
			t.Errorf("codec-server exited %d: %s", code, out)
		}
	}()
	bin, err := tools.TemporalCLI()
	if err != nil {
		t.Fatal(err)
	}
	show := []string{"workflow", "show", "-w", "codec-echo", "--address", srv.FrontendHostPort(), "--namespace", "default", "-o", "json"}
	lastSite := in.Sites[882].SiteID
	// The JSON output shows metadata values in base64.
	zlib := base64.StdEncoding.EncodeToString([]byte(codec.Encoding))
	without, code := runTemporal(ctx, t, bin, show...)
	if code != 0 || strings.Contains(without, lastSite) || !strings.Contains(without, zlib) {
		t.Fatalf("without --codec-endpoint: exit %d, site %s shown %v, want hidden in %s payloads", code, lastSite, strings.Contains(without, lastSite), codec.Encoding)
	}
	with, code := runTemporal(ctx, t, bin, append(show, "--codec-endpoint", "http://"+addr)...)
	if code != 0 || strings.Contains(with, zlib) {
		t.Fatalf("with --codec-endpoint: exit %d, %s left %v", code, codec.Encoding, strings.Contains(with, zlib))
	}
	var h struct {
		Events []struct {
			Started *struct {
				Input struct {
					Payloads []struct {
						Metadata map[string][]byte `json:"metadata"`
						Data     []byte            `json:"data"`
					} `json:"payloads"`
				} `json:"input"`
			} `json:"workflowExecutionStartedEventAttributes"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(with), &h); err != nil || len(h.Events) == 0 || h.Events[0].Started == nil || len(h.Events[0].Started.Input.Payloads) != 1 {
		t.Fatalf("with --codec-endpoint: no start event's input in the JSON (%v)", err)
	}
	p := h.Events[0].Started.Input.Payloads[0]
	if e := string(p.Metadata[converter.MetadataEncoding]); e != "json/plain" || !bytes.Equal(p.Data, plain.GetData()) {
		t.Fatalf("with --codec-endpoint: the input is %s of %d bytes, want the plain JSON (%d bytes)", e, len(p.Data), len(plain.GetData()))
	}
	// What a person sees: the result as JSON.
	textShow := append([]string{}, show[:len(show)-2]...) // without -o json
	text, code := runTemporal(ctx, t, bin, append(textShow, "--codec-endpoint", "http://"+addr)...)
	if code != 0 || !strings.Contains(text, `"site_id":"`+lastSite+`"`) {
		t.Fatalf("with --codec-endpoint, text: exit %d, site %s not in the result", code, lastSite)
	}
}
