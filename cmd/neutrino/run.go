package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"neutrino/control"
	"neutrino/datapath"
	"neutrino/dhcp"
)

const runAbout = `Runs one node of the topology until SIGINT or SIGTERM: creates a TAP device
for every port with attach: tap (with the port's MAC and the network's MTU),
and for every tap: uplink; for every port with attach: netns, a network
namespace with a TAP device eth0 inside it, configured with the port's MAC,
MTU, fixed IPs and routes (a lab host: "neutrino exec PORT -- CMD" runs
commands there); binds AF_PACKET (promiscuous) to the interfaces of attach:
existing ports and interface: uplinks; and switches frames between them.
Without TOPOLOGY it runs the embedded default: network demo (10.0.0.0/24)
with lab hosts vm1 (namespace vm1, 10.0.0.11) and vm2 (namespace vm2,
10.0.0.12). An invalid topology starts nothing. TAP devices and namespaces
the node created are removed when it stops. Needs root (CAP_NET_ADMIN).

Every subnet with enable_dhcp is served by a DHCP port on each node that has
ports on its network (static entries for the node's ports, and the node's
share of an allocation_pool). Leases are kept in --state-dir, written a few
times a second and read back at start: a restart forgets no lease. A state
directory that can't be written stops the node before it changes anything.

While it runs, "neutrino show ports|fdb|counters|leases" reads it over the
control socket, and "neutrino reload" (or SIGHUP) applies a changed
topology to it without a restart, keeping its connections and leases. Broadcast and multicast frames from each port are limited
to --storm-rate a second (storm control; the excess is counted as
storm_control drops).

With --metrics ADDR (host:port, or :port for every address) it serves the
node's counters to Prometheus at http://ADDR/metrics, in the text format:
per-port frames, bytes and drops, drops by stage and reason, the FDB,
conntrack, NAT bindings, routers, DHCP leases and messages, tunnels and
security group rules, all named neutrino_* with the node's name as label
node. They are read from the counters the node keeps anyway, at each
scrape. The address is bound before the node opens or creates anything:
one that is in use or malformed stops it with nothing changed.`

