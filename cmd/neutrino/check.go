package main

import (
	"fmt"
	"io"

	"neutrino/configs"
)

const checkAbout = `Loads and validates a topology file and prints a summary, or every error at
once as FILE:LINE:COL: path: reason, sorted by line, with exit status 1. It
touches nothing on the system and needs no privileges.

After the summary of a valid file it lists, under "not implemented yet
(accepted, but no behaviour):", the parts of the topology neutrino does
nothing with yet (routers, floating IPs, vxlan networks, security groups,
...), each as FILE:LINE:COL: path: what does not happen. They do not
change the exit status.`

const checkExample = `  neutrino check configs/examples/seed002-router.yaml
  neutrino check configs/examples/*.yaml`

func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check", "TOPOLOGY...", checkAbout, checkExample)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagError(fs, err, stdout, stderr)
	}
	if len(pos) == 0 {
		fmt.Fprintln(stderr, "neutrino check: give a TOPOLOGY file (see neutrino check -h)")
		return 2
	}
	code := 0
	for _, path := range pos {
		summary, err := checkTopology(path)
		if err != nil {
			fmt.Fprintln(stderr, err)
			code = 1
			continue
		}
		fmt.Fprintf(stdout, "%s: ok: %s\n", path, summary)
		// checkTopology has validated the file; this second load cannot fail.
		if t, err := configs.Load(path); err == nil {
			printUnimplemented(stdout, t.Unimplemented())
		}
	}
	return code
}
