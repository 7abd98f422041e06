// The keyspace: strings, hashes, sets and sorted sets; millisecond TTLs with
// lazy expiry on access plus an incremental active expiry cycle; keyspace
// notifications. All keys, fields and values are byte strings (one char per
// byte). Operations are O(1) (O(log n) for sorted sets) and throw RespError
// (WRONGTYPE, ...) on misuse, so the RESP commands and the probe's direct
// calls share one implementation.
import { RespError, WRONGTYPE, ERR_NOT_INT } from './types';
import { ZSet } from './zset';
import { addInt64, fmtLongDouble, globMatch, parseInt64, ldAddText } from './util';

/** A string value: a byte string, or a number for integer-encoded strings (always a safe integer). */
export type StrVal = string | number;
export type HashVal = Map<string, StrVal>;
export type SetVal = Set<string>;
export type Value = StrVal | HashVal | SetVal | ZSet;

// Keyspace-notification classes (Redis's NOTIFY_* bits).
export const N_KEYSPACE = 1 << 0; // K
export const N_KEYEVENT = 1 << 1; // E
export const N_GENERIC = 1 << 2; // g
export const N_STRING = 1 << 3; // $
export const N_LIST = 1 << 4; // l
export const N_SET = 1 << 5; // s
export const N_HASH = 1 << 6; // h
export const N_ZSET = 1 << 7; // z
export const N_EXPIRED = 1 << 8; // x
export const N_EVICTED = 1 << 9; // e
export const N_STREAM = 1 << 10; // t
export const N_KEY_MISS = 1 << 11; // m
export const N_MODULE = 1 << 13; // d
export const N_NEW = 1 << 14; // n
export const N_ALL = N_GENERIC | N_STRING | N_LIST | N_SET | N_HASH | N_ZSET | N_EXPIRED | N_EVICTED | N_STREAM | N_MODULE;

/** Parses notify-keyspace-events; null on an unknown class character. */
export function parseNotifyFlags(s: string): number | null {
  let f = 0;
  for (const ch of s) {
    switch (ch) {
      case 'A': f |= N_ALL; break;
      case 'g': f |= N_GENERIC; break;
      case '$': f |= N_STRING; break;
      case 'l': f |= N_LIST; break;
      case 's': f |= N_SET; break;
      case 'h': f |= N_HASH; break;
      case 'z': f |= N_ZSET; break;
      case 'x': f |= N_EXPIRED; break;
      case 'e': f |= N_EVICTED; break;
      case 'K': f |= N_KEYSPACE; break;
      case 'E': f |= N_KEYEVENT; break;
      case 't': f |= N_STREAM; break;
      case 'm': f |= N_KEY_MISS; break;
      case 'd': f |= N_MODULE; break;
      case 'n': f |= N_NEW; break;
      default: return null;
    }
  }
  return f;
}

export function notifyFlagsToString(f: number): string {
  let r = '';
  if ((f & N_ALL) === N_ALL) r += 'A';
  else {
    if (f & N_GENERIC) r += 'g';
    if (f & N_STRING) r += '$';
    if (f & N_LIST) r += 'l';
    if (f & N_SET) r += 's';
    if (f & N_HASH) r += 'h';
    if (f & N_ZSET) r += 'z';
    if (f & N_EXPIRED) r += 'x';
    if (f & N_EVICTED) r += 'e';
    if (f & N_STREAM) r += 't';
    if (f & N_MODULE) r += 'd';
    if (f & N_NEW) r += 'n';
  }
  if (f & N_KEYSPACE) r += 'K';
  if (f & N_KEYEVENT) r += 'E';
  if (f & N_KEY_MISS) r += 'm';
  return r;
}

export function typeName(v: Value | undefined): string {
  if (v === undefined) return 'none';
  if (typeof v === 'string' || typeof v === 'number') return 'string';
  if (v instanceof Map) return 'hash';
  if (v instanceof Set) return 'set';
  return 'zset';
}

function isStr(v: Value): v is StrVal {
  return typeof v === 'string' || typeof v === 'number';
}

export interface ScanState {
  it: Iterator<unknown>;
  target: unknown;
  used: number;
}

const MAX_OPEN_SCANS = 4096;

export class Keyspace {
  readonly data = new Map<string, Value>();
  /** key -> absolute expire time in ms (Unix epoch). */
  readonly expires = new Map<string, number>();
  /** Enabled notification classes (notify-keyspace-events). */
  notifyFlags = 0;
  /** Where notifications go (wired to the pub/sub hub by the server). */
  publish: ((channel: string, message: string) => number) | null = null;
  stats = { expiredKeys: 0, hits: 0, misses: 0, activeExpireCycles: 0 };
  /** Writes since start (Redis's server.dirty). */
  dirty = 0;

