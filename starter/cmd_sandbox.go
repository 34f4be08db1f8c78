package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/debugserver"
	"github.com/lazarus-dr/lazarus/internal/printer"
	"github.com/lazarus-dr/lazarus/internal/tools"
	"github.com/lazarus-dr/lazarus/logging"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/sandbox"
)

type sandboxFlags struct {
	state    string
	logLevel string
}

func (f *sandboxFlags) add(c *cobra.Command) {
	c.PersistentFlags().StringVar(&f.state, "state", "", "sandbox state folder (default $LAZARUS_STATE/sandbox or .state/sandbox under the repo)")
	c.PersistentFlags().StringVar(&f.logLevel, "log-level", "warn", "log level: debug, info, warn, error")
}

func (f *sandboxFlags) dir() string {
	if f.state != "" {
		return f.state
	}
	root, _ := tools.RepoRoot()
	return sandbox.DefaultStateDir(root)
}

func (f *sandboxFlags) logger() *zap.Logger {
	l, err := logging.New(f.logLevel, false)
	if err != nil {
		return zap.NewNop()
	}
	return l
}

// withPlatform makes the RunE of a command that works on the sandbox: it
// opens the sandbox, runs fn and closes the sandbox.
func (f *sandboxFlags) withPlatform(fn func(cmd *cobra.Command, p *sandbox.Platform) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		p, err := sandbox.Open(cmd.Context(), f.dir(), f.logger())
		if err != nil {
			return withExitCode(2, err)
		}
		defer p.Close()
		return fn(cmd, p)
	}
}

// descPath is the platform description file: flag when given, else the one
// in the state folder.
func (f *sandboxFlags) descPath(flag string) string {
	if flag != "" {
		return flag
	}
	return filepath.Join(f.dir(), sandbox.DescriptionFile)
}

func newSandboxCmd() *cobra.Command {
	f := &sandboxFlags{}
	c := &cobra.Command{
		Use:   "sandbox",
		Short: "The sandbox platform: a multi-tenant SaaS in miniature to restore",
		Long: `The sandbox is a working multi-tenant platform on real PostgreSQL (WAL archiving,
base backups) and a real S3 server with versioning, with HTTP services. It seeds a
fleet, replays the 2022 bad script and verifies restored sites against the truth.`,
	}
	f.add(c)
	c.AddCommand(sandboxUpCmd(f), sandboxDownCmd(f), sandboxSeedCmd(f), sandboxBackupCmd(f),
		sandboxDisasterCmd(f), sandboxVerifyCmd(f), sandboxIDsCmd(f), sandboxTruthCmd(f),
		newSandboxFaultsCmd(f), newSandboxTrafficCmd(f))
	return c
}

