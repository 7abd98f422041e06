// IPv4 and IPv6 with their options/extension headers, plus fragmentation.
// The IP builders also fill in the transport checksum of their payload (TCP,
// UDP, ICMPv6) because only the IP layer knows the pseudo-header addresses;
// transport builders therefore leave that field zero.

import { cat, internetChecksum, ipv4Bytes, ipv6Bytes, padTo, u16, u32, u8 } from './bytes';

export const IpProto = {
  HOPOPTS: 0,
  ICMP: 1,
  IPIP: 4, // IPv4 encapsulated
  TCP: 6,
  UDP: 17,
  IPV6: 41, // IPv6 encapsulated
  ROUTING: 43,
  FRAGMENT: 44,
  GRE: 47,
  ICMPV6: 58,
  NONE: 59,
  DSTOPTS: 60,
  SCTP: 132,
} as const;

/** Offset of the checksum inside a transport header whose checksum covers a pseudo-header. */
function pseudoHeaderChecksumOffset(proto: number): number | undefined {
  if (proto === IpProto.TCP) return 16;
  if (proto === IpProto.UDP) return 6;
  if (proto === IpProto.ICMPV6) return 2;
  return undefined;
}

function withTransportChecksum(proto: number, pseudo: Buffer, segment: Buffer): Buffer {
  const offset = pseudoHeaderChecksumOffset(proto);
  if (offset === undefined || segment.length < offset + 2) return segment;
  const out = Buffer.from(segment);
  out.writeUInt16BE(0, offset);
  let sum = internetChecksum(pseudo, out);
  // A computed UDP checksum of 0 is sent as 0xFFFF: 0 means "no checksum" (RFC 768).
  if (proto === IpProto.UDP && sum === 0) sum = 0xffff;
  out.writeUInt16BE(sum, offset);
  return out;
}

// --------------------------------------------------------------------- IPv4

export interface Ipv4Options {
  src: string;
  dst: string;
  /** IP protocol of the payload. */
  proto: number;
  id?: number;
  ttl?: number;
  tos?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** Fragment offset in bytes (must be a multiple of 8). */
  fragmentOffset?: number;
  /** Raw options, padded with End-of-Options to a 4-byte boundary. */
  options?: Buffer;
  /** Fill in the TCP/UDP checksum of the payload (default true; off for hand-made fragments). */
  transportChecksum?: boolean;
  /** Test hooks for malformed packets: override the header fields as written. */
  overrideIhl?: number;
  overrideTotalLength?: number;
}

/** IPv4 Router Alert option (RFC 2113): copied on fragmentation, harmless to routers. */
export function ipv4RouterAlertOption(): Buffer {
  const COPIED_CONTROL_ROUTER_ALERT = 0x94;
  return Buffer.from([COPIED_CONTROL_ROUTER_ALERT, 4, 0, 0]);
}

/** IPv4 Record Route option with room for `slots` addresses (not copied on fragmentation). */
export function ipv4RecordRouteOption(slots: number): Buffer {
  const RECORD_ROUTE = 0x07;
  const FIRST_POINTER = 4; // pointer is 1-based and counts the 3 header bytes
  return cat(Buffer.from([RECORD_ROUTE, 3 + 4 * slots, FIRST_POINTER]), Buffer.alloc(4 * slots));
}

export function ipv4(opts: Ipv4Options, payload: Buffer): Buffer {
  if ((opts.fragmentOffset ?? 0) % 8 !== 0) throw new Error('IPv4 fragment offset must be a multiple of 8');
  const options = opts.options ? cat(opts.options, padTo(opts.options.length, 4)) : Buffer.alloc(0);
  const headerLen = 20 + options.length;
  const flags = (opts.dontFragment ? 0x4000 : 0) | (opts.moreFragments ? 0x2000 : 0);
  const src = ipv4Bytes(opts.src);
  const dst = ipv4Bytes(opts.dst);
  const header = cat(
    u8(0x40 | ((opts.overrideIhl ?? headerLen / 4) & 0xf)),
    u8(opts.tos ?? 0),
    u16(opts.overrideTotalLength ?? headerLen + payload.length),
    u16(opts.id ?? 0),
    u16(flags | ((opts.fragmentOffset ?? 0) / 8)),
    u8(opts.ttl ?? 64),
    u8(opts.proto),
    u16(0),
    src,
    dst,
    options,
  );
  header.writeUInt16BE(internetChecksum(header), 10);
  let body = payload;
  if (opts.transportChecksum !== false) {
    const pseudo = cat(src, dst, u8(0), u8(opts.proto), u16(payload.length));
    body = withTransportChecksum(opts.proto, pseudo, payload);
  }
  return cat(header, body);
}

