package sandbox

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/portowner"
	"github.com/lazarus-dr/lazarus/internal/tools"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
	"github.com/lazarus-dr/lazarus/platform/pgbackrest"
)

// With `sandbox up --backups pgbackrest` the clusters are backed up by
// pgBackRest instead of pg_basebackup folders: each cluster is a stanza
// (named as the cluster) of one repository on an S3 server of its own (a
// second versitygw, over TLS with a certificate made here, since pgBackRest
// only speaks TLS to S3), its archive_command is pgBackRest's archive-push,
// and `sandbox backup` runs `pgbackrest backup --type=incr` (a full backup
// the first time: pgBackRest makes an incr with no full before it full).
// The repository's keys are only in pgbackrest.conf (mode 0600).

// repoBucket is the repository's bucket.
const repoBucket = "pgbackrest"

// repoAccessKey is the repository server's access key (its secret is random).
const repoAccessKey = "pgbackrest"

// PGBackRestDir is the folder of pgBackRest's configuration, repository
// server, TLS files and logs.
func (l Layout) PGBackRestDir() string { return filepath.Join(l.Root, "pgbackrest") }

// PGBackRestConfig is the pgbackrest.conf the clusters and clones use.
func (l Layout) PGBackRestConfig() string { return filepath.Join(l.PGBackRestDir(), "pgbackrest.conf") }

func (l Layout) repoTLS() repoTLS   { return repoTLS{dir: filepath.Join(l.PGBackRestDir(), "tls")} }
func (l Layout) repoS3Root() string { return filepath.Join(l.PGBackRestDir(), "s3") }
func (l Layout) repoS3Log() string  { return filepath.Join(l.PGBackRestDir(), "versitygw.log") }

// CheckBackups checks a backup kind asked of the sandbox ("" is the
// default, local).
func CheckBackups(kind string) error {
	switch kind {
	case "", platform.BackupsLocal, platform.BackupsPGBackRest:
		return nil
	}
	return fmt.Errorf("--backups %q: want %s or %s", kind, platform.BackupsLocal, platform.BackupsPGBackRest)
}

// resolveBackups checks Options.Backups against what the state folder was
// made with: a state folder keeps its backup kind.
func resolveBackups(st *State, asked string, fresh bool) error {
	if err := CheckBackups(asked); err != nil {
		return err
	}
	if fresh {
		st.Backups = asked
		return nil
	}
	have := st.Backups
	if have == "" {
		have = platform.BackupsLocal
	}
	if asked != "" && asked != have {
		return fmt.Errorf("--backups %s asked for, but this state dir is backed up by %s (remove the state dir to change)", asked, have)
	}
	return nil
}

// pgbackrestOn reports whether the sandbox's clusters are backed up by
// pgBackRest.
func (p *Platform) pgbackrestOn() bool {
	return p.state != nil && p.state.Backups == platform.BackupsPGBackRest
}

// pgbackrestTool is cluster's stanza.
func (p *Platform) pgbackrestTool(cluster string) (pgbackrest.Tool, error) {
	bin, err := pgbackrest.Find("")
	if err != nil {
		return pgbackrest.Tool{}, err
	}
	return pgbackrest.Tool{Bin: bin, Config: p.layout.PGBackRestConfig(), Stanza: cluster, OSUser: p.state.OSUser}, nil
}

// pgbackrestArchive makes a cluster's archive_command pgBackRest's.
func (p *Platform) pgbackrestArchive(cfg *pg.ClusterConfig) error {
	if !p.pgbackrestOn() {
		return nil
	}
	t, err := p.pgbackrestTool(cfg.Name)
	if err != nil {
		return fmt.Errorf("cluster %s: %w", cfg.Name, err)
	}
	cfg.ExtraConf["archive_command"] = t.ArchivePushCommand()
	return nil
}

// createStanza creates a cluster's stanza from its data folder (offline:
// before the cluster archives its first segment). Idempotent.
func (p *Platform) createStanza(ctx context.Context, cluster string) error {
	if !p.pgbackrestOn() {
		return nil
	}
	t, err := p.pgbackrestTool(cluster)
	if err != nil {
		return fmt.Errorf("cluster %s: %w", cluster, err)
	}
	if _, err := t.Run(ctx, "stanza-create", "--no-online"); err != nil {
		return fmt.Errorf("cluster %s: %w", cluster, err)
	}
	return nil
}

