package main

import (
	"flag"
	"fmt"
	"strings"
)

// parseInterspersed parses flags that may come before or after the
// positional arguments (neutrino replay TOPOLOGY --in ... --out ...) and
// returns the positional ones. "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

func (m *multiFlag) Set(v string) error {
	*m = append(*m, v)
	return nil
}

// splitPortFile splits PORT=FILE.
func splitPortFile(v string) (port, file string, err error) {
	port, file, ok := strings.Cut(v, "=")
	if !ok || port == "" || file == "" {
		return "", "", fmt.Errorf("--in %q: want PORT=FILE.pcap", v)
	}
	return port, file, nil
}
