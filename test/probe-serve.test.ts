import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROBE_BIN } from './helpers/probe-cli';
import { freePort, redisCli, waitFor, exited } from './helpers/probe-server';
import { writeDemoCapture } from './gen/demo-capture';

/**
 * The probe as a server: after reading a capture it keeps serving over RESP,
 * INFO probe and stats.* answer through the real redis-cli, a busy port is a
 * one-line error, and SIGTERM ends it cleanly.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-serve-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const demo = path.join(dir, 'demo.pcap');
writeDemoCapture(demo);

t.test('serves INFO probe and stats.* after the end of the capture, exits 0 on SIGTERM', async (t) => {
  const port = await freePort();
  const child = spawn(process.execPath, [PROBE_BIN, 'probe', '--pcap', demo, '--resp-port', String(port), '--no-progress'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exit = exited(child);
  await waitFor('pcap_eof:1', () => redisCli(port, 'INFO', 'probe').includes('pcap_eof:1'));
  const info = Object.fromEntries(redisCli(port, 'INFO', 'probe').split(/\r?\n/).filter((l) => l.includes(':')).map((l) => l.split(':')));
  const expected = spawnSync(process.execPath, [PROBE_BIN, 'probe', '--pcap', demo, '--resp-port', '0', '--exit-on-eof', '--stats-out', path.join(dir, 's.json')]);
  t.equal(expected.status, 0);
  const stats = JSON.parse(fs.readFileSync(path.join(dir, 's.json'), 'utf8'));
  t.equal(Number(info.packets), stats.packets, 'INFO probe packets equals the packets of the capture');
  t.equal(Number(info.flows_exported), stats.flowsExported, 'flows exported');
  t.equal(info.flows_active, '0', 'every flow expired at the end of the capture');
  for (const field of ['bytes', 'flows_active', 'flows_exported', 'pcap_eof', 'upstream_connected', 'upstream_pending']) t.ok(field in info, `INFO probe has ${field}`);
  t.equal(redisCli(port, 'GET', 'stats.packets'), String(stats.packets), 'GET stats.packets');
  t.equal(redisCli(port, 'GET', 'stats.bytes'), String(stats.bytes), 'GET stats.bytes');
  t.equal(redisCli(port, 'PING'), 'PONG');
  child.kill('SIGTERM');
  t.equal(await exit, 0, 'exit 0 on SIGTERM');
  t.match(stderr, /serving RESP/);
});

t.test('a busy RESP port is a one-line error and exit 2', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as net.AddressInfo).port;
  const r = spawnSync(process.execPath, [PROBE_BIN, 'probe', '--pcap', demo, '--resp-port', String(port), '--exit-on-eof'], { encoding: 'utf8', timeout: 30_000 });
  blocker.close();
  t.equal(r.status, 2);
  t.equal(r.stderr.trim().split('\n').length, 1);
  t.match(r.stderr, /cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/);
});

t.test('--realtime paces the replay: counters grow while it runs', async (t) => {
  const port = await freePort();
  const child = spawn(process.execPath, [PROBE_BIN, 'probe', '--pcap', demo, '--resp-port', String(port), '--realtime', '--no-progress'], { stdio: 'ignore' });
  const exit = exited(child);
  await waitFor('first packets', () => Number(redisCli(port, 'GET', 'stats.packets')) > 0);
  const first = Number(redisCli(port, 'GET', 'stats.packets'));
  await new Promise((r) => setTimeout(r, 1500));
  const second = Number(redisCli(port, 'GET', 'stats.packets'));
  t.ok(second > first, `stats.packets grew from ${first} to ${second}`);
  t.match(redisCli(port, 'INFO', 'probe'), /pcap_eof:0/, 'the 60 s demo is still being replayed');
  child.kill('SIGINT');
  t.equal(await exit, 0, 'exit 0 on SIGINT');
});