// startRepo starts the repository's S3 server (over TLS) and writes
// pgbackrest.conf, before the clusters start archiving into it.
func (p *Platform) startRepo(ctx context.Context) error {
	if !p.pgbackrestOn() {
		return nil
	}
	if p.network != "" {
		// Workers on other hosts would restore from localhost, their own.
		return fmt.Errorf("--backups %s with --network %s: the repository's server listens on this host's loopback only; use local backups for several hosts",
			platform.BackupsPGBackRest, p.network)
	}
	if _, err := pgbackrest.Find(""); err != nil {
		return err
	}
	l := p.layout
	if err := l.repoTLS().ensure(time.Now()); err != nil {
		return err
	}
	secret, err := repoSecret(l.PGBackRestConfig())
	if err != nil {
		return err
	}
	if err := p.runRepoGateway(ctx, secret); err != nil {
		return err
	}
	if err := p.ensureRepoBucket(ctx, secret); err != nil {
		return err
	}
	return p.writePGBackRestConfig(secret)
}

// repoSecret is the secret key in pgbackrest.conf, or a new random one.
func repoSecret(conf string) (string, error) {
	f, err := os.Open(conf)
	if errors.Is(err, os.ErrNotExist) {
		return repoRandomSecret()
	}
	if err != nil {
		return "", fmt.Errorf("pgbackrest config: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "repo1-s3-key-secret="); ok && v != "" {
			return v, nil
		}
	}
	return repoRandomSecret()
}

// repoRandomSecret is a new secret key for the repository's server.
func repoRandomSecret() (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("pgBackRest repository: random secret: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// writePGBackRestConfig writes pgbackrest.conf with the clusters' ports as
// recorded (called again once the clusters listen).
func (p *Platform) writePGBackRestConfig(secret string) error {
	l := p.layout
	dir := l.PGBackRestDir()
	cfg := pgbackrest.Config{
		S3: &pgbackrest.S3{Endpoint: repoHost, Port: p.state.RepoPort, Bucket: repoBucket, Region: "us-east-1",
			Key: repoAccessKey, Secret: secret, CAFile: l.repoTLS().CA()},
		Path:          "/repo",
		RetentionDays: int(Retention / (24 * time.Hour)),
		LogPath:       filepath.Join(dir, "log"), LockPath: filepath.Join(dir, "lock"), SpoolPath: filepath.Join(dir, "spool"),
	}
	for _, name := range clusterNames() {
		port := p.state.Ports.PlatformPG
		if name == clusterNames()[1] {
			port = p.state.Ports.ProductsPG
		}
		cfg.Stanzas = append(cfg.Stanzas, pgbackrest.Stanza{Name: name, DataDir: l.DataDir(name), Port: port, SocketDir: l.SocketDir(name)})
	}
	if err := pg.PrepareDir(dir, p.state.OSUser, 0o755); err != nil {
		return err
	}
	return cfg.Write(l.PGBackRestConfig(), p.state.OSUser)
}

// refreshPGBackRestConfig rewrites pgbackrest.conf once the clusters
// listen (a picked port may have moved).
func (p *Platform) refreshPGBackRestConfig() error {
	if !p.pgbackrestOn() {
		return nil
	}
	secret, err := repoSecret(p.layout.PGBackRestConfig())
	if err != nil {
		return err
	}
	return p.writePGBackRestConfig(secret)
}

// runRepoGateway starts versitygw with TLS on the recorded (or a free)
// port of the loopback and waits until it listens there.
func (p *Platform) runRepoGateway(ctx context.Context, secret string) error {
	_ = p.stopRepo()
	bin, err := tools.VersityGW()
	if err != nil {
		return fmt.Errorf("pgBackRest repository server: %w", err)
	}
	if err := os.MkdirAll(p.layout.repoS3Root(), 0o755); err != nil {
		return fmt.Errorf("pgBackRest repository server: %w", err)
	}
	if p.state.RepoPort == 0 {
		if p.state.RepoPort, err = freePort(); err != nil {
			return fmt.Errorf("pgBackRest repository server: %w", err)
		}
	}
	port := p.state.RepoPort
	logf, err := os.OpenFile(p.layout.repoS3Log(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("pgBackRest repository server: %w", err)
	}
	defer logf.Close()
	tl := p.layout.repoTLS()
	cmd := exec.Command(bin, "--port", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), "--cert", tl.Cert(), "--key", tl.Key(),
		"posix", p.layout.repoS3Root())
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+repoAccessKey, "ROOT_SECRET_ACCESS_KEY="+secret)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgBackRest repository server: start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	p.state.RepoGatewayPID = cmd.Process.Pid
	if err := writeState(p.layout, p.state); err != nil {
		return err
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if ok, _ := portowner.Listens(cmd.Process.Pid, port); ok {
			p.log.Info("pgBackRest repository server up", zap.Int("port", port), zap.Int("pid", cmd.Process.Pid))
			return nil
		}
		select {
		case werr := <-exited:
			return fmt.Errorf("pgBackRest repository server on port %d exited at start (%v); see %s", port, werr, p.layout.repoS3Log())
		case <-ctx.Done():
			return fmt.Errorf("pgBackRest repository server: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgBackRest repository server did not listen on port %d within 15s; see %s", port, p.layout.repoS3Log())
		}
	}
}

// ensureRepoBucket creates the repository's bucket (idempotent).
func (p *Platform) ensureRepoBucket(ctx context.Context, secret string) error {
	pool, err := p.layout.repoTLS().pool()
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	c := s3.New(s3.Options{Region: "us-east-1", UsePathStyle: true, HTTPClient: hc,
		BaseEndpoint: aws.String("https://" + net.JoinHostPort(repoHost, strconv.Itoa(p.state.RepoPort))),
		Credentials:  credentials.NewStaticCredentialsProvider(repoAccessKey, secret, "")})
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(repoBucket)}); err == nil {
		return nil
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(repoBucket)}); err != nil {
		var owned *types.BucketAlreadyOwnedByYou
		if !errors.As(err, &owned) {
			return fmt.Errorf("pgBackRest repository: create bucket %s: %w", repoBucket, err)
		}
	}
	return nil
}