  private expireIt: Iterator<[string, number]> | null = null;
  private scans = new Map<number, ScanState>();
  private nextCursor = 1;

  // ---- notifications -------------------------------------------------------

  notify(cls: number, event: string, key: string): void {
    const f = this.notifyFlags;
    if (!(f & cls) || !this.publish) return;
    if (f & N_KEYSPACE) this.publish('__keyspace@0__:' + key, event);
    if (f & N_KEYEVENT) this.publish('__keyevent@0__:' + event, key);
  }

  // ---- generic -------------------------------------------------------------

  /** The value of a live key (expiring it lazily when its time has passed). */
  lookup(key: string): Value | undefined {
    const v = this.data.get(key);
    if (v === undefined) return undefined;
    if (this.expires.size !== 0) {
      const t = this.expires.get(key);
      if (t !== undefined && Date.now() > t) {
        this.expireKey(key);
        return undefined;
      }
    }
    return v;
  }

  /** lookup() that also counts keyspace hits/misses (read commands). */
  lookupRead(key: string): Value | undefined {
    const v = this.lookup(key);
    if (v === undefined) this.stats.misses++;
    else this.stats.hits++;
    return v;
  }

  private expireKey(key: string): void {
    this.data.delete(key);
    this.expires.delete(key);
    this.stats.expiredKeys++;
    this.notify(N_EXPIRED, 'expired', key);
  }

  exists(key: string): boolean {
    return this.lookup(key) !== undefined;
  }

  type(key: string): string {
    return typeName(this.lookup(key));
  }

  /** Removes a key without notification; true if it existed (and was live). */
  remove(key: string): boolean {
    if (this.lookup(key) === undefined) return false;
    this.data.delete(key);
    this.expires.delete(key);
    return true;
  }

  /** DEL of one key, with the "del" notification. */
  del(key: string): boolean {
    if (!this.remove(key)) return false;
    this.dirty++;
    this.notify(N_GENERIC, 'del', key);
    return true;
  }

  /** Stores a value, dropping any TTL unless keepTtl. */
  setValue(key: string, v: Value, keepTtl = false): void {
    this.data.set(key, v);
    if (!keepTtl && this.expires.size !== 0) this.expires.delete(key);
  }

  /** Absolute expire time in ms, or -1. Assumes the key is live. */
  getExpire(key: string): number {
    const t = this.expires.get(key);
    return t === undefined ? -1 : t;
  }

  setExpireAt(key: string, whenMs: number): void {
    this.expires.set(key, whenMs);
  }

  persist(key: string): boolean {
    if (this.lookup(key) === undefined) return false;
    if (!this.expires.delete(key)) return false;
    this.dirty++;
    this.notify(N_GENERIC, 'persist', key);
    return true;
  }

  /**
   * Sets an absolute expire time (ms); a time already past deletes the key
   * (as Redis does). Returns false when the key does not exist.
   */
  pexpireAt(key: string, whenMs: number): boolean {
    if (this.lookup(key) === undefined) return false;
    this.dirty++;
    if (whenMs <= Date.now()) {
      this.data.delete(key);
      this.expires.delete(key);
      this.notify(N_GENERIC, 'del', key);
    } else {
      this.expires.set(key, whenMs);
      this.notify(N_GENERIC, 'expire', key);
    }
    return true;
  }

  /** EXPIRE key seconds (relative). */
  expire(key: string, seconds: number): boolean {
    return this.pexpireAt(key, Date.now() + seconds * 1000);
  }

  /** PEXPIRE key ms (relative). */
  pexpire(key: string, ms: number): boolean {
    return this.pexpireAt(key, Date.now() + ms);
  }

  /** Remaining time to live in ms: -2 no key, -1 no TTL. */
  /** When the key expires, in ms since the epoch: -2 for no key, -1 for no expiry (EXPIRETIME, PEXPIRETIME). */
  expiresAt(key: string): number {
    if (this.lookupRead(key) === undefined) return -2;
    return this.expires.get(key) ?? -1;
  }

  pttl(key: string): number {
    if (this.lookupRead(key) === undefined) return -2;
    const t = this.expires.get(key);
    if (t === undefined) return -1;
    const ttl = t - Date.now();
    return ttl < 0 ? 0 : ttl;
  }

