package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// maxMessage bounds what either side reads.
const maxMessage = 16 << 20

func limitReader(r io.Reader) io.Reader { return io.LimitReader(r, maxMessage) }

// Call sends one command to the socket at path and returns the data of
// the answer.
func Call(path, cmd string) (json.RawMessage, error) {
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no node is running with control socket %s (start one with `neutrino run`, or give --socket)", path)
		}
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := json.NewEncoder(c).Encode(Request{Cmd: cmd}); err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	var resp Response
	if err := json.NewDecoder(limitReader(c)).Decode(&resp); err != nil {
		return nil, fmt.Errorf("control socket %s: bad answer: %w", path, err)
	}
	if !resp.OK {
		return nil, fmt.Errorf("node: %s", resp.Error)
	}
	return resp.Data, nil
}
