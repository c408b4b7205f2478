package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"os/exec"
	"slices"
	"strings"

	"neutrino/control"
	"neutrino/datapath"
)

const execAbout = `Runs COMMAND inside the network namespace of a port with attach: netns,
through "ip netns exec" when iproute2 is installed (so files in
/etc/netns/NAMESPACE, a resolv.conf for instance, replace the host's for the
command): neutrino replaces itself with the command, so its standard input
and output are the terminal's and its exit status is the command's. The node must be running (the port's namespace is asked over its
control socket). Needs root, as entering a namespace does.`

const execExample = `  sudo neutrino exec vm1 -- ping -c 3 10.0.0.12
  sudo neutrino exec --node compute01 web1 -- ip -br addr`

func cmdExec(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("exec", "[--socket PATH | --node NAME] PORT -- COMMAND [ARGS...]", execAbout, execExample)
	socket := fs.String("socket", "", "control socket of the node (default /run/neutrino/NODE.sock)")
	node := fs.String("node", "", "the node to ask, when several run on this host")
	var command []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, command = args[:i], args[i+1:]
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagError(fs, err, stdout, stderr)
	}
	switch {
	case len(pos) != 1:
		fmt.Fprintf(stderr, "neutrino exec: name one PORT, then -- and the command (see neutrino exec -h)\n")
		return 2
	case len(command) == 0:
		fmt.Fprintf(stderr, "neutrino exec: no command: neutrino exec %s -- COMMAND [ARGS...]\n", pos[0])
		return 2
	}
	path, err := findSocket(*socket, *node)
	if err != nil {
		fmt.Fprintf(stderr, "neutrino exec: %v\n", err)
		return 1
	}
	ns, err := portNamespace(path, pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "neutrino exec: %v\n", err)
		return 1
	}
	bin, err := exec.LookPath(command[0])
	if err != nil {
		fmt.Fprintf(stderr, "neutrino exec: %v\n", err)
		return 127
	}
	err = execInNamespace(ns, bin, command)
	// Only a failure returns.
	hint := ""
	if errors.Is(err, iofs.ErrPermission) || os.Geteuid() != 0 {
		hint = " (entering a namespace needs root: try sudo)"
	}
	fmt.Fprintf(stderr, "neutrino exec: %v%s\n", err, hint)
	return 126
}

// portNamespace asks the node for the namespace of port.
func portNamespace(socket, port string) (string, error) {
	data, err := control.Call(socket, "ports")
	if err != nil {
		if errors.Is(err, iofs.ErrPermission) {
			err = fmt.Errorf("%w (the node's socket belongs to root: try sudo)", err)
		}
		return "", err
	}
	var ports []datapath.PortInfo
	if err := json.Unmarshal(data, &ports); err != nil {
		return "", err
	}
	var names []string
	for _, p := range ports {
		if p.Name == port {
			if p.Netns == "" {
				return "", fmt.Errorf("port %s has no namespace: it attaches as %s (device %s); only attach: netns ports have one", port, p.Attach, p.Device)
			}
			return p.Netns, nil
		}
		names = append(names, p.Name)
	}
	return "", fmt.Errorf("the node has no port %q (ports: %s)", port, strings.Join(names, ", "))
}