/** Options worth repeating in every fragment: those with the "copied" bit (RFC 791). */
function copiedOptions(options: Buffer): Buffer {
  const kept: Buffer[] = [];
  for (let i = 0; i < options.length; ) {
    const type = options[i];
    if (type === 0) break; // end of options
    if (type === 1) {
      i += 1; // NOP
      continue;
    }
    const len = options[i + 1];
    if (type & 0x80) kept.push(options.subarray(i, i + len));
    i += len;
  }
  return cat(...kept);
}

/**
 * Split an IPv4 packet into fragments carrying at most `maxData` payload bytes
 * each (rounded down to a multiple of 8). All fragments share the packet's id;
 * only the first carries the transport header.
 */
export function ipv4Fragments(packet: Buffer, maxData: number): Buffer[] {
  const ihl = (packet[0] & 0xf) * 4;
  const header = packet.subarray(0, ihl);
  const data = packet.subarray(ihl, packet.readUInt16BE(2));
  const step = Math.floor(maxData / 8) * 8;
  if (step <= 0) throw new Error('fragment size must allow at least 8 data bytes');
  const dotted = (off: number) => Array.from(header.subarray(off, off + 4)).join('.');
  const base = {
    src: dotted(12),
    dst: dotted(16),
    proto: header[9],
    id: header.readUInt16BE(4),
    ttl: header[8],
    tos: header[1],
    transportChecksum: false,
  };
  const allOptions = header.subarray(20);
  const fragments: Buffer[] = [];
  for (let off = 0; off < data.length; off += step) {
    const chunk = data.subarray(off, Math.min(off + step, data.length));
    fragments.push(
      ipv4(
        {
          ...base,
          fragmentOffset: off,
          moreFragments: off + step < data.length,
          options: off === 0 ? allOptions : copiedOptions(allOptions),
        },
        chunk,
      ),
    );
  }
  return fragments;
}

// --------------------------------------------------------------------- IPv6

export type Ipv6ExtensionHeader =
  | { type: 'hopByHop'; options?: Buffer }
  | { type: 'destination'; options?: Buffer }
  /** Segment Routing header (routing type 4) with segments left 0, so the IPv6 destination is final. */
  | { type: 'routing'; segments: readonly string[] }
  | { type: 'fragment'; offset: number; more: boolean; id: number };

const EXT_TYPE_NUMBER: Record<Ipv6ExtensionHeader['type'], number> = {
  hopByHop: IpProto.HOPOPTS,
  destination: IpProto.DSTOPTS,
  routing: IpProto.ROUTING,
  fragment: IpProto.FRAGMENT,
};

/** Hop-by-hop / destination options body, padded with PadN to a multiple of 8 bytes overall. */
function optionsHeaderBody(options: Buffer): Buffer {
  const need = (8 - ((2 + options.length) % 8)) % 8;
  let padding: Buffer;
  if (need === 0) padding = Buffer.alloc(0);
  else if (need === 1) padding = Buffer.from([0]); // Pad1
  else padding = cat(Buffer.from([1, need - 2]), Buffer.alloc(need - 2)); // PadN
  return cat(options, padding);
}

