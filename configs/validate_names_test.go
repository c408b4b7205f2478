package configs

import (
	"testing"
)

func TestPortUplinkNamespace(t *testing.T) {
	runErrCases(t, []errCase{
		{
			name: "port after the uplink",
			yaml: doc(
				"version: 1",
				"uplinks:",
				"  - {name: physnet1, tap: ext0}",
				"networks:",
				"  - {name: n1, type: local}",
				"ports:",
				"  - {name: p0, network: n1}",
				"  - {name: p1, network: n1}",
				"  - {name: p2, network: n1}",
				"  - {name: physnet1, network: n1}",
			),
			want: []string{
				`t.yaml:10:12: ports[3] (physnet1): name: physnet1 is also the name of uplink physnet1 on node local (line 3); ports and uplinks of a node share one namespace`,
			},
		},
		{
			name: "uplink after the port",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - {name: n1, type: local}",
				"ports:",
				"  - name: ext",
				"    network: n1",
				"uplinks:",
				"  - name: ext",
				"    interface: eth1",
			),
			want: []string{
				`t.yaml:8:11: uplinks[0] (ext): name: ext is also the name of port ext on node local (line 5); ports and uplinks of a node share one namespace`,
			},
		},
		{
			name: "per node, once per clash",
			yaml: doc(
				"version: 1",
				"nodes: [{name: a}, {name: b}, {name: c}]",
				"uplinks:",
				"  - {name: u1, node: a, tap: ext0}",
				"  - {name: u1, node: b, tap: ext0}",
				"  - {name: u1, node: b, tap: ext1}",
				"  - {name: u2, node: a, tap: ext2}",
				"networks:",
				"  - {name: n1, type: local}",
				"ports:",
				"  - {name: u1, network: n1, node: b}",
				"  - {name: u1, network: n1, node: a}",
				"  - {name: u2, network: n1, node: c}",
			),
			want: []string{
				`t.yaml:6:12: uplinks[2] (u1): name: duplicate uplink "u1" on node b (first at line 5)`,
				`t.yaml:11:12: ports[0] (u1): name: u1 is also the name of uplink u1 on node b (line 5); ports and uplinks of a node share one namespace`,
				`t.yaml:12:12: ports[1] (u1): name: duplicate port name "u1" (first at line 11)`,
			},
		},
	})
}

func TestPortUplinkNameCharacters(t *testing.T) {
	runErrCases(t, []errCase{
		{
			name: "ports",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - {name: n1, type: local}",
				"ports:",
				`  - {name: "", network: n1}`,
				`  - {name: "  ", network: n1}`,
				`  - {name: ".", network: n1}`,
				`  - {name: "..", network: n1}`,
				`  - {name: "a/b", network: n1}`,
				`  - {name: "a b", network: n1}`,
				`  - {name: "a\tb", network: n1}`,
				`  - {name: "a\0b", network: n1}`,
				`  - {name: "a\x7fb", network: n1}`,
				`  - {name: "a\u200bb", network: n1}`,
				`  - {name: "a\u00a0b", network: n1}`,
				`  - {name: "a\u0085b", network: n1}`,
				`  - {name: ".a", network: n1, device: tapa1}`,
				`  - {name: "a..b", network: n1, device: tapa2}`,
				`  - {name: 100, network: n1}`,
				`  - {name: vm-1.eth0_x, network: n1}`,
				`  - {name: "vm\u00e9", network: n1, device: tapvme}`,
				`  - {name: "a=b", network: n1}`,
			),
			want: []string{
				`t.yaml:5:12: ports[0]: name: must not be empty`,
				`t.yaml:6:12: ports[1] (  ): name: must not be empty`,
				`t.yaml:7:12: ports[2] (.): name: "." is not a usable name: port and uplink names are used as file and device-like identifiers`,
				`t.yaml:8:12: ports[3] (..): name: ".." is not a usable name: port and uplink names are used as file and device-like identifiers`,
				`t.yaml:9:12: ports[4] (a/b): name: "a/b" may not contain whitespace or '/': port and uplink names are used as file and device-like identifiers`,
				`t.yaml:10:12: ports[5] (a b): name: "a b" may not contain whitespace or '/': port and uplink names are used as file and device-like identifiers`,
				`t.yaml:11:12: ports[6] ("a\tb"): name: "a\tb" may not contain whitespace or '/': port and uplink names are used as file and device-like identifiers`,
				`t.yaml:12:12: ports[7] ("a\x00b"): name: "a\x00b" may not contain control or invisible format characters: port and uplink names are used as file and device-like identifiers`,
				`t.yaml:13:12: ports[8] ("a\x7fb"): name: "a\x7fb" may not contain control or invisible format characters: port and uplink names are used as file and device-like identifiers`,
				`t.yaml:14:12: ports[9] ("a\u200bb"): name: "a\u200bb" may not contain control or invisible format characters: port and uplink names are used as file and device-like identifiers`,
				`t.yaml:15:12: ports[10] ("a\u00a0b"): name: "a\u00a0b" may not contain whitespace or '/': port and uplink names are used as file and device-like identifiers`,
				`t.yaml:16:12: ports[11] ("a\u0085b"): name: "a\u0085b" may not contain whitespace or '/': port and uplink names are used as file and device-like identifiers`,
				"t.yaml:22:12: ports[17] (a=b): name: \"a=b\" may not contain '=': `neutrino replay --in NAME=FILE` could not name it",
			},
		},
		{
			name: "uplinks",
			yaml: doc(
				"version: 1",
				"uplinks:",
				`  - {name: "", tap: t1}`,
				`  - {name: "..", tap: t2}`,
				`  - {name: "phys/net", tap: t3}`,
				`  - {name: "phys net", tap: t4}`,
				`  - {name: "phys\nnet", tap: t5}`,
				`  - {name: "physnet:1", tap: t6}`,
			),
			want: []string{
				`t.yaml:3:12: uplinks[0]: name: must not be empty`,
				`t.yaml:4:12: uplinks[1] (..): name: ".." is not a usable name: port and uplink names are used as file and device-like identifiers`,
				`t.yaml:5:12: uplinks[2] (phys/net): name: "phys/net" may not contain whitespace or '/': port and uplink names are used as file and device-like identifiers`,
				`t.yaml:6:12: uplinks[3] (phys net): name: "phys net" may not contain whitespace or '/': port and uplink names are used as file and device-like identifiers`,
				`t.yaml:7:12: uplinks[4] ("phys\nnet"): name: "phys\nnet" may not contain whitespace or '/': port and uplink names are used as file and device-like identifiers`,
			},
		},
		{
			name: "networks, routers and groups stay free-form",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - {name: 'my net/1', type: local, subnets: [{name: 'sub net', cidr: 10.0.0.0/24}]}",
				"routers:",
				"  - {name: 'my router', interfaces: ['sub net']}",
				"security_groups:",
				"  - {name: 'web servers/prod', rules: [{direction: ingress}]}",
				"ports:",
				"  - {name: vm1, network: 'my net/1', security_groups: ['web servers/prod']}",
			),
		},
	})
}
