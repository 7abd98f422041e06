// Our server through real clients: redis-cli, ioredis, node-redis (RESP2 and
// RESP3), Debian's python3-redis (pipelines and pub/sub), a Unix socket, the
// INFO probe hook and the probe's direct API.
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { startRespServer, RespServer } from '../server';

const run = promisify(execFile);
let srv: RespServer;
const sock = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mc-resp-')), 'resp.sock');

t.before(async () => {
  srv = await startRespServer({ port: 'ephemeral', socketPath: sock, info: () => ({ packets: 42, pcap_eof: 1 }) });
});
t.teardown(async () => {
  await srv.close();
});

t.test('redis-cli', async (tt) => {
  const cli = (...a: string[]) => run('redis-cli', ['-p', String(srv.port), ...a]).then((r) => r.stdout);
  tt.equal(await cli('PING'), 'PONG\n');
  tt.equal(await cli('SET', 'cli:k', 'hello world'), 'OK\n');
  tt.equal(await cli('GET', 'cli:k'), 'hello world\n');
  tt.equal(await cli('HSET', 'ip.10.0.0.1', 'bytes.sent', '100', 'pkts.sent', '2'), '2\n');
  tt.equal(await cli('HGETALL', 'ip.10.0.0.1'), 'bytes.sent\n100\npkts.sent\n2\n');
  tt.equal((await run('redis-cli', ['-3', '-p', String(srv.port), 'HGETALL', 'ip.10.0.0.1'])).stdout, 'bytes.sent 100\npkts.sent 2\n', 'RESP3 map');
  tt.equal(await cli('KEYS', 'ip.*'), 'ip.10.0.0.1\n');
  tt.match(await cli('INFO', 'probe'), /# Probe\r?\npackets:42\r?\npcap_eof:1/);
  tt.equal(await cli('NOSUCH'), "ERR unknown command 'NOSUCH', with args beginning with: \n\n");
  // Unix socket
  tt.equal((await run('redis-cli', ['-s', sock, 'GET', 'cli:k'])).stdout, 'hello world\n');
  // --pipe mass insertion (raw RESP on stdin)
  let payload = '';
  for (let i = 0; i < 2000; i++) payload += `*3\r\n$3\r\nSET\r\n$${('pipe:' + i).length}\r\npipe:${i}\r\n$1\r\n${i % 10}\r\n`;
  const p = await new Promise<string>((resolve, reject) => {
    const ch = execFile('redis-cli', ['-p', String(srv.port), '--pipe'], (err, out) => (err ? reject(err) : resolve(out)));
    ch.stdin?.end(payload);
  });
  tt.match(p, /errors: 0, replies: 2000/);
  tt.equal(await cli('GET', 'pipe:1999'), '9\n');
});

t.test('ioredis', async (tt) => {
  const r = new Redis({ port: srv.port, lazyConnect: true });
  await r.connect();
  tt.equal(await r.set('io:a', '1', 'EX', 100), 'OK');
  tt.equal(await r.incrby('io:a', 41), 42);
  tt.equal(await r.ttl('io:a'), 100);
  tt.same(await r.hgetall('nohash'), {});
  await r.hset('io:h', { a: '1', b: 'two' });
  tt.same(await r.hgetall('io:h'), { a: '1', b: 'two' });
  tt.equal(await r.zadd('io:z', 1, 'x', 2.5, 'y'), 2);
  tt.same(await r.zrange('io:z', 0, -1, 'WITHSCORES'), ['x', '1', 'y', '2.5']);
  const pipe = r.pipeline();
  for (let i = 0; i < 1000; i++) pipe.hincrby('io:counters', 'c', 1);
  const res = await pipe.exec();
  tt.equal(res?.length, 1000);
  tt.equal(await r.hget('io:counters', 'c'), '1000');
  const m = await r.multi().set('io:m', 'v').get('io:m').exec();
  tt.same(m, [[null, 'OK'], [null, 'v']]);
  await tt.rejects(r.hget('io:a', 'f'), /WRONGTYPE/);
  // pub/sub with pattern
  const sub = new Redis({ port: srv.port });
  const got: string[] = [];
  await sub.subscribe('events.user');
  await sub.psubscribe('events.*');
  const done = new Promise<void>((resolve) => {
    sub.on('message', (ch, msg) => { got.push(`m:${ch}:${msg}`); if (got.length === 4) resolve(); });
    sub.on('pmessage', (p, ch, msg) => { got.push(`p:${p}:${ch}:${msg}`); if (got.length === 4) resolve(); });
  });
  tt.equal(await r.publish('events.user', '{"event":"connect"}'), 2);
  tt.equal(await r.publish('events.user', '{"event":"disconnect"}'), 2);
  await done;
  tt.same(got, [
    'm:events.user:{"event":"connect"}', 'p:events.*:events.user:{"event":"connect"}',
    'm:events.user:{"event":"disconnect"}', 'p:events.*:events.user:{"event":"disconnect"}',
  ]);
  sub.disconnect();
  r.disconnect();
});

for (const RESP of [2, 3] as const) {
  t.test(`node-redis RESP${RESP}`, async (tt) => {
    const c = createClient({ RESP, socket: { port: srv.port, host: '127.0.0.1' } });
    c.on('error', () => {});
    await c.connect();
    tt.equal(await c.ping(), 'PONG');
    tt.equal(await c.set(`nr${RESP}:k`, 'v', { PX: 100000 }), 'OK');
    tt.equal(await c.get(`nr${RESP}:k`), 'v');
    tt.equal(await c.get(`nr${RESP}:none`), null);
    await c.hSet(`nr${RESP}:h`, { f1: 'a', f2: 'b' });
    tt.same({ ...(await c.hGetAll(`nr${RESP}:h`)) }, { f1: 'a', f2: 'b' });
    await c.zAdd(`nr${RESP}:z`, [{ score: 1.5, value: 'a' }, { score: -2, value: 'b' }]);
    tt.same(await c.zRangeWithScores(`nr${RESP}:z`, 0, -1), [{ value: 'b', score: -2 }, { value: 'a', score: 1.5 }]);
    tt.equal(await c.zScore(`nr${RESP}:z`, 'a'), 1.5);
    tt.same((await c.sMembers(`nr${RESP}:none`)), []);
    await c.sAdd(`nr${RESP}:s`, ['x', 'y']);
    tt.same([...(await c.sMembers(`nr${RESP}:s`))].sort(), ['x', 'y']);
    tt.equal(await c.hIncrByFloat(`nr${RESP}:h`, 'fl', 0.1), '0.1');
    const [a, b] = await c.multi().incr(`nr${RESP}:n`).incr(`nr${RESP}:n`).exec();
    tt.same([a, b], [1, 2]);
    const sub = c.duplicate();
    sub.on('error', () => {});
    await sub.connect();
    const msgs: string[] = [];
    const got = new Promise<void>((resolve) => {
      void sub.subscribe('events.flow', (m) => { msgs.push(m); if (msgs.length === 3) resolve(); });
    });
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 3; i++) await c.publish('events.flow', `{"n":${i}}`);
    await got;
    tt.same(msgs, ['{"n":0}', '{"n":1}', '{"n":2}']);
    await sub.close();
    await c.close();
  });
}

