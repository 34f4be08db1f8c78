package main

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/api/serviceerror"
)

// Temporal can answer slowly when its persistence is overloaded (the dev
// server's SQLite under a large batch): a call that times out or finds the
// server unavailable is tried again, so that a watch or a report does not
// give up on a batch that is still running.
const (
	transientTries = 6
	transientPause = 2 * time.Second
)

// transient says whether a call to Temporal may succeed if tried again.
func transient(err error) bool {
	if err == nil {
		return false
	}
	var unavailable *serviceerror.Unavailable
	var exhausted *serviceerror.ResourceExhausted
	var deadline *serviceerror.DeadlineExceeded
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &unavailable) ||
		errors.As(err, &exhausted) || errors.As(err, &deadline)
}

// retryTransient calls f until it succeeds, fails for good, or has failed
// transientTries times in a row with transient errors (pausing between
// tries, longer each time). ctx ending stops it.
func retryTransient(ctx context.Context, f func() error) error {
	var err error
	for i := 1; ; i++ {
		if err = f(); !transient(err) || i == transientTries || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(i) * transientPause):
		}
	}
}
