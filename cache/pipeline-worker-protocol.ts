import type { KbBatch } from './kb-updates';
import type { PipelineJobConfig } from './pipeline-job';

/**
 * The boundary between the main thread (store, RESP server, upstreams) and a
 * pipeline worker. Knowledge-base batches are the only data that crosses it
 * as messages; counters and flow control use shared memory, so the main
 * thread never decodes a message per statistic.
 */
export interface PipelineWorkerData {
  job: PipelineJobConfig;
  /** Float64Array view: the pipeline's counters (pipeline-counters.ts). */
  counters: SharedArrayBuffer;
  /** Int32Array view: [0] knowledge-base ops the main thread has applied (wrapping). */
  flow: SharedArrayBuffer;
}

export const enum FlowSlot {
  OpsApplied = 0,
  Count = 1,
}

/** Worker -> main. */
export type WorkerMessage =
  | { t: 'kb'; batch: KbBatch }
  | { t: 'warn'; message: string }
  | { t: 'damaged'; message: string }
  /** The job ended: every flow exported, every batch posted before this message. */
  | { t: 'done'; eof: boolean }
  | { t: 'error'; message: string };

/** Main -> worker. */
export type MainMessage = { t: 'stop' };
