package worker

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/lazarus-dr/lazarus/workflows"
)

// The deployment files name the search attributes by hand; they must stay
// in step with workflows.SearchAttributeTypes.
func TestDeploymentFilesRegisterEverySearchAttribute(t *testing.T) {
	up, err := os.ReadFile(filepath.Join("..", "scripts", "up.sh"))
	if err != nil {
		t.Fatal(err)
	}
	compose, err := os.ReadFile(filepath.Join("..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, sa := range workflows.SearchAttributeTypes {
		name, typ, _ := strings.Cut(sa, "=")
		if !strings.Contains(string(up), "--search-attribute "+sa) {
			t.Errorf("scripts/up.sh does not register %s", sa)
		}
		if !strings.Contains(string(compose), "--name "+name+" --type "+typ) {
			t.Errorf("docker-compose.yml does not register %s", sa)
		}
	}
}

func TestComposeShape(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Environment map[string]string `yaml:"environment"`
			Deploy      struct {
				Replicas int `yaml:"replicas"`
			} `yaml:"deploy"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"postgresql", "temporal", "temporal-ui", "s3", "sandbox", "worker"} {
		if _, ok := doc.Services[s]; !ok {
			t.Errorf("service %s missing", s)
		}
	}
	w := doc.Services["worker"]
	if w.Deploy.Replicas < 2 || w.Environment["TEMPORAL_ADDRESS"] == "" {
		t.Errorf("worker: %+v", w)
	}
	if doc.Services["temporal"].Environment["DB"] != "postgres12" {
		t.Error("temporal is not PostgreSQL-backed")
	}
}

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
