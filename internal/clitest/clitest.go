// Package clitest runs the lazarus CLI in tests the way a coordinator
// would, and reports what it printed and its exit code: in-process through
// its entry point (Harness), or as a built binary (Run).
//
// It is for tests only and must never be imported by production code.
package clitest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Main is the CLI's entry point as a test calls it: the arguments after
// the program name, the standard streams, and the exit status it returns.
type Main func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int

// Harness runs the CLI in-process, one fresh command tree a run.
type Harness struct {
	// Main is the CLI's entry point.
	Main Main
	// Dir, when set, is the working directory of every run (absolute: a run
	// changes into it for the rest of the test).
	Dir string
	// Env holds KEY=VALUE pairs set for the rest of the test before a run.
	Env []string
	// Stdin is what a run reads from its standard input.
	Stdin string
}

// Result is what one run printed, and its exit code.
type Result struct {
	Stdout, Stderr string
	// Output is stdout and stderr together, in the order they were written.
	Output string
	Code   int
}

// Run runs the CLI with args and logs the command line, exit code and
// output. Because it changes the working directory and the environment of
// the process, tests that use it must not run in parallel.
func (h Harness) Run(t testing.TB, ctx context.Context, args ...string) Result {
	t.Helper()
	if h.Dir != "" {
		if !filepath.IsAbs(h.Dir) {
			t.Fatalf("clitest: Harness.Dir %q is not absolute", h.Dir)
		}
		t.Chdir(h.Dir)
	}
	for _, kv := range h.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("clitest: Harness.Env %q is not KEY=VALUE", kv)
		}
		t.Setenv(k, v)
	}
	var out, errOut bytes.Buffer
	all := &lockedBuffer{}
	code := h.Main(ctx, args, strings.NewReader(h.Stdin), io.MultiWriter(&out, all), io.MultiWriter(&errOut, all))
	r := Result{Stdout: out.String(), Stderr: errOut.String(), Output: all.String(), Code: code}
	logRun(t, args, r.Code, r.Output)
	return r
}

// lockedBuffer is a buffer that stdout and stderr may write to at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Run runs bin with args, env added to the process's environment. It logs
// the command line, exit code and output, and returns the combined output
// and the exit code. It fails the test when bin cannot be run at all.
func Run(t testing.TB, ctx context.Context, bin string, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run lazarus %v: %v", args, err)
	}
	logRun(t, args, code, b.String())
	return b.String(), code
}

func logRun(t testing.TB, args []string, code int, output string) {
	t.Helper()
	t.Logf("$ lazarus %s  (exit %d)\n%s", strings.Join(args, " "), code, output)
}
