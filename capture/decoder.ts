import { DecodedPacket, DecodeStatus, TunnelType } from './decoded-packet';
import { LinkType } from './link-types';
import { u16, u24, u32, u32le } from './bytes';

/**
 * Link, network and transport decoding with tunnel decapsulation, layered as
 * Zeek's packet analysis is: each layer finds the next one and hands over an
 * offset. Everything is read by offset from the capture buffer into one
 * reused DecodedPacket; nothing here allocates or throws.
 *
 * A tunnel is entered only when its header validates and the inner IP header
 * looks sane, so a false positive (say, non-GTP traffic on UDP 2152) stays
 * the outer flow instead of becoming a malformed packet.
 */

/** Which encapsulations to open. Operators who want outer flows turn some off. */
export const enum Decap {
  Gre = 1,
  Vxlan = 2,
  IpInIp = 4, // 4in4, 6in4, 4in6, 6in6
  GtpU = 8,
  All = 15,
}

export const DECAP_NAMES: Record<string, number> = {
  gre: Decap.Gre,
  vxlan: Decap.Vxlan,
  ipip: Decap.IpInIp,
  gtpu: Decap.GtpU,
};

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_VLAN = 0x8100;
const ETH_QINQ = 0x88a8;
const ETH_QINQ_OLD1 = 0x9100;
const ETH_QINQ_OLD2 = 0x9200;
const ETH_MPLS_UC = 0x8847;
const ETH_MPLS_MC = 0x8848;
const ETH_PPPOE_SESSION = 0x8864;
const ETH_TEB = 0x6558; // transparent Ethernet bridging (GRE, NVGRE)
const ETH_ERSPAN2 = 0x88be;
const ETH_ERSPAN3 = 0x22eb;
const ETH_PPP = 0x880b; // PPTP's enhanced GRE carries PPP

const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

const IPPROTO_ICMP = 1;
const IPPROTO_IPIP = 4;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_IPV6 = 41;
const IPPROTO_GRE = 47;
const IPPROTO_ICMPV6 = 58;
const IPPROTO_SCTP = 132;

const GTPU_PORT = 2152;
const VXLAN_PORT = 4789;

/** Nested tunnels opened at most; deeper ones are reported as the tunnel flow. */
const MAX_TUNNEL_DEPTH = 4;
/** Tags or labels popped at most in one stack (a loop guard, far above real use). */
const MAX_STACK = 16;

export class PacketDecoder {
  /** The frame was cut by the snap length: IP lengths beyond the capture are expected. */
  private truncated = false;

  constructor(private readonly decap: number = Decap.All) {}

  /** Decodes one frame captured with the given link type into `p`. */
  decode(buf: Uint8Array, off: number, capLen: number, wireLen: number, linkType: number, p: DecodedPacket): DecodeStatus {
    p.reset(wireLen);
    this.truncated = capLen < wireLen;
    const end = off + capLen;
    switch (linkType) {
      case LinkType.Ethernet:
        return this.ethernet(buf, off, end, p, 0);
      case LinkType.LinuxSll:
        if (capLen < 16) return DecodeStatus.Malformed;
        return this.etherType(buf, off + 16, end, u16(buf, off + 14), p, 0);
      case LinkType.LinuxSll2:
        if (capLen < 20) return DecodeStatus.Malformed;
        return this.etherType(buf, off + 20, end, u16(buf, off), p, 0);
      case LinkType.Null:
      case LinkType.Loop: {
        if (capLen < 4) return DecodeStatus.Malformed;
        // The family is in the writer's byte order for DLT_NULL; accept either.
        const be = u32(buf, off);
        const family = linkType === LinkType.Loop || be < 0x10000 ? be : u32le(buf, off);
        if (family === 2) return this.ipv4(buf, off + 4, end, p, 0);
        // AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS)
        if (family === 24 || family === 28 || family === 30 || family === 10) return this.ipv6(buf, off + 4, end, p, 0);
        return DecodeStatus.NonIp;
      }
      case LinkType.Raw:
      case LinkType.RawOpenBsd:
      case LinkType.RawBsdi:
        return this.rawIp(buf, off, end, p, 0);
      case LinkType.Ppp:
      case LinkType.PppHdlc:
        // Some PPP captures hold Cisco HDLC frames (address 0x0f unicast, 0x8f broadcast).
        if (capLen >= 4 && (buf[off] === 0x0f || buf[off] === 0x8f) && buf[off + 1] === 0) {
          return this.etherType(buf, off + 4, end, u16(buf, off + 2), p, 0);
        }
        return this.ppp(buf, off, end, p, 0);
      case LinkType.CiscoHdlc:
        // address, control, then an EtherType
        if (capLen < 4) return DecodeStatus.Malformed;
        return this.etherType(buf, off + 4, end, u16(buf, off + 2), p, 0);
      case LinkType.Ppi: {
        if (capLen < 8) return DecodeStatus.Malformed;
        const headerLength = buf[off + 2] | (buf[off + 3] << 8);
        const innerLink = u32le(buf, off + 4);
        if (headerLength < 8 || headerLength > capLen || innerLink === LinkType.Ppi) return DecodeStatus.Malformed;
        return this.decode(buf, off + headerLength, capLen - headerLength, wireLen, innerLink, p);
      }
      case LinkType.Ipv4:
        return this.ipv4(buf, off, end, p, 0);
      case LinkType.Ipv6:
        return this.ipv6(buf, off, end, p, 0);
      default:
        return DecodeStatus.UnsupportedLink;
    }
  }

