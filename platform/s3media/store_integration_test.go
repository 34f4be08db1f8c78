//go:build integration

package s3media_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/platform/s3media"
	"github.com/lazarus-dr/lazarus/platform/s3media/s3test"
)

// waitTick makes sure the next write gets a later LastModified than the last
// (some servers keep second precision).
func waitTick() { time.Sleep(1100 * time.Millisecond) }

func TestUndeleteRestoresVersionsCurrentAtPoint(t *testing.T) {
	ctx := context.Background()
	m := s3test.Start(t)
	st, err := s3media.New(m)
	if err != nil {
		t.Fatal(err)
	}
	site, other := "s-1", "s-2"
	p := st.SitePrefix(site)
	// Before the point: a.txt v1; b.txt v1 then v2; c.txt created and deleted.
	s3test.Put(t, st, p+"a.txt", "a1")
	s3test.Put(t, st, p+"b.txt", "b1")
	s3test.Put(t, st, p+"c.txt", "c1")
	s3test.Put(t, st, st.SitePrefix(other)+"x.txt", "x1")
	waitTick()
	s3test.Put(t, st, p+"b.txt", "b2")
	s3test.Delete(t, st, p+"c.txt")
	waitTick()
	point := time.Now()
	waitTick()
	// After the point: a.txt overwritten (a later version), d.txt created,
	// then the deletion deletes everything of the site.
	s3test.Put(t, st, p+"a.txt", "a2-after-point")
	s3test.Put(t, st, p+"d.txt", "d-after-point")
	s3test.Put(t, st, st.SitePrefix(other)+"x.txt", "x2-after-point")
	waitTick()
	for _, k := range []string{"a.txt", "b.txt", "d.txt"} {
		s3test.Delete(t, st, p+k)
	}
	for _, k := range []string{"a.txt", "b.txt", "c.txt", "d.txt"} {
		if _, ok := s3test.Content(t, st, p+k); ok {
			t.Fatalf("%s still readable after deletion", k)
		}
	}

	h, _ := st.History(ctx, p)
	for k, es := range h {
		for _, e := range es {
			t.Logf("%s %+v", k, e)
		}
	}
	t.Logf("point %v", point)
	// Restore 1 first (copy to a new prefix): the source stays deleted.
	newP := st.SitePrefix("s-new")
	res1, err := st.Undelete(ctx, p, point, s3media.UndeleteOptions{NewPrefix: newP})
	if err != nil {
		t.Fatal(err)
	}
	if res1.Copied != 2 || res1.NotAtPoint != 2 {
		t.Fatalf("copy result %+v, want 2 copied (a, b) and 2 not at point (c, d)", res1)
	}
	want := map[string]string{"a.txt": "a1", "b.txt": "b2"}
	for k, v := range want {
		if got, ok := s3test.Content(t, st, newP+k); !ok || got != v {
			t.Errorf("new prefix %s = %q (%v), want %q", k, got, ok, v)
		}
		if _, ok := s3test.Content(t, st, p+k); ok {
			t.Errorf("copy to a new prefix restored the source key %s", k)
		}
	}
	again, err := st.Undelete(ctx, p, point, s3media.UndeleteOptions{NewPrefix: newP})
	if err != nil {
		t.Fatal(err)
	}
	if again.Changed() {
		t.Fatalf("second copy changed something: %+v", again)
	}

	// Restore 2: in place.
	res, err := st.Undelete(ctx, p, point, s3media.UndeleteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Keys != 2 {
		t.Fatalf("result %+v: want 2 keys existing at the point", res)
	}
	for k, v := range want {
		if got, ok := s3test.Content(t, st, p+k); !ok || got != v {
			t.Errorf("%s = %q (%v), want %q (the version current at the point)", k, got, ok, v)
		}
	}
	for _, k := range []string{"c.txt", "d.txt"} {
		if got, ok := s3test.Content(t, st, p+k); ok {
			t.Errorf("%s restored (%q) but it did not exist at the point", k, got)
		}
	}
	if got, _ := s3test.Content(t, st, st.SitePrefix(other)+"x.txt"); got != "x2-after-point" {
		t.Errorf("other site's object changed: %q", got)
	}
	res2, err := st.Undelete(ctx, p, point, s3media.UndeleteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Changed() || res2.AlreadyCurrent != 2 {
		t.Fatalf("second undelete: %+v, want nothing changed and 2 already current", res2)
	}
}

func TestUndeleteRejectsBadInput(t *testing.T) {
	m := s3test.Start(t)
	st, err := s3media.New(m)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := st.Undelete(ctx, "", time.Now(), s3media.UndeleteOptions{}); err == nil {
		t.Error("empty prefix accepted")
	}
	if _, err := st.Undelete(ctx, "sites/a/", time.Time{}, s3media.UndeleteOptions{}); err == nil {
		t.Error("zero point accepted")
	}
	if _, err := st.Undelete(ctx, "sites/a/", time.Now(), s3media.UndeleteOptions{NewPrefix: "sites/a/"}); err == nil {
		t.Error("new prefix equal to the source accepted")
	}
}

// Many keys: every one back, at the rate the log reports.
func TestUndeleteManyKeys(t *testing.T) {
	ctx := context.Background()
	m := s3test.Start(t)
	st, err := s3media.New(m)
	if err != nil {
		t.Fatal(err)
	}
	p := st.SitePrefix("big")
	const n = 300
	for i := 0; i < n; i++ {
		s3test.Put(t, st, fmt.Sprintf("%sjira/%d/file.txt", p, i), fmt.Sprintf("body %d", i))
	}
	waitTick()
	point := time.Now()
	waitTick()
	for i := 0; i < n; i++ {
		s3test.Delete(t, st, fmt.Sprintf("%sjira/%d/file.txt", p, i))
	}
	for _, workers := range []int{1, 8} {
		// Delete again between runs: one new marker per key.
		if workers > 1 {
			for i := 0; i < n; i++ {
				s3test.Delete(t, st, fmt.Sprintf("%sjira/%d/file.txt", p, i))
			}
		}
		began := time.Now()
		res, err := st.Undelete(ctx, p, point, s3media.UndeleteOptions{Concurrency: workers})
		if err != nil {
			t.Fatal(err)
		}
		took := time.Since(began)
		if res.Keys != n || res.MarkersRemoved != n {
			t.Fatalf("workers %d: %+v", workers, res)
		}
		t.Logf("undelete of %d keys with %d worker(s): %s (%.0f keys/s)", n, workers, took.Round(time.Millisecond), float64(n)/took.Seconds())
	}
	for i := 0; i < n; i += 37 {
		if got, ok := s3test.Content(t, st, fmt.Sprintf("%sjira/%d/file.txt", p, i)); !ok || got != fmt.Sprintf("body %d", i) {
			t.Fatalf("key %d = %q %v", i, got, ok)
		}
	}
}
