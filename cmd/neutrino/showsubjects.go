package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// showSubjects are what `neutrino show` reads, in the order its help lists
// them. Each is the control socket command of the same name (run.go's
// showHandlers). A new one is a line here and a printer in showtables.go.
var showSubjects = []showSubject{
	listOf("ports", "every port and uplink: device, attachment, MAC, network, local VLAN, MTU, state", portRows),
	listOf("fdb", "br-int's learned MACs per local VLAN, like ovs-appctl fdb/show", fdbRows),
	valueOf("counters", "rx/tx frames, bytes and drops per port, drops per reason and stage, learning statistics, and each DHCP port's messages", printCounters),
	listOf("leases", "DHCP leases: MAC, IP, hostname, subnet, port, expiry, like dnsmasq's lease file", leaseRows),
	withArgs(listOf("routers", "each router (qrouter): its qr- and qg- ports, floating IPs and counters (ROUTER: one router)", routerRows), "[ROUTER]", 1),
	withArgs(listOf("routes", "a router's FIB, like ip route in its qrouter namespace (ROUTER: one router's)", routeRows), "[ROUTER]", 1),
	withArgs(listOf("neighbors", "the routers' ARP caches, like ip neigh (ROUTER: one router's)", neighborRows), "[ROUTER]", 1),
	listOf("conntrack", "the routers' and the filtered ports' connections in conntrack -L's words; filter with --src, --dst, --addr, --zone; --count counts them", conntrackRows),
	valueOf("nat", "floating IPs and the SNAT/DNAT bindings in the connection table", printNAT),
	valueOf("tunnels", "br-tun: the remote VTEPs (Neutron's vxlan- tunnel ports) with frames and bytes each way, and each vxlan network's VNI, local VLAN and flood list", printTunnels),
	withArgs(listOf("security-groups", "each filtered port's chains, fixed rules and group rules with packet and byte counters, like iptables -nvL (PORT: one port's)", sgRows), "[PORT]", 1),
}

// hiddenSubjects are asked for by flags of a listed subject (show
// conntrack --count), not by name.
var hiddenSubjects = []showSubject{
	valueOf("conntrack-count", "", printConntrackCount),
}

// withArgs lets a subject take up to max words after its name.
func withArgs(s showSubject, usage string, max int) showSubject {
	s.argsUsage, s.maxArgs = usage, max
	return s
}

// showSubject is one thing `neutrino show` reads.
type showSubject struct {
	name, about string
	list        bool                       // the answer is a list, streamed an item at a time
	argsUsage   string                     // the words it takes after its name, for errors
	maxArgs     int                        // how many
	table       func(w io.Writer) *printer // prints the answer as tables
}

// printer prints an answer while it arrives: add gets each item of a list,
// or the one value; end is called once the answer is over, complete false
// when it was cut short (print what you have, no totals).
type printer struct {
	add func(v json.RawMessage) error
	end func(complete bool) error
}

func findSubject(name string) (showSubject, bool) {
	for _, s := range append(showSubjects[:len(showSubjects):len(showSubjects)], hiddenSubjects...) {
		if s.name == name {
			return s, true
		}
	}
	return showSubject{}, false
}

func subjectNames() []string {
	names := make([]string, len(showSubjects))
	for i, s := range showSubjects {
		names[i] = s.name
	}
	return names
}

// rows prints a list of T: head, a row per item as it comes, foot with
// the number of rows.
type rows[T any] struct {
	head func(w io.Writer)
	row  func(w io.Writer, v T)
	foot func(w io.Writer, n int) // may be nil
	// tabbed aligns the columns with a tabwriter, which holds every row
	// until the end: for short lists only.
	tabbed bool
}

// listOf is a list subject printed by r.
func listOf[T any](name, about string, r rows[T]) showSubject {
	return showSubject{name: name, about: about, list: true, table: func(out io.Writer) *printer {
		w, flush := out, func() error { return nil }
		if r.tabbed {
			tw := newTable(out)
			w, flush = tw, tw.Flush
		}
		r.head(w)
		n := 0
		return &printer{
			add: func(v json.RawMessage) error {
				var x T
				if err := json.Unmarshal(v, &x); err != nil {
					return err
				}
				r.row(w, x)
				n++
				return nil
			},
			end: func(complete bool) error {
				err := flush()
				if complete && r.foot != nil {
					r.foot(out, n)
				}
				return err
			},
		}
	}}
}

// valueOf is a single-value subject printed by print.
func valueOf[T any](name, about string, print func(w io.Writer, v T)) showSubject {
	return showSubject{name: name, about: about, table: func(w io.Writer) *printer {
		return &printer{
			add: func(v json.RawMessage) error {
				var x T
				if err := json.Unmarshal(v, &x); err != nil {
					return err
				}
				print(w, x)
				return nil
			},
			end: func(bool) error { return nil },
		}
	}}
}

// jsonPrinter prints the answer as indented JSON: a list as an array
// written an item at a time, a value as it is.
func jsonPrinter(w io.Writer, list bool) *printer {
	var buf bytes.Buffer
	n := 0
	return &printer{
		add: func(v json.RawMessage) error {
			buf.Reset()
			if !list {
				if err := json.Indent(&buf, v, "", "  "); err != nil {
					return err
				}
				buf.WriteByte('\n')
				_, err := w.Write(buf.Bytes())
				return err
			}
			if n == 0 {
				buf.WriteString("[\n  ")
			} else {
				buf.WriteString(",\n  ")
			}
			n++
			if err := json.Indent(&buf, v, "  ", "  "); err != nil {
				return err
			}
			_, err := w.Write(buf.Bytes())
			return err
		},
		end: func(complete bool) error {
			var err error
			switch {
			case !list || !complete:
			case n == 0:
				_, err = io.WriteString(w, "[]\n")
			default:
				_, err = io.WriteString(w, "\n]\n")
			}
			return err
		},
	}
}

// subjectHelp lists the subjects for `neutrino show -h`, their
// descriptions wrapped to 80 columns.
func subjectHelp() string {
	var b strings.Builder
	for _, s := range showSubjects {
		line := fmt.Sprintf("  %-9s", s.name)
		for _, word := range strings.Fields(s.about) {
			if len(line)+1+len(word) > 78 {
				b.WriteString(line + "\n")
				line = strings.Repeat(" ", 11)
			}
			line += " " + word
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
