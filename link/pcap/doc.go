// Package pcap connects capture files to the datapath: a Reader is an
// endpoint whose frames come from a pcap or pcapng file (with the capture
// timestamps, which the replay clock follows), a Writer an endpoint whose
// frames go to a pcap file. Both are pure Go (gopacket's pcapgo).
package pcap