  rename(src: string, dst: string): void {
    const v = this.lookup(src);
    if (v === undefined) throw new RespError('ERR no such key');
    if (src === dst) return;
    const t = this.expires.get(src);
    this.lookup(dst); // expire a stale destination first
    this.data.delete(src);
    this.expires.delete(src);
    this.data.set(dst, v);
    if (t !== undefined) this.expires.set(dst, t);
    else this.expires.delete(dst);
    this.dirty++;
    this.notify(N_GENERIC, 'rename_from', src);
    this.notify(N_GENERIC, 'rename_to', dst);
  }

  get size(): number {
    return this.data.size;
  }

  flush(): number {
    const n = this.data.size;
    this.data.clear();
    this.expires.clear();
    this.scans.clear();
    this.expireIt = null;
    this.dirty += n;
    return n;
  }

  /** Live keys matching a glob pattern. */
  keys(pattern: string): string[] {
    const all = pattern === '*';
    const out: string[] = [];
    const now = Date.now();
    for (const k of this.data.keys()) {
      if (!all && !globMatch(pattern, k)) continue;
      const t = this.expires.size ? this.expires.get(k) : undefined;
      if (t !== undefined && now > t) {
        this.expireKey(k);
        continue;
      }
      out.push(k);
    }
    return out;
  }

  /**
   * One SCAN step over a Map/Set: cursor 0 starts; any other cursor resumes a
   * live iterator kept for it. JS Map/Set iterators visit every entry present
   * throughout the iteration, even with inserts and deletes meanwhile, so a
   * full iteration returns every key present all along. An unknown or evicted
   * cursor restarts from the beginning (duplicates, never omissions).
   */
  scanStep<T>(coll: { keys(): Iterator<T> } | undefined, cursor: number, count: number, out: (item: T) => void): number {
    if (coll === undefined) return 0;
    let st = cursor !== 0 ? this.scans.get(cursor) : undefined;
    if (st && st.target !== coll) st = undefined;
    if (st) this.scans.delete(cursor);
    const it = (st ? st.it : coll.keys()) as Iterator<T>;
    for (let i = 0; i < count; i++) {
      const r = it.next();
      if (r.done) return 0;
      out(r.value);
    }
    const id = this.nextCursor;
    this.nextCursor = this.nextCursor >= Number.MAX_SAFE_INTEGER ? 1 : this.nextCursor + 1;
    if (this.scans.size >= MAX_OPEN_SCANS) {
      const oldest = this.scans.keys().next().value as number;
      this.scans.delete(oldest);
    }
    this.scans.set(id, { it, target: coll, used: Date.now() });
    return id;
  }

  /** Drops scan iterators idle for longer than maxIdleMs. */
  pruneScans(maxIdleMs: number): void {
    const lim = Date.now() - maxIdleMs;
    for (const [id, st] of this.scans) {
      if (st.used < lim) this.scans.delete(id);
      else break; // insertion order == last use order
    }
  }

  /**
   * The active expiry cycle: walks the keys with a TTL incrementally (a
   * persistent iterator over `expires`), deleting the expired ones, for at
   * most budgetMs. Each run visits at least 1/50 of the volatile keys, so
   * every expired key goes within ~50 runs even when nobody reads it.
   */
  activeExpireCycle(budgetMs: number): number {
    const n = this.expires.size;
    if (n === 0) return 0;
    this.stats.activeExpireCycles++;
    const start = performance.now();
    const now = Date.now();
    let quota = Math.max(20, Math.ceil(n / 50));
    let expired = 0;
    let sampled = 0;
    let it = this.expireIt ?? this.expires.entries();
    for (;;) {
      const r = it.next();
      if (r.done) {
        it = this.expires.entries();
        this.expireIt = it;
        if (sampled >= n) break;
        continue;
      }
      sampled++;
      const [k, t] = r.value;
      if (now > t) {
        this.expireKey(k);
        expired++;
      }
      if (sampled >= quota) {
        // Keep going while a lot of what we see is stale (Redis: > 10%), within the time budget.
        if (expired * 10 <= sampled || performance.now() - start > budgetMs) break;
        quota += 1000;
      } else if ((sampled & 1023) === 0 && performance.now() - start > budgetMs) {
        break;
      }
    }
    this.expireIt = it;
    return expired;
  }

  // ---- strings -------------------------------------------------------------

  /** GET semantics: the string value, undefined if missing; WRONGTYPE on other types. */
  getString(key: string): StrVal | undefined {
    const v = this.lookupRead(key);
    if (v === undefined) return undefined;
    if (!isStr(v)) throw new RespError(WRONGTYPE);
    return v;
  }

