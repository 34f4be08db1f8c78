package pgbackrest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/lazarus-dr/lazarus/platform/pg"
)

// Program is pgBackRest's program name on PATH.
const Program = "pgbackrest"

// Find returns bin when set, else pgbackrest's path on PATH, with a clear
// message when it is missing.
func Find(bin string) (string, error) {
	if bin != "" {
		return bin, nil
	}
	p, err := exec.LookPath(Program)
	if err != nil {
		return "", errors.New("pgbackrest is not installed (Debian: apt-get install pgbackrest; or scripts/install-tools.sh)")
	}
	return p, nil
}

// Tool runs pgBackRest on one stanza of one configuration file, as the
// cluster's OS user (runuser when this process is root).
type Tool struct {
	// Bin is the program (Find's answer).
	Bin    string
	Config string
	Stanza string
	OSUser string
}

// args are the options every command takes.
func (t Tool) args() []string {
	return []string{"--config=" + t.Config, "--stanza=" + t.Stanza}
}

// Run runs one command (stanza-create, backup, info, restore, ...) with
// more options, and returns its standard output. The error names the
// command and carries pgBackRest's own error lines.
func (t Tool) Run(ctx context.Context, command string, opts ...string) (string, error) {
	args := append(t.args(), opts...)
	args = append(args, command)
	cmd := pg.AsUser(ctx, t.OSUser, t.Bin, args...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("pgbackrest %s of stanza %s: %w", command, t.Stanza, ctx.Err())
		}
		return "", fmt.Errorf("pgbackrest %s of stanza %s: %w: %s", command, t.Stanza, err, errorLines(stderr.String()+out.String()))
	}
	return out.String(), nil
}

// errorLines keeps pgBackRest's ERROR lines (its whole output when none).
func errorLines(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "ERROR:") {
			keep = append(keep, strings.TrimSpace(l))
		}
	}
	if len(keep) == 0 {
		return strings.TrimSpace(out)
	}
	return strings.Join(keep, "; ")
}

// StanzaCreate creates the stanza in the repository (idempotent: a stanza
// that exists for the same cluster is left as it is).
func (t Tool) StanzaCreate(ctx context.Context) error {
	_, err := t.Run(ctx, "stanza-create")
	return err
}

// Backup takes a backup of type full, diff or incr (an incr or diff with
// no full before it is made full by pgBackRest).
func (t Tool) Backup(ctx context.Context, typ string) error {
	_, err := t.Run(ctx, "backup", "--type="+typ)
	return err
}

// ArchivePushCommand is the archive_command that pushes WAL into the
// stanza's repository.
func (t Tool) ArchivePushCommand() string {
	return fmt.Sprintf("%s --config=%s --stanza=%s archive-push %%p", shellQuote(t.Bin), shellQuote(t.Config), shellQuote(t.Stanza))
}

// ArchiveGetCommand is the restore_command of a copy of the cluster whose
// data folder is dataDir.
func (t Tool) ArchiveGetCommand(dataDir string) string {
	return fmt.Sprintf("%s --config=%s --stanza=%s --pg1-path=%s archive-get %%f \"%%p\"",
		shellQuote(t.Bin), shellQuote(t.Config), shellQuote(t.Stanza), shellQuote(dataDir))
}

// shellQuote quotes a word for /bin/sh (PostgreSQL runs archive and
// restore commands through it).
func shellQuote(v string) string {
	if v != "" && strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-=") == "" {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// Restore restores backup set label into dataDir for a recovery to target
// (recovery_target_time's format) that pauses there. dataDir must exist,
// owned by the OS user, mode 0700.
func (t Tool) Restore(ctx context.Context, dataDir, label, target string) error {
	_, err := t.Run(ctx, "restore", "--pg1-path="+dataDir, "--set="+label, "--type=time",
		"--target="+target, "--target-action=pause", "--delta")
	return err
}