func sandboxUpCmd(f *sandboxFlags) *cobra.Command {
	var portBase, shards int
	var pprofAddr, network, backups string
	c := &cobra.Command{
		Use:   "up",
		Short: "Start (or resume) the sandbox and run in the foreground until Ctrl-C or SIGTERM",
		Example: `  lazarus sandbox up
  lazarus sandbox up --state /tmp/sb --port-base 27000`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := sandbox.CheckBackups(backups); err != nil {
				return withExitCode(2, err)
			}
			start := time.Now()
			stopProfiles, err := debugserver.Start(pprofAddr, f.logger())
			if err != nil {
				return fmt.Errorf("sandbox up: %w", err)
			}
			defer stopProfiles()
			p, err := sandbox.Up(ctx, sandbox.Options{StateDir: f.dir(), PortBase: portBase, Shards: shards, Network: network, Backups: backups, Logger: f.logger()})
			if err != nil {
				return err
			}
			d := p.Description()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "sandbox up in %s\n", time.Since(start).Round(time.Millisecond))
			fmt.Fprintf(out, "description: %s\n", p.DescriptionPath())
			var ends printer.Fields
			for _, cl := range d.Clusters {
				ends = append(ends, printer.Field{Name: "postgres " + cl.Name, Value: fmt.Sprintf("127.0.0.1:%d", cl.Port)})
			}
			ends = append(ends, printer.Field{Name: "s3 media", Value: fmt.Sprintf("%s (bucket %s)", d.Media.Endpoint, d.Media.Bucket)})
			s := d.Services
			ends = append(ends, printer.Field{Name: "catalog", Value: s.Catalog}, printer.Field{Name: "identity", Value: s.Identity},
				printer.Field{Name: "flags", Value: s.Flags}, printer.Field{Name: "apps", Value: s.Apps}, printer.Field{Name: "vendors", Value: s.Vendors},
				printer.Field{Name: "search", Value: s.Search}, printer.Field{Name: "front door", Value: s.FrontDoor}, printer.Field{Name: "admin", Value: s.Admin})
			_ = printer.New(out, printer.Text).Card(ends, printer.CardOptions{})
			fmt.Fprintln(out, "running; Ctrl-C or `lazarus sandbox down` stops it")
			<-ctx.Done()
			fmt.Fprintln(out, "stopping the sandbox")
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			return p.Down(sctx)
		},
	}
	c.Flags().IntVar(&portBase, "port-base", 0, "first of 11 consecutive ports (default: free ports, recorded for the next up)")
	c.Flags().IntVar(&shards, "shards", 0, "product shards on first up (default 4)")
	c.Flags().StringVar(&network, "network", "", "also listen with the PostgreSQL clusters on this address of this machine, and trust its network, given with its prefix (10.77.0.1/24): for workers on other hosts (default: loopback only)")
	c.Flags().StringVar(&backups, "backups", "", "how the clusters are backed up, on first up: local (pg_basebackup folders and a WAL archive folder; the default) or pgbackrest (pgBackRest into an S3 repository over TLS)")
	c.Flags().StringVar(&pprofAddr, "pprof-address", os.Getenv("LAZARUS_SANDBOX_PPROF_ADDRESS"), "serve Go profiles (net/http/pprof) of the sandbox's services on this address ($LAZARUS_SANDBOX_PPROF_ADDRESS; default off)")
	return c
}

func sandboxDownCmd(f *sandboxFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "down",
		Short: "Stop the sandbox (the up process, the S3 server, both PostgreSQL clusters); data stays",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := sandbox.Stop(cmd.Context(), f.dir(), f.logger()); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "sandbox down")
			return nil
		},
	}
}

func sandboxSeedCmd(f *sandboxFlags) *cobra.Command {
	var o sandbox.SeedOptions
	var of *outputFlags
	c := &cobra.Command{
		Use:   "seed",
		Short: "Generate a realistic fleet, deterministic for a seed, and record its truth",
		Example: `  lazarus sandbox seed --sites 2000
  lazarus sandbox seed --sites 500 --seed 42 --add`,
		RunE: f.withPlatform(func(cmd *cobra.Command, p *sandbox.Platform) error {
			pr, err := of.printer(cmd)
			if err != nil {
				return err
			}
			res, err := p.Seed(cmd.Context(), o)
			if err != nil {
				if strings.Contains(err.Error(), "--add") || strings.Contains(err.Error(), "must be > 0") {
					return withExitCode(2, err)
				}
				return err
			}
			return pr.Print(res, func(out io.Writer) error {
				fmt.Fprintf(out, "seeded %d sites (%d apps) in %s: %d rows, %d objects (%d bytes); sizes %v\n",
					res.Sites, res.Apps, res.Took.Round(time.Millisecond), res.Rows, res.Objects, res.Bytes, res.Sizes)
				fmt.Fprintf(out, "rows by database: %v\n", res.RowsByDB)
				fmt.Fprintf(out, "disk used by the sandbox: %.1f MB\n", float64(p.DiskUsage())/1e6)
				return nil
			})
		}),
	}
	c.Flags().IntVar(&o.Sites, "sites", 2000, "how many sites to add")
	c.Flags().Int64Var(&o.Seed, "seed", 1, "random seed (same seed, same fleet)")
	c.Flags().BoolVar(&o.Add, "add", false, "add to a non-empty fleet")
	of = addOutputFlags(c, "print the result as JSON (-o json)")
	return c
}

// backupRow is a line of `sandbox backup`: a base backup taken.
type backupRow struct {
	Cluster        string    `json:"cluster"`
	Dir            string    `json:"dir" text:"FOLDER"`
	RestorableFrom time.Time `json:"restorable_from" text:"RESTORABLE FROM (UTC)"`
}

