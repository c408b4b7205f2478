// Command neutrino is the appliance: one binary that runs a node of the
// topology (run), validates a topology (check), runs captures through a
// node offline (replay), reads a running node (show), runs commands in its
// ports' namespaces (exec), captures and traces frames on it (capture,
// trace) and applies a changed topology to it (reload).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands []command

func init() {
	commands = []command{
		{"run", "run a node of the topology until SIGINT/SIGTERM", cmdRun},
		{"check", "validate a topology file; touches nothing on the system", cmdCheck},
		{"replay", "run pcap captures through a node offline and write what leaves each port", cmdReplay},
		{"show", "read a running node: " + strings.Join(subjectNames(), ", "), cmdShow},
		{"exec", "run a command inside the namespace of an attach: netns port", cmdExec},
		{"capture", "capture a port of a running node, as pcap or a line per frame", cmdCapture},
		{"reload", "apply a changed topology to a running node, keeping its state (or SIGHUP)", cmdReload},
		{"trace", "trace a synthetic frame (OVS flow syntax) through a running node, or a topology offline", cmdTrace},
	}
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "neutrino: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `neutrino: Neutron's br-int, br-tun, router, DHCP and security groups in one userspace process.

Usage: neutrino COMMAND [flags] [args]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run "neutrino COMMAND -h" for a command's flags and an example.
`)
}

// newFlags returns a flag set whose Usage says what the command does, its
// flags, and an example. While parsing it prints nothing: flagError says
// what went wrong, once.
func newFlags(name, synopsis, about, example string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: neutrino %s %s\n\n%s\n", name, synopsis, about)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprint(out, "\nFlags:\n")
			fs.PrintDefaults()
		}
		fmt.Fprintf(out, "\nExample:\n%s\n", example)
	}
	return fs
}

// flagError turns a parse error into an exit status: -h prints the help
// to stdout and exits 0; a bad flag prints the error and the help to
// stderr and exits 2.
func flagError(fs *flag.FlagSet, err error, stdout, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fs.Usage()
		return 0
	}
	fmt.Fprintf(stderr, "neutrino %s: %v\n\n", fs.Name(), err)
	fs.SetOutput(stderr)
	fs.Usage()
	return 2
}
