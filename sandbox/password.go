package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lazarus-dr/lazarus/platform/pg"
)

// pgPassFile is the sandbox's PostgreSQL password file (the .pgpass
// format, mode 0600) when its clusters require a password
// (Options.Password): "*:*:*:postgres:<password>", which also covers the
// point-in-time clones, on ports of their own. Its presence turns password
// authentication on for every later Up and Open of the state folder.
const pgPassFile = "pgpass"

// PassFile is the path of the sandbox's PostgreSQL password file.
func (l Layout) PassFile() string { return filepath.Join(l.Root, pgPassFile) }

// passwordOn says whether the sandbox's clusters require a password.
func (p *Platform) passwordOn() bool {
	_, err := os.Stat(p.layout.PassFile())
	return err == nil
}

// preparePassword writes the password file with a random password when on
// and there is none yet. A sandbox made without a password keeps trust
// authentication: its clusters' superuser has no password to check.
func (p *Platform) preparePassword(on bool) error {
	if !on || p.passwordOn() {
		return nil
	}
	pw, err := randomSecret(16)
	if err != nil {
		return err
	}
	line := fmt.Sprintf("*:*:*:%s:%s\n", pg.Superuser, pw)
	if err := os.WriteFile(p.layout.PassFile(), []byte(line), 0o600); err != nil {
		return fmt.Errorf("password file: %w", err)
	}
	return nil
}

// hostAuth is the clusters' authentication of TCP connections (see
// pg.ClusterConfig.HostAuth), and passFile the password file their DSNs
// name: both empty without a password.
func (p *Platform) hostAuth() (auth, passFile string) {
	if !p.passwordOn() {
		return "", ""
	}
	return pg.AuthSCRAM, p.layout.PassFile()
}

// password reads the password of the password file.
func (p *Platform) password() (string, error) {
	raw, err := os.ReadFile(p.layout.PassFile())
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	f := strings.Split(strings.TrimSpace(string(raw)), ":")
	if len(f) != 5 || f[4] == "" {
		return "", errors.New("password file " + p.layout.PassFile() + " is not one line host:port:db:user:password")
	}
	return f[4], nil
}

// setPassword gives the superuser of a started cluster the password of the
// password file, over the cluster's Unix socket (trusted: only its own
// machine's users reach it), before anything connects over TCP, where
// pg_hba.conf now asks for it. Idempotent; nothing without a password.
func (p *Platform) setPassword(ctx context.Context, c *pg.Cluster) error {
	if !p.passwordOn() {
		return nil
	}
	pw, err := p.password()
	if err != nil {
		return err
	}
	cfg := c.Config()
	conn, err := pg.Open(ctx, pg.DSN(cfg.SocketDir, cfg.Port, pg.Superuser, "postgres"))
	if err != nil {
		return fmt.Errorf("cluster %s: set the password: %w", cfg.Name, err)
	}
	defer conn.Close(context.Background())
	var stmt string
	if err := conn.QueryRow(ctx, "SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)", pg.Superuser, pw).Scan(&stmt); err != nil {
		return fmt.Errorf("cluster %s: set the password: %w", cfg.Name, err)
	}
	if _, err := conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("cluster %s: set the password of %s failed", cfg.Name, pg.Superuser)
	}
	return nil
}
