package datapath

import (
	"fmt"
	"log/slog"

	"neutrino/link"
	"neutrino/link/afpacket"
	"neutrino/link/nstap"
	"neutrino/link/tap"
	"neutrino/link/udp"
	"neutrino/link/vxlan"
)

// DeviceOpener opens ports' devices on the system: a TAP device for
// attach: tap (created with the port's MAC and MTU unless it exists; the
// log says which), an AF_PACKET socket for attach: existing, the VXLAN
// underlay socket for the tunnel port.
func DeviceOpener(log *slog.Logger) Opener {
	return func(ps PortSpec) (link.Endpoint, error) {
		if ps.Kind == PortTunnel {
			t := ps.Tunnel
			// Trains both ways: the endpoint sends a super-frame's
			// segments as one UDP GSO train and reads GRO trains (into
			// buffers of its own, udp.MaxTrain bytes each).
			u, err := udp.Open(t.Local, udp.Options{Port: int(t.Port), GSO: true, GRO: true, RecvBuffer: 16 << 20})
			if err != nil {
				return nil, fmt.Errorf("VXLAN underlay on %s port %d: %w", t.Local, t.Port, err)
			}
			return vxlan.New(ps.Name, u, t.VTEPs, t.Port, ps.MTU), nil
		}
		// The stack behind a TAP device sends super-frames of at most
		// as many segments as one UDP GSO send of the tunnel carries:
		// each then crosses the underlay as one train, not two.
		segs := vxlan.TrainSegments(ps.MTU)
		switch ps.Attach {
		case AttachExisting:
			return afpacket.Open(afpacket.Config{Interface: ps.Device, Logger: log})
		case AttachNetns:
			plan := *ps.Netns
			plan.GSOMaxSegs = segs
			return nstap.Open(plan, log)
		}
		return tap.Open(tap.Config{Name: ps.Device, MAC: ps.MAC, MTU: ps.MTU, GSOMaxSegs: segs, Logger: log})
	}
}