function extensionHeader(h: Ipv6ExtensionHeader, next: number): Buffer {
  switch (h.type) {
    case 'hopByHop':
    case 'destination': {
      const body = optionsHeaderBody(h.options ?? Buffer.alloc(0));
      return cat(u8(next), u8((2 + body.length) / 8 - 1), body);
    }
    case 'routing': {
      const SEGMENT_ROUTING = 4;
      const list = cat(...h.segments.map(ipv6Bytes));
      // next, hdr ext len (8-octet units beyond the first 8), type, segments left, last entry, flags, tag
      return cat(u8(next), u8(list.length / 8), u8(SEGMENT_ROUTING), u8(0), u8(h.segments.length - 1), u8(0), u16(0), list);
    }
    case 'fragment':
      if (h.offset % 8 !== 0) throw new Error('IPv6 fragment offset must be a multiple of 8');
      return cat(u8(next), u8(0), u16(h.offset | (h.more ? 1 : 0)), u32(h.id));
  }
}

export interface Ipv6Options {
  src: string;
  dst: string;
  /** Protocol of the payload after all extension headers. */
  proto: number;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  extensionHeaders?: readonly Ipv6ExtensionHeader[];
  transportChecksum?: boolean;
}

export function ipv6(opts: Ipv6Options, payload: Buffer): Buffer {
  const exts = opts.extensionHeaders ?? [];
  const chain = exts.map((h, i) => extensionHeader(h, i + 1 < exts.length ? EXT_TYPE_NUMBER[exts[i + 1].type] : opts.proto));
  const firstNext = exts.length > 0 ? EXT_TYPE_NUMBER[exts[0].type] : opts.proto;
  const src = ipv6Bytes(opts.src);
  const dst = ipv6Bytes(opts.dst);
  const isFragment = exts.some((h) => h.type === 'fragment');
  let body = payload;
  if (opts.transportChecksum !== false && !isFragment) {
    const pseudo = cat(src, dst, u32(payload.length), Buffer.from([0, 0, 0, opts.proto]));
    body = withTransportChecksum(opts.proto, pseudo, payload);
  }
  const extBytes = cat(...chain);
  const firstWord = (6 << 28) | ((opts.trafficClass ?? 0) << 20) | ((opts.flowLabel ?? 0) & 0xfffff);
  return cat(u32(firstWord), u16(extBytes.length + body.length), u8(firstNext), u8(opts.hopLimit ?? 64), src, dst, extBytes, body);
}

/**
 * Split an IPv6 packet into fragments (RFC 8200 section 4.5). Hop-by-hop and
 * routing headers form the unfragmentable part and are repeated; everything
 * after them is split into pieces of at most `maxData` bytes (multiple of 8).
 */
export function ipv6Fragments(packet: Buffer, maxData: number, id: number): Buffer[] {
  let next = packet[6];
  let off = 40;
  let nextFieldOffset = 6; // where the "next header" pointing at the fragmentable part lives
  while (next === IpProto.HOPOPTS || next === IpProto.ROUTING) {
    nextFieldOffset = off;
    next = packet[off];
    off += (packet[off + 1] + 1) * 8;
  }
  const unfragmentable = Buffer.from(packet.subarray(0, off));
  const fragmentable = packet.subarray(off);
  unfragmentable[nextFieldOffset] = IpProto.FRAGMENT;
  const step = Math.floor(maxData / 8) * 8;
  const out: Buffer[] = [];
  for (let pos = 0; pos < fragmentable.length; pos += step) {
    const chunk = fragmentable.subarray(pos, Math.min(pos + step, fragmentable.length));
    const more = pos + step < fragmentable.length;
    const fragHeader = cat(u8(next), u8(0), u16(pos | (more ? 1 : 0)), u32(id));
    const frag = cat(unfragmentable, fragHeader, chunk);
    frag.writeUInt16BE(frag.length - 40, 4);
    out.push(frag);
  }
  return out;
}

/** Any IP-in-IP tunnel: IPIP (4in4), 6in4, 4in6, 6in6; the outer version follows the outer addresses. */
export function ipTunnel(outer: { src: string; dst: string; id?: number }, innerPacket: Buffer): Buffer {
  const proto = innerPacket[0] >> 4 === 4 ? IpProto.IPIP : IpProto.IPV6;
  return outer.src.includes(':')
    ? ipv6({ src: outer.src, dst: outer.dst, proto }, innerPacket)
    : ipv4({ src: outer.src, dst: outer.dst, proto, id: outer.id }, innerPacket);
}
