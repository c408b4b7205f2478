package l2switch

import (
	"errors"
	"fmt"
)

// ErrDuplicateLVID is returned by NewTrunk when two networks of one uplink
// share an lvid, which would make egress ambiguous.
var ErrDuplicateLVID = errors.New("l2switch: lvid mapped twice on one trunk")

// Trunk is the tag translation of one uplink of a physical bridge (br-ex,
// br-ethX), the counterpart of the mod_vlan_vid flows the OVS agent installs
// there and on br-int: a flat network is untagged on the wire, a vlan network
// carries an 802.1Q tag equal to its segmentation id. A Trunk is immutable;
// build a new one when the uplink's networks change.
type Trunk struct {
	untagged uint16       // lvid of the flat network, 0 = none
	toLVID   [4096]uint16 // wire VID -> lvid, 0 = no network
	toVID    [4096]uint16 // lvid -> wire VID, 0 = not tagged here
}

// NewTrunk builds the translation for an uplink. untaggedLVID is the lvid of
// the flat network on it (0 = none); segments maps each vlan network's VLAN
// id on the wire to its lvid. VLAN ids and lvids must be in 1..MaxLVID
// (ErrBadVLAN) and each lvid may appear once (ErrDuplicateLVID).
func NewTrunk(untaggedLVID uint16, segments map[uint16]uint16) (*Trunk, error) {
	if untaggedLVID > MaxLVID {
		return nil, fmt.Errorf("%w: untagged lvid %d", ErrBadVLAN, untaggedLVID)
	}
	t := &Trunk{untagged: untaggedLVID}
	for vid, lvid := range segments {
		if vid == 0 || vid > MaxLVID {
			return nil, fmt.Errorf("%w: segment %d", ErrBadVLAN, vid)
		}
		if lvid == 0 || lvid > MaxLVID {
			return nil, fmt.Errorf("%w: lvid %d for segment %d", ErrBadVLAN, lvid, vid)
		}
		if lvid == untaggedLVID || t.toVID[lvid] != 0 {
			return nil, fmt.Errorf("%w: lvid %d", ErrDuplicateLVID, lvid)
		}
		t.toLVID[vid] = lvid
		t.toVID[lvid] = vid
	}
	return t, nil
}

// Ingress maps a frame received on the uplink to its lvid. tagged says
// whether it carried an 802.1Q header and vid is that header's 12-bit VLAN
// id. A priority tag (VID 0) counts as untagged, as in OVS. ok is false
// for an untagged frame when no flat network is attached and for a VID of
// no network: the datapath counts and drops those.
func (t *Trunk) Ingress(tagged bool, vid uint16) (lvid uint16, ok bool) {
	if !tagged || vid == 0 {
		return t.untagged, t.untagged != 0
	}
	lvid = t.toLVID[vid&0xfff]
	return lvid, lvid != 0
}

// Egress maps an lvid to what goes on the wire: untagged for the flat
// network, tagged with vid for a vlan network. ok is false when the lvid has
// no network on this uplink (the frame does not leave here).
func (t *Trunk) Egress(lvid uint16) (vid uint16, tagged bool, ok bool) {
	if lvid == 0 || lvid > MaxLVID {
		return 0, false, false
	}
	if lvid == t.untagged {
		return 0, false, true
	}
	vid = t.toVID[lvid]
	return vid, vid != 0, vid != 0
}
