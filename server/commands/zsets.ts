// Sorted-set commands: ZADD ZINCRBY ZSCORE ZCARD ZREM ZRANK ZREVRANK ZRANGE
// (BYSCORE REV LIMIT WITHSCORES) ZREVRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE.
import type { Handler } from '../types';
import type { Client } from '../client';
import type { ServerCore } from '../core';
import { RespError, ERR_SYNTAX } from '../types';
import { N_ZSET } from '../store';
import type { ScoreRange, ZSet } from '../zset';
import { floatArg, intArg } from './args';

const Z_NX = 1, Z_XX = 2, Z_GT = 4, Z_LT = 8, Z_CH = 16, Z_INCR = 32;

function zaddGeneric(c: Client, argv: string[], core: ServerCore, flags: number): void {
  let scoreidx = 2;
  while (scoreidx < argv.length) {
    const o = argv[scoreidx].toLowerCase();
    if (o === 'nx') flags |= Z_NX;
    else if (o === 'xx') flags |= Z_XX;
    else if (o === 'ch') flags |= Z_CH;
    else if (o === 'incr') flags |= Z_INCR;
    else if (o === 'gt') flags |= Z_GT;
    else if (o === 'lt') flags |= Z_LT;
    else break;
    scoreidx++;
  }
  let elements = argv.length - scoreidx;
  if (elements % 2 || !elements) throw new RespError(ERR_SYNTAX);
  elements /= 2;
  const nx = flags & Z_NX, xx = flags & Z_XX, gt = flags & Z_GT, lt = flags & Z_LT, incr = flags & Z_INCR;
  if (nx && xx) throw new RespError('ERR XX and NX options at the same time are not compatible');
  if ((gt && nx) || (lt && nx) || (gt && lt)) throw new RespError('ERR GT, LT, and/or NX options at the same time are not compatible');
  if (incr && elements > 1) throw new RespError('ERR INCR option supports a single increment-element pair');
  const scores: number[] = [];
  for (let j = 0; j < elements; j++) scores.push(floatArg(argv[scoreidx + j * 2]));
  const st = core.store;
  const key = argv[1];
  let z = st.zsetWrite(key, false);
  let added = 0, updated = 0, processed = 0;
  let score = 0;
  if (z === undefined && !xx) z = st.zsetWrite(key, true);
  if (z !== undefined) {
    for (let j = 0; j < elements; j++) {
      score = scores[j];
      const m = argv[scoreidx + 1 + j * 2];
      const cur = z.score(m);
      if (cur !== undefined) {
        if (nx) continue;
        if (incr) {
          score += cur;
          if (Number.isNaN(score)) {
            if (z.size === 0) st.remove(key);
            throw new RespError('ERR resulting score is not a number (NaN)');
          }
        }
        if ((lt && score >= cur) || (gt && score <= cur)) continue;
        if (score !== cur) {
          z.set(m, score);
          updated++;
        }
        processed++;
      } else if (!xx) {
        z.set(m, score);
        added++;
        processed++;
      }
    }
    if (z.size === 0) st.remove(key); // NX/XX/GT/LT left a new set empty
  }
  if (added + updated) {
    st.dirty += added + updated;
    st.notify(N_ZSET, incr ? 'zincr' : 'zadd', key);
  }
  if (incr) {
    if (processed) c.w.double(score);
    else c.w.nullBulk();
  } else c.w.int(flags & Z_CH ? added + updated : added);
}

const zadd: Handler = (c, argv, core) => zaddGeneric(c, argv, core, 0);
const zincrby: Handler = (c, argv, core) => zaddGeneric(c, argv, core, Z_INCR);

const zscore: Handler = (c, argv, core) => {
  const s = core.store.zsetRead(argv[1])?.score(argv[2]);
  if (s === undefined) c.w.nullBulk();
  else c.w.double(s);
};

const zcard: Handler = (c, argv, core) => c.w.int(core.store.zsetRead(argv[1])?.size ?? 0);
const zrem: Handler = (c, argv, core) => c.w.int(core.store.zrem(argv[1], argv, 2));

function rankGeneric(c: Client, argv: string[], core: ServerCore, rev: boolean): void {
  const z = core.store.zsetRead(argv[1]);
  const r = z ? z.rank(argv[2]) : -1;
  if (r < 0 || !z) return c.w.nullBulk();
  c.w.int(rev ? z.size - 1 - r : r);
}

const zrank: Handler = (c, argv, core) => rankGeneric(c, argv, core, false);
const zrevrank: Handler = (c, argv, core) => rankGeneric(c, argv, core, true);

