package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at link time by `make build`
// (-ldflags "-X main.version=..."); empty in a plain `go build`.
var version string

// buildVersion is what `lazarus --version` and `lazarus version` print.
type buildVersion struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Time     string `json:"commit_time,omitempty" text:"COMMIT TIME"`
	Modified bool   `json:"modified,omitempty" text:"-"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// readVersion is the version linked in by the Makefile, else the module's
// version as the build recorded it, with the VCS commit the binary was
// built from when the build knew it.
func readVersion() buildVersion {
	v := buildVersion{Version: version, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		if v.Version == "" {
			v.Version = "unknown"
		}
		return v
	}
	if v.Version == "" {
		v.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	if v.Version == "" || v.Version == "(devel)" {
		v.Version = "devel"
	}
	return v
}

// String is the one line of `lazarus --version`.
func (v buildVersion) String() string {
	s := v.Version
	if v.Commit != "" {
		c := v.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		s += " (commit " + c
		if v.Modified {
			s += ", modified"
		}
		if v.Time != "" {
			s += ", " + v.Time
		}
		s += ")"
	}
	return s + " " + v.Go + " " + v.Platform
}

// newVersionCmd is `lazarus version [-o json]`.
func newVersionCmd() *cobra.Command {
	var of *outputFlags
	c := &cobra.Command{
		Use:     "version",
		Short:   "Print the version of lazarus (the same as lazarus --version; -o json for programs)",
		Example: "  lazarus version\n  lazarus --version\n  lazarus version -o json | jq -r .commit",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := of.printer(cmd)
			if err != nil {
				return err
			}
			v := readVersion()
			return p.Print(v, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "lazarus %s\n", v)
				return err
			})
		},
	}
	of = addOutputFlags(c, "")
	return c
}
