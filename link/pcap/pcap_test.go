package pcap

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"neutrino/packet"
)

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.pcap")
	w, err := Create(path, 1500, 0)
	if err != nil {
		t.Fatal(err)
	}
	frames := [][]byte{
		append(make([]byte, 14), 1, 2, 3),
		make([]byte, 60000),
	}
	base := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC).UnixNano()
	var bufs []*packet.Buffer
	for i, f := range frames {
		b := packet.NewBuffer(packet.MaxFrame)
		b.SetData(f)
		b.Meta.Time = base + int64(i)*int64(time.Second)
		bufs = append(bufs, b)
	}
	if n, err := w.WriteBatch(bufs); n != 2 || err != nil {
		t.Fatalf("WriteBatch = %d, %v", n, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	in := []*packet.Buffer{packet.NewBuffer(packet.MaxFrame), packet.NewBuffer(packet.MaxFrame), packet.NewBuffer(packet.MaxFrame)}
	n, err := r.ReadBatch(in)
	if err != nil || n != 2 {
		t.Fatalf("ReadBatch = %d, %v; want 2, nil", n, err)
	}
	for i := range frames {
		if diff := cmp.Diff(frames[i], in[i].Data()); diff != "" {
			t.Errorf("frame %d (-want +got):\n%s", i, diff)
		}
		if got, want := in[i].Meta.Time, bufs[i].Meta.Time; got != want {
			t.Errorf("frame %d time = %d, want %d", i, got, want)
		}
	}
	if _, err := r.ReadBatch(in); err != io.EOF {
		t.Errorf("ReadBatch at end = %v, want io.EOF", err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("hello, this is not a capture\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.pcap")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		want       error
	}{
		{"missing", filepath.Join(dir, "nope.pcap"), os.ErrNotExist},
		{"text", text, ErrNotPcap},
		{"empty", empty, ErrNotPcap},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(tc.path)
			if !errors.Is(err, tc.want) {
				t.Errorf("Open(%s) = %v, want %v", tc.name, err, tc.want)
			}
		})
	}
}

func TestTruncatedCapture(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cut.pcap")
	w, err := Create(path, 1500, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := packet.NewBuffer(2048)
	b.SetData(make([]byte, 100))
	w.WriteBatch([]*packet.Buffer{b, b})
	w.Close()
	data, _ := os.ReadFile(path)
	os.WriteFile(path, data[:len(data)-30], 0o644) // the second frame is cut
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	bufs := []*packet.Buffer{packet.NewBuffer(2048), packet.NewBuffer(2048), packet.NewBuffer(2048)}
	n, err := r.ReadBatch(bufs)
	if n != 1 || err == nil || !strings.Contains(err.Error(), "cut short after 1 frames") {
		t.Errorf("ReadBatch = %d, %v; want 1 and an error naming the cut", n, err)
	}
}
