package configs

import (
	"crypto/sha256"
	"fmt"
	"net"
)

// MAC is an Ethernet address. It is comparable, so it can key maps.
type MAC [6]byte

// OpenStackOUI is the prefix of every MAC Neutron makes up (base_mac).
var OpenStackOUI = [3]byte{0xfa, 0x16, 0x3e}

// DeriveMAC returns the MAC neutrino gives an object whose MAC is not written
// in the file: fa:16:3e followed by the first 3 bytes of sha256(key). The keys
// are:
//
//	port                      the port name                 "vm1"
//	router interface (qr-)    router + "/" + subnet name    "router1/demo-subnet"
//	router gateway (qg-)      router + "/" + network name   "router1/ext-net"
//	DHCP port of a network    "dhcp/" + network name        "dhcp/demo-net"
//
// so a MAC stays the same from run to run and from node to node. fa:16:3e is
// a locally administered unicast prefix.
func DeriveMAC(key string) MAC {
	sum := sha256.Sum256([]byte(key))
	return MAC{OpenStackOUI[0], OpenStackOUI[1], OpenStackOUI[2], sum[0], sum[1], sum[2]}
}

// ParseMAC parses a 6-byte MAC in any form net.ParseMAC accepts
// (fa:16:3e:00:00:01, fa-16-3e-00-00-01, fa16.3e00.0001). It refuses
// multicast and all-zero addresses, which no port can own.
func ParseMAC(s string) (MAC, error) {
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		return MAC{}, fmt.Errorf("%q is not a valid MAC address (want six bytes like fa:16:3e:00:00:01)", s)
	}
	m := MAC(hw)
	switch {
	case m.IsZero():
		return MAC{}, fmt.Errorf("%s is the all-zero MAC address", m)
	case m.IsMulticast():
		return MAC{}, fmt.Errorf("%s is a multicast MAC address (the low bit of the first byte is set)", m)
	}
	return m, nil
}

// IsZero reports whether m is 00:00:00:00:00:00 (no MAC).
func (m MAC) IsZero() bool { return m == MAC{} }

// IsMulticast reports whether the group bit is set.
func (m MAC) IsMulticast() bool { return m[0]&1 == 1 }

// HardwareAddr returns m as a net.HardwareAddr (a new slice).
func (m MAC) HardwareAddr() net.HardwareAddr { return net.HardwareAddr(m[:]) }

func (m MAC) String() string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
}
