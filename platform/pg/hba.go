package pg

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// The authentication methods writeHostAuth accepts.
const (
	AuthTrust = "trust"
	AuthSCRAM = "scram-sha-256"
)

// writeHostAuth sets the method of pg_hba.conf's "host all all ADDRESS"
// lines (the ones initdb wrote for loopback) to method (empty: trust), so
// that a cluster can require a password over TCP. Unix-socket ("local")
// lines and replication lines stay as initdb wrote them: the cluster's own
// tools (pg_basebackup, pgBackRest) run as its OS user on this machine.
// Idempotent; a file not made yet is left alone.
func writeHostAuth(hba, method string) error {
	if method == "" {
		method = AuthTrust
	}
	if method != AuthTrust && method != AuthSCRAM {
		return fmt.Errorf("host authentication %q is neither %s nor %s", method, AuthTrust, AuthSCRAM)
	}
	raw, err := os.ReadFile(hba)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	lines := strings.Split(string(raw), "\n")
	for i, line := range lines {
		f := strings.Fields(line)
		if len(f) != 5 || f[0] != "host" || f[1] != "all" || f[2] != "all" || f[4] == method {
			continue
		}
		if f[4] != AuthTrust && f[4] != AuthSCRAM {
			continue // a rule someone else wrote
		}
		lines[i] = strings.Join(append(f[:4], method), " ")
	}
	text := strings.Join(lines, "\n")
	if text == string(raw) {
		return nil
	}
	info, err := os.Stat(hba)
	if err != nil {
		return err
	}
	if err := os.WriteFile(hba, []byte(text), info.Mode().Perm()); err != nil {
		return fmt.Errorf("write %s: %w", hba, err)
	}
	return nil
}
