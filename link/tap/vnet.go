package tap

import "neutrino/packet/header"

// vnetLen is the size of struct virtio_net_hdr, set with TUNSETVNETHDRSZ.
const vnetLen = header.VirtioNetLen
