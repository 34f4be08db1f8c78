package deploy

// What can be checked of the deployment files without a Docker engine or a
// Kubernetes cluster (none runs on the machines this project is built on):
// the files parse; docker-compose.yml has the shape issue 13 asks for (no
// auto-setup image, exact image tags, no `|| true`, 30 days' retention, the
// setup jobs before everything that needs them, a healthcheck on the
// worker's /readyz with a tool the image has); every file it mounts exists;
// the Prometheus and Grafana provisioning point where compose mounts things;
// the Kubernetes manifests carry what the worker needs. When a compose
// client (`docker-compose`, or `docker compose`) or kubectl is installed,
// the test also runs their offline checks (`config -q`, `kustomize`); when
// it is not, it says so in the log and checks the rest.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/workflows"
)

const root = ".."

// setupJobs are docker-compose.yml's one-shot jobs, in the order they run.
var setupJobs = []string{"temporal-schema", "temporal-namespace", "temporal-search-attributes"}

type composeFile struct {
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

type service struct {
	Image       string            `yaml:"image"`
	Build       any               `yaml:"build"`
	Entrypoint  []string          `yaml:"entrypoint"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	DependsOn   dependsOn         `yaml:"depends_on"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	NetworkMode string `yaml:"network_mode"`
	Restart     string `yaml:"restart"`
	Deploy      struct {
		Replicas int `yaml:"replicas"`
	} `yaml:"deploy"`
}

// dependsOn is depends_on in either form: a list of names (condition
// service_started) or a map of name to condition.
type dependsOn map[string]string

func (d *dependsOn) UnmarshalYAML(n *yaml.Node) error {
	*d = dependsOn{}
	switch n.Kind {
	case yaml.SequenceNode:
		var names []string
		if err := n.Decode(&names); err != nil {
			return err
		}
		for _, name := range names {
			(*d)[name] = "service_started"
		}
	case yaml.MappingNode:
		var m map[string]struct {
			Condition string `yaml:"condition"`
		}
		if err := n.Decode(&m); err != nil {
			return err
		}
		for name, c := range m {
			(*d)[name] = c.Condition
		}
	default:
		return fmt.Errorf("depends_on: line %d: neither a list nor a map", n.Line)
	}
	return nil
}

func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// readHost reads a file hostPath found ("" when compose mounts none).
func readHost(t *testing.T, p string) []byte {
	t.Helper()
	if p == "" {
		t.Fatal("compose does not mount it")
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var c composeFile
	if err := yaml.Unmarshal(readFile(t, "docker-compose.yml"), &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c
}

// hostPath is the file of the repository that compose mounts at target in
// svc's container ("" when none is).
func hostPath(svc service, target string) string {
	for _, v := range svc.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 || !strings.HasPrefix(parts[0], "./") {
			continue
		}
		if rel, ok := strings.CutPrefix(target, parts[1]); ok && (rel == "" || rel[0] == '/') {
			return filepath.Join(root, parts[0], rel)
		}
	}
	return ""
}

// yamlFiles lists docker-compose.yml and every YAML file under deploy/.
func yamlFiles(t *testing.T) []string {
	files := []string{filepath.Join(root, "docker-compose.yml")}
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// decodeAll decodes every document of a YAML file.
func decodeAll(raw []byte) ([]map[string]any, error) {
	var docs []map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if doc != nil {
			docs = append(docs, doc)
		}
	}
}

func TestDeployYAMLParses(t *testing.T) {
	files := yamlFiles(t)
	if len(files) < 8 {
		t.Errorf("only %d YAML files: %v", len(files), files)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := decodeAll(raw)
		if err != nil {
			t.Errorf("%s: %v", f, err)
		} else if len(docs) == 0 {
			t.Errorf("%s: no document", f)
		}
	}
}

func TestComposeShape(t *testing.T) {
	raw := string(readFile(t, "docker-compose.yml"))
	c := loadCompose(t)
	for _, s := range []string{"postgresql", "temporal", "temporal-ui", "s3", "sandbox", "worker", "prometheus", "grafana"} {
		if _, ok := c.Services[s]; !ok {
			t.Errorf("service %s missing", s)
		}
	}
	if strings.Contains(raw, "auto-setup") {
		t.Error("docker-compose.yml names the deprecated auto-setup image")
	}
	if strings.Contains(raw, "|| true") {
		t.Error("docker-compose.yml hides a failure with || true")
	}
	tm := c.Services["temporal"]
	if !strings.HasPrefix(tm.Image, "temporalio/server:") {
		t.Errorf("temporal runs %q, not temporalio/server", tm.Image)
	}
	if tm.Environment["DB"] != "postgres12" || tm.Environment["POSTGRES_SEEDS"] != "postgresql" {
		t.Errorf("temporal is not PostgreSQL-backed: %v", tm.Environment)
	}
	schema := c.Services["temporal-schema"]
	if !strings.HasPrefix(schema.Image, "temporalio/admin-tools:") || schema.Environment["SQL_PLUGIN"] != "postgres12" {
		t.Errorf("temporal-schema: %+v", schema)
	}
	if ui := c.Services["temporal-ui"]; !strings.HasPrefix(ui.Image, "temporalio/ui:") {
		t.Errorf("temporal-ui runs %q", ui.Image)
	}
	w := c.Services["worker"]
	if w.Deploy.Replicas < 2 || w.Environment["TEMPORAL_ADDRESS"] != "temporal:7233" {
		t.Errorf("worker: %+v", w)
	}
	// Everything runs in the one namespace the job makes.
	ns := c.Services["temporal-namespace"].Environment["NAMESPACE"]
	for _, s := range []string{"worker", "sandbox"} {
		if got := c.Services[s].Environment["TEMPORAL_NAMESPACE"]; got != ns {
			t.Errorf("%s runs in namespace %q, the job makes %q", s, got, ns)
		}
	}
	if !strings.Contains(strings.Join(c.Services["temporal-search-attributes"].Command, " "), "--namespace "+ns+" ") {
		t.Errorf("search attributes not registered in namespace %q", ns)
	}

	// The schema script sets up both stores with temporal-sql-tool.
	script := string(readFile(t, "deploy/temporal/setup-schema.sh"))
	for _, want := range []string{"temporal:temporal", "visibility:temporal_visibility", " create", "setup-schema -v 0.0", "update-schema -d", "set -eu"} {
		if !strings.Contains(script, want) {
			t.Errorf("setup-schema.sh lacks %q", want)
		}
	}
}

// Retention is 30 days, on create and on update of the namespace.
func TestComposeRetention30Days(t *testing.T) {
	c := loadCompose(t)
	job := c.Services["temporal-namespace"]
	d, err := time.ParseDuration(job.Environment["RETENTION"])
	if err != nil || d != 30*24*time.Hour {
		t.Errorf("temporal-namespace RETENTION=%q (%v), want 30 days", job.Environment["RETENTION"], err)
	}
	if len(job.Entrypoint) != 2 || job.Entrypoint[1] != "/deploy/create-namespace.sh" || hostPath(job, "/deploy/create-namespace.sh") == "" {
		t.Fatalf("temporal-namespace does not run deploy/temporal/create-namespace.sh: %v %v", job.Entrypoint, job.Volumes)
	}
	script := string(readFile(t, "deploy/temporal/create-namespace.sh"))
	for _, want := range []string{
		`retention=${RETENTION:-720h}`,
		`temporal operator namespace create --namespace "$ns" --retention "$retention"`,
		`temporal operator namespace update --namespace "$ns" --retention "$retention"`,
		"workflowExecutionRetentionTtl", "set -eu",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("create-namespace.sh lacks %q", want)
		}
	}
}

// Every shell script the stack runs fails loudly.
func TestDeployScriptsFailLoudly(t *testing.T) {
	scripts, _ := filepath.Glob("*/*.sh")
	if len(scripts) < 3 {
		t.Fatalf("scripts: %v", scripts)
	}
	for _, s := range scripts {
		raw, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(raw), "set -eu") {
			t.Errorf("%s: no set -eu", s)
		}
		if regexp.MustCompile(`\|\|\s*(true|:)\b`).Match(raw) {
			t.Errorf("%s hides a failure (|| true)", s)
		}
	}
}

