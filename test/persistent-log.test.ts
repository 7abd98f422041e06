// The persistent keys' append-only log (cache/persistent-log.ts): round trips
// of every value shape, a cut at every byte offset, a flipped byte anywhere,
// a real kill -9 of an appending process, compaction by rewrite() against a
// real Keyspace, the fsync policies, open()'s errors; and the rates with
// 200k persistent keys (reported, not asserted).
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PersistentLog, PersistentLogError, crc32, crc32Portable, LOG_FILE } from '../cache/persistent-log';
import { KbOp, KeyClass, keyClass } from '../cache/kb-updates';
import { Keyspace } from '../server/store';
import { ZSet } from '../server/zset';
import { toBytes } from '../server/util';

const HEADER_LEN = 'microcloud-aof 1\n'.length;
const MODULE = path.join(__dirname, '..', 'cache', 'persistent-log.js');

function tmpDir(t: tap.Test, name = 'mc-plog-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), name));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Opens and replays into a list. */
function load(dir: string, fsync: 'always' | 'everysec' | 'no' = 'no') {
  const log = PersistentLog.open({ dir, fsync });
  const ops: KbOp[] = [];
  const r = log.replay((op) => ops.push(op));
  return { log, ops, r };
}

/** Deep equality with Object.is on the leaves (-0, NaN). */
function sameOps(a: readonly KbOp[], b: readonly KbOp[]): string | null {
  if (a.length !== b.length) return `length ${a.length} != ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    if (a[i].length !== b[i].length) return `op ${i}: ${JSON.stringify(a[i])} != ${JSON.stringify(b[i])}`;
    for (let k = 0; k < a[i].length; k++) {
      if (!Object.is(a[i][k], b[i][k])) return `op ${i} arg ${k}: ${String(a[i][k])} != ${String(b[i][k])}`;
    }
  }
  return null;
}

const isPersistentOp = (op: KbOp): boolean => op[0] !== 'publish' && keyClass(op[1]) === KeyClass.Persistent;

/**
 * Applies ops to a Keyspace as the probe's applier does, with the store's
 * string convention (JS strings in, UTF-8 byte strings stored, integers kept
 * as numbers), the inverse of snapshotOf's default 'utf8-bytes'.
 */
function applierFor(st: Keyspace): (op: KbOp) => void {
  const b = toBytes;
  const val = (v: string | number) => (typeof v === 'number' && Number.isSafeInteger(v) ? v : b(String(v)));
  return (op) => {
    try {
      switch (op[0]) {
        case 'hincrby': st.hincrby(b(op[1]), b(op[2]), op[3]); break;
        case 'hset': st.hset(b(op[1]), b(op[2]), val(op[3])); break;
        case 'hsetnx': if (st.hget(b(op[1]), b(op[2])) === undefined) st.hset(b(op[1]), b(op[2]), val(op[3])); break;
        case 'zincrby': st.zincrby(b(op[1]), b(op[3]), op[2]); break;
        case 'set': st.set(b(op[1]), val(op[2])); break;
        case 'hdel': st.hdel(b(op[1]), [b(op[2])]); break;
        case 'del': st.del(b(op[1])); break;
        case 'publish': break;
      }
    } catch {
      // WRONGTYPE: skipped, as KbApplier does.
    }
  };
}

/** Every persistent key of a store, normalised for comparison. */
function persistentState(st: Keyspace): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const k of [...st.data.keys()].sort()) {
    if (keyClass(k) !== KeyClass.Persistent) continue;
    const v = st.data.get(k);
    if (v instanceof Map) out.set(k, [...v].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)));
    else if (v instanceof ZSet) out.set(k, [...v]);
    else out.set(k, v);
  }
  return out;
}

function diffState(a: Map<string, unknown>, b: Map<string, unknown>): string | null {
  if (a.size !== b.size) return `${a.size} keys != ${b.size} keys`;
  for (const [k, v] of a) {
    if (!b.has(k)) return `key ${JSON.stringify(k)} missing`;
    const x = JSON.stringify(v);
    const y = JSON.stringify(b.get(k));
    if (x !== y) return `key ${JSON.stringify(k)}: ${x} != ${y}`;
  }
  return null;
}

const UNICODE = ['Zoë', 'użytkownik', '用户', '😀 emoji', 'lone \ud800 high', 'lone \udc00 low', '\u0000\u00ff\u0100', '', 'tab\tnew\nline\r', 'é'.repeat(300), '用'.repeat(200), 'a'.repeat(70_000)];
const NUMBERS = [0, 1, -1, 127, 128, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 1.5, -0, 1e308, Number.MIN_VALUE, -Infinity, NaN];

t.test('crc32: zlib and the portable table agree (check value of "123456789")', async (t) => {
  const v = Buffer.from('123456789');
  t.equal(crc32(v), 0xcbf43926);
  t.equal(crc32Portable(v), 0xcbf43926);
  const r = Buffer.alloc(10_000);
  for (let i = 0; i < r.length; i++) r[i] = (i * 7919) & 0xff;
  t.equal(crc32Portable(r), crc32(r));
  t.equal(crc32Portable(Buffer.alloc(0)), 0);
});

t.test('append then replay in a new instance: the same ops in order; others are not logged', async (t) => {
  const dir = tmpDir(t);
  const log = PersistentLog.open({ dir, fsync: 'everysec' });
  t.same(log.replay(() => t.fail('empty log')), { ops: 0, bytes: HEADER_LEN, truncatedTailBytes: 0 }, 'a new log replays nothing');
  t.ok(fs.existsSync(path.join(dir, LOG_FILE)), 'persistent.aof created');
  const batches: KbOp[][] = [];
  batches.push([
    ['hset', 'user.alice', 'ip', '10.0.0.1'],
    ['hincrby', 'ip.10.0.0.1', 'bytes.sent', 1500],
    ['set', 'ipuser.10.0.0.1', 'alice'],
    ['publish', 'events.user', '{"event":"connect"}'],
    ['publish', 'user.looks-persistent', 'but a channel'],
    ['hset', 'flow.1', 'bytes', 1],
    ['set', 'stats.packets', 3],
    ['zincrby', 'top.hosts.bytes', 1500, '10.0.0.1'],
    ['hsetnx', 'user.alice', 'since', 1732670000],
  ]);
  batches.push([['hset', 'ip.10.0.0.2', 'os', 'linux']]); // nothing persistent: nothing written
  batches.push(UNICODE.map((s, i): KbOp => ['hset', 'user.' + s, s, UNICODE[(i + 1) % UNICODE.length]]));
  batches.push(NUMBERS.map((n, i): KbOp => (i % 2 ? ['set', `gtp.teid.192.0.2.1.${i}`, n] : ['hset', 'gtp.imsi.1', `f${i}`, n])));
  batches.push(NUMBERS.filter((n) => Number.isFinite(n)).map((n, i): KbOp => (i % 2 ? ['hincrby', 'user.n', 'c', n] : ['zincrby', 'user.z', n, 'm' + i])));
  batches.push([['hdel', 'user.alice', 'ip'], ['del', 'ipuser.10.0.0.1'], ['del', 'user.alice'], ['del', 'user.alice']]);
  // More than a record's worth (1 MiB) in one append.
  batches.push(Array.from({ length: 15_000 }, (_, i): KbOp => ['hset', `user.big${i % 100}`, `f${i}`, 'v'.repeat(100)]));
  let size = log.sizeBytes;
  t.equal(size, HEADER_LEN);
  for (const b of batches) {
    log.append(b);
    if (!b.some(isPersistentOp)) t.equal(log.sizeBytes, size, 'a batch without persistent ops writes nothing');
    size = log.sizeBytes;
  }
  t.equal(fs.statSync(path.join(dir, LOG_FILE)).size, size, 'the file has every byte at once (no user-space buffer)');
  const expected = batches.flat().filter(isPersistentOp);
  t.equal(log.stats.appendedOps, expected.length);
  // A second instance reads what the first wrote (still open: the OS has it).
  const { log: log2, ops, r } = load(dir);
  t.equal(sameOps(ops, expected), null, `${ops.length} ops replayed exactly, in order (Unicode, lone surrogates, -0, NaN, 2^53)`);
  t.same(r, { ops: expected.length, bytes: size, truncatedTailBytes: 0 });
  t.notOk(ops.some((op) => op[0] === 'publish' || op[1].startsWith('ip.') || op[1].startsWith('flow.') || op[1].startsWith('stats.') || op[1].startsWith('top.')), 'no volatile, local or publish op logged');
  t.equal(typeof ops.find((op) => op[1] === 'gtp.imsi.1')?.[3], 'number', 'numbers stay numbers');
  log2.close();
  log.close();
  log.close(); // idempotent
  t.throws(() => log.append([['set', 'user.x', 1]]), PersistentLogError, 'append after close is refused');
});

t.test('append before replay is refused on a log with records (it could follow a torn tail)', async (t) => {
  const dir = tmpDir(t);
  const a = PersistentLog.open({ dir, fsync: 'no' });
  a.append([['set', 'user.a', '1']]); // a new log needs no replay
  a.close();
  const b = PersistentLog.open({ dir, fsync: 'no' });
  t.throws(() => b.append([['set', 'user.b', '1']]), /must be replayed/);
  b.replay(() => {});
  b.append([['set', 'user.b', '1']]);
  b.close();
  t.equal(load(dir).ops.length, 2);
});

/** A log of several appends; the record boundaries (file sizes after each) and ops per append. */
function buildLog(dir: string): { bounds: number[]; batches: KbOp[][] } {
  const log = PersistentLog.open({ dir, fsync: 'no' });
  const batches: KbOp[][] = [
    [['hset', 'user.alice', 'ip', '10.0.0.1'], ['set', 'ipuser.10.0.0.1', 'alice']],
    [['hset', 'user.Zoë', 'apn', 'internet'], ['hincrby', 'ip.x', 'bytes', 1]],
    [['set', 'gtp.teid.192.0.2.1.77', '208150000000001']],
    [['hset', 'gtp.imsi.208150000000001', 'teid.c', 0x1234abcd], ['hset', 'gtp.imsi.208150000000001', 'since', 1.25], ['hdel', 'user.alice', 'ip']],
    [['del', 'user.用户😀']],
    [['zincrby', 'user.z', -3, 'm'], ['hsetnx', 'user.alice', 'since', 1732670000]],
  ];
  const bounds = [log.sizeBytes];
  for (const b of batches) {
    log.append(b);
    bounds.push(log.sizeBytes);
  }
  log.close();
  return { bounds, batches: batches.map((b) => b.filter(isPersistentOp)) };
}

t.test('a cut at every byte offset replays the complete records and cuts the torn tail', async (t) => {
  const src = tmpDir(t);
  const { bounds, batches } = buildLog(src);
  const full = fs.readFileSync(path.join(src, LOG_FILE));
  t.equal(full.length, bounds[bounds.length - 1]);
  const dir = tmpDir(t);
  const file = path.join(dir, LOG_FILE);
  const marker: KbOp = ['set', 'user.marker', 'after the cut'];
  let bad = 0;
  for (let cut = 0; cut <= full.length; cut++) {
    fs.writeFileSync(file, full.subarray(0, cut));
    const { log, ops, r } = load(dir);
    let k = 0;
    if (cut >= HEADER_LEN) while (k + 1 < bounds.length && bounds[k + 1] <= cut) k++;
    const good = cut < HEADER_LEN ? HEADER_LEN : bounds[k];
    const want = batches.slice(0, k).flat();
    const problem = sameOps(ops, want)
      ?? (r.truncatedTailBytes !== (cut < HEADER_LEN ? 0 : cut - good) ? `truncatedTailBytes ${r.truncatedTailBytes}` : null)
      ?? (log.sizeBytes !== good || fs.statSync(file).size !== good ? `size ${log.sizeBytes}/${fs.statSync(file).size} != ${good}` : null);
    // The tail is really gone: what is appended next replays after the prefix.
    log.append([marker]);
    log.close();
    const again = load(dir);
    again.log.close();
    const problem2 = sameOps(again.ops, [...want, marker]);
    if (problem || problem2) {
      bad++;
      t.fail(`cut at ${cut}: ${problem ?? problem2}`);
    }
  }
  t.equal(bad, 0, `all ${full.length + 1} cut points (records end at ${bounds.join(', ')})`);
});

t.test('a flipped byte anywhere is an error naming the offset of its record', async (t) => {
  const src = tmpDir(t);
  const { bounds } = buildLog(src);
  const full = fs.readFileSync(path.join(src, LOG_FILE));
  const dir = tmpDir(t);
  const file = path.join(dir, LOG_FILE);
  let bad = 0;
  for (let i = 0; i < full.length; i++) {
    for (const mask of [0x01, 0xff]) {
      const b = Buffer.from(full);
      b[i] ^= mask;
      fs.writeFileSync(file, b);
      let err: unknown = null;
      let log: PersistentLog | null = null;
      try {
        log = PersistentLog.open({ dir, fsync: 'no' });
        log.replay(() => {});
      } catch (e) {
        err = e;
      } finally {
        log?.close();
      }
      const rec = i < HEADER_LEN ? -1 : bounds.filter((x) => x <= i).pop()!;
      const ok = err instanceof PersistentLogError && !err.message.includes('\n')
        && (i < HEADER_LEN || (err.offset === rec && err.message.includes(`corrupt at byte ${rec} `)));
      if (!ok) {
        bad++;
        t.fail(`byte ${i} ^ ${mask}: ${err instanceof Error ? err.message : 'no error'}`);
      }
      if (i === bounds[2] + 20 && mask === 1) t.comment(`e.g. ${(err as Error).message}`);
    }
  }
  t.equal(bad, 0, `every one of ${full.length} bytes, two ways`);
  t.equal(fs.readFileSync(file).length, full.length, 'a corrupt log is left as it is');
});

t.test('zero bytes at the end (a file extended without its data) are a torn tail', async (t) => {
  const dir = tmpDir(t);
  const { bounds, batches } = buildLog(dir);
  fs.appendFileSync(path.join(dir, LOG_FILE), Buffer.alloc(4096));
  const { log, ops, r } = load(dir);
  log.close();
  t.equal(sameOps(ops, batches.flat()), null);
  t.same(r, { ops: ops.length, bytes: bounds[bounds.length - 1], truncatedTailBytes: 4096 });
});

const CHILD = `
const { PersistentLog } = require(process.argv[2]);
const log = PersistentLog.open({ dir: process.argv[3], fsync: 'everysec' });
log.replay(() => {});
const batch = (i) => [
  ['hset', 'user.u' + i, 'ip', '10.' + ((i >> 16) & 255) + '.' + ((i >> 8) & 255) + '.' + (i & 255)],
  ['hincrby', 'ip.volatile', 'bytes', 1],
  ['set', 'ipuser.u' + i, 'Zoë ' + i],
];
let n = 0;
if (process.argv[4] === 'noclose') {
  for (; n < 1000; n++) log.append(batch(n));
  console.log(n); // and exit without close(): the everysec timer must not hold the process
} else {
  const burst = () => {
    for (let k = 0; k < 100; k++) log.append(batch(n++));
    process.stdout.write(n + '\\n'); // after append returned: these are in the OS
    setImmediate(burst);
  };
  burst();
}
`;

function expectedChildOps(batches: number): KbOp[] {
  const out: KbOp[] = [];
  for (let i = 0; i < batches; i++) {
    out.push(['hset', 'user.u' + i, 'ip', `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`], ['set', 'ipuser.u' + i, 'Zoë ' + i]);
  }
  return out;
}

t.test('kill -9 of an appending process (fsync everysec) loses nothing it appended', async (t) => {
  const dir = tmpDir(t);
  const script = path.join(dir, 'child.js');
  fs.writeFileSync(script, CHILD);
  const data = path.join(dir, 'data');
  const child = spawn(process.execPath, [script, MODULE, data], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const start = Date.now();
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      // Past the first everysec fsync, and a good number of appends.
      if (Date.now() - start > 1500 && out.split('\n').length > 50 && !child.killed) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', () => resolve());
  });
  t.equal(await exited, 'SIGKILL', 'killed by SIGKILL');
  const lines = out.split('\n');
  lines.pop(); // a line cut by the kill
  const reported = Number(lines[lines.length - 1]);
  const { log, ops, r } = load(data);
  log.close();
  t.ok(reported >= 1000, `the child reported ${reported} batches appended`);
  t.ok(ops.length >= 2 * reported, `${ops.length / 2} batches replayed >= ${reported} reported (torn tail ${r.truncatedTailBytes} bytes)`);
  t.equal(ops.length % 2, 0, 'whole batches only');
  t.equal(sameOps(ops, expectedChildOps(ops.length / 2)), null, 'exactly the appended ops, in order');
});

t.test('the everysec timer does not keep a process alive', async (t) => {
  const dir = tmpDir(t);
  const script = path.join(dir, 'child.js');
  fs.writeFileSync(script, CHILD);
  const data = path.join(dir, 'data');
  const r = spawnSync(process.execPath, [script, MODULE, data, 'noclose'], { encoding: 'utf8', timeout: 20_000 });
  t.equal(r.status, 0, `exited by itself (${r.signal ?? 'no signal'})`);
  const { log, ops } = load(data);
  log.close();
  t.equal(sameOps(ops, expectedChildOps(1000)), null);
});

t.test('fsync policies: always after every append, everysec at most once a second, no never (but at close)', async (t) => {
  const dir = tmpDir(t);
  const always = PersistentLog.open({ dir: path.join(dir, 'a'), fsync: 'always' });
  for (let i = 0; i < 5; i++) always.append([['set', 'user.a' + i, i]]);
  t.equal(always.stats.fsyncs, 5);
  always.append([['set', 'ip.volatile', 1]]);
  t.equal(always.stats.fsyncs, 5, 'nothing written, nothing synced');
  always.close();

  const no = PersistentLog.open({ dir: path.join(dir, 'n'), fsync: 'no' });
  for (let i = 0; i < 5; i++) no.append([['set', 'user.a' + i, i]]);
  t.equal(no.stats.fsyncs, 0);
  no.flush();
  t.equal(no.stats.fsyncs, 1, 'flush() syncs now');
  no.close();
  t.equal(no.stats.fsyncs, 2, 'close() syncs');

  const es = PersistentLog.open({ dir: path.join(dir, 'e'), fsync: 'everysec' });
  for (let i = 0; i < 500; i++) es.append([['set', 'user.a' + i, i]]);
  t.equal(es.stats.fsyncs, 0, 'not at append');
  const waitFsyncs = async (n: number) => {
    const until = Date.now() + 5000;
    while (es.stats.fsyncs < n && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  };
  await waitFsyncs(1);
  t.equal(es.stats.fsyncs, 1, 'one background fsync for 500 appends');
  await new Promise((r) => setTimeout(r, 1300));
  t.equal(es.stats.fsyncs, 1, 'none without new appends');
  es.append([['set', 'user.b', 1]]);
  await waitFsyncs(2);
  t.equal(es.stats.fsyncs, 2, 'the next second syncs the new append');
  es.close();
  t.equal(es.lastError, null);
});

/** Many updates to a few hundred keys, as a signalling-heavy network would make. */
function churn(batches: number, seed: number): KbOp[][] {
  let s = seed;
  const rnd = (n: number): number => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
  const names = Array.from({ length: 200 }, (_, i) => (i % 7 === 0 ? `Zoë-${i}` : i % 11 === 0 ? `用户${i}` : `20815000000${String(i).padStart(4, '0')}`));
  const out: KbOp[][] = [];
  for (let b = 0; b < batches; b++) {
    const ops: KbOp[] = [];
    for (let k = 0; k < 10; k++) {
      const u = names[rnd(names.length)];
      const ip = `10.0.${rnd(4)}.${rnd(250)}`;
      switch (rnd(9)) {
        case 0: ops.push(['hset', 'user.' + u, 'ip', ip], ['set', 'ipuser.' + ip, u], ['hsetnx', 'user.' + u, 'since', 1732670000 + b]); break;
        case 1: ops.push(['hset', 'user.' + u, 'source', ['radius', 'gtpv1', 'gtpv2'][rnd(3)]], ['hset', 'user.' + u, 'rat', rnd(10)]); break;
        case 2: ops.push(['del', 'user.' + u], ['del', 'ipuser.' + ip]); break;
        case 3: ops.push(['hdel', 'user.' + u, 'ip']); break;
        case 4: ops.push(['hincrby', 'gtp.imsi.' + u, 'updates', 1 + rnd(5)], ['hset', 'gtp.imsi.' + u, 'cell', `ecgi:${rnd(1000)}`]); break;
        case 5: ops.push(['set', `gtp.teid.192.0.2.1.${rnd(300)}`, u], ['hset', 'gtp.imsi.' + u, 'apn', 1.5 * rnd(4)]); break;
        case 6: ops.push(['zincrby', 'user.rank', rnd(100) - 50, u]); break;
        case 7: ops.push(['hset', 'ip.' + ip, 'user', u], ['hincrby', 'ip.' + ip, 'bytes.sent', 100], ['publish', 'events.user', '{}']); break;
        case 8: ops.push(['set', 'user.' + u, 'a string now (WRONGTYPE for the hash ops until deleted)']); break;
      }
    }
    out.push(ops);
  }
  return out;
}

t.test('rewrite(): the compacted log replays to the same persistent keys, smaller; appends continue', async (t) => {
  const dir = tmpDir(t);
  const live = new Keyspace();
  const applyLive = applierFor(live);
  const log = PersistentLog.open({ dir, fsync: 'everysec', rewriteMinBytes: 0 });
  log.replay(() => {});
  for (const b of churn(3000, 7)) {
    b.forEach(applyLive);
    log.append(b);
  }
  const before = log.sizeBytes;
  const want = persistentState(live);
  t.ok(want.size > 150, `${want.size} persistent keys live`);

  const plain = new Keyspace();
  const again = load(dir);
  again.log.close();
  again.ops.forEach(applierFor(plain));
  t.equal(diffState(persistentState(plain), want), null, 'the log as appended replays to the live state');

  t.ok(log.needsRewrite, 'grown far past its base size');
  const snap = PersistentLog.snapshotOf(live);
  t.equal(snap.filter((op) => op[0] === 'del').length, want.size, "one 'del' per persistent key");
  log.rewrite(snap);
  const after = log.sizeBytes;
  t.ok(after < before / 10, `rewritten ${before} -> ${after} bytes`);
  t.equal(fs.statSync(path.join(dir, LOG_FILE)).size, after);
  t.notOk(log.needsRewrite, 'not right after a rewrite');
  t.same(fs.readdirSync(dir), [LOG_FILE], 'no temp file left');

  const rewritten = new Keyspace();
  const r1 = load(dir);
  r1.log.close();
  r1.ops.forEach(applierFor(rewritten));
  t.equal(diffState(persistentState(rewritten), want), null, 'the rewritten log replays to the same persistent keys');

  // Straight from the store: the same file.
  const bytes1 = fs.readFileSync(path.join(dir, LOG_FILE));
  log.rewriteFromStore(live);
  t.ok(fs.readFileSync(path.join(dir, LOG_FILE)).equals(bytes1), 'rewriteFromStore(store) writes the bytes of rewrite(snapshotOf(store))');

  for (const b of churn(500, 8)) {
    b.forEach(applyLive);
    log.append(b);
  }
  log.close();
  const final = new Keyspace();
  const r2 = load(dir);
  r2.log.close();
  r2.ops.forEach(applierFor(final));
  t.equal(diffState(persistentState(final), persistentState(live)), null, 'appends after the rewrite go to the new file');
});

t.test('snapshotOf: persistent keys only, live ones, the store strings decoded from UTF-8', async (t) => {
  const st = new Keyspace();
  const apply = applierFor(st);
  apply(['hset', 'user.Zoë', 'ip', '10.0.0.1']);
  apply(['hset', 'user.Zoë', 'count', 3]);
  apply(['set', 'ipuser.10.0.0.1', 'Zoë']);
  apply(['zincrby', 'user.z', 2.5, 'm']);
  apply(['set', 'gtp.teid.1.2', 77]);
  apply(['hset', 'ip.10.0.0.1', 'user', 'Zoë']);
  apply(['set', 'stats.packets', 1]);
  st.sadd('user.set', ['a']); // no KbOp says a set: left out
  st.set('user.gone', 'x', 1);
  await new Promise((r) => setTimeout(r, 5));
  t.same(PersistentLog.snapshotOf(st), [
    ['del', 'user.Zoë'], ['hset', 'user.Zoë', 'ip', '10.0.0.1'], ['hset', 'user.Zoë', 'count', 3],
    ['del', 'ipuser.10.0.0.1'], ['set', 'ipuser.10.0.0.1', 'Zoë'],
    ['del', 'user.z'], ['zincrby', 'user.z', 2.5, 'm'],
    ['del', 'gtp.teid.1.2'], ['set', 'gtp.teid.1.2', 77],
  ]);
  // An applier that stores op strings unconverted: 'as-is' says so; the
  // default keeps what cannot be UTF-8 bytes (U+00EB alone, U+7528) intact.
  const raw = new Keyspace();
  raw.hset('user.Zoë', 'ip', '10.0.0.1');
  raw.set('ipuser.10.0.0.2', '用户');
  const rawOps: KbOp[] = [['del', 'user.Zoë'], ['hset', 'user.Zoë', 'ip', '10.0.0.1'], ['del', 'ipuser.10.0.0.2'], ['set', 'ipuser.10.0.0.2', '用户']];
  t.same(PersistentLog.snapshotOf(raw, 'as-is'), rawOps);
  t.same(PersistentLog.snapshotOf(raw), rawOps);
  // UTF-8 bytes with a BOM and a long value: decoded exactly.
  const bom = '\ufeff' + 'ü'.repeat(100);
  const st2 = new Keyspace();
  applierFor(st2)(['set', 'user.bom', bom]);
  t.same(PersistentLog.snapshotOf(st2), [['del', 'user.bom'], ['set', 'user.bom', bom]]);
});

t.test('needsRewrite follows rewriteMinBytes and rewritePercent', async (t) => {
  const dir = tmpDir(t);
  const log = PersistentLog.open({ dir, fsync: 'no', rewriteMinBytes: 2000, rewritePercent: 100 });
  let base = HEADER_LEN;
  const check = (what: string) => {
    let wrong = 0;
    for (let i = 0; i < 400; i++) {
      log.append([['hset', 'user.u' + (i % 10), 'f', i]]);
      const want = log.sizeBytes >= 2000 && log.sizeBytes >= 2 * base;
      if (log.needsRewrite !== want) wrong++;
    }
    t.equal(wrong, 0, `${what}: needsRewrite exactly when size >= max(2000, 2 x ${base})`);
  };
  check('from a new log');
  t.ok(log.needsRewrite);
  const snap: KbOp[] = Array.from({ length: 80 }, (_, i) => ['set', 'user.s' + i, 'value ' + i]);
  log.rewrite(snap);
  base = log.sizeBytes;
  t.ok(base > 1200 && base < 2000, `rewritten to ${base} bytes`);
  t.notOk(log.needsRewrite);
  check('after a rewrite');
  log.close();
  const again = PersistentLog.open({ dir, fsync: 'no', rewriteMinBytes: 2000, rewritePercent: 100 });
  again.replay(() => {});
  t.notOk(again.needsRewrite, 'the base is the size at load');
  again.close();
  const off = PersistentLog.open({ dir, fsync: 'no', rewriteMinBytes: 0, rewritePercent: 0 });
  off.replay(() => {});
  for (let i = 0; i < 100; i++) off.append([['set', 'user.x', i]]);
  t.notOk(off.needsRewrite, 'rewritePercent 0 never asks');
  off.close();
});

t.test('open() errors are PersistentLogError with a one-line message', async (t) => {
  const dir = tmpDir(t);
  const cases: Array<[string, () => unknown, RegExp]> = [];
  const file = path.join(dir, 'a-file');
  fs.writeFileSync(file, 'x');
  cases.push(['the data dir is a file', () => PersistentLog.open({ dir: file, fsync: 'everysec' }), /data directory .*a-file/]);
  cases.push(['the data dir is below a file', () => PersistentLog.open({ dir: path.join(file, 'sub'), fsync: 'everysec' }), /cannot create data directory .*not a directory \(ENOTDIR\)/]);
  const isDir = path.join(dir, 'logdir');
  fs.mkdirSync(path.join(isDir, LOG_FILE), { recursive: true });
  cases.push(['the log is a directory', () => PersistentLog.open({ dir: isDir, fsync: 'everysec' }), /persistent log .* is a directory \(EISDIR\)/]);
  const notLog = path.join(dir, 'notlog');
  fs.mkdirSync(notLog);
  fs.writeFileSync(path.join(notLog, LOG_FILE), 'GIF89a this is a picture');
  cases.push(['the file is not a log', () => PersistentLog.open({ dir: notLog, fsync: 'everysec' }), /is not a microcloud persistent log/]);
  const shortNotLog = path.join(dir, 'shortnotlog');
  fs.mkdirSync(shortNotLog);
  fs.writeFileSync(path.join(shortNotLog, LOG_FILE), '{}');
  cases.push(['a short file that is not a log', () => PersistentLog.open({ dir: shortNotLog, fsync: 'everysec' }), /is not a microcloud persistent log/]);
  const v2 = path.join(dir, 'v2');
  fs.mkdirSync(v2);
  fs.writeFileSync(path.join(v2, LOG_FILE), 'microcloud-aof 2\n....');
  cases.push(['another version', () => PersistentLog.open({ dir: v2, fsync: 'everysec' }), /has version "2", this build reads version 1/]);
  cases.push(['a bad fsync policy', () => PersistentLog.open({ dir, fsync: 'sometimes' as 'no' }), /invalid fsync policy "sometimes"/]);
  if (process.getuid?.() !== 0) {
    const ro = path.join(dir, 'ro');
    fs.mkdirSync(ro);
    fs.chmodSync(ro, 0o555);
    t.teardown(() => fs.chmodSync(ro, 0o755));
    cases.push(['an unwritable dir', () => PersistentLog.open({ dir: ro, fsync: 'everysec' }), /data directory .* is not writable: permission denied/]);
    cases.push(['an uncreatable dir', () => PersistentLog.open({ dir: path.join(ro, 'sub'), fsync: 'everysec' }), /cannot create data directory .*permission denied/]);
  } else {
    t.comment('running as root: the permission cases are not testable');
  }
  for (const [what, fn, re] of cases) {
    try {
      fn();
      t.fail(`${what}: no error`);
    } catch (e) {
      t.ok(e instanceof PersistentLogError, `${what}: PersistentLogError`);
      const msg = (e as Error).message;
      t.match(msg, re, `${what}: ${msg}`);
      t.notOk(msg.includes('\n'), 'one line');
    }
  }
  t.equal(fs.readFileSync(path.join(notLog, LOG_FILE), 'latin1'), 'GIF89a this is a picture', 'a file that is not a log is left alone');
  // A header cut short (killed while creating the file) is a new log.
  const torn = path.join(dir, 'tornheader');
  fs.mkdirSync(torn);
  fs.writeFileSync(path.join(torn, LOG_FILE), 'microcloud-a');
  const { log, ops } = load(torn);
  t.equal(ops.length, 0);
  t.equal(log.sizeBytes, HEADER_LEN);
  log.close();
  // A stale temp file of an interrupted rewrite is removed.
  fs.writeFileSync(path.join(torn, 'persistent.aof.rewrite-12345.tmp'), 'partial');
  PersistentLog.open({ dir: torn, fsync: 'no' }).close();
  t.same(fs.readdirSync(torn), [LOG_FILE]);
});

t.test('a failed rewrite keeps the current log', async (t) => {
  const dir = tmpDir(t);
  const log = PersistentLog.open({ dir, fsync: 'no' });
  log.append([['set', 'user.a', 'kept']]);
  const size = log.sizeBytes;
  function* broken(): Generator<KbOp> {
    yield ['set', 'user.b', 'x'];
    yield ['set', 'user.c', Symbol('not a value') as unknown as string];
  }
  t.throws(() => log.rewrite(broken()), TypeError);
  t.equal(log.sizeBytes, size);
  t.same(fs.readdirSync(dir), [LOG_FILE], 'temp file removed');
  log.append([['set', 'user.d', 'after']]);
  log.close();
  t.same(load(dir).ops, [['set', 'user.a', 'kept'], ['set', 'user.d', 'after']]);
});

t.test('rates with 200k persistent keys (reported, not asserted)', async (t) => {
  const dir = tmpDir(t);
  const st = new Keyspace();
  const apply = applierFor(st);
  const N = 50_000;
  for (let i = 0; i < N; i++) {
    const imsi = String(208150000000000 + i);
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const teid = 0x20000000 + i;
    st.hsetMany('user.' + imsi, ['ip', ip, 'source', 'gtpv2', 'since', 1732670000 + i, 'imsi', imsi, 'msisdn', '3361234' + i, 'imei', '35123456' + i, 'apn', 'internet', 'rat', 'EUTRAN']);
    st.set('ipuser.' + ip, imsi);
    st.hsetMany('gtp.imsi.' + imsi, ['msisdn', '3361234' + i, 'imei', '35123456' + i, 'cell', 'ecgi:208-15-' + i, 'ip', ip, 'apn', 'internet', 'version', 2, 'teid.c', 0x10000000 + i, 'teid.u.up', teid, 'teid.u.down', 0x30000000 + i, 'node.c', '192.0.2.1', 'node.u.up', '192.0.2.2', 'node.u.down', '192.0.2.3', 'since', 1732670000 + i]);
    st.set(`gtp.teid.192.0.2.2.${teid}`, imsi);
    st.hincrby('ip.' + ip, 'bytes.sent', 1500);
  }
  const log = PersistentLog.open({ dir, fsync: 'everysec' });
  log.replay(() => {});

  let t0 = performance.now();
  const snap = PersistentLog.snapshotOf(st);
  const tSnap = performance.now() - t0;
  t0 = performance.now();
  log.rewrite(snap);
  const tRewrite = performance.now() - t0;
  t0 = performance.now();
  log.rewriteFromStore(st);
  const tDirect = performance.now() - t0;
  const size = log.sizeBytes;
  t.comment(`200k persistent keys (${snap.length} ops): snapshotOf ${tSnap.toFixed(0)} ms + rewrite ${tRewrite.toFixed(0)} ms; rewriteFromStore ${tDirect.toFixed(0)} ms; ${(size / 1e6).toFixed(1)} MB`);

  // Appends: the probe's batches, two persistent ops and a volatile one each.
  const B = 100_000;
  const batches: KbOp[][] = Array.from({ length: B }, (_, i) => [
    ['hset', 'user.' + (208150000000000 + (i % N)), 'cell', 'ecgi:208-15-' + i],
    ['set', `ipuser.10.9.${(i >> 8) & 255}.${i & 255}`, String(208150000000000 + (i % N))],
    ['hincrby', 'ip.10.0.0.1', 'bytes.sent', 1500],
  ]);
  t0 = performance.now();
  for (const b of batches) log.append(b);
  const tAppend = performance.now() - t0;
  t.comment(`append: ${B} batches (${2 * B} persistent ops) in ${tAppend.toFixed(0)} ms = ${((2 * B) / tAppend * 1000 / 1e6).toFixed(2)} M ops/s, ${(B / tAppend * 1000 / 1e3).toFixed(0)} k appends/s`);
  log.close();

  const l1 = PersistentLog.open({ dir, fsync: 'everysec' });
  t0 = performance.now();
  const r1 = l1.replay(() => {});
  const tDecode = performance.now() - t0;
  l1.close();
  t.comment(`replay, decoding only: ${r1.ops} ops in ${tDecode.toFixed(0)} ms = ${(r1.ops / tDecode * 1000 / 1e6).toFixed(2)} M ops/s`);

  const st2 = new Keyspace();
  const apply2 = applierFor(st2);
  const l2 = PersistentLog.open({ dir, fsync: 'everysec' });
  t0 = performance.now();
  const r = l2.replay(apply2);
  const tReplay = performance.now() - t0;
  l2.close();
  t.comment(`replay into a Keyspace: ${r.ops} ops, ${(r.bytes / 1e6).toFixed(1)} MB in ${tReplay.toFixed(0)} ms = ${(r.ops / tReplay * 1000 / 1e6).toFixed(2)} M ops/s`);
  for (const b of batches) b.forEach(apply);
  t.equal(diffState(persistentState(st2), persistentState(st)), null, 'every persistent key restored');
});
