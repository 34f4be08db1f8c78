package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/lazarus-dr/lazarus/sandbox/services"
)

// Ports are the sandbox's listen ports on 127.0.0.1; 0 picks a free one.
// Ports picked once are recorded in the state folder and reused by the
// next Up.
type Ports struct {
	PlatformPG int            `json:"platform_pg"`
	ProductsPG int            `json:"products_pg"`
	S3         int            `json:"s3"`
	Services   services.Ports `json:"services"`
}

// State is what Up records in StateDir/state.json so that a second Up
// resumes and other processes (Open) find the running sandbox.
type State struct {
	Ports  Ports  `json:"ports"`
	Shards int    `json:"shards"`
	OSUser string `json:"os_user"`
	// Bucket and the S3 access key of the media store (its secret key is
	// only in Layout.S3Credentials).
	Bucket    string `json:"bucket"`
	AccessKey string `json:"access_key"`
	// UpPID is the process running Up (0 when none).
	UpPID int `json:"up_pid"`
	// UpExe is that process's program name (guards against a recycled pid).
	UpExe string `json:"up_exe,omitempty"`
	// GatewayPID is the versitygw process (0 when none).
	GatewayPID int       `json:"gateway_pid"`
	CreatedAt  time.Time `json:"created_at"`
	StartedAt  time.Time `json:"started_at,omitempty"`

	// Backups is the clusters' backup kind ("" is local; pgbackrest.go), and
	// RepoPort and RepoGatewayPID are the pgBackRest repository's server.
	Backups        string `json:"backups,omitempty"`
	RepoPort       int    `json:"repo_port,omitempty"`
	RepoGatewayPID int    `json:"repo_gateway_pid,omitempty"`
}

// Paths inside a state folder.
const (
	stateFile       = "state.json"
	DescriptionFile = "platform.yaml"
)

// Layout gives the folders of a state directory.
type Layout struct{ Root string }

func (l Layout) StateFile() string           { return filepath.Join(l.Root, stateFile) }
func (l Layout) Description() string         { return filepath.Join(l.Root, DescriptionFile) }
func (l Layout) PGDir(cluster string) string { return filepath.Join(l.Root, "pg", cluster) }
func (l Layout) DataDir(cluster string) string {
	return filepath.Join(l.PGDir(cluster), "data")
}
func (l Layout) SocketDir(cluster string) string {
	return filepath.Join(l.PGDir(cluster), "socket")
}
func (l Layout) WALArchive(cluster string) string {
	return filepath.Join(l.PGDir(cluster), "wal-archive")
}
func (l Layout) BackupDir(cluster string) string {
	return filepath.Join(l.PGDir(cluster), "backups")
}
func (l Layout) ScratchDir(cluster string) string {
	return filepath.Join(l.PGDir(cluster), "scratch")
}
func (l Layout) S3Root() string     { return filepath.Join(l.Root, "s3", "data") }
func (l Layout) S3Versions() string { return filepath.Join(l.Root, "s3", "versions") }
func (l Layout) S3Log() string      { return filepath.Join(l.Root, "s3", "versitygw.log") }

func readState(l Layout) (*State, error) {
	raw, err := os.ReadFile(l.StateFile())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read sandbox state %s: %w", l.StateFile(), err)
	}
	var s State
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("read sandbox state %s: %w", l.StateFile(), err)
	}
	return &s, nil
}

func writeState(l Layout, s *State) error {
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := l.StateFile() + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o644); err != nil {
		return fmt.Errorf("write sandbox state: %w", err)
	}
	if err := os.Rename(tmp, l.StateFile()); err != nil {
		return fmt.Errorf("write sandbox state: %w", err)
	}
	return nil
}

// processAlive reports whether pid runs and its command line contains
// want (guards against a recycled pid).
func processAlive(pid int, want string) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// A zombie is not alive.
		if i := strings.LastIndexByte(string(st), ')'); i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
			return false
		}
	}
	return want == "" || strings.Contains(string(raw), want)
}

// upAlive reports whether the recorded up process still runs.
func (s *State) upAlive() bool {
	return s != nil && s.UpPID != 0 && processAlive(s.UpPID, s.UpExe)
}

func selfExe() string { return filepath.Base(os.Args[0]) }

// DefaultStateDir is $LAZARUS_STATE/sandbox when set, else .state/sandbox
// under the repository (or the working directory).
func DefaultStateDir(repoRoot string) string {
	if s := os.Getenv("LAZARUS_STATE"); s != "" {
		return filepath.Join(s, "sandbox")
	}
	if repoRoot == "" {
		repoRoot = "."
	}
	return filepath.Join(repoRoot, ".state", "sandbox")
}
