// Hash commands: HGET HMGET HGETALL HSET HMSET HSETNX HDEL HLEN HKEYS HVALS
// HEXISTS HINCRBY HINCRBYFLOAT HSCAN.
import type { Handler } from '../types';
import { RespError } from '../types';
import { parseLongDouble } from '../store';
import { globMatch } from '../util';
import { int64Arg } from './args';
import { parseCursor, parseScanOpts } from './keys';

const hget: Handler = (c, argv, core) => c.w.bulkOrNull(core.store.hget(argv[1], argv[2]));

const hmget: Handler = (c, argv, core) => {
  const h = core.store.hashRead(argv[1]);
  c.w.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) c.w.bulkOrNull(h?.get(argv[i]));
};

const hgetall: Handler = (c, argv, core) => {
  const h = core.store.hashRead(argv[1]);
  if (!h) return c.w.map(0);
  c.w.map(h.size);
  for (const [f, v] of h) {
    c.w.bulk(f);
    c.w.bulk(v);
  }
};

function hsetArity(argv: string[], name: string): void {
  if (argv.length % 2 === 1) throw new RespError(`ERR wrong number of arguments for '${name}' command`);
}

const hset: Handler = (c, argv, core) => {
  hsetArity(argv, 'hset');
  c.w.int(core.store.hsetMany(argv[1], argv, 2));
};

const hmset: Handler = (c, argv, core) => {
  hsetArity(argv, 'hmset');
  core.store.hsetMany(argv[1], argv, 2);
  c.w.ok();
};

const hsetnx: Handler = (c, argv, core) => {
  const h = core.store.hashWrite(argv[1]);
  if (h.has(argv[2])) return c.w.int(0);
  core.store.hset(argv[1], argv[2], argv[3]);
  c.w.int(1);
};

const hdel: Handler = (c, argv, core) => c.w.int(core.store.hdel(argv[1], argv, 2));

const hlen: Handler = (c, argv, core) => c.w.int(core.store.hashRead(argv[1])?.size ?? 0);

const hkeys: Handler = (c, argv, core) => {
  const h = core.store.hashRead(argv[1]);
  if (!h) return c.w.array(0);
  c.w.array(h.size);
  for (const f of h.keys()) c.w.bulk(f);
};

const hvals: Handler = (c, argv, core) => {
  const h = core.store.hashRead(argv[1]);
  if (!h) return c.w.array(0);
  c.w.array(h.size);
  for (const v of h.values()) c.w.bulk(v);
};

const hexists: Handler = (c, argv, core) => c.w.int(core.store.hashRead(argv[1])?.has(argv[2]) ? 1 : 0);

const hincrby: Handler = (c, argv, core) => {
  const d = int64Arg(argv[3]);
  c.w.int(core.store.hincrby(argv[1], argv[2], d));
};

const hincrbyfloat: Handler = (c, argv, core) => {
  const d = parseLongDouble(argv[3]);
  if (d === null) throw new RespError('ERR value is not a valid float');
  if (!Number.isFinite(d)) throw new RespError('ERR value is NaN or Infinity');
  c.w.bulk(core.store.hincrbyfloat(argv[1], argv[2], argv[3]));
};

const hscan: Handler = (c, argv, core) => {
  const cursor = parseCursor(argv[2]);
  const o = parseScanOpts(argv, 3, false);
  const h = core.store.hashRead(argv[1]);
  const out: (string | number)[] = [];
  const next = core.store.scanStep(h, cursor, o.count, (f: string) => {
    if (o.match !== undefined && !globMatch(o.match, f)) return;
    out.push(f, h!.get(f) as string | number);
  });
  c.w.array(2);
  c.w.bulk(String(next));
  c.w.bulkArray(out);
};

export const hashCommands: Record<string, Handler> = {
  hget, hmget, hgetall, hset, hmset, hsetnx, hdel, hlen, hkeys, hvals, hexists, hincrby, hincrbyfloat, hscan,
};
