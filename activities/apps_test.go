package activities

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/platform"
)

// slowVendors confirms an operation after a number of polls (never when -1).
type slowVendors struct {
	fakeVendors
	after map[string]int
	polls map[string]int
}

func (v *slowVendors) Operation(_ context.Context, id string) (platform.VendorOperation, error) {
	v.polls[id]++
	n := v.after[id]
	return platform.VendorOperation{ID: id, Done: n >= 0 && v.polls[id] >= n}, nil
}

func TestVendorPollingIsBounded(t *testing.T) {
	v := &slowVendors{after: map[string]int{"op-a": 2, "op-b": -1}, polls: map[string]int{}}
	a := New(Deps{Description: testDescription(), Vendors: v, VendorPoll: 100 * time.Millisecond, VendorPollInterval: 5 * time.Millisecond})
	in := contract.StepInput{BatchID: "b", SiteID: "s", StepID: "apps", Action: contract.ActionAppsReattach}
	began := time.Now()
	err := a.waitVendors(context.Background(), in, map[string]platform.VendorOperation{"app-a": {ID: "op-a"}, "app-b": {ID: "op-b"}}, 2)
	if err == nil || IsPermanent(err) || ErrorType(err) != ErrVendorPending {
		t.Fatalf("want a retryable %s, got %v", ErrVendorPending, err)
	}
	if took := time.Since(began); took > 2*time.Second {
		t.Fatalf("polling held the worker for %s, bound is 100ms", took)
	}
	if !strings.Contains(err.Error(), "app-b") || strings.Contains(err.Error(), "app-a") {
		t.Errorf("error %q should name the unconfirmed app-b only", err)
	}
	if v.polls["op-a"] != 2 {
		t.Errorf("op-a polled %d times after it was done", v.polls["op-a"])
	}
	v = &slowVendors{after: map[string]int{"op-a": 3}, polls: map[string]int{}}
	a = New(Deps{Description: testDescription(), Vendors: v, VendorPoll: time.Second, VendorPollInterval: time.Millisecond})
	if err := a.waitVendors(context.Background(), in, map[string]platform.VendorOperation{"app-a": {ID: "op-a"}}, 1); err != nil {
		t.Fatalf("slow but confirming vendor: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	v = &slowVendors{after: map[string]int{"op-a": -1}, polls: map[string]int{}}
	a = New(Deps{Description: testDescription(), Vendors: v, VendorPoll: time.Minute, VendorPollInterval: time.Millisecond})
	if err := a.waitVendors(ctx, in, map[string]platform.VendorOperation{"app-a": {ID: "op-a"}}, 1); err == nil {
		t.Fatal("a cancelled activity kept polling")
	}
}
