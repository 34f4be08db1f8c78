package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/workflows"
)

// Run plays the configured scenarios one at a time, each on a fresh
// stack of its own, and returns one row each (also written, as they end,
// to results.json in the state folder). err is set only when nothing
// could be played (a bad configuration).
func Run(ctx context.Context, cfg Config) ([]Row, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	var rows []Row
	for _, n := range cfg.Scenarios {
		if ctx.Err() != nil {
			break
		}
		sc := scenarios()[n-1]
		cfg.Logger.Info("scenario begins", zap.Int("scenario", n), zap.String("name", sc.name), zap.Int("sites", cfg.Sites))
		row := play(ctx, cfg, sc)
		cfg.Logger.Info("scenario ended", zap.Int("scenario", n), zap.String("result", row.Result), zap.Strings("failures", row.Failures))
		rows = append(rows, row)
		if raw, err := json.MarshalIndent(rows, "", "  "); err == nil {
			_ = os.WriteFile(filepath.Join(cfg.StateDir, "results.json"), raw, 0o644)
		}
	}
	return rows, nil
}

// run is one scenario being played.
type run struct {
	cfg   Config
	sc    scenario
	s     *stack
	b     *batch
	log   *zap.Logger
	row   *Row
	begin time.Time

	mu       sync.Mutex
	decided  map[string]time.Time // site/step -> last operator decision
	progress workflows.BatchProgress
	closed   bool
	result   *workflows.BatchResult
	verdict  verdict
	facts    map[string]any // what the chaos recorded for its judge
	sampler  *sampler
}

// note records what the scenario did, with the time since it began.
func (r *run) note(format string, args ...any) {
	msg := fmt.Sprintf("+%s ", time.Since(r.begin).Round(100*time.Millisecond)) + fmt.Sprintf(format, args...)
	r.log.Info(msg)
	r.mu.Lock()
	r.row.Notes = append(r.row.Notes, msg)
	r.mu.Unlock()
}

// fail records why the scenario fails.
func (r *run) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.log.Warn("FAIL " + msg)
	r.mu.Lock()
	r.row.Failures = append(r.row.Failures, msg)
	r.mu.Unlock()
}

// fact and got keep what the chaos found for the judge.
func (r *run) fact(k string, v any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.facts[k] = v
}

func (r *run) got(k string) any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.facts[k]
}

// lastProgress is the latest progress the driver read.
func (r *run) lastProgress() workflows.BatchProgress {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.progress
}

// sleep waits d unless ctx ends first (false then).
func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// play runs one scenario from a fresh stack to its row.
func play(ctx context.Context, cfg Config, sc scenario) (row Row) {
	row = Row{N: sc.n, Scenario: sc.name, Sites: cfg.Sites, WaitBound: cfg.MaxRecovery}
	if sc.waitBound != nil {
		row.WaitBound = sc.waitBound(cfg)
	}
	r := &run{cfg: cfg, sc: sc, row: &row, begin: time.Now(), decided: map[string]time.Time{}, facts: map[string]any{}, sampler: newSampler(),
		log: cfg.Logger.With(zap.Int("scenario", sc.n))}
	defer func() {
		row.Took = time.Since(r.begin).Round(time.Second)
		row.Result = "pass"
		if len(row.Failures) > 0 {
			row.Result = "FAIL"
		}
	}()
	s, err := newStack(ctx, cfg, fmt.Sprintf("%d-%s", sc.n, sc.slug), cfg.Seed+int64(sc.n))
	if err != nil {
		r.fail("stack: %v", err)
		return row
	}
	r.s, row.Dir = s, s.dir
	defer s.down()
	if err := r.setUp(ctx); err != nil {
		r.fail("set-up: %v", err)
		return row
	}
	r.playBatch(ctx)
	if ctx.Err() != nil {
		r.fail("interrupted")
		return row
	}
	r.measure(ctx)
	if sc.judge != nil {
		sc.judge(ctx, r)
	}
	r.judge()
	return row
}

