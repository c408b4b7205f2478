package packet

// GSOType says what kind of super-frame a buffer holds (the virtio-net
// gso_type values).
type GSOType uint8

// GSO types, as in struct virtio_net_hdr.
const (
	GSONone  GSOType = 0
	GSOTCPv4 GSOType = 1
	GSOUDP   GSOType = 3
	GSOTCPv6 GSOType = 4
	GSOECN   GSOType = 0x80
)

// GSO is the offload state of a frame: whether its L4 checksum is still
// partial (NeedsCsum: the checksum field holds the pseudo-header sum and the
// sum over CsumStart.. still has to be folded in at CsumStart+CsumOffset),
// and whether it is a super-frame to be cut into segments of Size bytes of
// payload after HdrLen bytes of headers. Offsets count from the Ethernet
// header.
type GSO struct {
	Type       GSOType
	NeedsCsum  bool
	DataValid  bool
	HdrLen     uint16
	Size       uint16
	CsumStart  uint16
	CsumOffset uint16
}

// IsGSO reports whether the frame is a super-frame.
func (g GSO) IsGSO() bool { return g.Type&^GSOECN != GSONone }
