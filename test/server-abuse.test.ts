// Abuse: 5,000 idle connections; a declared 1 GB bulk; random garbage; a
// subscriber that never reads while 1,000,000 messages are published;
// 100,000 pipelined commands in one write; the query-buffer limit; maxclients;
// idle timeout. The server runs in a child process; after each case it must
// still answer another client, and its RSS (from /proc) must stay under
// RSS_BOUND. No timing assertions.
import t from 'tap';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { spawnOurs, RawConn, encodeCommand, Proc } from './helpers/redis-procs';

/** The stated memory bound for the server process during every abuse case. */
const RSS_BOUND = 400 * 1024 * 1024;

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

let srv: Proc & { pid: number };
let peak = 0;
const sample = (): number => {
  const r = rss(srv.pid);
  if (r > peak) peak = r;
  return r;
};

t.before(async () => {
  srv = await spawnOurs(['--pubsub-limit', `${32 * 1024 * 1024},${8 * 1024 * 1024},60`]);
});
t.teardown(async () => {
  await srv.stop();
});

/* eslint-disable @typescript-eslint/no-explicit-any */
interface Asserts {
  equal(...a: any[]): unknown;
  ok(...a: any[]): unknown;
}

async function stillServes(tt: Asserts, what: string): Promise<void> {
  const c = await RawConn.connect(srv.port);
  const r = await c.command(['PING']);
  c.close();
  tt.equal(r.raw, '+PONG\r\n', `answers after ${what}`);
  const m = sample();
  tt.ok(m < RSS_BOUND, `RSS ${(m / 1048576).toFixed(1)} MB < ${RSS_BOUND / 1048576} MB after ${what}`);
}


t.test('5,000 idle connections', async (tt) => {
  const socks: net.Socket[] = [];
  for (let i = 0; i < 5000; i++) {
    socks.push(await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(srv.port, '127.0.0.1', () => resolve(s));
      s.on('error', reject);
    }));
  }
  const c = await RawConn.connect(srv.port);
  const info = await c.command(['INFO', 'clients']);
  tt.match(info.value as string, /connected_clients:500[01]/, 'all 5,000 connected');
  c.close();
  await stillServes(tt, '5,000 idle connections');
  for (const s of socks) s.destroy();
});

t.test('a declared 1 GB bulk is refused from its header', async (tt) => {
  const c = await RawConn.connect(srv.port);
  c.write('*2\r\n$3\r\nSET\r\n$1073741824\r\n');
  c.write(Buffer.alloc(1024 * 1024, 120)); // and then some of the data
  const out = await c.readAll(3000);
  tt.equal(out, '-ERR Protocol error: invalid bulk length\r\n');
  tt.ok(c.closed, 'connection closed');
  await stillServes(tt, 'a declared 1 GB bulk');
});

t.test('random garbage from 200 connections', async (tt) => {
  let seed = 7;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
  const conns = await Promise.all(Array.from({ length: 200 }, () => RawConn.connect(srv.port)));
  for (const c of conns) {
    const b = Buffer.alloc(64 * 1024);
    for (let i = 0; i < b.length; i++) b[i] = rnd();
    c.write(b);
  }
  await Promise.all(conns.map((c) => c.readAll(500)));
  for (const c of conns) c.close();
  await stillServes(tt, 'random garbage');
});

