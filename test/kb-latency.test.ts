import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { PROBE_BIN } from './helpers/probe-cli';
import { freePort, redisCli, waitFor, exited } from './helpers/probe-server';
import { ndpiPcapDir, sharedDir } from './corpus/paths';

/**
 * The RESP server keeps answering while the probe reads a large capture as
 * fast as it can (DESIGN.md: main-thread stalls under 50 ms), and the
 * counters it serves grow between reads. `make test` runs this file on its
 * own, after the others, so that other tests do not compete for the CPU.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-latency-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * The probe runs at a lower scheduling priority than this test: on a small
 * machine its reading (and V8's GC threads) could otherwise keep the test's
 * own client off the CPU, and the round trips would measure the client's
 * scheduling rather than the probe's answers.
 */
function startProbe(args: string[]) {
  return spawn('nice', ['-n', '5', process.execPath, PROBE_BIN, 'probe', '--no-progress', ...args], { stdio: 'ignore' });
}

t.test('the server answers within 50 ms while a large capture is read, and counters grow', async (t) => {
  // A replica of the nDPI corpus, built by the shared script: ~100k packets per copy.
  const replica = path.join(dir, 'replica.pcap');
  const build = spawnSync('python3', [path.join(sharedDir(), 'bench', 'replicate-pcap.py'), replica, '4', ndpiPcapDir()], { encoding: 'utf8' });
  t.equal(build.status, 0, `replica built: ${build.stdout.trim()}`);
  const port = await freePort();
  const child = startProbe(['--pcap', replica, '--resp-port', String(port)]);
  const exit = exited(child);
  const client = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: (n) => (n > 100 ? null : 50) });
  try {
    await waitFor('the RESP listener', () => redisCli(port, 'PING') === 'PONG');
    await client.connect();
    const latencies: number[] = [];
    const packets: number[] = [];
    let eof = false;
    while (!eof) {
      const started = process.hrtime.bigint();
      const [count, info] = await Promise.all([client.get('stats.packets'), client.info('probe')]);
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      packets.push(Number(count ?? 0));
      eof = /pcap_eof:1/.test(info);
      await new Promise((r) => setTimeout(r, 10));
    }
    latencies.sort((a, b) => a - b);
    const max = latencies[latencies.length - 1];
    const p99 = latencies[Math.floor(latencies.length * 0.99)];
    t.comment(`${latencies.length} round trips during the replay: p50 ${latencies[latencies.length >> 1].toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms`);
    t.comment(`the probe's own view: ${redisCli(port, 'INFO', 'probe').split(/\r?\n/).filter((l) => l.startsWith('eventloop_')).join(', ')}`);
    t.ok(latencies.length >= 10, 'queried many times during the replay');
    t.ok(max < 50, `every answer within 50 ms (max ${max.toFixed(1)} ms)`);
    const growing = packets.filter((n, i) => i > 0 && n > packets[i - 1]).length;
    t.ok(growing >= 3, `stats.packets grew between reads ${growing} times (${packets[0]} -> ${packets[packets.length - 1]})`);
    t.ok(Number(redisCli(port, 'DBSIZE')) > 1000, 'the knowledge base filled up');
  } finally {
    client.disconnect();
    child.kill('SIGTERM');
    await exit;
  }
});
