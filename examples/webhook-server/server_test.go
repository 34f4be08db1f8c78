package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func post(t *testing.T, url, key, body string) (int, answer) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	_ = json.NewDecoder(resp.Body).Decode(&a)
	return resp.StatusCode, a
}

// The server does a key once (409 after), fails the first call of a key
// with -fail-first, refuses the sites of -refuse-sites, and lists its calls.
func TestServer(t *testing.T) {
	ts := httptest.NewServer(newServer(true, map[string]bool{"bad": true}))
	defer ts.Close()
	body := `{"site_id":"s1","as_site_id":"s1","batch_id":"b","step_id":"notify","params":{}}`
	for i, want := range []int{503, 200, 409} {
		if st, a := post(t, ts.URL+"/restore", "b/s1/notify", body); st != want {
			t.Errorf("call %d: %d %+v, want %d", i, st, a, want)
		} else if st == 200 && a.Outputs["billing.ticket"] != "T-1" {
			t.Errorf("call %d: %+v", i, a)
		}
	}
	if st, a := post(t, ts.URL, "b/bad/notify", `{"site_id":"bad","step_id":"notify"}`); st != 422 || !strings.Contains(a.Message, "no billing account for site bad") {
		t.Errorf("refused site: %d %+v", st, a)
	}
	if st, _ := post(t, ts.URL, "", body); st != 400 {
		t.Errorf("no key: %d", st)
	}
	resp, err := http.Get(ts.URL + "/calls")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var calls []call
	if err := json.NewDecoder(resp.Body).Decode(&calls); err != nil || len(calls) != 4 || calls[1].Status != 200 || calls[3].SiteID != "bad" {
		t.Errorf("calls %+v, %v", calls, err)
	}
}
