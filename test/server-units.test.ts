// Unit and property tests of the server's parts: the request parser under
// arbitrary fragmentation, the skiplist against a sorted-array model, the
// keyspace's active expiry and notifications, "%.17g" formatting against
// Python's printf, glob matching.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { RequestParser, splitArgs } from '../server/proto';
import { ZSet } from '../server/zset';
import { Keyspace, N_EXPIRED, N_KEYEVENT } from '../server/store';
import { fmtDouble, globMatch, ldAddText } from '../server/util';

let seed = 99;
const rnd = (n: number): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};

t.test('parser: any fragmentation gives the same commands', async (tt) => {
  const cmds: string[][] = [];
  let stream = '';
  for (let i = 0; i < 300; i++) {
    const argv = Array.from({ length: 1 + rnd(4) }, () => 'x'.repeat(rnd(40)) + String.fromCharCode(rnd(256)));
    if (rnd(3) === 0) {
      const words = Array.from({ length: 1 + rnd(3) }, () => 'w' + rnd(1000));
      stream += words.join(' ') + (rnd(2) ? '\r\n' : '\n');
      cmds.push(words);
    } else {
      stream += `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join('');
      cmds.push(argv);
    }
  }
  // a large argument takes the pre-allocated path
  const bigArg = 'B'.repeat(100000);
  stream += `*2\r\n$3\r\nSET\r\n$${bigArg.length}\r\n${bigArg}\r\n`;
  cmds.push(['SET', bigArg]);
  const buf = Buffer.from(stream, 'latin1');
  for (const maxChunk of [1, 7, 100, 5000, buf.length]) {
    const p = new RequestParser({ maxBulkLen: 1 << 20, maxMultibulkLen: 1000 });
    const got: string[][] = [];
    for (let i = 0; i < buf.length;) {
      const n = 1 + rnd(maxChunk);
      p.feed(buf.subarray(i, i + n));
      i += n;
      for (;;) {
        const r = p.next();
        if (r === null) break;
        if (!Array.isArray(r)) throw new Error(r.error);
        got.push(r);
      }
    }
    tt.same(got, cmds, `chunks up to ${maxChunk} bytes`);
    tt.equal(p.pending, 0, 'nothing left over');
  }
});

t.test('parser: limits and inline quoting', async (tt) => {
  const p = new RequestParser({ maxBulkLen: 1024, maxMultibulkLen: 10 });
  p.feed(Buffer.from('*11\r\n'));
  tt.same(p.next(), { error: 'ERR Protocol error: invalid multibulk length' });
  const q = new RequestParser({ maxBulkLen: 1024, maxMultibulkLen: 10 });
  q.feed(Buffer.from('*1\r\n$1025\r\n'));
  tt.same(q.next(), { error: 'ERR Protocol error: invalid bulk length' });
  tt.same(splitArgs('set "a b" \'c d\' "\\x41\\n"'), ['set', 'a b', 'c d', 'A\n']);
  tt.equal(splitArgs('"abc'), null);
  tt.equal(splitArgs('"a"b'), null);
});

t.test('zset skiplist against a sorted-array model', async (tt) => {
  const z = new ZSet();
  const model = new Map<string, number>();
  const sorted = (): [string, number][] => [...model].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let mismatches = 0;
  for (let i = 0; i < 20000; i++) {
    const m = 'm' + rnd(500);
    const op = rnd(10);
    if (op < 6) {
      const s = rnd(50) - 25 + (rnd(2) ? 0.5 : 0);
      z.set(m, s);
      model.set(m, s);
    } else if (op < 8) {
      z.remove(m);
      model.delete(m);
    } else {
      const arr = sorted();
      const idx = arr.findIndex(([x]) => x === m);
      if (z.rank(m) !== idx) mismatches++;
      const lo = rnd(50) - 25, hi = lo + rnd(20);
      const want = arr.filter(([, s]) => s > lo && s <= hi).map(([x]) => x);
      const got: string[] = [];
      z.rangeByScore({ min: lo, minex: true, max: hi, maxex: false }, false, 0, -1, (x) => got.push(x));
      if (JSON.stringify(got) !== JSON.stringify(want)) mismatches++;
      const rev: string[] = [];
      z.rangeByScore({ min: lo, minex: true, max: hi, maxex: false }, true, 1, 3, (x) => rev.push(x));
      if (JSON.stringify(rev) !== JSON.stringify([...want].reverse().slice(1, 4))) mismatches++;
      if (arr.length > 2) {
        const byRank: string[] = [];
        z.rangeByRank(1, arr.length - 2, true, (x) => byRank.push(x));
        if (JSON.stringify(byRank) !== JSON.stringify(arr.map(([x]) => x).reverse().slice(1, arr.length - 1))) mismatches++;
      }
    }
    if (z.size !== model.size) mismatches++;
  }
  tt.equal(mismatches, 0);
  tt.same([...z].map(([m]) => m), sorted().map(([m]) => m), 'final order');
});

t.test('keyspace: active expiry without access, expired notifications', async (tt) => {
  const ks = new Keyspace();
  const events: string[] = [];
  ks.notifyFlags = N_EXPIRED | N_KEYEVENT;
  ks.publish = (ch, msg) => { events.push(`${ch} ${msg}`); return 0; };
  for (let i = 0; i < 5000; i++) ks.set('ip.' + i, i, 20);
  for (let i = 0; i < 100; i++) ks.set('keep.' + i, i);
  await new Promise((r) => setTimeout(r, 40));
  tt.equal(ks.size, 5100, 'not yet collected (nobody accessed them)');
  let cycles = 0;
  while (ks.size > 100 && cycles < 200) {
    ks.activeExpireCycle(25);
    cycles++;
  }
  tt.equal(ks.size, 100, `expired keys collected by ${cycles} active cycles`);
  tt.equal(events.length, 5000);
  tt.equal(events[0], '__keyevent@0__:expired ip.0');
  tt.equal(ks.stats.expiredKeys, 5000);
  // lazy expiry on access
  ks.set('lazy', 'v', 1);
  await new Promise((r) => setTimeout(r, 5));
  tt.equal(ks.getString('lazy'), undefined);
});

t.test('"%.17g" formatting matches printf', async (tt) => {
  const vals: number[] = [0.1, 1.5, 10, -0, 1e20, 1e-5, 123456789.123, 3.14159, 1 / 3, 2 ** 60, -2.5e-300, 5e-324, 1.7976931348623157e308, 1e17, 99999999999999999, 0.0001, 0.00001];
  for (let i = 0; i < 200; i++) vals.push((rnd(1e6) - 5e5) * 10 ** (rnd(40) - 20) / 7);
  const py = `import sys\nfor l in sys.stdin.read().split():\n    print('%.17g' % float(l))`;
  const want = execFileSync('/usr/bin/python3', ['-c', py], { input: vals.map((v) => (Object.is(v, -0) ? '-0.0' : v.toString())).join('\n') }).toString().trim().split('\n');
  let bad = 0;
  vals.forEach((v, i) => { if (fmtDouble(v) !== want[i]) { bad++; tt.equal(fmtDouble(v), want[i], String(v)); } });
  tt.equal(bad, 0, `${vals.length} values`);
  tt.equal(fmtDouble(Infinity), 'inf');
  tt.equal(ldAddText('10.5', '0.1'), '10.6');
  tt.equal(ldAddText('10.6', '-5'), '5.6');
  tt.equal(ldAddText('5.6', '1e3'), '1005.59999999999999998', 'long double rounding as Redis');
  tt.equal(ldAddText('0', '-0'), '0');
});

t.test('glob matching', async (tt) => {
  tt.ok(globMatch('ip.*', 'ip.10.0.0.1'));
  tt.ok(globMatch('gtp.imsi.*', 'gtp.imsi.001010123456789'));
  tt.notOk(globMatch('ip.?', 'ip.10'));
  tt.ok(globMatch('h[ae]llo', 'hallo'));
  tt.notOk(globMatch('h[^e]llo', 'hello'));
  tt.ok(globMatch('a\\*b', 'a*b'));
  tt.ok(globMatch('*a*a*a*a*a*a*a*a*b', 'a'.repeat(40) + 'b'));
  tt.notOk(globMatch('*a*a*a*a*a*a*a*a*b', 'a'.repeat(60)), 'pathological pattern answers (skipLongerMatches)');
});
