package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"neutrino/datapath"
)

// sgRows print each filtered port as iptables -nvL prints a chain: the
// rules in the order they are tried, with the packets and bytes each
// took.
var sgRows = rows[datapath.SecurityGroupInfo]{
	head: func(io.Writer) {},
	row:  printSecurityGroups,
	foot: func(w io.Writer, n int) {
		if n == 0 {
			fmt.Fprintln(w, "no port with security groups on this node")
		}
	},
}

func printSecurityGroups(w io.Writer, s datapath.SecurityGroupInfo) {
	state := "stateful"
	if !s.Stateful {
		state = "stateless"
	}
	groups := "no groups"
	if len(s.Groups) > 0 {
		groups = "groups " + strings.Join(s.Groups, ", ")
	}
	fmt.Fprintf(w, "port %s (%s): %s, %s, conntrack zone %d\n", s.Port, s.Device, groups, state, s.Zone)
	if len(s.Pairs) > 0 {
		fmt.Fprintf(w, "  may send from: %s\n", strings.Join(s.Pairs, "; "))
	} else {
		fmt.Fprintln(w, "  may send from: nothing (no fixed IP, no address pair)")
	}
	for _, c := range []struct {
		name  string
		rules []datapath.ChainRuleInfo
	}{{"egress (from the VM)", s.Egress}, {"ingress (to the VM)", s.Ingress}} {
		fmt.Fprintf(w, "  Chain %s\n", c.name)
		tw := newTable(w)
		fmt.Fprintln(tw, "   pkts\t bytes\ttarget\trule\tmatch")
		for _, r := range c.rules {
			rule := r.Fixed
			if r.Group != "" {
				rule = r.Group + " rules[" + strconv.Itoa(r.Index) + "]"
			}
			fmt.Fprintf(tw, "  %5s\t%6s\t%s\t%s\t%s\n", iptCount(r.Packets), iptCount(r.Bytes), strings.ToUpper(r.Action), rule, r.Match)
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
}

// iptCount abbreviates a counter as iptables -nvL does: exact below
// 100000, then in K, M, G and T of 1000.
func iptCount(n uint64) string {
	units := "KMGT"
	if n < 100000 {
		return strconv.FormatUint(n, 10)
	}
	i := -1
	for n >= 100000 && i < len(units)-1 {
		n /= 1000
		i++
	}
	return strconv.FormatUint(n, 10) + units[i:i+1]
}