func TestComposeSearchAttributes(t *testing.T) {
	c := loadCompose(t)
	job := c.Services["temporal-search-attributes"]
	cmd := strings.Join(strings.Fields(strings.Join(job.Command, " ")), " ")
	if !strings.Contains(cmd, "temporal operator search-attribute create") {
		t.Errorf("temporal-search-attributes runs %q", cmd)
	}
	for _, sa := range workflows.SearchAttributeTypes {
		name, typ, _ := strings.Cut(sa, "=")
		if !strings.Contains(cmd, "--name "+name+" --type "+typ+" ") && !strings.Contains(cmd, "--name "+name+" --type "+typ+";") {
			t.Errorf("docker-compose.yml does not register %s", sa)
		}
	}
	// scripts/up.sh gives the dev server the same list.
	up := string(readFile(t, "scripts/up.sh"))
	for _, sa := range workflows.SearchAttributeTypes {
		if !strings.Contains(up, "--search-attribute "+sa) {
			t.Errorf("scripts/up.sh does not register %s", sa)
		}
	}
	if n := strings.Count(cmd, "--name "); n != len(workflows.SearchAttributeTypes) {
		t.Errorf("compose registers %d search attributes, workflows.SearchAttributeTypes has %d", n, len(workflows.SearchAttributeTypes))
	}
	if !slices.Contains(job.Entrypoint, "-euc") {
		t.Errorf("the search-attribute job's shell does not stop on the first error: %v", job.Entrypoint)
	}
}