  private rawIp(buf: Uint8Array, off: number, end: number, p: DecodedPacket, depth: number): DecodeStatus {
    if (off >= end) return DecodeStatus.Malformed;
    const version = buf[off] >> 4;
    if (version === 4) return this.ipv4(buf, off, end, p, depth);
    if (version === 6) return this.ipv6(buf, off, end, p, depth);
    return DecodeStatus.Malformed;
  }

  private ethernet(buf: Uint8Array, off: number, end: number, p: DecodedPacket, depth: number): DecodeStatus {
    if (end - off < 14) return DecodeStatus.Malformed;
    if (p.ethOffset < 0) p.ethOffset = off;
    return this.etherType(buf, off + 14, end, u16(buf, off + 12), p, depth);
  }

  /** VLAN tags, MPLS labels and PPPoE down to the network layer. */
  private etherType(buf: Uint8Array, off: number, end: number, type: number, p: DecodedPacket, depth: number): DecodeStatus {
    for (let guard = 0; guard < MAX_STACK; guard++) {
      switch (type) {
        case ETH_IPV4:
          return this.ipv4(buf, off, end, p, depth);
        case ETH_IPV6:
          return this.ipv6(buf, off, end, p, depth);
        case ETH_VLAN:
        case ETH_QINQ:
        case ETH_QINQ_OLD1:
        case ETH_QINQ_OLD2:
          if (end - off < 4) return DecodeStatus.Malformed;
          p.vlanId = u16(buf, off) & 0x0fff; // innermost tag wins, as nDPI keys flows
          type = u16(buf, off + 2);
          off += 4;
          continue;
        case ETH_MPLS_UC:
        case ETH_MPLS_MC:
          return this.mpls(buf, off, end, p, depth);
        case ETH_PPPOE_SESSION: {
          if (end - off < 8) return DecodeStatus.Malformed;
          return this.ppp(buf, off + 6, end, p, depth);
        }
        default:
          return DecodeStatus.NonIp;
      }
    }
    return DecodeStatus.Malformed;
  }

  private mpls(buf: Uint8Array, off: number, end: number, p: DecodedPacket, depth: number): DecodeStatus {
    for (let i = 0; i < MAX_STACK; i++) {
      if (end - off < 4) return DecodeStatus.Malformed;
      const bottom = buf[off + 2] & 1;
      off += 4;
      if (!bottom) continue;
      if (off >= end) return DecodeStatus.Malformed;
      // MPLS carries no payload type: guess from the first nibble (RFC 4928).
      const nibble = buf[off] >> 4;
      if (nibble === 4) return this.ipv4(buf, off, end, p, depth);
      if (nibble === 6) return this.ipv6(buf, off, end, p, depth);
      // Ethernet pseudowire with the RFC 4448 control word (first nibble 0).
      if (nibble === 0 && end - off >= 4 + 14) return this.ethernet(buf, off + 4, end, p, depth);
      return DecodeStatus.NonIp;
    }
    return DecodeStatus.Malformed;
  }

