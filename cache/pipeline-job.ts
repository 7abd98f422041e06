import { CaptureFile } from '../capture/capture-file';
import { CaptureReplay } from '../capture/replay';
import { LiveCapture, LiveOptions } from '../capture/live-capture';
import { LiveInput } from '../capture/live-input';
import type { PacketRing } from '../capture/packet-ring';
import { RingInput } from '../capture/ring-input';
import { addSubscriberFields, flowToRecord, FlowRecord } from '../export/flow-record';
import type { RemoteUser } from '../dissectors/subscriber-directory';
import type { SavedSubscriber } from '../dissectors/subscriber-restore';
import type { FlowExportOptions } from '../export/flow-exporter';
import { FlowOutputs } from '../export/flow-outputs';
import { KnowledgeBuilder } from './kb-builder';
import type { KbBatch } from './kb-updates';
import { PacketPipeline, PipelineOptions, KnowledgeSink } from './packet-pipeline';
import { Counter, writeCounters, writePcapCounters } from './pipeline-counters';

/**
 * Everything a pipeline needs to read captures, as plain data: the same
 * object configures the pipeline on the main thread and is the workerData of
 * a pipeline worker.
 */
export interface PipelineJobConfig {
  pcap: string[];
  /** Live capture instead of files: the interfaces and how to open them. */
  live: { interfaces: string[]; options: LiveOptions } | null;
  pipeline: PipelineOptions;
  realtime: boolean;
  loop: boolean;
  /** Packets per read call. */
  batch: number;
  /** Longest stretch of packet work before the event loop gets a turn. */
  sliceMs: number;
  flowsOut: string | null;
  /** NetFlow v9 / IPFIX export; null when no collector is given. */
  flowExport: FlowExportOptions | null;
  /** Subscribers restored from the persistent keys (--data-dir) before the first packet. */
  restore: SavedSubscriber[];
  /** Knowledge-base flushing; null when nothing consumes updates (no store). */
  knowledge: { flushIntervalUs: number; minFlushWallMs: number; wallFlushMs: number } | null;
}

/**
 * Where a job's packets come from: capture files, live interfaces, or (a
 * worker among several) the ring a distributor thread fills.
 */
export type JobInput = { files: CaptureFile[] } | { captures: LiveCapture[] } | { ring: PacketRing };

/** What a job reports to whoever runs it. */
export interface PipelineJobHooks {
  emit(batch: KbBatch): void;
  /** True while the consumer of batches is behind: reading pauses. */
  busy(): boolean;
  warn(message: string): void;
  /** A file ended early; the message says where and why. */
  fileDamaged(message: string): void;
  progress(bytesRead: number, label: string): void;
  /** Present when there is a cloud to ask who is behind an address or tunnel (the answer comes back through answer()). */
  ask?(query: string): void;
  /**
   * Present when finished records go elsewhere (several pipeline workers: the
   * main thread writes them): then the job writes no file and exports nothing itself.
   */
  record?(record: FlowRecord): void;
}

/** A record waits at most this long for the cloud to name its user (DESIGN.md: a bounded wait before export). */
const LOOKUP_WAIT_MS = 300;

interface HeldRecord {
  record: FlowRecord;
  queries: string[];
  deadlineMs: number;
}


/** Flows exported per event-loop turn at the end of a capture. */
const FINISH_SLICE_FLOWS = 2000;

/**
 * One run of the packet pipeline over capture files: replay (paced or not,
 * looped or not), flow export to JSON lines, knowledge-base batches to the
 * hooks, and the end of capture expired in slices. It touches no server
 * state, so it runs unchanged on the main thread or in a worker_thread.
 */
export class PipelineJob {
  readonly pipeline: PacketPipeline;
  private readonly replay: CaptureReplay | null;
  private readonly live: LiveInput | null;
  private readonly ringInput: RingInput | null = null;
  private readonly outputs: FlowOutputs;
  private stopped = false;
  private finished = false;
  private flushTimer: NodeJS.Timeout | null = null;
  private releaseTimer: NodeJS.Timeout | null = null;
  /** Records of flows whose user the cloud is being asked about. */
  private held: HeldRecord[] = [];

