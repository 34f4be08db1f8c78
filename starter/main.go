// Command lazarus is the incident coordinator's CLI: runbooks, restores,
// batches, sites, reports and the sandbox platform.
package main

import (
	"context"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/lazarus-dr/lazarus/internal/tconn"
)

func main() {
	os.Exit(execute(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// execute runs the CLI with args (without the program name) on the given
// streams and returns the process exit status. Tests call it in-process
// (internal/clitest).
func execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		return exitCode(err)
	}
	return 0
}

// newRootCmd builds the whole command tree.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "lazarus",
		Short:         "Lazarus restores deleted sites across every system, on Temporal",
		SilenceUsage:  true,
		SilenceErrors: false,
		Version:       readVersion().String(),
	}
	root.SetVersionTemplate("lazarus {{.Version}}\n")
	// A flag that does not parse (a bad duration, a word for a number) is
	// a usage error, like every other bad input: exit 2.
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withExitCode(2, err) })
	root.AddCommand(
		newRunbookCmd(),
		newRestoreCmd(),
		newBatchCmd(),
		newSiteCmd(),
		newReportCmd(),
		newDrillCmd(),
		newSandboxCmd(),
		newPlatformCmd(),
		newWorkerCmd(),
		newVersionCmd(),
		newCodecServerCmd(),
	)
	return root
}

// exitCodeError carries a process exit status through cobra.
type exitCodeError struct {
	code int
	err  error
}

func (e *exitCodeError) Error() string { return e.err.Error() }
func (e *exitCodeError) Unwrap() error { return e.err }

// withExitCode makes a command exit with code when it returns err.
func withExitCode(code int, err error) error { return &exitCodeError{code: code, err: err} }

func exitCode(err error) int {
	if tconn.IsConfigError(err) {
		return 2 // bad connection input (--tls-cert-path, --profile, ...), however wrapped
	}
	if e, ok := err.(*exitCodeError); ok {
		return e.code
	}
	return 1
}
