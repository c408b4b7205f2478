package datapath

import (
	"fmt"
	"math/rand/v2"
	"net"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"neutrino/conntrack"
	l2switch "neutrino/switch"
)

// newVMTwins returns the twins of the security group lab, with port
// security or without (filtered false): one node whose worker has the
// VM flow cache, one whose worker never fills it (both have the
// filters' flow cache).
func newVMTwins(t *testing.T, filtered bool) *sgTwins {
	spec := loadTestSpec(t, "testdata/secgroups/topology.yaml", "")
	if !filtered {
		unfiltered(spec)
	}
	return twinLab(t, spec, func(w *Worker) { w.vfc.off = true })
}

// TestVMFlowCacheSameAsWalk runs one random stream of frames between the
// hosts of the security group lab, with port security and without,
// through two nodes on one clock: one whose worker has the VM flow
// cache, one whose worker never fills it. The stream has TCP with every
// flag mix, UDP, ICMP, broadcasts, first fragments, frames from another
// host's MAC (which move it in br-int's table where no filter stops
// them), a clock moving on by steps below and above br-int's refresh
// interval and the conntrack refresh interval, past the UDP timeout and
// past br-int's aging time; and now and then a port's MACs flushed from
// br-int, connections deleted, the filters rebuilt (a reload). What
// leaves each port, every counter (ports, drops, each filter's fixed and
// group rules), the connection tables and br-int's tables must be the
// same, and the cache must have answered a good part of the frames.
func TestVMFlowCacheSameAsWalk(t *testing.T) {
	for _, filtered := range []bool{true, false} {
		t.Run(fmt.Sprintf("filtered=%v", filtered), func(t *testing.T) {
			tw := newVMTwins(t, filtered)
			hits := vmFlowStream(t, tw, rand.New(rand.NewPCG(11, 12)), 6000)
			if hits < 4000 {
				t.Errorf("the cache answered %d frames, want many more", hits)
			}
			t.Logf("the cache answered %d frames", hits)
		})
	}
}

