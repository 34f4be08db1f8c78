package main

import (
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/lazarus-dr/lazarus/internal/printer"
)

// outputFlags are -o/--output text|json, on every command whose results a
// program may want to read, and --json where a command had it before -o
// (the same as -o json).
type outputFlags struct {
	format string
	json   bool
}

// addOutputFlags adds -o/--output to c, and --json with help jsonHelp
// unless jsonHelp is empty. Call it once c has its PreRunE, if any.
func addOutputFlags(c *cobra.Command, jsonHelp string) *outputFlags {
	o := &outputFlags{}
	c.Flags().StringVarP(&o.format, "output", "o", string(printer.Text), "output format: text or json")
	_ = c.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{string(printer.Text), string(printer.JSON)}, cobra.ShellCompDirectiveNoFileComp))
	if jsonHelp != "" {
		c.Flags().BoolVar(&o.json, "json", false, jsonHelp)
	}
	// A bad -o is a usage error before the command does anything (dials
	// Temporal, touches the sandbox), ahead of c's own PreRunE.
	preE, pre := c.PreRunE, c.PreRun
	c.PreRunE = func(cmd *cobra.Command, args []string) error {
		if _, err := o.printer(cmd); err != nil {
			return err
		}
		if preE != nil {
			return preE(cmd, args)
		}
		if pre != nil {
			pre(cmd, args)
		}
		return nil
	}
	return o
}

// printer is the command's printer on its standard output; a format other
// than text or json is a usage error (exit 2).
func (o *outputFlags) printer(cmd *cobra.Command) (*printer.Printer, error) {
	f, err := printer.ParseFormat(o.format)
	if err != nil {
		return nil, withExitCode(2, fmt.Errorf("--output %w", err))
	}
	if o.json {
		f = printer.JSON
	}
	return printer.New(cmd.OutOrStdout(), f), nil
}

// countList is "name<sep>count" for each entry of m, by name.
func countList(m map[string]int, sep string) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]string, len(names))
	for i, k := range names {
		out[i] = fmt.Sprintf("%s%s%d", k, sep, m[k])
	}
	return out
}
