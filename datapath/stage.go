package datapath

import l2switch "neutrino/switch"

// Stage names the points of the element graph where a frame can be
// dropped. Drop counters are kept per stage and reason; each stage counts
// the reasons of the package that decides there.
//
//		device ──► port-in ──► bridge (br-int) ──► port-out ──► device
//		              │            │  ▲  │                ▲
//		              │            │  │  └──► qdhcp ──────┘
//		              │            ▼  │
//		              │          qrouter   (qr- and qg- ports are br-int ports:
//		              │                     routed frames go back into br-int)
//		              └─────────────────► qdhcp   (DHCP, ARP and ICMP for the
//		                                           DHCP port, answered on the node)
//
//	  - StagePortIn: parse, MTU, VLAN classification and storm control of a
//	    frame read from a device (datapath Reason, header.Malformed).
//	  - StageBridge: br-int's learning and lookup (l2switch.DropReason).
//	  - StageDHCP: the DHCP port of a network (dhcp reasons).
//	  - StagePortOut: tagging, segmentation and the write to a device
//	    (datapath Reason).
//	  - StageGraph: the graph itself: hop limit, buffer pool (datapath Reason).
//	  - StageRouter: a router (qrouter): routing, ARP, ICMP, conntrack and
//	    NAT (RouterReason).
//	  - StageSecurityGroup: a port's security groups and fixed rules, where
//	    a frame leaves the port for br-int and where it leaves br-int for
//	    the port (SGReason).
type Stage uint8

// The stages.
const (
	StagePortIn Stage = iota
	StageBridge
	StageDHCP
	StagePortOut
	StageGraph
	StageRouter
	StageSecurityGroup
	NumStages
)

var stageNames = [NumStages]string{
	StagePortIn:        "port_in",
	StageBridge:        "bridge",
	StageDHCP:          "dhcp",
	StagePortOut:       "port_out",
	StageGraph:         "graph",
	StageRouter:        "router",
	StageSecurityGroup: "security_group",
}

// String returns the stage's counter name.
func (s Stage) String() string {
	if s < NumStages {
		return stageNames[s]
	}
	return "unknown"
}

// maxReasons bounds the reasons of one stage (one counter each).
const maxReasons = 64

// dropCounters are one worker's drop counters. Only the worker writes
// them; readers sum every worker's.
type dropCounters [NumStages][maxReasons]uint64Counter

// reasonName names reason r of stage s, as the deciding package does.
func (n *Node) reasonName(s Stage, r uint8) string {
	switch s {
	case StageBridge:
		return l2switch.DropReason(r).String()
	case StageDHCP:
		return dhcpReasonName(r)
	case StageRouter:
		return RouterReason(r).String()
	case StageSecurityGroup:
		return SGReason(r).String()
	}
	return Reason(r).String()
}
