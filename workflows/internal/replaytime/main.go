// Command replaytime replays saved workflow histories (temporal workflow
// show -o json) with this code's workflows and prints how long each replay
// took, optionally under a CPU profile: the cost a worker pays for a batch
// run's history after it lost its cache (a failed or timed-out workflow
// task).
//
//	go run ./workflows/internal/replaytime [-cpuprofile FILE] HISTORY.json...
//
// It must never be part of a worker: it is a development tool.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/lazarus-dr/lazarus/workflows"
)

func main() {
	cpu := flag.String("cpuprofile", "", "write a CPU profile of the replays to this file")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "replaytime: name at least one history file (temporal workflow show -o json)")
		os.Exit(2)
	}
	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			fmt.Fprintln(os.Stderr, "replaytime:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "replaytime:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	for _, path := range flag.Args() {
		r := worker.NewWorkflowReplayer()
		workflows.Register(r)
		began := time.Now()
		err := r.ReplayWorkflowHistoryFromJSONFile(nil, path)
		fmt.Printf("%s: replayed in %s", path, time.Since(began).Round(time.Millisecond))
		if err != nil {
			fmt.Printf(" with an error: %v", err)
		}
		fmt.Println()
	}
}
