package services

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Fault is what a service suffers, changeable at run time through the admin
// API (PUT /v1/faults/{service}).
type Fault struct {
	// ErrorRate is the share of requests answered 500, in 0..1.
	ErrorRate float64 `json:"error_rate"`
	// LatencyMS is added before every request is served.
	LatencyMS int `json:"latency_ms"`
	// Outage answers every request 503.
	Outage bool `json:"outage"`
}

// Validate names what is wrong with a fault.
func (f Fault) Validate() error {
	if f.ErrorRate < 0 || f.ErrorRate > 1 {
		return fmt.Errorf("error_rate %v is not in 0..1", f.ErrorRate)
	}
	if f.LatencyMS < 0 || f.LatencyMS > 600_000 {
		return fmt.Errorf("latency_ms %d is not in 0..600000", f.LatencyMS)
	}
	return nil
}

// FaultStats counts what the fault layer did to one service's requests.
type FaultStats struct {
	Requests int64 `json:"requests"`
	Errors   int64 `json:"errors"`
	Outages  int64 `json:"outages"`
}

// FaultState is one service's fault and its counters (GET /v1/faults).
type FaultState struct {
	Fault
	Stats FaultStats `json:"stats"`
}

type serviceFault struct {
	fault Fault
	rng   *rand.Rand
	stats FaultStats
}

// faultSet holds every service's fault with a deterministic random source
// per service, so a given seed and request sequence fails the same way.
type faultSet struct {
	mu  sync.Mutex
	per map[string]*serviceFault
}

func newFaultSet(seed int64) *faultSet {
	fs := &faultSet{per: map[string]*serviceFault{}}
	for _, name := range AllServices {
		h := fnv.New64a()
		_, _ = h.Write([]byte(name))
		fs.per[name] = &serviceFault{rng: rand.New(rand.NewPCG(uint64(seed), h.Sum64()))}
	}
	return fs
}

func (fs *faultSet) set(service string, f Fault) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("fault for %s: %w", service, err)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	sf, ok := fs.per[service]
	if !ok || service == Admin {
		return fmt.Errorf("fault for %s: no such service (one of catalog, identity, flags, apps, vendors, search, frontdoor)", service)
	}
	sf.fault = f
	sf.stats = FaultStats{}
	return nil
}

func (fs *faultSet) snapshot() map[string]FaultState {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := map[string]FaultState{}
	for name, sf := range fs.per {
		if name == Admin {
			continue
		}
		out[name] = FaultState{Fault: sf.fault, Stats: sf.stats}
	}
	return out
}

// decide draws the fate of one request: latency to add and the status to
// answer instead of serving (0 to serve).
func (fs *faultSet) decide(service string) (time.Duration, int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	sf := fs.per[service]
	sf.stats.Requests++
	lat := time.Duration(sf.fault.LatencyMS) * time.Millisecond
	if sf.fault.Outage {
		sf.stats.Outages++
		return lat, http.StatusServiceUnavailable
	}
	if sf.fault.ErrorRate > 0 && sf.rng.Float64() < sf.fault.ErrorRate {
		sf.stats.Errors++
		return lat, http.StatusInternalServerError
	}
	return lat, 0
}

func (fs *faultSet) middleware(service string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lat, status := fs.decide(service)
		if lat > 0 {
			t := time.NewTimer(lat)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if status != 0 {
			w.Header().Set("X-Lazarus-Fault", "injected")
		}
		switch status {
		case http.StatusServiceUnavailable:
			writeError(w, status, fmt.Errorf("%s: outage (injected fault)", service))
			return
		case http.StatusInternalServerError:
			writeError(w, status, fmt.Errorf("%s: internal error (injected fault)", service))
			return
		}
		next.ServeHTTP(w, r)
	})
}
