// Package tools finds the external programs Lazarus runs: the Temporal CLI
// (dev server and Web UI), the S3 server (versitygw) and PostgreSQL's server
// programs. scripts/install-tools.sh installs them, pinned, into .tools/bin.
//
// It must never download or install anything itself.
package tools

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Versions pinned by scripts/install-tools.sh.
const (
	TemporalCLIVersion = "v1.5.1"
	VersityGWVersion   = "v1.8.0"
)

// RepoRoot walks up from the working directory to the folder holding go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// find looks for a program: the environment variable first, then the repo's
// .tools/bin, then PATH.
func find(envVar, name string) (string, error) {
	if p := os.Getenv(envVar); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", envVar, p, err)
		}
		return p, nil
	}
	if root, err := RepoRoot(); err == nil {
		p := filepath.Join(root, ".tools", "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found: set %s, or run scripts/install-tools.sh (make tools)", name, envVar)
}

// TemporalCLI returns the path of the `temporal` CLI (LAZARUS_TEMPORAL_BIN).
func TemporalCLI() (string, error) { return find("LAZARUS_TEMPORAL_BIN", "temporal") }

// TemporalServer returns the path of temporal-server
// (LAZARUS_TEMPORAL_SERVER_BIN; `make tools-server` builds it).
func TemporalServer() (string, error) {
	return serverTool(find("LAZARUS_TEMPORAL_SERVER_BIN", "temporal-server"))
}

// TemporalSQLTool returns the path of temporal-sql-tool
// (LAZARUS_TEMPORAL_SQL_TOOL_BIN; `make tools-server` builds it).
func TemporalSQLTool() (string, error) {
	return serverTool(find("LAZARUS_TEMPORAL_SQL_TOOL_BIN", "temporal-sql-tool"))
}

// serverTool adds where the server's programs come from to find's error:
// `make tools` does not build them.
func serverTool(path string, err error) (string, error) {
	if err != nil {
		return "", fmt.Errorf("%w; the Temporal server's programs come from make tools-server", err)
	}
	return path, nil
}

// VersityGW returns the path of the versitygw S3 server (LAZARUS_VERSITYGW_BIN).
func VersityGW() (string, error) { return find("LAZARUS_VERSITYGW_BIN", "versitygw") }

// PGBin returns the folder of PostgreSQL's server programs (initdb, pg_ctl,
// pg_basebackup): LAZARUS_PG_BIN, else the newest /usr/lib/postgresql/*/bin.
func PGBin() (string, error) {
	if p := os.Getenv("LAZARUS_PG_BIN"); p != "" {
		if _, err := os.Stat(filepath.Join(p, "initdb")); err != nil {
			return "", fmt.Errorf("LAZARUS_PG_BIN=%s has no initdb: %w", p, err)
		}
		return p, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
		return "", fmt.Errorf("PostgreSQL server programs not found: install postgresql-15 (make tools) or set LAZARUS_PG_BIN")
	}
	return filepath.Dir(matches[len(matches)-1]), nil
}
