package configs

import (
	"bytes"
	_ "embed"
)

// DefaultName is the file name the embedded default topology reports in
// positions.
const DefaultName = "default.yaml"

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the text of the embedded default topology, the one
// `neutrino run` uses when given no file.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// Default returns the embedded default topology, parsed: one node "local",
// a local network demo with subnet 10.0.0.0/24, ports vm1 and vm2. Each call
// returns a new Topology.
func Default() *Topology {
	t, err := Parse(DefaultName, defaultYAML)
	if err != nil {
		panic("configs: the embedded default topology is invalid: " + err.Error())
	}
	return t
}
