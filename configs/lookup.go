package configs

// Lookups by name. Each returns nil when there is no such object.

// NodeByName returns the node with the given name.
func (t *Topology) NodeByName(name string) *Node { return t.index.nodes[name] }

// NetworkByName returns the network with the given name.
func (t *Topology) NetworkByName(name string) *Network { return t.index.networks[name] }

// SubnetByName returns the subnet with the given name (subnet names are
// unique across the file).
func (t *Topology) SubnetByName(name string) *Subnet { return t.index.subnets[name] }

// PortByName returns the port with the given name.
func (t *Topology) PortByName(name string) *Port { return t.index.ports[name] }

// RouterByName returns the router with the given name.
func (t *Topology) RouterByName(name string) *Router { return t.index.routers[name] }

// SecurityGroupByName returns the security group with the given name;
// "default" always exists.
func (t *Topology) SecurityGroupByName(name string) *SecurityGroup { return t.index.groups[name] }

// UplinkOn returns the uplink with the given name on a node.
func (t *Topology) UplinkOn(name string, n *Node) *Uplink { return t.index.uplinkOn(name, n) }
