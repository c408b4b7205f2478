package datapath

import (
	"neutrino/link"
	"neutrino/link/afpacket"
	"neutrino/link/tap"
)

// OpenDevice opens a port's device on the system: a TAP device for
// attach: tap (created with the port's MAC and MTU unless it exists), an
// AF_PACKET socket for attach: existing.
func OpenDevice(ps PortSpec) (link.Endpoint, error) {
	if ps.Attach == AttachExisting {
		return afpacket.Open(afpacket.Config{Interface: ps.Device})
	}
	return tap.Open(tap.Config{Name: ps.Device, MAC: ps.MAC, MTU: ps.MTU})
}
