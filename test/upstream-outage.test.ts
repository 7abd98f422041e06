import t from 'tap';
import { spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { PROBE_BIN } from './helpers/probe-cli';
import { freePort, infoFields, redisCli, waitFor, exited } from './helpers/probe-server';
import { buildDemoCapture } from './gen/demo-capture';
import { writePcap, LinkType } from './gen/pcap-writer';

/**
 * The upstream goes away for five seconds in the middle of a paced replay
 * (kill -9 of a redis-server with appendfsync always, then a restart on the
 * same port and data): the probe queues, reconnects, resends only what did
 * not run, and in the end the upstream has every persistent key and counters
 * that add up to the probe's own.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-outage-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

function startRedis(port: number, dir: string): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--logfile', '', '--loglevel', 'warning'], { stdio: 'ignore' });
}

async function dump(port: number, patterns: string[], fieldFilter?: RegExp): Promise<Record<string, unknown>> {
  const r = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  try {
    const out: Record<string, unknown> = {};
    for (const pattern of patterns) {
      for (const key of await r.keys(pattern)) {
        const type = await r.type(key);
        if (type === 'hash') {
          const h = await r.hgetall(key);
          out[key] = fieldFilter ? Object.fromEntries(Object.entries(h).filter(([f]) => fieldFilter.test(f))) : h;
        } else out[key] = await r.get(key);
      }
    }
    return out;
  } finally {
    r.disconnect();
  }
}

t.test('upstream killed for 5 s mid-replay: nothing persistent missing, counters add up', async (t) => {
  // The demo, played six times faster: ten seconds of users coming and going.
  const demo = buildDemoCapture();
  const start = demo.records[0].timeNs;
  const records = demo.records.map((r) => ({ ...r, timeNs: start + (r.timeNs - start) / 6n }));
  const capture = path.join(tmp, 'fast-demo.pcap');
  fs.writeFileSync(capture, writePcap(records, { linkType: LinkType.ETHERNET }));

  const redisPort = await freePort();
  const dataDir = path.join(tmp, 'redis');
  fs.mkdirSync(dataDir);
  let redis = startRedis(redisPort, dataDir);
  await waitFor('redis-server', () => redisCli(redisPort, 'PING') === 'PONG');
  const port = await freePort();
  const probe = spawn(process.execPath, [PROBE_BIN, 'probe', '--no-progress', '--name', 'outage', '--pcap', capture, '--realtime', '--resp-port', String(port), '--upstream', `redis://127.0.0.1:${redisPort}`], { stdio: 'ignore' });
  const probeExit = exited(probe);
  try {
    await waitFor('the probe replaying', () => Number(infoFields(port).packets ?? 0) > 100);
    await new Promise((r) => setTimeout(r, 2000));
    redis.kill('SIGKILL');
    await exited(redis);
    await waitFor('the probe sees the upstream gone', () => infoFields(port).upstream_connected === '0', 5000);
    await new Promise((r) => setTimeout(r, 5000));
    const during = infoFields(port);
    t.ok(Number(during.upstream_pending) > 0, `updates queued during the outage (${during.upstream_pending})`);
    t.equal(during.pcap_eof, '0', 'the outage happened mid-replay');
    redis = startRedis(redisPort, dataDir);
    await waitFor('redis-server back', () => redisCli(redisPort, 'PING') === 'PONG', 10_000);
    await waitFor('the end of the replay and everything upstream', () => {
      const i = infoFields(port);
      return i.pcap_eof === '1' && i.upstream_connected === '1' && i.upstream_pending === '0';
    }, 30_000);
    const info = infoFields(port);
    t.equal(info.upstream_dropped, '0', 'nothing dropped');
    const persistent = ['user.*', 'ipuser.*', 'gtp.*'];
    const local = await dump(port, persistent);
    t.ok(Object.keys(local).length >= 6, `${Object.keys(local).length} persistent keys at the end`);
    t.same(await dump(redisPort, persistent), local, 'the upstream has every persistent key, as the probe has it');
    const counters = /^(bytes|pkts|vlan\.\d+\.(bytes|pkts))/;
    const localHosts = await dump(port, ['ip.*', 'vlan.*'], counters);
    t.ok(Object.keys(localHosts).length > 10, `${Object.keys(localHosts).length} host and VLAN keys`);
    t.same(await dump(redisPort, ['ip.*', 'vlan.*'], counters), localHosts, 'the counters add up: each update counted exactly once');
  } finally {
    probe.kill('SIGTERM');
    await probeExit;
    redis.kill('SIGKILL');
  }
});
