package pgbackrest

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// Backup is one backup set of a stanza, from `pgbackrest info`.
type Backup struct {
	Label string
	// Type is full, diff or incr.
	Type  string
	Start time.Time
	// Stop is when the backup ended, in whole seconds (pgBackRest's).
	Stop time.Time
	// Restorable is the earliest point a recovery from this backup may
	// stop at: Stop plus one second, since Stop is rounded down and a
	// target before the backup's end cannot be reached.
	Restorable time.Time
}

// Info is what `pgbackrest info` says of a stanza.
type Info struct {
	// Backups are the good backup sets, oldest first.
	Backups []Backup
	// ArchiveMin and ArchiveMax are the oldest and newest WAL segments in
	// the repository (empty when none).
	ArchiveMin, ArchiveMax string
	// Status is pgBackRest's status message ("ok", "no valid backups",
	// "missing stanza path", ...).
	Status string
	// Unreadable, when set, says why the repository could not be read
	// (pgBackRest's status 99, "other": a repository it cannot reach): the
	// backups are unknown, not absent.
	Unreadable string
}

// statusOther is pgBackRest's info status for an error other than a
// missing stanza or missing backups (an unreachable repository).
const statusOther = 99

// Info runs `pgbackrest info --output=json` on the stanza. A repository
// that cannot be read is an error.
func (t Tool) Info(ctx context.Context) (Info, error) {
	out, err := t.Run(ctx, "info", "--output=json")
	if err != nil {
		return Info{}, err
	}
	info, err := ParseInfo([]byte(out), t.Stanza)
	if err != nil {
		return Info{}, fmt.Errorf("pgbackrest info of stanza %s: %w", t.Stanza, err)
	}
	if info.Unreadable != "" {
		return info, fmt.Errorf("pgbackrest info of stanza %s: the repository cannot be read: %s", t.Stanza, info.Unreadable)
	}
	return info, nil
}

// ParseInfo reads the JSON of `pgbackrest info --output=json` for stanza.
func ParseInfo(raw []byte, stanza string) (Info, error) {
	var stanzas []struct {
		Name    string `json:"name"`
		Archive []struct {
			Min string `json:"min"`
			Max string `json:"max"`
		} `json:"archive"`
		Backup []struct {
			Label     string `json:"label"`
			Type      string `json:"type"`
			Error     bool   `json:"error"`
			Timestamp struct {
				Start int64 `json:"start"`
				Stop  int64 `json:"stop"`
			} `json:"timestamp"`
		} `json:"backup"`
		Status struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"status"`
		Repo []struct {
			Status struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"status"`
		} `json:"repo"`
	}
	if err := json.Unmarshal(raw, &stanzas); err != nil {
		return Info{}, fmt.Errorf("not pgBackRest's info JSON: %w", err)
	}
	for _, s := range stanzas {
		if s.Name != stanza {
			continue
		}
		info := Info{Status: s.Status.Message}
		if s.Status.Code == statusOther {
			info.Unreadable = s.Status.Message
			for _, r := range s.Repo {
				if r.Status.Code != 0 {
					info.Unreadable = r.Status.Message
				}
			}
		}
		for _, a := range s.Archive {
			if info.ArchiveMin == "" || (a.Min != "" && a.Min < info.ArchiveMin) {
				info.ArchiveMin = a.Min
			}
			if a.Max > info.ArchiveMax {
				info.ArchiveMax = a.Max
			}
		}
		for _, b := range s.Backup {
			if b.Error || b.Timestamp.Stop == 0 {
				continue
			}
			stop := time.Unix(b.Timestamp.Stop, 0).UTC()
			info.Backups = append(info.Backups, Backup{Label: b.Label, Type: b.Type,
				Start: time.Unix(b.Timestamp.Start, 0).UTC(), Stop: stop, Restorable: stop.Add(time.Second)})
		}
		sort.SliceStable(info.Backups, func(i, j int) bool { return info.Backups[i].Stop.Before(info.Backups[j].Stop) })
		return info, nil
	}
	return Info{}, fmt.Errorf("stanza %q is not in the repository's info", stanza)
}
