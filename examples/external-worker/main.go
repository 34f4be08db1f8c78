// Command external-worker is an example of a team's own Temporal worker
// for Lazarus's external action (runbooks/LANGUAGE.md). It imports the
// Temporal Go SDK and the standard library only, never a Lazarus package:
// the contract is plain JSON, and a worker in any SDK language does the
// same.
//
// It polls -task-queue (the step's params.task_queue) for activities of
// type -activity (params.activity, default "lazarus.external"). Each is
// one step of one site: the input is Lazarus's StepInput as JSON, the
// result a StepOutput as JSON. It prints one JSON line a call on stdout.
//
//	go run ./examples/external-worker -address 127.0.0.1:7233 -task-queue billing-dr
package main

import (
	"flag"
	"log"
	"os"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

func main() {
	address := flag.String("address", envOr("TEMPORAL_ADDRESS", "127.0.0.1:7233"), "Temporal frontend host:port")
	namespace := flag.String("namespace", envOr("TEMPORAL_NAMESPACE", "default"), "Temporal namespace")
	queue := flag.String("task-queue", "billing-dr", "the task queue the runbook's external steps name (params.task_queue)")
	name := flag.String("activity", "lazarus.external", "the activity type the runbook's external steps name (params.activity)")
	flag.Parse()

	// The SDK's default data converter: plain JSON, which is what Lazarus
	// sends an external step (no codec).
	c, err := client.Dial(client.Options{HostPort: *address, Namespace: *namespace})
	if err != nil {
		log.Fatalf("external-worker: connect to Temporal at %s: %v", *address, err)
	}
	defer c.Close()
	w := worker.New(c, *queue, worker.Options{})
	w.RegisterActivityWithOptions(newBilling(os.Stdout).Reconcile, activity.RegisterOptions{Name: *name})
	log.Printf("external-worker: activity %q on task queue %q", *name, *queue)
	if err := w.Run(worker.InterruptCh()); err != nil {
		log.Fatalf("external-worker: %v", err)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
