// Package tserver runs a real Temporal server (temporal-server, all four
// services in one process) on PostgreSQL, for the chaos scenarios and the
// multi-host tests: where the dev server's SQLite file is the bottleneck,
// or where a test must see Temporal as production runs it.
//
// Start does it all: a dedicated PostgreSQL cluster (platform/pg), the
// temporal and temporal_visibility databases with the server's own schema
// (temporal-sql-tool and the schema embedded in it), a minimal server
// config, the server process, then the `default` namespace (30 days'
// retention) and Lazarus's search attributes. Prepare, Command and
// Bootstrap are its three parts, for a caller that runs the process itself
// (the chaos driver restarts it mid-batch).
//
// It runs the binaries scripts/install-tools.sh builds (`server`); it never
// downloads or builds anything, never imports the server's Go packages, and
// must never be used by the worker or the CLI in production paths.
package tserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/lazarus-dr/lazarus/internal/tools"
	"github.com/lazarus-dr/lazarus/platform/pg"
	"github.com/lazarus-dr/lazarus/workflows"
)

// Databases the server keeps its state and its visibility records in.
const (
	DB           = "temporal"
	VisibilityDB = "temporal_visibility"
)

// Embedded schema names temporal-sql-tool knows (--schema-name).
const (
	schemaName           = "postgresql/v12/temporal"
	visibilitySchemaName = "postgresql/v12/visibility"
)

// envName is the server's --env: it reads config/<envName>.yaml.
const envName = "lazarus"

// Options of Prepare and Start.
type Options struct {
	// Dir holds everything: pg/ (the cluster), config/, temporal-server.log.
	// An existing Dir is reused: its data stay, the config is rewritten.
	Dir string
	// BindIP is the address every service listens on (default 127.0.0.1).
	// A veth IP (10.201.0.1) lets workers in a network namespace reach the
	// frontend; 0.0.0.0 listens everywhere and broadcasts 127.0.0.1.
	BindIP string
	// Port is the frontend's gRPC port (0: a free one). The other services'
	// ports are always picked free.
	Port int
	// Namespace is created by Bootstrap (default "default").
	Namespace string
	// Retention of that namespace (default 30 days).
	Retention time.Duration
	// DynamicConfig adds or overrides dynamic config values (key -> value).
	DynamicConfig map[string]any
	// LogLevel of the server (default "warn").
	LogLevel string
	// Logs receive the server's output when Start runs it (nil: the file
	// Dir/temporal-server.log).
	Logs io.Writer
	// ServerBin and SQLToolBin default to what tools.TemporalServer and
	// tools.TemporalSQLTool find.
	ServerBin, SQLToolBin string
}

// Timings of a start, for the reports.
type Timings struct {
	PG     time.Duration // cluster init + start
	Schema time.Duration // databases + temporal-sql-tool (0 when already there)
	Server time.Duration // process start until the frontend is healthy
	Setup  time.Duration // namespace + search attributes ready
}

// Server is a prepared (and, after Start, running) Temporal server.
type Server struct {
	// Address is the frontend's host:port.
	Address string
	// Namespace is the namespace Bootstrap made.
	Namespace string
	// PG is the server's PostgreSQL cluster.
	PG *pg.Cluster
	// Timings of Prepare, Start and Bootstrap.
	Timings Timings

	o       Options
	cmd     *exec.Cmd
	exited  chan struct{}
	logFile *os.File
}

// Start prepares the cluster, the schema and the config, runs the server
// and bootstraps it. Stop undoes it.
func Start(ctx context.Context, o Options) (*Server, error) {
	s, err := Prepare(ctx, o)
	if err != nil {
		return nil, err
	}
	if err := s.run(); err != nil {
		_ = s.Stop(context.WithoutCancel(ctx))
		return nil, err
	}
	if err := s.Bootstrap(ctx); err != nil {
		_ = s.Stop(context.WithoutCancel(ctx))
		return nil, err
	}
	return s, nil
}