  /**
   * SET key value [ttlMs]: the probe's direct call (drops a previous TTL, as
   * SET does; with ttlMs sets a new one).
   */
  set(key: string, value: StrVal, ttlMs?: number): void {
    this.setValue(key, value);
    this.dirty++;
    this.notify(N_STRING, 'set', key);
    if (ttlMs !== undefined) {
      this.expires.set(key, Date.now() + ttlMs);
      this.notify(N_GENERIC, 'expire', key);
    }
  }

  /** INCRBY; the TTL is kept. */
  incrby(key: string, delta: number | bigint): number | bigint {
    const v = this.lookup(key);
    let cur: number | bigint = 0;
    if (v !== undefined) {
      if (!isStr(v)) throw new RespError(WRONGTYPE);
      if (typeof v === 'number') cur = v;
      else {
        const p = parseInt64(v);
        if (p === null) throw new RespError(ERR_NOT_INT);
        cur = p;
      }
    }
    const r = addInt64(cur, delta);
    if (r === null) throw new RespError('ERR increment or decrement would overflow');
    this.data.set(key, typeof r === 'number' ? r : r.toString());
    this.dirty++;
    this.notify(N_STRING, 'incrby', key);
    return r;
  }

  /** INCRBYFLOAT; `delta` may be the increment's text (exact long-double arithmetic as Redis) or a number. */
  incrbyfloat(key: string, delta: number | string): string {
    const v = this.lookup(key);
    if (v !== undefined && !isStr(v)) throw new RespError(WRONGTYPE);
    const s = floatSum(v, delta, 'ERR value is not a valid float');
    this.data.set(key, s);
    this.dirty++;
    this.notify(N_STRING, 'incrbyfloat', key);
    return s;
  }

  // ---- hashes --------------------------------------------------------------

  hashRead(key: string): HashVal | undefined {
    const v = this.lookupRead(key);
    if (v === undefined) return undefined;
    if (!(v instanceof Map)) throw new RespError(WRONGTYPE);
    return v;
  }

  hashWrite(key: string): HashVal {
    const v = this.lookup(key);
    if (v === undefined) {
      const h: HashVal = new Map();
      this.data.set(key, h);
      return h;
    }
    if (!(v instanceof Map)) throw new RespError(WRONGTYPE);
    return v;
  }

  /** HSET key field value; true when the field is new. */
  hset(key: string, field: string, value: StrVal): boolean {
    const h = this.hashWrite(key);
    const n = h.size;
    h.set(field, value);
    this.dirty++;
    this.notify(N_HASH, 'hset', key);
    return h.size !== n;
  }

  /** HSET key f1 v1 f2 v2 ... from a flat list; returns the number of new fields. */
  hsetMany(key: string, pairs: ArrayLike<StrVal>, from = 0): number {
    const h = this.hashWrite(key);
    const n = h.size;
    for (let i = from; i + 1 < pairs.length; i += 2) h.set(String(pairs[i]), pairs[i + 1]);
    this.dirty++;
    this.notify(N_HASH, 'hset', key);
    return h.size - n;
  }

  hget(key: string, field: string): StrVal | undefined {
    const h = this.hashRead(key);
    return h === undefined ? undefined : h.get(field);
  }

  /** HINCRBY; creates key and field as needed. */
  hincrby(key: string, field: string, delta: number | bigint): number | bigint {
    const h = this.hashWrite(key);
    const v = h.get(field);
    let cur: number | bigint = 0;
    if (v !== undefined) {
      if (typeof v === 'number') cur = v;
      else {
        const p = parseInt64(v);
        if (p === null) throw new RespError('ERR hash value is not an integer');
        cur = p;
      }
    }
    const r = addInt64(cur, delta);
    if (r === null) throw new RespError('ERR increment or decrement would overflow');
    h.set(field, typeof r === 'number' ? r : r.toString());
    this.dirty++;
    this.notify(N_HASH, 'hincrby', key);
    return r;
  }

  hincrbyfloat(key: string, field: string, delta: number | string): string {
    const h = this.hashWrite(key);
    const s = floatSum(h.get(field), delta, 'ERR hash value is not a float');
    h.set(field, s);
    this.dirty++;
    this.notify(N_HASH, 'hincrbyfloat', key);
    return s;
  }

  hdel(key: string, fields: ArrayLike<string>, from = 0): number {
    const v = this.lookup(key);
    if (v === undefined) return 0;
    if (!(v instanceof Map)) throw new RespError(WRONGTYPE);
    let n = 0;
    for (let i = from; i < fields.length; i++) {
      if (v.delete(fields[i])) n++;
      if (v.size === 0) break;
    }
    if (n) {
      this.dirty++;
      this.notify(N_HASH, 'hdel', key);
      if (v.size === 0) {
        this.remove(key);
        this.notify(N_GENERIC, 'del', key);
      }
    }
    return n;
  }

