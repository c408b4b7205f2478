package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Server serves the control socket.
type Server struct {
	path string
	ln   net.Listener
	log  *slog.Logger
	wg   sync.WaitGroup

	mu       sync.RWMutex
	commands map[string]command
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
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{path: path, ln: ln, log: log}
	s.SetHandlers(handlers)
	return s, nil
}

// SetHandlers replaces every command with handlers.
func (s *Server) SetHandlers(handlers map[string]Handler) {
	cmds := make(map[string]command, len(handlers))
	for name, h := range handlers {
		cmds[name] = plainCommand(h)
	}
	s.mu.Lock()
	s.commands = cmds
	s.mu.Unlock()
}

// Handle adds the streaming command name, or replaces the command of that
// name. It is safe to call while serving.
func (s *Server) Handle(name string, h StreamHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.commands == nil {
		s.commands = map[string]command{}
	}
	s.commands[name] = streamCommand(h)
}

// HandleLive is Handle for a command whose items trickle (a live
// capture): each is sent as soon as it is emitted. Such a handler should
// emit something every few seconds even when it has nothing to say (the
// client drops a connection idle for Idle), and learns that the client
// went away from emit's error.
func (s *Server) HandleLive(name string, h StreamHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.commands == nil {
		s.commands = map[string]command{}
	}
	s.commands[name] = liveCommand(h)
}

// HandleValue adds the command name that takes arguments and answers one
// value, or replaces the command of that name. It is safe to call while
// serving.
func (s *Server) HandleValue(name string, h ValueHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.commands == nil {
		s.commands = map[string]command{}
	}
	s.commands[name] = func(args []string, a answer) error {
		v, err := h(args)
		if err != nil {
			return err
		}
		return a.data(v)
	}
}

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

// serve answers one connection: it reads the request, runs its command
// with the frames going straight to the connection through a small
// buffer, and ends with the end frame.
func (s *Server) serve(c net.Conn) {
	defer c.Close()
	conn := idleConn{c}
	line, err := bufio.NewReader(io.LimitReader(conn, MaxFrame)).ReadBytes('\n')
	if err != nil && len(line) == 0 {
		return
	}
	w := &writer{bw: bufio.NewWriterSize(conn, 32<<10)}
	w.enc = json.NewEncoder(w.bw)
	end := frame{End: true, OK: true}
	if err := s.run(line, w); err != nil {
		end.OK, end.Error = false, err.Error()
	}
	if w.err == nil {
		w.err = w.enc.Encode(end)
	}
	if w.err == nil {
		w.err = w.bw.Flush()
	}
	if w.err != nil {
		s.log.Debug("control: reply failed", "err", w.err)
	}
}

// run decodes the request and runs its command.
func (s *Server) run(line []byte, w *writer) error {
	var req Request
	if err := json.Unmarshal(line, &req); err != nil {
		return fmt.Errorf("bad request: %w", err)
	}
	s.mu.RLock()
	cmd, ok := s.commands[req.Cmd]
	s.mu.RUnlock()
	if !ok {
		return fmt.Errorf("unknown command %q (have: %s)", req.Cmd, strings.Join(s.names(), ", "))
	}
	return cmd(req.Args, w)
}

func (s *Server) names() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l := make([]string, 0, len(s.commands))
	for k := range s.commands {
		l = append(l, k)
	}
	sort.Strings(l)
	return l
}

// writer writes a command's frames. After the first failed write every
// call returns that error: the client has gone.
type writer struct {
	bw  *bufio.Writer
	enc *json.Encoder
	err error
}

func (w *writer) item(v any) error { return w.write(itemFrame{Item: v}) }

func (w *writer) data(v any) error { return w.write(dataFrame{Data: v}) }

func (w *writer) flush() error {
	if w.err == nil {
		w.err = w.bw.Flush()
	}
	return w.err
}

func (w *writer) write(f any) error {
	if w.err != nil {
		return w.err
	}
	if err := w.enc.Encode(f); err != nil {
		var je *json.UnsupportedTypeError
		var jv *json.UnsupportedValueError
		var jm *json.MarshalerError
		if errors.As(err, &je) || errors.As(err, &jv) || errors.As(err, &jm) {
			return err // this value, not the connection: the answer ends with it
		}
		w.err = err
		return err
	}
	return nil
}
