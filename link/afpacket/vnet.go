package afpacket

import "neutrino/packet/header"

// vnetLen is the size of struct virtio_net_hdr, the PACKET_VNET_HDR size.
const vnetLen = header.VirtioNetLen
