package tserver

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/lazarus-dr/lazarus/platform/pg"
	"github.com/lazarus-dr/lazarus/workflows"
)

func TestWriteConfigBindsEveryServiceOnTheIP(t *testing.T) {
	dir := t.TempDir()
	c, err := pg.Attach(pg.ClusterConfig{Name: "t", DataDir: filepath.Join(dir, "pg"), Port: 5999,
		SocketDir: dir, PGBin: fakePGBin(t)})
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{o: Options{Dir: dir, BindIP: "127.0.0.3", Port: 47233, LogLevel: "warn",
		DynamicConfig: map[string]any{"history.maximumBufferedEventsBatch": 5}}, PG: c}
	if err := s.writeConfig(); err != nil {
		t.Fatal(err)
	}
	if s.Address != "127.0.0.3:47233" {
		t.Errorf("address %s", s.Address)
	}
	var cfg struct {
		Persistence struct {
			Datastores map[string]struct {
				SQL struct {
					PluginName   string `yaml:"pluginName"`
					ConnectAddr  string `yaml:"connectAddr"`
					DatabaseName string `yaml:"databaseName"`
				} `yaml:"sql"`
			} `yaml:"datastores"`
		} `yaml:"persistence"`
		Global struct {
			Membership struct {
				BroadcastAddress string `yaml:"broadcastAddress"`
			} `yaml:"membership"`
		} `yaml:"global"`
		Services map[string]struct {
			RPC struct {
				GRPCPort       int    `yaml:"grpcPort"`
				MembershipPort int    `yaml:"membershipPort"`
				BindOnIP       string `yaml:"bindOnIP"`
			} `yaml:"rpc"`
		} `yaml:"services"`
		DynamicConfigClient struct {
			Filepath string `yaml:"filepath"`
		} `yaml:"dynamicConfigClient"`
	}
	readYAML(t, filepath.Join(dir, "config", envName+".yaml"), &cfg)
	seen := map[int]bool{}
	for _, name := range services {
		rpc := cfg.Services[name].RPC
		if rpc.BindOnIP != "127.0.0.3" || rpc.GRPCPort == 0 || rpc.MembershipPort == 0 {
			t.Errorf("%s: %+v", name, rpc)
		}
		for _, p := range []int{rpc.GRPCPort, rpc.MembershipPort} {
			if seen[p] {
				t.Errorf("port %d twice", p)
			}
			seen[p] = true
		}
	}
	if cfg.Services["frontend"].RPC.GRPCPort != 47233 || cfg.Global.Membership.BroadcastAddress != "127.0.0.3" {
		t.Errorf("frontend %+v, broadcast %s", cfg.Services["frontend"].RPC, cfg.Global.Membership.BroadcastAddress)
	}
	for name, db := range map[string]string{"default": DB, "visibility": VisibilityDB} {
		sql := cfg.Persistence.Datastores[name].SQL
		if sql.PluginName != "postgres12" || sql.DatabaseName != db || sql.ConnectAddr != "127.0.0.1:"+strconv.Itoa(5999) {
			t.Errorf("datastore %s: %+v", name, sql)
		}
	}
	var dyn map[string][]struct {
		Value any `yaml:"value"`
	}
	readYAML(t, cfg.DynamicConfigClient.Filepath, &dyn)
	if v := dyn["history.maximumBufferedEventsBatch"]; len(v) != 1 || v[0].Value != 5 {
		t.Errorf("Options.DynamicConfig must win: %v", v)
	}
	if v := dyn["system.enableActivityEagerExecution"]; len(v) != 1 || v[0].Value != true {
		t.Errorf("eager activities: %v", v)
	}
}

func TestUnspecifiedBindIPBroadcastsLoopback(t *testing.T) {
	dir := t.TempDir()
	c, err := pg.Attach(pg.ClusterConfig{Name: "t", DataDir: dir, Port: 5999, SocketDir: dir, PGBin: fakePGBin(t)})
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{o: Options{Dir: dir, BindIP: "0.0.0.0"}, PG: c}
	if err := s.writeConfig(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Address, "127.0.0.1:") {
		t.Errorf("address %s, want 127.0.0.1:port", s.Address)
	}
}

func TestSearchAttributesCoverTheWorkflows(t *testing.T) {
	sa, err := SearchAttributes()
	if err != nil {
		t.Fatal(err)
	}
	if len(sa) != len(workflows.SearchAttributeTypes) {
		t.Fatalf("%d search attributes, want %d", len(sa), len(workflows.SearchAttributeTypes))
	}
	if _, ok := sa[workflows.SearchAttrNeedsAttention]; !ok {
		t.Errorf("%s missing", workflows.SearchAttrNeedsAttention)
	}
}

func TestOptionsRejectABadBindIP(t *testing.T) {
	_, err := Options{Dir: t.TempDir(), BindIP: "veth0"}.withDefaults()
	if err == nil || !strings.Contains(err.Error(), "not an IP") {
		t.Fatalf("got %v", err)
	}
}

// fakePGBin is a folder with a pg_ctl, enough for pg.Attach.
func fakePGBin(t *testing.T) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pg_ctl"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
}

func TestWhyPicksTheFatalEntry(t *testing.T) {
	log := []byte(`{"level":"info","msg":"starting"}
{"level":"error","msg":"Operation failed","error":"boom"}
{"level":"fatal","msg":"unable to initialize membership heartbeats","error":"value \"46323\" is out of range for type smallint"}
`)
	got := Why(log)
	if got != `unable to initialize membership heartbeats: value "46323" is out of range for type smallint` {
		t.Errorf("got %q", got)
	}
	if got := Why([]byte("plain\ntext\nlines\nhere\n")); got != "text | lines | here" {
		t.Errorf("plain log: %q", got)
	}
}