// vmFlowStream runs batches random batches through the twins and returns
// how many frames the cached worker's VM flow cache answered (queued
// without a walk).
func vmFlowStream(t *testing.T, tw *sgTwins, rng *rand.Rand, batches int) int {
	hosts := []sgHost{sgA, sgB, sgWeb, sgVIP, sgLoose, sgOpen, sgOut}
	type flagSet struct{ syn, ack, fin, rst bool }
	flagSets := []flagSet{{syn: true}, {syn: true, ack: true}, {ack: true}, {ack: true}, {ack: true}, {ack: true},
		{ack: true}, {fin: true, ack: true}, {rst: true}, {}}
	convs := sgConvs
	frameOf := func(from, to sgHost, smac net.HardwareAddr, kind, flags int, sp, dp uint16) []byte {
		ip := ipv4(from.ip, to.ip, layers.IPProtocolUDP, 64)
		switch kind {
		case 0:
			fl := flagSets[flags%len(flagSets)]
			ip.Protocol = layers.IPProtocolTCP
			return frame(t, eth(smac, to.mac, layers.EthernetTypeIPv4), ip,
				&layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), SYN: fl.syn, ACK: fl.ack, FIN: fl.fin, RST: fl.rst,
					Seq: 1000, Window: 64240}, gPayload(flags*3))
		case 1:
			return frame(t, eth(smac, to.mac, layers.EthernetTypeIPv4), ip,
				&layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}, gPayload(flags*5))
		case 2:
			return echo(t, smac, to.mac, from.ip, to.ip, 64, sp, 1, flags%2 == 0)
		case 3:
			return arpWhoHas(t, smac, from.ip, to.ip)
		default: // a first fragment
			ip.Flags = layers.IPv4MoreFragments
			return frame(t, eth(smac, to.mac, layers.EthernetTypeIPv4), ip,
				&layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}, gPayload(40))
		}
	}
	hitsBefore := vmHits(tw.cw)
	for batch := 0; batch < batches; batch++ {
		switch r := rng.IntN(1000); {
		case r < 30:
			tw.clk.Advance(time.Duration(900+rng.IntN(1500)) * time.Millisecond)
		case r < 33:
			tw.clk.Advance(200 * time.Second) // UDP connections time out
		case r < 35:
			tw.clk.Advance(301 * time.Second) // br-int's entries age
		case r < 500:
			tw.clk.Advance(time.Duration(rng.IntN(40)) * time.Millisecond)
		case r < 503:
			p := l2switch.PortID(rng.IntN(len(hosts)))
			tw.cached.sw.FlushPort(p)
			tw.plain.sw.FlushPort(p)
		case r < 506:
			sp := uint16(rng.IntN(3))
			drop := func(i conntrack.Info) bool { return i.Orig.SPort%3 == sp }
			now := tw.clk.Now()
			tw.cached.ct.DeleteIf(now, drop)
			tw.plain.ct.DeleteIf(now, drop)
		case r == 506:
			rebuildFilters(t, tw.cached)
			rebuildFilters(t, tw.plain)
		}
		// A batch: frames of a few conversations of one host, mostly
		// UDP and TCP ACKs, now and then something else.
		cv := convs[rng.IntN(len(convs))]
		back := rng.IntN(2) == 0
		from := cv.c
		if back {
			from = cv.s
		}
		var frames [][]byte
		for range 1 + rng.IntN(12) {
			if c := convs[rng.IntN(len(convs))]; c.c.port == from.port && !back || c.s.port == from.port && back {
				cv = c
			}
			to, sp, dp := cv.s, cv.cp, cv.sp
			if back {
				to, sp, dp = cv.c, cv.sp, cv.cp
			}
			smac := from.mac
			if rng.IntN(60) == 0 {
				smac = hosts[rng.IntN(len(hosts))].mac // another host's
			}
			kind, flags := 1, 2
			switch r := rng.IntN(20); {
			case r < 6:
				kind = 0
				if rng.IntN(4) == 0 {
					flags = rng.IntN(len(flagSets))
				}
			case r < 7:
				kind = 2
			case r < 8:
				kind = 3
			case r < 9:
				kind = 4
			}
			frames = append(frames, frameOf(from, to, smac, kind, flags, sp, dp))
		}
		tw.send(from, frames...)
		if batch%500 == 499 {
			tw.same()
			tw.sameFDB()
		}
	}
	tw.same()
	tw.sameFDB()
	return vmHits(tw.cw) - hitsBefore
}

// sameFDB checks that br-int's tables of the twins are the same.
func (tw *sgTwins) sameFDB() {
	tw.t.Helper()
	now := tw.clk.Now()
	if c, p := tw.cached.sw.Entries(now), tw.plain.sw.Entries(now); !reflect.DeepEqual(c, p) {
		tw.t.Errorf("br-int's tables differ:\nwith the VM flow cache %v\nwithout %v", c, p)
	}
}

// vmHits counts the frames a worker's VM flow cache answered so far.
func vmHits(w *Worker) int { return int(w.vmHits.load()) }

