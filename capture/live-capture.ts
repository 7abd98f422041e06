import * as path from 'node:path';
import type { PacketSink } from './capture-file';

/**
 * Live capture on one interface through libpcap (native/pcap_live.c): the
 * interface is opened at once (a missing interface, missing permission or a
 * bad filter is an error before any work), packets arrive in batches with
 * libpcap's timestamps, and pcap_stats() gives what the kernel received and
 * dropped.
 */

export interface LiveOptions {
  /** Bytes kept of each packet. */
  snaplen: number;
  promisc: boolean;
  /** libpcap's kernel buffer, in bytes. */
  bufferBytes: number;
  /** BPF expression, '' for everything. */
  filter: string;
}

export interface LiveStats {
  received: number;
  dropped: number;
  ifDropped: number;
}

interface PcapBinding {
  open(device: string, snaplen: number, promisc: boolean, bufferBytes: number, filter: string): unknown;
  linkType(handle: unknown): number;
  start(handle: unknown, buffer: Buffer, onBatch: (bytes: number, count: number) => void): void;
  stats(handle: unknown): [number, number, number];
  close(handle: unknown): void;
  devices(): string[];
  version(): string;
}

export class LiveCaptureError extends Error {}

let binding: PcapBinding | null = null;

function pcap(): PcapBinding {
  if (binding !== null) return binding;
  // From dist/capture/ (compiled) or capture/ (sources) alike: the repository's native/ folder.
  const candidates = [path.resolve(__dirname, '..', '..', 'native'), path.resolve(__dirname, '..', 'native')];
  for (const dir of candidates) {
    try {
      binding = require(path.join(dir, 'build', 'Release', 'pcap_live.node')) as PcapBinding;
      return binding;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw new LiveCaptureError(`live capture module: ${(err as Error).message}`);
    }
  }
  throw new LiveCaptureError('live capture is not built: install libpcap-dev and run `make build`');
}

/** libpcap's version string, or null when the live capture module is not built. */
export function libpcapVersion(): string | null {
  try {
    return pcap().version();
  } catch {
    return null;
  }
}

/** Batch buffer: many packets per call into JS. */
const BATCH_BYTES = 4 << 20;

export class LiveCapture {
  readonly linkType: number;
  private closed = false;
  private readonly buffer: Buffer;
  /** The counts at close, kept for the final statistics. */
  private last: LiveStats = { received: 0, dropped: 0, ifDropped: 0 };

  private constructor(readonly device: string, private readonly handle: unknown, opts: LiveOptions) {
    this.linkType = pcap().linkType(handle);
    this.buffer = Buffer.alloc(Math.max(BATCH_BYTES, opts.snaplen + 64));
  }

  static open(device: string, opts: LiveOptions): LiveCapture {
    const lib = pcap();
    try {
      return new LiveCapture(device, lib.open(device, opts.snaplen, opts.promisc, opts.bufferBytes, opts.filter), opts);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      switch (e.code) {
        case 'ENODEV':
          throw new LiveCaptureError(`--interface ${device}: no such interface (there are: ${lib.devices().join(', ')})`);
        case 'EPERM':
          throw new LiveCaptureError(`--interface ${device}: permission denied (live capture needs root or CAP_NET_RAW and CAP_NET_ADMIN): ${e.message}`);
        case 'EFILTER':
          throw new LiveCaptureError(`--bpf "${opts.filter}": ${e.message}`);
        default:
          throw new LiveCaptureError(`--interface ${device}: ${e.message}`);
      }
    }
  }

  /**
   * Packets go to `sink` as they arrive; `afterBatch` runs after each batch
   * (the caller's deferred work). Until close().
   */
  start(sink: PacketSink, afterBatch: () => void): void {
    const buf = this.buffer;
    const link = this.linkType;
    pcap().start(this.handle, buf, (bytes: number) => {
      let p = 0;
      while (p + 16 <= bytes) {
        const tsUs = buf.readUInt32LE(p) * 1e6 + buf.readUInt32LE(p + 4);
        const capLen = buf.readUInt32LE(p + 8);
        const wireLen = buf.readUInt32LE(p + 12);
        sink(buf, p + 16, capLen, wireLen, tsUs, link);
        p += 16 + ((capLen + 3) & ~3);
      }
      afterBatch();
    });
  }

  stats(): LiveStats {
    if (this.closed) return this.last;
    const [received, dropped, ifDropped] = pcap().stats(this.handle);
    this.last = { received, dropped, ifDropped };
    return this.last;
  }

  close(): void {
    if (this.closed) return;
    this.stats();
    this.closed = true;
    pcap().close(this.handle);
  }
}
