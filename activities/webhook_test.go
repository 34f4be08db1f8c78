package activities

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/platform"
)

// hookServer is a real HTTP endpoint that answers each call with the
// status and body its test sets, and records what it was sent.
type hookServer struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	ctype  string
	body   string
	delay  time.Duration
	calls  []hookCall
}

type hookCall struct {
	key, ctype string
	body       contract.WebhookRequest
}

func newHookServer(t *testing.T) *hookServer {
	h := &hookServer{status: 200, ctype: "application/json"}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var c hookCall
		c.key, c.ctype = r.Header.Get(contract.HeaderIdempotencyKey), r.Header.Get("Content-Type")
		if err := json.NewDecoder(r.Body).Decode(&c.body); err != nil || r.Method != http.MethodPost {
			t.Errorf("webhook got %s with %v", r.Method, err)
		}
		h.mu.Lock()
		h.calls = append(h.calls, c)
		status, ctype, body, delay := h.status, h.ctype, h.body, h.delay
		h.mu.Unlock()
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) answer(status int, ctype, body string) {
	h.mu.Lock()
	h.status, h.ctype, h.body = status, ctype, body
	h.mu.Unlock()
}

func (h *hookServer) host() string { u, _ := url.Parse(h.URL); return u.Host }

// hookActivities are the activities with a description naming the server
// as webhook "billing" (and another, "audit").
func hookActivities(h *hookServer, timeout time.Duration) *Activities {
	d := testDescription()
	d.Webhooks = []platform.Webhook{{Name: "billing", URL: h.URL + "/hooks/restore", Timeout: timeout}, {Name: "audit", URL: "http://audit.invalid/x"}}
	return New(Deps{Description: d})
}

func hookInput() contract.StepInput {
	return contract.StepInput{BatchID: "b1", SiteID: "s1", StepID: "notify", Action: contract.ActionWebhook, Runbook: "plug",
		Params:       map[string]string{"webhook": "billing", "ticket": "INC-1"},
		RestorePoint: time.Date(2026, 3, 1, 10, 0, 0, 0, time.FixedZone("x", 3600)),
		Vars:         contract.Vars{contract.VarNewSiteID: "s1-new"}}
}

// A 2xx answer is done: the body carries the step, the key is
// batch/site/step, and the answer's message and outputs are the step's.
func TestWebhookDone(t *testing.T) {
	h := newHookServer(t)
	h.answer(200, "application/json", `{"message":"invoice reopened","outputs":{"invoice":"INV-9"}}`)
	f := hookActivities(h, 0).Funcs()[contract.ActionWebhook]
	out, err := f(context.Background(), hookInput())
	if err != nil {
		t.Fatal(err)
	}
	if out.Message != "invoice reopened" || out.Values["invoice"] != "INV-9" {
		t.Errorf("output %+v", out)
	}
	c := h.calls[0]
	b := c.body
	if c.key != "b1/s1/notify" || c.ctype != "application/json" {
		t.Errorf("key %q, content type %q", c.key, c.ctype)
	}
	if b.SiteID != "s1" || b.AsSiteID != "s1-new" || b.BatchID != "b1" || b.StepID != "notify" || b.Runbook != "plug" ||
		b.RestorePoint == nil || !b.RestorePoint.Equal(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)) ||
		len(b.Params) != 1 || b.Params["ticket"] != "INC-1" {
		t.Errorf("body %+v", b)
	}
	// Every attempt of the step sends the same key.
	if _, err := f(context.Background(), hookInput()); err != nil || h.calls[1].key != c.key {
		t.Errorf("second call: %v, key %q", err, h.calls[1].key)
	}
}

// 409 is "already done"; a 204 or a body that is not JSON is done too.
func TestWebhookAlreadyDoneAndPlainAnswers(t *testing.T) {
	h := newHookServer(t)
	a := hookActivities(h, 0)
	for _, tc := range []struct {
		status      int
		ctype, body string
		msg         string
	}{
		{409, "application/json", `{"error":"duplicate key"}`, "duplicate key"},
		{409, "text/plain", "dup", "webhook billing: already done (409)"},
		{204, "", "", "webhook billing answered 204"},
		{200, "text/html", "<html>ok</html>", "webhook billing answered 200"},
	} {
		h.answer(tc.status, tc.ctype, tc.body)
		out, err := a.Webhook(context.Background(), hookInput())
		if err != nil || out.Message != tc.msg {
			t.Errorf("%d %s: %q, %v; want %q", tc.status, tc.ctype, out.Message, err, tc.msg)
		}
	}
}