  // ---- sets ----------------------------------------------------------------

  setRead(key: string): SetVal | undefined {
    const v = this.lookupRead(key);
    if (v === undefined) return undefined;
    if (!(v instanceof Set)) throw new RespError(WRONGTYPE);
    return v;
  }

  sadd(key: string, members: ArrayLike<string>, from = 0): number {
    let v = this.lookup(key);
    if (v === undefined) {
      v = new Set<string>();
      this.data.set(key, v);
    } else if (!(v instanceof Set)) throw new RespError(WRONGTYPE);
    const s = v as SetVal;
    const n = s.size;
    for (let i = from; i < members.length; i++) s.add(members[i]);
    const added = s.size - n;
    if (added) {
      this.dirty++;
      this.notify(N_SET, 'sadd', key);
    }
    return added;
  }

  srem(key: string, members: ArrayLike<string>, from = 0): number {
    const v = this.lookup(key);
    if (v === undefined) return 0;
    if (!(v instanceof Set)) throw new RespError(WRONGTYPE);
    let n = 0;
    for (let i = from; i < members.length; i++) {
      if (v.delete(members[i])) n++;
      if (v.size === 0) break;
    }
    if (n) {
      this.dirty++;
      this.notify(N_SET, 'srem', key);
      if (v.size === 0) {
        this.remove(key);
        this.notify(N_GENERIC, 'del', key);
      }
    }
    return n;
  }

  // ---- sorted sets ---------------------------------------------------------

  zsetRead(key: string): ZSet | undefined {
    const v = this.lookupRead(key);
    if (v === undefined) return undefined;
    if (!(v instanceof ZSet)) throw new RespError(WRONGTYPE);
    return v;
  }

  zsetWrite(key: string, create: boolean): ZSet | undefined {
    const v = this.lookup(key);
    if (v === undefined) {
      if (!create) return undefined;
      const z = new ZSet();
      this.data.set(key, z);
      return z;
    }
    if (!(v instanceof ZSet)) throw new RespError(WRONGTYPE);
    return v;
  }

  /** ZINCRBY key delta member: the new score. */
  zincrby(key: string, member: string, delta: number): number {
    const z = this.zsetWrite(key, true) as ZSet;
    const cur = z.score(member);
    const s = cur === undefined ? delta : cur + delta;
    if (Number.isNaN(s)) throw new RespError('ERR resulting score is not a number (NaN)');
    z.set(member, s);
    this.dirty++;
    this.notify(N_ZSET, 'zincr', key);
    return s;
  }

  /** ZADD key score member (plain). True when added. */
  zadd(key: string, member: string, score: number): boolean {
    const z = this.zsetWrite(key, true) as ZSet;
    const had = z.score(member) !== undefined;
    z.set(member, score);
    this.dirty++;
    this.notify(N_ZSET, 'zadd', key);
    return !had;
  }

  zrem(key: string, members: ArrayLike<string>, from = 0): number {
    const z = this.zsetWrite(key, false);
    if (z === undefined) return 0;
    let n = 0;
    for (let i = from; i < members.length; i++) {
      if (z.remove(members[i])) n++;
      if (z.size === 0) break;
    }
    if (n) {
      this.dirty++;
      this.notify(N_ZSET, 'zrem', key);
      if (z.size === 0) {
        this.remove(key);
        this.notify(N_GENERIC, 'del', key);
      }
    }
    return n;
  }
}

/** current + delta as Redis's long-double INCRBYFLOAT text; throws the Redis errors. */
function floatSum(v: StrVal | undefined, delta: number | string, notFloat: string): string {
  const curText = v === undefined ? '0' : String(v);
  const cur = parseLongDouble(curText);
  if (cur === null) throw new RespError(notFloat);
  const d = typeof delta === 'number' ? delta : parseLongDouble(delta);
  if (d === null) throw new RespError('ERR value is not a valid float');
  if (!Number.isFinite(cur) || !Number.isFinite(d)) throw new RespError('ERR increment would produce NaN or Infinity');
  const dText = typeof delta === 'number' ? fmtLongDouble(delta) : delta;
  return ldAddText(curText, dText);
}

const LD_RE = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;
const LD_INF = /^[+-]?inf(inity)?$/i;

/** Redis's string2ld: the whole text must be a float (inf allowed, NaN not). */
export function parseLongDouble(s: string): number | null {
  if (s.length === 0 || s.length > 5120) return null;
  if (LD_RE.test(s)) return Number(s);
  if (LD_INF.test(s)) return s[0] === '-' ? -Infinity : Infinity;
  return null;
}