// TestVMFlowCacheMove: a destination MAC that moves to another port
// takes the frames of a cached flow with it from the next frame on, in
// the same batch too, and a source MAC that moves makes its flows walk
// again. The twins must send the same frames.
func TestVMFlowCacheMove(t *testing.T) {
	for _, filtered := range []bool{true, false} {
		t.Run(fmt.Sprintf("filtered=%v", filtered), func(t *testing.T) {
			tw := newVMTwins(t, filtered)
			ab := udpDgram(t, sgA.mac, sgB.mac, sgA.ip, sgB.ip, 41000, 5000, 64, 20)
			ba := udpDgram(t, sgB.mac, sgA.mac, sgB.ip, sgA.ip, 5000, 41000, 64, 20)
			tw.send(sgA, ab)
			tw.send(sgB, ba)
			tw.send(sgA, ab, ab, ab)
			hits := vmHits(tw.cw)
			tw.send(sgA, ab, ab, ab)
			if vmHits(tw.cw) == hits {
				t.Fatal("the cache answered nothing")
			}
			// b's MAC is seen on web's port.
			tw.send(sgWeb, udpDgram(t, sgB.mac, sgA.mac, sgB.ip, sgA.ip, 9, 9, 64, 18))
			tw.send(sgA, ab, ab)
			// Back on b's port; then a frame from a with b's MAC amid
			// a's frames to b (a filter drops it; without one, it moves
			// b's MAC to a's port, and the frames after it are dropped
			// there).
			tw.send(sgB, ba)
			tw.send(sgA, ab, ab)
			spoof := udpDgram(t, sgB.mac, sgWeb.mac, sgB.ip, sgWeb.ip, 9, 9, 64, 18)
			tw.send(sgA, ab, spoof, ab, ab)
			tw.send(sgB, ba)
			tw.send(sgA, ab, ab)
			// a's MAC seen on b's port: a's frames move it back and walk.
			tw.send(sgB, udpDgram(t, sgA.mac, sgWeb.mac, sgA.ip, sgWeb.ip, 9, 9, 64, 18))
			tw.send(sgA, ab, ab)
			tw.same()
			tw.sameFDB()
		})
	}
}

// TestVMFlowCacheReload: a reload that removes the destination port of
// cached flows, then one that brings it back, then one that turns the
// source port's security groups off (or on, in the lab without them),
// with frames of the flows before and after each: the twins must send
// the same frames and count the same.
func TestVMFlowCacheReload(t *testing.T) {
	for _, filtered := range []bool{true, false} {
		t.Run(fmt.Sprintf("filtered=%v", filtered), func(t *testing.T) {
			tw := newVMTwins(t, filtered)
			spec := func(withB, aFiltered bool) *Spec {
				s := loadTestSpec(t, "testdata/secgroups/topology.yaml", "")
				for i := range s.Ports {
					if s.Ports[i].Name == "a" && !aFiltered || s.Ports[i].Name != "a" && !filtered {
						s.Ports[i].Security = nil
					}
				}
				if !withB {
					s.Ports = slices.DeleteFunc(s.Ports, func(p PortSpec) bool { return p.Name == "b" })
				}
				return s
			}
			reload := func(withB, aFiltered bool) {
				t.Helper()
				for _, n := range []*Node{tw.cached, tw.plain} {
					if _, err := n.Reload(spec(withB, aFiltered)); err != nil {
						t.Fatal(err)
					}
				}
				// b's device is opened anew: its frames start again.
				tw.cob.seen["b"], tw.pob.seen["b"] = 0, 0
			}
			ab := udpDgram(t, sgA.mac, sgB.mac, sgA.ip, sgB.ip, 41000, 5000, 64, 20)
			ba := udpDgram(t, sgB.mac, sgA.mac, sgB.ip, sgA.ip, 5000, 41000, 64, 20)
			tw.send(sgA, ab)
			tw.send(sgB, ba)
			tw.send(sgA, ab, ab, ab)
			hits := vmHits(tw.cw)
			tw.send(sgA, ab, ab)
			if vmHits(tw.cw) == hits {
				t.Fatal("the cache answered nothing")
			}
			reload(false, filtered)
			tw.send(sgA, ab, ab, ab)
			tw.same()
			reload(true, filtered)
			tw.send(sgA, ab, ab)
			tw.send(sgB, ba)
			tw.send(sgA, ab, ab, ab)
			tw.send(sgA, ab, ab, ab)
			tw.same()
			reload(true, !filtered)
			tw.send(sgA, ab, ab, ab)
			tw.send(sgB, ba)
			tw.send(sgA, ab, ab, ab)
			tw.same()
			tw.sameFDB()
		})
	}
}
