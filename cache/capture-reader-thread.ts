import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PipelineJobConfig } from './pipeline-job';
import type { PacketRing } from '../capture/packet-ring';
import { newCounterArray } from './pipeline-counters';
import type { CaptureReaderData, ReaderMain, ReaderMessage } from './capture-reader-protocol';

/**
 * The main thread's handle on the capture reader thread (several pipeline
 * workers): starts it on the workers' rings, relays what it reports, and
 * reads its counters (bytes read, libpcap's counts) from shared memory.
 */
export class CaptureReaderThread {
  readonly counters: Float64Array;
  private readonly worker: Worker;
  private readonly ended: Promise<void>;

  constructor(job: PipelineJobConfig, rings: PacketRing[], fileDamaged: (message: string) => void) {
    this.counters = newCounterArray(true);
    const data: CaptureReaderData = { job, rings: rings.map((r) => r.shared), counters: this.counters.buffer as SharedArrayBuffer };
    this.worker = new Worker(path.join(__dirname, 'capture-reader-worker.js'), { workerData: data });
    this.ended = new Promise<void>((resolve, reject) => {
      let done = false;
      this.worker.on('message', (m: ReaderMessage) => {
        switch (m.t) {
          case 'damaged': fileDamaged(m.message); break;
          case 'done': done = true; resolve(); break;
          case 'error': reject(new Error(m.message)); break;
        }
      });
      this.worker.on('error', reject);
      this.worker.on('exit', (code) => {
        if (!done) reject(new Error(`capture reader exited (code ${code}) before the end of the captures`));
      });
    });
  }

  /** Resolves once every capture was read and the rings closed; rejects if reading failed. */
  run(): Promise<void> {
    return this.ended;
  }

  /** Stops reading: the rings close, the workers end. */
  stop(): void {
    const m: ReaderMain = { t: 'stop' };
    this.worker.postMessage(m);
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}
