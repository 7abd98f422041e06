// String commands: GET MGET SET GETDEL INCR INCRBY DECR DECRBY INCRBYFLOAT.
import type { Handler } from '../types';
import { RespError, ERR_SYNTAX, WRONGTYPE } from '../types';
import { N_GENERIC, N_STRING } from '../store';
import { int64Arg, eq } from './args';
import { parseLongDouble } from '../store';

const LLONG_MAX = 9223372036854775807n;

const get: Handler = (c, argv, core) => {
  c.w.bulkOrNull(core.store.getString(argv[1]));
};

const mget: Handler = (c, argv, core) => {
  const st = core.store;
  c.w.array(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const v = st.lookupRead(argv[i]);
    if (typeof v === 'string' || typeof v === 'number') c.w.bulk(v);
    else c.w.nullBulk();
  }
};

const F_NX = 1, F_XX = 2, F_GET = 4, F_KEEPTTL = 8, F_EX = 16, F_PX = 32, F_EXAT = 64, F_PXAT = 128;

const set: Handler = (c, argv, core) => {
  const st = core.store;
  let flags = 0;
  let expire: string | undefined;
  for (let j = 3; j < argv.length; j++) {
    const o = argv[j].toLowerCase();
    const hasNext = j < argv.length - 1;
    if (o === 'nx' && !(flags & F_XX)) flags |= F_NX;
    else if (o === 'xx' && !(flags & F_NX)) flags |= F_XX;
    else if (o === 'get') flags |= F_GET;
    else if (o === 'keepttl' && !(flags & (F_EX | F_EXAT | F_PX | F_PXAT))) flags |= F_KEEPTTL;
    else if (o === 'ex' && !(flags & (F_KEEPTTL | F_EXAT | F_PX | F_PXAT)) && hasNext) { flags |= F_EX; expire = argv[++j]; }
    else if (o === 'px' && !(flags & (F_KEEPTTL | F_EX | F_EXAT | F_PXAT)) && hasNext) { flags |= F_PX; expire = argv[++j]; }
    else if (o === 'exat' && !(flags & (F_KEEPTTL | F_EX | F_PX | F_PXAT)) && hasNext) { flags |= F_EXAT; expire = argv[++j]; }
    else if (o === 'pxat' && !(flags & (F_KEEPTTL | F_EX | F_EXAT | F_PX)) && hasNext) { flags |= F_PXAT; expire = argv[++j]; }
    else throw new RespError(ERR_SYNTAX);
  }
  let when = -1;
  if (expire !== undefined) {
    const expErr = "ERR invalid expire time in 'set' command";
    let ms = BigInt(int64Arg(expire));
    const secs = (flags & (F_EX | F_EXAT)) !== 0;
    if (ms <= 0n || (secs && ms > LLONG_MAX / 1000n)) throw new RespError(expErr);
    if (secs) ms *= 1000n;
    if (flags & (F_EX | F_PX)) ms += BigInt(Date.now());
    if (ms <= 0n || ms > LLONG_MAX) throw new RespError(expErr);
    when = Number(ms);
  }
  const key = argv[1];
  if (flags & F_GET) {
    const old = st.lookupRead(key);
    if (old !== undefined && typeof old !== 'string' && typeof old !== 'number') throw new RespError(WRONGTYPE);
    c.w.bulkOrNull(old);
  }
  const found = st.lookup(key) !== undefined;
  if (((flags & F_NX) && found) || ((flags & F_XX) && !found)) {
    if (!(flags & F_GET)) c.w.nullBulk();
    return;
  }
  st.setValue(key, argv[2], (flags & F_KEEPTTL) !== 0);
  st.dirty++;
  st.notify(N_STRING, 'set', key);
  if (when >= 0) {
    st.setExpireAt(key, when);
    st.notify(N_GENERIC, 'expire', key);
  }
  if (!(flags & F_GET)) c.w.ok();
};

const getdel: Handler = (c, argv, core) => {
  const st = core.store;
  const v = st.getString(argv[1]);
  if (v === undefined) return c.w.nullBulk();
  c.w.bulk(v);
  st.del(argv[1]);
};

const incr: Handler = (c, argv, core) => c.w.int(core.store.incrby(argv[1], 1));
const decr: Handler = (c, argv, core) => c.w.int(core.store.incrby(argv[1], -1));
const incrby: Handler = (c, argv, core) => c.w.int(core.store.incrby(argv[1], int64Arg(argv[2])));
const decrby: Handler = (c, argv, core) => {
  const d = int64Arg(argv[2]);
  if (d === -9223372036854775808n) throw new RespError('ERR decrement would overflow');
  c.w.int(core.store.incrby(argv[1], typeof d === 'bigint' ? -d : -d));
};

const incrbyfloat: Handler = (c, argv, core) => {
  // Type check first, as Redis (lookupKeyWrite + checkType before parsing the increment).
  const v = core.store.lookup(argv[1]);
  if (v !== undefined && typeof v !== 'string' && typeof v !== 'number') throw new RespError(WRONGTYPE);
  const d = parseLongDouble(argv[2]);
  if (d === null) throw new RespError('ERR value is not a valid float');
  c.w.bulk(core.store.incrbyfloat(argv[1], argv[2]));
};

void eq;

export const stringCommands: Record<string, Handler> = { get, mget, set, getdel, incr, decr, incrby, decrby, incrbyfloat };
