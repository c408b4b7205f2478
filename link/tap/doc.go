// Package tap is the link.Endpoint of a TAP device: the port of a VM or of
// a namespace that uses the device directly.
//
// The device is opened with IFF_VNET_HDR and the offloads CSUM, TSO4 and
// TSO6, so the kernel hands over TCP super-frames of up to 64 KB with a
// partial checksum and takes them back whole: every frame is preceded by a
// 10-byte virtio-net header, which is read into and written from the
// buffer's headroom, so no frame is copied. Reads and writes go through the
// Go poller on a non-blocking descriptor (os.File.SyscallConn), and a read
// drains the device until EAGAIN or the batch is full.
//
// A device that did not exist is created by Open and disappears on Close;
// a persistent one (ip tuntap add) is attached to and left in place. The
// device may be moved to another network namespace while open (ip link set
// DEV netns NS): the descriptor keeps working. When the device is deleted
// from under the node, ReadBatch and WriteBatch return link.ErrDeviceGone.
package tap
