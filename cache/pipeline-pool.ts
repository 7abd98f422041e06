import type { KbBatch } from './kb-updates';
import type { RemoteUser } from '../dissectors/subscriber-directory';
import type { PipelineJobConfig } from './pipeline-job';
import { PipelineThread } from './pipeline-thread';
import { CaptureReaderThread } from './capture-reader-thread';
import { PacketRing } from '../capture/packet-ring';
import { Counter, newCounterArray } from './pipeline-counters';
import type { FlowRecord } from '../export/flow-record';
import { FlowOutputs } from '../export/flow-outputs';

export interface PipelinePoolHooks {
  /** A knowledge-base batch from any worker; call `applied(n)` as ops reach the store, in the order given. */
  batch(batch: KbBatch): void;
  warn(message: string): void;
  fileDamaged(message: string): void;
  ask?(query: string): void;
}

/**
 * Counters every worker keeps in full, because every worker reads all the
 * signalling: the first worker's value is the probe's.
 */
const FIRST_WORKER_ONLY: readonly Counter[] = [
  Counter.RadiusMessages, Counter.RadiusMalformed, Counter.GtpcMessages, Counter.GtpcMalformed,
  Counter.Users, Counter.UserConnects, Counter.UserDisconnects,
];

/** Counters of the capture reader thread. */
const READER_COUNTERS: readonly Counter[] = [Counter.BytesRead, Counter.PcapReceived, Counter.PcapDropped, Counter.PcapIfDropped];

/**
 * Packet space between the reader and each worker: enough for the reader to
 * stay a few read batches ahead (a full ring makes it wait).
 */
const RING_BYTES = 8 << 20;

/** How often the merged counters are refreshed (INFO probe, stats.*). */
const MERGE_MS = 50;

/**
 * Several pipeline workers (`--workers N`, N > 1) that split the traffic by
 * a symmetric hash of the address pair. One capture reader thread reads the
 * files or interfaces once and deals each packet to its worker through
 * shared-memory rings (packet-distributor.ts); signalling goes to every
 * worker, so each knows every subscriber, and the first alone writes the
 * subscriber keys and events. Knowledge-base updates from all merge in the
 * one store (host counters are increments: they add up). Finished records
 * come here and go to one JSON-lines file and one exporter.
 */
export class PipelinePool {
  readonly counters = newCounterArray();
  private readonly threads: PipelineThread[];
  private readonly reader: CaptureReaderThread;
  /** Which worker each batch given to the store came from, and its ops: applied(n) credits them in order. */
  private readonly credit: { worker: number; ops: number }[] = [];
  private readonly outputs: FlowOutputs;
  private readonly timer: NodeJS.Timeout;

  constructor(job: PipelineJobConfig, count: number, hooks: PipelinePoolHooks) {
    const outputs = new FlowOutputs(job.flowsOut, job.flowExport, hooks.warn);
    this.outputs = outputs;
    const records = (rs: FlowRecord[]): void => {
      for (const r of rs) outputs.write(r);
    };
    this.threads = [];
    const rings: PacketRing[] = [];
    for (let index = 0; index < count; index++) {
      const ring = PacketRing.create(RING_BYTES);
      rings.push(ring);
      const share: PipelineJobConfig = { ...job, flowsOut: null, flowExport: null, pipeline: { ...job.pipeline, partition: { index, count } } };
      this.threads.push(new PipelineThread(share, {
        batch: (batch) => {
          this.credit.push({ worker: index, ops: batch.ops.length });
          hooks.batch(batch);
        },
        warn: hooks.warn,
        // The reader tells of damaged files.
        fileDamaged: () => {},
        // No file and no collector: the workers build no records at all.
        ...(outputs.active ? { records } : {}),
        ...(hooks.ask !== undefined ? { ask: hooks.ask } : {}),
      }, ring));
    }
    this.reader = new CaptureReaderThread(job, rings, hooks.fileDamaged);
    this.timer = setInterval(() => this.merge(), MERGE_MS);
    this.timer.unref();
  }

  /** Resolves once every worker ended and the records are written: true at the end of the captures. */
  async run(): Promise<boolean> {
    try {
      // A reader that fails leaves its rings open: the workers are stopped, and the failure is the run's.
      const read = this.reader.run().catch((err: unknown) => {
        for (const t of this.threads) t.stop();
        throw err;
      });
      const [ends] = await Promise.all([Promise.all(this.threads.map((t) => t.run())), read]);
      return ends.every((eof) => eof);
    } finally {
      this.outputs.closeFile();
      await this.outputs.closeExport();
      clearInterval(this.timer);
      this.merge();
    }
  }

  /** The store applied `n` more ops: each worker learns how far its own batches got. */
  applied(n: number): void {
    let left = n;
    while (left > 0 && this.credit.length > 0) {
      const head = this.credit[0];
      const take = Math.min(left, head.ops);
      this.threads[head.worker].applied(take);
      head.ops -= take;
      left -= take;
      if (head.ops === 0) this.credit.shift();
    }
  }

  stop(): void {
    this.reader.stop();
    for (const t of this.threads) t.stop();
  }

  /** Answers and other probes' events go to every worker: each keeps the whole subscriber directory. */
  answer(query: string, user: RemoteUser | null): void {
    for (const t of this.threads) t.answer(query, user);
  }

  remoteEvent(event: string, user: RemoteUser): void {
    for (const t of this.threads) t.remoteEvent(event, user);
  }

  async terminate(): Promise<void> {
    await Promise.all([this.reader.terminate(), ...this.threads.map((t) => t.terminate())]);
  }

  /** The probe's counters: the workers' sum, but for what each of them counts in full. */
  private merge(): void {
    const out = this.counters;
    out.fill(0);
    for (const t of this.threads) {
      const c = t.counters;
      for (let i = 0; i < Counter.Count; i++) out[i] += c[i];
    }
    const first = this.threads[0].counters;
    for (const i of FIRST_WORKER_ONLY) out[i] = first[i];
    for (const i of READER_COUNTERS) out[i] = this.reader.counters[i];
    this.outputs.publish(out);
  }
}
