package preflight

import (
	"context"
	"fmt"
)

// Running says which sites a running batch already holds. A site is
// restored by one batch at a time: a second batch over it would split the
// work and report the other batch's sites as failed.
type Running interface {
	// RunningBatches answers, for each of siteIDs that a running batch
	// holds, which batch and how. Sites no running batch holds are absent.
	RunningBatches(ctx context.Context, siteIDs []string) (map[string]Holder, error)
}

// Holder is the running batch that holds a site.
type Holder struct {
	Batch string `json:"batch"`
	// Queued says the batch has not started the site yet (it waits for a
	// place in the batch's window); else the site's restore is running.
	Queued bool `json:"queued,omitempty"`
}

// RunningFunc adapts a function to Running.
type RunningFunc func(ctx context.Context, siteIDs []string) (map[string]Holder, error)

// RunningBatches calls f.
func (f RunningFunc) RunningBatches(ctx context.Context, siteIDs []string) (map[string]Holder, error) {
	return f(ctx, siteIDs)
}

// runningUnavailable is the error of a Running that failed.
func runningUnavailable(r Running, err error) error {
	if d, ok := r.(OutageDescriber); ok {
		if line, ok := d.DescribeOutage(err); ok {
			return &Unavailable{Line: fmt.Sprintf("preflight: %s; nothing was started", line), Err: err}
		}
	}
	return &Unavailable{Line: fmt.Sprintf("preflight: could not ask which sites a running batch holds: %v; nothing was started", err), Err: err}
}
