package preflight

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/lazarus-dr/lazarus/platform"
)

// Lookup chunks: a list of any length is looked up in pieces that stay far
// under the catalog's per-lookup cap (the sandbox's is 100,000 IDs in a
// request body of at most 4 MiB), a few pieces at a time.
const (
	// DefaultChunkSize is how many IDs one lookup carries.
	DefaultChunkSize = 5000
	// ChunkBytes bounds the IDs of one lookup, in bytes (the JSON around
	// them adds 3 bytes an ID).
	ChunkBytes = 1 << 20
	// Parallel is how many lookups run at once.
	Parallel = 4
)

// chunks splits ids into pieces of at most size IDs and ChunkBytes bytes.
func chunks(ids []string, size int) [][]string {
	if size <= 0 {
		size = DefaultChunkSize
	}
	var out [][]string
	start, bytes := 0, 0
	for i, id := range ids {
		if i > start && (i-start >= size || bytes+len(id)+3 > ChunkBytes) {
			out = append(out, ids[start:i])
			start, bytes = i, 0
		}
		bytes += len(id) + 3
	}
	if start < len(ids) {
		out = append(out, ids[start:])
	}
	return out
}

// lookupAll asks the directory about every ID, in chunks, Parallel at a
// time, and answers what it knows by ID. An ID the directory does not
// answer is absent. The first failure stops the rest.
func lookupAll(ctx context.Context, dir platform.Directory, ids []string, size int) (map[string]platform.IDInfo, error) {
	out := make(map[string]platform.IDInfo, len(ids))
	var mu chunkMutex
	err := forEachChunk(ctx, chunks(ids, size), Parallel, func(ctx context.Context, piece []string) error {
		infos, err := dir.LookupIDs(ctx, piece)
		mu.do(func() {
			for _, in := range infos {
				out[in.ID] = in
			}
		})
		return err
	})
	return out, err
}

// forEachChunk calls fn on every piece, parallel at a time; the first
// error cancels the calls still running and is returned.
func forEachChunk(ctx context.Context, pieces [][]string, parallel int, fn func(context.Context, []string) error) error {
	if len(pieces) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	next := make(chan []string)
	for w := 0; w < min(parallel, len(pieces)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for piece := range next {
				if err := fn(ctx, piece); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
				}
			}
		}()
	}
feed:
	for _, piece := range pieces {
		select {
		case next <- piece:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}

// chunkMutex guards what parallel chunks write.
type chunkMutex struct{ mu sync.Mutex }

func (m *chunkMutex) do(fn func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fn()
}

// known says whether the directory knows in as a site or an app.
func known(in platform.IDInfo, ok bool) bool {
	return ok && (in.Kind == platform.KindSite || in.Kind == platform.KindApp)
}

// caseMatches looks up, for every ID the directory does not know, the
// same ID in lower and in upper case, and answers the known IDs that an
// unknown one differs from only in letter case. When every known ID of the
// list is in one case (UUIDs are written in lower case), only that case
// is tried, so a list of unknown IDs costs no second lookup.
func caseMatches(ctx context.Context, dir platform.Directory, ids []string, infos map[string]platform.IDInfo, size int) (map[string]platform.IDInfo, error) {
	hasLower, hasUpper := false, false
	for id, in := range infos {
		if known(in, true) {
			hasLower = hasLower || id != strings.ToUpper(id)
			hasUpper = hasUpper || id != strings.ToLower(id)
		}
	}
	var cases []func(string) string
	if !hasUpper || hasLower {
		cases = append(cases, strings.ToLower)
	}
	if !hasLower || hasUpper {
		cases = append(cases, strings.ToUpper)
	}
	variants := map[string][]string{}
	var ask []string
	asked := map[string]bool{}
	for _, id := range ids {
		if known(infos[id], true) {
			continue
		}
		for _, to := range cases {
			v := to(id)
			if v == id {
				continue
			}
			variants[id] = append(variants[id], v)
			if _, have := infos[v]; !have && !asked[v] {
				asked[v] = true
				ask = append(ask, v)
			}
		}
	}
	out := map[string]platform.IDInfo{}
	if len(variants) == 0 {
		return out, nil
	}
	found, err := lookupAll(ctx, dir, ask, size)
	if err != nil {
		return nil, err
	}
	for id, vs := range variants {
		for _, v := range vs {
			in, ok := found[v]
			if !ok {
				in, ok = infos[v]
			}
			if known(in, ok) {
				out[id] = in
				break
			}
		}
	}
	return out, nil
}

// OutageDescriber is a Directory (or a Running) that can say, in one line
// for a person, how a call failed when the platform failed: which service,
// at which address, and what happened (refused connection, timeout, server
// error). ok is false for other errors.
type OutageDescriber interface {
	DescribeOutage(err error) (line string, ok bool)
}

// unavailable is the error of a lookup that failed: the directory's own
// description of the outage when it has one.
func unavailable(dir platform.Directory, what string, err error) error {
	if d, ok := dir.(OutageDescriber); ok {
		if line, ok := d.DescribeOutage(err); ok {
			return &Unavailable{Line: fmt.Sprintf("preflight: %s; nothing was started", line), Err: err}
		}
	}
	return &Unavailable{Line: fmt.Sprintf("preflight: could not %s: %v; nothing was started", what, err), Err: err}
}
