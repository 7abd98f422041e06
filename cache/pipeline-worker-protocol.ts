import type { KbBatch } from './kb-updates';
import type { PipelineJobConfig } from './pipeline-job';
import type { RemoteUser } from '../dissectors/subscriber-directory';
import type { FlowRecord } from '../export/flow-record';

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
  /** The main thread can ask the cloud who is behind an address or tunnel. */
  cloud: boolean;
  /** Finished flow records go to the main thread (several workers share one JSON-lines file and exporter there). */
  recordsToMain: boolean;
  /** Several workers: the PacketRing the capture reader fills with this worker's packets (instead of job.pcap / job.live). */
  ring: SharedArrayBuffer | null;
}

export const enum FlowSlot {
  OpsApplied = 0,
  Count = 1,
}

/** Worker -> main. */
export type WorkerMessage =
  | { t: 'kb'; batch: KbBatch }
  /** Finished flow records, in export order (when recordsToMain). */
  | { t: 'records'; records: FlowRecord[] }
  | { t: 'warn'; message: string }
  | { t: 'damaged'; message: string }
  /** The job ended: every flow exported, every batch posted before this message. */
  | { t: 'done'; eof: boolean }
  | { t: 'error'; message: string }
  /** Who is behind `ip:<addr>` / `teid:<node>.<teid>`? (asked of the cloud by the main thread) */
  | { t: 'ask'; query: string };

/** Main -> worker. */
export type MainMessage =
  | { t: 'stop' }
  | { t: 'answer'; query: string; user: RemoteUser | null }
  | { t: 'event'; event: string; user: RemoteUser };
