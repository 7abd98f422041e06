// One import for every packet builder: link layers, IP, transport, tunnels.
// Builders return Buffers and nest payload-last, for example
//   ethernet({src, dst, vlans: [{id: 10}]}, ipv4({src: a, dst: b, proto: IpProto.UDP}, udp({sport, dport}, dns)))

export * from './bytes';
export * from './link';
export * from './ip';
export * from './transport';
export * from './tunnels';
