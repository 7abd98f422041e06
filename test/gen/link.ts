// Link-layer framing: Ethernet II with 802.1Q/802.1ad tag stacks, MPLS, PPPoE
// session, Linux cooked (SLL v1/v2) and BSD loopback. Every builder takes the
// payload last so layers nest the way they appear on the wire.

import { cat, macBytes, u16, u32, u8 } from './bytes';

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100, // 802.1Q customer tag
  IPV6: 0x86dd,
  MPLS: 0x8847,
  PPPOE_DISCOVERY: 0x8863,
  PPPOE_SESSION: 0x8864,
  QINQ: 0x88a8, // 802.1ad service tag
  QINQ_LEGACY: 0x9100, // pre-standard service tag some switches still emit
  TEB: 0x6558, // transparent Ethernet bridging (GRE payload)
} as const;

/** EtherType of an IP packet, read from its version nibble. */
export function etherTypeOfIp(packet: Buffer): number {
  const version = packet[0] >> 4;
  if (version === 4) return EtherType.IPV4;
  if (version === 6) return EtherType.IPV6;
  throw new Error(`not an IP packet (version ${version}); pass the EtherType explicitly`);
}

export interface VlanTag {
  id: number;
  /** 802.1p priority, 0..7. */
  pcp?: number;
  /** Tag protocol identifier; 0x8100 unless given. */
  tpid?: number;
}

export interface EthernetOptions {
  dst: string;
  src: string;
  /** Outermost tag first. */
  vlans?: readonly VlanTag[];
  /** EtherType of the payload; inferred from an IP payload's version if absent. */
  etherType?: number;
}

export function ethernet(opts: EthernetOptions, payload: Buffer): Buffer {
  const tags = (opts.vlans ?? []).map((t) => cat(u16(t.tpid ?? EtherType.VLAN), u16(((t.pcp ?? 0) << 13) | (t.id & 0xfff))));
  return cat(macBytes(opts.dst), macBytes(opts.src), ...tags, u16(opts.etherType ?? etherTypeOfIp(payload)), payload);
}

/** An 802.1ad service tag over an 802.1Q customer tag (QinQ). */
export function qinq(serviceVlan: number, customerVlan: number): VlanTag[] {
  return [
    { id: serviceVlan, tpid: EtherType.QINQ },
    { id: customerVlan, tpid: EtherType.VLAN },
  ];
}

export interface MplsLabel {
  label: number;
  /** Traffic class, 0..7. */
  tc?: number;
  ttl?: number;
}

/** MPLS label stack (RFC 3032), outermost first; the bottom-of-stack bit is set on the last entry. */
export function mpls(stack: readonly (MplsLabel | number)[], payload: Buffer): Buffer {
  if (stack.length === 0) throw new Error('an MPLS stack needs at least one label');
  const entries = stack.map((e, i) => {
    const l = typeof e === 'number' ? { label: e } : e;
    const bottom = i === stack.length - 1 ? 1 : 0;
    return u32(((l.label & 0xfffff) << 12) | ((l.tc ?? 0) << 9) | (bottom << 8) | (l.ttl ?? 64));
  });
  return cat(...entries, payload);
}

export const PppProtocol = { IPV4: 0x0021, IPV6: 0x0057 } as const;

/** PPPoE session stage (RFC 2516) carrying PPP; goes after EtherType 0x8864. */
export function pppoeSession(opts: { sessionId: number }, ipPacket: Buffer): Buffer {
  const pppProtocol = etherTypeOfIp(ipPacket) === EtherType.IPV4 ? PppProtocol.IPV4 : PppProtocol.IPV6;
  const ppp = cat(u16(pppProtocol), ipPacket);
  const VERSION_TYPE = 0x11; // version 1, type 1
  const CODE_SESSION_DATA = 0x00;
  return cat(u8(VERSION_TYPE), u8(CODE_SESSION_DATA), u16(opts.sessionId), u16(ppp.length), ppp);
}

/** Linux cooked-mode packet types (the sll_pkttype of packet(7)). */
export const SllPacketType = { HOST: 0, BROADCAST: 1, MULTICAST: 2, OTHERHOST: 3, OUTGOING: 4 } as const;
const ARPHRD_ETHER = 1;

export interface SllOptions {
  packetType?: number;
  /** Link-layer source address (MAC); up to 8 bytes are kept. */
  address?: string;
  /** EtherType of the payload; inferred from an IP payload if absent. */
  protocol?: number;
  arphrd?: number;
}

function sllAddress(address?: string): { len: number; bytes: Buffer } {
  const mac = address ? macBytes(address) : Buffer.alloc(0);
  return { len: mac.length, bytes: cat(mac, Buffer.alloc(8 - mac.length)) };
}

/** Linux cooked capture v1 header, link type 113 (16 bytes). */
export function sll(opts: SllOptions, payload: Buffer): Buffer {
  const a = sllAddress(opts.address);
  return cat(
    u16(opts.packetType ?? SllPacketType.HOST),
    u16(opts.arphrd ?? ARPHRD_ETHER),
    u16(a.len),
    a.bytes,
    u16(opts.protocol ?? etherTypeOfIp(payload)),
    payload,
  );
}

/** Linux cooked capture v2 header, link type 276 (20 bytes). */
export function sll2(opts: SllOptions & { interfaceIndex?: number }, payload: Buffer): Buffer {
  const a = sllAddress(opts.address);
  return cat(
    u16(opts.protocol ?? etherTypeOfIp(payload)),
    u16(0), // reserved
    u32(opts.interfaceIndex ?? 1),
    u16(opts.arphrd ?? ARPHRD_ETHER),
    u8(opts.packetType ?? SllPacketType.HOST),
    u8(a.len),
    a.bytes,
    payload,
  );
}

/**
 * Address families seen in DLT_NULL headers. AF_INET is 2 everywhere; AF_INET6
 * differs by OS, which is why readers accept all of these.
 */
export const NullFamily = { INET: 2, INET6_BSD: 24, INET6_FREEBSD: 28, INET6_DARWIN: 30, INET6_LINUX: 10 } as const;

/** BSD loopback header (link type 0): a 4-byte address family in the capturing host's byte order. */
export function nullLoopback(opts: { family?: number; hostOrder: 'le' | 'be' }, ipPacket: Buffer): Buffer {
  const family = opts.family ?? (etherTypeOfIp(ipPacket) === EtherType.IPV4 ? NullFamily.INET : NullFamily.INET6_BSD);
  const h = Buffer.alloc(4);
  if (opts.hostOrder === 'le') h.writeUInt32LE(family);
  else h.writeUInt32BE(family);
  return cat(h, ipPacket);
}
