package pitr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
)

// cloneStateFile is written into a clone's folder once it is ready.
const cloneStateFile = "clone.json"

// LocalCloner clones clusters described by the platform description from
// their base backups (platform.Cluster.BackupDir, one folder per backup with
// pg's backup.json) and WAL archive, into ScratchDir/<clone ID>. Its source
// may instead be a pgBackRest repository (NewPGBackRestCloner): only how the
// data folder is filled and where recovery reads WAL differ (cloneSource).
// Every clone is
// a scratch cluster on its own port and socket, archive_mode off,
// recovery_target_timeline 'current', recovery_target_action 'pause'
// (read-only), fsync off. All state is on disk, so a restarted worker finds
// and reuses the clones already made.
type LocalCloner struct {
	clusters map[string]platform.Cluster
	// Retention refuses points older than now minus Retention (0: backups only).
	Retention time.Duration
	// RecoverTimeout bounds the wait for a clone to reach its point.
	RecoverTimeout time.Duration
	Logger         *zap.Logger
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
	// Address is the IP the clones listen on besides 127.0.0.1, and the
	// host their DSNs name: this host's address on the network the other
	// workers share, so that a step on any host can read a clone made
	// here. Empty is 127.0.0.1 (one host).
	Address string

	idle idleBook // Sweep's sightings
	// source fills a clone's data folder; nil is the local base backups.
	source cloneSource
}

// src is the cloner's source of base backups and WAL.
func (l *LocalCloner) src() cloneSource {
	if l.source == nil {
		return localSource{}
	}
	return l.source
}

// host is the address the clones listen on and their DSNs name.
func (l *LocalCloner) host() string {
	if l.Address == "" {
		return "127.0.0.1"
	}
	return l.Address
}

// NewLocalCloner returns a cloner for every cluster of the description.
func NewLocalCloner(desc *platform.Description, logger *zap.Logger) *LocalCloner {
	if logger == nil {
		logger = zap.NewNop()
	}
	l := &LocalCloner{clusters: map[string]platform.Cluster{}, Retention: desc.Retention,
		RecoverTimeout: 5 * time.Minute, Logger: logger}
	for _, c := range desc.Clusters {
		l.clusters[c.Name] = c
	}
	return l
}

func (l *LocalCloner) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *LocalCloner) cluster(name string) (platform.Cluster, error) {
	c, ok := l.clusters[name]
	if !ok {
		return c, refuse("cluster %q is not in the platform description", name)
	}
	problems := l.src().problems(c)
	if c.ScratchDir == "" {
		problems = append(problems, "scratch_dir is empty")
	}
	if c.PGBin == "" {
		problems = append(problems, "pg_bin is empty")
	}
	if !nameRE.MatchString(name) {
		problems = append(problems, "name must be letters, digits, '_', '.', '-'")
	}
	if len(problems) > 0 {
		return c, refuse("cluster %q cannot be cloned: %s", name, strings.Join(problems, "; "))
	}
	return c, nil
}

// Window is [end of the oldest base backup (or now - retention, if later), now].
func (l *LocalCloner) Window(ctx context.Context, cluster string) (Window, error) {
	w, err := l.window(ctx, cluster)
	return w, surface(err)
}

func (l *LocalCloner) window(ctx context.Context, cluster string) (Window, error) {
	c, err := l.cluster(cluster)
	if err != nil {
		return Window{}, err
	}
	backups, err := l.src().backups(ctx, c)
	if err != nil {
		return Window{}, fmt.Errorf("window of cluster %s: %w", cluster, err)
	}
	now := l.now().UTC()
	if len(backups) == 0 {
		return Window{}, refuse("cluster %s has no base backup in %s: nothing can be cloned", cluster, l.src().where(c))
	}
	w := Window{Earliest: backups[0].end, Latest: now}
	if l.Retention > 0 && now.Add(-l.Retention).After(w.Earliest) {
		w.Earliest = now.Add(-l.Retention)
	}
	return w, nil
}

// chooseBackup returns the latest backup whose end is not after t.
func chooseBackup(backups []backup, t time.Time) (backup, bool) {
	var best backup
	found := false
	for _, b := range backups {
		if !b.end.After(t) && (!found || b.end.After(best.end)) {
			best, found = b, true
		}
	}
	return best, found
}

// Clone makes (or finds) the clone of cluster at t.
func (l *LocalCloner) Clone(ctx context.Context, cluster string, t time.Time) (Clone, error) {
	cl, err := l.clone(ctx, cluster, t)
	return cl, surface(err)
}