const runExample = `  sudo neutrino run                                   # the embedded default topology
  sudo neutrino exec vm1 -- ping -c 3 10.0.0.12       # (in another terminal)
  sudo neutrino run --node compute01 lab.yaml         # one node of a multi-node lab
  sudo neutrino run --state-dir /tmp/lab lab.yaml     # leases kept in /tmp/lab/leases
  sudo neutrino run --metrics 127.0.0.1:9478          # Prometheus metrics; then:
  curl -s http://127.0.0.1:9478/metrics | grep neutrino_port_rx_frames_total`

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("run", "[--node NAME] [--socket PATH] [--state-dir DIR] [--metrics ADDR] [TOPOLOGY]", runAbout, runExample)
	node := fs.String("node", "", "the node of the topology to run (default: the only node)")
	socket := fs.String("socket", "", "control socket path (default /run/neutrino/NODE.sock)")
	stormRate := fs.Float64("storm-rate", datapath.DefaultStormRate, "broadcast and multicast frames a second each port may send into br-int; -1: no limit")
	stateDir := fs.String("state-dir", "", "where the node keeps state across restarts: the DHCP lease file (default /var/lib/neutrino/NODE)")
	metricsAddr := fs.String("metrics", "", "serve Prometheus metrics at http://`ADDR`/metrics (host:port or :port; default: no metrics)")
	verbose := fs.Bool("v", false, "log debug messages too")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (for go tool pprof)")
	cpus := fs.Int("cpus", 0, cpusUsage)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagError(fs, err, stdout, stderr)
	}
	ncpu, err := setDatapathCPUs(*cpus)
	if err != nil {
		fmt.Fprintf(stderr, "neutrino run: %v\n", err)
		return 2
	}
	if len(pos) > 1 {
		fmt.Fprintf(stderr, "neutrino run: one TOPOLOGY at most, got %d arguments\n", len(pos))
		return 2
	}
	path := ""
	if len(pos) == 1 {
		path = pos[0]
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	spec, view, source, err := loadSpec(path, *node)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	warnUnimplemented(log, view)
	if *socket == "" {
		*socket = defaultSocket(spec.Node)
	}
	if *stateDir == "" {
		*stateDir = defaultStateDir(spec.Node)
	}
	// The metrics address before anything is opened or created: one in
	// use (another node's, an exporter's) stops the node with nothing
	// changed.
	var metricsLn net.Listener
	if *metricsAddr != "" {
		metricsLn, err = listenMetrics(*metricsAddr)
		if err != nil {
			fmt.Fprintf(stderr, "neutrino run: %v\n", err)
			return 1
		}
		defer metricsLn.Close()
	}
	// The state directory before anything is created: one that can't be
	// written stops the node with nothing changed.
	leases, skipped, err := dhcp.OpenLeases(*stateDir, log)
	if err != nil {
		fmt.Fprintf(stderr, "neutrino run: --state-dir: %v%s\n", err, rootHint(err))
		return 1
	}
	if len(skipped) > 0 {
		log.Warn("lease file: kept the readable leases, skipped lines", "skipped", len(skipped), "leases", leases.Len())
	}
	// The control socket first: a second node on the same socket must
	// fail before it creates any device.
	ctl, err := control.Listen(*socket, nil, log)
	if err != nil {
		fmt.Fprintf(stderr, "neutrino run: %v%s\n", err, rootHint(err))
		return 1
	}
	log.Info("starting node", "node", spec.Node, "topology", source, "ports", len(spec.Ports), "socket", *socket,
		"state_dir", *stateDir, "leases", leases.Len(), "cpus", cpusString(ncpu))
	// Signals are caught from here on: one that comes while the devices
	// and namespaces are being created stops the node once they are all
	// there, and they are removed as at any stop.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, err := datapath.New(spec, datapath.Options{Logger: log, Leases: leases, StormRate: *stormRate})
	if err != nil {
		ctl.Close()
		fmt.Fprintf(stderr, "neutrino run: %v%s\n", err, rootHint(err))
		return 1
	}
	ctl.SetHandlers(showHandlers(n))
	// The FDB and the leases may hold tens of thousands of entries:
	// streamed one at a time, never built whole.
	ctl.Handle("fdb", control.Seq(n.EachFDB))
	ctl.Handle("leases", control.Seq(n.EachLease))
	ctl.Handle("conntrack", func(args []string, emit func(any) error) error {
		f, err := datapath.ParseConntrackFilter(args)
		if err != nil {
			return err
		}
		n.EachConntrack(f, func(e datapath.ConntrackEntry) bool {
			err = emit(e)
			return err == nil
		})
		return err
	})
	ctl.HandleValue("conntrack-count", func(args []string) (any, error) {
		f, err := datapath.ParseConntrackFilter(args)
		if err != nil {
			return nil, err
		}
		return n.CountConntrack(f), nil
	})
	ctl.Handle("routers", routerList(n.Routers))
	ctl.Handle("routes", routerList(n.Routes))
	ctl.Handle("neighbors", routerList(n.Neighbors))
	ctl.Handle("security-groups", namedList("port", n.SecurityGroups))
	ctl.HandleLive("capture", captureHandler(ctx, n))
	rl := &reloader{n: n, start: path, log: log}
	ctl.HandleValue("reload", func(args []string) (any, error) {
		if len(args) > 1 {
			return nil, fmt.Errorf("takes at most one TOPOLOGY, got %q", args)
		}
		file := ""
		if len(args) == 1 {
			file = args[0]
		}
		return rl.reload(file)
	})
	go reloadOnHangup(ctx, rl, log)
	ctl.HandleValue("trace", func(args []string) (any, error) {
		switch {
		case len(args) == 3 && args[2] == "reply":
			return n.TraceReply(args[0], args[1])
		case len(args) != 2:
			return nil, fmt.Errorf("takes PORT, FLOW and optionally \"reply\", got %q", args)
		}
		return n.Trace(args[0], args[1])
	})

	if *cpuprofile != "" {
		stopProfile, err := startCPUProfile(*cpuprofile)
		if err != nil {
			n.Close()
			ctl.Close()
			fmt.Fprintf(stderr, "neutrino run: %v\n", err)
			return 1
		}
		defer stopProfile()
	}

	served := make(chan struct{})
	go func() {
		ctl.Serve(ctx)
		close(served)
	}()
	metricsServed := make(chan struct{})
	if metricsLn != nil {
		go func() {
			serveMetrics(ctx, metricsLn, n, spec.Node, log)
			close(metricsServed)
		}()
		log.Info("serving metrics", "url", "http://"+metricsLn.Addr().String()+"/metrics")
	} else {
		close(metricsServed)
	}
	log.Info("node running; stop with Ctrl-C", "node", spec.Node)
	err = n.Run(ctx)
	<-served
	<-metricsServed
	if err != nil {
		log.Error("stopping", "err", err)
		return 1
	}
	log.Info("node stopped; devices it created are removed", "node", spec.Node)
	return 0
}