// stopRepo stops the repository's server: SIGTERM, then SIGKILL after 5 s.
func (p *Platform) stopRepo() error {
	if p.state == nil || p.state.RepoGatewayPID == 0 {
		return nil
	}
	pid := p.state.RepoGatewayPID
	if processAlive(pid, "versitygw") {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		if !waitGone(pid, 5*time.Second) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			if !waitGone(pid, 5*time.Second) {
				return fmt.Errorf("pgBackRest repository server pid %d does not stop", pid)
			}
		}
	}
	p.state.RepoGatewayPID = 0
	return nil
}

// describePGBackRest makes the description's clusters pgBackRest's.
func (p *Platform) describePGBackRest(d *platform.Description) {
	if !p.pgbackrestOn() {
		return
	}
	bin, _ := pgbackrest.Find("")
	for i := range d.Clusters {
		c := &d.Clusters[i]
		c.Backups = platform.BackupsPGBackRest
		c.PGBackRest = &platform.PGBackRest{Stanza: c.Name, Config: p.layout.PGBackRestConfig(), Bin: bin}
		c.BackupDir, c.WALArchive = "", ""
	}
}

// backupPGBackRest is Backup with pgBackRest: an incremental backup of each
// cluster (full the first time), then a WAL switch archived.
func (p *Platform) backupPGBackRest(ctx context.Context) ([]pg.BackupInfo, error) {
	var out []pg.BackupInfo
	for _, name := range clusterNames() {
		start := time.Now()
		t, err := p.pgbackrestTool(name)
		if err != nil {
			return out, fmt.Errorf("backup: %w", err)
		}
		if err := t.Backup(ctx, "incr"); err != nil {
			return out, fmt.Errorf("backup: %w", err)
		}
		if err := p.clusters[name].SwitchWALAndWaitArchived(ctx); err != nil {
			return out, fmt.Errorf("backup: %w", err)
		}
		info, err := t.Info(ctx)
		if err != nil {
			return out, fmt.Errorf("backup: %w", err)
		}
		if len(info.Backups) == 0 {
			return out, fmt.Errorf("backup: stanza %s has no backup after pgbackrest backup", name)
		}
		b := info.Backups[len(info.Backups)-1]
		p.log.Info("pgBackRest backup", zap.String("cluster", name), zap.String("label", b.Label), zap.String("type", b.Type),
			zap.Duration("took", time.Since(start)))
		out = append(out, pg.BackupInfo{Cluster: name, Label: b.Label, Dir: "pgbackrest:" + name + "/" + b.Label + " (" + b.Type + ")",
			StartTime: b.Start, EndTime: b.Restorable})
	}
	return out, nil
}
