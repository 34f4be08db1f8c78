package worker

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/hashicorp/go-multierror"
	"gopkg.in/yaml.v3"
)

// Limits are one task queue's worker limits.
type Limits struct {
	// MaxConcurrentActivities is how many activities of this service run at
	// once in this process (MaxConcurrentActivityExecutionSize); 0 = default.
	MaxConcurrentActivities int `yaml:"max_concurrent_activities" json:"max_concurrent_activities"`
	// ActivitiesPerSecond caps how fast the service's task queue hands out
	// activities across every worker (TaskQueueActivitiesPerSecond): the
	// downstream system's rate limit. 0 = no limit.
	ActivitiesPerSecond float64 `yaml:"activities_per_second" json:"activities_per_second"`
	// Pollers is the maximum number of pollers (autoscaled); 0 = default.
	Pollers int `yaml:"pollers" json:"pollers"`
}

// Config is the worker's configuration file (YAML):
//
//	workflows:
//	  max_concurrent_workflow_tasks: 200
//	default:                # every service not listed
//	  max_concurrent_activities: 100
//	services:
//	  db:     {max_concurrent_activities: 8, activities_per_second: 20}
//	  vendors: {max_concurrent_activities: 20, activities_per_second: 50}
//	stop_timeout: 30s
type Config struct {
	Workflows struct {
		MaxConcurrentWorkflowTasks int `yaml:"max_concurrent_workflow_tasks" json:"max_concurrent_workflow_tasks"`
		Pollers                    int `yaml:"pollers" json:"pollers"`
	} `yaml:"workflows" json:"workflows"`
	Default  Limits            `yaml:"default" json:"default"`
	Services map[string]Limits `yaml:"services" json:"services"`
	// ServiceList, when set, is the services to run workers for (else every
	// service of the runbook action registry).
	ServiceList []string `yaml:"service_list" json:"service_list"`
	// StopTimeout is how long running activities get on SIGTERM.
	StopTimeout time.Duration `yaml:"stop_timeout" json:"stop_timeout"`
}

// DefaultConfig is used when no file is given: generous for the demo's
// sandbox, with the PITR work (db) kept narrow because each clone is a
// PostgreSQL process.
func DefaultConfig() Config {
	var c Config
	c.Workflows.MaxConcurrentWorkflowTasks = 200
	c.Default = Limits{MaxConcurrentActivities: 200}
	c.Services = map[string]Limits{
		"db": {MaxConcurrentActivities: 16},
	}
	c.StopTimeout = 30 * time.Second
	return c
}

// LoadConfig reads a YAML config file over the defaults; every problem is
// reported at once.
func LoadConfig(path string) (Config, error) {
	c := DefaultConfig()
	raw, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("worker config %s: %w", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("worker config %s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("worker config %s: %w", path, err)
	}
	return c, nil
}

// Validate reports every problem of the config.
func (c Config) Validate() error {
	var errs *multierror.Error
	check := func(what string, l Limits) {
		if l.MaxConcurrentActivities < 0 {
			errs = multierror.Append(errs, fmt.Errorf("%s: max_concurrent_activities %d is negative", what, l.MaxConcurrentActivities))
		}
		if l.ActivitiesPerSecond < 0 {
			errs = multierror.Append(errs, fmt.Errorf("%s: activities_per_second %g is negative", what, l.ActivitiesPerSecond))
		}
		if l.Pollers < 0 {
			errs = multierror.Append(errs, fmt.Errorf("%s: pollers %d is negative", what, l.Pollers))
		}
	}
	check("default", c.Default)
	names := make([]string, 0, len(c.Services))
	for n := range c.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if n == "" {
			errs = multierror.Append(errs, fmt.Errorf("services: empty service name"))
		}
		check("services."+n, c.Services[n])
	}
	if c.Workflows.MaxConcurrentWorkflowTasks < 0 {
		errs = multierror.Append(errs, fmt.Errorf("workflows: max_concurrent_workflow_tasks %d is negative", c.Workflows.MaxConcurrentWorkflowTasks))
	}
	if c.StopTimeout < 0 {
		errs = multierror.Append(errs, fmt.Errorf("stop_timeout %s is negative", c.StopTimeout))
	}
	return errs.ErrorOrNil()
}

// LimitsFor returns a service's limits: its own entry over the default
// (fields left at 0 in the entry take the default's).
func (c Config) LimitsFor(service string) Limits {
	l := c.Default
	if s, ok := c.Services[service]; ok {
		if s.MaxConcurrentActivities != 0 {
			l.MaxConcurrentActivities = s.MaxConcurrentActivities
		}
		if s.ActivitiesPerSecond != 0 {
			l.ActivitiesPerSecond = s.ActivitiesPerSecond
		}
		if s.Pollers != 0 {
			l.Pollers = s.Pollers
		}
	}
	return l
}
