// Package packet holds the frame buffers that cross every boundary of the
// datapath: a Buffer is one frame with headroom in front of it (so that a
// VLAN tag or a VXLAN outer header is written in place), its offload metadata
// (the virtio-net GSO fields), its parsed Layout and an optional trace.
//
// Ownership: whoever holds a Buffer's pointer owns it. A link's ReadBatch
// fills buffers its caller owns; WriteBatch reads them and keeps nothing, so
// one buffer can be written to several ports in turn (flooding) without a
// copy. Pools are bounded.
package packet
