package main

import (
	"fmt"
	"io"

	"neutrino/datapath"
)

const replayAbout = `Runs captured frames through a node offline, touching nothing on the system
and needing no privileges: the frames of each --in capture enter at the named
port or uplink (several captures are merged by timestamp, and the node's clock
follows the capture timestamps, so FDB aging happens as it would have), and
every frame that leaves a port or uplink is written to DIR/<name>.pcap. The
counters are printed at the end. Super-frames and partial checksums are
resolved as for an egress without offloads: pcap files get plain frames.`

const replayExample = `  neutrino replay datapath/testdata/golden/topology.yaml \
      --in r1=datapath/testdata/golden/learning/in/r1.pcap \
      --in r2=datapath/testdata/golden/learning/in/r2.pcap --out /tmp/out --trace
  tcpdump -e -n -r /tmp/out/physnet1.pcap      # what left on the uplink`

func cmdReplay(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("replay", "[--node NAME] TOPOLOGY --in PORT=FILE.pcap [--in ...] --out DIR", replayAbout, replayExample)
	node := fs.String("node", "", "the node of the topology to replay through (default: the only node)")
	var ins multiFlag
	fs.Var(&ins, "in", "PORT=FILE.pcap: frames of FILE enter at PORT (a port or uplink name); repeatable")
	out := fs.String("out", "", "directory for the output captures, one DIR/<port>.pcap per port and uplink")
	trace := fs.Bool("trace", false, "print every frame's path through the node")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagError(fs, err, stdout, stderr)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "neutrino replay: give one TOPOLOGY file (see neutrino replay -h)")
		return 2
	}
	if *out == "" {
		fmt.Fprintln(stderr, "neutrino replay: --out DIR is required")
		return 2
	}
	var inputs []datapath.ReplayInput
	for _, v := range ins {
		port, file, err := splitPortFile(v)
		if err != nil {
			fmt.Fprintf(stderr, "neutrino replay: %v\n", err)
			return 2
		}
		inputs = append(inputs, datapath.ReplayInput{Port: port, Path: file})
	}
	spec, _, _, err := loadSpec(pos[0], *node)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	opt := datapath.ReplayOptions{}
	if *trace {
		opt.Trace = stdout
	}
	res, err := datapath.Replay(spec, inputs, *out, opt)
	if err != nil {
		fmt.Fprintf(stderr, "neutrino replay: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "replayed %s from %s through node %s\n\n", plural(res.Frames, "frame"), plural(len(inputs), "capture"), spec.Node)
	tw := newTable(stdout)
	fmt.Fprintln(tw, "OUTPUT\tFRAMES\tFILE")
	for _, o := range res.Outputs {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", o.Port, o.Frames, o.Path)
	}
	tw.Flush()
	fmt.Fprintln(stdout)
	printCounters(stdout, res.Counters)
	if res.NotVXLAN > 0 {
		fmt.Fprintf(stdout, "\nnot VXLAN: %d of the frames read for the tunnel port were no VXLAN datagram to the node (skipped, as the tunnel endpoint would)\n", res.NotVXLAN)
	}
	return 0
}
