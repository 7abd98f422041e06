// Generic key commands: DEL UNLINK EXISTS TYPE KEYS SCAN RENAME EXPIRE
// PEXPIRE EXPIREAT PEXPIREAT TTL PTTL EXPIRETIME PEXPIRETIME PERSIST.
import type { Handler } from '../types';
import { RespError, ERR_SYNTAX } from '../types';
import { typeName } from '../store';
import { globMatch } from '../util';
import { int64Arg, intArg } from './args';

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;

const del: Handler = (c, argv, core) => {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (core.store.del(argv[i])) n++;
  c.w.int(n);
};

const exists: Handler = (c, argv, core) => {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (core.store.lookupRead(argv[i]) !== undefined) n++;
  c.w.int(n);
};

const type: Handler = (c, argv, core) => {
  c.w.simple(typeName(core.store.lookup(argv[1])));
};

const keys: Handler = (c, argv, core) => {
  c.w.bulkArray(core.store.keys(argv[1]));
};

/** Parses a SCAN cursor (an unsigned 64-bit decimal). */
export function parseCursor(s: string): number {
  // strtoul semantics: a negative number wraps; any unknown cursor restarts the iteration.
  if (!/^-?[0-9]{1,20}$/.test(s) || BigInt(s) > 18446744073709551615n) throw new RespError('ERR invalid cursor');
  const v = Number(s);
  return v < 0 ? Number.MAX_SAFE_INTEGER : v;
}

/** Parses MATCH/COUNT (and TYPE when allowed) from argv[from..]. */
export function parseScanOpts(argv: string[], from: number, allowType: boolean): { match?: string; count: number; type?: string } {
  const o: { match?: string; count: number; type?: string } = { count: 10 };
  for (let i = from; i < argv.length;) {
    const j = argv.length - i;
    const a = argv[i].toLowerCase();
    if (a === 'count' && j >= 2) {
      o.count = intArg(argv[i + 1]);
      if (o.count < 1) throw new RespError(ERR_SYNTAX);
      i += 2;
    } else if (a === 'match' && j >= 2) {
      o.match = argv[i + 1];
      if (o.match === '*') o.match = undefined;
      i += 2;
    } else if (a === 'type' && allowType && j >= 2) {
      o.type = argv[i + 1].toLowerCase();
      i += 2;
    } else throw new RespError(ERR_SYNTAX);
  }
  return o;
}

const scan: Handler = (c, argv, core) => {
  const cursor = parseCursor(argv[1]);
  const o = parseScanOpts(argv, 2, true);
  const st = core.store;
  const found: string[] = [];
  const next = st.scanStep(st.data, cursor, o.count, (k: string) => found.push(k));
  const out: string[] = [];
  for (const k of found) {
    if (o.match !== undefined && !globMatch(o.match, k)) continue;
    const v = st.lookup(k); // expires stale keys
    if (v === undefined) continue;
    if (o.type !== undefined && typeName(v) !== o.type) continue;
    out.push(k);
  }
  c.w.array(2);
  c.w.bulk(String(next));
  c.w.bulkArray(out);
};

const rename: Handler = (c, argv, core) => {
  core.store.rename(argv[1], argv[2]);
  c.w.ok();
};

const X_NX = 1, X_XX = 2, X_GT = 4, X_LT = 8;

function expireGeneric(c: Parameters<Handler>[0], argv: string[], core: Parameters<Handler>[2], basetime: number, seconds: boolean): void {
  let flag = 0;
  for (let j = 3; j < argv.length; j++) {
    const o = argv[j].toLowerCase();
    if (o === 'nx') flag |= X_NX;
    else if (o === 'xx') flag |= X_XX;
    else if (o === 'gt') flag |= X_GT;
    else if (o === 'lt') flag |= X_LT;
    else throw new RespError(`ERR Unsupported option ${argv[j]}`);
  }
  if ((flag & X_NX) && (flag & (X_XX | X_GT | X_LT))) throw new RespError('ERR NX and XX, GT or LT options at the same time are not compatible');
  if ((flag & X_GT) && (flag & X_LT)) throw new RespError('ERR GT and LT options at the same time are not compatible');
  let when = BigInt(int64Arg(argv[2]));
  const err = `ERR invalid expire time in '${c.lastCmd}' command`;
  if (seconds) {
    if (when > LLONG_MAX / 1000n || when < LLONG_MIN / 1000n) throw new RespError(err);
    when *= 1000n;
  }
  if (when > LLONG_MAX - BigInt(basetime)) throw new RespError(err);
  when += BigInt(basetime);
  const st = core.store;
  const key = argv[1];
  if (st.lookup(key) === undefined) return c.w.int(0);
  const w = Number(when);
  if (flag) {
    const cur = st.getExpire(key);
    if ((flag & X_NX) && cur !== -1) return c.w.int(0);
    if ((flag & X_XX) && cur === -1) return c.w.int(0);
    if ((flag & X_GT) && (w <= cur || cur === -1)) return c.w.int(0);
    if ((flag & X_LT) && cur !== -1 && w >= cur) return c.w.int(0);
  }
  st.pexpireAt(key, w);
  c.w.int(1);
}

const expire: Handler = (c, argv, core) => expireGeneric(c, argv, core, Date.now(), true);
const pexpire: Handler = (c, argv, core) => expireGeneric(c, argv, core, Date.now(), false);
const expireat: Handler = (c, argv, core) => expireGeneric(c, argv, core, 0, true);
const pexpireat: Handler = (c, argv, core) => expireGeneric(c, argv, core, 0, false);

const pttl: Handler = (c, argv, core) => c.w.int(core.store.pttl(argv[1]));
const ttl: Handler = (c, argv, core) => {
  const t = core.store.pttl(argv[1]);
  c.w.int(t < 0 ? t : Math.floor((t + 500) / 1000));
};

// Absolute expiry times (Redis 7.0): like TTL, seconds round to the nearest.
const pexpiretime: Handler = (c, argv, core) => c.w.int(core.store.expiresAt(argv[1]));
const expiretime: Handler = (c, argv, core) => {
  const t = core.store.expiresAt(argv[1]);
  c.w.int(t < 0 ? t : Math.floor((t + 500) / 1000));
};

const persist: Handler = (c, argv, core) => c.w.int(core.store.persist(argv[1]) ? 1 : 0);

export const keyCommands: Record<string, Handler> = {
  del, unlink: del, exists, type, keys, scan, rename, expire, pexpire, expireat, pexpireat, ttl, pttl, expiretime, pexpiretime, persist,
};
