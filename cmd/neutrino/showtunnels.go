package main

import (
	"fmt"
	"io"
	"strings"

	"neutrino/datapath"
)

// printTunnels prints br-tun: the VTEPs, then the networks.
func printTunnels(w io.Writer, t datapath.TunnelInfo) {
	fmt.Fprintf(w, "br-tun: local %s, udp port %d; ARP answered %d, kept off the tunnels %d\n", t.Local, t.Port, t.ARPAnswered, t.ARPLocal)
	tw := newTable(w)
	fmt.Fprintln(tw, "PORT\tREMOTE\tNODE\tTX FRAMES\tTX BYTES\tRX FRAMES\tRX BYTES")
	for _, v := range t.VTEPs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\n", v.Port, v.Address, v.Node, v.TxFrames, v.TxBytes, v.RxFrames, v.RxBytes)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = newTable(w)
	fmt.Fprintln(tw, "NETWORK\tVNI\tVLAN\tFLOOD\tL2POP\tARP")
	for _, n := range t.Networks {
		flood := strings.Join(n.Flood, ",")
		if flood == "" {
			flood = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%d\n", n.Name, n.VNI, n.LVID, flood, n.FDB, n.ARP)
	}
	tw.Flush()
}
