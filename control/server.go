package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Request is what a client sends.
type Request struct {
	Cmd string `json:"cmd"`
}

// Response is what the server answers.
type Response struct {
	OK    bool            `json:"ok"`
	Error string          `json:"error,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"`
}

// Handler answers one command with a value to encode as JSON.
type Handler func() (any, error)

// Server serves the control socket.
type Server struct {
	path     string
	ln       net.Listener
	log      *slog.Logger
	handlers map[string]Handler
	wg       sync.WaitGroup
}

// ErrInUse is returned when another node already serves the socket.
var ErrInUse = errors.New("control socket in use by a running node")

// Listen creates the socket at path (and its directory). A stale socket
// left by a node that died is replaced; a live one is an error.
func Listen(path string, handlers map[string]Handler, log *slog.Logger) (*Server, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("%s: %w", path, ErrInUse)
	}
	// Only a socket is ever removed: a mistyped --socket must not
	// delete a file.
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		os.Remove(path)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return &Server{path: path, ln: ln, log: log, handlers: handlers}, nil
}

// SetHandlers replaces the commands; call it before Serve.
func (s *Server) SetHandlers(h map[string]Handler) { s.handlers = h }

// Close stops listening and removes the socket, for a server that never
// served.
func (s *Server) Close() error {
	err := s.ln.Close()
	os.Remove(s.path)
	return err
}

// Path returns the socket path.
func (s *Server) Path() string { return s.path }

// Serve answers requests until ctx is done, then removes the socket.
func (s *Server) Serve(ctx context.Context) {
	go func() {
		<-ctx.Done()
		s.ln.Close()
	}()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			break
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(c)
		}()
	}
	s.wg.Wait()
	os.Remove(s.path)
}

func (s *Server) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	var req Request
	line, err := bufio.NewReader(limitReader(c)).ReadBytes('\n')
	if err != nil && len(line) == 0 {
		return
	}
	resp := Response{}
	if err := json.Unmarshal(line, &req); err != nil {
		resp.Error = "bad request: " + err.Error()
	} else if h, ok := s.handlers[req.Cmd]; !ok {
		resp.Error = fmt.Sprintf("unknown command %q (have: %s)", req.Cmd, strings.Join(s.commands(), ", "))
	} else if v, err := h(); err != nil {
		resp.Error = err.Error()
	} else if data, err := json.Marshal(v); err != nil {
		resp.Error = err.Error()
	} else {
		resp.OK, resp.Data = true, data
	}
	if err := json.NewEncoder(c).Encode(resp); err != nil {
		s.log.Debug("control: reply failed", "err", err)
	}
}

func (s *Server) commands() []string {
	l := make([]string, 0, len(s.handlers))
	for k := range s.handlers {
		l = append(l, k)
	}
	sort.Strings(l)
	return l
}