// setUp brings the stack up, deletes the sites, starts the workers and
// the batch.
func (r *run) setUp(ctx context.Context) error {
	if r.sc.hosts > 0 {
		if err := r.s.openHosts(ctx, r.sc.hosts); err != nil {
			return err
		}
	}
	if err := r.s.startTemporal(ctx); err != nil {
		return err
	}
	if err := r.s.startSandbox(ctx); err != nil {
		return err
	}
	if err := r.s.prepareFleet(ctx); err != nil {
		return err
	}
	r.note("stack up, %d of %d sites deleted (traffic on the others at %.0f/s)", len(r.s.sites), r.cfg.Fleet, r.cfg.TrafficRate)
	if r.sc.prepare != nil {
		if err := r.sc.prepare(ctx, r); err != nil {
			return err
		}
	}
	for range max(1, r.sc.workers) {
		if _, err := r.s.startWorker(ctx); err != nil {
			return err
		}
	}
	b, err := r.s.startBatch(ctx, fmt.Sprintf("chaos-%d-%s", r.sc.n, time.Now().UTC().Format("150405")))
	if err != nil {
		return err
	}
	r.b = b
	r.note("batch %s started: %d sites, %d worker(s)", b.id, len(r.s.sites), len(r.s.workers))
	if r.sc.afterStart != nil {
		return r.sc.afterStart(ctx, r)
	}
	return nil
}

// playBatch follows the batch with the coordinator's watch and the
// scenario's chaos beside it, until the batch ends or the timeout.
func (r *run) playBatch(ctx context.Context) {
	wctx, stopWatch := context.WithCancel(ctx)
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		r.b.watch(wctx)
	}()
	defer func() { stopWatch(); <-watchDone }()
	sctx, stopSampler := context.WithCancel(ctx)
	samplerDone := make(chan struct{})
	go func() {
		defer close(samplerDone)
		r.sampler.sample(sctx, r.b)
	}()
	defer func() { stopSampler(); <-samplerDone }()
	cctx, stopChaos := context.WithCancel(ctx)
	chaosDone := make(chan struct{})
	go func() {
		defer close(chaosDone)
		if r.sc.chaos != nil {
			r.sc.chaos(cctx, r)
		}
	}()
	r.follow(ctx)
	stopChaos()
	<-chaosDone
}

// follow polls the batch every 2 s until it closes or the timeout passes,
// and gives every parked site to the scenario (or to the default
// operator, who retries it and fails the scenario: no step may need one).
func (r *run) follow(ctx context.Context) {
	deadline := r.b.started.Add(r.cfg.Timeout)
	for sleep(ctx, 2*time.Second) {
		if closed, err := r.b.closed(ctx); err == nil && closed {
			r.mu.Lock()
			r.closed = true
			r.mu.Unlock()
			r.note("batch ended after %s", time.Since(r.b.started).Round(time.Second))
			return
		}
		if time.Now().After(deadline) {
			r.fail("the batch did not end within %s (%d of %d sites ended)", r.cfg.Timeout, ended(r.lastProgress()), len(r.s.sites))
			r.noteStuck(ctx)
			return
		}
		p, err := r.b.progress(ctx)
		if err != nil {
			continue
		}
		r.mu.Lock()
		r.progress = p
		r.mu.Unlock()
		for _, pk := range p.Parked {
			if r.sc.onParked != nil && r.sc.onParked(ctx, r, pk, p) {
				continue
			}
			r.operatorRetry(ctx, pk)
		}
	}
}

// operatorRetry is the default operator: a parked step fails the scenario
// (the engine must never need one) and is retried so that the rest can
// still be measured.
func (r *run) operatorRetry(ctx context.Context, pk workflows.ParkedSite) {
	r.mu.Lock()
	_, seen := r.decided[pk.SiteID+"/"+pk.StepID]
	r.mu.Unlock()
	if !seen {
		r.fail("site %s parked at step %s and needed an operator: %s", pk.SiteID, pk.StepID, oneLine(pk.Reason, 300))
	}
	if sent, err := r.decide(ctx, "retry", pk.SiteID, pk.StepID, "chaos: the engine parked a step the scenario never breaks for good"); sent {
		r.note("operator: lazarus site retry %s %s (%s)", pk.SiteID, pk.StepID, errText(err))
	}
}

// decide sends an operator's decision on a parked step (`lazarus site
// retry|skip SITE STEP`) unless one went for it in the last 15 s; sent
// says whether it went now.
func (r *run) decide(ctx context.Context, decision, site, step, reason string) (sent bool, err error) {
	key := site + "/" + step
	r.mu.Lock()
	if last, seen := r.decided[key]; seen && time.Since(last) < 15*time.Second {
		r.mu.Unlock()
		return false, nil
	}
	r.decided[key] = time.Now()
	r.mu.Unlock()
	return true, r.b.siteDecision(ctx, decision, site, step, reason)
}

// forEach calls fn for each item, n at a time, until ctx ends.
func forEach[T any](ctx context.Context, items []T, n int, fn func(T)) {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, it := range items {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(it)
		}()
	}
	wg.Wait()
}
