import * as fs from 'node:fs';

/**
 * Streaming reader for classic pcap (µs and ns, either byte order) and pcapng
 * (any number of sections, interfaces and link types, either byte order).
 *
 * The file is read in large chunks into one buffer and packets are handed to
 * the sink as offsets into it, so files larger than memory work and nothing
 * is allocated per packet. A damaged record stops the file with a message
 * naming the byte offset; everything read before it has been delivered.
 */

/** Receives one packet: bytes are valid only during the call. */
export type PacketSink = (buf: Buffer, off: number, capLen: number, wireLen: number, tsMicros: number, linkType: number) => void;

export class CaptureError extends Error {}

/** Largest frame any link carries (GSO/TSO super-frames stay under 64 KiB; jumbo under 16 KiB). */
const MAX_WIRE_LENGTH = 256 << 10;

/**
 * The on-wire length a record claims, unless it is impossible (smaller than
 * what was captured, or larger than any link carries, as fuzzed files do):
 * then the captured length, so byte counters stay truthful.
 */
function plausibleWireLength(capLen: number, wireLen: number): number {
  return wireLen < capLen || wireLen > MAX_WIRE_LENGTH ? capLen : wireLen;
}

const CHUNK = 8 << 20;
/** A record larger than this is corrupt, whatever the snap length claims. */
const MAX_RECORD = 64 << 20;
/** Records above max(snaplen, this) are treated as corrupt in classic pcap. */
const MAX_CLASSIC_RECORD = 256 << 10;

const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER = 0x1a2b3c4d;

interface PcapngInterface {
  linkType: number;
  /** Multiplies a raw timestamp to microseconds. */
  toMicros: number;
  /** Seconds added to every timestamp (if_tsoffset). */
  offsetMicros: number;
  snapLen: number;
}

export class CaptureFile {
  readonly format: 'pcap' | 'pcapng';
  /** Bytes consumed so far, for progress reporting. */
  position = 0;
  readonly size: number;
  /** Set once the file stopped early because of damage. */
  damage: string | null = null;
  /** Link types seen in this file (pcapng can mix several). */
  readonly linkTypes = new Set<number>();

  private readonly fd: number;
  private buf = Buffer.allocUnsafe(CHUNK);
  private start = 0; // first unconsumed byte in buf
  private end = 0; // end of valid data in buf
  private eof = false;
  private done = false;

  // classic pcap
  private le = true;
  private nanos = false;
  private classicLinkType = 0;
  private snapLen = 0;

  // pcapng
  private interfaces: PcapngInterface[] = [];

  private constructor(readonly path: string, fd: number, size: number, format: 'pcap' | 'pcapng') {
    this.fd = fd;
    this.size = size;
    this.format = format;
  }

