import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { PROBE_BIN } from './helpers/probe-cli';
import { waitFor, exited } from './helpers/probe-server';
import { freePort, spawnRedis } from './helpers/redis-procs';
import { spawnRedisCluster } from './helpers/redis-cluster';
import { ndpiPcapDir } from './corpus/paths';
import { buildDemoCapture } from './gen/demo-capture';
import { writePcap, LinkType } from './gen/pcap-writer';

/**
 * The microCloud with real redis-server processes: probes that each see part
 * of the traffic add up in their upstream (a node or a three-master Redis
 * Cluster) to what one probe seeing everything leaves; a probe chained
 * through another probe reaches the same redis-server state.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-upstream-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

const CAPTURE = path.join(ndpiPcapDir(), '1kxun.pcap');

/** Runs a probe to the end of its capture; it exits once the upstreams have everything. */
async function probeInto(capture: string, upstreams: string[], extra: string[] = []): Promise<void> {
  const child = spawn(process.execPath, [PROBE_BIN, 'probe', '--no-progress', '--resp-port', '0', '--exit-on-eof', '--pcap', capture, ...upstreams.flatMap((u) => ['--upstream', u]), ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const code = await exited(child);
  if (code !== 0) throw new Error(`probe exited ${code}: ${err}`);
}

/** Splits a capture into its first and second halves (by packet count) with editcap. */
function halves(capture: string): [string, string] {
  const count = Number(/Number of packets:\s+(\d+)/.exec(spawnSync('capinfos', ['-c', '-M', capture], { encoding: 'utf8' }).stdout)?.[1]);
  const mid = Math.floor(count / 2);
  const a = path.join(tmp, `a-${path.basename(capture)}`);
  const b = path.join(tmp, `b-${path.basename(capture)}`);
  spawnSync('editcap', ['-r', capture, a, `1-${mid}`]);
  spawnSync('editcap', ['-r', capture, b, `${mid + 1}-${count}`]);
  return [a, b];
}

/** Every key matching the patterns on these nodes (every master of a cluster), with its content. */
async function dump(ports: number[], patterns: string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const port of ports) {
    const r = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1 });
    await r.connect();
    try {
      for (const pattern of patterns) {
        for (const key of await r.keys(pattern)) {
          const type = await r.type(key);
          out[key] = type === 'hash' ? await r.hgetall(key) : type === 'zset' ? await r.zrange(key, 0, -1, 'WITHSCORES') : await r.get(key);
        }
      }
    } finally {
      r.disconnect();
    }
  }
  return out;
}

/**
 * The additive counters of host and VLAN hashes: what several probes must sum
 * to. (mac.* and app.<name>.bytes are left out: a flow's packets count for
 * the MACs of the first packet its probe saw and for the application its
 * first packets showed; the second half of a cut flow starts elsewhere.)
 */
function counters(keys: Record<string, unknown>): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [key, value] of Object.entries(keys)) {
    if (!/^(ip|vlan)\./.test(key)) continue;
    const fields: Record<string, string> = {};
    for (const [f, v] of Object.entries(value as Record<string, string>)) if (/^(vlan\.\d+\.)?(bytes|pkts)/.test(f)) fields[f] = v;
    out[key] = fields;
  }
  return out;
}

const TOP = (keys: Record<string, unknown>) => {
  const z = (keys['top.hosts.bytes'] as string[]) ?? [];
  const m: Record<string, string> = {};
  for (let i = 0; i < z.length; i += 2) m[z[i]] = z[i + 1];
  return m;
};

t.test('two probes with half the capture each = one probe with all of it (one redis-server)', async (t) => {
  const together = await spawnRedis();
  const split = await spawnRedis();
  try {
    const [a, b] = halves(CAPTURE);
    await probeInto(CAPTURE, [`redis://127.0.0.1:${together.port}`], ['--name', 'whole']);
    await Promise.all([
      probeInto(a, [`redis://127.0.0.1:${split.port}`], ['--name', 'first']),
      probeInto(b, [`redis://127.0.0.1:${split.port}`], ['--name', 'second']),
    ]);
    const one = await dump([together.port], ['ip.*', 'mac.*', 'vlan.*', 'top.*']);
    const two = await dump([split.port], ['ip.*', 'mac.*', 'vlan.*', 'top.*']);
    t.ok(Object.keys(counters(one)).length > 50, `${Object.keys(counters(one)).length} host keys`);
    t.same(counters(two), counters(one), 'bytes and packets of every ip.* and vlan.* key add up');
    t.same(TOP(two), TOP(one), 'top.hosts.bytes adds up');
    const ttl = Number(spawnSync('redis-cli', ['-p', String(split.port), 'TTL', Object.keys(counters(two))[0]], { encoding: 'utf8' }).stdout);
    t.ok(ttl > 0 && ttl <= 300, `volatile keys carry the host TTL upstream (${ttl} s)`);
    t.same(await dump([split.port], ['flow.*', 'stats.*']), {}, 'flow.* and stats.* stay local');
  } finally {
    await together.stop();
    await split.stop();
  }
});

