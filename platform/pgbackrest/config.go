package pgbackrest

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/lazarus-dr/lazarus/platform/pg"
)

// Config is a pgbackrest.conf: one repository (repo1) and the stanzas
// backed up into it.
type Config struct {
	// S3 is the repository when set; else Path is a posix repository.
	S3 *S3
	// Path is the repository folder (posix), or the path inside the
	// bucket (S3; default "/").
	Path string
	// RetentionDays keeps full backups this many days (0: two full
	// backups, pgBackRest's count-based retention).
	RetentionDays int
	// LogPath, LockPath, SpoolPath are pgBackRest's working folders.
	LogPath, LockPath, SpoolPath string
	Stanzas                      []Stanza
}

// S3 is an S3(-compatible) repository. pgBackRest always speaks TLS to it.
type S3 struct {
	// Endpoint is a host name (the server's certificate must name it:
	// pgBackRest 2.45 checks host names, not IP addresses), Port its port.
	Endpoint string
	Port     int
	Bucket   string
	Region   string
	// Key and Secret are the access keys: they are only ever written here,
	// in a file of mode 0600.
	Key, Secret string
	// CAFile verifies the server's certificate (empty: the system's).
	CAFile string
}

// Stanza is one cluster backed up.
type Stanza struct {
	Name string
	// DataDir is the cluster's data folder (pg1-path).
	DataDir string
	// Port and SocketDir reach the cluster (pg1-port, pg1-socket-path).
	Port      int
	SocketDir string
}

// Render is the file's text.
func (c Config) Render() string {
	global := map[string]string{
		"log-path":          c.LogPath,
		"lock-path":         c.LockPath,
		"spool-path":        c.SpoolPath,
		"log-level-console": "warn",
		"log-level-file":    "info",
		"start-fast":        "y",
		"process-max":       "2",
		"compress-type":     "lz4",
		// One object per bundle instead of one per small file: a clone
		// restores in seconds instead of a request per file.
		"repo1-bundle": "y",
	}
	if c.RetentionDays > 0 {
		global["repo1-retention-full-type"] = "time"
		global["repo1-retention-full"] = strconv.Itoa(c.RetentionDays)
	} else {
		global["repo1-retention-full"] = "2"
	}
	if s := c.S3; s != nil {
		path := c.Path
		if path == "" {
			path = "/"
		}
		global["repo1-type"] = "s3"
		global["repo1-path"] = path
		global["repo1-s3-endpoint"] = s.Endpoint
		global["repo1-storage-port"] = strconv.Itoa(s.Port)
		global["repo1-s3-bucket"] = s.Bucket
		global["repo1-s3-region"] = s.Region
		global["repo1-s3-key"] = s.Key
		global["repo1-s3-key-secret"] = s.Secret
		global["repo1-s3-uri-style"] = "path"
		if s.CAFile != "" {
			global["repo1-storage-ca-file"] = s.CAFile
		}
	} else {
		global["repo1-type"] = "posix"
		global["repo1-path"] = c.Path
	}
	var b strings.Builder
	b.WriteString("# Written by Lazarus (platform/pgbackrest).\n")
	section(&b, "global", global)
	stanzas := append([]Stanza(nil), c.Stanzas...)
	sort.Slice(stanzas, func(i, j int) bool { return stanzas[i].Name < stanzas[j].Name })
	for _, s := range stanzas {
		section(&b, s.Name, map[string]string{
			"pg1-path":        s.DataDir,
			"pg1-port":        strconv.Itoa(s.Port),
			"pg1-socket-path": s.SocketDir,
			"pg1-user":        pg.Superuser,
		})
	}
	return b.String()
}

func section(b *strings.Builder, name string, kv map[string]string) {
	keys := make([]string, 0, len(kv))
	for k, v := range kv {
		if v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	fmt.Fprintf(b, "\n[%s]\n", name)
	for _, k := range keys {
		fmt.Fprintf(b, "%s=%s\n", k, kv[k])
	}
}

// Write writes the configuration to path with mode 0600, owned by osUser
// (the clusters' archive_command reads it as that user), and prepares the
// working folders.
func (c Config) Write(path, osUser string) error {
	for _, d := range []string{c.LogPath, c.LockPath, c.SpoolPath} {
		if d == "" {
			continue
		}
		if err := pg.PrepareDir(d, osUser, 0o750); err != nil {
			return fmt.Errorf("pgbackrest config %s: %w", path, err)
		}
	}
	if c.S3 == nil && c.Path != "" {
		if err := pg.PrepareDir(c.Path, osUser, 0o750); err != nil {
			return fmt.Errorf("pgbackrest config %s: %w", path, err)
		}
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(c.Render()), 0o600); err != nil {
		return fmt.Errorf("write pgbackrest config %s: %w", path, err)
	}
	if err := pg.ChownTree(tmp, osUser); err != nil {
		return fmt.Errorf("write pgbackrest config %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write pgbackrest config %s: %w", path, err)
	}
	return nil
}