  /**
   * The files or live captures of `input` are already open: the caller
   * reports a bad file or interface before any work.
   */
  constructor(input: JobInput, private readonly cfg: PipelineJobConfig, private readonly hooks: PipelineJobHooks, readonly counters: Float64Array) {
    this.outputs = new FlowOutputs(cfg.flowsOut, cfg.flowExport, hooks.warn);
    const exporting = this.outputs.active || hooks.record !== undefined;
    let knowledge: KnowledgeSink | null = null;
    if (cfg.knowledge !== null) {
      knowledge = { builder: new KnowledgeBuilder({ liveFlows: true }), flushIntervalUs: cfg.knowledge.flushIntervalUs, minFlushWallMs: cfg.knowledge.minFlushWallMs, emit: hooks.emit };
    }
    this.pipeline = new PacketPipeline(cfg.pipeline, (flow, reason) => {
      if (!exporting) return;
      const record = flowToRecord(flow, reason);
      const sig = this.pipeline.signalling;
      if (flow.subscriber === null && sig.cloud !== null) {
        const queries = sig.queries(flow);
        if (sig.awaiting(queries)) {
          this.held.push({ record, queries, deadlineMs: Date.now() + LOOKUP_WAIT_MS });
          return;
        }
      }
      this.output(record);
    }, hooks.warn, knowledge);
    this.pipeline.signalling.restore(cfg.restore);
    const ask = hooks.ask;
    if (ask !== undefined) this.pipeline.signalling.cloud = { ask: (q) => ask.call(hooks, q) };
    if ('ring' in input) {
      this.replay = null;
      this.live = null;
      const pipeline = this.pipeline;
      this.ringInput = new RingInput(input.ring, {
        packet: pipeline.onPacket,
        foreign: pipeline.onForeignPacket,
        time: pipeline.advance,
        tick: (nowUs) => pipeline.tick(nowUs),
      }, {
        busy: () => hooks.busy(),
        sliceStart: () => pipeline.flushIfDue(),
        yieldNow: () => pipeline.flushDue,
        sliceEnd: () => this.publishCounters(),
      }, cfg.sliceMs);
      return;
    }
    if ('captures' in input) {
      this.replay = null;
      this.live = new LiveInput(input.captures, this.pipeline.onPacket, {
        afterBatch: () => this.pipeline.flushIfDue(),
        tick: (nowUs) => {
          this.pipeline.tick(nowUs);
          this.publishCounters();
        },
      });
      return;
    }
    this.live = null;
    this.replay = new CaptureReplay(input.files, { realtime: cfg.realtime, loop: cfg.loop, batch: cfg.batch > 0 ? cfg.batch : 4096, sliceMs: cfg.sliceMs }, this.pipeline.onPacket, {
      progress: (bytes, label) => {
        this.publishCounters();
        this.counters[Counter.BytesRead] = bytes;
        hooks.progress(bytes, label);
      },
      busy: () => hooks.busy(),
      sliceStart: () => this.pipeline.flushIfDue(),
      yieldNow: () => this.pipeline.flushDue,
      fileEnd: (file) => {
        if (file.damage !== null) hooks.fileDamaged(file.damage);
      },
    });
  }

  /** Bytes of capture files to read (0 for live capture). */
  get totalBytes(): number {
    return this.replay?.totalBytes ?? 0;
  }

  /** The cloud's answer to a question the pipeline asked. */
  answer(query: string, user: RemoteUser | null): void {
    this.pipeline.signalling.answer(query, user);
    if (this.held.length > 0) this.releaseHeld(false);
  }

  /** events.user from another probe. */
  remoteEvent(event: string, user: RemoteUser): void {
    this.pipeline.signalling.remoteEvent(event, user);
  }

  /** Writes the held records whose questions were answered (or timed out); all of them with `force`. */
  private releaseHeld(force: boolean): void {
    const sig = this.pipeline.signalling;
    const now = Date.now();
    const still: HeldRecord[] = [];
    for (const h of this.held) {
      if (!force && now < h.deadlineMs && sig.awaiting(h.queries)) {
        still.push(h);
        continue;
      }
      const sub = sig.userFor(h.queries);
      if (sub !== null) addSubscriberFields(h.record, sub);
      this.output(h.record);
    }
    this.held = still;
  }

  /** A finished record goes to every flow output alike: JSON lines and the NetFlow/IPFIX collectors. */
  private output(record: FlowRecord): void {
    this.outputs.write(record);
    this.hooks.record?.(record);
  }

  /** Refreshes the counter array the server reads. */
  publishCounters(): void {
    writeCounters(this.pipeline, this.counters);
    if (this.live !== null) writePcapCounters(this.live.stats(), this.counters);
    this.outputs.publish(this.counters);
  }

  /**
   * Reads every capture, then exports the remaining flows in slices and
   * flushes. Resolves true at the end of the captures, false when stopped.
   */
  async run(): Promise<boolean> {
    const k = this.cfg.knowledge;
    if (k !== null) {
      // Wall-clock flush as well, so a quiet replay shows up promptly.
      this.flushTimer = setInterval(() => this.pipeline.flushKnowledge(), k.wallFlushMs);
      this.flushTimer.unref();
    }
    if (this.pipeline.signalling.cloud !== null) {
      this.releaseTimer = setInterval(() => this.releaseHeld(false), 20);
      this.releaseTimer.unref();
    }
    if (this.live !== null) await this.live.run();
    else if (this.replay !== null) await this.replay.run();
    else if (this.ringInput !== null) await this.ringInput.run();
    // A large cache must not stall the event loop at the end either.
    while (!this.stopped) {
      // The consumer's backpressure holds here too: the last flows make the largest batches.
      while (!this.stopped && this.hooks.busy()) await new Promise((r) => setTimeout(r, 1));
      if (!this.pipeline.finishSome(FINISH_SLICE_FLOWS)) break;
      this.publishCounters();
      await new Promise((r) => setImmediate(r));
    }
    // The last records may wait (bounded) for the cloud to name their users.
    while (!this.stopped && this.held.length > 0) {
      await new Promise((r) => setTimeout(r, 10));
      this.releaseHeld(false);
    }
    if (this.stopped) return false;
    this.finish();
    return true;
  }

  /** Stops reading (SIGINT, SIGTERM): run() resolves false; call finish() next. */
  stop(): void {
    this.stopped = true;
    this.replay?.stop();
    this.live?.stop();
    this.ringInput?.stop();
  }

  /** Exports every flow, flushes the last updates, closes the flow file: once. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.flushTimer !== null) clearInterval(this.flushTimer);
    if (this.releaseTimer !== null) clearInterval(this.releaseTimer);
    this.pipeline.finish();
    this.releaseHeld(true);
    this.outputs.closeFile();
    this.publishCounters();
  }

  /**
   * After finish(): the collectors get the last messages (a TCP collector
   * that is away is waited for, bounded), then the sockets close.
   */
  async closeExport(): Promise<void> {
    await this.outputs.closeExport();
    this.publishCounters();
  }
}
