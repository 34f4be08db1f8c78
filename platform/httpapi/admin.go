package httpapi

import (
	"context"
	"net/http"

	"github.com/lazarus-dr/lazarus/platform"
)

// Fault is what one sandbox service suffers (the admin API's shape).
type Fault struct {
	ErrorRate float64 `json:"error_rate"`
	LatencyMS int     `json:"latency_ms"`
	Outage    bool    `json:"outage"`
}

// FaultState is a fault with what the fault layer did since it was set.
type FaultState struct {
	Fault
	Stats struct {
		Requests int64 `json:"requests"`
		Errors   int64 `json:"errors"`
		Outages  int64 `json:"outages"`
	} `json:"stats"`
}

// SetFault sets a service's fault (catalog, identity, flags, apps, vendors,
// search, frontdoor) on the sandbox's admin API.
func (c *Client) SetFault(ctx context.Context, service string, f Fault) (FaultState, error) {
	var out FaultState
	if err := need("set fault", map[string]string{"service": service}); err != nil {
		return out, err
	}
	_, err := c.do(ctx, "admin", http.MethodPut, "/v1/faults/"+esc(service), f, &out)
	return out, err
}

// Faults answers every service's fault and counters.
func (c *Client) Faults(ctx context.Context) (map[string]FaultState, error) {
	var out map[string]FaultState
	_, err := c.do(ctx, "admin", http.MethodGet, "/v1/faults", nil, &out)
	return out, err
}

// ClearFaults lifts every fault.
func (c *Client) ClearFaults(ctx context.Context) error {
	_, err := c.do(ctx, "admin", http.MethodDelete, "/v1/faults", nil, nil)
	return err
}

// ProductionChecksums maps every production site to its checksum over all
// of its stores, live traffic allowed for and drill copies excluded (the
// sandbox's admin API; a drill takes them before and after).
func (c *Client) ProductionChecksums(ctx context.Context) (map[string]string, error) {
	var out map[string]string
	if _, err := c.do(ctx, "admin", http.MethodGet, "/v1/production-checksums", nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

var _ platform.Checksums = (*Client)(nil)
