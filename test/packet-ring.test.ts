/**
 * PacketRing: a producer thread and a consumer thread over one ring, with
 * records of every size (empty to a few KB) and a ring small enough to wrap
 * and fill thousands of times: every record arrives once, in order, intact.
 */
import t from 'tap';
import { Worker } from 'node:worker_threads';
import { PacketRing, RingRecord } from '../capture/packet-ring';

const RECORDS = 200_000;

/** The producer, run in a worker: record i has i % 3000 bytes of (i + j) & 255, kind i % 4, times i. */
const PRODUCER = `
const { workerData, parentPort } = require('node:worker_threads');
const { PacketRing } = require(workerData.module);
const ring = new PacketRing(workerData.shared);
const frame = Buffer.alloc(8000);
for (let i = 0; i < workerData.records; i++) {
  const len = i % 3000;
  for (let j = 0; j < len; j++) frame[100 + j] = (i + j) & 255;
  ring.push(i % 4, frame, 100, len, len + 14, i * 1.5, i & 0xffff);
  if (i % 1000 === 0) ring.publish();
}
ring.close();
parentPort.postMessage('done');
`;

t.test('every record arrives once, in order, intact, across thousands of wraps', async (t) => {
  const ring = PacketRing.create(64 * 1024);
  const producer = new Worker(PRODUCER, { eval: true, workerData: { shared: ring.shared, records: RECORDS, module: require.resolve('../capture/packet-ring') } });
  let next = 0;
  let bad = 0;
  const check = (kind: RingRecord, buf: Buffer, off: number, capLen: number, wireLen: number, ts: number, link: number): void => {
    const i = next++;
    if (kind !== i % 4 || capLen !== i % 3000 || wireLen !== capLen + 14 || ts !== i * 1.5 || link !== (i & 0xffff)) bad++;
    else for (let j = 0; j < capLen; j++) if (buf[off + j] !== ((i + j) & 255)) { bad++; break; }
  };
  while (!ring.ended) {
    if (ring.drain(100, check) === 0) await ring.waitForRecords(50);
  }
  await new Promise((r) => producer.once('exit', r));
  t.equal(next, RECORDS, 'record count');
  t.equal(bad, 0, 'records that differ from what was pushed');
});

t.test('a late consumer reads from the start; once it abandons, pushes into a full ring return false at once', async (t) => {
  const ring = PacketRing.create(64 * 1024);
  const frame = Buffer.alloc(1500);
  // 64 KB holds 42 records of 1,528 bytes (header included, padded to 8).
  for (let i = 0; i < 42; i++) ring.push(RingRecord.Packet, frame, 0, 1500, 1500, 0, 1);
  ring.publish();
  // A consumer that attaches late still starts at the first record.
  const consumer = new PacketRing(ring.shared);
  consumer.abandon();
  t.equal(ring.push(RingRecord.Packet, frame, 0, 1500, 1500, 0, 1), false, 'dropped once full and abandoned');
  ring.publish();
  let seen = 0;
  consumer.drain(1000, () => seen++);
  t.equal(seen, 42, 'what fitted is still there');
});
