package configs

import (
	"net/netip"

	"go.yaml.in/yaml/v3"
)

// The fields of routers and floating IPs, in the order of TOPOLOGY.md
// (routes are routeFields, as for subnets' host routes).
var (
	routerFields     = []string{"name", "node", "external_gateway", "interfaces", "routes"}
	gatewayFields    = []string{"network", "ip", "enable_snat", "mac"}
	interfaceFields  = []string{"subnet", "mac"}
	floatingIPFields = []string{"floating_ip_address", "floating_network", "port", "fixed_ip_address"}
)

func (d *decoder) router(n *yaml.Node, path string) *Router {
	x := &Router{}
	f := d.object(n, path, "name", &x.Source, routerFields)
	if f == nil {
		return nil
	}
	f.require("name")
	x.Name = f.name("name")
	x.NodeName, _ = f.str("node")
	if gn := f.sub("external_gateway"); gn != nil {
		g := &ExternalGateway{EnableSNAT: true}
		if gf := d.object(gn, f.path("external_gateway"), "", &g.Source, gatewayFields); gf != nil {
			gf.require("network")
			g.NetworkName, _ = gf.str("network")
			g.IP = gf.addr("ip")
			g.EnableSNAT = gf.boolean("enable_snat", true)
			g.MAC = gf.mac("mac")
			x.ExternalGateway = g
		}
	}
	for i, e := range f.list("interfaces") {
		field := item("interfaces", i)
		path := f.path(field)
		if e = d.deref(e); e == nil {
			break
		}
		x.setField(field, posOf(e))
		ri := &RouterInterface{Router: x}
		switch {
		case e.Kind == yaml.MappingNode:
			g := d.object(e, path, "subnet", &ri.Source, interfaceFields)
			if g == nil {
				continue
			}
			g.require("subnet")
			ri.SubnetName, _ = g.str("subnet")
			ri.MAC = g.mac("mac")
		default:
			s, ok := scalarString(e)
			if !ok {
				d.errorf(posOf(e), path, "expected a subnet name or a mapping {subnet: NAME, mac: MAC}, got %s", describe(e))
				continue
			}
			ri.Pos = posOf(e)
			ri.Path = path + " (" + labelText(s) + ")"
			ri.setField("subnet", posOf(e))
			ri.SubnetName = s
		}
		x.Interfaces = append(x.Interfaces, ri)
	}
	f.objects("routes", func(n *yaml.Node, path string) {
		r := &Route{}
		if g := d.object(n, path, "", &r.Source, routeFields); g != nil {
			g.require(routeFields...)
			r.Destination = g.prefix("destination")
			r.NextHop = g.addr("nexthop")
			x.Routes = append(x.Routes, r)
		}
	})
	return x
}

func (d *decoder) floatingIP(n *yaml.Node, path string) *FloatingIP {
	x := &FloatingIP{}
	f := d.object(n, path, "floating_ip_address", &x.Source, floatingIPFields)
	if f == nil {
		return nil
	}
	f.require("floating_network")
	x.Address = f.addr("floating_ip_address")
	if x.Address.Is6() {
		d.errorf(x.At("floating_ip_address"), x.FieldPath("floating_ip_address"), "%s: floating IPs are IPv4 only", x.Address)
		x.Address = netip.Addr{}
	}
	x.NetworkName, _ = f.str("floating_network")
	x.PortName, _ = f.str("port")
	x.FixedIP = f.addr("fixed_ip_address")
	return x
}
