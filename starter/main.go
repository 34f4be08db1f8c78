// Command lazarus is the incident coordinator's CLI: runbooks, restores,
// batches, sites, reports and the sandbox platform.
package main

import (
	"os"

	"github.com/spf13/cobra"
)

// commands are added by each area's file (cmd_runbook.go, cmd_sandbox.go,
// cmd_restore.go, ...) from its init function, so that areas do not edit one
// shared list.
var commands []*cobra.Command

func addCommand(c *cobra.Command) { commands = append(commands, c) }

func main() {
	root := &cobra.Command{
		Use:           "lazarus",
		Short:         "Lazarus restores deleted sites across every system, on Temporal",
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	root.AddCommand(commands...)
	if err := root.Execute(); err != nil {
		os.Exit(exitCode(err))
	}
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
	if e, ok := err.(*exitCodeError); ok {
		return e.code
	}
	return 1
}
