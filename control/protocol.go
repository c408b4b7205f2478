package control

import (
	"encoding/json"
	"net"
	"time"
)

// Request is what a client sends: a command and its arguments.
type Request struct {
	Cmd  string   `json:"cmd"`
	Args []string `json:"args,omitempty"`
}

// frame is one line of an answer; exactly one of Item, Data and End is set.
type frame struct {
	Item  json.RawMessage `json:"item,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"`
	End   bool            `json:"end,omitempty"`
	OK    bool            `json:"ok,omitempty"`
	Error string          `json:"error,omitempty"`
}

// itemFrame and dataFrame are written by the server without building a
// frame's RawMessage first.
type (
	itemFrame struct {
		Item any `json:"item"`
	}
	dataFrame struct {
		Data any `json:"data"`
	}
)

const (
	// MaxFrame bounds one frame, in bytes, on either side: a request, an
	// item, or a single-value answer. The whole answer is not bounded.
	MaxFrame = 16 << 20
	// Idle is how long a read or write may wait; a peer that stops
	// reading or writing for that long is dropped.
	Idle = 10 * time.Second
)

// idleConn gives every Read and Write of a connection its own deadline.
type idleConn struct{ net.Conn }

func (c idleConn) Read(p []byte) (int, error) {
	c.SetReadDeadline(time.Now().Add(Idle))
	return c.Conn.Read(p)
}

func (c idleConn) Write(p []byte) (int, error) {
	c.SetWriteDeadline(time.Now().Add(Idle))
	return c.Conn.Write(p)
}