// The setup jobs run in order, and nothing that needs Temporal starts
// before they completed successfully.
func TestComposeSetupOrder(t *testing.T) {
	c := loadCompose(t)
	for name, s := range c.Services {
		for dep, cond := range s.DependsOn {
			if _, ok := c.Services[dep]; !ok {
				t.Errorf("%s depends on unknown service %s", name, dep)
			}
			if slices.Contains(setupJobs, dep) && cond != "service_completed_successfully" {
				t.Errorf("%s waits for job %s with %q, not service_completed_successfully", name, dep, cond)
			}
			if c.Services[dep].Healthcheck != nil && !slices.Contains(setupJobs, dep) && cond != "service_healthy" && name != "grafana" {
				t.Errorf("%s waits for %s with %q, not service_healthy", name, dep, cond)
			}
		}
	}
	for _, j := range setupJobs {
		if c.Services[j].Restart != "no" {
			t.Errorf("job %s: restart %q, want \"no\"", j, c.Services[j].Restart)
		}
	}
	want := map[string]map[string]string{
		"temporal-schema":            {"postgresql": "service_healthy"},
		"temporal":                   {"temporal-schema": "service_completed_successfully"},
		"temporal-namespace":         {"temporal": "service_healthy"},
		"temporal-search-attributes": {"temporal-namespace": "service_completed_successfully"},
	}
	for s, deps := range want {
		for dep, cond := range deps {
			if got := c.Services[s].DependsOn[dep]; got != cond {
				t.Errorf("%s depends on %s with %q, want %q", s, dep, got, cond)
			}
		}
	}
	for _, s := range []string{"sandbox", "worker"} {
		for _, j := range []string{"temporal-namespace", "temporal-search-attributes"} {
			if got := c.Services[s].DependsOn[j]; got != "service_completed_successfully" {
				t.Errorf("%s depends on %s with %q", s, j, got)
			}
		}
	}
	// The worker's dependencies reach every job.
	seen := map[string]bool{}
	var walk func(string)
	walk = func(s string) {
		for dep := range c.Services[s].DependsOn {
			if !seen[dep] {
				seen[dep] = true
				walk(dep)
			}
		}
	}
	walk("worker")
	for _, s := range append([]string{"postgresql", "temporal", "sandbox"}, setupJobs...) {
		if !seen[s] {
			t.Errorf("the worker can start before %s", s)
		}
	}
}