func (l *LocalCloner) clone(ctx context.Context, cluster string, t time.Time) (Clone, error) {
	c, err := l.cluster(cluster)
	if err != nil {
		return Clone{}, err
	}
	if t.IsZero() {
		return Clone{}, refuse("clone of %s: the point in time is empty", cluster)
	}
	t = t.UTC().Truncate(time.Microsecond)
	ts := t.Format(time.RFC3339Nano)
	now := l.now().UTC()
	if t.After(now) {
		return Clone{}, refuse("clone of %s at %s: the point is in the future (now %s)", cluster, ts, now.Format(time.RFC3339Nano))
	}
	if l.Retention > 0 && t.Before(now.Add(-l.Retention)) {
		return Clone{}, refuse("clone of %s at %s: the point is outside the retention of %s", cluster, ts, l.Retention)
	}
	backups, err := l.src().backups(ctx, c)
	if err != nil {
		return Clone{}, fmt.Errorf("clone of %s at %s: %w", cluster, ts, err)
	}
	from, ok := chooseBackup(backups, t)
	if !ok {
		earliest := "none"
		if len(backups) > 0 {
			earliest = backups[0].end.Format(time.RFC3339Nano)
		}
		// A recovery to a point before the backup's end would silently stop
		// at the backup's end instead: refuse.
		return Clone{}, refuse("clone of %s at %s: the point is before the end of the earliest base backup (earliest restorable point: %s)",
			cluster, ts, earliest)
	}
	id := CloneID(cluster, t)
	log := l.Logger.With(zap.String("cluster", cluster), zap.String("clone", id), zap.String("target", ts))
	if err := pg.PrepareDir(c.ScratchDir, c.OSUser, 0o755); err != nil {
		return Clone{}, fmt.Errorf("clone %s: %w", id, err)
	}
	unlock, err := lockFile(ctx, filepath.Join(c.ScratchDir, id+".lock"))
	if err != nil {
		return Clone{}, fmt.Errorf("clone %s: %w", id, err)
	}
	defer unlock()

	dir := filepath.Join(c.ScratchDir, id)
	if cl, err := l.resume(ctx, c, dir, t); err == nil {
		log.Info("reusing clone", zap.Int("port", cl.Port))
		return cl, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		log.Warn("existing clone unusable, making it again", zap.Error(err))
	}
	_ = pg.StopDataDir(ctx, c.PGBin, c.OSUser, filepath.Join(dir, "data"))
	if err := os.RemoveAll(dir); err != nil {
		return Clone{}, fmt.Errorf("clone %s: %w", id, err)
	}

	// Make sure T's WAL is archived: a commit after T, a WAL switch, and the
	// archiver's confirmation on the live cluster. If the live cluster is
	// down, the archive is all there is; recovery says if it falls short.
	if err := l.switchLive(ctx, c); err != nil {
		log.Warn("could not force a WAL switch on the live cluster; relying on the archive", zap.Error(err))
	}

	began := time.Now()
	if err := pg.PrepareDir(dir, c.OSUser, 0o755); err != nil {
		return Clone{}, fmt.Errorf("clone %s: %w", id, err)
	}
	data := filepath.Join(dir, "data")
	if err := l.src().restore(ctx, c, from, t, data); err != nil {
		return Clone{}, fmt.Errorf("clone %s: %w", id, err)
	}
	_ = os.Remove(filepath.Join(data, "postmaster.pid"))
	var cl Clone
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := pg.FreePort()
		if err != nil {
			return Clone{}, fmt.Errorf("clone %s: %w", id, err)
		}
		cs := cloneSettings{id: id, host: l.host(), port: port, t: t, restoreCommand: l.src().restoreCommand(c, data)}
		if err := writeRecoveryConf(data, c, cs); err != nil {
			return Clone{}, fmt.Errorf("clone %s: %w", id, err)
		}
		cl, lastErr = l.startAndWait(ctx, c, dir, t, l.host(), port)
		if lastErr == nil || IsRefused(lastErr) || ctx.Err() != nil || !strings.Contains(lastErr.Error(), "in use") {
			break
		}
	}
	if lastErr != nil {
		return Clone{}, fmt.Errorf("clone %s: %w", id, lastErr)
	}
	cl.ID, cl.Cluster, cl.T, cl.Backup = id, cluster, t, from.name
	cl.Seconds = time.Since(began).Seconds()
	if err := writeJSON(filepath.Join(dir, cloneStateFile), cl); err != nil {
		return Clone{}, fmt.Errorf("clone %s: %w", id, err)
	}
	log.Info("clone ready", zap.Int("port", cl.Port), zap.String("backup", from.name),
		zap.Float64("seconds", cl.Seconds), zap.Time("last_commit", cl.LastCommit))
	return cl, nil
}

