/**
 * A single-producer, single-consumer ring of captured packets in shared
 * memory: the capture reader thread hands each pipeline worker its packets
 * without a message, a copy into the JavaScript heap, or an allocation.
 *
 * Layout: control words (Int32Array), then the data area (a power of two of
 * bytes). Each record is a 24-byte header, the frame bytes, padding to 8:
 *   u32 capLen | u32 wireLen | f64 tsMicros | u16 linkType | u16 kind | u32 0
 * A record never wraps: when the tail of the area is too short, a marker
 * (capLen = WRAP) says "go on at offset 0". Positions are free-running byte
 * counts (wrapping at 2^32); their difference is the bytes in use.
 */

export const enum RingRecord {
  /** A packet for this worker's flows. */
  Packet = 0,
  /** Another worker's packet that carries signalling: every worker learns the subscribers. */
  Foreign = 1,
  /** Capture time moved on (tsMicros): timeouts run as they would with this worker's packets. */
  Time = 2,
  /** Wall clock on a live link (tsMicros): flows expire and updates flush on a quiet link. */
  Tick = 3,
}

const enum Ctl {
  /** Bytes the producer has published (free-running). */
  Written = 0,
  /** Bytes the consumer has released (free-running). */
  Read = 1,
  /** The producer is done: nothing comes after what is written. */
  Closed = 2,
  /** The consumer stopped: pushes are dropped instead of waiting for room. */
  Abandoned = 3,
  Words = 4,
}

const CTL_BYTES = 64;
const HEADER = 24;
const WRAP = 0xffffffff;
/** How long a producer sleeps at most before looking again at a full ring. */
const FULL_WAIT_MS = 20;

/** What the consumer gets for each record. */
export type RingHandler = (kind: RingRecord, buf: Buffer, off: number, capLen: number, wireLen: number, tsMicros: number, linkType: number) => void;

export class PacketRing {
  readonly shared: SharedArrayBuffer;
  private readonly ctl: Int32Array;
  private readonly u32: Uint32Array;
  private readonly u16: Uint16Array;
  private readonly f64: Float64Array;
  private readonly bytes: Buffer;
  private readonly size: number;
  private readonly mask: number;
  /** The producer's end: bytes written (published or not). */
  private writePos: number;
  /** The consumer's end: bytes read. */
  private readPos: number;
  private unpublished = 0;

  /** A new ring with `dataBytes` (rounded up to a power of two) of packet space. */
  static create(dataBytes: number): PacketRing {
    let size = 1 << 16;
    while (size < dataBytes) size *= 2;
    return new PacketRing(new SharedArrayBuffer(CTL_BYTES + size));
  }

  /** The other end of a ring made by create() (in another thread). */
  constructor(shared: SharedArrayBuffer) {
    this.shared = shared;
    this.size = shared.byteLength - CTL_BYTES;
    this.mask = this.size - 1;
    this.ctl = new Int32Array(shared, 0, Ctl.Words);
    this.u32 = new Uint32Array(shared, CTL_BYTES, this.size >>> 2);
    this.u16 = new Uint16Array(shared, CTL_BYTES, this.size >>> 1);
    this.f64 = new Float64Array(shared, CTL_BYTES, this.size >>> 3);
    this.bytes = Buffer.from(shared, CTL_BYTES, this.size);
    this.writePos = Atomics.load(this.ctl, Ctl.Written);
    this.readPos = Atomics.load(this.ctl, Ctl.Read);
  }

  /** Largest frame a record holds: longer ones are cut (a snap length). */
  get maxCapLen(): number {
    return (this.size >>> 2) - HEADER;
  }

  // ---- producer ----

