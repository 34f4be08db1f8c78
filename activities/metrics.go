package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
)

// The metrics the activities emit themselves, by the names given to the
// Temporal SDK's metrics handler. The worker's Prometheus exporter adds the
// unit and counter suffixes: lazarus_clone_duration_seconds (a histogram),
// lazarus_rows_restored_total, lazarus_objects_restored_total. Their labels
// name bounded things only (a cluster, a store), never a site or a batch.
const (
	// MetricCloneDuration is how long one point-in-time clone took to
	// make (label cluster).
	MetricCloneDuration = "lazarus_clone_duration"
	// MetricRowsRestored counts the tenant rows copied from a clone into a
	// live store (label store).
	MetricRowsRestored = "lazarus_rows_restored"
	// MetricObjectsRestored counts the media objects brought back (delete
	// markers removed and versions copied; keys already current are not
	// counted).
	MetricObjectsRestored = "lazarus_objects_restored"
	// MetricClonesRemade counts the steps that found their clone gone (its
	// host died, or it was torn down) and made or found the same clone on
	// their own host (label cluster).
	MetricClonesRemade = "lazarus_clones_remade"
)

// metrics is the activity's metrics handler (the worker's, tagged by the
// SDK with the activity type and task queue), or a no-op one outside an
// activity (unit tests call the activities with a plain context).
func metrics(ctx context.Context) client.MetricsHandler {
	if !activity.IsActivity(ctx) {
		return client.MetricsNopHandler
	}
	return activity.GetMetricsHandler(ctx)
}

// recordClone records the making of one clone of cluster.
func recordClone(ctx context.Context, cluster string, took time.Duration) {
	metrics(ctx).WithTags(map[string]string{"cluster": cluster}).Timer(MetricCloneDuration).Record(took)
}

// countRows counts rows copied into store.
func countRows(ctx context.Context, store string, rows int64) {
	metrics(ctx).WithTags(map[string]string{"store": store}).Counter(MetricRowsRestored).Inc(rows)
}

// countObjects counts media objects restored.
func countObjects(ctx context.Context, n int) {
	metrics(ctx).Counter(MetricObjectsRestored).Inc(int64(n))
}

// countRemade counts a step that stood in a clone of its own host for a
// gone one of cluster.
func countRemade(ctx context.Context, cluster string) {
	metrics(ctx).WithTags(map[string]string{"cluster": cluster}).Counter(MetricClonesRemade).Inc(1)
}
