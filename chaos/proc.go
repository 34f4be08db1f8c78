package chaos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a child process of the driver: in its own process group (a
// Ctrl-C to the driver does not reach it; the driver stops it in order),
// its output in its own log file, its PID in the scenario's pids folder.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	pidFile string
	done    chan struct{}
	err     error
}

// startProc starts bin with args, env added to the driver's environment.
func startProc(name, logPath, pidDir string, env []string, bin string, args ...string) (*proc, error) {
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, err
	}
	out, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("start %s (%s): %w", name, bin, err)
	}
	p := &proc{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	if pidDir != "" && os.MkdirAll(pidDir, 0o755) == nil {
		p.pidFile = filepath.Join(pidDir, name)
		_ = os.WriteFile(p.pidFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644)
	}
	go func() {
		p.err = cmd.Wait()
		out.Close()
		if p.pidFile != "" {
			_ = os.Remove(p.pidFile)
		}
		close(p.done)
	}()
	return p, nil
}

// PID is the process's ID.
func (p *proc) PID() int { return p.cmd.Process.Pid }

// exited says whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits up to d for the process to end.
func (p *proc) wait(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

// kill sends SIGKILL to the process (its PID only, never its group: a
// worker killed in a scenario has no children) and waits for it to end.
func (p *proc) kill() error {
	if p.exited() {
		return fmt.Errorf("%s (pid %d) had already ended", p.name, p.PID())
	}
	if err := syscall.Kill(p.PID(), syscall.SIGKILL); err != nil {
		return fmt.Errorf("SIGKILL %s (pid %d): %w", p.name, p.PID(), err)
	}
	if !p.wait(10 * time.Second) {
		return fmt.Errorf("%s (pid %d) still runs 10s after SIGKILL", p.name, p.PID())
	}
	return nil
}

// freeze stops the process (SIGSTOP) where it is: nothing it runs can end
// until thaw or kill.
func (p *proc) freeze() error {
	if p.exited() {
		return fmt.Errorf("%s (pid %d) had already ended", p.name, p.PID())
	}
	return syscall.Kill(p.PID(), syscall.SIGSTOP)
}

// thaw lets a frozen process go on (SIGCONT).
func (p *proc) thaw() { _ = syscall.Kill(p.PID(), syscall.SIGCONT) }

// stop sends sig, waits up to grace, then SIGKILLs the process's group
// (what a process left behind in its own group ends with it).
func (p *proc) stop(sig syscall.Signal, grace time.Duration) error {
	if p.exited() {
		return nil
	}
	_ = syscall.Kill(p.PID(), sig)
	if p.wait(grace) {
		return nil
	}
	_ = syscall.Kill(-p.PID(), syscall.SIGKILL)
	if !p.wait(10 * time.Second) {
		return fmt.Errorf("%s (pid %d) still runs after SIGKILL", p.name, p.PID())
	}
	return fmt.Errorf("%s (pid %d) ignored %s for %s: killed", p.name, p.PID(), sig, grace)
}

// logSize is the current size of the log, to wait for lines written after it.
func (p *proc) logSize() int64 {
	st, err := os.Stat(p.logPath)
	if err != nil {
		return 0
	}
	return st.Size()
}

// waitLog waits until the log holds want after offset, the process ends
// (an error with the log's tail) or d passes.
func (p *proc) waitLog(ctx context.Context, offset int64, want string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		raw, _ := os.ReadFile(p.logPath)
		if int64(len(raw)) > offset && bytes.Contains(raw[offset:], []byte(want)) {
			return nil
		}
		if p.exited() {
			return fmt.Errorf("%s ended (%v) before logging %q; log %s ends:\n%s", p.name, p.err, want, p.logPath, tail(raw, 15))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not log %q within %s; log %s ends:\n%s", p.name, want, d, p.logPath, tail(raw, 15))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// tail is the last n lines of b.
func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// output is what a command printed and how it ended.
type output struct {
	Stdout, Stderr string
	Code           int
}

// text is stdout and stderr, for messages.
func (o output) text() string { return strings.TrimSpace(o.Stdout + "\n" + o.Stderr) }

// runCmd runs bin to its end; err is set only when it could not run at
// all or ctx ended.
func runCmd(ctx context.Context, env []string, bin string, args ...string) (output, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	o := output{Stdout: out.String(), Stderr: errOut.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ctx.Err() == nil {
		o.Code = ee.ExitCode()
		return o, nil
	}
	if err != nil {
		o.Code = -1
		return o, fmt.Errorf("%s %s: %w", filepath.Base(bin), strings.Join(args, " "), err)
	}
	return o, nil
}
