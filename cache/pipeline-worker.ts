// Entry point of a pipeline worker_thread: the same PipelineJob the main
// thread would run, with its hooks turned into messages to the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { CaptureFile } from '../capture/capture-file';
import { LiveCapture } from '../capture/live-capture';
import { JobInput, PipelineJob } from './pipeline-job';
import { PacketRing } from '../capture/packet-ring';
import { FlowSlot, MainMessage, PipelineWorkerData, WorkerMessage } from './pipeline-worker-protocol';
import type { KbBatch } from './kb-updates';
import type { FlowRecord } from '../export/flow-record';

/** Knowledge-base ops posted and not yet applied by the main thread beyond which reading pauses. */
const MAX_OPS_IN_FLIGHT = 6_000;
/** Flow records per message to the main thread (several workers). */
const RECORDS_PER_MESSAGE = 256;
/** Ops per message: each message is decoded on the main thread in one go, so it stays small. */
const MAX_OPS_PER_MESSAGE = 1_000;

function main(): void {
  const port = parentPort;
  if (port === null) throw new Error('pipeline-worker.js runs only as a worker_thread');
  const data = workerData as PipelineWorkerData;
  const flow = new Int32Array(data.flow);
  const post = (m: WorkerMessage): void => port.postMessage(m);
  let opsPosted = 0;

  const emit = (batch: KbBatch): void => {
    const ops = batch.ops;
    for (let i = 0; i < ops.length; i += MAX_OPS_PER_MESSAGE) {
      const part = i === 0 && ops.length <= MAX_OPS_PER_MESSAGE ? batch : { timeUs: batch.timeUs, ops: ops.slice(i, i + MAX_OPS_PER_MESSAGE) };
      post({ t: 'kb', batch: part });
    }
    opsPosted = (opsPosted + ops.length) | 0;
  };
  const live = data.job.live;
  const input: JobInput = data.ring !== null ? { ring: new PacketRing(data.ring) }
    : live !== null ? { captures: live.interfaces.map((name) => LiveCapture.open(name, live.options)) }
    : { files: data.job.pcap.map((path) => CaptureFile.open(path)) };
  // Records to the main thread, a few hundred per message; whatever is held goes with every batch of updates.
  let records: FlowRecord[] = [];
  const postRecords = (): void => {
    if (records.length === 0) return;
    post({ t: 'records', records });
    records = [];
  };
  if (data.recordsToMain) setInterval(postRecords, 1000).unref();
  const recordHook = data.recordsToMain ? {
    record: (r: FlowRecord): void => {
      records.push(r);
      if (records.length >= RECORDS_PER_MESSAGE) postRecords();
    },
  } : {};
  const job = new PipelineJob(input, data.job, {
    ...recordHook,
    emit: (batch: KbBatch) => {
      postRecords();
      emit(batch);
    },
    busy: () => ((opsPosted - Atomics.load(flow, FlowSlot.OpsApplied)) | 0) > MAX_OPS_IN_FLIGHT,
    warn: (message) => post({ t: 'warn', message }),
    fileDamaged: (message) => post({ t: 'damaged', message }),
    progress: () => {},
    ...(data.cloud ? { ask: (query: string) => post({ t: 'ask', query }) } : {}),
  }, new Float64Array(data.counters));

  port.on('message', (m: MainMessage) => {
    if (m.t === 'stop') job.stop();
    else if (m.t === 'answer') job.answer(m.query, m.user);
    else if (m.t === 'event') job.remoteEvent(m.event, m.user);
  });
  job.run().then(async (eof) => {
    job.finish();
    await job.closeExport();
    postRecords();
    post({ t: 'done', eof });
    port.close();
  }, (err: unknown) => post({ t: 'error', message: err instanceof Error ? err.message : String(err) }));
}

main();
