package pg

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// DefaultOSUser is the OS user clusters run as: "postgres" when this process
// is root (initdb refuses root), else "" (the current user).
func DefaultOSUser() string {
	if os.Geteuid() == 0 {
		return "postgres"
	}
	return ""
}

// normalOSUser resolves "" to the default and reports whether commands must
// switch user through runuser.
func normalOSUser(osUser string) (name string, switchUser bool) {
	if osUser == "" {
		osUser = DefaultOSUser()
	}
	if osUser == "" || os.Geteuid() != 0 || osUser == "root" {
		return osUser, false
	}
	return osUser, true
}

// Command builds an exec.Cmd for one of PostgreSQL's programs (found in
// pgBin), run as osUser: through `runuser -u osUser --` when this process is
// root, directly otherwise.
func Command(ctx context.Context, pgBin, osUser, program string, args ...string) *exec.Cmd {
	path := program
	if pgBin != "" && !strings.Contains(program, "/") {
		path = filepath.Join(pgBin, program)
	}
	return AsUser(ctx, osUser, path, args...)
}

// AsUser builds an exec.Cmd running any program as osUser (see Command).
func AsUser(ctx context.Context, osUser, path string, args ...string) *exec.Cmd {
	name, sw := normalOSUser(osUser)
	if sw {
		full := append([]string{"-u", name, "--", path}, args...)
		cmd := exec.CommandContext(ctx, "runuser", full...)
		cmd.Dir = "/"
		return cmd
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = "/"
	return cmd
}

// run runs a command and returns a wrapped error carrying its output.
func run(cmd *exec.Cmd) (string, error) {
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("%s: %w: %s", strings.Join(cmd.Args, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// lookupIDs returns the uid and gid of osUser, and whether chown is needed.
func lookupIDs(osUser string) (uid, gid int, chown bool, err error) {
	name, sw := normalOSUser(osUser)
	if !sw {
		return 0, 0, false, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return 0, 0, false, fmt.Errorf("OS user %q: %w", name, err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid, true, nil
}

// PrepareDir creates dir (and its parents) with mode perm, owned by osUser
// when this process is root, and makes every parent traversable by that user
// (adds o+x where missing: t.TempDir() parents are 0700). An existing dir is
// chowned but left otherwise as is.
func PrepareDir(dir, osUser string, perm os.FileMode) error {
	if !filepath.IsAbs(dir) {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fmt.Errorf("prepare dir %s: %w", dir, err)
		}
		dir = abs
	}
	if err := os.MkdirAll(dir, perm); err != nil {
		return fmt.Errorf("prepare dir %s: %w", dir, err)
	}
	uid, gid, chown, err := lookupIDs(osUser)
	if err != nil {
		return fmt.Errorf("prepare dir %s: %w", dir, err)
	}
	if !chown {
		return nil
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		return fmt.Errorf("prepare dir %s: chown: %w", dir, err)
	}
	if err := os.Chmod(dir, perm); err != nil {
		return fmt.Errorf("prepare dir %s: chmod: %w", dir, err)
	}
	return makeTraversable(filepath.Dir(dir))
}

// makeTraversable adds o+x to dir and every parent that lacks it.
func makeTraversable(dir string) error {
	for {
		st, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("make %s traversable: %w", dir, err)
		}
		if st.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(dir, st.Mode().Perm()|0o011); err != nil {
				return fmt.Errorf("make %s traversable: %w", dir, err)
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
}

// PrepareFile creates (or keeps) an empty file owned by osUser.
func PrepareFile(path, osUser string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("prepare file %s: %w", path, err)
	}
	_ = f.Close()
	uid, gid, chown, err := lookupIDs(osUser)
	if err != nil {
		return fmt.Errorf("prepare file %s: %w", path, err)
	}
	if chown {
		if err := os.Chown(path, uid, gid); err != nil {
			return fmt.Errorf("prepare file %s: chown: %w", path, err)
		}
	}
	return nil
}

// ChownTree gives a whole tree to osUser (no-op unless root).
func ChownTree(root, osUser string) error {
	uid, gid, chown, err := lookupIDs(osUser)
	if err != nil || !chown {
		return err
	}
	return filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}
