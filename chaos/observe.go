package chaos

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/lazarus-dr/lazarus/workflows"
)

// Observation is what Observe measured of a batch it followed: every
// recovery wait, longest first, and the longest that counts (a wait
// measured from an attempt the sampler saw, or any wait after a timeout);
// and, from the same histories, each action's times and the histories'
// sizes.
type Observation struct {
	Waits   []Wait `json:"waits"`
	Longest *Wait  `json:"longest,omitempty"`
	// Bounds counts the waits that do not count: quick errors whose first
	// attempt the sampler never saw (an upper bound that includes queueing).
	Bounds int `json:"upper_bounds"`
	HistoryStats
}

// Observe follows a batch that someone else starts (the demo's), the way
// the scenarios follow theirs: it waits for the batch workflow to exist,
// describes its running steps every SamplePeriod until the batch closes
// (or ctx ends), then reads every history of the batch and measures the
// recovery waits, each action's times and the histories' sizes. It never
// changes the batch.
func Observe(ctx context.Context, tc client.Client, batchID string) (Observation, error) {
	wid := workflows.BatchWorkflowID(batchID)
	b := &batch{s: &stack{tc: tc}, id: batchID, wid: wid, started: time.Now(), histories: newHistoryTally(wid)}
	sm := newSampler()
	sctx, stopSampling := context.WithCancel(ctx)
	go sm.sample(sctx, b)
	for ctx.Err() == nil {
		if done, err := b.closed(ctx); err == nil && done {
			break
		}
		sleep(ctx, SamplePeriod)
	}
	stopSampling()
	// Read the histories even when ctx ended: what ran so far is measured.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer cancel()
	waits, err := b.batchWaits(rctx, time.Now(), sm)
	if err != nil {
		return Observation{}, fmt.Errorf("measure the recovery waits of batch %s: %w", batchID, err)
	}
	o := Observation{Waits: waits, Bounds: countBounds(waits), HistoryStats: b.histories.stats()}
	for i := range waits {
		if waits[i].counts() {
			o.Longest = &waits[i]
			break
		}
	}
	return o, nil
}

// Line is the observation in one line, for a summary.
func (o Observation) Line() string {
	if o.Longest == nil {
		return fmt.Sprintf("no step had to recover (%d quick retries not counted)", o.Bounds)
	}
	return fmt.Sprintf("longest %s (%s); %d steps recovered, %d quick retries not counted",
		o.Longest.Took.Round(100*time.Millisecond), o.Longest, len(o.Waits)-o.Bounds, o.Bounds)
}
