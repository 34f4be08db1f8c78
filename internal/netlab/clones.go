package netlab

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/lazarus-dr/lazarus/platform/pitr"
)

// What lazarus-worker logs (with --log-json) that the host tests count.
const (
	// LogTenantCopied is a site step that copied a tenant's rows from a
	// clone.
	LogTenantCopied = `"msg":"tenant rows copied"`
	// LogCloneRemade is a step that found its clone's host gone and made
	// the clone on its own host (activities.Engine.Reach).
	LogCloneRemade = "clone unreachable; making it on this host"
)

var scratchLine = regexp.MustCompile(`(?m)^\s*scratch_dir:\s*(\S+)\s*$`)

// ReadyClones lists the clones made on the host with address ip that listen
// there, from the clone.json files in the scratch folders of its platform
// description desc (each host's are its own: see WritePlatforms).
func ReadyClones(desc, ip string) ([]string, error) {
	raw, err := os.ReadFile(desc)
	if err != nil {
		return nil, fmt.Errorf("netlab: clones: %w", err)
	}
	var ids []string
	for _, m := range scratchLine.FindAllStringSubmatch(string(raw), -1) {
		states, _ := filepath.Glob(filepath.Join(m[1], "*", "clone.json"))
		for _, s := range states {
			b, err := os.ReadFile(s)
			if err != nil {
				continue // being written or removed
			}
			var cl pitr.Clone
			if json.Unmarshal(b, &cl) == nil && cl.Host == ip {
				ids = append(ids, cl.ID)
			}
		}
	}
	return ids, nil
}

// WaitClones waits until the hosts hold want clones in all, and returns the
// host holding most of them with their IDs. ps are the hosts' platforms.
func (l *LAN) WaitClones(ctx context.Context, ps *Platforms, want int) (Host, []string, error) {
	for {
		total := 0
		var best Host
		var bestIDs []string
		for _, h := range l.Hosts {
			ids, err := ReadyClones(ps.Paths[h.Name], h.IP)
			if err != nil {
				return Host{}, nil, err
			}
			total += len(ids)
			if len(ids) > len(bestIDs) {
				best, bestIDs = h, ids
			}
		}
		if total >= want {
			return best, bestIDs, nil
		}
		select {
		case <-ctx.Done():
			return Host{}, nil, fmt.Errorf("netlab: %d of %d clones ready: %w", total, want, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// CountLog counts how many times a log file shows what.
func CountLog(logFile, what string) (int, error) {
	raw, err := os.ReadFile(logFile)
	if err != nil {
		return 0, fmt.Errorf("netlab: %w", err)
	}
	return strings.Count(string(raw), what), nil
}

// WaitLog waits until a log file shows what at least n times, and returns
// how many times it shows it.
func WaitLog(ctx context.Context, logFile, what string, n int) (int, error) {
	for {
		got, err := CountLog(logFile, what)
		if err != nil {
			return 0, err
		}
		if got >= n {
			return got, nil
		}
		select {
		case <-ctx.Done():
			return got, fmt.Errorf("netlab: %s shows %q %d times, want %d: %w", logFile, what, got, n, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