  /**
   * Appends a record, waiting (blocking this thread) while the ring is full.
   * False when the consumer has stopped: the record is dropped. It becomes
   * visible to the consumer at the next publish() (or every few records).
   */
  push(kind: RingRecord, buf: Uint8Array, off: number, capLen: number, wireLen: number, tsMicros: number, linkType: number): boolean {
    if (capLen > this.maxCapLen) capLen = this.maxCapLen;
    const need = (HEADER + capLen + 7) & ~7;
    let at = this.writePos & this.mask;
    const pad = this.size - at < need ? this.size - at : 0;
    const ctl = this.ctl;
    for (;;) {
      const read = Atomics.load(ctl, Ctl.Read);
      if (this.size - ((this.writePos - read) | 0) >= need + pad) break;
      if (Atomics.load(ctl, Ctl.Abandoned) !== 0) return false;
      // What is written must be visible, or the consumer never makes room.
      this.publish();
      Atomics.wait(ctl, Ctl.Read, read, FULL_WAIT_MS);
    }
    if (pad > 0) {
      this.u32[at >>> 2] = WRAP;
      this.writePos = (this.writePos + pad) | 0;
      at = 0;
    }
    const w = at >>> 2;
    this.u32[w] = capLen;
    this.u32[w + 1] = wireLen;
    this.f64[(at + 8) >>> 3] = tsMicros;
    this.u16[(at + 16) >>> 1] = linkType;
    this.u16[(at + 18) >>> 1] = kind;
    this.u32[w + 5] = 0;
    // A plain view, not buf.subarray(): a Buffer subarray goes through the Buffer constructor.
    if (capLen > 0) this.bytes.set(new Uint8Array(buf.buffer, buf.byteOffset + off, capLen), at + HEADER);
    this.writePos = (this.writePos + need) | 0;
    if (++this.unpublished >= 64) this.publish();
    return true;
  }

  /** Makes every record pushed so far visible to the consumer (and wakes it). */
  publish(): void {
    if (this.unpublished === 0) return;
    this.unpublished = 0;
    Atomics.store(this.ctl, Ctl.Written, this.writePos);
    Atomics.notify(this.ctl, Ctl.Written);
  }

  /** Nothing more comes: the consumer ends once it has read what is there. */
  close(): void {
    this.unpublished = 1;
    this.publish();
    Atomics.store(this.ctl, Ctl.Closed, 1);
    Atomics.notify(this.ctl, Ctl.Written);
  }

  // ---- consumer ----

  /**
   * Hands up to `max` published records to `handler`, then releases their
   * space. Returns how many it handed.
   */
  drain(max: number, handler: RingHandler): number {
    const ctl = this.ctl;
    const written = Atomics.load(ctl, Ctl.Written);
    let r = this.readPos;
    let n = 0;
    while (r !== written && n < max) {
      const at = r & this.mask;
      const w = at >>> 2;
      const capLen = this.u32[w];
      if (capLen === WRAP) {
        r = (r + this.size - at) | 0;
        continue;
      }
      handler(this.u16[(at + 18) >>> 1], this.bytes, at + HEADER, capLen, this.u32[w + 1], this.f64[(at + 8) >>> 3], this.u16[(at + 16) >>> 1]);
      r = (r + ((HEADER + capLen + 7) & ~7)) | 0;
      n++;
    }
    if (r !== this.readPos) {
      this.readPos = r;
      Atomics.store(ctl, Ctl.Read, r);
      Atomics.notify(ctl, Ctl.Read);
    }
    return n;
  }

  /** True once the producer closed the ring and every record was read. */
  get ended(): boolean {
    return Atomics.load(this.ctl, Ctl.Closed) !== 0 && Atomics.load(this.ctl, Ctl.Written) === this.readPos;
  }

  /** Resolves when records may have come (or after `timeoutMs`), without blocking the event loop. */
  async waitForRecords(timeoutMs: number): Promise<void> {
    if (Atomics.load(this.ctl, Ctl.Written) !== this.readPos || Atomics.load(this.ctl, Ctl.Closed) !== 0) return;
    const w = Atomics.waitAsync(this.ctl, Ctl.Written, this.readPos, timeoutMs);
    if (w.async) await w.value;
  }

  /** The consumer stops reading: the producer drops what it would push, and a waiting consumer wakes. */
  abandon(): void {
    Atomics.store(this.ctl, Ctl.Abandoned, 1);
    Atomics.notify(this.ctl, Ctl.Read);
    Atomics.notify(this.ctl, Ctl.Written);
  }
}
