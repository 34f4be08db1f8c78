// Package deploy holds the deployment files of Lazarus and their tests: the
// Temporal jobs and dynamic config, the Prometheus and Grafana provisioning
// of docker-compose.yml (at the repository's root), and the Kubernetes
// manifests of the worker. It has no Go code; deploy_test.go checks what
// can be checked without a Docker engine or a cluster.
package deploy
