import t from 'tap';
import Redis from 'ioredis';
import { UpdateCoalescer, commandOf } from '../cache/update-coalescer';
import type { KbOp } from '../cache/kb-updates';
import { spawnRedis } from './helpers/redis-procs';

/**
 * The upstream coalescer against a real redis-server: a random stream of
 * updates sent one by one to one server, and coalesced to another, leaves
 * the same key space (minus TTLs); the bound drops counters and events,
 * never persistent updates; local keys never leave.
 */

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomOps(n: number, seed: number): KbOp[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const hosts = ['ip.10.0.0.1', 'ip.10.0.0.2', 'ip.10.0.0.3', 'mac.02:00:00:00:00:01', 'vlan.7'];
  const users = ['user.alice', 'user.bob', 'ipuser.10.0.0.1', 'gtp.imsi.001010000000001'];
  const ops: KbOp[] = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    if (x < 0.45) ops.push(['hincrby', pick(hosts), pick(['bytes.sent', 'bytes.rcvd', 'pkts.sent']), Math.floor(r() * 1000) - 100]);
    else if (x < 0.55) ops.push(['zincrby', 'top.hosts.bytes', Math.floor(r() * 5000), pick(['10.0.0.1', '10.0.0.2', '10.0.0.3'])]);
    else if (x < 0.62) ops.push(['hset', pick(hosts), 'last.seen', Math.floor(r() * 1e9)]);
    else if (x < 0.66) ops.push(['hsetnx', pick(hosts), 'first.seen', Math.floor(r() * 1e9)]);
    else if (x < 0.74) ops.push(['hset', pick(users.filter((u) => !u.startsWith('ipuser'))), pick(['ip', 'source', 'since']), `v${Math.floor(r() * 100)}`]);
    else if (x < 0.78) ops.push(['set', 'ipuser.10.0.0.1', pick(['alice', 'bob'])]);
    else if (x < 0.83) ops.push(['del', pick([...users, ...hosts])]); // a DEL between increments of the same key
    else if (x < 0.86) ops.push(['hdel', pick(hosts), 'user']);
    else if (x < 0.9) ops.push(['hset', pick(hosts), 'user', pick(['alice', 'bob'])]);
    else if (x < 0.95) ops.push(['hset', `flow.${i}`, 'packetDeltaCount', i]); // local
    else ops.push(['set', 'stats.packets', i]); // local
  }
  return ops;
}

async function dump(r: Redis): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of (await r.keys('*')).sort()) {
    const type = await r.type(key);
    out[key] = type === 'hash' ? await r.hgetall(key) : type === 'zset' ? await r.zrange(key, 0, -1, 'WITHSCORES') : await r.get(key);
  }
  return out;
}

t.test('coalesced = one by one, on real redis-server', async (t) => {
  const one = await spawnRedis();
  const two = await spawnRedis();
  const a = new Redis({ port: one.port });
  const b = new Redis({ port: two.port });
  try {
    for (const seed of [1, 2, 3, 4, 5]) {
      await a.flushall();
      await b.flushall();
      const ops = randomOps(3000, seed);
      for (const op of ops) {
        if (/^(flow|stats)\./.test(op[1])) continue;
        const cmd = commandOf(op);
        await a.call(cmd[0], ...cmd.slice(1));
      }
      const c = new UpdateCoalescer({ hostTtlSec: 300, maxEntries: 1e6 });
      // Several batches, as an upstream that comes and goes would take them.
      for (let i = 0; i < ops.length; i += 700) c.add(ops.slice(i, i + 700));
      const commands = c.take();
      t.ok(commands.length < ops.length * 0.75, `seed ${seed}: ${ops.length} updates -> ${commands.length} commands`);
      for (const cmd of commands) await b.call(cmd[0], ...cmd.slice(1));
      t.same(await dump(b), await dump(a), `seed ${seed}: the same key space`);
      t.notOk(commands.some((cmd) => /^(flow|stats)\./.test(String(cmd[1]))), 'local keys never leave');
      const ttl = await b.ttl('ip.10.0.0.1');
      t.ok(ttl === -2 || (ttl > 0 && ttl <= 300), 'volatile keys carry the host TTL');
      t.equal(await b.ttl('user.alice'), (await b.exists('user.alice')) ? -1 : -2, 'persistent keys never expire');
    }
  } finally {
    a.disconnect();
    b.disconnect();
    await one.stop();
    await two.stop();
  }
});

t.test('past the bound: new counters and events dropped and counted, persistent updates kept', async (t) => {
  const c = new UpdateCoalescer({ hostTtlSec: 300, maxEntries: 10 });
  for (let i = 0; i < 10; i++) c.add([['hincrby', `ip.10.0.0.${i}`, 'bytes.sent', 1]]);
  t.equal(c.size, 10);
  c.add([['hincrby', 'ip.10.0.0.1', 'bytes.sent', 5]]); // an existing counter still merges
  c.add([['hincrby', 'ip.10.0.1.1', 'bytes.sent', 5], ['publish', 'events.user', '{}']]);
  t.equal(c.dropped, 2, 'a new counter field and an event dropped');
  c.add([['set', 'ipuser.10.0.0.9', 'alice'], ['hset', 'user.alice', 'ip', '10.0.0.9'], ['del', 'user.bob']]);
  t.equal(c.dropped, 2, 'persistent updates are kept past the bound');
  const cmds = c.take();
  t.same(cmds.filter((x) => x[1] === 'ip.10.0.0.1'), [['HINCRBY', 'ip.10.0.0.1', 'bytes.sent', 6], ['EXPIRE', 'ip.10.0.0.1', 300]], 'merged into one increment, then its EXPIRE');
  t.ok(cmds.some((x) => x[0] === 'SET' && x[1] === 'ipuser.10.0.0.9'));
  t.ok(cmds.some((x) => x[0] === 'DEL' && x[1] === 'user.bob'));
  t.equal(c.size, 0, 'empty after take()');
});
