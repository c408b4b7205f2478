package datapath

import "neutrino/packet/header"

// Reason is why the datapath itself dropped a frame (stages port_in,
// port_out and graph). Each has a counter.
type Reason uint8

// Drop reasons past the malformed-frame ones (which come first, numbered
// as header.Malformed).
const (
	ReasonOversize       Reason = Reason(header.NumMalformed) + iota // larger than the ingress MTU and not a super-frame
	ReasonTaggedOnAccess                                             // an 802.1Q-tagged frame (VLAN id other than 0) from a VM port
	ReasonDoubleTagged                                               // an uplink frame with a second tag inside the first
	ReasonUnknownVLAN                                                // an uplink frame whose tag (or lack of one) maps to no network
	ReasonStormControl                                               // a broadcast or multicast frame over the port's storm-control rate
	ReasonNoTag                                                      // an uplink egress frame of a VLAN the uplink doesn't carry
	ReasonMTUExceeded                                                // larger than the egress MTU and not a super-frame
	ReasonSegmentError                                               // a super-frame that could not be segmented
	ReasonNoHeadroom                                                 // no room in front of the frame for the uplink's tag
	ReasonPortDown                                                   // the egress device is gone
	ReasonTxError                                                    // the egress endpoint refused the frame
	ReasonHopLimit                                                   // passed more elements than a frame may (a loop in the graph)
	ReasonNoBuffer                                                   // the worker's buffer pool is empty (a copy or a reply could not be made)
	ReasonUnknownVNI                                                 // a VXLAN frame whose VNI is no network of the node (br-tun table 4)
	ReasonUnknownVTEP                                                // a VXLAN frame from an underlay address that is no node of the topology
	ReasonNoVTEP                                                     // a frame for a vxlan network no other node has (an empty flood list)
	ReasonPortRemoved                                                // a frame for or from a port a reload has just removed
	NumReasons
)

var reasonNames = [NumReasons]string{
	ReasonOversize:       "oversize",
	ReasonTaggedOnAccess: "tagged_on_access_port",
	ReasonDoubleTagged:   "double_tagged",
	ReasonUnknownVLAN:    "unknown_vlan",
	ReasonStormControl:   "storm_control",
	ReasonNoTag:          "vlan_not_on_uplink",
	ReasonMTUExceeded:    "mtu_exceeded",
	ReasonSegmentError:   "segment_error",
	ReasonNoHeadroom:     "no_headroom",
	ReasonPortDown:       "port_down",
	ReasonTxError:        "tx_error",
	ReasonHopLimit:       "hop_limit",
	ReasonNoBuffer:       "no_buffer",
	ReasonUnknownVNI:     "unknown_vni",
	ReasonUnknownVTEP:    "unknown_vtep",
	ReasonNoVTEP:         "no_vtep",
	ReasonPortRemoved:    "port_removed",
}

func init() {
	for m := header.Malformed(1); m < header.NumMalformed; m++ {
		reasonNames[m] = m.String()
	}
}

// String returns the counter name of the reason.
func (r Reason) String() string {
	if r < NumReasons && reasonNames[r] != "" {
		return reasonNames[r]
	}
	return "unknown"
}
