package main

import (
	"fmt"

	"neutrino/configs"
	"neutrino/datapath"
)

// loadTopology loads the file, or the embedded default when path is "".
func loadTopology(path string) (*configs.Topology, string, error) {
	if path == "" {
		return configs.Default(), "embedded default (" + configs.DefaultName + ")", nil
	}
	t, err := configs.Load(path)
	if err != nil {
		return nil, path, err
	}
	return t, path, nil
}

// loadSpec loads a topology and resolves the named node's slice of it.
func loadSpec(path, node string) (*datapath.Spec, *configs.NodeView, string, error) {
	v, source, err := loadView(path, node)
	if err != nil {
		return nil, nil, source, err
	}
	spec, err := datapath.SpecFromView(v)
	if err != nil {
		return nil, nil, source, fmt.Errorf("%s: %w", source, err)
	}
	return spec, v, source, nil
}

// checkTopology validates a file and summarizes it.
func checkTopology(path string) (string, error) {
	t, err := configs.Load(path)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s, %s, %s, %s, %s, %s, %s",
		plural(len(t.Nodes), "node"), plural(len(t.Uplinks), "uplink"), plural(len(t.Networks), "network"),
		plural(len(t.Ports), "port"), plural(len(t.Routers), "router"),
		plural(len(t.FloatingIPs), "floating IP"), plural(len(t.SecurityGroups), "security group")), nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