func sandboxBackupCmd(f *sandboxFlags) *cobra.Command {
	var of *outputFlags
	c := &cobra.Command{
		Use:   "backup",
		Short: "Take a base backup of both PostgreSQL clusters, then switch and archive the WAL",
		RunE: f.withPlatform(func(cmd *cobra.Command, p *sandbox.Platform) error {
			pr, err := of.printer(cmd)
			if err != nil {
				return err
			}
			start := time.Now()
			infos, err := p.Backup(cmd.Context())
			if err != nil {
				return err
			}
			took := time.Since(start)
			rows := make([]backupRow, len(infos))
			for i, b := range infos {
				rows[i] = backupRow{Cluster: b.Cluster, Dir: b.Dir, RestorableFrom: b.EndTime}
			}
			if err := pr.Table(rows, printer.TableOptions{TimeLayout: time.RFC3339Nano}); err != nil {
				return err
			}
			pr.Printf("backup took %s\n", took.Round(time.Millisecond))
			return pr.Err()
		}),
	}
	of = addOutputFlags(c, "")
	return c
}

func sandboxDisasterCmd(f *sandboxFlags) *cobra.Command {
	var idsFile, writeIDs string
	var ids []string
	var like bool
	var sites, apps int
	var seed int64
	var over time.Duration
	c := &cobra.Command{
		Use:   "disaster",
		Short: "Replay the bad script: permanently delete a list of IDs (sites and apps), one after another",
		Long: `Calls the permanent-delete API on every ID of --ids-file (one per line), or on a
list built like the 2022 incident (--like-2022: 30 correct app IDs first, then site
IDs where app IDs were meant). Unknown, repeated or already deleted IDs refuse the
whole list (exit 2), every one listed, before anything is deleted.`,
		Example: `  lazarus sandbox disaster --ids-file ids.txt
  lazarus sandbox disaster --like-2022 --write-ids ids.txt
  lazarus sandbox disaster --like-2022 --sites 100 --write-ids ids.txt
  lazarus sandbox disaster --like-2022 --over 23m --write-ids ids.txt`,
		PreRunE: func(cmd *cobra.Command, _ []string) (err error) {
			if (idsFile == "") == !like {
				return withExitCode(2, errors.New("disaster: give exactly one of --ids-file FILE or --like-2022"))
			}
			if idsFile != "" {
				if ids, err = requireIDFile("--ids-file", idsFile, cmd.InOrStdin()); err != nil {
					return withExitCode(2, err)
				}
			}
			return nil
		},
		RunE: f.withPlatform(func(cmd *cobra.Command, p *sandbox.Platform) error {
			if like {
				var err error
				if ids, err = p.Like2022(cmd.Context(), sites, apps, seed); err != nil {
					return err
				}
				if writeIDs != "" {
					if err := os.WriteFile(writeIDs, []byte(strings.Join(ids, "\n")+"\n"), 0o644); err != nil {
						return fmt.Errorf("disaster: write IDs: %w", err)
					}
				}
			}
			res, err := p.PermanentDeleteOver(cmd.Context(), ids, over)
			var inv *sandbox.InvalidIDsError
			if errors.As(err, &inv) {
				return withExitCode(2, err)
			}
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			var rows int64
			objs := 0
			for _, d := range res.Deletions {
				rows += d.Rows
				objs += d.Objects
			}
			fmt.Fprintf(out, "deleted %d sites and %d apps in %s: %d rows, %d objects (first %s, last %s)\n",
				res.Sites, res.Apps, res.Took.Round(time.Millisecond), rows, objs,
				res.Deletions[0].DeletedAt.Format(time.RFC3339), res.Deletions[len(res.Deletions)-1].DeletedAt.Format(time.RFC3339))
			if writeIDs != "" {
				fmt.Fprintf(out, "IDs written to %s\n", writeIDs)
			}
			return nil
		}),
	}
	c.Flags().StringVar(&idsFile, "ids-file", "", "file of IDs to delete"+idFileHelp)
	c.Flags().BoolVar(&like, "like-2022", false, "build the list like the 2022 incident")
	c.Flags().IntVar(&sites, "sites", 883, "with --like-2022: site IDs given where app IDs were meant (fewer if the fleet is smaller)")
	c.Flags().IntVar(&apps, "apps", 30, "with --like-2022: correct app IDs first")
	c.Flags().Int64Var(&seed, "seed", 1, "with --like-2022: which sites are picked")
	c.Flags().StringVar(&writeIDs, "write-ids", "", "with --like-2022: write the list to this file")
	c.Flags().DurationVar(&over, "over", 0, "spread the deletions evenly over this long (the 2022 script took 23m)")
	return c
}

