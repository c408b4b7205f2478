// Package prefetch asks the processor for a cache line without waiting for
// it.
//
// A plain load that misses the cache holds up every locked instruction
// after it and stops the processor once it has run a few hundred
// instructions ahead; a prefetch does neither. The connection table asks
// for the lines a new connection will touch (several misses in a large
// table) this way, all at once, before it locks.
package prefetch