// Every image is pinned: our own build has a tag other than latest, every
// upstream image an exact version.
func TestImagesPinned(t *testing.T) {
	version := regexp.MustCompile(`^v?\d+\.\d+(\.\d+)?(-[\w.-]+)?$`)
	check := func(where, image string, built bool) {
		i := strings.LastIndex(image, ":")
		if i < 0 || strings.Contains(image[i:], "/") {
			t.Errorf("%s: image %q has no tag", where, image)
			return
		}
		tag := image[i+1:]
		if tag == "latest" {
			t.Errorf("%s: image %q is latest", where, image)
		}
		if !built && !version.MatchString(tag) {
			t.Errorf("%s: image %q is not an exact version", where, image)
		}
	}
	for name, s := range loadCompose(t).Services {
		if s.Image == "" {
			t.Errorf("%s has no image", name)
			continue
		}
		check("docker-compose.yml "+name, s.Image, s.Build != nil)
	}
	for _, line := range strings.Split(string(readFile(t, "Dockerfile")), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && strings.EqualFold(f[0], "FROM") {
			check("Dockerfile", f[1], false)
		}
	}
	if strings.Contains(string(readFile(t, "docker-compose.yml")), ":latest") {
		t.Error("docker-compose.yml names a latest tag")
	}
}

// The worker answers its healthcheck on /readyz with a tool its image has,
// on the port it was given.
func TestComposeWorkerHealthcheck(t *testing.T) {
	c := loadCompose(t)
	w := c.Services["worker"]
	if w.Healthcheck == nil || len(w.Healthcheck.Test) < 2 {
		t.Fatal("worker has no healthcheck")
	}
	hc := strings.Join(w.Healthcheck.Test, " ")
	if !strings.Contains(hc, "/readyz") || !strings.Contains(hc, "curl -f") {
		t.Errorf("worker healthcheck %q does not call /readyz with curl -f", hc)
	}
	// The runtime stage (after the last FROM) installs curl.
	dockerfile := string(readFile(t, "Dockerfile"))
	runtime := dockerfile[strings.LastIndex(dockerfile, "\nFROM "):]
	if !regexp.MustCompile(`apt-get install[^\n]*(\\\n[^\n]*)*\bcurl\b`).MatchString(runtime) {
		t.Error("the runtime image does not install curl for the healthcheck")
	}
	if len(w.Entrypoint) != 2 {
		t.Fatalf("worker entrypoint %v", w.Entrypoint)
	}
	script := hostPath(w, w.Entrypoint[1])
	if script == "" {
		t.Fatalf("worker runs %s, which compose does not mount", w.Entrypoint[1])
	}
	raw, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	if !strings.Contains(s, `exec lazarus-worker --metrics-address "0.0.0.0:$port" "$@"`) ||
		!strings.Contains(s, ">/tmp/lazarus-metrics-port") || !strings.Contains(hc, "/tmp/lazarus-metrics-port") {
		t.Error("the healthcheck's port is not the one the worker serves")
	}
	if w.NetworkMode != "service:sandbox" {
		t.Errorf("worker network_mode %q", w.NetworkMode)
	}

	// Prometheus scrapes the ports the script hands out, and by DNS the
	// workers with a network of their own.
	ports := regexp.MustCompile(`for p in ([\d ]+);`).FindStringSubmatch(s)
	if ports == nil {
		t.Fatal("no port list in " + script)
	}
	var prom struct {
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
			DNSSDConfigs []struct {
				Names []string `yaml:"names"`
				Type  string   `yaml:"type"`
				Port  int      `yaml:"port"`
			} `yaml:"dns_sd_configs"`
		} `yaml:"scrape_configs"`
	}
	promFile := hostPath(c.Services["prometheus"], "/etc/prometheus/prometheus.yml")
	if promFile == "" {
		t.Fatal("prometheus.yml is not mounted")
	}
	praw, err := os.ReadFile(promFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(praw, &prom); err != nil {
		t.Fatal(err)
	}
	var targets []string
	dns := false
	for _, sc := range prom.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			targets = append(targets, st.Targets...)
		}
		for _, d := range sc.DNSSDConfigs {
			if slices.Contains(d.Names, "worker") && d.Type == "A" && d.Port == 9090 {
				dns = true
			}
		}
	}
	for _, p := range strings.Fields(ports[1]) {
		if !slices.Contains(targets, "sandbox:"+p) {
			t.Errorf("Prometheus does not scrape sandbox:%s", p)
		}
	}
	if !dns {
		t.Error("Prometheus has no DNS discovery of the `worker` service on :9090")
	}
	if ep := c.Services["temporal"].Environment["PROMETHEUS_ENDPOINT"]; !slices.Contains(targets, "temporal:"+ep[strings.LastIndex(ep, ":")+1:]) {
		t.Errorf("Prometheus does not scrape the server's %s", ep)
	}
}

