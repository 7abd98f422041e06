// Tunnel headers carried over IP or UDP: GRE (RFC 2784/2890), VXLAN (RFC 7348)
// and GTP-U v1 (3GPP TS 29.281). Each returns the tunnel header plus payload;
// the caller wraps it in IP or UDP with the well-known protocol/port.

import { cat, internetChecksum, u16, u32, u8 } from './bytes';
import { etherTypeOfIp } from './link';

export const UdpPort = { DNS: 53, RADIUS_AUTH: 1812, RADIUS_ACCT: 1813, GTPC: 2123, GTPU: 2152, VXLAN: 4789 } as const;

export interface GreOptions {
  /** Add the optional checksum (C bit). */
  checksum?: boolean;
  /** RFC 2890 key (K bit). */
  key?: number;
  /** RFC 2890 sequence number (S bit). */
  sequence?: number;
  /** Payload EtherType; inferred for IP. Use EtherType.TEB for Ethernet frames. */
  protocol?: number;
}

export function gre(opts: GreOptions, payload: Buffer): Buffer {
  const C = 0x8000;
  const K = 0x2000;
  const S = 0x1000;
  const flags = (opts.checksum ? C : 0) | (opts.key !== undefined ? K : 0) | (opts.sequence !== undefined ? S : 0);
  const header = cat(
    u16(flags), // version 0
    u16(opts.protocol ?? etherTypeOfIp(payload)),
    opts.checksum ? cat(u16(0), u16(0)) : Buffer.alloc(0), // checksum + reserved1
    opts.key !== undefined ? u32(opts.key) : Buffer.alloc(0),
    opts.sequence !== undefined ? u32(opts.sequence) : Buffer.alloc(0),
  );
  const packet = cat(header, payload);
  if (opts.checksum) packet.writeUInt16BE(internetChecksum(packet), 4);
  return packet;
}

/** VXLAN header (8 bytes, I flag set) before an inner Ethernet frame; goes in UDP port 4789. */
export function vxlan(opts: { vni: number }, innerFrame: Buffer): Buffer {
  const VALID_VNI = 0x08;
  return cat(u8(VALID_VNI), Buffer.alloc(3), u32((opts.vni & 0xffffff) << 8), innerFrame);
}

export interface GtpuExtension {
  /** Type of this extension header (the preceding "next extension header type" value). */
  type: number;
  /** Content without the length byte and the next-type byte; length+2 must be a multiple of 4. */
  content: Buffer;
}

export const GtpuExtensionType = { UDP_PORT: 0x40, PDU_SESSION_CONTAINER: 0x85 } as const;

/** PDU Session Container (TS 38.415): DL (type 0) or UL (type 1) PDU session information with a QFI. */
export function pduSessionContainer(opts: { direction: 'dl' | 'ul'; qfi: number }): GtpuExtension {
  const pduType = opts.direction === 'dl' ? 0 : 1;
  return { type: GtpuExtensionType.PDU_SESSION_CONTAINER, content: Buffer.from([pduType << 4, opts.qfi & 0x3f]) };
}

/** UDP Port extension (TS 29.281 5.2.2.1): the source port of a triggering message. */
export function udpPortExtension(port: number): GtpuExtension {
  return { type: GtpuExtensionType.UDP_PORT, content: u16(port) };
}

export interface GtpuOptions {
  teid: number;
  /** Message type; 0xff = G-PDU (user data). */
  messageType?: number;
  sequence?: number;
  npdu?: number;
  extensions?: readonly GtpuExtension[];
}

export const GTPU_G_PDU = 0xff;

/** GTP-U v1 header; goes in UDP port 2152. */
export function gtpu(opts: GtpuOptions, payload: Buffer): Buffer {
  const exts = opts.extensions ?? [];
  const E = exts.length > 0 ? 0x04 : 0;
  const S = opts.sequence !== undefined ? 0x02 : 0;
  const PN = opts.npdu !== undefined ? 0x01 : 0;
  const VERSION1_PT_GTP = 0x30;
  // The 4 optional bytes are present as soon as any of E, S, PN is set (TS 29.281 5.1).
  const optional =
    E | S | PN ? cat(u16(opts.sequence ?? 0), u8(opts.npdu ?? 0), u8(exts.length > 0 ? exts[0].type : 0)) : Buffer.alloc(0);
  const extBytes = exts.map((ext, i) => {
    const total = ext.content.length + 2;
    if (total % 4 !== 0) throw new Error(`GTP-U extension 0x${ext.type.toString(16)} length must be 4n-2`);
    const nextType = i + 1 < exts.length ? exts[i + 1].type : 0;
    return cat(u8(total / 4), ext.content, u8(nextType));
  });
  const body = cat(optional, ...extBytes, payload);
  return cat(u8(VERSION1_PT_GTP | E | S | PN), u8(opts.messageType ?? GTPU_G_PDU), u16(body.length), u32(opts.teid), body);
}
