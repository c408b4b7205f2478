package configs

import (
	"errors"
	"strings"

	"neutrino/dhcp"
)

// checkDHCPOpts reports the IPv4 extra_dhcp_opts of a port that the DHCP
// server could not send: an unknown option name, or a value that does not
// fit the option's type. IPv6 options are not served and not checked.
func (c *checker) checkDHCPOpts(p *Port) {
	for _, o := range p.ExtraDHCPOpts {
		if o.IPVersion != 4 || o.Name == "" || c.reportedUnder(o.Path) {
			continue
		}
		_, err := dhcp.ParseOption(o.Name, o.Value)
		if err == nil {
			continue
		}
		field := "opt_value"
		if errors.Is(err, dhcp.ErrOptionName) {
			field = "opt_name"
		}
		c.at(&o.Source, field, "%s", strings.TrimPrefix(strings.TrimPrefix(err.Error(), dhcp.ErrOptionName.Error()+": "), dhcp.ErrOptionValue.Error()+": "))
	}
}
