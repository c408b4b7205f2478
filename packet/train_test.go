package packet

import (
	"bytes"
	"errors"
	"testing"
)

func TestSegmentTrain(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec superFrameSpec
		mss  int
	}{
		{"v4", superFrameSpec{payload: 10000}, 1398},
		{"v4 one byte", superFrameSpec{payload: 1}, 1398},
		{"v4 no payload", superFrameSpec{payload: 0}, 1398},
		{"v4 exact", superFrameSpec{payload: 1398 * 4}, 1398},
		{"v4 64k", superFrameSpec{payload: 65000}, 1398},
		{"v4 fin cwr", superFrameSpec{payload: 7000, fin: true, cwr: true}, 1000},
		{"v4 small mss", superFrameSpec{payload: 4001}, 88},
		{"v6", superFrameSpec{v6: true, payload: 9000}, 1378},
		{"vlan", superFrameSpec{vlan: true, payload: 5000}, 1394},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frame, _ := buildSuperFrame(t, tc.spec)
			src := superBuffer(frame, tc.spec.v6, tc.mss)
			want := newBuffers(1024, 2048)
			k, err := Segment(src, want)
			if err != nil {
				t.Fatal(err)
			}
			const gap = 8
			length, nseg, err := TrainLen(src, gap)
			if err != nil || nseg != k {
				t.Fatalf("TrainLen: %d segments, %v; Segment made %d", nseg, err, k)
			}
			if _, _, _, err := SegmentTrain(src, make([]byte, length-1), gap); !errors.Is(err, ErrSegmentShort) {
				t.Fatalf("a train one byte short: %v, want ErrSegmentShort", err)
			}
			dst := make([]byte, length+100)
			for i := range dst {
				dst[i] = 0xee
			}
			n, stride, l, err := SegmentTrain(src, dst, gap)
			if err != nil || n != k || l != length {
				t.Fatalf("SegmentTrain: %d segments, length %d, %v; want %d, %d", n, l, err, k, length)
			}
			for i := range n {
				seg := dst[i*stride+gap : min((i+1)*stride, l)]
				if !bytes.Equal(seg, want[i].Data()) {
					t.Fatalf("segment %d differs from Segment's:\n got  %x\n want %x", i, head(seg), head(want[i].Data()))
				}
				if i < n-1 && len(seg) != stride-gap {
					t.Fatalf("segment %d has %d bytes, want %d (all but the last full)", i, len(seg), stride-gap)
				}
				for _, c := range dst[i*stride : i*stride+gap] {
					if c != 0xee {
						t.Fatalf("the gap before segment %d was written", i)
					}
				}
				checkSegment(t, seg, true)
			}
			if !bytes.Equal(src.Data(), frame) {
				t.Fatal("SegmentTrain modified its source")
			}
		})
	}
}

func TestSegmentTrainErrors(t *testing.T) {
	frame, _ := buildSuperFrame(t, superFrameSpec{payload: 3000})
	b := superBuffer(frame, false, 1000)
	b.Meta.GSO.Type = GSONone
	if _, _, _, err := SegmentTrain(b, make([]byte, 1<<16), 8); !errors.Is(err, ErrSegmentGSOType) {
		t.Errorf("not a super-frame: %v", err)
	}
	b = superBuffer(frame[:40], false, 1000)
	if _, _, _, err := SegmentTrain(b, make([]byte, 1<<16), 8); !errors.Is(err, ErrSegmentMalformed) {
		t.Errorf("cut short: %v", err)
	}
	b = superBuffer(frame, false, 0)
	if _, _, err := TrainLen(b, 8); !errors.Is(err, ErrSegmentMalformed) {
		t.Errorf("MSS 0: %v", err)
	}
}

func TestSegmentTrainAllocs(t *testing.T) {
	frame, _ := buildSuperFrame(t, superFrameSpec{payload: 60000})
	src := superBuffer(frame, false, 1398)
	dst := make([]byte, 1<<17)
	if a := testing.AllocsPerRun(100, func() { _, _, _, _ = SegmentTrain(src, dst, 8) }); a != 0 {
		t.Errorf("%v allocations per train", a)
	}
}

func BenchmarkSegmentTrain(b *testing.B) {
	frame, _ := buildSuperFrame(b, superFrameSpec{payload: 64000})
	src := superBuffer(frame, false, 1398)
	dst := make([]byte, 1<<17)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := SegmentTrain(src, dst, 8); err != nil {
			b.Fatal(err)
		}
	}
}