t.test('the same through a three-master Redis Cluster', async (t) => {
  const together = await spawnRedis();
  const cluster = await spawnRedisCluster(3);
  try {
    const [a, b] = halves(CAPTURE);
    await probeInto(CAPTURE, [`redis://127.0.0.1:${together.port}`]);
    const url = `redis://127.0.0.1:${cluster.ports[0]}`;
    await Promise.all([probeInto(a, [url], ['--upstream-cluster', '--name', 'c1']), probeInto(b, [url], ['--upstream-cluster', '--name', 'c2'])]);
    const one = await dump([together.port], ['ip.*', 'mac.*', 'vlan.*', 'top.*']);
    const two = await dump(cluster.ports, ['ip.*', 'mac.*', 'vlan.*', 'top.*']);
    t.same(counters(two), counters(one), 'bytes and packets of every key add up across the cluster');
    t.same(TOP(two), TOP(one), 'top.hosts.bytes adds up');
    const perNode = await Promise.all(cluster.ports.map(async (p) => Object.keys(await dump([p], ['ip.*'])).length));
    t.ok(perNode.every((n) => n > 0), `keys spread over the masters: ${perNode.join(', ')}`);
  } finally {
    await together.stop();
    await cluster.stop();
  }
});

t.test('rediss://: replication over TLS to a redis-server with a TLS port', async (t) => {
  const dir = path.join(tmp, 'tls');
  fs.mkdirSync(dir);
  const sh = (args: string[]) => spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  sh(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=microcloud test CA']);
  sh(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  sh(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf']);
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', path.join(dir, 'server.crt'), '--tls-key-file', path.join(dir, 'server.key'),
    '--tls-ca-cert-file', path.join(dir, 'ca.crt'), '--tls-auth-clients', 'no', '--save', '', '--appendonly', 'no', '--logfile', ''], { stdio: 'ignore' });
  const cli = (...args: string[]) => spawnSync('redis-cli', ['--tls', '--cacert', path.join(dir, 'ca.crt'), '-p', String(port), ...args], { encoding: 'utf8' }).stdout.trim();
  try {
    await waitFor('redis-server on its TLS port', () => cli('PING') === 'PONG');
    const demo = path.join(tmp, 'demo-tls.pcap');
    fs.writeFileSync(demo, buildDemoCapture().file);
    // The operator trusts the upstream's CA the Node.js way.
    const child = spawn(process.execPath, [PROBE_BIN, 'probe', '--no-progress', '--resp-port', '0', '--exit-on-eof', '--pcap', demo, '--upstream', `rediss://127.0.0.1:${port}`], {
      stdio: 'ignore', env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.crt') },
    });
    t.equal(await exited(child), 0, 'the probe delivered everything and exited 0');
    t.equal(cli('HGET', 'user.carol@isp.test', 'source'), 'radius', 'user keys arrived over TLS');
    t.ok(Number(cli('HGET', 'ip.10.100.0.3', 'bytes.sent')) > 0, 'host counters arrived over TLS');
  } finally {
    redis.kill('SIGKILL');
  }
});

t.test('chain: probe -> probe -> redis-server ends with the same keys as probe -> redis-server', async (t) => {
  const demo = path.join(tmp, 'demo.pcap');
  fs.writeFileSync(demo, buildDemoCapture().file);
  // The relay reads nothing itself: it only serves and passes on.
  fs.writeFileSync(path.join(tmp, 'empty.pcap'), writePcap([], { linkType: LinkType.ETHERNET }));
  const direct = await spawnRedis();
  const chained = await spawnRedis();
  const relayPort = await freePort();
  // Auth on the relay: a read-only user for dashboards, a writer for peer probes.
  const acl = path.join(tmp, 'users.acl');
  fs.writeFileSync(acl, [
    'user default on >admin-pw ~* &* +@all',
    'user dashboard on >dash-pw ~* &* -@all +@read +@connection +subscribe +info',
    'user peer on >peer-pw ~* &* +@all',
  ].join('\n') + '\n');
  const relay = spawn(process.execPath, [PROBE_BIN, 'probe', '--no-progress', '--name', 'relay', '--pcap', path.join(tmp, 'empty.pcap'), '--resp-port', String(relayPort), '--acl-file', acl, '--upstream', `redis://127.0.0.1:${chained.port}`], { stdio: 'ignore' });
  const relayExit = exited(relay);
  try {
    await probeInto(demo, [`redis://127.0.0.1:${direct.port}`]);
    const relayInfo = (): Record<string, string> => Object.fromEntries(
      spawnSync('redis-cli', ['-p', String(relayPort), '--user', 'dashboard', '--pass', 'dash-pw', '--no-auth-warning', 'INFO', 'probe'], { encoding: 'utf8' }).stdout
        .split(/\r?\n/).filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));
    await waitFor('the relay probe', () => relayInfo().pcap_eof === '1');
    const denied = spawnSync('redis-cli', ['-p', String(relayPort), '--user', 'dashboard', '--pass', 'dash-pw', '--no-auth-warning', 'HINCRBY', 'ip.10.0.0.1', 'bytes.sent', '1'], { encoding: 'utf8' }).stdout;
    t.match(denied, /NOPERM/, 'the dashboard user cannot write');
    await probeInto(demo, [`redis://peer:peer-pw@127.0.0.1:${relayPort}`], ['--name', 'edge']);
    await waitFor('the relay passed everything on', () => relayInfo().upstream_pending === '0' && relayInfo().upstream_batches !== '0');
    const persistent = ['user.*', 'ipuser.*', 'gtp.*'];
    const want = await dump([direct.port], persistent);
    t.ok(Object.keys(want).length >= 6, `${Object.keys(want).length} persistent keys`);
    t.same(await dump([chained.port], persistent), want, 'the same user.*, ipuser.*, gtp.* keys at the end of the chain');
    t.same(counters(await dump([chained.port], ['ip.*', 'mac.*', 'vlan.*'])), counters(await dump([direct.port], ['ip.*', 'mac.*', 'vlan.*'])), 'and the same counters');
  } finally {
    relay.kill('SIGTERM');
    await relayExit;
    await direct.stop();
    await chained.stop();
  }
});