/** Redis's zslParseRange for one bound: "(" exclusive prefix, strtod of the rest (leading spaces, inf, empty = 0). */
function parseBound(s: string): { v: number; ex: boolean } | null {
  let ex = false;
  if (s[0] === '(') {
    ex = true;
    s = s.slice(1);
  }
  const t = s.replace(/^[ \t\n\v\f\r]+/, '');
  let v: number;
  if (t === '') {
    if (s !== '') return null; // only spaces: nothing converted
    v = 0;
  }
  else if (/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(t)) v = Number(t);
  else if (/^[+-]?inf(inity)?$/i.test(t)) v = t[0] === '-' ? -Infinity : Infinity;
  else return null;
  return { v, ex };
}

const AUTO = 0, RANK = 1, SCORE = 2, LEX = 3;

/** Redis's zrangeGenericCommand for ZRANGE, ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE. */
function zrangeGeneric(c: Client, argv: string[], core: ServerCore, rangetype0: number, rev0: boolean | null): void {
  let rangetype = rangetype0;
  let direction: boolean | null = rev0;
  let withscores = false;
  let offset = 0;
  let limit = -1;
  for (let j = 4; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const o = argv[j].toLowerCase();
    if (o === 'withscores') withscores = true;
    else if (o === 'limit' && left >= 2) {
      offset = intArg(argv[j + 1]);
      limit = intArg(argv[j + 2]);
      j += 2;
    } else if (direction === null && o === 'rev') direction = true;
    else if (rangetype === AUTO && o === 'bylex') rangetype = LEX;
    else if (rangetype === AUTO && o === 'byscore') rangetype = SCORE;
    else throw new RespError(ERR_SYNTAX);
  }
  const rev = direction === true;
  if (rangetype === AUTO) rangetype = RANK;
  if (limit !== -1 && rangetype === RANK) throw new RespError('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  if (withscores && rangetype === LEX) throw new RespError('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  if (rangetype === LEX) throw new RespError('ERR BYLEX is not supported by this server');
  let minArg = argv[2], maxArg = argv[3];
  if (rev && rangetype === SCORE) { const t = minArg; minArg = maxArg; maxArg = t; }
  let start = 0, end = 0;
  let range: ScoreRange | null = null;
  if (rangetype === RANK) {
    start = intArg(minArg);
    end = intArg(maxArg);
  } else {
    const a = parseBound(minArg), b = parseBound(maxArg);
    if (!a || !b) throw new RespError('ERR min or max is not a float');
    range = { min: a.v, minex: a.ex, max: b.v, maxex: b.ex };
  }
  const z: ZSet | undefined = core.store.zsetRead(argv[1]);
  if (!z) return c.w.array(0);
  const w = c.w;
  const resp3 = c.proto === 3;
  if (rangetype === RANK) {
    const llen = z.size;
    if (start < 0) start = llen + start;
    if (end < 0) end = llen + end;
    if (start < 0) start = 0;
    if (start > end || start >= llen) return w.array(0);
    if (end >= llen) end = llen - 1;
    const n = end - start + 1;
    w.array(withscores && !resp3 ? n * 2 : n);
    z.rangeByRank(start, end, rev, (m, s) => {
      if (withscores) {
        if (resp3) w.array(2);
        w.bulk(m);
        w.double(s);
      } else w.bulk(m);
    });
    return;
  }
  const items: [string, number][] = [];
  z.rangeByScore(range as ScoreRange, rev, offset, limit, (m, s) => items.push([m, s]));
  w.array(withscores && !resp3 ? items.length * 2 : items.length);
  for (const [m, s] of items) {
    if (withscores) {
      if (resp3) w.array(2);
      w.bulk(m);
      w.double(s);
    } else w.bulk(m);
  }
}

const zrange: Handler = (c, argv, core) => zrangeGeneric(c, argv, core, AUTO, null);
const zrevrange: Handler = (c, argv, core) => zrangeGeneric(c, argv, core, RANK, true);
const zrangebyscore: Handler = (c, argv, core) => zrangeGeneric(c, argv, core, SCORE, false);
const zrevrangebyscore: Handler = (c, argv, core) => zrangeGeneric(c, argv, core, SCORE, true);

export const zsetCommands: Record<string, Handler> = {
  zadd, zincrby, zscore, zcard, zrem, zrank, zrevrank, zrange, zrevrange, zrangebyscore, zrevrangebyscore,
};
