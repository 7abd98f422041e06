import type { PacketSink } from './capture-file';
import { PacketRing, RingRecord } from './packet-ring';

/** Records handed per drain call between checks of the slice's time. */
const DRAIN_RECORDS = 256;
/** How long an empty ring is waited on before stop and flushes are looked at again. */
const IDLE_WAIT_MS = 100;

/** Where a ring's records go (a pipeline worker). */
export interface RingSinks {
  packet: PacketSink;
  /** Another worker's packet, read for its signalling only. */
  foreign: PacketSink;
  /** Capture time moved on. */
  time(tsMicros: number): void;
  /** Wall-clock time on a live link. */
  tick(nowUs: number): void;
}

export interface RingInputHooks {
  /** True while the consumer of this worker's output is behind: reading pauses. */
  busy(): boolean;
  /** At the start of every slice (the consumer's deferred work). */
  sliceStart(): void;
  /** True when the consumer wants the current slice to end now. */
  yieldNow(): boolean;
  /** After each slice (counters). */
  sliceEnd(): void;
}

/**
 * A pipeline worker's input when a distributor thread reads the captures
 * (several workers): the records of its ring, in slices of at most `sliceMs`
 * so the worker's event loop keeps turning, until the ring is closed and
 * read, or stop().
 */
export class RingInput {
  private stopped = false;

  constructor(private readonly ring: PacketRing, private readonly sinks: RingSinks, private readonly hooks: RingInputHooks, private readonly sliceMs: number) {}

  private readonly dispatch = (kind: RingRecord, buf: Buffer, off: number, capLen: number, wireLen: number, tsMicros: number, linkType: number): void => {
    switch (kind) {
      case RingRecord.Packet: this.sinks.packet(buf, off, capLen, wireLen, tsMicros, linkType); break;
      case RingRecord.Foreign: this.sinks.foreign(buf, off, capLen, wireLen, tsMicros, linkType); break;
      case RingRecord.Time: this.sinks.time(tsMicros); break;
      case RingRecord.Tick: this.sinks.tick(tsMicros); break;
    }
  };

  /** Resolves at the end of the ring, or soon after stop(). */
  async run(): Promise<void> {
    const ring = this.ring;
    const hooks = this.hooks;
    while (!this.stopped) {
      if (hooks.busy()) {
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      hooks.sliceStart();
      const started = Date.now();
      let n = 0;
      do n = ring.drain(DRAIN_RECORDS, this.dispatch);
      while (n > 0 && Date.now() - started < this.sliceMs && !hooks.yieldNow());
      hooks.sliceEnd();
      if (n > 0) {
        await new Promise((r) => setImmediate(r));
      } else {
        if (ring.ended) return;
        await ring.waitForRecords(IDLE_WAIT_MS);
      }
    }
  }

  /** Stops reading: the distributor drops what it would give this worker. */
  stop(): void {
    this.stopped = true;
    this.ring.abandon();
  }
}