  /** A PPP frame: protocol field (one or two bytes, RFC 1661), then the payload. */
  private ppp(buf: Uint8Array, off: number, end: number, p: DecodedPacket, depth: number): DecodeStatus {
    if (end - off < 2) return DecodeStatus.Malformed;
    // Address/control 0xff03 precede the protocol on HDLC-framed PPP (PPTP).
    if (buf[off] === 0xff && buf[off + 1] === 0x03) {
      off += 2;
      if (end - off < 1) return DecodeStatus.Malformed;
    }
    let proto: number;
    if (buf[off] & 1) {
      proto = buf[off]; // compressed protocol field
      off += 1;
    } else {
      if (end - off < 2) return DecodeStatus.Malformed;
      proto = u16(buf, off);
      off += 2;
    }
    if (proto === PPP_IPV4) return this.ipv4(buf, off, end, p, depth);
    if (proto === PPP_IPV6) return this.ipv6(buf, off, end, p, depth);
    return DecodeStatus.NonIp;
  }

  private ipv4(buf: Uint8Array, off: number, end: number, p: DecodedPacket, depth: number): DecodeStatus {
    if (end - off < 20) return DecodeStatus.Malformed;
    const vihl = buf[off];
    const ihl = (vihl & 0x0f) << 2;
    if (vihl >> 4 !== 4 || ihl < 20 || end - off < ihl) return DecodeStatus.Malformed;
    let total = u16(buf, off + 2);
    // Zero total length appears with TCP segmentation offload: take the capture.
    if (total === 0) total = end - off;
    else if (total < ihl || (total > end - off && !this.truncated)) return DecodeStatus.Malformed;
    p.ipVersion = 4;
    p.ipOffset = off;
    p.ipLength = total;
    const a = p.addr;
    a[0] = 0; a[1] = 0; a[2] = 0; a[3] = u32(buf, off + 12);
    a[4] = 0; a[5] = 0; a[6] = 0; a[7] = u32(buf, off + 16);
    const proto = buf[off + 9];
    p.protocol = proto;
    const frag = u16(buf, off + 6);
    if ((frag & 0x3fff) !== 0) {
      markFragment(p, u16(buf, off + 4), proto);
      // The rest of a first fragment's payload is in later fragments: an inner
      // header (a tunnel's) may announce more than this frame holds.
      this.truncated = true;
      if ((frag & 0x1fff) !== 0) {
        p.isLaterFragment = true; // no transport header: the pipeline resolves the ports
        return DecodeStatus.Ok;
      }
    }
    // Ethernet padding after the IP packet is not payload.
    const l4End = off + total < end ? off + total : end;
    return this.transport(buf, off + ihl, l4End, proto, p, depth);
  }

  private ipv6(buf: Uint8Array, off: number, end: number, p: DecodedPacket, depth: number): DecodeStatus {
    if (end - off < 40) return DecodeStatus.Malformed;
    if (buf[off] >> 4 !== 6) return DecodeStatus.Malformed;
    const payloadLength = u16(buf, off + 4);
    if (40 + payloadLength > end - off && !this.truncated) return DecodeStatus.Malformed;
    p.ipVersion = 6;
    p.ipOffset = off;
    // A zero payload length is a jumbogram or offload artefact: take the capture.
    p.ipLength = payloadLength === 0 ? end - off : 40 + payloadLength;
    const a = p.addr;
    for (let i = 0; i < 8; i++) a[i] = u32(buf, off + 8 + 4 * i);
    let next = buf[off + 6];
    let o = off + 40;
    const l4End = off + p.ipLength < end ? off + p.ipLength : end;
    for (let i = 0; i < MAX_STACK; i++) {
      switch (next) {
        case 0: // hop-by-hop options
        case 43: // routing
        case 60: // destination options
        case 135: // mobility
        case 139: // HIP
        case 140: // shim6
          if (l4End - o < 8) return DecodeStatus.Malformed;
          next = buf[o];
          o += (buf[o + 1] + 1) << 3;
          if (o > l4End) return DecodeStatus.Malformed;
          continue;
        case 44: {
          // fragment header: later fragments carry no transport header
          if (l4End - o < 8) return DecodeStatus.Malformed;
          const fragOffset = u16(buf, o + 2) & 0xfff8;
          const more = buf[o + 3] & 1;
          next = buf[o];
          if (fragOffset !== 0 || more) {
            markFragment(p, u32(buf, o + 4), next);
            this.truncated = true; // as for IPv4: the payload continues in later fragments
            if (fragOffset !== 0) {
              p.isLaterFragment = true;
              p.protocol = next;
              return DecodeStatus.Ok;
            }
          }
          o += 8;
          continue;
        }
        default:
          p.protocol = next;
          return this.transport(buf, o, l4End, next, p, depth);
      }
    }
    return DecodeStatus.Malformed;
  }

