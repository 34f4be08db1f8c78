// Command summary gathers the figures of `make bench` into out/bench.json
// and prints them: the no-op batch and the plain SDK program
// (bench/overhead -json), the PostgreSQL extraction (pitrbench -json), the
// demo's restore phase (out/demo-summary.txt) and where its time went,
// action by action (out/demo-waits.json, from lazarus-chaos observe).
// Inputs that are absent are left out: their figures are null.
//
//	go run ./bench/summary
//	go run ./bench/summary -demo "" -waits ""   # no demo this time
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
)

func main() {
	overhead := flag.String("overhead", "out/bench-overhead.json", "bench/overhead -json output (empty: none)")
	pitr := flag.String("pitr", "out/bench-pitr.json", "pitrbench -json output (empty: none)")
	demo := flag.String("demo", "out/demo-summary.txt", "the demo's summary (empty: none)")
	waits := flag.String("waits", "out/demo-waits.json", "the demo's lazarus-chaos observe --json output (empty: none)")
	out := flag.String("out", "out/bench.json", "write the figures here")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "summary: -out is empty: want the file to write the figures to")
		os.Exit(2)
	}
	if err := run(*overhead, *pitr, *demo, *waits, *out); err != nil {
		fmt.Fprintln(os.Stderr, "summary:", err)
		os.Exit(1)
	}
}

func run(overhead, pitr, demo, waits, out string) error {
	var in inputs
	var o overheadFile
	if ok, err := readJSON(overhead, &o); err != nil {
		return err
	} else if ok {
		in.overhead = &o
	}
	var p pitrFile
	if ok, err := readJSON(pitr, &p); err != nil {
		return err
	} else if ok {
		in.pitr = &p
	}
	var w waitsFile
	if ok, err := readJSON(waits, &w); err != nil {
		return err
	} else if ok {
		in.waits = &w
	}
	d, err := readDemoSummary(demo)
	if err != nil {
		return err
	}
	in.demo = d
	b, err := combine(in)
	if err != nil {
		return err
	}
	raw, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the figures: %w", err)
	}
	if err := os.WriteFile(out, append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	fmt.Printf("== bench figures (every one in %s)\n", out)
	return printFigures(os.Stdout, b)
}
