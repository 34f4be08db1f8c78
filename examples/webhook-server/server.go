package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"sync"
	"time"
)

// step is the JSON body Lazarus POSTs (contract.WebhookRequest).
type step struct {
	SiteID       string            `json:"site_id"`
	AsSiteID     string            `json:"as_site_id"`
	BatchID      string            `json:"batch_id"`
	StepID       string            `json:"step_id"`
	Runbook      string            `json:"runbook"`
	RestorePoint *time.Time        `json:"restore_point,omitempty"`
	Params       map[string]string `json:"params"`
	Drill        bool              `json:"drill,omitempty"`
}

// answer is the JSON answer Lazarus reads (contract.WebhookAnswer).
type answer struct {
	Message string            `json:"message,omitempty"`
	Outputs map[string]string `json:"outputs,omitempty"`
}

// call is one call the server answered (GET /calls).
type call struct {
	Key    string    `json:"key"`
	SiteID string    `json:"site_id"`
	StepID string    `json:"step_id"`
	Status int       `json:"status"`
	At     time.Time `json:"at"`
}

// server records the calls and the keys it has done.
type server struct {
	failFirst bool
	refuse    map[string]bool

	mu    sync.Mutex
	seen  map[string]bool   // keys called at least once
	done  map[string]string // key -> ticket made for it
	calls []call
}

func newServer(failFirst bool, refuse map[string]bool) *server {
	return &server{failFirst: failFirst, refuse: refuse, seen: map[string]bool{}, done: map[string]string{}}
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/calls" {
		s.mu.Lock()
		defer s.mu.Unlock()
		writeJSON(w, http.StatusOK, s.calls)
		return
	}
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, answer{Message: "POST a step, or GET /calls"})
		return
	}
	key := r.Header.Get("Idempotency-Key")
	var st step
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&st); err != nil || key == "" || st.SiteID == "" {
		writeJSON(w, http.StatusBadRequest, answer{Message: "want a JSON step with site_id and an Idempotency-Key header"})
		return
	}
	status, ans := s.handle(key, st)
	log.Printf("%s site %s step %s -> %d", key, st.SiteID, st.StepID, status)
	writeJSON(w, status, ans)
}

// handle decides the answer to a step and records the call, all under
// the lock: two calls with the same key never both do the work.
func (s *server) handle(key string, st step) (int, answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	first := !s.seen[key]
	s.seen[key] = true
	status, ans := http.StatusOK, answer{}
	switch {
	case s.done[key] != "":
		status, ans = http.StatusConflict, answer{Message: "already done: " + s.done[key]}
	case s.refuse[st.SiteID]:
		status, ans = http.StatusUnprocessableEntity, answer{Message: fmt.Sprintf("no billing account for site %s", st.SiteID)}
	case s.failFirst && first:
		status, ans = http.StatusServiceUnavailable, answer{Message: "warming up: try again"}
	default:
		ticket := fmt.Sprintf("T-%d", len(s.done)+1)
		s.done[key] = ticket
		ans = answer{Message: fmt.Sprintf("billing reopened for %s (%s)", st.AsSiteID, ticket), Outputs: map[string]string{"billing.ticket": ticket}}
	}
	s.calls = append(s.calls, call{Key: key, SiteID: st.SiteID, StepID: st.StepID, Status: status, At: time.Now().UTC()})
	return status, ans
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