func (l *LocalCloner) switchLive(ctx context.Context, c platform.Cluster) error {
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	conn, err := pg.Open(sctx, pg.ClusterDSN(c, "postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return pg.SwitchWALAndWaitArchived(sctx, conn)
}

// cloneSettings are what makes one clone differ from another: its ID
// (PostgreSQL's cluster_name, which every reader checks: see Identify), the
// address and port it listens on, and its point.
type cloneSettings struct {
	id, host string
	port     int
	t        time.Time
	// restoreCommand fetches a WAL segment from the cluster's archive.
	restoreCommand string
}

// listenAddresses is 127.0.0.1, plus host when it is another address.
func (s cloneSettings) listenAddresses() string {
	if s.host == "" || s.host == "127.0.0.1" {
		return "127.0.0.1"
	}
	return "127.0.0.1," + s.host
}

// writeRecoveryConf appends the clone's settings to postgresql.auto.conf
// (read last, so they win over the live cluster's copied settings) and
// creates recovery.signal. Who may connect is the live cluster's own
// pg_hba.conf, copied with the base backup: a worker allowed to read the
// live cluster may read its clones.
func writeRecoveryConf(data string, c platform.Cluster, cs cloneSettings) error {
	t := cs.t
	settings := []string{
		"port = " + strconv.Itoa(cs.port),
		"listen_addresses = " + pg.Quote(cs.listenAddresses()),
		"cluster_name = " + pg.Quote(cs.id),
		// TCP only: a socket path under a deep scratch folder can pass
		// the 107-byte limit, and nothing needs it.
		"unix_socket_directories = ''",
		"archive_mode = 'off'",
		"archive_command = ''",
		"restore_command = " + pg.Quote(cs.restoreCommand),
		"recovery_target_time = " + pg.Quote(FormatTarget(t)),
		"recovery_target_inclusive = 'on'",
		"recovery_target_action = 'pause'",
		"recovery_target_timeline = 'current'",
		"hot_standby = 'on'",
		"primary_conninfo = ''",
		"fsync = 'off'",
		"synchronous_commit = 'off'",
		"full_page_writes = 'off'",
		"log_min_messages = 'warning'",
	}
	auto := filepath.Join(data, "postgresql.auto.conf")
	base, err := os.ReadFile(auto)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	// Cut a previous attempt's block.
	if i := strings.Index(string(base), cloneMarker); i >= 0 {
		base = base[:i]
	}
	content := string(base) + cloneMarker + strings.Join(settings, "\n") + "\n"
	if err := os.WriteFile(auto, []byte(content), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(data, "recovery.signal"), nil, 0o600); err != nil {
		return err
	}
	return pg.ChownTree(data, c.OSUser)
}

const cloneMarker = "\n# Lazarus point-in-time clone (platform/pitr):\n"

// startAndWait starts the clone and waits until replay paused at t.
func (l *LocalCloner) startAndWait(ctx context.Context, c platform.Cluster, dir string, t time.Time, host string, port int) (Clone, error) {
	data := filepath.Join(dir, "data")
	logFile := filepath.Join(dir, "postgres.log")
	if err := pg.StartDataDir(ctx, c.PGBin, c.OSUser, data, logFile); err != nil {
		return Clone{}, explainRecoveryFailure(logFile, t, err)
	}
	cl := Clone{Host: host, Port: port, User: userOf(c), DataDir: data, Conn: pg.ConnOptionsOf(c)}
	last, err := l.waitPaused(ctx, c, cl, logFile, t)
	if err != nil {
		_ = pg.StopDataDir(context.Background(), c.PGBin, c.OSUser, data)
		return Clone{}, err
	}
	cl.LastCommit = last
	cl.Ready = time.Now().UTC()
	return cl, nil
}

func userOf(c platform.Cluster) string {
	if c.User == "" {
		return pg.Superuser
	}
	return c.User
}

// explainRecoveryFailure turns a failed start into a clear error.
func explainRecoveryFailure(logFile string, t time.Time, err error) error {
	tail := pg.LogTail(logFile, 4000)
	if strings.Contains(tail, "recovery ended before configured recovery target was reached") {
		last := ""
		if i := strings.LastIndex(tail, "last completed transaction was at log time "); i >= 0 {
			last = strings.SplitN(tail[i+len("last completed transaction was at log time "):], "\n", 2)[0]
		}
		return fmt.Errorf("the WAL archive does not reach %s yet: no commit after it is archived (last archived commit: %s; is the live cluster up and archiving?)",
			t.Format(time.RFC3339Nano), last)
	}
	if strings.Contains(tail, "could not bind") || strings.Contains(tail, "already in use") {
		return fmt.Errorf("port in use: %w", err)
	}
	return err
}

// waitPaused polls pg_get_wal_replay_pause_state() until 'paused' (the
// target reached) and checks that nothing after t was replayed.
func (l *LocalCloner) waitPaused(ctx context.Context, c platform.Cluster, cl Clone, logFile string, t time.Time) (time.Time, error) {
	timeout := l.RecoverTimeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := pg.Open(wctx, cl.DSN("postgres"))
	if err != nil {
		return time.Time{}, explainRecoveryFailure(logFile, t, err)
	}
	defer conn.Close(context.Background())
	delay := 10 * time.Millisecond
	for {
		var inRecovery bool
		var state string
		var last *time.Time
		err := conn.QueryRow(wctx, `SELECT pg_is_in_recovery(), pg_get_wal_replay_pause_state(), pg_last_xact_replay_timestamp()`).
			Scan(&inRecovery, &state, &last)
		if err != nil {
			return time.Time{}, explainRecoveryFailure(logFile, t, fmt.Errorf("poll recovery state: %w", err))
		}
		if !inRecovery {
			return time.Time{}, fmt.Errorf("clone left recovery (promoted): it must stay paused and read-only")
		}
		if state == "paused" {
			var lt time.Time
			if last != nil {
				lt = last.UTC()
				if lt.After(t) {
					return time.Time{}, fmt.Errorf("clone replayed a commit at %s, after its target %s",
						lt.Format(time.RFC3339Nano), t.Format(time.RFC3339Nano))
				}
			}
			return lt, nil
		}
		select {
		case <-wctx.Done():
			return time.Time{}, explainRecoveryFailure(logFile, t, fmt.Errorf("recovery to %s not reached after %s (state %s): %w",
				t.Format(time.RFC3339Nano), timeout, state, wctx.Err()))
		case <-time.After(delay):
		}
		if delay < 200*time.Millisecond {
			delay *= 2
		}
	}
}

// resume finds a ready clone on disk, starting it if it was stopped.
func (l *LocalCloner) resume(ctx context.Context, c platform.Cluster, dir string, t time.Time) (Clone, error) {
	raw, err := os.ReadFile(filepath.Join(dir, cloneStateFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			if _, serr := os.Stat(dir); serr == nil {
				return Clone{}, fmt.Errorf("folder %s holds an unfinished clone", dir)
			}
		}
		return Clone{}, err
	}
	var cl Clone
	if err := json.Unmarshal(raw, &cl); err != nil {
		return Clone{}, fmt.Errorf("%s: %w", cloneStateFile, err)
	}
	cl.Conn = pg.ConnOptionsOf(c) // the description's, now
	running, err := pg.Running(ctx, c.PGBin, c.OSUser, cl.DataDir)
	if err != nil {
		return Clone{}, err
	}
	if !running {
		if err := pg.StartDataDir(ctx, c.PGBin, c.OSUser, cl.DataDir, filepath.Join(dir, "postgres.log")); err != nil {
			return Clone{}, err
		}
	}
	last, err := l.waitPaused(ctx, c, cl, filepath.Join(dir, "postgres.log"), t)
	if err != nil {
		return Clone{}, err
	}
	cl.LastCommit = last
	cl.Seconds = 0
	return cl, nil
}

// Teardown stops the clone and removes its folder. Idempotent.
func (l *LocalCloner) Teardown(ctx context.Context, id string) error {
	cluster, _, err := ParseCloneID(id)
	if err != nil {
		return refuse("teardown: %v", err)
	}
	c, err := l.cluster(cluster)
	if err != nil {
		return err
	}
	unlock, err := lockFile(ctx, filepath.Join(c.ScratchDir, id+".lock"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("teardown clone %s: %w", id, err)
	}
	defer unlock()
	dir := filepath.Join(c.ScratchDir, id)
	if err := pg.StopDataDir(ctx, c.PGBin, c.OSUser, filepath.Join(dir, "data")); err != nil {
		return fmt.Errorf("teardown clone %s: %w", id, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("teardown clone %s: %w", id, err)
	}
	_ = os.Remove(filepath.Join(c.ScratchDir, id+".lock"))
	l.Logger.Info("clone torn down", zap.String("cluster", cluster), zap.String("clone", id))
	return nil
}

// Clones lists the ready clones of a cluster found on disk.
func (l *LocalCloner) Clones(cluster string) ([]Clone, error) {
	c, err := l.cluster(cluster)
	if err != nil {
		return nil, err
	}
	matches, err := filepath.Glob(filepath.Join(c.ScratchDir, "*", cloneStateFile))
	if err != nil {
		return nil, err
	}
	var out []Clone
	for _, m := range matches {
		raw, err := os.ReadFile(m)
		if err != nil {
			continue
		}
		var cl Clone
		if json.Unmarshal(raw, &cl) == nil && cl.Cluster == cluster {
			out = append(out, cl)
		}
	}
	return out, nil
}

func writeJSON(path string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path+".tmp", raw, 0o644); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// lockFile takes an exclusive flock, polling so ctx can cancel the wait.
func lockFile(ctx context.Context, path string) (func(), error) {
	if _, err := os.Stat(filepath.Dir(path)); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); _ = f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			_ = f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
