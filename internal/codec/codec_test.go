package codec

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/lazarus-dr/lazarus/runbooks"
	"github.com/lazarus-dr/lazarus/workflows"
)

// uuid is a random-looking site ID, like the sandbox's (reproducible).
func uuid(r *rand.Rand) string {
	b := make([]byte, 16)
	r.Read(b)
	return fmt.Sprintf("%x-%x-4%x-a%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])[:36]
}

// batchInput is a Restore 2 batch of n sites as `lazarus restore start`
// sends it.
func batchInput(t *testing.T, n int) workflows.RestoreBatchInput {
	t.Helper()
	plan, err := runbooks.Default("restore2")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(2022))
	deleted := time.Date(2022, 4, 5, 7, 38, 0, 0, time.UTC)
	in := workflows.RestoreBatchInput{BatchID: "incident-2022-04-05", Plan: *plan, MaxConcurrentSites: 200}
	for i := 0; i < n; i++ {
		at := deleted.Add(time.Duration(r.Int63n(int64(23 * time.Minute))))
		in.Sites = append(in.Sites, workflows.Site{SiteID: uuid(r), DeletedAt: at, RestorePoint: at.Add(-5 * time.Minute), Users: 1 + r.Intn(400)})
	}
	return in
}

// siteResult is a restored site's full result (its memo) after Restore 2.
func siteResult(t *testing.T) workflows.SiteResult {
	t.Helper()
	plan, err := runbooks.Default("restore2")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(883))
	at := time.Date(2022, 4, 5, 9, 0, 0, 0, time.UTC)
	res := workflows.SiteResult{SiteID: uuid(r), Outcome: workflows.SiteRestored, Runbook: plan.Runbook,
		StartedAt: at, RestorePoint: at.Add(-time.Hour), Users: 120}
	for _, st := range plan.Steps {
		end := at.Add(time.Duration(1+r.Intn(90)) * time.Second)
		res.Steps = append(res.Steps, workflows.StepState{StepID: st.ID, Action: st.Action, Service: st.Service, Stage: st.Stage,
			Status: workflows.StepDone, Attempts: 1, StartedAt: at, EndedAt: end, Message: st.Action + " done for " + res.SiteID})
		at = end
	}
	res.EndedAt = at
	res.Duration = res.EndedAt.Sub(res.StartedAt)
	return res
}

// sizes encodes v without and with the codec.
func sizes(t *testing.T, v any) (plain, coded *commonpb.Payload) {
	t.Helper()
	plain, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	coded, err = DataConverter().ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	return plain, coded
}

func encoding(p *commonpb.Payload) string { return string(p.GetMetadata()[converter.MetadataEncoding]) }

// A large payload comes back as it went in, compressed on the way.
func TestRoundTrip(t *testing.T) {
	in := batchInput(t, 883)
	p, err := DataConverter().ToPayload(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := encoding(p); got != Encoding {
		t.Fatalf("encoding %q, want %q", got, Encoding)
	}
	var back workflows.RestoreBatchInput
	if err := DataConverter().FromPayload(p, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, in) {
		t.Fatal("the batch input changed on its round trip through the codec")
	}
}

// Payloads written before the codec (the default converter's json/plain)
// still decode: one written by hand as the old worker wrote it, and the
// inputs and memos of a history recorded before the codec.
func TestPayloadsWrittenBeforeTheCodecDecode(t *testing.T) {
	old := &commonpb.Payload{
		Metadata: map[string][]byte{converter.MetadataEncoding: []byte("json/plain")},
		Data:     []byte(`{"site_id":"s1","outcome":"restored","users":3}`),
	}
	var res workflows.SiteResult
	if err := DataConverter().FromPayload(old, &res); err != nil {
		t.Fatal(err)
	}
	if res.SiteID != "s1" || res.Outcome != workflows.SiteRestored || res.Users != 3 {
		t.Fatalf("decoded %+v", res)
	}

	f, err := os.Open("../../workflows/testdata/site_progress_memo.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var in workflows.RestoreSiteInput
	if err := DataConverter().FromPayloads(h.Events[0].GetWorkflowExecutionStartedEventAttributes().GetInput(), &in); err != nil {
		t.Fatal(err)
	}
	if in.Site.SiteID == "" || len(in.Plan.Steps)+len(in.PackedPlan) == 0 {
		t.Fatalf("recorded site input decoded as %+v", in)
	}
	memos := 0
	for _, ev := range h.Events {
		for k, p := range ev.GetWorkflowPropertiesModifiedEventAttributes().GetUpsertedMemo().GetFields() {
			var v any
			if err := DataConverter().FromPayload(p, &v); err != nil {
				t.Fatalf("recorded memo %s at event %d: %v", k, ev.GetEventId(), err)
			}
			memos++
		}
	}
	if memos == 0 {
		t.Fatal("the recorded history has no memo upsert")
	}
}

// A payload without any metadata, or of an encoding the codec does not
// know, passes through Decode unchanged.
func TestDecodeLeavesOtherPayloadsAlone(t *testing.T) {
	in := []*commonpb.Payload{
		{Data: []byte("no metadata")},
		{Metadata: map[string][]byte{converter.MetadataEncoding: []byte("binary/encrypted")}, Data: []byte{1, 2, 3}},
	}
	out, err := Codec().Decode(in)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if out[i] != in[i] {
			t.Errorf("payload %d changed: %v", i, out[i])
		}
	}
}

// A corrupt compressed payload is an error, not a silent empty value.
func TestDecodeCorrupt(t *testing.T) {
	bad := &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte(Encoding)}, Data: []byte("not zlib")}
	var s string
	if err := DataConverter().FromPayload(bad, &s); err == nil {
		t.Fatal("a corrupt binary/zlib payload decoded")
	}
}

