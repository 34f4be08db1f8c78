package services

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestStartRejectsBadConfigListingEveryProblem(t *testing.T) {
	_, err := Start(context.Background(), Config{CatalogDSN: "x", Ports: Ports{Vendors: 70000}, Shards: map[string]string{"shard_1": ""}})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"AuditDSN is empty", "VendorsDSN is empty", "SearchDSN is empty", "IdentityDSN is empty",
		"FlagsDSN is empty", `shard "shard_1" has an empty DSN`, "port 70000 of vendors"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "CatalogDSN") {
		t.Errorf("CatalogDSN was given: %v", err)
	}
}

func TestVendorDelayIsDeterministicAndAboutAFifth(t *testing.T) {
	slow := 0
	for i := 0; i < 5000; i++ {
		id := "app-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + time.Duration(i).String()
		d := VendorDelay(id)
		if d != VendorDelay(id) {
			t.Fatal("not deterministic")
		}
		if d != 0 {
			slow++
			if d < 2*time.Second || d > 5*time.Second {
				t.Fatalf("delay %s out of 2s..5s", d)
			}
		}
	}
	if slow < 800 || slow > 1200 {
		t.Fatalf("%d of 5000 slow, want about 1000", slow)
	}
}
