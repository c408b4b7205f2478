package control

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// Stream sends req to the node at path and hands the answer to f as it
// arrives: once per item of a list answer (item true), or once with the
// whole of a single-value answer (item false). v is valid until f returns.
// There is no limit on the whole answer, only MaxFrame on each frame.
//
// It returns f's error (the answer is then abandoned), the node's error
// (after the items sent before it), or an error saying why the answer could
// not be read; an answer cut short before its end frame is an error too.
func Stream(path string, req Request, f func(v json.RawMessage, item bool) error) error {
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no node is running with control socket %s (start one with `neutrino run`, or give --socket)", path)
		}
		return fmt.Errorf("control socket %s: %w", path, err)
	}
	defer c.Close()
	conn := idleConn{c}
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return fmt.Errorf("control socket %s: %w", path, err)
	}
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 0, 64<<10), MaxFrame+64) // a frame's wrapping around its value
	for sc.Scan() {
		var fr frame
		if err := json.Unmarshal(sc.Bytes(), &fr); err != nil {
			return fmt.Errorf("control socket %s: bad answer: %w", path, err)
		}
		switch {
		case fr.End:
			if !fr.OK {
				return fmt.Errorf("node: %s", fr.Error)
			}
			return nil
		case fr.Item != nil:
			err = f(fr.Item, true)
		case fr.Data != nil:
			err = f(fr.Data, false)
		default:
			return fmt.Errorf("control socket %s: bad answer: a frame with no item, data or end", path)
		}
		if err != nil {
			return err
		}
	}
	err = sc.Err()
	switch {
	case errors.Is(err, bufio.ErrTooLong):
		err = fmt.Errorf("a frame over %d MiB", MaxFrame>>20)
	case err == nil:
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("control socket %s: answer cut short: %w", path, err)
}

// Call sends a command without arguments and returns its answer whole: a
// single value as it is, a list as a JSON array of its items. It is for
// small answers; read tables with Stream.
func Call(path, cmd string) (json.RawMessage, error) {
	var data json.RawMessage
	var items []json.RawMessage
	list := false
	err := Stream(path, Request{Cmd: cmd}, func(v json.RawMessage, item bool) error {
		if item {
			list = true
			items = append(items, append(json.RawMessage(nil), v...))
		} else {
			data = append(json.RawMessage(nil), v...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	switch {
	case list:
		return json.Marshal(items)
	case data == nil: // an empty list
		return json.RawMessage("[]"), nil
	}
	return data, nil
}