t.test('python3-redis (Debian): pipelines and pub/sub', async (tt) => {
  const py = `
import redis, json, sys
r = redis.Redis(port=${srv.port})
p = r.pipeline(transaction=False)
for i in range(5000):
    p.hincrby('py:h', 'n', 1)
    p.set('py:k%d' % i, i)
res = p.execute()
assert len(res) == 10000, len(res)
t = r.pipeline(transaction=True)
t.incr('py:c'); t.incr('py:c'); t.get('py:c')
tres = t.execute()
ps = r.pubsub()
ps.subscribe('events.user')
ps.psubscribe('ev*')
confirm = [ps.get_message(timeout=2)['type'] for _ in range(2)]
for i in range(100):
    r.publish('events.user', 'msg%d' % i)
got = []
while len(got) < 200:
    m = ps.get_message(timeout=2)
    if m is None: break
    got.append((m['type'], m['data'].decode()))
print(json.dumps({'h': r.hget('py:h', 'n').decode(), 'tx': [x if isinstance(x, int) else x.decode() for x in tres], 'confirm': confirm, 'got': got}))
`;
  const out = JSON.parse((await run('/usr/bin/python3', ['-c', py], { maxBuffer: 1 << 24 })).stdout);
  tt.equal(out.h, '5000');
  tt.same(out.tx, [1, 2, '2']);
  tt.same(out.confirm, ['subscribe', 'psubscribe']);
  const expected: [string, string][] = [];
  for (let i = 0; i < 100; i++) expected.push(['message', `msg${i}`], ['pmessage', `msg${i}`]);
  tt.same(out.got, expected, 'messages in publish order, channel subscriber before pattern');
});

t.test('probe direct API (kb) is visible over RESP, UTF-8 safe', async (tt) => {
  const kb = srv.kb;
  kb.hincrby('ip.10.0.0.9', 'bytes.sent', 1500);
  kb.hincrby('ip.10.0.0.9', 'bytes.sent', 500);
  kb.hset('user.jörg', 'ip', '10.0.0.9');
  kb.zincrby('top.hosts.bytes', '10.0.0.9', 2000);
  kb.set('stats.packets', 12);
  kb.incrby('stats.packets', 3);
  kb.expire('ip.10.0.0.9', 300);
  const r = new Redis({ port: srv.port });
  tt.equal(await r.hget('ip.10.0.0.9', 'bytes.sent'), '2000');
  tt.equal(await r.hget('user.jörg', 'ip'), '10.0.0.9');
  tt.equal(await r.zscore('top.hosts.bytes', '10.0.0.9'), '2000');
  tt.equal(await r.get('stats.packets'), '15');
  tt.equal(await r.ttl('ip.10.0.0.9'), 300);
  await r.hset('user.jörg', 'source', 'radius');
  tt.same(kb.hgetall('user.jörg'), { ip: '10.0.0.9', source: 'radius' });
  tt.throws(() => kb.hincrby('stats.packets', 'x', 1), /WRONGTYPE/);
  const sub = new Redis({ port: srv.port });
  await sub.subscribe('events.user');
  const msg = new Promise<string>((resolve) => sub.on('message', (_c, m) => resolve(m)));
  tt.equal(kb.publish('events.user', '{"user":"jörg"}'), 1);
  tt.equal(await msg, '{"user":"jörg"}');
  sub.disconnect();
  r.disconnect();
});
