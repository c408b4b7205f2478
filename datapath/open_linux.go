package datapath

import (
	"log/slog"

	"neutrino/link"
	"neutrino/link/afpacket"
	"neutrino/link/nstap"
	"neutrino/link/tap"
)

// DeviceOpener opens ports' devices on the system: a TAP device for
// attach: tap (created with the port's MAC and MTU unless it exists; the
// log says which), an AF_PACKET socket for attach: existing.
func DeviceOpener(log *slog.Logger) Opener {
	return func(ps PortSpec) (link.Endpoint, error) {
		switch ps.Attach {
		case AttachExisting:
			return afpacket.Open(afpacket.Config{Interface: ps.Device, Logger: log})
		case AttachNetns:
			return nstap.Open(*ps.Netns, log)
		}
		return tap.Open(tap.Config{Name: ps.Device, MAC: ps.MAC, MTU: ps.MTU, Logger: log})
	}
}
