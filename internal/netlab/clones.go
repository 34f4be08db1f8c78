package netlab

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
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

// readyClones lists the clones made on host h that listen on its address,
// as its own cloner finds them in its scratch folders (each host's are its
// own: see WritePlatforms).
func (ps *Platforms) readyClones(h Host) ([]string, error) {
	c, ok := ps.cloners[h.Name]
	if !ok {
		return nil, fmt.Errorf("netlab: host %s has no platform", h.Name)
	}
	var ids []string
	for _, name := range ps.clusters {
		clones, err := c.Clones(name)
		if err != nil {
			return nil, fmt.Errorf("netlab: clones of %s on %s: %w", name, h.Name, err)
		}
		for _, cl := range clones {
			if cl.Host == h.IP {
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
			ids, err := ps.readyClones(h)
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
