package services

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
)

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]bool{"ok": true}) })
}

func TestFaultOutageAnswers503AndLiftingItRestores(t *testing.T) {
	fs := newFaultSet(1)
	h := fs.middleware(Catalog, okHandler())
	if err := fs.set(Catalog, Fault{Outage: true}); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/sites/x", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "outage") || rec.Header().Get("X-Lazarus-Fault") != "injected" {
		t.Fatalf("outage: got %d %q", rec.Code, rec.Body.String())
	}
	if err := fs.set(Catalog, Fault{}); err != nil {
		t.Fatal(err)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/sites/x", nil))
	if rec.Code != 200 {
		t.Fatalf("after lifting the outage: %d", rec.Code)
	}
}

func TestFaultErrorRateIsObservedAndDeterministic(t *testing.T) {
	run := func(seed int64) []int {
		fs := newFaultSet(seed)
		if err := fs.set(Vendors, Fault{ErrorRate: 0.3}); err != nil {
			t.Fatal(err)
		}
		h := fs.middleware(Vendors, okHandler())
		var codes []int
		for i := 0; i < 2000; i++ {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			codes = append(codes, rec.Code)
		}
		st := fs.snapshot()[Vendors].Stats
		if st.Requests != 2000 {
			t.Fatalf("requests counted %d", st.Requests)
		}
		return codes
	}
	a, b := run(7), run(7)
	errs := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, request %d: %d vs %d", i, a[i], b[i])
		}
		if a[i] == 500 {
			errs++
		}
	}
	rate := float64(errs) / float64(len(a))
	if math.Abs(rate-0.3) > 0.04 {
		t.Fatalf("observed error rate %.3f, want about 0.3", rate)
	}
	c := run(8)
	same := true
	for i := range a {
		if a[i] != c[i] {
			same = false
			break
		}
	}
	if same {
		t.Fatal("another seed gave the very same failures")
	}
}

func TestFaultLatencyIsAdded(t *testing.T) {
	fs := newFaultSet(1)
	if err := fs.set(Search, Fault{LatencyMS: 60}); err != nil {
		t.Fatal(err)
	}
	h := fs.middleware(Search, okHandler())
	start := time.Now()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if d := time.Since(start); d < 60*time.Millisecond || rec.Code != 200 {
		t.Fatalf("latency: %s, code %d", d, rec.Code)
	}
}

func TestFaultValidation(t *testing.T) {
	fs := newFaultSet(1)
	for _, tc := range []struct {
		svc  string
		f    Fault
		want string
	}{
		{Catalog, Fault{ErrorRate: 1.5}, "error_rate 1.5 is not in 0..1"},
		{Catalog, Fault{LatencyMS: -1}, "latency_ms -1"},
		{"nosuch", Fault{}, "no such service"},
		{Admin, Fault{}, "no such service"},
	} {
		err := fs.set(tc.svc, tc.f)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("set(%s, %+v) = %v, want %q", tc.svc, tc.f, err, tc.want)
		}
	}
}

