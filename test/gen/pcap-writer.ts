// Capture-file writers: classic libpcap and pcapng, in either byte order, so
// the probe's reader is tested against every variant it may meet in the field.
// Timestamps are always carried as bigint nanoseconds since the Unix epoch and
// reduced to the file's resolution when written.

import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Endian = 'le' | 'be';

/** Link-layer header types (https://www.tcpdump.org/linktypes.html). */
export const LinkType = {
  NULL: 0, // BSD loopback: 4-byte address family in the writer's host order
  ETHERNET: 1,
  RAW: 101, // raw IPv4 or IPv6, version from the first nibble
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export interface PacketRecord {
  /** Nanoseconds since the epoch. */
  timeNs: bigint;
  /** Bytes on the wire; the writer truncates to the snaplen. */
  data: Buffer;
  /** Length on the wire if larger than `data` (a capture cut by a snaplen). */
  origLen?: number;
  /** pcapng interface id (index of the Interface Description Block); 0 if absent. */
  interfaceId?: number;
}

export function nsFromMicros(us: number | bigint): bigint {
  return BigInt(us) * 1000n;
}

export function nsFromIso(iso: string): bigint {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad date: ${iso}`);
  return BigInt(ms) * 1_000_000n;
}

/** A writable view with the file's byte order chosen once. */
class OrderedWriter {
  constructor(private readonly endian: Endian) {}

  u16(v: number): Buffer {
    const b = Buffer.alloc(2);
    if (this.endian === 'le') b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    return b;
  }

  u32(v: number): Buffer {
    const b = Buffer.alloc(4);
    if (this.endian === 'le') b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    return b;
  }

  i32(v: number): Buffer {
    const b = Buffer.alloc(4);
    if (this.endian === 'le') b.writeInt32LE(v);
    else b.writeInt32BE(v);
    return b;
  }

  i64(v: bigint): Buffer {
    const b = Buffer.alloc(8);
    if (this.endian === 'le') b.writeBigInt64LE(v);
    else b.writeBigInt64BE(v);
    return b;
  }
}

// ---------------------------------------------------------------- classic pcap

export interface PcapOptions {
  linkType: number;
  /** 'us' uses magic 0xa1b2c3d4, 'ns' uses 0xa1b23c4d. */
  resolution?: 'us' | 'ns';
  endian?: Endian;
  snaplen?: number;
}

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const DEFAULT_SNAPLEN = 262144; // what tcpdump uses today

export function pcapFileHeader(opts: PcapOptions): Buffer {
  const w = new OrderedWriter(opts.endian ?? 'le');
  return Buffer.concat([
    w.u32(opts.resolution === 'ns' ? PCAP_MAGIC_NS : PCAP_MAGIC_US),
    w.u16(2), // version 2.4
    w.u16(4),
    w.i32(0), // thiszone: always 0 in practice
    w.u32(0), // sigfigs
    w.u32(opts.snaplen ?? DEFAULT_SNAPLEN),
    w.u32(opts.linkType),
  ]);
}

export function pcapRecord(rec: PacketRecord, opts: PcapOptions): Buffer {
  const w = new OrderedWriter(opts.endian ?? 'le');
  const snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
  const data = rec.data.subarray(0, Math.min(rec.data.length, snaplen));
  const origLen = Math.max(rec.origLen ?? rec.data.length, rec.data.length);
  const perSecond = opts.resolution === 'ns' ? 1_000_000_000n : 1_000_000n;
  const ticks = opts.resolution === 'ns' ? rec.timeNs : rec.timeNs / 1000n;
  return Buffer.concat([
    w.u32(Number(ticks / perSecond)),
    w.u32(Number(ticks % perSecond)),
    w.u32(data.length),
    w.u32(origLen),
    data,
  ]);
}

export function writePcap(records: readonly PacketRecord[], opts: PcapOptions): Buffer {
  return Buffer.concat([pcapFileHeader(opts), ...records.map((r) => pcapRecord(r, opts))]);
}

// ---------------------------------------------------------------------- pcapng

export interface PcapngInterface {
  linkType: number;
  snaplen?: number;
  /** if_tsresol as a power of ten: 6 = microseconds (the default), 9 = nanoseconds. */
  tsresol?: number;
  name?: string;
}

/** Anything that may appear in a section after the IDBs, in order. */
export type PcapngItem =
  | { kind: 'packet'; record: PacketRecord } // Enhanced Packet Block
  | { kind: 'simple'; data: Buffer; origLen?: number } // Simple Packet Block (interface 0, no timestamp)
  | { kind: 'raw'; blockType: number; body: Buffer }; // any other block, e.g. an unknown type

export interface PcapngOptions {
  endian?: Endian;
  interfaces: readonly PcapngInterface[];
  /** Section Header Block options, e.g. shb_userappl. */
  application?: string;
}

const BLOCK_SHB = 0x0a0d0d0a;
const BLOCK_IDB = 0x00000001;
const BLOCK_SPB = 0x00000003;
const BLOCK_EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const OPT_IF_NAME = 2;
const OPT_IF_TSRESOL = 9;
const OPT_SHB_USERAPPL = 4;

function pad4(b: Buffer): Buffer {
  return Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
}

function pcapngOptions(w: OrderedWriter, opts: Array<[number, Buffer]>): Buffer {
  if (opts.length === 0) return Buffer.alloc(0);
  const parts = opts.map(([code, value]) => Buffer.concat([w.u16(code), w.u16(value.length), pad4(value)]));
  return Buffer.concat([...parts, w.u16(OPT_ENDOFOPT), w.u16(0)]);
}

/** Every block: type, total length, body (padded), total length again. */
export function pcapngBlock(endian: Endian, blockType: number, body: Buffer): Buffer {
  const w = new OrderedWriter(endian);
  const padded = pad4(body);
  const total = 12 + padded.length;
  return Buffer.concat([w.u32(blockType), w.u32(total), padded, w.u32(total)]);
}

function sectionHeader(w: OrderedWriter, endian: Endian, application?: string): Buffer {
  const options = application ? pcapngOptions(w, [[OPT_SHB_USERAPPL, Buffer.from(application)]]) : Buffer.alloc(0);
  const body = Buffer.concat([w.u32(BYTE_ORDER_MAGIC), w.u16(1), w.u16(0), w.i64(-1n), options]);
  return pcapngBlock(endian, BLOCK_SHB, body);
}

function interfaceDescription(w: OrderedWriter, endian: Endian, iface: PcapngInterface): Buffer {
  const opts: Array<[number, Buffer]> = [];
  if (iface.name) opts.push([OPT_IF_NAME, Buffer.from(iface.name)]);
  if (iface.tsresol !== undefined) opts.push([OPT_IF_TSRESOL, Buffer.from([iface.tsresol])]);
  const body = Buffer.concat([w.u16(iface.linkType), w.u16(0), w.u32(iface.snaplen ?? 0), pcapngOptions(w, opts)]);
  return pcapngBlock(endian, BLOCK_IDB, body);
}

function enhancedPacket(w: OrderedWriter, endian: Endian, rec: PacketRecord, ifaces: readonly PcapngInterface[]): Buffer {
  const id = rec.interfaceId ?? 0;
  const iface = ifaces[id];
  if (!iface) throw new Error(`packet refers to missing interface ${id}`);
  const snaplen = iface.snaplen || Infinity; // 0 means "no limit" in pcapng
  const data = rec.data.subarray(0, Math.min(rec.data.length, snaplen));
  const origLen = Math.max(rec.origLen ?? rec.data.length, rec.data.length);
  const resol = iface.tsresol ?? 6;
  // Ticks of 10^-resol seconds; from nanoseconds: scale by 10^(resol-9).
  const ticks = resol >= 9 ? rec.timeNs * 10n ** BigInt(resol - 9) : rec.timeNs / 10n ** BigInt(9 - resol);
  const body = Buffer.concat([
    w.u32(id),
    w.u32(Number(ticks >> 32n)),
    w.u32(Number(ticks & 0xffffffffn)),
    w.u32(data.length),
    w.u32(origLen),
    pad4(data),
  ]);
  return pcapngBlock(endian, BLOCK_EPB, body);
}

function simplePacket(w: OrderedWriter, endian: Endian, data: Buffer, origLen: number | undefined, iface0: PcapngInterface): Buffer {
  // An SPB has no captured-length field: readers take min(original length, snaplen of interface 0).
  const snaplen = iface0.snaplen || Infinity;
  const orig = Math.max(origLen ?? data.length, data.length);
  const captured = data.subarray(0, Math.min(orig, snaplen));
  return pcapngBlock(endian, BLOCK_SPB, Buffer.concat([w.u32(orig), pad4(captured)]));
}

export function writePcapng(items: readonly PcapngItem[], opts: PcapngOptions): Buffer {
  const endian = opts.endian ?? 'le';
  const w = new OrderedWriter(endian);
  if (opts.interfaces.length === 0) throw new Error('pcapng needs at least one interface');
  const blocks = [sectionHeader(w, endian, opts.application), ...opts.interfaces.map((i) => interfaceDescription(w, endian, i))];
  for (const item of items) {
    if (item.kind === 'packet') blocks.push(enhancedPacket(w, endian, item.record, opts.interfaces));
    else if (item.kind === 'simple') blocks.push(simplePacket(w, endian, item.data, item.origLen, opts.interfaces[0]));
    else blocks.push(pcapngBlock(endian, item.blockType, item.body));
  }
  return Buffer.concat(blocks);
}

/** Convenience: records only, as Enhanced Packet Blocks. */
export function writePcapngPackets(records: readonly PacketRecord[], opts: PcapngOptions): Buffer {
  return writePcapng(records.map((record) => ({ kind: 'packet', record })), opts);
}

export function writeCaptureFile(path: string, contents: Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, contents);
}
