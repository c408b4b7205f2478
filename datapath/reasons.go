package datapath

import "neutrino/packet/header"

// Reason is why a frame was dropped. Each has a counter.
type Reason uint8

// Drop reasons past the malformed-frame ones (which come first, numbered
// as header.Malformed).
const (
	ReasonOversize        Reason = Reason(header.NumMalformed) + iota // larger than the ingress MTU and not a super-frame
	ReasonTaggedOnAccess                                              // an 802.1Q-tagged frame (VLAN id other than 0) from a VM port
	ReasonDoubleTagged                                                // an uplink frame with a second tag inside the first
	ReasonUnknownVLAN                                                 // an uplink frame whose tag (or lack of one) maps to no network
	ReasonMulticastSource                                             // source MAC is multicast or broadcast
	ReasonSamePort                                                    // destination learned on the ingress port
	ReasonMACLimit                                                    // the port's limit of learned MACs is reached
	ReasonInvalidVLAN                                                 // a local VLAN outside 1..4094 (a dead port)
	ReasonNoTag                                                       // an uplink egress frame of a VLAN the uplink doesn't carry
	ReasonMTUExceeded                                                 // larger than the egress MTU and not a super-frame
	ReasonSegmentError                                                // a super-frame that could not be segmented
	ReasonNoHeadroom                                                  // no room in front of the frame for the uplink's tag
	ReasonPortDown                                                    // the egress device is gone
	ReasonTxError                                                     // the egress endpoint refused the frame
	NumReasons
)

var reasonNames = [NumReasons]string{
	ReasonOversize:        "oversize",
	ReasonTaggedOnAccess:  "tagged_on_access_port",
	ReasonDoubleTagged:    "double_tagged",
	ReasonUnknownVLAN:     "unknown_vlan",
	ReasonMulticastSource: "multicast_source",
	ReasonSamePort:        "same_port",
	ReasonMACLimit:        "mac_limit",
	ReasonInvalidVLAN:     "invalid_vlan",
	ReasonNoTag:           "vlan_not_on_uplink",
	ReasonMTUExceeded:     "mtu_exceeded",
	ReasonSegmentError:    "segment_error",
	ReasonNoHeadroom:      "no_headroom",
	ReasonPortDown:        "port_down",
	ReasonTxError:         "tx_error",
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