  /** Opens a capture; throws CaptureError with a one-line message if it is not one. */
  static open(path: string): CaptureFile {
    let fd: number;
    try {
      fd = fs.openSync(path, 'r');
    } catch (err) {
      throw new CaptureError(`${path}: cannot open (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) throw new CaptureError(`${path}: not a regular file`);
      const head = Buffer.alloc(24);
      const n = fs.readSync(fd, head, 0, 24, 0);
      if (n < 4) throw new CaptureError(`${path}: not a pcap or pcapng file (${n} bytes)`);
      const magicBE = head.readUInt32BE(0);
      const format = magicBE === PCAPNG_SHB ? 'pcapng' : 'pcap';
      const file = new CaptureFile(path, fd, st.size, format);
      if (format === 'pcap') file.parseClassicHeader(head, n);
      return file;
    } catch (err) {
      fs.closeSync(fd);
      if (err instanceof CaptureError) throw err;
      throw new CaptureError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }

  private parseClassicHeader(head: Buffer, n: number): void {
    const magic = head.readUInt32LE(0);
    switch (magic) {
      case 0xa1b2c3d4: this.le = true; this.nanos = false; break;
      case 0xa1b23c4d: this.le = true; this.nanos = true; break;
      case 0xd4c3b2a1: this.le = false; this.nanos = false; break;
      case 0x4d3cb2a1: this.le = false; this.nanos = true; break;
      default:
        throw new CaptureError(`${this.path}: not a pcap or pcapng file (magic 0x${head.readUInt32BE(0).toString(16).padStart(8, '0')})`);
    }
    if (n < 24) throw new CaptureError(`${this.path}: truncated pcap file header (${n} of 24 bytes)`);
    this.snapLen = this.le ? head.readUInt32LE(16) : head.readUInt32BE(16);
    // The upper bits of the link-type field carry FCS information (pcap spec).
    this.classicLinkType = (this.le ? head.readUInt32LE(20) : head.readUInt32BE(20)) & 0x0fffffff;
    this.linkTypes.add(this.classicLinkType);
    this.start = this.end = 0;
    this.position = 24;
    this.fileOffset = 24;
  }

  /** File offset of buf[end]. */
  private fileOffset = 0;

  /** Makes at least `need` bytes available from `start`; false at end of file. */
  private ensure(need: number): boolean {
    if (this.end - this.start >= need) return true;
    if (this.eof) return false;
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(bigger, 0, this.start, this.end);
      this.buf = bigger;
    } else if (this.start > 0) {
      this.buf.copy(this.buf, 0, this.start, this.end);
    }
    this.end -= this.start;
    this.start = 0;
    while (this.end < need && !this.eof) {
      const n = fs.readSync(this.fd, this.buf, this.end, this.buf.length - this.end, this.fileOffset);
      if (n === 0) this.eof = true;
      this.end += n;
      this.fileOffset += n;
    }
    return this.end - this.start >= need;
  }

  /** File offset of the byte at buf[start]. */
  private get consumedOffset(): number {
    return this.fileOffset - (this.end - this.start);
  }

  /**
   * Delivers up to `maxPackets` packets to the sink. Returns false once the
   * file is exhausted (or stopped by damage, see `damage`).
   */
  read(maxPackets: number, sink: PacketSink): boolean {
    if (this.done) return false;
    const more = this.format === 'pcap' ? this.readClassic(maxPackets, sink) : this.readPcapng(maxPackets, sink);
    this.position = this.consumedOffset;
    if (!more) this.done = true;
    return more;
  }

  private stop(message: string): false {
    this.damage = `${this.path}: ${message}`;
    return false;
  }

  private readClassic(maxPackets: number, sink: PacketSink): boolean {
    const le = this.le;
    const limit = Math.max(this.snapLen, MAX_CLASSIC_RECORD);
    for (let i = 0; i < maxPackets; i++) {
      if (!this.ensure(16)) {
        if (this.end > this.start) return this.stop(`truncated packet header at byte offset ${this.consumedOffset} (file ends inside it)`);
        return false;
      }
      const b = this.buf;
      const s = this.start;
      const sec = le ? b.readUInt32LE(s) : b.readUInt32BE(s);
      const frac = le ? b.readUInt32LE(s + 4) : b.readUInt32BE(s + 4);
      const capLen = le ? b.readUInt32LE(s + 8) : b.readUInt32BE(s + 8);
      const wireLen = le ? b.readUInt32LE(s + 12) : b.readUInt32BE(s + 12);
      if (capLen > limit || capLen > MAX_RECORD) {
        return this.stop(`corrupt packet record at byte offset ${this.consumedOffset} (captured length ${capLen} exceeds ${limit})`);
      }
      if (!this.ensure(16 + capLen)) {
        return this.stop(`truncated packet record at byte offset ${this.consumedOffset} (file ends inside it)`);
      }
      const ts = sec * 1e6 + (this.nanos ? frac / 1000 : frac);
      this.start += 16 + capLen;
      sink(this.buf, this.start - capLen, capLen, plausibleWireLength(capLen, wireLen), ts, this.classicLinkType);
    }
    return true;
  }

  private readPcapng(maxPackets: number, sink: PacketSink): boolean {
    let delivered = 0;
    while (delivered < maxPackets) {
      if (!this.ensure(12)) {
        if (this.end > this.start) return this.stop(`truncated block header at byte offset ${this.consumedOffset} (file ends inside it)`);
        return false;
      }
      const b = this.buf;
      const s = this.start;
      const typeLE = b.readUInt32LE(s);
      if (typeLE === PCAPNG_SHB) {
        // A new section: byte order and interfaces start over.
        const bom = b.readUInt32LE(s + 8);
        if (bom === PCAPNG_BYTE_ORDER) this.le = true;
        else if (bom === 0x4d3c2b1a) this.le = false;
        else return this.stop(`corrupt section header at byte offset ${this.consumedOffset} (bad byte-order magic)`);
        this.interfaces = [];
      }
      const le = this.le;
      const type = le ? typeLE : b.readUInt32BE(s);
      const len = le ? b.readUInt32LE(s + 4) : b.readUInt32BE(s + 4);
      if (len < 12 || len % 4 !== 0 || len > MAX_RECORD) {
        return this.stop(`corrupt block at byte offset ${this.consumedOffset} (block length ${len})`);
      }
      if (!this.ensure(len)) return this.stop(`truncated block at byte offset ${this.consumedOffset} (file ends inside it)`);
      const blk = this.start;
      const trailer = le ? this.buf.readUInt32LE(blk + len - 4) : this.buf.readUInt32BE(blk + len - 4);
      if (trailer !== len) return this.stop(`corrupt block at byte offset ${this.consumedOffset} (trailing length ${trailer} != ${len})`);
      this.start += len;
      switch (type) {
        case 1: // Interface Description Block
          if (len < 20) return this.stop(`corrupt interface block at byte offset ${this.consumedOffset - len}`);
          this.interfaces.push(this.parseInterface(blk, len));
          break;
        case 6: { // Enhanced Packet Block
          if (len < 32) return this.stop(`corrupt packet block at byte offset ${this.consumedOffset - len}`);
          const bb = this.buf;
          const ifId = le ? bb.readUInt32LE(blk + 8) : bb.readUInt32BE(blk + 8);
          const hi = le ? bb.readUInt32LE(blk + 12) : bb.readUInt32BE(blk + 12);
          const lo = le ? bb.readUInt32LE(blk + 16) : bb.readUInt32BE(blk + 16);
          const capLen = le ? bb.readUInt32LE(blk + 20) : bb.readUInt32BE(blk + 20);
          const wireLen = le ? bb.readUInt32LE(blk + 24) : bb.readUInt32BE(blk + 24);
          const iface = this.interfaces[ifId];
          if (iface === undefined) return this.stop(`packet block at byte offset ${this.consumedOffset - len} names undefined interface ${ifId}`);
          if (28 + capLen > len - 4) return this.stop(`corrupt packet block at byte offset ${this.consumedOffset - len} (captured length ${capLen})`);
          const ts = (hi * 4294967296 + lo) * iface.toMicros + iface.offsetMicros;
          sink(bb, blk + 28, capLen, plausibleWireLength(capLen, wireLen), ts, iface.linkType);
          delivered++;
          break;
        }
        case 3: { // Simple Packet Block: interface 0, no timestamp
          const iface = this.interfaces[0];
          if (iface === undefined) return this.stop(`simple packet block at byte offset ${this.consumedOffset - len} before any interface`);
          const wireLen = le ? this.buf.readUInt32LE(blk + 8) : this.buf.readUInt32BE(blk + 8);
          let capLen = len - 16;
          if (wireLen < capLen) capLen = wireLen;
          if (iface.snapLen > 0 && iface.snapLen < capLen) capLen = iface.snapLen;
          sink(this.buf, blk + 12, capLen, wireLen, 0, iface.linkType);
          delivered++;
          break;
        }
        case 2: { // obsolete Packet Block
          if (len < 32) return this.stop(`corrupt packet block at byte offset ${this.consumedOffset - len}`);
          const bb = this.buf;
          const ifId = le ? bb.readUInt16LE(blk + 8) : bb.readUInt16BE(blk + 8);
          const hi = le ? bb.readUInt32LE(blk + 12) : bb.readUInt32BE(blk + 12);
          const lo = le ? bb.readUInt32LE(blk + 16) : bb.readUInt32BE(blk + 16);
          const capLen = le ? bb.readUInt32LE(blk + 20) : bb.readUInt32BE(blk + 20);
          const wireLen = le ? bb.readUInt32LE(blk + 24) : bb.readUInt32BE(blk + 24);
          const iface = this.interfaces[ifId];
          if (iface === undefined || 28 + capLen > len - 4) return this.stop(`corrupt packet block at byte offset ${this.consumedOffset - len}`);
          sink(bb, blk + 28, capLen, plausibleWireLength(capLen, wireLen), (hi * 4294967296 + lo) * iface.toMicros + iface.offsetMicros, iface.linkType);
          delivered++;
          break;
        }
        default:
          // Section header, name resolution, statistics, custom blocks: nothing to count.
          break;
      }
    }
    return true;
  }

  private parseInterface(blk: number, len: number): PcapngInterface {
    const b = this.buf;
    const le = this.le;
    const linkType = le ? b.readUInt16LE(blk + 8) : b.readUInt16BE(blk + 8);
    const snapLen = le ? b.readUInt32LE(blk + 12) : b.readUInt32BE(blk + 12);
    let toMicros = 1; // default resolution: microseconds
    let offsetMicros = 0;
    let o = blk + 16;
    const end = blk + len - 4;
    while (o + 4 <= end) {
      const code = le ? b.readUInt16LE(o) : b.readUInt16BE(o);
      const olen = le ? b.readUInt16LE(o + 2) : b.readUInt16BE(o + 2);
      if (code === 0 || o + 4 + olen > end) break;
      if (code === 9 && olen >= 1) {
        // if_tsresol: power of ten, or of two when the top bit is set
        const r = b[o + 4];
        const unitsPerSecond = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
        toMicros = 1e6 / unitsPerSecond;
      } else if (code === 14 && olen >= 8) {
        const hi = le ? b.readInt32LE(o + 8) : b.readInt32BE(o + 4);
        const lo = le ? b.readUInt32LE(o + 4) : b.readUInt32BE(o + 8);
        offsetMicros = (hi * 4294967296 + lo) * 1e6;
      }
      o += 4 + ((olen + 3) & ~3);
    }
    this.linkTypes.add(linkType);
    return { linkType, toMicros, offsetMicros, snapLen };
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}
