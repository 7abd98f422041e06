import type { PipelineJobConfig } from './pipeline-job';

/** What the capture reader thread is given: the captures to read and a ring per pipeline worker. */
export interface CaptureReaderData {
  /** The pipeline job (files or interfaces, pacing, decapsulation). */
  job: PipelineJobConfig;
  /** One PacketRing per worker, in worker order. */
  rings: SharedArrayBuffer[];
  /** Float64Array view (pipeline-counters.ts): bytes read and libpcap's counts. */
  counters: SharedArrayBuffer;
}

/** Reader -> main. */
export type ReaderMessage =
  | { t: 'damaged'; message: string }
  /** Every capture was read (or reading stopped) and the rings are closed. */
  | { t: 'done' }
  | { t: 'error'; message: string };

/** Main -> reader. */
export type ReaderMain = { t: 'stop' };
