package pg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Superuser is the superuser every cluster made by Init has (initdb -U).
const Superuser = "postgres"

// ClusterConfig describes one PostgreSQL cluster.
type ClusterConfig struct {
	// Name names the cluster in errors and logs.
	Name string
	// DataDir is the cluster's data folder (absolute or relative).
	DataDir string
	// Port is the TCP port on 127.0.0.1 (and the socket's number).
	Port int
	// SocketDir is the cluster's own Unix socket folder.
	SocketDir string
	// PGBin is the folder of initdb, pg_ctl, pg_basebackup (tools.PGBin()).
	PGBin string
	// WALArchive is the folder archive_command copies WAL segments into;
	// empty turns archiving off.
	WALArchive string
	// OSUser runs the cluster: "" means DefaultOSUser() ("postgres" as root).
	OSUser string
	// WALSegSizeMB is initdb's --wal-segsize (1 in tests; 0 = default 16).
	WALSegSizeMB int
	// Fsync turns fsync on (off makes tests and sandboxes fast).
	Fsync bool
	// ExtraConf are more postgresql.conf settings (name -> value); they win
	// over the ones Init writes.
	ExtraConf map[string]string
	// LogFile is the server log (default DataDir + ".log").
	LogFile string
	// Network, when set, is an IPv4 or IPv6 prefix of this machine, such as
	// 10.77.0.1/24: the cluster also listens on its address (10.77.0.1)
	// and trusts connections from its network (10.77.0.0/24), as it trusts
	// loopback. For sandboxes and tests whose workers run on other
	// (network-namespace) hosts; the clones made from its backups copy
	// the rule.
	Network string
	// HostAuth, when set (scram-sha-256), is the authentication of TCP
	// connections other than replication ones, in place of trust: see
	// writeHostAuth. PassFile is then the .pgpass file Cluster.DSN names.
	HostAuth string
	PassFile string
}

// Cluster is a PostgreSQL cluster made (or found) by Init.
type Cluster struct {
	cfg ClusterConfig
}

// confFile is the file Init owns inside the data folder; postgresql.conf
// includes it.
const confFile = "lazarus.conf"

func (cfg *ClusterConfig) normalise() error {
	var problems []string
	if cfg.Name == "" {
		problems = append(problems, "name is empty")
	}
	if cfg.DataDir == "" {
		problems = append(problems, "data dir is empty")
	}
	if cfg.Port <= 0 || cfg.Port > 65535 {
		problems = append(problems, fmt.Sprintf("port %d is not a port", cfg.Port))
	}
	if err := checkNetwork(cfg.Network); err != nil {
		problems = append(problems, err.Error())
	}
	if cfg.SocketDir == "" {
		problems = append(problems, "socket dir is empty")
	}
	if cfg.PGBin == "" {
		problems = append(problems, "PGBin is empty")
	} else if _, err := os.Stat(filepath.Join(cfg.PGBin, "pg_ctl")); err != nil {
		problems = append(problems, fmt.Sprintf("PGBin %s has no pg_ctl", cfg.PGBin))
	}
	if cfg.WALSegSizeMB < 0 || (cfg.WALSegSizeMB != 0 && cfg.WALSegSizeMB&(cfg.WALSegSizeMB-1) != 0) {
		problems = append(problems, fmt.Sprintf("WAL segment size %d MB is not a power of two", cfg.WALSegSizeMB))
	}
	if len(problems) > 0 {
		return fmt.Errorf("cluster config %q: %s", cfg.Name, strings.Join(problems, "; "))
	}
	for _, p := range []*string{&cfg.DataDir, &cfg.SocketDir, &cfg.WALArchive, &cfg.LogFile} {
		if *p != "" {
			abs, err := filepath.Abs(*p)
			if err != nil {
				return fmt.Errorf("cluster config %q: %w", cfg.Name, err)
			}
			*p = abs
		}
	}
	if cfg.LogFile == "" {
		cfg.LogFile = cfg.DataDir + ".log"
	}
	if cfg.OSUser == "" {
		cfg.OSUser = DefaultOSUser()
	}
	return nil
}

// Attach returns the cluster of an existing data folder without touching it.
func Attach(cfg ClusterConfig) (*Cluster, error) {
	if err := cfg.normalise(); err != nil {
		return nil, err
	}
	return &Cluster{cfg: cfg}, nil
}

