package activities

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/httpapi"
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

// flakyVendors fails every other request with a 503, and confirms an
// operation at its second answered poll.
type flakyVendors struct {
	fakeVendors
	calls, answered int
	refuse          bool
}

func (v *flakyVendors) Operation(_ context.Context, id string) (platform.VendorOperation, error) {
	v.calls++
	if v.refuse {
		return platform.VendorOperation{}, &httpapi.HTTPError{Service: "vendors", Status: 404, Message: "no such operation"}
	}
	if v.calls%2 == 1 {
		return platform.VendorOperation{}, &httpapi.HTTPError{Service: "vendors", Status: 503, Message: "try later"}
	}
	v.answered++
	return platform.VendorOperation{ID: id, Done: v.answered >= 2}, nil
}

// A poll that fails in a way that may pass is asked again, within the
// attempt; a refusal ends the attempt at once.
func TestVendorPollingRidesOutTransientErrors(t *testing.T) {
	in := contract.StepInput{BatchID: "b", SiteID: "s", StepID: "apps", Action: contract.ActionAppsReattach}
	v := &flakyVendors{}
	a := New(Deps{Description: testDescription(), Vendors: v, VendorPoll: time.Second, VendorPollInterval: time.Millisecond})
	if err := a.waitVendors(context.Background(), in, map[string]platform.VendorOperation{"app-a": {ID: "op-a"}}, 1); err != nil {
		t.Fatalf("a vendor failing every other poll with 503: %v", err)
	}
	if v.calls < 4 {
		t.Fatalf("%d polls; want the failed ones asked again", v.calls)
	}
	v = &flakyVendors{refuse: true}
	a = New(Deps{Description: testDescription(), Vendors: v, VendorPoll: time.Second, VendorPollInterval: time.Millisecond})
	if err := a.waitVendors(context.Background(), in, map[string]platform.VendorOperation{"app-a": {ID: "op-a"}}, 1); err == nil || v.calls != 1 {
		t.Fatalf("a refused poll: err %v after %d polls; want an error after 1", err, v.calls)
	}
	tries := 0
	err := a.callVendor(context.Background(), func(context.Context) error {
		tries++
		return &httpapi.HTTPError{Service: "vendors", Status: 502}
	})
	if err == nil || tries != vendorTries {
		t.Fatalf("a request failing with 502: %d tries, err %v; want %d tries and the error", tries, err, vendorTries)
	}
}
