import t from 'tap';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import Redis from 'ioredis';
import { PROBE_BIN } from './helpers/probe-cli';
import { freePort, redisCli, waitFor, exited, infoFields } from './helpers/probe-server';
import { ndpiPcapDir } from './corpus/paths';

/**
 * The knowledge base over time: volatile keys expire by --host-ttl with the
 * Redis keyspace notification on a real SUBSCRIBE client, and --max-hosts
 * bounds the host keys.
 */
function startProbe(args: string[]) {
  return spawn(process.execPath, [PROBE_BIN, 'probe', '--no-progress', ...args], { stdio: 'ignore' });
}

t.test('a volatile key expires by TTL and __keyevent@0__:expired announces it', async (t) => {
  const port = await freePort();
  const capture = path.join(ndpiPcapDir(), 'smtp.pcap'); // two hosts, one TCP session
  const child = startProbe(['--pcap', capture, '--resp-port', String(port), '--host-ttl', '2']);
  const exit = exited(child);
  const sub = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: (n) => (n > 50 ? null : 100) });
  try {
    await waitFor('the RESP listener', () => redisCli(port, 'PING') === 'PONG');
    await sub.connect();
    const expired: string[] = [];
    sub.on('message', (channel: string, key: string) => {
      if (channel === '__keyevent@0__:expired') expired.push(key);
    });
    await sub.subscribe('__keyevent@0__:expired');
    await waitFor('pcap_eof:1', () => infoFields(port).pcap_eof === '1');
    const hosts = redisCli(port, 'KEYS', 'ip.*').split('\n').filter(Boolean).sort();
    t.equal(hosts.length, 2, `two host keys before expiry: ${hosts.join(' ')}`);
    const ttl = Number(redisCli(port, 'PTTL', hosts[0]));
    t.ok(ttl > 0 && ttl <= 2000, `PTTL ${ttl} ms within --host-ttl 2`);
    await waitFor('both host keys expired', () => hosts.every((h) => expired.includes(h)), 10_000);
    t.same(expired.filter((k) => k.startsWith('ip.')).sort(), hosts, 'one expired event per host key');
    t.equal(redisCli(port, 'EXISTS', hosts[0], hosts[1]), '0', 'the keys are gone');
    t.equal(redisCli(port, 'GET', 'stats.packets'), '95', 'stats.* never expire by time');
  } finally {
    sub.disconnect();
    child.kill('SIGTERM');
    await exit;
  }
});

t.test('--max-hosts bounds ip.* keys; evictions are counted', async (t) => {
  const port = await freePort();
  const child = startProbe(['--pcap', path.join(ndpiPcapDir(), '1kxun.pcap'), '--resp-port', String(port), '--max-hosts', '10']);
  const exit = exited(child);
  try {
    await waitFor('pcap_eof:1', () => infoFields(port).pcap_eof === '1');
    await new Promise((r) => setTimeout(r, 300));
    const hosts = redisCli(port, 'KEYS', 'ip.*').split('\n').filter(Boolean);
    t.ok(hosts.length <= 10, `${hosts.length} ip.* keys kept of 100 hosts`);
    const evicted = Number(infoFields(port).hosts_evicted);
    t.ok(evicted >= 90, `${evicted} hosts evicted`);
    t.equal(redisCli(port, 'GET', 'stats.hosts.evicted'), String(evicted), 'stats.hosts.evicted agrees');
    t.ok(Number(redisCli(port, 'ZCARD', 'top.hosts.bytes')) <= 10, 'top.hosts.bytes follows the evictions');
  } finally {
    child.kill('SIGTERM');
    await exit;
  }
});
