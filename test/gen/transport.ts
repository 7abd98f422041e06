// Transport headers. TCP and UDP (and ICMPv6) leave their checksum at zero:
// ipv4()/ipv6() fill it in from the pseudo-header. ICMP and SCTP checksums do
// not depend on IP addresses and are computed here.

import { cat, crc32c, internetChecksum, padTo, u16, u32, u8 } from './bytes';

/** TCP flags as letters, e.g. 'S', 'SA', 'PA', 'FA', 'R'. */
export type TcpFlagLetters = string;

const TCP_FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20, E: 0x40, C: 0x80 };

export function tcpFlagBits(letters: TcpFlagLetters): number {
  let bits = 0;
  for (const l of letters) {
    const bit = TCP_FLAG_BITS[l];
    if (bit === undefined) throw new Error(`unknown TCP flag ${l}`);
    bits |= bit;
  }
  return bits;
}

export interface TcpOptions {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  flags: TcpFlagLetters;
  window?: number;
  urgent?: number;
  /** Raw TCP options, padded with End-of-Options to 4 bytes. */
  options?: Buffer;
}

export function tcp(opts: TcpOptions, payload: Buffer = Buffer.alloc(0)): Buffer {
  const options = opts.options ? cat(opts.options, padTo(opts.options.length, 4)) : Buffer.alloc(0);
  const dataOffsetWords = (20 + options.length) / 4;
  return cat(
    u16(opts.sport),
    u16(opts.dport),
    u32(opts.seq ?? 0),
    u32(opts.ack ?? 0),
    u8(dataOffsetWords << 4),
    u8(tcpFlagBits(opts.flags)),
    u16(opts.window ?? 65535),
    u16(0), // checksum: filled by the IP layer
    u16(opts.urgent ?? 0),
    options,
    payload,
  );
}

/** Typical SYN options: MSS, SACK permitted, window scale (with NOPs for alignment). */
export function tcpSynOptions(mss = 1460, windowScale = 7): Buffer {
  const MSS = 2;
  const WSCALE = 3;
  const SACK_PERMITTED = 4;
  const NOP = 1;
  return Buffer.from([MSS, 4, mss >> 8, mss & 0xff, NOP, WSCALE, 3, windowScale, NOP, NOP, SACK_PERMITTED, 2]);
}

export function udp(opts: { sport: number; dport: number }, payload: Buffer): Buffer {
  return cat(u16(opts.sport), u16(opts.dport), u16(8 + payload.length), u16(0), payload);
}

const ICMP_ECHO_REPLY = 0;
const ICMP_ECHO_REQUEST = 8;
const ICMPV6_ECHO_REQUEST = 128;
const ICMPV6_ECHO_REPLY = 129;

export interface EchoOptions {
  reply?: boolean;
  id: number;
  seq: number;
}

/** ICMP echo request/reply with its checksum. */
export function icmpEcho(opts: EchoOptions, data: Buffer): Buffer {
  const msg = cat(u8(opts.reply ? ICMP_ECHO_REPLY : ICMP_ECHO_REQUEST), u8(0), u16(0), u16(opts.id), u16(opts.seq), data);
  msg.writeUInt16BE(internetChecksum(msg), 2);
  return msg;
}

/** ICMPv6 echo; its checksum covers the IPv6 pseudo-header and is filled by ipv6(). */
export function icmpv6Echo(opts: EchoOptions, data: Buffer): Buffer {
  return cat(u8(opts.reply ? ICMPV6_ECHO_REPLY : ICMPV6_ECHO_REQUEST), u8(0), u16(0), u16(opts.id), u16(opts.seq), data);
}

export interface SctpDataChunkOptions {
  tsn: number;
  streamId?: number;
  streamSeq?: number;
  /** Payload protocol identifier (e.g. 46 = Diameter, 60 = NGAP). */
  ppid?: number;
  /** Defaults to a complete unordered-off message: B and E bits set. */
  flags?: number;
}

/** SCTP DATA chunk (RFC 9260 3.3.1), padded to 4 bytes; Length excludes the padding. */
export function sctpDataChunk(opts: SctpDataChunkOptions, data: Buffer): Buffer {
  const CHUNK_DATA = 0;
  const BEGINNING_AND_END = 0x03;
  const length = 16 + data.length;
  return cat(
    u8(CHUNK_DATA),
    u8(opts.flags ?? BEGINNING_AND_END),
    u16(length),
    u32(opts.tsn),
    u16(opts.streamId ?? 0),
    u16(opts.streamSeq ?? 0),
    u32(opts.ppid ?? 0),
    data,
    padTo(length, 4),
  );
}

/** SCTP common header with CRC32c over the whole packet. */
export function sctp(opts: { sport: number; dport: number; verificationTag: number }, chunks: Buffer[]): Buffer {
  const packet = cat(u16(opts.sport), u16(opts.dport), u32(opts.verificationTag), u32(0), ...chunks);
  // The CRC32c is transmitted least significant byte first (RFC 9260 appendix A's reference code).
  packet.writeUInt32LE(crc32c(packet), 8);
  return packet;
}
