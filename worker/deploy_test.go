package worker

// The deployment files' tests (docker-compose.yml, deploy/) are in package
// deploy (deploy/deploy_test.go); these are the worker's configuration's.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "w.yaml")
	os.WriteFile(good, []byte("default: {max_concurrent_activities: 50}\nservices:\n  db: {max_concurrent_activities: 4, activities_per_second: 10}\n  vendors: {activities_per_second: 25}\n"), 0o644)
	c, err := LoadConfig(good)
	if err != nil {
		t.Fatal(err)
	}
	if l := c.LimitsFor("db"); l.MaxConcurrentActivities != 4 || l.ActivitiesPerSecond != 10 {
		t.Errorf("db %+v", l)
	}
	if l := c.LimitsFor("vendors"); l.MaxConcurrentActivities != 50 || l.ActivitiesPerSecond != 25 {
		t.Errorf("vendors %+v", l)
	}
	if l := c.LimitsFor("search"); l.MaxConcurrentActivities != 50 {
		t.Errorf("search %+v", l)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("services:\n  db: {max_concurrent_activities: -1, activities_per_second: -2}\n"), 0o644)
	_, err = LoadConfig(bad)
	if err == nil || !strings.Contains(err.Error(), "max_concurrent_activities -1") || !strings.Contains(err.Error(), "activities_per_second -2") {
		t.Errorf("bad config: %v", err)
	}
	unknown := filepath.Join(dir, "unknown.yaml")
	os.WriteFile(unknown, []byte("servces: {}\n"), 0o644)
	if _, err := LoadConfig(unknown); err == nil || !strings.Contains(err.Error(), "servces") {
		t.Errorf("unknown field: %v", err)
	}
}

func TestFlagsOverrideConfig(t *testing.T) {
	f := Flags{LogLevel: "info", Limits: map[string]int{"db": 3}, Rates: map[string]string{"vendors": "12.5"}}
	o, _, err := f.Options()
	if err != nil {
		t.Fatal(err)
	}
	if o.Config.LimitsFor("db").MaxConcurrentActivities != 3 || o.Config.LimitsFor("vendors").ActivitiesPerSecond != 12.5 {
		t.Errorf("%+v", o.Config)
	}
	f.Rates = map[string]string{"vendors": "fast"}
	if _, _, err := f.Options(); err == nil || !strings.Contains(err.Error(), "--rate vendors=fast") {
		t.Errorf("bad rate: %v", err)
	}
}

func TestServicesDefaultToRegistry(t *testing.T) {
	got := Options{}.Services()
	want := map[string]bool{"catalog": true, "db": true, "media": true, "vendors": true, "validate": true}
	for _, s := range got {
		delete(want, s)
		if s == "gate" {
			t.Error("gates have no task queue")
		}
	}
	if len(want) > 0 {
		t.Errorf("services %v lack %v", got, want)
	}
}
