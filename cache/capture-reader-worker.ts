// Entry point of the capture reader thread (several pipeline workers): reads
// the capture files or live interfaces once and deals each packet to the
// ring of the worker that owns its flow (packet-distributor.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { CaptureFile } from '../capture/capture-file';
import { LiveCapture } from '../capture/live-capture';
import { LiveInput } from '../capture/live-input';
import { PacketRing } from '../capture/packet-ring';
import { CaptureReplay } from '../capture/replay';
import { PacketDistributor } from './packet-distributor';
import { Counter, writePcapCounters } from './pipeline-counters';
import type { CaptureReaderData, ReaderMain, ReaderMessage } from './capture-reader-protocol';

function main(): void {
  const port = parentPort;
  if (port === null) throw new Error('capture-reader-worker.js runs only as a worker_thread');
  const data = workerData as CaptureReaderData;
  const job = data.job;
  const post = (m: ReaderMessage): void => port.postMessage(m);
  const counters = new Float64Array(data.counters);
  const distributor = new PacketDistributor(data.rings.map((shared) => new PacketRing(shared)), job.pipeline.decap);
  let input: { run(): Promise<void>; stop(): void };
  const live = job.live;
  if (live !== null) {
    const liveInput = new LiveInput(live.interfaces.map((name) => LiveCapture.open(name, live.options)), distributor.onPacket, {
      afterBatch: () => distributor.publish(),
      tick: (nowUs) => {
        distributor.tick(nowUs);
        writePcapCounters(liveInput.stats(), counters);
      },
    });
    input = liveInput;
  } else {
    input = new CaptureReplay(job.pcap.map((path) => CaptureFile.open(path)), {
      realtime: job.realtime, loop: job.loop, batch: job.batch > 0 ? job.batch : 4096, sliceMs: job.sliceMs,
    }, distributor.onPacket, {
      progress: (bytes) => {
        counters[Counter.BytesRead] = bytes;
        distributor.publish();
      },
      fileEnd: (file) => {
        if (file.damage !== null) post({ t: 'damaged', message: file.damage });
      },
    });
  }
  port.on('message', (m: ReaderMain) => {
    if (m.t === 'stop') input.stop();
  });
  input.run().then(() => {
    distributor.close();
    post({ t: 'done' });
    port.close();
  }, (err: unknown) => {
    distributor.close();
    post({ t: 'error', message: err instanceof Error ? err.message : String(err) });
  });
}

main();