t.test('a subscriber that never reads while 1,000,000 messages are published', async (tt) => {
  const sub = await RawConn.connect(srv.port);
  sub.sock.setNoDelay(true);
  const r = await sub.command(['SUBSCRIBE', 'events.flow']);
  tt.match(r.raw, /subscribe/);
  sub.sock.pause(); // stop reading: the kernel buffers fill, then the server's output buffer grows
  const pub = await RawConn.connect(srv.port);
  const payload = '{"sourceIPv4Address":"10.0.0.1","destinationIPv4Address":"10.0.0.2","octetDeltaCount":1500}';
  const batch = encodeCommand(['PUBLISH', 'events.flow', payload]).repeat(10000);
  let receivers = 0;
  for (let i = 0; i < 100; i++) {
    pub.write(batch);
    for (let k = 0; k < 10000; k++) receivers += (await pub.read(30000)).value as number;
    if (i % 10 === 0) sample();
  }
  tt.ok(receivers > 0 && receivers < 1000000, `subscriber received ${receivers} messages, then was disconnected`);
  const info = await pub.command(['INFO', 'stats']);
  tt.match(info.value as string, /client_output_buffer_limit_disconnections:[1-9]/, 'disconnected for its output buffer');
  const ch = await pub.command(['PUBSUB', 'NUMSUB', 'events.flow']);
  tt.match(ch.raw, /:0\r\n$/, 'no subscriber left');
  pub.close();
  sub.close();
  tt.ok(peak < RSS_BOUND, `peak RSS ${(peak / 1048576).toFixed(1)} MB < bound`);
  await stillServes(tt, '1,000,000 publishes to a stuck subscriber');
});

t.test('100,000 pipelined commands in one write, while another client is served', async (tt) => {
  const c = await RawConn.connect(srv.port);
  await c.command(['CONFIG', 'RESETSTAT']);
  let big = '';
  for (let i = 0; i < 100000; i++) big += encodeCommand(['HINCRBY', 'ip.10.0.0.' + (i % 250), 'pkts.sent', '1']);
  const other = await RawConn.connect(srv.port);
  c.write(big);
  // the other client is answered while the pipeline runs
  const pong = await other.command(['PING'], 30000);
  tt.equal(pong.raw, '+PONG\r\n');
  let n = 0;
  let last: unknown;
  for (; n < 100000; n++) last = (await c.read(30000)).value;
  tt.equal(n, 100000, 'every command answered');
  tt.equal(last, 400, 'last HINCRBY result');
  const v = await other.command(['HGET', 'ip.10.0.0.0', 'pkts.sent']);
  tt.equal(v.value, '400');
  const info = (await other.command(['INFO', 'everything'])).value as string;
  const lag = /eventloop_delay_max_ms:([0-9.]+)/.exec(info);
  const run = /longest_command_run_ms:([0-9.]+)/.exec(info);
  tt.comment(`longest uninterrupted command run ${run?.[1]} ms; event-loop delay max ${lag?.[1]} ms (includes CPU starvation on a loaded machine; reported, not asserted)`);
  c.close();
  other.close();
  await stillServes(tt, '100,000 pipelined commands');
});

t.test('query-buffer limit: a huge multibulk closes the connection, server unharmed', async (tt) => {
  const c = await RawConn.connect(srv.port);
  // 10 arguments of 15 MB each (each under proto-max-bulk-len) exceed the 64 MB query-buffer limit.
  c.write('*10\r\n');
  const chunk = '$15000000\r\n' + 'x'.repeat(15000000) + '\r\n';
  for (let i = 0; i < 10 && !c.closed; i++) {
    c.write(chunk);
    await new Promise((r) => setTimeout(r, 20));
  }
  await c.readAll(3000);
  tt.ok(c.closed, 'connection closed');
  await stillServes(tt, 'query-buffer overflow');
});

t.test('maxclients and idle timeout', async (tt) => {
  const small = await spawnOurs(['--maxclients', '5', '--timeout', '1']);
  try {
    const conns = await Promise.all(Array.from({ length: 5 }, () => RawConn.connect(small.port)));
    const extra = await RawConn.connect(small.port);
    tt.equal(await extra.readAll(2000), '-ERR max number of clients reached\r\n');
    const sub = conns[0];
    await sub.command(['SUBSCRIBE', 'x']);
    // idle clients are closed after `timeout` seconds; subscribers are not
    await Promise.all(conns.slice(1).map((c) => c.readAll(5000)));
    tt.ok(conns.slice(1).every((c) => c.closed), 'idle clients closed');
    tt.notOk(sub.closed, 'subscriber kept');
    const c = await RawConn.connect(small.port);
    tt.equal((await c.command(['PING'])).raw, '+PONG\r\n', 'a slot is free again');
    c.close();
    sub.close();
  } finally {
    await small.stop();
  }
});
