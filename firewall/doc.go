// Package firewall matches packets against the security group rules of a
// port, as Neutron defines them: rules only allow, a packet is allowed
// when any rule of its direction allows it, and the first rule in order
// that does takes it, for counters (as the first matching iptables rule
// does).
//
// Compile turns a port's rules, all its groups added up, into a Set of two
// Matchers, ingress and egress. A Matcher answers in a time that does not
// depend on how many rules there are:
//
//  1. The IP protocol indexes a table of key maps: one per protocol some
//     rule names, with the any-protocol rules merged in, and one shared by
//     all other protocols, holding only the any-protocol rules.
//
//  2. A key map cuts the 65536 keys (destination port, or icmp
//     type<<8|code) into elementary intervals: the pieces between the ends
//     of the rules' key ranges, merged when neighbours hold the same
//     rules. A 257-entry jump table by the key's high byte narrows a
//     binary search to the intervals of that 256-key block. Every key of
//     an interval is allowed by the same rules, whose remote prefixes are
//     compiled into the interval's cell.
//
//  3. A cell finds the smallest rule id whose prefixes hold the remote
//     address with one longest-prefix match. For every prefix P of its
//     rules it stores the smallest id among the rules having a prefix that
//     contains P. The prefixes of the rules matching an address all
//     contain it, so they are nested; the longest lies inside all the
//     others, and its stored id is the smallest of them all. An entry
//     storing the same id as the next shorter prefix containing it is
//     dropped, as the lookup gives the same answer without it.
//
// Most of the work is in keeping cells small and shared. A cell keeps two
// parts apart and takes the smaller of their answers: broad rules (those
// allowing every key of their protocol, which are the same in every
// interval, and remote groups with many members) and narrow ones (port
// and icmp ranges with a few prefixes, usually few per interval). The
// prefix 0.0.0.0/0 is kept as a plain id, a part of up to a few prefixes
// as a list compared one by one, and larger parts as a table. Parts with
// the same entries are compiled once; tables whose entries differ only by
// rule ids are shared, with the ids in a small list beside each (so the
// same remote group used by many rules costs one table). Intervals of the
// same parts share one cell.
//
// Even so a Set can grow with the product of distinct remote groups and
// intervals; Compile refuses to store more than MaxEntries prefix entries
// and returns ErrTooLarge.
//
// A Set is immutable: Match allocates nothing and needs no lock.
package firewall
