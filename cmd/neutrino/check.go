package main

import (
	"fmt"
	"io"
)

const checkAbout = `Loads and validates a topology file and prints a summary, or every error at
once as FILE:LINE:COL: path: reason, sorted by line, with exit status 1. It
touches nothing on the system and needs no privileges.`

const checkExample = `  neutrino check configs/examples/seed002-router.yaml`

func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check", "TOPOLOGY", checkAbout, checkExample, stdout, stderr)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagError(fs, err, stdout)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "neutrino check: give one TOPOLOGY file (see neutrino check -h)")
		return 2
	}
	summary, err := checkTopology(pos[0])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok: %s\n", pos[0], summary)
	return 0
}
