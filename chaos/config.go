package chaos

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/tools"
)

// Config is a chaos run: which scenarios, how big, how hard.
type Config struct {
	// Scenarios to run, in this order (1 to 7); empty means all.
	Scenarios []int
	// Sites deleted and restored in each scenario (default 200).
	Sites int
	// Fleet is how many sites each scenario seeds (default Sites + Sites/2,
	// at least Sites + 20): the rest are the other tenants, under traffic.
	Fleet int
	// Concurrency is the batch's window of sites at once (default 200).
	Concurrency int
	// StateDir holds one folder per scenario (default <repo>/.state/chaos).
	StateDir string
	// BinDir holds lazarus and lazarus-worker (default <repo>/bin).
	BinDir string
	// TemporalBin is the Temporal CLI (default: internal/tools).
	TemporalBin string
	// Server is the Temporal server each scenario runs: "dev" (default:
	// the CLI's dev server on a SQLite file) or "postgres" (temporal-server
	// on its own PostgreSQL cluster, internal/tserver).
	Server string
	// Seed drives every random choice: the sites, the moments of the
	// kills, the outage's service (default 1).
	Seed int64
	// Timeout bounds the batch phase of a scenario (default 25m): a batch
	// still running then fails its scenario and is cancelled.
	Timeout time.Duration
	// StopGrace is how long a batch cancelled after its timeout may take
	// to end before it is terminated (default 2m).
	StopGrace time.Duration
	// MaxRecovery is the longest a step may wait for recovery (default
	// 2m; scenario 4 adds its outage).
	MaxRecovery time.Duration
	// Kills is how many times scenario 1 kills the worker (default 5).
	Kills int
	// KillMin and KillMax bound the random wait before a kill that is not
	// aimed at an activity, counted from the worker's restart (3s, 20s).
	KillMin, KillMax time.Duration
	// Outage is how long scenario 4's outage of one service lasts (2m).
	Outage time.Duration
	// OutageService is the service of that outage (default: one of
	// catalog, search, vendors, frontdoor, drawn from the seed).
	OutageService string
	// ServerDown is how long scenario 3 keeps the Temporal server down
	// between its stop and its start (default 10s).
	ServerDown time.Duration
	// TrafficRate is the live traffic's writes per second (default 20).
	TrafficRate float64
	// RestoreOffset is the restore point's distance before each deletion
	// (default 2s; the backups are taken seconds before the disaster).
	RestoreOffset time.Duration
	// Keep leaves each scenario's sandbox data in place (default: only
	// the logs and histories stay).
	Keep bool
	// Logger receives the driver's progress (default: none).
	Logger *zap.Logger
}

// AllScenarios lists the scenarios' numbers.
var AllScenarios = []int{1, 2, 3, 4, 5, 6, 7}

// outageServices are the services Restore 2's steps call over HTTP, among
// which scenario 4 draws its outage.
var outageServices = []string{"catalog", "search", "vendors", "frontdoor"}

// ParseScenarios reads "1,4,5", "1-3" or "all".
func ParseScenarios(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "all" {
		return slices.Clone(AllScenarios), nil
	}
	var out []int
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 1 || b > len(AllScenarios) || a > b {
			return nil, fmt.Errorf("scenarios %q: %q is not a scenario (1 to %d) or a range of them", s, part, len(AllScenarios))
		}
		for n := a; n <= b; n++ {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out, nil
}

// withDefaults fills what is unset and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if len(c.Scenarios) == 0 {
		c.Scenarios = slices.Clone(AllScenarios)
	}
	for _, n := range c.Scenarios {
		if n < 1 || n > len(AllScenarios) {
			return c, fmt.Errorf("scenario %d: there are scenarios 1 to %d", n, len(AllScenarios))
		}
	}
	setInt(&c.Sites, 200)
	setInt(&c.Fleet, max(c.Sites+c.Sites/2, c.Sites+20))
	setInt(&c.Concurrency, 200)
	setInt(&c.Kills, 5)
	if c.Seed == 0 {
		c.Seed = 1
	}
	setDur(&c.Timeout, 25*time.Minute)
	setDur(&c.StopGrace, 2*time.Minute)
	setDur(&c.MaxRecovery, 2*time.Minute)
	setDur(&c.KillMin, 3*time.Second)
	setDur(&c.KillMax, 20*time.Second)
	setDur(&c.Outage, 2*time.Minute)
	setDur(&c.ServerDown, 10*time.Second)
	setDur(&c.RestoreOffset, 2*time.Second)
	if c.TrafficRate <= 0 {
		c.TrafficRate = 20
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Fleet < c.Sites+10 {
		return c, fmt.Errorf("fleet %d: needs at least 10 sites more than the %d to restore (the other tenants)", c.Fleet, c.Sites)
	}
	if c.KillMax < c.KillMin {
		return c, fmt.Errorf("kill interval: max %s is below min %s", c.KillMax, c.KillMin)
	}
	if c.OutageService != "" && !slices.Contains(outageServices, c.OutageService) {
		return c, fmt.Errorf("outage service %q: one of %s", c.OutageService, strings.Join(outageServices, ", "))
	}
	root, err := tools.RepoRoot()
	if c.StateDir == "" || c.BinDir == "" {
		if err != nil {
			return c, fmt.Errorf("state and bin folders: %w", err)
		}
		if c.StateDir == "" {
			c.StateDir = filepath.Join(root, ".state", "chaos")
		}
		if c.BinDir == "" {
			c.BinDir = filepath.Join(root, "bin")
		}
	}
	if c.Server == "" {
		c.Server = "dev"
	}
	if c.Server != "dev" && c.Server != "postgres" {
		return c, fmt.Errorf("temporal server %q: dev or postgres", c.Server)
	}
	if c.TemporalBin == "" {
		if c.TemporalBin, err = tools.TemporalCLI(); err != nil {
			return c, err
		}
	}
	if c.StateDir, err = filepath.Abs(c.StateDir); err != nil {
		return c, err
	}
	return c, nil
}

func setInt(v *int, def int) {
	if *v <= 0 {
		*v = def
	}
}

func setDur(v *time.Duration, def time.Duration) {
	if *v <= 0 {
		*v = def
	}
}
