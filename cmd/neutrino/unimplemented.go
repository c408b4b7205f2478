package main

import (
	"fmt"
	"io"
	"log/slog"

	"neutrino/configs"
)

// unimplementedHeading introduces, in check's output, the parts of a valid
// topology that have no behaviour yet (configs.Topology.Unimplemented).
const unimplementedHeading = "not implemented yet (accepted, but no behaviour):"

// printUnimplemented prints the heading and the lines, indented; nothing
// when there are none.
func printUnimplemented(w io.Writer, lines []string) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w, unimplementedHeading)
	for _, l := range lines {
		fmt.Fprintln(w, "  "+l)
	}
}

// warnUnimplemented logs, one warning each, the parts of the node's slice
// of the topology that run accepts but does nothing with yet.
func warnUnimplemented(log *slog.Logger, v *configs.NodeView) {
	for _, l := range v.Unimplemented() {
		log.Warn("not implemented yet (accepted, but no behaviour)", "part", l)
	}
}

// loadView loads a topology (the embedded default when path is "") and
// resolves the named node's slice of it, as loadSpec does.
func loadView(path, node string) (*configs.NodeView, string, error) {
	t, source, err := loadTopology(path)
	if err != nil {
		return nil, source, err
	}
	v, err := t.Node(node)
	if err != nil {
		return nil, source, fmt.Errorf("%s: %w", source, err)
	}
	return v, source, nil
}
