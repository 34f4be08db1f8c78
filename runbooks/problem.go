package runbooks

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/go-multierror"
	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a runbook, at a position in its file.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

// Error formats the problem as FILE:LINE:COL: message.
func (p Problem) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, p.Message)
}

// Problems returns every Problem carried by err (a validation error returned
// by Compile, Validate, Load or Default), in file order. It returns nil when
// err carries none (for example a file that could not be read).
func Problems(err error) []Problem {
	if err == nil {
		return nil
	}
	var me *multierror.Error
	if errors.As(err, &me) {
		var out []Problem
		for _, e := range me.Errors {
			var p Problem
			if errors.As(e, &p) {
				out = append(out, p)
			}
		}
		return out
	}
	var p Problem
	if errors.As(err, &p) {
		return []Problem{p}
	}
	return nil
}

// collector gathers problems of one file.
type collector struct {
	file     string
	problems []Problem
	seen     map[string]bool
}

func newCollector(file string) *collector {
	return &collector{file: file, seen: map[string]bool{}}
}

// at records a problem at node n (or at 1:1 when n is nil). The same message at
// the same position is recorded once (expanded steps share their source).
func (c *collector) at(n *yaml.Node, format string, args ...any) {
	line, col := 1, 1
	if n != nil && n.Line > 0 {
		line, col = n.Line, n.Column
	}
	c.atPos(line, col, fmt.Sprintf(format, args...))
}

func (c *collector) atPos(line, col int, msg string) {
	key := fmt.Sprintf("%d:%d:%s", line, col, msg)
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	c.problems = append(c.problems, Problem{File: c.file, Line: line, Column: col, Message: msg})
}

func (c *collector) ok() bool { return len(c.problems) == 0 }

// err returns every problem as one *multierror.Error, in file order.
func (c *collector) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	ps := append([]Problem(nil), c.problems...)
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return ps[i].Column < ps[j].Column
	})
	me := &multierror.Error{ErrorFormat: formatProblems}
	for _, p := range ps {
		me.Errors = append(me.Errors, p)
	}
	return me
}

func formatProblems(errs []error) string {
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func pos(n *yaml.Node) string {
	if n == nil {
		return "?"
	}
	return fmt.Sprintf("%d:%d", n.Line, n.Column)
}
