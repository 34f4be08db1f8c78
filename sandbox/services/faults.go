package services

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
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
	// RefuseSites makes the service refuse every request about one of
	// these sites (its ID as a path segment, as a query value, or as a JSON
	// string in the body) with RefuseStatus: a permanent failure of those
	// sites alone, as when a site's data cannot be restored. Requests about
	// any other site are served as usual.
	RefuseSites []string `json:"refuse_sites,omitempty"`
	// RefuseStatus is the 4xx status of a refusal; 0 means 422.
	RefuseStatus int `json:"refuse_status,omitempty"`
}

// DefaultRefuseStatus answers a refused site when RefuseStatus is 0.
const DefaultRefuseStatus = http.StatusUnprocessableEntity

// maxScannedBody is how much of a request body a refusal looks into.
const maxScannedBody = 1 << 20

// Validate names what is wrong with a fault.
func (f Fault) Validate() error {
	if f.ErrorRate < 0 || f.ErrorRate > 1 {
		return fmt.Errorf("error_rate %v is not in 0..1", f.ErrorRate)
	}
	if f.LatencyMS < 0 || f.LatencyMS > 600_000 {
		return fmt.Errorf("latency_ms %d is not in 0..600000", f.LatencyMS)
	}
	// A refusal is permanent: 408 and 429 are answers clients retry.
	if st := f.RefuseStatus; st != 0 && (st < 400 || st > 499 || st == http.StatusRequestTimeout || st == http.StatusTooManyRequests) {
		return fmt.Errorf("refuse_status %d is not a permanent 4xx (400..499 but 408 and 429)", st)
	}
	if f.RefuseStatus != 0 && len(f.RefuseSites) == 0 {
		return fmt.Errorf("refuse_status %d without refuse_sites", f.RefuseStatus)
	}
	if slices.Contains(f.RefuseSites, "") {
		return fmt.Errorf("refuse_sites holds an empty site ID")
	}
	return nil
}

// refuseStatus is the status a refused site is answered with.
func (f Fault) refuseStatus() int {
	if f.RefuseStatus == 0 {
		return DefaultRefuseStatus
	}
	return f.RefuseStatus
}

// FaultStats counts what the fault layer did to one service's requests.
type FaultStats struct {
	Requests int64 `json:"requests"`
	Errors   int64 `json:"errors"`
	Outages  int64 `json:"outages"`
	// Refused counts the requests refused for one of RefuseSites.
	Refused int64 `json:"refused"`
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

// refused lists the sites the service refuses now (nil: none).
func (fs *faultSet) refused(service string) []string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return slices.Clone(fs.per[service].fault.RefuseSites)
}

// decide draws the fate of one request, about refusedSite when it names a
// refused site: latency to add and the status to answer instead of
// serving (0 to serve). An outage wins over a refusal, a refusal over a
// random error.
func (fs *faultSet) decide(service, refusedSite string) (time.Duration, int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	sf := fs.per[service]
	sf.stats.Requests++
	lat := time.Duration(sf.fault.LatencyMS) * time.Millisecond
	if sf.fault.Outage {
		sf.stats.Outages++
		return lat, http.StatusServiceUnavailable
	}
	if refusedSite != "" && slices.Contains(sf.fault.RefuseSites, refusedSite) {
		sf.stats.Refused++
		return lat, sf.fault.refuseStatus()
	}
	if sf.fault.ErrorRate > 0 && sf.rng.Float64() < sf.fault.ErrorRate {
		sf.stats.Errors++
		return lat, http.StatusInternalServerError
	}
	return lat, 0
}

func (fs *faultSet) middleware(service string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		site := requestAbout(r, fs.refused(service))
		lat, status := fs.decide(service, site)
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
		case 0:
			next.ServeHTTP(w, r)
			return
		}
		writeError(w, status, fmt.Errorf("%s: site %s refused: its data cannot be restored (injected fault)", service, site))
	})
}

// requestAbout returns the first of sites that r is about: a segment of
// its path, a value of its query, or a JSON string in its body (the body
// is put back for the handler). "" when there is none.
func requestAbout(r *http.Request, sites []string) string {
	if len(sites) == 0 {
		return ""
	}
	segs := strings.Split(r.URL.Path, "/")
	query := r.URL.Query()
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		body, _ = io.ReadAll(io.LimitReader(r.Body, maxScannedBody))
		r.Body = readCloser{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
	}
	for _, site := range sites {
		if slices.Contains(segs, site) || bytes.Contains(body, []byte(`"`+site+`"`)) {
			return site
		}
		for _, vs := range query {
			if slices.Contains(vs, site) {
				return site
			}
		}
	}
	return ""
}

// readCloser reads from a reader and closes the original body.
type readCloser struct {
	io.Reader
	io.Closer
}