// Every file compose mounts from the repository exists.
func TestComposeMountsExist(t *testing.T) {
	for name, s := range loadCompose(t).Services {
		for _, v := range s.Volumes {
			src := strings.Split(v, ":")[0]
			if !strings.HasPrefix(src, "./") {
				continue
			}
			if _, err := os.Stat(filepath.Join(root, src)); err != nil {
				t.Errorf("%s mounts %s: %v", name, src, err)
			}
		}
	}
}

// The server reads the dynamic config compose mounts, and it has the
// values scripts/up.sh gives the dev server.
func TestDynamicConfig(t *testing.T) {
	tm := loadCompose(t).Services["temporal"]
	file := hostPath(tm, tm.Environment["DYNAMIC_CONFIG_FILE_PATH"])
	if file == "" || !strings.HasPrefix(tm.Environment["DYNAMIC_CONFIG_FILE_PATH"], "/") {
		t.Fatalf("DYNAMIC_CONFIG_FILE_PATH=%q is not a mounted file", tm.Environment["DYNAMIC_CONFIG_FILE_PATH"])
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var dc map[string][]struct {
		Value       any            `yaml:"value"`
		Constraints map[string]any `yaml:"constraints"`
	}
	if err := yaml.Unmarshal(raw, &dc); err != nil {
		t.Fatal(err)
	}
	up := readFile(t, "scripts/up.sh")
	values := regexp.MustCompile(`--dynamic-config-value ([\w.]+)=(\S+)`).FindAllSubmatch(up, -1)
	if len(values) == 0 {
		t.Fatal("scripts/up.sh sets no dynamic config")
	}
	for _, m := range values {
		key, want := string(m[1]), string(m[2])
		if v := dc[key]; len(v) != 1 || fmt.Sprint(v[0].Value) != want {
			t.Errorf("%s: %s = %v, scripts/up.sh gives %s", file, key, v, want)
		}
	}
}

// Grafana gets the Prometheus data source and the Lazarus dashboard.
func TestGrafanaProvisioning(t *testing.T) {
	c := loadCompose(t)
	g := c.Services["grafana"]
	var ds struct {
		Datasources []struct {
			UID  string `yaml:"uid"`
			Type string `yaml:"type"`
			URL  string `yaml:"url"`
		} `yaml:"datasources"`
	}
	dsFile := hostPath(g, "/etc/grafana/provisioning/datasources/prometheus.yaml")
	if err := yaml.Unmarshal(readHost(t, dsFile), &ds); err != nil {
		t.Fatal(err)
	}
	if len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].URL != "http://prometheus:9090" {
		t.Errorf("datasources: %+v", ds)
	}
	if _, ok := c.Services["prometheus"]; !ok {
		t.Error("no prometheus service")
	}
	var dash struct {
		Providers []struct {
			Type    string `yaml:"type"`
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	dashFile := hostPath(g, "/etc/grafana/provisioning/dashboards/lazarus.yaml")
	if err := yaml.Unmarshal(readHost(t, dashFile), &dash); err != nil {
		t.Fatal(err)
	}
	if len(dash.Providers) != 1 || dash.Providers[0].Type != "file" {
		t.Fatalf("dashboard providers: %+v", dash)
	}
	dir := hostPath(g, dash.Providers[0].Options.Path)
	if dir != filepath.Join(root, "deploy/grafana/dashboards") {
		t.Errorf("the dashboards provider reads %s, which is %q in the repository", dash.Providers[0].Options.Path, dir)
	}
	home := g.Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
	if hostPath(g, home) != filepath.Join(root, "deploy/grafana/dashboards/lazarus.json") {
		t.Errorf("home dashboard %s is not deploy/grafana/dashboards/lazarus.json", home)
	}
	// The dashboard itself (written apart from these files) is there, is
	// JSON, and names only the provisioned data source.
	raw := readFile(t, "deploy/grafana/dashboards/lazarus.json")
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("lazarus.json: %v", err)
	}
	// A dashboard exported "for sharing" names its data source through
	// __inputs (${DS_...}), which file provisioning does not resolve.
	if m, ok := v.(map[string]any); ok && m["__inputs"] != nil {
		t.Error("lazarus.json has __inputs (exported for sharing): Grafana's file provisioning does not resolve them")
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if d, ok := v["datasource"].(map[string]any); ok {
				if uid, _ := d["uid"].(string); strings.HasPrefix(uid, "${DS_") {
					t.Errorf("lazarus.json names data source %s, an export input that file provisioning does not resolve", uid)
				}
				if uid, _ := d["uid"].(string); uid != "" && !strings.HasPrefix(uid, "$") && uid != ds.Datasources[0].UID && uid != "grafana" && uid != "-- Grafana --" {
					t.Errorf("lazarus.json uses data source uid %q; the provisioned one is %q", uid, ds.Datasources[0].UID)
				}
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
}

// The compose client's own validation, where one is installed: it needs no
// engine. It checks the file against the Compose schema (keys, types,
// depends_on conditions, healthcheck form) and interpolates variables.
func TestComposeConfigValidates(t *testing.T) {
	file := filepath.Join(root, "docker-compose.yml")
	var cmd *exec.Cmd
	if _, err := exec.LookPath("docker-compose"); err == nil {
		cmd = exec.Command("docker-compose", "-f", file, "config", "-q")
	} else if exec.Command("docker", "compose", "version").Run() == nil {
		cmd = exec.Command("docker", "compose", "-f", file, "config", "-q")
	} else {
		t.Log("no compose client installed (docker-compose, docker compose): the schema validation was not run; the other tests check the file")
		return
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s: %v\n%s", cmd, err, out)
	}
}

// Prometheus's own check of its config, where promtool is installed (Debian's
// prometheus package has it): scrape and service-discovery settings.
func TestPrometheusConfigValidates(t *testing.T) {
	if _, err := exec.LookPath("promtool"); err != nil {
		t.Log("promtool is not installed: `promtool check config` was not run; the other tests check the file")
		return
	}
	out, err := exec.Command("promtool", "check", "config", "prometheus/prometheus.yml").CombinedOutput()
	if err != nil {
		t.Errorf("promtool check config: %v\n%s", err, out)
	}
}

type k8sObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
	Spec yaml.Node         `yaml:"spec"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

type deploymentSpec struct {
	Replicas int `yaml:"replicas"`
	Selector struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	} `yaml:"selector"`
	Template struct {
		Metadata struct {
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Spec struct {
			Containers []struct {
				Name    string   `yaml:"name"`
				Image   string   `yaml:"image"`
				Command []string `yaml:"command"`
				Args    []string `yaml:"args"`
				Env     []struct {
					Name      string `yaml:"name"`
					ValueFrom *struct {
						FieldRef *struct {
							FieldPath string `yaml:"fieldPath"`
						} `yaml:"fieldRef"`
					} `yaml:"valueFrom"`
				} `yaml:"env"`
				EnvFrom []struct {
					SecretRef struct {
						Name string `yaml:"name"`
					} `yaml:"secretRef"`
				} `yaml:"envFrom"`
				Ports []struct {
					Name          string `yaml:"name"`
					ContainerPort int    `yaml:"containerPort"`
				} `yaml:"ports"`
				ReadinessProbe *probe `yaml:"readinessProbe"`
				LivenessProbe  *probe `yaml:"livenessProbe"`
				VolumeMounts   []struct {
					Name      string `yaml:"name"`
					MountPath string `yaml:"mountPath"`
				} `yaml:"volumeMounts"`
			} `yaml:"containers"`
			Volumes []struct {
				Name      string `yaml:"name"`
				ConfigMap *struct {
					Name string `yaml:"name"`
				} `yaml:"configMap"`
			} `yaml:"volumes"`
		} `yaml:"spec"`
	} `yaml:"template"`
}

type serviceSpec struct {
	Selector map[string]string `yaml:"selector"`
	Ports    []struct {
		Name       string `yaml:"name"`
		Port       int    `yaml:"port"`
		TargetPort string `yaml:"targetPort"`
	} `yaml:"ports"`
}

func TestKubernetesManifests(t *testing.T) {
	var kust struct {
		Resources []string `yaml:"resources"`
		Images    []struct {
			Name   string `yaml:"name"`
			NewTag string `yaml:"newTag"`
		} `yaml:"images"`
	}
	if err := yaml.Unmarshal(readFile(t, "deploy/kubernetes/kustomization.yaml"), &kust); err != nil {
		t.Fatal(err)
	}
	objects := map[string]k8sObject{} // kind/name
	for _, r := range kust.Resources {
		dec := yaml.NewDecoder(bytes.NewReader(readFile(t, path.Join("deploy/kubernetes", r))))
		for {
			var o k8sObject
			err := dec.Decode(&o)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", r, err)
			}
			if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
				t.Errorf("%s: an object without apiVersion, kind or metadata.name", r)
			}
			objects[o.Kind+"/"+o.Metadata.Name] = o
		}
	}
	for _, tag := range kust.Images {
		if tag.NewTag == "" || tag.NewTag == "latest" {
			t.Errorf("kustomization image %s: tag %q", tag.Name, tag.NewTag)
		}
	}

	dep, ok := objects["Deployment/lazarus-worker"]
	if !ok {
		t.Fatalf("no Deployment lazarus-worker in %v", kust.Resources)
	}
	var ds deploymentSpec
	if err := dep.Spec.Decode(&ds); err != nil {
		t.Fatal(err)
	}
	for k, v := range ds.Selector.MatchLabels {
		if ds.Template.Metadata.Labels[k] != v {
			t.Errorf("the selector's %s=%s is not on the pods", k, v)
		}
	}
	if len(ds.Template.Spec.Containers) != 1 {
		t.Fatalf("containers: %+v", ds.Template.Spec.Containers)
	}
	ct := ds.Template.Spec.Containers[0]
	if !slices.Contains(ct.Command, "lazarus-worker") || !slices.Contains(ct.Args, "--metrics-address=0.0.0.0:9090") {
		t.Errorf("worker command %v %v", ct.Command, ct.Args)
	}
	if len(ct.Ports) != 1 || ct.Ports[0].Name != "metrics" || ct.Ports[0].ContainerPort != 9090 {
		t.Errorf("ports %+v", ct.Ports)
	}
	if p := ct.ReadinessProbe; p == nil || p.HTTPGet.Path != "/readyz" || p.HTTPGet.Port != "metrics" {
		t.Errorf("readiness probe %+v", p)
	}
	if p := ct.LivenessProbe; p == nil || p.HTTPGet.Path != "/livez" || p.HTTPGet.Port != "metrics" {
		t.Errorf("liveness probe %+v", p)
	}
	if len(ct.EnvFrom) != 1 || ct.EnvFrom[0].SecretRef.Name != "lazarus-temporal" {
		t.Errorf("the Temporal connection does not come from the Secret lazarus-temporal: %+v", ct.EnvFrom)
	}

	// Clones listen on the pod's IP, for the steps on other replicas.
	clone := false
	for _, e := range ct.Env {
		if e.Name == "LAZARUS_CLONE_ADDRESS" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "status.podIP" {
			clone = true
		}
	}
	if !clone {
		t.Error("LAZARUS_CLONE_ADDRESS is not the pod's IP")
	}

	// The platform description: --platform names a file of the ConfigMap's
	// mount, and the ConfigMap's example loads.
	var platformPath string
	for _, a := range ct.Args {
		if p, ok := strings.CutPrefix(a, "--platform="); ok {
			platformPath = p
		}
	}
	var cmName string
	for _, m := range ct.VolumeMounts {
		if m.MountPath == path.Dir(platformPath) {
			for _, v := range ds.Template.Spec.Volumes {
				if v.Name == m.Name && v.ConfigMap != nil {
					cmName = v.ConfigMap.Name
				}
			}
		}
	}
	cm, ok := objects["ConfigMap/"+cmName]
	if !ok {
		t.Fatalf("--platform=%s is not a mounted ConfigMap of the kustomization (%q)", platformPath, cmName)
	}
	desc, ok := cm.Data[path.Base(platformPath)]
	if !ok {
		t.Fatalf("ConfigMap %s has no key %s", cmName, path.Base(platformPath))
	}
	f := filepath.Join(t.TempDir(), "platform.yaml")
	if err := os.WriteFile(f, []byte(desc), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := platform.Load(f); err != nil {
		t.Errorf("the example platform description: %v", err)
	}

	// The metrics Service selects the worker's pods, on the metrics port.
	svc, ok := objects["Service/lazarus-worker-metrics"]
	if !ok {
		t.Fatal("no Service lazarus-worker-metrics")
	}
	var ss serviceSpec
	if err := svc.Spec.Decode(&ss); err != nil {
		t.Fatal(err)
	}
	if len(ss.Selector) == 0 {
		t.Error("the Service selects nothing")
	}
	for k, v := range ss.Selector {
		if ds.Template.Metadata.Labels[k] != v {
			t.Errorf("the Service selects %s=%s, which the pods lack", k, v)
		}
	}
	if len(ss.Ports) != 1 || ss.Ports[0].Port != 9090 || ss.Ports[0].TargetPort != "metrics" {
		t.Errorf("Service ports %+v", ss.Ports)
	}

	// The example Secret has the variables the worker reads.
	var secret struct {
		Kind       string            `yaml:"kind"`
		StringData map[string]string `yaml:"stringData"`
	}
	if err := yaml.Unmarshal(readFile(t, "deploy/kubernetes/temporal-secret.example.yaml"), &secret); err != nil {
		t.Fatal(err)
	}
	if secret.Kind != "Secret" || secret.StringData["TEMPORAL_ADDRESS"] == "" || secret.StringData["TEMPORAL_NAMESPACE"] == "" {
		t.Errorf("example Secret: %+v", secret)
	}

	// kubectl renders the kustomization offline, where it is installed.
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Log("kubectl is not installed: `kubectl kustomize deploy/kubernetes` was not run")
		return
	}
	out, err := exec.Command("kubectl", "kustomize", "kubernetes").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kustomize: %v\n%s", err, out)
	}
	docs, err := decodeAll(out)
	if err != nil || len(docs) != len(objects) {
		t.Errorf("kubectl kustomize rendered %d objects (%v), want %d", len(docs), err, len(objects))
	}
	if !strings.Contains(string(out), "image: lazarus:"+kust.Images[0].NewTag) {
		t.Errorf("kubectl kustomize did not set the image tag:\n%s", out)
	}
}
