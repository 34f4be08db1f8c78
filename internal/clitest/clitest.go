// Package clitest runs a built lazarus binary in integration tests the way
// a coordinator would, and reports its combined output and exit code.
//
// It is for tests only and must never be imported by production code.
package clitest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

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
	t.Logf("$ lazarus %s  (exit %d)\n%s", strings.Join(args, " "), code, b.String())
	return b.String(), code
}
