// Package nstap gives a port a lab host of its own: a network namespace
// with a TAP device inside it, configured as the topology says (a neutrino
// extension, `attach: netns`).
//
// Open follows a Plan:
//
//  1. create the named namespace (as `ip netns add` does, under /run/netns),
//     or, when the plan allows it, use one that exists;
//  2. open a TAP device in the node's own namespace under a temporary name
//     (with IFF_VNET_HDR and offloads, as package tap does), so the node
//     keeps the descriptor;
//  3. move the device into the namespace, rename it (eth0 by default), give
//     it the port's MAC and MTU, and bring it and lo up;
//  4. add the fixed IPs, the default route via the gateway and the host
//     routes.
//
// Close closes the device (the kernel removes it from the namespace) and
// deletes the namespace if Open created it. Anything Open created before a
// failure is removed again.
package nstap
