package datapath

import "neutrino/packet"

// element is one logical element of the node (a port's ingress, br-int, a
// DHCP port). receive takes a frame arriving on the element's input port
// in and ends in exactly one of: emit or flood (the frame goes on), drop
// (counted), or nothing (the frame was consumed, e.g. answered). An element
// keeps no frame past receive.
type element interface {
	receive(w *Worker, in uint16, b *packet.Buffer)
	// name is how traces and counters call the element.
	name() string
}

// target is where an element's output port leads: another element's input
// port, or (elem nil) the output queue of device port.
type target struct {
	elem element
	port uint16
}

func deviceTarget(i int) target { return target{port: uint16(i)} }

// graph is the node's elements and their wiring. It is immutable once
// built: the node swaps whole graphs with an atomic pointer, and a batch
// loads the pointer once, so a reload only has to build a new graph
// beside the running one. Long-lived state (the FDB, DHCP leases) lives
// outside the graph and is handed to the elements that use it.
type graph struct {
	spec *Spec
	// ports are the device ports by slot (nil: a slot of a DHCP or
	// router port, or free).
	ports []*port
	elems []element
	wires [][]target // wires[e][out]: where element e's output port out leads (each element holds its own row)
	entry []*portIn  // entry[i]: where frames read from device port i enter (nil: no device in slot i)
	// routers are the router elements, in topology order, for the
	// timers and `show`. Unlike the FDB and the leases, their neighbour
	// caches and reassembly tables live in the elements; the connection
	// table is the node's.
	routers []*routerElem
	// filters are the ports' security group filters, by device port (nil:
	// none), for `show`.
	filters []*sgFilter
	// brtun is br-tun, nil when the node has no vxlan network.
	brtun *brtun
}

// maxHops bounds how many elements one frame passes; a frame that would
// pass more (a wiring loop) is dropped and counted, never spins.
const maxHops = 16
