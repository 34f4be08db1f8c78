package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.temporal.io/api/serviceerror"
)

func TestRetryTransientTriesAgainOnlyWhatMaySucceed(t *testing.T) {
	calls := 0
	err := retryTransient(context.Background(), func() error {
		calls++
		if calls < 3 {
			return fmt.Errorf("batch workflow x: %w", context.DeadlineExceeded)
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("deadline twice then success: err %v after %d calls, want nil after 3", err, calls)
	}
	calls = 0
	notFound := serviceerror.NewNotFound("no such workflow")
	if err := retryTransient(context.Background(), func() error { calls++; return notFound }); !errors.Is(err, notFound) || calls != 1 {
		t.Fatalf("not found: err %v after %d calls, want it at once", err, calls)
	}
	if !transient(serviceerror.NewUnavailable("busy")) || transient(errors.New("bad input")) {
		t.Fatal("unavailable is transient; a plain error is not")
	}
}