// Small payloads (a site ID, a site's progress) stay plain JSON, readable
// without a codec server; so does a large one that does not compress.
func TestSmallPayloadsStayPlain(t *testing.T) {
	for name, v := range map[string]any{
		"site id":  "0b7f5d1e-6c1a-4f0e-9d3b-2f6f1c9a8e11",
		"progress": workflows.SiteProgress{StepsDone: 12, StepsDoneByStage: map[string]int{"catalog": 3, "identity": 4, "data": 5}, At: time.Now()},
	} {
		plain, coded := sizes(t, v)
		if encoding(coded) != "json/plain" || !bytes.Equal(coded.GetData(), plain.GetData()) {
			t.Errorf("%s: %d bytes, encoded %q; want them plain", name, len(plain.GetData()), encoding(coded))
		}
	}
	noise := make([]byte, 4*MinSize)
	rand.New(rand.NewSource(1)).Read(noise)
	p := &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte("binary/plain")}, Data: noise}
	out, err := Codec().Encode([]*commonpb.Payload{p})
	if err != nil {
		t.Fatal(err)
	}
	if out[0] != p {
		t.Errorf("random bytes were encoded %q; want them as they were", encoding(out[0]))
	}
}

// Large plan-like payloads shrink; the ratios are logged
// (go test -v -run TestLargePayloadsShrink ./internal/codec/).
func TestLargePayloadsShrink(t *testing.T) {
	plan, err := runbooks.Default("restore2")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		v    any
		min  float64
	}{
		{"batch input, 883 sites, restore2 plan", batchInput(t, 883), 2},
		{"site input, restore2 plan", workflows.RestoreSiteInput{BatchID: "b", Site: batchInput(t, 1).Sites[0], Plan: *plan}, 4},
		{"site result (memo), restore2", siteResult(t), 4},
	} {
		plain, coded := sizes(t, c.v)
		if encoding(coded) != Encoding {
			t.Errorf("%s: encoding %q, want %q", c.name, encoding(coded), Encoding)
			continue
		}
		ratio := float64(len(plain.GetData())) / float64(len(coded.GetData()))
		t.Logf("%s: %d -> %d bytes (%.1fx)", c.name, len(plain.GetData()), len(coded.GetData()), ratio)
		if ratio < c.min {
			t.Errorf("%s: %.1fx, want at least %.0fx", c.name, ratio, c.min)
		}
	}
}

// remoteStub stands for a remote codec (an encryption service): it wraps
// each payload whole, records what it was given, and unwraps.
type remoteStub struct{ saw []string }

func (r *remoteStub) Encode(ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(ps))
	for i, p := range ps {
		r.saw = append(r.saw, encoding(p))
		out[i] = &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte("binary/remote")},
			Data: append([]byte(encoding(p)+"\n"), p.GetData()...)}
	}
	return out, nil
}

func (r *remoteStub) Decode(ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(ps))
	for i, p := range ps {
		if encoding(p) != "binary/remote" {
			return nil, errors.New("not a remote payload")
		}
		enc, data, _ := bytes.Cut(p.GetData(), []byte("\n"))
		out[i] = &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: enc}, Data: data}
	}
	return out, nil
}

// With a remote codec, payloads are compressed before the remote codec
// sees them, and decoded by it before they are decompressed.
func TestWithRemoteCompressesFirst(t *testing.T) {
	remote := &remoteStub{}
	dc := WithRemote(remote)
	in := batchInput(t, 50)
	p, err := dc.ToPayload(in)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(remote.saw, []string{Encoding}) {
		t.Fatalf("the remote codec was given %v, want one %s payload", remote.saw, Encoding)
	}
	var back workflows.RestoreBatchInput
	if err := dc.FromPayload(p, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, in) {
		t.Fatal("the batch input changed on its round trip through both codecs")
	}
}

// ForClient without an endpoint is DataConverter; with one, payloads go
// compressed to the remote codec (here a codec server of this codec,
// which leaves them as they are), with the namespace and the
// Authorization header, and come back whole.
func TestForClient(t *testing.T) {
	in := batchInput(t, 50)
	if p, err := ForClient("", "", "default").ToPayload(in); err != nil || encoding(p) != Encoding {
		t.Fatalf("without an endpoint: %v, %v", p.GetMetadata(), err)
	}
	var calls []string
	h := converter.NewPayloadCodecHTTPHandler(Codec())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls = append(calls, r.URL.Path+" "+r.Header.Get("X-Namespace")+" "+r.Header.Get("Authorization"))
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	dc := ForClient(srv.URL, "Bearer x", "prod")
	p, err := dc.ToPayload(in)
	if err != nil || encoding(p) != Encoding {
		t.Fatalf("with an endpoint: %v, %v", p.GetMetadata(), err)
	}
	var back workflows.RestoreBatchInput
	if err := dc.FromPayload(p, &back); err != nil || !reflect.DeepEqual(back, in) {
		t.Fatalf("round trip through the remote codec: %v", err)
	}
	if want := []string{"/encode prod Bearer x", "/decode prod Bearer x"}; !reflect.DeepEqual(calls, want) {
		t.Fatalf("remote codec calls %q, want %q", calls, want)
	}
}
