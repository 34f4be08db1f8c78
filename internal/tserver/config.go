package tserver

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/lazarus-dr/lazarus/platform/pg"
)

// numHistoryShards is fixed for the life of the database; 4 as upstream's
// development configs (the dev server has 1).
const numHistoryShards = 4

// services are the four services the one process runs.
var services = []string{"frontend", "history", "matching", "worker"}

// DynamicConfig is the dynamic config every server gets (Options.DynamicConfig
// adds to it): the values scripts/up.sh gives the dev server, and the dev
// server's visibility rate (the default 10 a second throttles `lazarus
// batch status` under load). The search attributes need nothing here: SQL
// visibility has 10 Keyword and 3 Bool columns, Lazarus uses 7 and 1.
var DynamicConfig = map[string]any{
	"system.enableActivityEagerExecution": true,
	"history.maximumBufferedEventsBatch":  1000,
	"frontend.namespaceRPS.visibility":    100,
}

// writeConfig picks the ports, sets Address and writes config/<envName>.yaml
// and config/dynamicconfig.yaml under Dir.
func (s *Server) writeConfig() error {
	o := s.o
	ports, err := freePorts(o.BindIP, 2*len(services)+1)
	if err != nil {
		return fmt.Errorf("temporal server: %w", err)
	}
	if o.Port != 0 {
		// The one spare pick keeps the others clear of the asked port.
		ports = append([]int{o.Port}, slices.DeleteFunc(ports, func(p int) bool { return p == o.Port })...)
	}
	ports = ports[:2*len(services)]
	broadcast := o.BindIP
	if ip := net.ParseIP(o.BindIP); ip.IsUnspecified() {
		broadcast = "127.0.0.1"
	}
	s.Address = net.JoinHostPort(broadcast, strconv.Itoa(ports[0]))

	dir := filepath.Join(o.Dir, "config")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("temporal server: %w", err)
	}
	dyn := maps.Clone(DynamicConfig)
	maps.Copy(dyn, o.DynamicConfig)
	dynFile := filepath.Join(dir, "dynamicconfig.yaml")
	dynYAML := map[string]any{}
	for k, v := range dyn {
		dynYAML[k] = []map[string]any{{"value": v}}
	}
	if err := writeYAML(dynFile, dynYAML); err != nil {
		return err
	}

	pgAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(s.PG.Port()))
	store := func(db string, conns int) map[string]any {
		return map[string]any{"sql": map[string]any{
			"pluginName": "postgres12", "databaseName": db, "connectAddr": pgAddr, "connectProtocol": "tcp",
			"user": pg.Superuser, "maxConns": conns, "maxIdleConns": conns, "maxConnLifetime": "1h",
		}}
	}
	svcs := map[string]any{}
	for i, name := range services {
		svcs[name] = map[string]any{"rpc": map[string]any{
			"grpcPort": ports[2*i], "membershipPort": ports[2*i+1], "bindOnIP": o.BindIP}}
	}
	off := map[string]any{"state": "disabled"}
	cfg := map[string]any{
		"log": map[string]any{"stdout": true, "level": o.LogLevel},
		"persistence": map[string]any{
			"defaultStore": "default", "visibilityStore": "visibility",
			"numHistoryShards": numHistoryShards,
			"datastores": map[string]any{
				"default":    store(DB, 20),
				"visibility": store(VisibilityDB, 10),
			},
		},
		"global": map[string]any{
			"membership": map[string]any{"maxJoinDuration": "30s", "broadcastAddress": broadcast},
		},
		"services": svcs,
		"clusterMetadata": map[string]any{
			"enableGlobalNamespace": false, "failoverVersionIncrement": 10,
			"masterClusterName": "active", "currentClusterName": "active",
			"clusterInformation": map[string]any{"active": map[string]any{
				"enabled": true, "initialFailoverVersion": 1, "rpcName": "frontend", "rpcAddress": s.Address}},
		},
		"dcRedirectionPolicy": map[string]any{"policy": "noop"},
		"archival":            map[string]any{"history": off, "visibility": off},
		"namespaceDefaults":   map[string]any{"archival": map[string]any{"history": off, "visibility": off}},
		"dynamicConfigClient": map[string]any{"filepath": dynFile, "pollInterval": "10s"},
	}
	return writeYAML(filepath.Join(dir, envName+".yaml"), cfg)
}

func writeYAML(path string, v any) error {
	raw, err := yaml.Marshal(v)
	if err != nil {
		return fmt.Errorf("temporal server: %s: %w", path, err)
	}
	head := []byte("# Written by Lazarus (internal/tserver); rewritten at every start.\n")
	if err := os.WriteFile(path, append(head, raw...), 0o644); err != nil {
		return fmt.Errorf("temporal server: %w", err)
	}
	return nil
}

// Ports are picked in [portMin, portMax]: the server stores each
// service's membership port in cluster_membership.rpc_port, a SMALLINT in
// the PostgreSQL schema, so a port from the kernel's ephemeral range
// (32768 and up) makes it fail at start ("out of range for type
// smallint").
const portMin, portMax = 20000, 32767

// freePorts picks n distinct free TCP ports on ip in [portMin, portMax],
// holding each until all are picked.
func freePorts(ip string, n int) ([]int, error) {
	var ports []int
	for tries := 0; len(ports) < n; tries++ {
		if tries == 1000 {
			return nil, fmt.Errorf("free port on %s: none free in %d-%d after 1000 tries", ip, portMin, portMax)
		}
		p := portMin + rand.IntN(portMax-portMin+1)
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(p)))
		if err != nil {
			continue
		}
		defer l.Close()
		ports = append(ports, p)
	}
	return ports, nil
}
