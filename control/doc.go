// Package control is the node's control socket and the client that
// `neutrino show` (and later trace, capture and reload) use to read it.
// The server knows nothing of the datapath: it is given a handler per
// command.
//
// # Protocol
//
// One request per connection over a unix socket, one JSON line:
//
//	{"cmd":"fdb","args":["..."]}
//
// The answer is a stream of newline-delimited JSON frames, written as the
// handler produces them, so no answer costs the node memory in proportion
// to a table, and the client has no limit on the total, only on one frame
// (MaxFrame):
//
//	{"data":{...}}                  the whole answer of a single value (counters), or
//	{"item":{...}}                  one element of a list answer (fdb, ports), zero or more
//	{"end":true,"ok":true}          the last frame
//	{"end":true,"error":"..."}      or, instead, what went wrong (also after some items)
//
// A connection closed before its end frame is an answer cut short. Each
// read and write has its own deadline (Idle), none the whole answer.
package control