// Any other 4xx and a redirect are refused for good, in one line with the
// webhook, its host, the status and a JSON answer's message, never the raw
// body; 5xx, 408 and 429 are retried.
func TestWebhookStatuses(t *testing.T) {
	h := newHookServer(t)
	f := hookActivities(h, 0).Funcs()[contract.ActionWebhook]
	host := h.host()
	for _, tc := range []struct {
		status      int
		ctype, body string
		permanent   bool
		want        string
	}{
		{422, "application/json", `{"message":"no customer for site s1"}`, true, "webhook billing (" + host + ") answered 422 Unprocessable Entity: no customer for site s1"},
		{403, "text/html", "<html><body>Forbidden by proxy SECRET</body></html>", true, "webhook billing (" + host + ") answered 403 Forbidden"},
		{302, "text/html", "moved", true, "answered 302 Found (the webhook URL must be the endpoint itself"},
		{503, "application/json", `{"message":"maintenance"}`, false, "answered 503 Service Unavailable: maintenance"},
		{500, "text/plain", "panic: runtime error at main.go:12", false, "answered 500 Internal Server Error"},
		{429, "", "", false, "answered 429 Too Many Requests"},
		{408, "", "", false, "answered 408 Request Timeout"},
	} {
		h.answer(tc.status, tc.ctype, tc.body)
		_, err := f(context.Background(), hookInput())
		if err == nil {
			t.Errorf("%d: no error", tc.status)
			continue
		}
		msg := err.Error()
		if IsPermanent(err) != tc.permanent || !strings.Contains(msg, tc.want) || !strings.HasPrefix(msg, "webhook: site s1, step notify") {
			t.Errorf("%d: permanent %v, %q; want permanent %v and %q", tc.status, IsPermanent(err), msg, tc.permanent, tc.want)
		}
		if strings.Contains(msg, "SECRET") || strings.Contains(msg, "panic") || strings.Contains(msg, "\n") {
			t.Errorf("%d: raw body in %q", tc.status, msg)
		}
		wantType := ErrWebhookUnavailable
		if tc.permanent {
			wantType = ErrWebhookRefused
		}
		if ErrorType(err) != wantType {
			t.Errorf("%d: type %q, want %q", tc.status, ErrorType(err), wantType)
		}
	}
}

// No answer within the webhook's timeout is retried, and the call
// heartbeats while it waits; a server that is gone is retried too.
func TestWebhookTimeoutAndNoServer(t *testing.T) {
	h := newHookServer(t)
	h.delay = 5 * time.Second
	a := hookActivities(h, 300*time.Millisecond)
	a.d.HeartbeatEvery = 20 * time.Millisecond
	b := countBeats(a)
	start := time.Now()
	_, err := a.Webhook(context.Background(), hookInput())
	if err == nil || IsPermanent(err) || !strings.Contains(err.Error(), "webhook billing ("+h.host()+"): no answer within 300ms") {
		t.Fatalf("slow webhook: %v", err)
	}
	if took := time.Since(start); took > patience {
		t.Errorf("the timeout took %s", took)
	}
	if n := b.count(); n < 2 {
		t.Errorf("%d heartbeats while waiting", n)
	}
	h.Close()
	_, err = a.Webhook(context.Background(), hookInput())
	if err == nil || IsPermanent(err) || !strings.Contains(err.Error(), "webhook billing ("+h.host()+"): cannot call it: ") {
		t.Errorf("gone webhook: %v", err)
	}
}

// An unknown webhook name, a bad URL and a drill without a new ID are
// refused before any call.
func TestWebhookRefusedBeforeCalling(t *testing.T) {
	h := newHookServer(t)
	a := hookActivities(h, 0)
	in := hookInput()
	in.Params["webhook"] = "bililng"
	_, err := a.Webhook(context.Background(), in)
	if !IsPermanent(err) || !strings.Contains(err.Error(), `param webhook "bililng" names no webhook of the platform description (webhooks: audit, billing)`) {
		t.Errorf("unknown webhook: %v", err)
	}
	a.d.Description.Webhooks[0].URL = "ftp://x/y"
	in.Params["webhook"] = "billing"
	if _, err := a.Webhook(context.Background(), in); !IsPermanent(err) || !strings.Contains(err.Error(), `webhook billing: url "ftp://x/y" is not an http(s) URL`) {
		t.Errorf("bad url: %v", err)
	}
	in = hookInput()
	in.Drill, in.Vars = true, nil
	if _, err := hookActivities(h, 0).Webhook(context.Background(), in); ErrorType(err) != ErrDrillWritesLive {
		t.Errorf("drill without a new ID: %v", err)
	}
	if len(h.calls) != 0 {
		t.Errorf("%d calls made", len(h.calls))
	}
}
