package pg

import (
	"testing"
	"time"
)

// Every connection gets ConnectTimeout and the limits asked for, in
// milliseconds, unless its DSN sets them itself.
func TestConnConfigAppliesDeadlines(t *testing.T) {
	cfg, err := connConfig(DSN("127.0.0.1", 5432, "", "db"), RestoreLimits)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ConnectTimeout != ConnectTimeout {
		t.Errorf("connect timeout %s, want %s", cfg.ConnectTimeout, ConnectTimeout)
	}
	want := map[string]string{"statement_timeout": "600000", "lock_timeout": "60000", "idle_in_transaction_session_timeout": "120000"}
	for k, v := range want {
		if got := cfg.RuntimeParams[k]; got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	// The DSN's own values win; Open sets no session limit.
	cfg, err = connConfig(DSN("127.0.0.1", 5432, "", "db")+"&connect_timeout=3&statement_timeout=5000", RestoreLimits)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ConnectTimeout != 3*time.Second || cfg.RuntimeParams["statement_timeout"] != "5000" || cfg.RuntimeParams["lock_timeout"] != "60000" {
		t.Errorf("DSN values overridden: %s %v", cfg.ConnectTimeout, cfg.RuntimeParams)
	}
	cfg, err = connConfig(DSN("127.0.0.1", 5432, "", "db"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, set := cfg.RuntimeParams["statement_timeout"]; set || cfg.ConnectTimeout != ConnectTimeout {
		t.Errorf("Open's config: %s %v", cfg.ConnectTimeout, cfg.RuntimeParams)
	}
	if _, err := connConfig("postgres://%zz", Limits{}); err == nil {
		t.Error("a malformed DSN parsed")
	}
}