// reloadOnHangup reloads the node's own file on every SIGHUP until ctx
// is done, and logs what changed or why nothing did.
func reloadOnHangup(ctx context.Context, rl *reloader, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		log.Info("SIGHUP: reloading the topology", "topology", rl.start)
		if _, err := rl.reload(""); err != nil {
			log.Error("reload refused; the node is unchanged", "err", err)
		}
	}
}

// rootHint explains a permission error to someone who is not root.
func rootHint(err error) string {
	if os.Geteuid() != 0 && (errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EPERM)) {
		return "\n(neutrino run needs root, or CAP_NET_ADMIN, to create TAP devices and its control socket: try sudo)"
	}
	return ""
}

// startCPUProfile starts profiling into path and returns what stops it.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func defaultSocket(node string) string { return "/run/neutrino/" + node + ".sock" }

func defaultStateDir(node string) string { return "/var/lib/neutrino/" + node }

// showHandlers are the control socket's commands.
func showHandlers(n *datapath.Node) map[string]control.Handler {
	return map[string]control.Handler{
		"ports":    func() (any, error) { return n.Ports(), nil },
		"counters": func() (any, error) { return n.Counters(), nil },
		"nat":      func() (any, error) { return n.NAT(), nil },
		"tunnels": func() (any, error) {
			t, ok := n.Tunnels()
			if !ok {
				return nil, fmt.Errorf("this node has no vxlan network: no tunnels")
			}
			return t, nil
		},
	}
}

// routerList answers a command taking an optional router name with the
// list list returns.
func routerList[T any](list func(name string) ([]T, error)) control.StreamHandler {
	return namedList("router", list)
}

// namedList answers a command taking an optional name of a kind with the
// list list returns.
func namedList[T any](kind string, list func(name string) ([]T, error)) control.StreamHandler {
	return func(args []string, emit func(any) error) error {
		if len(args) > 1 {
			return fmt.Errorf("takes at most one %s name, got %q", kind, args)
		}
		name := ""
		if len(args) == 1 {
			name = args[0]
		}
		items, err := list(name)
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := emit(it); err != nil {
				return err
			}
		}
		return nil
	}
}

// captureHandler answers capture PORT: the port, then its frames as they
// pass, and a keepalive every 2 s of silence, until the client goes or
// the node stops.
func captureHandler(ctx context.Context, n *datapath.Node) control.StreamHandler {
	return func(args []string, emit func(any) error) error {
		if len(args) != 1 {
			return fmt.Errorf("takes one port name, got %q", args)
		}
		c, err := n.StartCapture(args[0])
		if err != nil {
			return err
		}
		defer c.Stop()
		if err := emit(captureItem{Port: c.Port, Kind: c.Kind}); err != nil {
			return err
		}
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case f := <-c.Frames():
				if err := emit(captureItem{Time: f.Time, Out: f.Out, Data: f.Data, Dropped: c.Dropped()}); err != nil {
					return err
				}
			case <-tick.C:
				if err := emit(captureItem{Keepalive: true, Dropped: c.Dropped()}); err != nil {
					return err
				}
			case <-c.Ended():
				for len(c.Frames()) > 0 { // what it saw before it went
					f := <-c.Frames()
					if err := emit(captureItem{Time: f.Time, Out: f.Out, Data: f.Data, Dropped: c.Dropped()}); err != nil {
						return err
					}
				}
				return fmt.Errorf("port %s was removed by a reload", c.Port)
			case <-ctx.Done():
				return nil
			}
		}
	}
}