  private transport(buf: Uint8Array, o: number, end: number, proto: number, p: DecodedPacket, depth: number): DecodeStatus {
    p.protocol = proto;
    switch (proto) {
      case IPPROTO_TCP: {
        if (end - o < 20) return DecodeStatus.Malformed;
        const dataOffset = (buf[o + 12] >> 4) << 2;
        if (dataOffset < 20) return DecodeStatus.Malformed;
        p.srcPort = u16(buf, o);
        p.dstPort = u16(buf, o + 2);
        p.tcpFlags = buf[o + 13];
        p.tcpSeq = u32(buf, o + 4);
        return this.payload(o + dataOffset, end, p);
      }
      case IPPROTO_UDP: {
        if (end - o < 8) return DecodeStatus.Malformed;
        const sport = u16(buf, o);
        const dport = u16(buf, o + 2);
        p.srcPort = sport;
        p.dstPort = dport;
        if (depth < MAX_TUNNEL_DEPTH) {
          if ((sport === GTPU_PORT || dport === GTPU_PORT) && this.decap & Decap.GtpU) {
            const inner = gtpUPayload(buf, o + 8, end);
            if (inner > 0) return this.enterTunnel(buf, inner, end, p, depth, TunnelType.GtpU, u32(buf, o + 12));
          }
          if (dport === VXLAN_PORT && this.decap & Decap.Vxlan && end - o >= 8 + 8 + 14 && (buf[o + 8] & 0x08) !== 0) {
            return this.enterTunnel(buf, o + 16, end, p, depth, TunnelType.Vxlan, u24(buf, o + 12));
          }
        }
        return this.payload(o + 8, end, p);
      }
      case IPPROTO_SCTP:
        if (end - o < 12) return DecodeStatus.Malformed;
        p.srcPort = u16(buf, o);
        p.dstPort = u16(buf, o + 2);
        return this.payload(o + 12, end, p);
      case IPPROTO_ICMP:
      case IPPROTO_ICMPV6:
        // Keyed without ports, as nDPI does: one flow per address pair.
        if (end - o < 4) return DecodeStatus.Malformed;
        return this.payload(o, end, p);
      case IPPROTO_IPIP:
      case IPPROTO_IPV6:
        if (depth < MAX_TUNNEL_DEPTH && this.decap & Decap.IpInIp && end - o >= 20 && buf[o] >> 4 === (proto === IPPROTO_IPIP ? 4 : 6)) {
          const type = p.ipVersion === 4
            ? (proto === IPPROTO_IPIP ? TunnelType.IpInIp : TunnelType.SixInFour)
            : (proto === IPPROTO_IPIP ? TunnelType.FourInSix : TunnelType.SixInSix);
          return this.enterTunnel(buf, o, end, p, depth, type, 0);
        }
        return this.payload(o, end, p);
      case IPPROTO_GRE:
        if (depth < MAX_TUNNEL_DEPTH && this.decap & Decap.Gre) {
          const status = this.gre(buf, o, end, p, depth);
          if (status !== DecodeStatus.NonIp) return status;
          // Not a payload we open (keepalives, unknown types): keep the GRE flow.
          p.tunnel = TunnelType.None;
          p.protocol = IPPROTO_GRE;
          p.srcPort = 0;
          p.dstPort = 0;
        }
        return this.payload(o, end, p);
      default:
        return this.payload(o, end, p);
    }
  }

  private payload(start: number, end: number, p: DecodedPacket): DecodeStatus {
    p.payloadOffset = start;
    p.payloadLength = end > start ? end - start : 0;
    return DecodeStatus.Ok;
  }

  /** Records the outer header, then decodes the inner packet at `inner`. */
  private enterTunnel(buf: Uint8Array, inner: number, end: number, p: DecodedPacket, depth: number, type: TunnelType, id: number): DecodeStatus {
    p.outerIpVersion = p.ipVersion;
    p.outerAddr.set(p.addr);
    if (p.isFragment) p.fragmentIsOuter = true;
    p.tunnel = type;
    p.tunnelId = id;
    p.srcPort = 0;
    p.dstPort = 0;
    if (type === TunnelType.Vxlan) return this.ethernet(buf, inner, end, p, depth + 1);
    return this.rawIp(buf, inner, end, p, depth + 1);
  }

