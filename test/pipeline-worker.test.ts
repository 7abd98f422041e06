import t from 'tap';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { PROBE_BIN } from './helpers/probe-cli';
import { freePort, infoFields, redisCli, waitFor, exited } from './helpers/probe-server';
import { ndpiPcapDir, zeekDir } from './corpus/paths';

/**
 * The packet pipeline runs unchanged inside a worker_thread (DESIGN.md): with
 * --workers 1 the knowledge base, the flow records and the counters are the
 * same as with the pipeline on the main thread, and SIGINT still flushes
 * every flow and exits 0.
 */

const CAPTURES = [
  path.join(ndpiPcapDir(), '1kxun.pcap'), // ~100 hosts, IPv4 and IPv6
  path.join(zeekDir(), 'tunnels__gtp__gtp1_gn_normal_incl_fragmentation.pcap'), // GTP-U with outer fragments
  path.join(zeekDir(), 'http-qinq-0.pcap'),
];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-worker-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every key with its type and content, as comparable text. */
async function dumpKeyspace(port: number): Promise<Record<string, unknown>> {
  const r = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  try {
    const out: Record<string, unknown> = {};
    for (const key of (await r.keys('*')).sort()) {
      // How many batches and ops carried the changes depends on wall-clock flush timing
      // (intervals merge when a file is read fast); what they add up to does not.
      if (key === 'stats.kb.batches' || key === 'stats.kb.updates') continue;
      const type = await r.type(key);
      if (type === 'hash') out[key] = await r.hgetall(key);
      else if (type === 'zset') out[key] = await r.zrange(key, 0, -1, 'WITHSCORES');
      else if (type === 'string') out[key] = await r.get(key);
      else out[key] = type;
    }
    return out;
  } finally {
    r.disconnect();
  }
}

async function runServing(capture: string, workers: number): Promise<{ keys: Record<string, unknown>; flows: string[]; info: Record<string, string> }> {
  const port = await freePort();
  const flowsOut = path.join(tmp, `${path.basename(capture)}.${workers}.jsonl`);
  const child = spawn(process.execPath, [PROBE_BIN, 'probe', '--no-progress', '--pcap', capture, '--resp-port', String(port), '--flows-out', flowsOut, '--workers', String(workers)], { stdio: 'ignore' });
  const exit = exited(child);
  try {
    await waitFor('pcap_eof:1', () => infoFields(port).pcap_eof === '1', 60_000);
    const info = infoFields(port);
    const keys = await dumpKeyspace(port);
    const flows = fs.readFileSync(flowsOut, 'utf8').split('\n').filter(Boolean).sort();
    return { keys, flows, info };
  } finally {
    child.kill('SIGTERM');
    await exit;
  }
}

/**
 * ip.<addr> mac is the MAC of the last flow flushed with the address. An
 * address seen behind two MACs (1kxun.pcap has one) ends with either,
 * depending on which flush, timed by the wall clock, carried which flow: its
 * mac is left out of the comparison. Every other address must agree.
 */
function dropAmbiguousMacs(keys: Record<string, unknown>, flows: string[]): void {
  const macs = new Map<string, Set<string>>();
  const see = (ip: unknown, mac: unknown): void => {
    if (typeof ip !== 'string' || typeof mac !== 'string') return;
    let s = macs.get(ip);
    if (s === undefined) macs.set(ip, (s = new Set()));
    s.add(mac);
  };
  for (const line of flows) {
    const r = JSON.parse(line) as Record<string, unknown>;
    see(r.sourceIPv4Address ?? r.sourceIPv6Address, r.sourceMacAddress);
    see(r.destinationIPv4Address ?? r.destinationIPv6Address, r.destinationMacAddress);
  }
  for (const [ip, set] of macs) {
    const h = keys[`ip.${ip}`] as Record<string, string> | undefined;
    if (set.size > 1 && h !== undefined) delete h.mac;
  }
}

for (const capture of CAPTURES) {
  t.test(`${path.basename(capture)}: worker pipeline = main-thread pipeline`, async (t) => {
    const main = await runServing(capture, 0);
    const worker = await runServing(capture, 1);
    t.equal(main.info.pipeline_thread, 'main');
    t.equal(worker.info.pipeline_thread, 'worker', 'INFO probe says where the pipeline runs');
    t.ok(Object.keys(main.keys).some((k) => k.startsWith('ip.')), 'the capture made host keys');
    dropAmbiguousMacs(main.keys, main.flows);
    dropAmbiguousMacs(worker.keys, main.flows);
    t.same(worker.keys, main.keys, `the same ${Object.keys(main.keys).length} keys with the same content`);
    t.ok(main.flows.length > 0, `${main.flows.length} flow records`);
    t.same(worker.flows, main.flows, 'the same flow records');
    for (const field of ['packets', 'bytes', 'flows_created', 'flows_exported', 'fragments', 'tunnelled']) {
      t.equal(worker.info[field], main.info[field], `INFO probe ${field}`);
    }
  });
}

for (const workers of [1, 2]) t.test(`SIGINT during a replay with ${workers} worker(s): flows flushed, exit 0`, async (t) => {
  const port = await freePort();
  const flowsOut = path.join(tmp, `sigint-${workers}.jsonl`);
  const statsOut = path.join(tmp, `sigint-${workers}.json`);
  // (2 workers: the reader thread stops, the workers drain their rings and flush.)
  // --realtime keeps the replay going for the capture's duration (~1 min).
  const child = spawn(process.execPath, [PROBE_BIN, 'probe', '--no-progress', '--pcap', CAPTURES[0], '--realtime', '--resp-port', String(port), '--flows-out', flowsOut, '--stats-out', statsOut, '--workers', String(workers)], { stdio: 'ignore' });
  const exit = exited(child);
  await waitFor('some flows', () => Number(redisCli(port, 'GET', 'stats.flows.created')) > 5, 30_000);
  t.equal(infoFields(port).pcap_eof, '0', 'still replaying');
  child.kill('SIGINT');
  t.equal(await exit, 0, 'exit code 0');
  const stats = JSON.parse(fs.readFileSync(statsOut, 'utf8'));
  const records = fs.readFileSync(flowsOut, 'utf8').split('\n').filter(Boolean).length;
  t.ok(stats.flowsCreated > 5, `${stats.flowsCreated} flows created before the signal`);
  t.equal(records, stats.flowsCreated, 'every flow created was exported to the file');
  t.equal(stats.flowsActive, 0, 'no flow left in the cache');
});

t.test('--workers rejects what is out of range', async (t) => {
  const r = spawn(process.execPath, [PROBE_BIN, 'probe', '--pcap', CAPTURES[0], '--resp-port', '0', '--exit-on-eof', '--workers', '65'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  r.stderr!.on('data', (d) => (err += d));
  t.equal(await exited(r), 1);
  t.match(err, /--workers.*expected 0-64/);
});