func TestAdminFaultsAPI(t *testing.T) {
	s := &Server{faults: newFaultSet(1), log: zap.NewNop()}
	srv := httptest.NewServer(s.adminHandler())
	defer srv.Close()
	req, _ := http.NewRequest("PUT", srv.URL+"/v1/faults/flags", strings.NewReader(`{"error_rate":0.5,"latency_ms":10,"outage":true}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("PUT fault: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest("PUT", srv.URL+"/v1/faults/flags", strings.NewReader(`{"error_rate":2}`))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var eb errorBody
	_ = json.NewDecoder(resp.Body).Decode(&eb)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(eb.Error, "error_rate 2 is not in 0..1") {
		t.Fatalf("bad fault: %d %q", resp.StatusCode, eb.Error)
	}
	resp, err = http.Get(srv.URL + "/v1/faults")
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]FaultState
	_ = json.NewDecoder(resp.Body).Decode(&all)
	resp.Body.Close()
	if !all[Flags].Outage || all[Flags].ErrorRate != 0.5 || all[Flags].LatencyMS != 10 || len(all) != 7 {
		t.Fatalf("faults: %+v", all)
	}
	if _, ok := all[Admin]; ok {
		t.Fatal("admin must not be listed: it never suffers faults")
	}
	// verify-site without a hook: 501; with bad input: 400.
	resp, _ = http.Post(srv.URL+"/v1/verify-site", "application/json", strings.NewReader(`{"site_id":"a","point":"2026-01-01T00:00:00Z"}`))
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotImplemented {
		t.Fatalf("verify without hook: %d", resp.StatusCode)
	}
	resp, _ = http.Post(srv.URL+"/v1/verify-site", "application/json", strings.NewReader(`{"site_id":"a"}`))
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("verify without point: %d", resp.StatusCode)
	}
}

func TestFaultRefusesOnlyTheListedSitesWithAPermanent4xx(t *testing.T) {
	fs := newFaultSet(1)
	const bad, good = "6f1c0d2e-bad0-4000-8000-000000000001", "6f1c0d2e-0000-4000-8000-000000000002"
	if err := fs.set(Vendors, Fault{RefuseSites: []string{bad}}); err != nil {
		t.Fatal(err)
	}
	var seen string
	h := fs.middleware(Vendors, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := new(strings.Builder)
		_, _ = io.Copy(b, r.Body)
		seen = b.String()
		writeJSON(w, 200, map[string]bool{"ok": true})
	}))
	for _, tc := range []struct {
		name, method, target, body string
		want                       int
	}{
		{"path segment", "POST", "/v1/sites/" + bad + "/reindex", `{"product":"jira"}`, http.StatusUnprocessableEntity},
		{"query value", "GET", "/v1/installations?site_id=" + bad, "", http.StatusUnprocessableEntity},
		{"JSON body", "POST", "/v1/reattach", `{"app_id":"a1","site_id":"` + bad + `"}`, http.StatusUnprocessableEntity},
		{"other site, path", "POST", "/v1/sites/" + good + "/reindex", `{"product":"jira"}`, 200},
		{"other site, body", "POST", "/v1/reattach", `{"app_id":"a1","site_id":"` + good + `"}`, 200},
		{"ID as a prefix only", "GET", "/v1/sites/" + bad + "x", "", 200},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body)))
		if rec.Code != tc.want {
			t.Errorf("%s: %d %q, want %d", tc.name, rec.Code, rec.Body.String(), tc.want)
			continue
		}
		if tc.want != 200 {
			if !strings.Contains(rec.Body.String(), "vendors: site "+bad+" refused") || rec.Header().Get("X-Lazarus-Fault") != "injected" {
				t.Errorf("%s: refusal %q does not name the service and the site", tc.name, rec.Body.String())
			}
		} else if seen != tc.body {
			t.Errorf("%s: the handler read body %q, want %q", tc.name, seen, tc.body)
		}
	}
	if st := fs.snapshot()[Vendors].Stats; st.Refused != 3 || st.Requests != 6 || st.Errors != 0 {
		t.Fatalf("stats %+v, want 3 refused of 6 requests", st)
	}
	// An outage wins over a refusal; a chosen status is kept.
	if err := fs.set(Vendors, Fault{RefuseSites: []string{bad}, RefuseStatus: http.StatusGone, Outage: true}); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/sites/"+bad, nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("outage and refusal: %d, want 503", rec.Code)
	}
	if err := fs.set(Vendors, Fault{RefuseSites: []string{bad}, RefuseStatus: http.StatusGone}); err != nil {
		t.Fatal(err)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/sites/"+bad, nil))
	if rec.Code != http.StatusGone {
		t.Fatalf("refuse_status 410: got %d", rec.Code)
	}
}

func TestFaultRefusalValidation(t *testing.T) {
	fs := newFaultSet(1)
	for _, tc := range []struct {
		f    Fault
		want string
	}{
		{Fault{RefuseSites: []string{"s"}, RefuseStatus: 500}, "refuse_status 500 is not a permanent 4xx"},
		{Fault{RefuseSites: []string{"s"}, RefuseStatus: 429}, "refuse_status 429 is not a permanent 4xx"},
		{Fault{RefuseSites: []string{"s"}, RefuseStatus: 408}, "refuse_status 408 is not a permanent 4xx"},
		{Fault{RefuseStatus: 422}, "refuse_status 422 without refuse_sites"},
		{Fault{RefuseSites: []string{""}}, "refuse_sites holds an empty site ID"},
	} {
		err := fs.set(Search, tc.f)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("set(%+v) = %v, want %q", tc.f, err, tc.want)
		}
	}
	if err := fs.set(Search, Fault{RefuseSites: []string{"s"}, RefuseStatus: 404}); err != nil {
		t.Fatalf("a 404 refusal: %v", err)
	}
}

func TestAdminFaultsAPIRefusesASite(t *testing.T) {
	s := &Server{faults: newFaultSet(1), log: zap.NewNop()}
	srv := httptest.NewServer(s.adminHandler())
	defer srv.Close()
	req, _ := http.NewRequest("PUT", srv.URL+"/v1/faults/search", strings.NewReader(`{"refuse_sites":["site-1"],"refuse_status":410}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var st FaultState
	_ = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(st.RefuseSites) != 1 || st.RefuseSites[0] != "site-1" || st.RefuseStatus != 410 {
		t.Fatalf("PUT refusal: %d %+v", resp.StatusCode, st)
	}
	req, _ = http.NewRequest("DELETE", srv.URL+"/v1/faults", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]FaultState
	_ = json.NewDecoder(resp.Body).Decode(&all)
	resp.Body.Close()
	if len(all[Search].RefuseSites) != 0 {
		t.Fatalf("after DELETE /v1/faults the refusal stays: %+v", all[Search])
	}
}