  /** GRE (RFC 2784/2890) and PPTP's enhanced GRE (RFC 2637). NonIp means "not opened". */
  private gre(buf: Uint8Array, o: number, end: number, p: DecodedPacket, depth: number): DecodeStatus {
    if (end - o < 4) return DecodeStatus.NonIp;
    const flags = u16(buf, o);
    const version = flags & 7;
    const type = u16(buf, o + 2);
    let h = 4;
    let key = 0;
    if (version === 0) {
      if (flags & 0xc000) h += 4; // checksum (and offset) present
      if (flags & 0x2000) {
        if (end - o < h + 4) return DecodeStatus.NonIp;
        key = u32(buf, o + h);
        h += 4;
      }
      if (flags & 0x1000) h += 4; // sequence number
    } else if (version === 1) {
      if (type !== ETH_PPP) return DecodeStatus.NonIp;
      if (end - o < 8) return DecodeStatus.NonIp;
      key = u16(buf, o + 6); // call id
      h = 8;
      if (flags & 0x1000) h += 4;
      if (flags & 0x0080) h += 4; // acknowledgment number
    } else {
      return DecodeStatus.NonIp;
    }
    let inner = o + h;
    if (inner >= end) return DecodeStatus.NonIp;
    switch (type) {
      case ETH_IPV4:
        if (buf[inner] >> 4 !== 4) return DecodeStatus.NonIp;
        break;
      case ETH_IPV6:
        if (buf[inner] >> 4 !== 6) return DecodeStatus.NonIp;
        break;
      case ETH_TEB:
        break;
      case ETH_ERSPAN2:
        // ERSPAN type II has an 8-byte header when the sequence bit is set.
        if (!(flags & 0x1000)) break;
        inner += 8;
        break;
      case ETH_ERSPAN3: {
        if (end - inner < 12) return DecodeStatus.NonIp;
        const optional = buf[inner + 11] & 1; // O flag: platform-specific subheader
        inner += 12 + (optional ? 8 : 0);
        break;
      }
      case ETH_PPP:
      case ETH_MPLS_UC:
        break;
      default:
        return DecodeStatus.NonIp;
    }
    if (inner >= end) return DecodeStatus.NonIp;
    p.outerIpVersion = p.ipVersion;
    p.outerAddr.set(p.addr);
    if (p.isFragment) p.fragmentIsOuter = true;
    p.tunnel = TunnelType.Gre;
    p.tunnelId = key;
    p.srcPort = 0;
    p.dstPort = 0;
    switch (type) {
      case ETH_IPV4:
        return this.ipv4(buf, inner, end, p, depth + 1);
      case ETH_IPV6:
        return this.ipv6(buf, inner, end, p, depth + 1);
      case ETH_PPP:
        return this.ppp(buf, inner, end, p, depth + 1);
      case ETH_MPLS_UC:
        return this.mpls(buf, inner, end, p, depth + 1);
      default:
        return this.ethernet(buf, inner, end, p, depth + 1);
    }
  }
}

/** Remembers the fragmented header; an inner one replaces an outer one. */
function markFragment(p: DecodedPacket, id: number, proto: number): void {
  p.isFragment = true;
  p.fragmentIsOuter = false;
  p.fragmentId = id;
  p.fragmentIpVersion = p.ipVersion;
  p.fragmentProtocol = proto;
  p.fragmentAddr.set(p.addr);
}

/**
 * Offset of the inner IP packet of a GTP-U (v1) G-PDU, or -1 when the UDP
 * payload at `o` is not one: other GTP messages (echo, error indication) and
 * non-GTP traffic on port 2152 remain UDP flows.
 */
function gtpUPayload(buf: Uint8Array, o: number, end: number): number {
  if (end - o < 8) return -1;
  const flags = buf[o];
  if (flags >> 5 !== 1 || (flags & 0x10) === 0 || buf[o + 1] !== 0xff) return -1;
  let h = 8;
  if (flags & 0x07) {
    if (end - o < 12) return -1;
    h = 12;
    let next = flags & 0x04 ? buf[o + 11] : 0;
    // Extension headers: length in 4-byte units, next type in the last byte.
    for (let i = 0; next !== 0 && i < MAX_STACK; i++) {
      if (o + h >= end) return -1;
      const len = buf[o + h] << 2;
      if (len === 0 || o + h + len > end) return -1;
      next = buf[o + h + len - 1];
      h += len;
    }
    if (next !== 0) return -1;
  }
  const inner = o + h;
  if (end - inner < 20) return -1;
  const version = buf[inner] >> 4;
  if (version === 4) return (buf[inner] & 0x0f) >= 5 ? inner : -1;
  if (version === 6) return end - inner >= 40 ? inner : -1;
  return -1;
}
