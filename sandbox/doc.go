// Package sandbox is a working multi-tenant SaaS platform in miniature, the
// world Lazarus restores in the demo, the drills and the end-to-end tests:
// two real PostgreSQL clusters with WAL archiving (platform services and
// product shards), a real S3-compatible server with bucket versioning
// (versitygw), and the HTTP services of sandbox/services. It seeds a fleet,
// takes base backups, replays the 2022 bad script (permanent delete), records
// the truth of every tenant and verifies restored sites against it.
//
// It must never be imported by workflows or activities: they reach the
// platform through the description file (platform.yaml) it writes and the
// adapters of package platform. It must never listen on anything but
// 127.0.0.1.
package sandbox