// Prepare starts (or resumes) the PostgreSQL cluster, sets up the schema
// where it is missing and writes the config; it does not run the server.
func Prepare(ctx context.Context, o Options) (*Server, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{o: o, Namespace: o.Namespace}
	t0 := time.Now()
	if s.PG, err = startPG(ctx, o.Dir); err != nil {
		return nil, err
	}
	s.Timings.PG = time.Since(t0)
	t0 = time.Now()
	fresh, err := s.setupSchema(ctx)
	if err != nil {
		_ = s.PG.Stop(context.WithoutCancel(ctx))
		return nil, err
	}
	if fresh {
		s.Timings.Schema = time.Since(t0)
	}
	if err := s.writeConfig(); err != nil {
		_ = s.PG.Stop(context.WithoutCancel(ctx))
		return nil, err
	}
	return s, nil
}

func (o Options) withDefaults() (Options, error) {
	if o.Dir == "" {
		return o, errors.New("temporal server: Options.Dir is empty")
	}
	abs, err := filepath.Abs(o.Dir)
	if err != nil {
		return o, fmt.Errorf("temporal server: %w", err)
	}
	o.Dir = abs
	if o.BindIP == "" {
		o.BindIP = "127.0.0.1"
	}
	if net.ParseIP(o.BindIP) == nil {
		return o, fmt.Errorf("temporal server: bind IP %q is not an IP", o.BindIP)
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.Retention == 0 {
		o.Retention = 30 * 24 * time.Hour
	}
	if o.LogLevel == "" {
		o.LogLevel = "warn"
	}
	if o.ServerBin == "" {
		if o.ServerBin, err = tools.TemporalServer(); err != nil {
			return o, err
		}
	}
	if o.SQLToolBin == "" {
		if o.SQLToolBin, err = tools.TemporalSQLTool(); err != nil {
			return o, err
		}
	}
	return o, nil
}

// startPG makes (once) and starts the cluster in dir/pg.
func startPG(ctx context.Context, dir string) (*pg.Cluster, error) {
	bin, err := tools.PGBin()
	if err != nil {
		return nil, fmt.Errorf("temporal server: %w", err)
	}
	port, err := pg.FreePort()
	if err != nil {
		return nil, fmt.Errorf("temporal server: %w", err)
	}
	c, err := pg.Init(ctx, pg.ClusterConfig{
		Name: "temporal", DataDir: filepath.Join(dir, "pg", "data"), SocketDir: filepath.Join(dir, "pg", "sock"),
		Port: port, PGBin: bin,
		// Four services with their own connection pools, plus the tools.
		ExtraConf: map[string]string{"max_connections": "200", "shared_buffers": "128MB"},
	})
	if err != nil {
		return nil, fmt.Errorf("temporal server: %w", err)
	}
	if err := c.StartPicking(ctx); err != nil {
		return nil, fmt.Errorf("temporal server: %w", err)
	}
	return c, nil
}

// setupSchema creates both databases and runs temporal-sql-tool on each
// that has no schema yet (setup-schema -v 0.0 then update-schema with the
// schema embedded in the tool). It reports whether it set anything up.
func (s *Server) setupSchema(ctx context.Context) (bool, error) {
	fresh := false
	for _, d := range []struct{ db, schema string }{{DB, schemaName}, {VisibilityDB, visibilitySchemaName}} {
		if err := s.PG.CreateDatabase(ctx, d.db); err != nil {
			return false, fmt.Errorf("temporal server: %w", err)
		}
		has, err := s.hasSchema(ctx, d.db)
		if err != nil {
			return false, err
		}
		if !has {
			fresh = true
			if err := s.sqlTool(ctx, d.db, "setup-schema", "-v", "0.0"); err != nil {
				return false, err
			}
		}
		// Always: a no-op at the latest version, an upgrade after a new
		// pinned server.
		if err := s.sqlTool(ctx, d.db, "update-schema", "--schema-name", d.schema); err != nil {
			return false, err
		}
	}
	return fresh, nil
}

// hasSchema says whether db has temporal-sql-tool's version row.
func (s *Server) hasSchema(ctx context.Context, db string) (bool, error) {
	conn, err := s.PG.Open(ctx, db)
	if err != nil {
		return false, fmt.Errorf("temporal server: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("temporal server: database %s: %w", db, err)
	}
	if n == 0 {
		return false, nil
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM schema_version`).Scan(&n); err != nil {
		return false, fmt.Errorf("temporal server: database %s: %w", db, err)
	}
	return n > 0, nil
}

func (s *Server) sqlTool(ctx context.Context, db string, args ...string) error {
	full := append([]string{"--plugin", "postgres12", "--endpoint", "127.0.0.1", "--port", strconv.Itoa(s.PG.Port()),
		"--user", pg.Superuser, "--database", db}, args...)
	cmd := exec.CommandContext(ctx, s.o.SQLToolBin, full...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("temporal server: temporal-sql-tool %s on %s: %w: %s", args[0], db, err, lastLines(out, 5))
	}
	return nil
}

// Command returns the server's command line (run it with Dir as working
// folder or not: every path in it is absolute).
func (s *Server) Command() (bin string, args []string) {
	return s.o.ServerBin, []string{"--root", s.o.Dir, "--config", "config", "--env", envName, "--allow-no-auth", "start"}
}

// run starts the server process (its output into Options.Logs).
func (s *Server) run() error {
	bin, args := s.Command()
	cmd := exec.Command(bin, args...)
	cmd.Dir = s.o.Dir
	out := s.o.Logs
	if out == nil {
		f, err := os.OpenFile(s.LogPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("temporal server: %w", err)
		}
		s.logFile, out = f, f
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("temporal server: start %s: %w", bin, err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(s.exited) }()
	return nil
}

// LogPath is the server's log file when Start runs it without Options.Logs.
func (s *Server) LogPath() string { return filepath.Join(s.o.Dir, "temporal-server.log") }

// Bootstrap waits until the frontend is healthy (up to 2 minutes), then
// makes the namespace with its retention and the Lazarus search attributes
// (workflows.SearchAttributeTypes) and waits until they are listed.
// Idempotent.
func (s *Server) Bootstrap(ctx context.Context) error {
	t0 := time.Now()
	c, err := s.waitHealthy(ctx, 2*time.Minute)
	if err != nil {
		return err
	}
	defer c.Close()
	s.Timings.Server = time.Since(t0)
	t0 = time.Now()
	if err := s.createNamespace(ctx, c); err != nil {
		return err
	}
	if err := s.addSearchAttributes(ctx, c); err != nil {
		return err
	}
	if err := s.waitHistory(ctx, c); err != nil {
		return err
	}
	s.Timings.Setup = time.Since(t0)
	return nil
}

func (s *Server) waitHealthy(ctx context.Context, limit time.Duration) (client.Client, error) {
	deadline := time.Now().Add(limit)
	for {
		hctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		c, err := client.DialContext(hctx, client.Options{HostPort: s.Address, Namespace: s.Namespace,
			Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
		if err == nil {
			if _, err = c.CheckHealth(hctx, &client.CheckHealthRequest{}); err != nil {
				c.Close()
			}
		}
		cancel()
		if err == nil {
			return c, nil
		}
		if s.processExited() {
			return nil, fmt.Errorf("temporal server: the process exited before it was healthy; log: %s", s.logTail())
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("temporal server at %s not healthy after %s: %v; log: %s", s.Address, limit, err, s.logTail())
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// waitHistory waits (up to a minute) until the history service answers:
// describes of 16 unknown workflows (spread over the shards by their IDs)
// each say NotFound. The frontend is healthy before the shards are loaded.
func (s *Server) waitHistory(ctx context.Context, c client.Client) error {
	deadline := time.Now().Add(time.Minute)
	for i := 0; i < 4*numHistoryShards; {
		_, err := c.DescribeWorkflowExecution(ctx, "lazarus-tserver-probe-"+strconv.Itoa(i), "")
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			i++
			continue
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("temporal server: history not answering after a minute: %v; log: %s", err, s.logTail())
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) createNamespace(ctx context.Context, c client.Client) error {
	_, err := c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace:                        s.Namespace,
		Description:                      "Lazarus",
		WorkflowExecutionRetentionPeriod: durationpb.New(s.o.Retention),
	})
	var exists *serviceerror.NamespaceAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("temporal server: create namespace %s: %w", s.Namespace, err)
	}
	return nil
}

// addSearchAttributes adds the missing ones, retrying while the new
// namespace is not yet known to the frontend, and waits until all are
// listed.
func (s *Server) addSearchAttributes(ctx context.Context, c client.Client) error {
	want, err := SearchAttributes()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		err := s.tryAddSearchAttributes(ctx, c, want)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("temporal server: search attributes in %s: %w", s.Namespace, err)
		}
		if err := sleep(ctx, 500*time.Millisecond); err != nil {
			return err
		}
	}
}

func (s *Server) tryAddSearchAttributes(ctx context.Context, c client.Client, want map[string]enumspb.IndexedValueType) error {
	list, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: s.Namespace})
	if err != nil {
		return err
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range want {
		got, ok := list.CustomAttributes[name]
		if !ok {
			missing[name] = typ
		} else if got != typ {
			return fmt.Errorf("%s is %s, want %s", name, got, typ)
		}
	}
	if len(missing) == 0 {
		// Listed is not yet usable: the frontend's namespace cache learns
		// them at its next refresh (every 2s). A query naming every one
		// passes only then.
		_, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Namespace: s.Namespace, Query: queryNaming(want)})
		return err
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: s.Namespace, SearchAttributes: missing})
	if err != nil {
		return err
	}
	return fmt.Errorf("%d added, not listed yet", len(missing))
}

// queryNaming is a visibility query that names every search attribute.
func queryNaming(sas map[string]enumspb.IndexedValueType) string {
	var terms []string
	for name, typ := range sas {
		v := `""`
		switch typ {
		case enumspb.INDEXED_VALUE_TYPE_BOOL:
			v = "true"
		case enumspb.INDEXED_VALUE_TYPE_INT, enumspb.INDEXED_VALUE_TYPE_DOUBLE:
			v = "0"
		case enumspb.INDEXED_VALUE_TYPE_DATETIME:
			v = `"2000-01-01T00:00:00Z"`
		}
		terms = append(terms, name+" = "+v)
	}
	sort.Strings(terms)
	return strings.Join(terms, " AND ")
}

// SearchAttributes reads workflows.SearchAttributeTypes (NAME=Type).
func SearchAttributes() (map[string]enumspb.IndexedValueType, error) {
	out := map[string]enumspb.IndexedValueType{}
	for _, sa := range workflows.SearchAttributeTypes {
		name, typ, _ := strings.Cut(sa, "=")
		v, err := enumspb.IndexedValueTypeFromString(typ)
		if err != nil || v == enumspb.INDEXED_VALUE_TYPE_UNSPECIFIED {
			return nil, fmt.Errorf("search attribute %q: unknown type %q", name, typ)
		}
		out[name] = v
	}
	return out, nil
}

// Stop stops the server process if Start ran it (SIGTERM, then SIGKILL
// after 30s), then the PostgreSQL cluster. Idempotent.
func (s *Server) Stop(ctx context.Context) error {
	var errs []error
	if s.cmd != nil && !s.processExited() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
			errs = append(errs, errors.New("temporal server: killed after 30s of SIGTERM"))
		}
	}
	if s.logFile != nil {
		_ = s.logFile.Close()
		s.logFile = nil
	}
	if s.PG != nil {
		if err := s.PG.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("temporal server: %w", err))
		}
	}
	return errors.Join(errs...)
}

func (s *Server) processExited() bool {
	if s.exited == nil {
		return false
	}
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

// logTail sums up why the server failed, in one line: the last fatal
// entry of its JSON log (else the last error), else its last lines.
func (s *Server) logTail() string {
	if s.o.Logs != nil {
		return "(in Options.Logs)"
	}
	raw, _ := os.ReadFile(s.LogPath())
	return Why(raw)
}

// Why returns the last fatal (else error) entry of a server log as
// "msg: error", else its last 3 lines; at most 600 characters.
func Why(log []byte) string {
	var fatal, errLine string
	for _, line := range strings.Split(string(log), "\n") {
		var e struct{ Level, Msg, Error string }
		if json.Unmarshal([]byte(line), &e) != nil {
			continue
		}
		text := e.Msg
		if e.Error != "" {
			text += ": " + e.Error
		}
		switch e.Level {
		case "fatal", "panic", "dpanic":
			fatal = text
		case "error":
			errLine = text
		}
	}
	why := fatal
	if why == "" {
		why = errLine
	}
	if why == "" {
		why = lastLines(log, 3)
	}
	if len(why) > 600 {
		why = why[:600] + "..."
	}
	return why
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
