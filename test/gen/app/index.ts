// Application payload builders: fixed-network (DNS, HTTP, TLS, RADIUS) and
// mobile-network control plane (GTPv1-C, GTPv2-C).

export * from './dns';
export * from './http';
export * from './tls';
export * from './radius';
export * from './mobile';
export * from './gtpv1c';
export * from './gtpv2c';