func sandboxVerifyCmd(f *sandboxFlags) *cobra.Command {
	var idsFile, intendedFile string
	var ids, intended []string
	var of *outputFlags
	c := &cobra.Command{
		Use:   "verify",
		Short: "Compare listed sites and apps with their truth, and every other tenant with its earlier state",
		Long: `Prints, per listed site and per store, match or the difference from its truth
(a site restored under a new ID is found through the catalog's restored_from), per
listed app whether it is installed again, and whether every other tenant is exactly
its earlier state plus the traffic it received. Exit status 0 only when all match.`,
		Example: `  lazarus sandbox verify --ids-file ids.txt
  lazarus sandbox verify --ids-file deleted-sites.txt --intended-file deleted-apps.txt
  lazarus sandbox verify            # no list: every tenant against its truth`,
		PreRunE: func(cmd *cobra.Command, _ []string) (err error) {
			if idsFile != "" {
				if ids, err = requireIDFile("--ids-file", idsFile, cmd.InOrStdin()); err != nil {
					return withExitCode(2, err)
				}
			}
			if intendedFile != "" {
				if intended, err = requireIDFile("--intended-file", intendedFile, cmd.InOrStdin()); err != nil {
					return withExitCode(2, err)
				}
			}
			return nil
		},
		RunE: f.withPlatform(func(cmd *cobra.Command, p *sandbox.Platform) error {
			pr, err := of.printer(cmd)
			if err != nil {
				return err
			}
			rep, err := p.Verify(cmd.Context(), sandbox.VerifyOptions{IDs: ids, Intended: intended})
			if err != nil {
				return err
			}
			if err := pr.Print(rep, func(w io.Writer) error { rep.Write(w); return nil }); err != nil {
				return err
			}
			if !rep.OK {
				return withExitCode(1, errors.New("verify: differences found"))
			}
			return nil
		}),
	}
	c.Flags().StringVar(&idsFile, "ids-file", "", "the disaster's list of IDs"+idFileHelp)
	c.Flags().StringVar(&intendedFile, "intended-file", "", "file of app IDs whose deletion was meant (they must stay deleted)"+idFileHelp)
	of = addOutputFlags(c, "print the report as JSON (-o json)")
	return c
}

func sandboxIDsCmd(f *sandboxFlags) *cobra.Command {
	var kind string
	var deleted bool
	var limit int
	var of *outputFlags
	c := &cobra.Command{
		Use:   "ids",
		Short: "List site or app IDs, live or deleted (handy for demos): one a line, or -o json",
		Example: `  lazarus sandbox ids --kind site --deleted > deleted.txt
  lazarus sandbox ids --kind app --limit 5
  lazarus sandbox ids --deleted -o json | jq length`,
		RunE: f.withPlatform(func(cmd *cobra.Command, p *sandbox.Platform) error {
			pr, err := of.printer(cmd)
			if err != nil {
				return err
			}
			ids, err := p.ListIDs(cmd.Context(), platform.IDKind(kind), deleted)
			if err != nil {
				return withExitCode(2, err)
			}
			if limit > 0 && len(ids) > limit {
				ids = ids[:limit]
			}
			return pr.Print(ids, func(out io.Writer) error {
				w := bufio.NewWriter(out)
				for _, id := range ids {
					fmt.Fprintln(w, id)
				}
				return w.Flush()
			})
		}),
	}
	c.Flags().StringVar(&kind, "kind", "site", "site or app")
	c.Flags().BoolVar(&deleted, "deleted", false, "deleted IDs instead of live ones")
	c.Flags().IntVar(&limit, "limit", 0, "at most this many (0: all)")
	of = addOutputFlags(c, "")
	return c
}

func sandboxTruthCmd(f *sandboxFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "truth",
		Short: "Record the truth (per site, per store checksums) of every tenant now",
		RunE: f.withPlatform(func(cmd *cobra.Command, p *sandbox.Platform) error {
			snap, err := p.RecordTruth(cmd.Context(), nil)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "truth recorded at %s: %d sites, %d stores, %d apps\n",
				snap.RecordedAt.Format(time.RFC3339Nano), snap.Sites, snap.Stores, snap.Apps)
			return nil
		}),
	}
}
