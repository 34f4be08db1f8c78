package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazarus-dr/lazarus/internal/printer"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pitr"
	"github.com/lazarus-dr/lazarus/platform/readiness"
	"github.com/lazarus-dr/lazarus/preflight"
)

func newPlatformCmd() *cobra.Command {
	c := &cobra.Command{Use: "platform", Short: "The platform under restore: check its description and its readiness"}
	c.AddCommand(newPlatformCheckCmd())
	return c
}

func newPlatformCheckCmd() *cobra.Command {
	var path string
	var of *outputFlags
	c := &cobra.Command{
		Use:   "check",
		Short: "DR readiness: parse the platform description strictly, then reach every cluster, bucket and service",
		Long: `Parses the platform description strictly: an unknown field, a value of the wrong
type, a missing required field or a secret is one FILE:LINE:COL line each, all
of them at once, and nothing is reached (exit 1).

Then connects to every PostgreSQL cluster (its restorable window, from the
cloner of its backup kind, and whether its WAL archiving is current), the media
bucket (versioning, the oldest version kept) and every service and webhook
(an HTTP GET: any answer below 500 counts), and ends with the RPO and the
retention the platform can honour now. It only reads.

Exit 0 when everything is ready; exit 1 with every problem listed, one line
each naming the cluster, bucket or service; exit 2 when --platform cannot be
read or a flag is wrong.`,
		Example: `  lazarus platform check
  lazarus platform check --platform /etc/lazarus/platform.yaml
  lazarus platform check -o json | jq '.clusters[] | {name, oldest_restorable, newest_restorable}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pr, err := of.printer(cmd)
			if err != nil {
				return err
			}
			return platformCheck(cmd.Context(), path, pr, cmd.ErrOrStderr())
		},
	}
	addPlatformFlag(c, &path)
	of = addOutputFlags(c, "")
	return c
}

// platformCheck loads the description strictly and checks the platform.
func platformCheck(ctx context.Context, path string, pr *printer.Printer, errw io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	desc, err := platform.Load(path)
	var problems platform.ProblemList
	switch {
	case errors.As(err, &problems):
		for _, p := range problems {
			fmt.Fprintln(errw, p.Error())
		}
		return withExitCode(1, fmt.Errorf("platform description %s: %s; nothing was checked", path, nOf(len(problems), "problem")))
	case err != nil:
		return withExitCode(2, fmt.Errorf("--platform: %w", err))
	}
	windows, err := platformWindows(ctx, desc)
	if err != nil {
		return withExitCode(1, err)
	}
	r := (&readiness.Checker{Desc: desc, Windows: windows}).Check(ctx)
	if err := pr.Print(checkDoc{Ready: r.Ready(), Report: r}, func(w io.Writer) error { return printCheck(w, r) }); err != nil {
		return err
	}
	if r.Ready() {
		return nil
	}
	if pr.JSON() {
		for _, p := range r.Problems {
			fmt.Fprintln(errw, "  - "+p)
		}
	}
	return withExitCode(1, fmt.Errorf("platform %s is not ready: %s", desc.Name, nOf(len(r.Problems), "problem")))
}

// platformWindows is the cloner of every cluster by its backup kind, for
// its windows (pitr.ForPlatform).
func platformWindows(ctx context.Context, desc *platform.Description) (*pitr.ByKind, error) {
	b, err := pitr.ForPlatform(ctx, desc, nil)
	if err != nil {
		return nil, fmt.Errorf("platform description: %w", err)
	}
	return b, nil
}

// checkDoc is `platform check -o json`: the report and whether it is ready.
type checkDoc struct {
	Ready bool `json:"ready"`
	*readiness.Report
}

type clusterRow struct {
	Cluster   string    `text:"CLUSTER"`
	Backups   string    `text:"BACKUPS"`
	Oldest    time.Time `text:"OLDEST RESTORABLE"`
	Newest    time.Time `text:"NEWEST RESTORABLE"`
	Archiving string    `text:"ARCHIVING"`
}

type bucketRow struct {
	Bucket     string    `text:"BUCKET"`
	Versioning string    `text:"VERSIONING"`
	Oldest     time.Time `text:"OLDEST VERSION"`
	Scanned    string    `text:"VERSIONS SCANNED,right"`
}

type serviceRow struct {
	Service string `text:"SERVICE"`
	URL     string `text:"URL"`
	Answers string `text:"ANSWERS"`
}

// printCheck writes the report for people: a table of clusters, buckets
// and services, the RPO and retention, then the problems and notes.
func printCheck(w io.Writer, r *readiness.Report) error {
	tp := printer.New(w, printer.Text)
	opts := printer.TableOptions{TimeLayout: time.DateTime}
	tp.Printf("platform %s, checked %s UTC\n\n", r.Platform, r.CheckedAt.Format(time.DateTime))
	clusters := make([]clusterRow, len(r.Clusters))
	for i, c := range r.Clusters {
		clusters[i] = clusterRow{Cluster: c.Name, Backups: c.Backups, Oldest: c.Oldest, Newest: c.Newest, Archiving: archivingText(c)}
	}
	_ = tp.Table(clusters, opts)
	if len(r.Buckets) > 0 {
		buckets := make([]bucketRow, len(r.Buckets))
		for i, b := range r.Buckets {
			buckets[i] = bucketRow{Bucket: b.Bucket, Versioning: versioningText(b), Oldest: b.Oldest, Scanned: scannedText(b)}
		}
		tp.Printf("\n")
		_ = tp.Table(buckets, opts)
	}
	if len(r.Services) > 0 {
		services := make([]serviceRow, len(r.Services))
		for i, s := range r.Services {
			services[i] = serviceRow{Service: s.Name, URL: s.URL, Answers: answersText(s)}
		}
		tp.Printf("\n")
		_ = tp.Table(services, opts)
	}
	tp.Printf("\nRPO        %s (the newest restorable point of the worst cluster is that old, archive lag included)\n", readiness.Round(r.RPO))
	tp.Printf("retention  %s (the oldest restorable point, across clusters and the bucket); the description says %s\n", readiness.Round(r.Retention), r.Described)
	for _, n := range r.Notes {
		tp.Printf("note: %s\n", n)
	}
	if r.Ready() {
		tp.Printf("\nready: every cluster, bucket and service answered, and WAL archiving is current\n")
	} else {
		tp.Printf("\nnot ready: %s\n", nOf(len(r.Problems), "problem"))
		for _, p := range r.Problems {
			tp.Printf("  - %s\n", p)
		}
	}
	return tp.Err()
}

func archivingText(c readiness.ClusterReport) string {
	a := c.Archiving
	switch {
	case !c.Connected:
		return "unknown (no connection)"
	case a == nil:
		return "by " + c.Backups
	case a.Current:
		return fmt.Sprintf("current (last %s at %s, lag %s)", a.LastWAL, a.LastArchived.Format(time.TimeOnly), readiness.Round(a.Lag))
	case a.Mode != "on" && a.Mode != "always":
		return "off"
	case a.LastFailed.After(a.LastArchived):
		return fmt.Sprintf("FAILING since %s (%d failures)", a.LastFailed.Format(time.TimeOnly), a.Failed)
	case a.LastArchived.IsZero():
		return "nothing archived yet"
	}
	return fmt.Sprintf("BEHIND (%d segments wait, lag %s)", a.Pending, readiness.Round(a.Lag))
}

func versioningText(b readiness.BucketReport) string {
	switch {
	case !b.Reachable:
		return "unreachable"
	case b.Versioning == "":
		return "never enabled"
	}
	return b.Versioning
}

func scannedText(b readiness.BucketReport) string {
	if b.Cut {
		return fmt.Sprintf("%d (bound reached)", b.Scanned)
	}
	return fmt.Sprint(b.Scanned)
}

func answersText(s readiness.ServiceReport) string {
	switch {
	case s.Status == 0:
		return "no"
	case !s.Answers:
		return fmt.Sprintf("no (HTTP %d)", s.Status)
	}
	return fmt.Sprintf("yes (HTTP %d, %s)", s.Status, s.Duration.Round(time.Millisecond))
}

// nOf is "1 problem" or "3 problems".
func nOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// cloneWindows are the restorable windows, from their cloners, of the
// clusters a restore clones whose backups are not local: the preflight
// refuses a restore point outside one. Local clusters are checked against
// their oldest base backup (preflight.OldestBackups), which names it.
func cloneWindows(ctx context.Context, desc *platform.Description, clusters []string) ([]preflight.ClusterWindow, error) {
	var names []string
	for _, n := range clusters {
		if c, ok := desc.Cluster(n); ok && c.BackupKind() != platform.BackupsLocal {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	windows, err := platformWindows(ctx, desc)
	if err != nil {
		return nil, err
	}
	return preflight.RestorableWindows(ctx, desc, windows, names...)
}

// clusterNames are the names of every cluster of the description, in file
// order (batch add-sites checks them all, as it does the oldest backups).
func clusterNames(desc *platform.Description) []string {
	names := make([]string, 0, len(desc.Clusters))
	for _, c := range desc.Clusters {
		names = append(names, c.Name)
	}
	return names
}
