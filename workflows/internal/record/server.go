package main

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/internal/tools"
	"github.com/lazarus-dr/lazarus/runbooks"
	"github.com/lazarus-dr/lazarus/workflows"
)

// startServer starts a dev server with a workflow worker and a worker of
// stand-in activities for each task queue the recordings use.
func startServer(ctx context.Context) (client.Client, func(), error) {
	bin, err := tools.TemporalCLI()
	if err != nil {
		return nil, nil, err
	}
	args := []string{"--dynamic-config-value", "system.enableActivityEagerExecution=true"}
	for _, sa := range workflows.SearchAttributeTypes {
		args = append(args, "--search-attribute", sa)
	}
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{ExistingPath: bin, ExtraArgs: args, LogLevel: "error"})
	if err != nil {
		return nil, nil, fmt.Errorf("start dev server: %w", err)
	}
	c := srv.Client()
	ws := []worker.Worker{worker.New(c, workflows.WorkflowTaskQueue, worker.Options{})}
	workflows.Register(ws[0])
	queues := []string{"svc", "db"}
	all := actions
	if *measureDefaults {
		queues = append(queues, runbooks.Services()...)
		all = append(append([]string(nil), actions...), runbooks.ActivityNames()...)
	}
	stand := &standIn{}
	for _, q := range queues {
		w := worker.New(c, workflows.ActivityTaskQueue(q), worker.Options{})
		seen := map[string]bool{}
		for _, a := range all {
			if seen[a] || (q != "svc" && q != "db" && !isDefaultAction(a)) {
				continue
			}
			seen[a] = true
			w.RegisterActivityWithOptions(stand.action(a), activity.RegisterOptions{Name: a})
		}
		ws = append(ws, w)
	}
	stop := func() {
		for _, w := range ws {
			w.Stop()
		}
		srv.Stop()
	}
	for _, w := range ws {
		if err := w.Start(); err != nil {
			stop()
			return nil, nil, err
		}
	}
	return c, stop, nil
}

// standIn plays every action: "flaky" fails its first call, "db.clone"
// hands every site a clone, every other action succeeds.
type standIn struct {
	mu         sync.Mutex
	flakyCalls int
}

func (s *standIn) action(a string) func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
	return func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
		switch a {
		case "flaky":
			s.mu.Lock()
			s.flakyCalls++
			first := s.flakyCalls == 1
			s.mu.Unlock()
			if first {
				return contract.StepOutput{}, errors.New("shard unreachable")
			}
		case "db.clone":
			out := contract.StepOutput{Values: contract.Vars{"clone": "c1"}, PerSite: map[string]contract.Vars{}}
			for _, site := range in.Sites {
				out.PerSite[site.SiteID] = contract.Vars{contract.CloneDSNVar("jira"): "postgres://clone/jira",
					contract.VarRestorePoint: contract.FormatRestorePoint(site.RestorePoint)}
			}
			return out, nil
		}
		return contract.StepOutput{Message: a + " ok", Values: contract.Vars{a + ".done": in.StepID}}, nil
	}
}

func isDefaultAction(a string) bool {
	for _, n := range runbooks.ActivityNames() {
		if n == a {
			return true
		}
	}
	return false
}