// Init makes the cluster: initdb (as the OS user) unless the data folder
// already holds one, then (re)writes its settings: listen on 127.0.0.1 and
// its own socket folder, wal_level=replica, WAL archiving into WALArchive,
// trust authentication for local connections. It does not start it.
// Idempotent: on an existing data folder only the settings are rewritten.
func Init(ctx context.Context, cfg ClusterConfig) (*Cluster, error) {
	if err := cfg.normalise(); err != nil {
		return nil, err
	}
	c := &Cluster{cfg: cfg}
	for _, d := range []string{cfg.SocketDir, cfg.WALArchive, filepath.Dir(cfg.DataDir)} {
		if d == "" {
			continue
		}
		if err := PrepareDir(d, cfg.OSUser, 0o755); err != nil {
			return nil, fmt.Errorf("init cluster %s: %w", cfg.Name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := PrepareDir(cfg.DataDir, cfg.OSUser, 0o700); err != nil {
			return nil, fmt.Errorf("init cluster %s: %w", cfg.Name, err)
		}
		args := []string{"-D", cfg.DataDir, "-U", Superuser, "--auth=trust", "--encoding=UTF8",
			"--locale=C", "--no-instructions"}
		if !cfg.Fsync {
			args = append(args, "--no-sync")
		}
		if cfg.WALSegSizeMB > 0 {
			args = append(args, "--wal-segsize="+strconv.Itoa(cfg.WALSegSizeMB))
		}
		if _, err := run(Command(ctx, cfg.PGBin, cfg.OSUser, "initdb", args...)); err != nil {
			return nil, fmt.Errorf("init cluster %s: %w", cfg.Name, err)
		}
		if err := appendInclude(filepath.Join(cfg.DataDir, "postgresql.conf")); err != nil {
			return nil, fmt.Errorf("init cluster %s: %w", cfg.Name, err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("init cluster %s: %w", cfg.Name, err)
	}
	if err := c.writeConf(); err != nil {
		return nil, fmt.Errorf("init cluster %s: %w", cfg.Name, err)
	}
	return c, nil
}

func appendInclude(confPath string) error {
	f, err := os.OpenFile(confPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "\n# Settings written by Lazarus (platform/pg).\ninclude_if_exists '%s'\n", confFile)
	return err
}

// Quote quotes a value for postgresql.conf.
func Quote(v string) string { return "'" + strings.ReplaceAll(v, "'", "''") + "'" }

// shellQuote quotes a path for /bin/sh.
func shellQuote(v string) string { return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'" }

// ArchiveCommand returns the archive_command copying into archive: it never
// overwrites a segment already there and renames into place atomically.
func ArchiveCommand(archive string) string {
	dst := shellQuote(archive) + "/%f"
	return fmt.Sprintf("test -f %s || (cp %%p %s.tmp && mv %s.tmp %s)", dst, dst, dst, dst)
}

// RestoreCommand returns the restore_command reading from archive.
func RestoreCommand(archive string) string {
	return fmt.Sprintf("cp %s/%%f %%p", shellQuote(archive))
}

// Settings returns the settings Init writes, ExtraConf included.
func (c *Cluster) Settings() map[string]string {
	cfg := c.cfg
	s := map[string]string{
		"listen_addresses":        listenAddresses(cfg.Network),
		"port":                    strconv.Itoa(cfg.Port),
		"unix_socket_directories": cfg.SocketDir,
		"wal_level":               "replica",
		"max_wal_senders":         "10",
		"timezone":                "UTC",
		"log_timezone":            "UTC",
		"shared_buffers":          "32MB",
		"log_min_messages":        "warning",
		"log_checkpoints":         "off",
	}
	if cfg.WALArchive != "" {
		s["archive_mode"] = "on"
		s["archive_command"] = ArchiveCommand(cfg.WALArchive)
	} else {
		s["archive_mode"] = "off"
	}
	if !cfg.Fsync {
		s["fsync"] = "off"
		s["synchronous_commit"] = "off"
	}
	for k, v := range cfg.ExtraConf {
		s[k] = v
	}
	return s
}

// WriteConf writes settings, sorted, as a postgresql.conf fragment.
func WriteConf(path string, settings map[string]string, osUser string) error {
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# Written by Lazarus (platform/pg); rewritten by Init.\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s = %s\n", k, Quote(settings[k]))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return ChownTree(path, osUser)
}

func (c *Cluster) writeConf() error {
	if err := WriteConf(filepath.Join(c.cfg.DataDir, confFile), c.Settings(), c.cfg.OSUser); err != nil {
		return err
	}
	if err := writeHostAuth(filepath.Join(c.cfg.DataDir, "pg_hba.conf"), c.cfg.HostAuth); err != nil {
		return err
	}
	return writeTrustedNetwork(filepath.Join(c.cfg.DataDir, "pg_hba.conf"), c.cfg.Network)
}

// Config returns the cluster's configuration (normalised: absolute paths).
func (c *Cluster) Config() ClusterConfig { return c.cfg }

// Name returns the cluster's name.
func (c *Cluster) Name() string { return c.cfg.Name }

// Port returns the cluster's port.
func (c *Cluster) Port() int { return c.cfg.Port }

// DSN returns a libpq URL (pgx v5) of database db over TCP on 127.0.0.1,
// with the cluster's PassFile.
func (c *Cluster) DSN(db string) string {
	return DSNWith("127.0.0.1", c.cfg.Port, Superuser, db, ConnOptions{PassFile: c.cfg.PassFile})
}

// Running reports whether the cluster's postmaster runs (pg_ctl status).
func (c *Cluster) Running(ctx context.Context) (bool, error) {
	return Running(ctx, c.cfg.PGBin, c.cfg.OSUser, c.cfg.DataDir)
}

// Running reports whether a postmaster runs on dataDir (pg_ctl status).
func Running(ctx context.Context, pgBin, osUser, dataDir string) (bool, error) {
	cmd := Command(ctx, pgBin, osUser, "pg_ctl", "status", "-D", dataDir)
	out, err := run(cmd)
	if err == nil {
		return true, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && (ee.ExitCode() == 3 || ee.ExitCode() == 4) {
		return false, nil
	}
	return false, fmt.Errorf("pg_ctl status %s: %w (%s)", dataDir, err, out)
}

// Start starts the cluster and waits until it accepts connections.
// Idempotent: a running cluster is left alone; an existing data folder
// resumes where it stopped.
func (c *Cluster) Start(ctx context.Context) error {
	if err := StartDataDir(ctx, c.cfg.PGBin, c.cfg.OSUser, c.cfg.DataDir, c.cfg.LogFile); err != nil {
		return fmt.Errorf("start cluster %s: %w", c.cfg.Name, err)
	}
	return nil
}

// StartPicking starts a cluster whose port was picked free, not asked for:
// when the server finds the port held by another process (taken between
// the pick and the bind, by a process that also asked for a free one), it
// picks another free port, rewrites the configuration and starts again, up
// to 3 times in all. Port() then says which port it got.
func (c *Cluster) StartPicking(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		err := c.Start(ctx)
		if err == nil || attempt == 3 || !PortTaken(err) || ctx.Err() != nil {
			return err
		}
		port, perr := FreePort()
		if perr != nil {
			return err
		}
		c.cfg.Port = port
		if err := c.writeConf(); err != nil {
			return fmt.Errorf("start cluster %s on port %d: %w", c.cfg.Name, port, err)
		}
	}
}

// PortTaken says whether a start failed because another process holds the
// server's port (PostgreSQL's "could not bind ... Address already in use").
func PortTaken(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "could not bind") && strings.Contains(s, "already in use")
}

// StartDataDir runs pg_ctl -w start on dataDir (idempotent).
func StartDataDir(ctx context.Context, pgBin, osUser, dataDir, logFile string) error {
	running, err := Running(ctx, pgBin, osUser, dataDir)
	if err != nil {
		return err
	}
	if running {
		return nil
	}
	if err := PrepareFile(logFile, osUser); err != nil {
		return err
	}
	_, err = run(Command(ctx, pgBin, osUser, "pg_ctl", "start", "-w", "-t", "120", "-D", dataDir, "-l", logFile))
	if err != nil {
		return fmt.Errorf("%w; log tail: %s", err, LogTail(logFile, 2000))
	}
	return nil
}

// Stop stops the cluster (fast shutdown) and waits. Idempotent.
func (c *Cluster) Stop(ctx context.Context) error {
	if err := StopDataDir(ctx, c.cfg.PGBin, c.cfg.OSUser, c.cfg.DataDir); err != nil {
		return fmt.Errorf("stop cluster %s: %w", c.cfg.Name, err)
	}
	return nil
}

// StopDataDir runs pg_ctl -w -m fast stop on dataDir (idempotent).
func StopDataDir(ctx context.Context, pgBin, osUser, dataDir string) error {
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	running, err := Running(ctx, pgBin, osUser, dataDir)
	if err != nil {
		return err
	}
	if !running {
		return nil
	}
	if _, err := run(Command(ctx, pgBin, osUser, "pg_ctl", "stop", "-w", "-t", "120", "-m", "fast", "-D", dataDir)); err != nil {
		if r, rerr := Running(ctx, pgBin, osUser, dataDir); rerr == nil && !r {
			return nil
		}
		return err
	}
	return nil
}

// Remove stops the cluster and deletes its data folder and log. Idempotent.
func (c *Cluster) Remove(ctx context.Context) error {
	if err := c.Stop(ctx); err != nil {
		return err
	}
	if err := os.RemoveAll(c.cfg.DataDir); err != nil {
		return fmt.Errorf("remove cluster %s: %w", c.cfg.Name, err)
	}
	_ = os.Remove(c.cfg.LogFile)
	return nil
}

// LogTail returns the last n bytes of a log file (for error messages).
func LogTail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	off := st.Size() - n
	if off < 0 {
		off = 0
	}
	buf := make([]byte, st.Size()-off)
	_, _ = f.ReadAt(buf, off)
	return strings.TrimSpace(string(buf))
}

// FreePort asks the kernel for a free TCP port on 127.0.0.1.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitPoll sleeps d or returns ctx's error.
func waitPoll(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
