// Set commands: SADD SREM SMEMBERS SISMEMBER SCARD SSCAN.
import type { Handler } from '../types';
import { globMatch, parseInt64 } from '../util';
import { parseCursor, parseScanOpts } from './keys';

const sadd: Handler = (c, argv, core) => c.w.int(core.store.sadd(argv[1], argv, 2));
const srem: Handler = (c, argv, core) => c.w.int(core.store.srem(argv[1], argv, 2));

/**
 * Members in Redis's order where Redis's is deterministic: a small set of
 * integers is an intset there, sorted numerically. Otherwise insertion order.
 */
function members(s: Set<string>): string[] {
  const a = [...s];
  if (a.length <= 512) {
    const nums: (number | bigint)[] = [];
    for (const m of a) {
      const v = parseInt64(m);
      if (v === null) return a;
      nums.push(v);
    }
    const idx = a.map((_, i) => i);
    idx.sort((x, y) => (nums[x] < nums[y] ? -1 : nums[x] > nums[y] ? 1 : 0));
    return idx.map((i) => a[i]);
  }
  return a;
}

const smembers: Handler = (c, argv, core) => {
  const s = core.store.setRead(argv[1]);
  if (!s) return c.w.set(0);
  const m = members(s);
  c.w.set(m.length);
  for (const x of m) c.w.bulk(x);
};

const sismember: Handler = (c, argv, core) => c.w.int(core.store.setRead(argv[1])?.has(argv[2]) ? 1 : 0);
const scard: Handler = (c, argv, core) => c.w.int(core.store.setRead(argv[1])?.size ?? 0);

const sscan: Handler = (c, argv, core) => {
  const cursor = parseCursor(argv[2]);
  const o = parseScanOpts(argv, 3, false);
  const s = core.store.setRead(argv[1]);
  const out: string[] = [];
  const next = core.store.scanStep(s, cursor, o.count, (m: string) => {
    if (o.match === undefined || globMatch(o.match, m)) out.push(m);
  });
  c.w.array(2);
  c.w.bulk(String(next));
  c.w.bulkArray(out);
};

export const setCommands: Record<string, Handler> = { sadd, srem, smembers, sismember, scard, sscan };
