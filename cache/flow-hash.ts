/**
 * Symmetric flow hashing: both directions of a flow hash alike, so one
 * lookup finds the flow whichever side sent the packet, and workers can be
 * fed by a hash that keeps both directions together.
 */

function mix(h: number): number {
  // murmur3 finaliser: spreads every input bit over the word
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** Hash of one endpoint: address words at a[o..o+3] and a port. */
export function endpointHash(a: Uint32Array, o: number, port: number): number {
  let h = mix(a[o] ^ 0x9e3779b9);
  h = mix(h ^ a[o + 1]);
  h = mix(h ^ a[o + 2]);
  h = mix(h ^ a[o + 3] ^ (port << 16));
  return h;
}

/** Non-negative small-integer hash of (vlan, protocol, {src, dst}), the same both ways. */
export function flowHash(a: Uint32Array, srcPort: number, dstPort: number, protocol: number, vlanId: number): number {
  const h = endpointHash(a, 0, srcPort) ^ endpointHash(a, 4, dstPort);
  return mix(h ^ (protocol << 12) ^ vlanId) & 0x3fffffff;
}
