package configs

import "testing"

func TestValidateDHCPOpts(t *testing.T) {
	runErrCases(t, []errCase{
		{
			name: "extra_dhcp_opts that DHCP can't send",
			yaml: withNet1(
				"ports:",
				"  - name: p1",
				"    network: n1",
				"    extra_dhcp_opts:",
				"      - {opt_name: domain-serch, opt_value: example.org}",
				"      - {opt_name: mtu, opt_value: big}",
				"      - {opt_name: ntp-server, opt_value: '10.0.0.1,10.0.0.300'}",
				"      - {opt_name: 'tag:ipxe,bootfile-name', opt_value: x.efi}",
				"      - {opt_name: domain-search, opt_value: example.org}",
				"      - {opt_name: '66', opt_value: 10.0.0.9}",
				"      - {opt_name: server-ip-address, opt_value: 10.0.0.9}",
				"      - {opt_name: mtu, opt_value: anything, ip_version: 6}",
				"      - {opt_name: message-type, opt_value: 1}",
			),
			want: []string{
				`t.yaml:11:20: ports[0] (p1): extra_dhcp_opts[0] (domain-serch): opt_name: "domain-serch" (did you mean domain-search?)`,
				`t.yaml:12:36: ports[0] (p1): extra_dhcp_opts[1] (mtu): opt_value: mtu (option 26): "big": want a number 0-65535`,
				`t.yaml:13:43: ports[0] (p1): extra_dhcp_opts[2] (ntp-server): opt_value: ntp-server (option 42): "10.0.0.1,10.0.0.300": "10.0.0.300" is not an IPv4 address`,
				`t.yaml:14:20: ports[0] (p1): extra_dhcp_opts[3] (tag:ipxe,bootfile-name): opt_name: "tag:ipxe,bootfile-name": dnsmasq tags are not supported; give the option name alone`,
				`t.yaml:19:20: ports[0] (p1): extra_dhcp_opts[8] (message-type): opt_name: "message-type" (option 53) is set by the server and can't be overridden`,
			},
		},
	})
}
