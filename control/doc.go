// Package control is the node's control socket: one JSON request per
// connection over a unix socket ({"cmd":"ports"}), one JSON response
// ({"ok":true,"data":...} or {"ok":false,"error":"..."}), and the client
// `neutrino show` uses to read it. The server knows nothing of the
// datapath: it is given a handler per command.
package control
