import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { KbBatch } from './kb-updates';
import type { RemoteUser } from '../dissectors/subscriber-directory';
import type { PipelineJobConfig } from './pipeline-job';
import type { FlowRecord } from '../export/flow-record';
import { newCounterArray } from './pipeline-counters';
import type { PacketRing } from '../capture/packet-ring';
import { FlowSlot, MainMessage, PipelineWorkerData, WorkerMessage } from './pipeline-worker-protocol';

export interface PipelineThreadHooks {
  /** A knowledge-base batch from the worker; call `applied(n)` once its ops are in the store. */
  batch(batch: KbBatch): void;
  warn(message: string): void;
  fileDamaged(message: string): void;
  /** Present when there is a cloud to ask: the pipeline's questions. */
  ask?(query: string): void;
  /** Present when the worker's finished records come to the main thread (several workers). */
  records?(records: FlowRecord[]): void;
}

/**
 * The main thread's handle on a pipeline worker: starts it, relays its
 * messages, tells it how far the store has got (flow control through shared
 * memory) and reads its counters from shared memory.
 */
export class PipelineThread {
  readonly counters: Float64Array;
  private readonly flow: Int32Array;
  private readonly worker: Worker;
  private opsApplied = 0;
  private readonly ended: Promise<boolean>;

  /** With `ring`, the worker reads its packets from it (a capture reader fills it) instead of opening the captures. */
  constructor(job: PipelineJobConfig, hooks: PipelineThreadHooks, ring: PacketRing | null = null) {
    this.counters = newCounterArray(true);
    const flowBuf = new SharedArrayBuffer(FlowSlot.Count * Int32Array.BYTES_PER_ELEMENT);
    this.flow = new Int32Array(flowBuf);
    const data: PipelineWorkerData = { job, counters: this.counters.buffer as SharedArrayBuffer, flow: flowBuf, cloud: hooks.ask !== undefined, recordsToMain: hooks.records !== undefined, ring: ring?.shared ?? null };
    this.worker = new Worker(path.join(__dirname, 'pipeline-worker.js'), { workerData: data });
    this.ended = new Promise<boolean>((resolve, reject) => {
      let done = false;
      this.worker.on('message', (m: WorkerMessage) => {
        switch (m.t) {
          case 'kb': hooks.batch(m.batch); break;
          case 'records': hooks.records?.(m.records); break;
          case 'warn': hooks.warn(m.message); break;
          case 'damaged': hooks.fileDamaged(m.message); break;
          case 'done': done = true; resolve(m.eof); break;
          case 'error': reject(new Error(m.message)); break;
          case 'ask': hooks.ask?.(m.query); break;
        }
      });
      this.worker.on('error', reject);
      this.worker.on('exit', (code) => {
        if (!done) reject(new Error(`pipeline worker exited (code ${code}) before the end of its job`));
      });
    });
  }

  /** Resolves true at the end of the captures (every batch delivered), false when stopped. */
  run(): Promise<boolean> {
    return this.ended;
  }

  /** The store applied `n` more ops of this worker's batches: reading may go on. */
  applied(n: number): void {
    this.opsApplied = (this.opsApplied + n) | 0;
    Atomics.store(this.flow, FlowSlot.OpsApplied, this.opsApplied);
  }

  answer(query: string, user: RemoteUser | null): void {
    this.post({ t: 'answer', query, user });
  }

  remoteEvent(event: string, user: RemoteUser): void {
    this.post({ t: 'event', event, user });
  }

  private post(m: MainMessage): void {
    this.worker.postMessage(m);
  }

  /** Asks the worker to stop reading, export its flows and flush; run() then resolves false. */
  stop(): void {
    const m: MainMessage = { t: 'stop' };
    this.worker.postMessage(m);
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}
