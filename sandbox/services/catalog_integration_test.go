//go:build integration

package services_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/platform/httpapi"
	"github.com/lazarus-dr/lazarus/preflight"
	"github.com/lazarus-dr/lazarus/sandbox/services"
)

// The catalog refuses what is not an ID with a 400 that names it, never a
// database error; a list over its cap with a 400 that says to chunk.
func TestCatalogLookupRefusesBadInput(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	_, err := e.client.LookupIDs(ctx, []string{siteA, "bin\x00ary"})
	if !errors.Is(err, httpapi.ErrBadRequest) || !strings.Contains(err.Error(), `ids[1] "bin\x00ary" holds a NUL byte`) || strings.Contains(err.Error(), "SQLSTATE") {
		t.Fatalf("NUL byte: %v", err)
	}
	over := make([]string, services.MaxLookupIDs+1)
	for i := range over {
		over[i] = fmt.Sprintf("%x", i)
	}
	_, err = e.client.LookupIDs(ctx, over)
	if !errors.Is(err, httpapi.ErrBadRequest) || !strings.Contains(err.Error(), "at most 100000 per lookup: look the list up in chunks") {
		t.Fatalf("over the cap: %v", err)
	}
}

// The preflight looks a list longer than the catalog's cap up in chunks
// and summarises it; an ID in the wrong letter case gets the known one.
func TestPreflightOverTheCatalogCap(t *testing.T) {
	e := start(t)
	ids := []string{siteDel, appA1, siteA, strings.ToUpper(siteDel)}
	for i := 0; len(ids) < services.MaxLookupIDs+20_000; i++ {
		ids = append(ids, fmt.Sprintf("44444444-0000-4000-8000-%012d", i))
	}
	t0 := time.Now()
	_, err := preflight.Check(context.Background(), e.client, preflight.Request{IDs: ids, RestoreOffset: 5 * time.Minute})
	t.Logf("%d IDs checked against the catalog in %s", len(ids), time.Since(t0).Round(time.Millisecond))
	r, ok := preflight.AsRefused(err)
	if !ok {
		t.Fatalf("want a refusal, got %v", err)
	}
	if got, want := r.Summary(), fmt.Sprintf("%d unknown IDs, 1 app ID, 1 ID in the wrong letter case, 1 live site", len(ids)-4); got != want {
		t.Fatalf("summary %q, want %q", got, want)
	}
	want := strings.ToUpper(siteDel) + ": unknown ID; did you mean " + siteDel + "? It differs only in letter case (a deleted site)"
	if !strings.Contains(r.Error(), want) {
		t.Errorf("refusal lacks %q", want)
	}
}
