/**
 * Persistence of the persistent keys (user.*, ipuser.*, gtp.*) under
 * `--data-dir`: an append-only log of knowledge-base updates, as Redis's AOF
 * with `appendfsync everysec` (DESIGN.md, "The microCloud": persistent data
 * survives a restart of the probe).
 *
 * File `<dir>/persistent.aof`:
 *
 *   header   "microcloud-aof 1\n" (17 bytes)
 *   record*  u32le len | u32le ~len | u32le crc32(payload) | payload (len bytes)
 *
 * A record holds the persistent ops of one append() (at most ~1 MiB of them;
 * a larger batch takes several records) and is written with one write() at
 * the end of the file, so a process killed at any point leaves whole records
 * and at most one torn record at the end. `~len` tells a damaged header from
 * a torn one: a record whose header is complete and self-consistent but whose
 * payload runs past the end of the file, a header cut short, or zero bytes up
 * to the end (a file system that extended the file without its data after a
 * power loss) are a torn tail, cut off by replay(); anything else (bad header,
 * checksum mismatch, an undecodable op) is corruption, reported with the byte
 * offset of the record.
 *
 * A payload is a sequence of ops: u8 op code (1 hincrby, 2 hset, 3 hsetnx,
 * 4 zincrby, 5 set, 6 hdel, 7 del) then the op's arguments in KbOp order, each
 * a tagged value:
 *
 *   0 string, every char <= U+00FF: varint length, one byte per char (latin1)
 *   1 string, well-formed UTF-16: varint byte length, UTF-8
 *   2 string with lone surrogates: varint byte length, UTF-16LE
 *   3 number, float64 LE (non-integers, -0, huge values)
 *   4 number, safe integer >= 0: varint
 *   5 number, safe integer < 0: varint of its magnitude
 *   6 (as an op's key only) the key of the previous op of the same record
 *
 * (varint: LEB128, 7 bits a byte, least significant first). Every JS string
 * round-trips exactly (including the store's one-char-per-byte strings) and
 * numbers stay numbers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { Keyspace } from '../server/store';
import { ZSet } from '../server/zset';
import { KbOp, KeyClass, keyClass } from './kb-updates';

export type FsyncPolicy = 'always' | 'everysec' | 'no';

export interface PersistentLogOptions {
  /** Created if missing (mkdir -p); the log is <dir>/persistent.aof. */
  dir: string;
  /** When appended data is forced to disk (default everysec in the CLI). */
  fsync: FsyncPolicy;
  /** No rewrite below this size (Redis auto-aof-rewrite-min-size); default 1 MiB. */
  rewriteMinBytes?: number;
  /** Rewrite when the file grew this % over its size after the last rewrite or load (auto-aof-rewrite-percentage); default 100, 0 = never. */
  rewritePercent?: number;
  /**
   * Told of errors that happen away from a call (a background fsync of the
   * everysec policy failed, the directory could not be synced after a
   * rewrite). Default: process.emitWarning.
   */
  onError?: (err: PersistentLogError) => void;
}

/** One-line, operator-readable. `offset` is the byte offset of a corrupt record. */
export class PersistentLogError extends Error {
  override readonly name = 'PersistentLogError';
  constructor(message: string, readonly offset?: number) {
    super(message);
  }
}

export interface ReplayResult {
  /** Ops passed to apply. */
  ops: number;
  /** Size of the valid log (header included) after the replay. */
  bytes: number;
  /** Bytes of a torn last record cut off the file (0 when the log ended cleanly). */
  truncatedTailBytes: number;
}

export interface PersistentLogStats {
  /** Ops written by append() since open. */
  appendedOps: number;
  /** Bytes written by append() since open. */
  appendedBytes: number;
  /** fsyncs of the log completed (per policy, flush, close, rewrite). */
  fsyncs: number;
  /** Rewrites done. */
  rewrites: number;
  /** Size of the log after the last rewrite or load (the base of rewritePercent). */
  baseSize: number;
}

export const LOG_FILE = 'persistent.aof';
const HEADER = 'microcloud-aof 1\n';
const HEADER_BYTES = Buffer.from(HEADER, 'latin1');
const HEADER_LEN = HEADER_BYTES.length;
const MAGIC_PREFIX = 'microcloud-aof ';
const REC_HDR = 12;
/** A record is closed once its payload reaches this size. */
const RECORD_SPLIT = 1 << 20;
/** Largest payload replay accepts (a single op above RECORD_SPLIT still gets its own record). */
const MAX_RECORD = 512 << 20;
/** rewrite() writes the temp file in pieces of about this size. */
const WRITE_CHUNK = 4 << 20;
/** replay() reads the file in pieces of this size. */
const READ_CHUNK = 4 << 20;
const TEMP_RE = /^persistent\.aof\.rewrite-\d+\.tmp$/;

const OP_HINCRBY = 1;
const OP_HSET = 2;
const OP_HSETNX = 3;
const OP_ZINCRBY = 4;
const OP_SET = 5;
const OP_HDEL = 6;
const OP_DEL = 7;

const T_LATIN1 = 0;
const T_UTF8 = 1;
const T_UTF16 = 2;
const T_F64 = 3;
const T_UINT = 4;
const T_NINT = 5;
const T_SAMEKEY = 6;

// ---- CRC-32 (IEEE 802.3, as zlib) ------------------------------------------

let crcTable: Int32Array | null = null;

/** Table-driven CRC-32 for Node versions without zlib.crc32 (added in 20.15). */
export function crc32Portable(buf: Uint8Array): number {
  if (crcTable === null) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  const tab = crcTable;
  let c = -1;
  for (let i = 0; i < buf.length; i++) c = tab[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** CRC-32 of buf: node:zlib's when the runtime has it. */
export const crc32: (buf: Uint8Array) => number = typeof zlibCrc32 === 'function' ? (b) => zlibCrc32(b) : crc32Portable;

// ---- strings ---------------------------------------------------------------

const NON_LATIN1 = /[^\x00-\xff]/;
const NON_ASCII = /[^\x00-\x7f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const hasIsWellFormed = typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function';
function isWellFormed(s: string): boolean {
  return hasIsWellFormed ? (s as unknown as { isWellFormed(): boolean }).isWellFormed() : !LONE_SURROGATE.test(s);
}

// ---- encoding --------------------------------------------------------------

class Encoder {
  buf = Buffer.allocUnsafe(1 << 16);
  pos = 0;
  private recStart = -1;
  /** Key of the previous op in the open record. */
  private lastKey: string | null = null;

  reset(): void {
    this.pos = 0;
    this.recStart = -1;
    if (this.buf.length > 4 * WRITE_CHUNK) this.buf = Buffer.allocUnsafe(1 << 16);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const b = Buffer.allocUnsafe(size);
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  beginRecord(): void {
    this.ensure(REC_HDR);
    this.recStart = this.pos;
    this.pos += REC_HDR;
    this.lastKey = null;
  }

  /** Payload bytes of the open record. */
  get recordBytes(): number {
    return this.pos - this.recStart - REC_HDR;
  }

  /** Fills in the open record's header; an empty record is dropped. */
  endRecord(): void {
    const start = this.recStart;
    const len = this.pos - start - REC_HDR;
    this.recStart = -1;
    if (len === 0) {
      this.pos = start;
      return;
    }
    const b = this.buf;
    b.writeUInt32LE(len, start);
    b.writeUInt32LE(~len >>> 0, start + 4);
    b.writeUInt32LE(crc32(b.subarray(start + REC_HDR, this.pos)), start + 8);
  }

  bytes(src: Buffer): void {
    this.ensure(src.length);
    src.copy(this.buf, this.pos);
    this.pos += src.length;
  }

  private varint(n: number): void {
    const b = this.buf;
    let p = this.pos;
    if (n < 0x80000000) {
      while (n >= 0x80) {
        b[p++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
    } else {
      while (n >= 0x80) {
        b[p++] = (n % 128) | 0x80;
        n = Math.floor(n / 128);
      }
    }
    b[p++] = n;
    this.pos = p;
  }

  str(s: unknown): void {
    if (typeof s !== 'string') throw new TypeError(`persistent log: expected a string, got ${typeof s}`);
    const n = s.length;
    if (n < 128) {
      // Short strings: copy char by char (a native call per string costs more), falling back when one is not latin1.
      this.ensure(2 + n);
      const b = this.buf;
      let p = this.pos;
      b[p++] = T_LATIN1;
      b[p++] = n;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0xff) return this.wide(s);
        b[p++] = c;
      }
      this.pos = p;
    } else if (!NON_LATIN1.test(s)) {
      this.ensure(6 + n);
      this.buf[this.pos++] = T_LATIN1;
      this.varint(n);
      this.pos += this.buf.write(s, this.pos, 'latin1');
    } else {
      this.wide(s);
    }
  }

  /** A string with a char above U+00FF: UTF-8, or UTF-16LE when it has lone surrogates. */
  private wide(s: string): void {
    if (isWellFormed(s)) {
      const bl = Buffer.byteLength(s, 'utf8');
      this.ensure(6 + bl);
      this.buf[this.pos++] = T_UTF8;
      this.varint(bl);
      this.pos += this.buf.write(s, this.pos, 'utf8');
    } else {
      const bl = s.length * 2;
      this.ensure(6 + bl);
      this.buf[this.pos++] = T_UTF16;
      this.varint(bl);
      this.pos += this.buf.write(s, this.pos, 'utf16le');
    }
  }

  num(v: unknown): void {
    if (typeof v !== 'number') throw new TypeError(`persistent log: expected a number, got ${typeof v}`);
    this.ensure(10);
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
      if (v >= 0) {
        this.buf[this.pos++] = T_UINT;
        this.varint(v);
      } else {
        this.buf[this.pos++] = T_NINT;
        this.varint(-v);
      }
    } else {
      this.buf[this.pos++] = T_F64;
      this.buf.writeDoubleLE(v, this.pos);
      this.pos += 8;
    }
  }

  /** An op's key: one byte when it is the previous op's. */
  key(s: unknown): void {
    if (s === this.lastKey) {
      this.ensure(1);
      this.buf[this.pos++] = T_SAMEKEY;
      return;
    }
    this.str(s);
    this.lastKey = s as string;
  }

  val(v: unknown): void {
    if (typeof v === 'number') this.num(v);
    else this.str(v);
  }

  op(op: KbOp): void {
    switch (op[0]) {
      case 'hincrby':
        this.code(OP_HINCRBY);
        this.key(op[1]);
        this.str(op[2]);
        this.num(op[3]);
        break;
      case 'hset':
        this.hset(op[1], op[2], op[3]);
        break;
      case 'hsetnx':
        this.code(OP_HSETNX);
        this.key(op[1]);
        this.str(op[2]);
        this.val(op[3]);
        break;
      case 'zincrby':
        this.zincrby(op[1], op[2], op[3]);
        break;
      case 'set':
        this.set(op[1], op[2]);
        break;
      case 'hdel':
        this.code(OP_HDEL);
        this.key(op[1]);
        this.str(op[2]);
        break;
      case 'del':
        this.del(op[1]);
        break;
      default:
        throw new TypeError(`persistent log: cannot log op ${String((op as readonly unknown[])[0])}`);
    }
  }

  private code(c: number): void {
    this.ensure(1);
    this.buf[this.pos++] = c;
  }

  // The ops of a snapshot (SnapshotSink), written without making KbOp tuples.
  del(key: string): void {
    this.code(OP_DEL);
    this.key(key);
  }

  set(key: string, v: string | number): void {
    this.code(OP_SET);
    this.key(key);
    this.val(v);
  }

  hset(key: string, field: string, v: string | number): void {
    this.code(OP_HSET);
    this.key(key);
    this.str(field);
    this.val(v);
  }

  zincrby(key: string, delta: number, member: string): void {
    this.code(OP_ZINCRBY);
    this.key(key);
    this.num(delta);
    this.str(member);
  }
}

/** Where walkSnapshot() sends the ops recreating a store's persistent keys. */
interface SnapshotSink {
  del(key: string): void;
  set(key: string, v: string | number): void;
  hset(key: string, field: string, v: string | number): void;
  zincrby(key: string, delta: number, member: string): void;
}

export type StoreStrings = 'utf8-bytes' | 'as-is';

/** The live persistent keys of a store as ops (see PersistentLog.snapshotOf). */
function walkSnapshot(store: Keyspace, storeStrings: StoreStrings, out: SnapshotSink): void {
  const dec = storeStrings === 'as-is' ? (s: string): string => s : utf8Of;
  const expires = store.expires;
  const now = Date.now();
  for (const [rawKey, v] of store.data) {
    if (keyClass(rawKey) !== KeyClass.Persistent) continue;
    if (expires.size !== 0) {
      const t = expires.get(rawKey);
      if (t !== undefined && now > t) continue;
    }
    const key = dec(rawKey);
    if (typeof v === 'string') {
      out.del(key);
      out.set(key, dec(v));
    } else if (typeof v === 'number') {
      out.del(key);
      out.set(key, v);
    } else if (v instanceof Map) {
      out.del(key);
      for (const [f, fv] of v) out.hset(key, dec(f), typeof fv === 'number' ? fv : dec(fv));
    } else if (v instanceof ZSet) {
      out.del(key);
      for (const [m, score] of v) out.zincrby(key, score, dec(m));
    }
  }
}

// ---- decoding --------------------------------------------------------------

class DecodeError extends Error {}

type FastBuffer = Buffer & { latin1Slice?: (start: number, end: number) => string };
const hasLatin1Slice = typeof (Buffer.prototype as FastBuffer).latin1Slice === 'function';

/** buf.toString('latin1', start, end) without its argument handling (a third of replay's time). */
function latin1Slice(buf: Buffer, start: number, end: number): string {
  return hasLatin1Slice ? (buf as FastBuffer).latin1Slice!(start, end) : buf.toString('latin1', start, end);
}

/** Decodes the ops of one (checksum-verified) record payload. */
class Decoder {
  private buf: Buffer = Buffer.alloc(0);
  private p = 0;
  private end = 0;
  private lastKey: string | null = null;

  /** Appends the ops of buf[p, end) to out. */
  decode(buf: Buffer, p: number, end: number, out: KbOp[]): void {
    this.buf = buf;
    this.p = p;
    this.end = end;
    this.lastKey = null;
    while (this.p < this.end) {
      const code = buf[this.p++];
      switch (code) {
        case OP_HINCRBY:
          out.push(['hincrby', this.key(), this.str(), this.num()]);
          break;
        case OP_HSET:
          out.push(['hset', this.key(), this.str(), this.value()]);
          break;
        case OP_HSETNX:
          out.push(['hsetnx', this.key(), this.str(), this.value()]);
          break;
        case OP_ZINCRBY:
          out.push(['zincrby', this.key(), this.num(), this.str()]);
          break;
        case OP_SET:
          out.push(['set', this.key(), this.value()]);
          break;
        case OP_HDEL:
          out.push(['hdel', this.key(), this.str()]);
          break;
        case OP_DEL:
          out.push(['del', this.key()]);
          break;
        default:
          throw new DecodeError(`unknown op code ${code}`);
      }
    }
  }

  private varint(): number {
    const buf = this.buf;
    let r = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.p >= this.end) throw new DecodeError('op runs past the end of its record');
      const b = buf[this.p++];
      r += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (r > Number.MAX_SAFE_INTEGER) break;
        return r;
      }
      mul *= 128;
    }
    throw new DecodeError('bad length or integer');
  }

  private need(n: number): void {
    if (n > this.end - this.p) throw new DecodeError('op runs past the end of its record');
  }

  private value(): string | number {
    if (this.p >= this.end) throw new DecodeError('op runs past the end of its record');
    const tag = this.buf[this.p++];
    switch (tag) {
      case T_LATIN1:
      case T_UTF8:
      case T_UTF16: {
        const n = this.varint();
        this.need(n);
        if (tag === T_UTF16 && (n & 1) !== 0) throw new DecodeError('odd UTF-16 length');
        const p = this.p;
        this.p += n;
        if (n === 0) return '';
        if (tag === T_LATIN1) return latin1Slice(this.buf, p, p + n);
        return this.buf.toString(tag === T_UTF8 ? 'utf8' : 'utf16le', p, p + n);
      }
      case T_F64: {
        this.need(8);
        const v = this.buf.readDoubleLE(this.p);
        this.p += 8;
        return v;
      }
      case T_UINT:
        return this.varint();
      case T_NINT:
        return -this.varint();
      default:
        throw new DecodeError(`unknown value tag ${tag}`);
    }
  }

  private key(): string {
    if (this.p < this.end && this.buf[this.p] === T_SAMEKEY) {
      if (this.lastKey === null) throw new DecodeError('a repeated key without a previous one');
      this.p++;
      return this.lastKey;
    }
    const k = this.str();
    this.lastKey = k;
    return k;
  }

  private str(): string {
    const v = this.value();
    if (typeof v !== 'string') throw new DecodeError('a number where a string belongs');
    return v;
  }

  private num(): number {
    const v = this.value();
    if (typeof v !== 'number') throw new DecodeError('a string where a number belongs');
    return v;
  }
}

/** Reads a file by random access through one growing buffer. */
class Reader {
  buf = Buffer.allocUnsafe(READ_CHUNK);
  private start = 0;
  private len = 0;

  constructor(private readonly fd: number, private readonly fileSize: number, private readonly file: string) {}

  /** Makes file bytes [off, off+n) available; returns their index in this.buf. */
  at(off: number, n: number): number {
    if (off >= this.start && off + n <= this.start + this.len) return off - this.start;
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2));
    const want = Math.min(this.buf.length, this.fileSize - off);
    let got = 0;
    try {
      while (got < want) {
        const r = fs.readSync(this.fd, this.buf, got, want - got, off + got);
        if (r === 0) break;
        got += r;
      }
    } catch (e) {
      throw new PersistentLogError(`cannot read persistent log ${this.file} at byte ${off + got}: ${reason(e)}`);
    }
    this.start = off;
    this.len = got;
    if (got < n) throw new PersistentLogError(`persistent log ${this.file} shrank while being read (at byte ${off + got})`);
    return 0;
  }

  /** True when file bytes [from, to) are all zero. */
  allZero(from: number, to: number): boolean {
    for (let off = from; off < to; ) {
      const n = Math.min(READ_CHUNK, to - off);
      const i = this.at(off, n);
      const b = this.buf;
      for (let k = i; k < i + n; k++) if (b[k] !== 0) return false;
      off += n;
    }
    return true;
  }
}

// ---- errors ----------------------------------------------------------------

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a path component is not a directory',
  EISDIR: 'is a directory',
  EEXIST: 'exists and is not a directory',
  ENOENT: 'no such file or directory',
  EIO: 'I/O error',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many symbolic links',
};

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string') return `${REASONS[err.code] ?? err.code.toLowerCase()} (${err.code})`;
  const msg = err instanceof Error ? err.message : String(e);
  return msg.split('\n')[0];
}

function defaultOnError(err: PersistentLogError): void {
  process.emitWarning(err.message, 'PersistentLogWarning');
}

const POLICIES: readonly FsyncPolicy[] = ['always', 'everysec', 'no'];

// ---- the log ---------------------------------------------------------------

/**
 * The append-only log of the persistent keys. Synchronous by design (one
 * write() per append, as Redis's AOF): the data is in the OS the moment
 * append() returns, and only the fsync of the everysec policy runs in the
 * background (libuv's thread pool), at most one at a time.
 *
 * Use: open(), replay() into the store, then append() every batch of ops as
 * it is applied; when needsRewrite, rewrite(PersistentLog.snapshotOf(store))
 * with a store that holds every op appended so far (no ops queued to the
 * store but not yet applied, or they are lost from the log); close() at exit.
 */
export class PersistentLog {
  /** The log file. */
  readonly file: string;
  readonly dir: string;
  readonly fsyncPolicy: FsyncPolicy;
  private fd: number;
  private size: number;
  private baseSize: number;
  private readonly minBytes: number;
  private readonly percent: number;
  private readonly onError: (err: PersistentLogError) => void;
  private readonly enc = new Encoder();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Written since the last fsync. */
  private dirty = false;
  /** The fd a background fsync is running on. */
  private syncing: number | null = null;
  /** Old fds to close once their background fsync is done. */
  private readonly closeAfterSync = new Set<number>();
  /** The file has records not yet replayed: appending now would follow a possibly torn tail. */
  private unreplayed: boolean;
  private readonly st: PersistentLogStats;
  /** Last error reported through onError (a background fsync failed). */
  lastError: PersistentLogError | null = null;

  private constructor(dir: string, fd: number, size: number, opts: PersistentLogOptions) {
    this.dir = dir;
    this.file = path.join(dir, LOG_FILE);
    this.fd = fd;
    this.size = size;
    this.baseSize = size;
    this.fsyncPolicy = opts.fsync;
    this.minBytes = opts.rewriteMinBytes ?? 1 << 20;
    this.percent = opts.rewritePercent ?? 100;
    this.onError = opts.onError ?? defaultOnError;
    this.unreplayed = size > HEADER_LEN;
    this.st = { appendedOps: 0, appendedBytes: 0, fsyncs: 0, rewrites: 0, baseSize: size };
    if (opts.fsync === 'everysec') {
      this.timer = setInterval(() => this.backgroundFsync(), 1000);
      this.timer.unref();
    }
  }

  /** Opens (creating as needed) <dir>/persistent.aof; throws PersistentLogError. */
  static open(opts: PersistentLogOptions): PersistentLog {
    if (!POLICIES.includes(opts.fsync)) throw new PersistentLogError(`invalid fsync policy "${String(opts.fsync)}" (always, everysec or no)`);
    for (const [name, v] of [['rewriteMinBytes', opts.rewriteMinBytes], ['rewritePercent', opts.rewritePercent]] as const) {
      if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new PersistentLogError(`invalid ${name} ${v} (a number >= 0)`);
    }
    const dir = path.resolve(opts.dir);
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new PersistentLogError(`cannot create data directory ${dir}: ${reason(e)}`);
    }
    let dst: fs.Stats;
    try {
      dst = fs.statSync(dir);
    } catch (e) {
      throw new PersistentLogError(`cannot use data directory ${dir}: ${reason(e)}`);
    }
    if (!dst.isDirectory()) throw new PersistentLogError(`data directory ${dir} is not a directory`);
    try {
      fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    } catch (e) {
      throw new PersistentLogError(`data directory ${dir} is not writable: ${reason(e)}`);
    }
    // Temp files of a rewrite that did not finish (the process died during it).
    try {
      for (const name of fs.readdirSync(dir)) {
        if (TEMP_RE.test(name)) fs.rmSync(path.join(dir, name), { force: true });
      }
    } catch {
      // Cleanup only.
    }
    const file = path.join(dir, LOG_FILE);
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    } catch (e) {
      throw new PersistentLogError(`cannot open persistent log ${file}: ${reason(e)}`);
    }
    try {
      const size = PersistentLog.checkHeader(fd, file);
      return new PersistentLog(dir, fd, size, opts);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  /** Validates (or writes, for a new file) the header; the file size. */
  private static checkHeader(fd: number, file: string): number {
    let st: fs.Stats;
    try {
      st = fs.fstatSync(fd);
    } catch (e) {
      throw new PersistentLogError(`cannot stat persistent log ${file}: ${reason(e)}`);
    }
    if (!st.isFile()) throw new PersistentLogError(`persistent log ${file} is not a regular file`);
    const head = Buffer.alloc(Math.min(st.size, 64));
    try {
      if (head.length > 0) fs.readSync(fd, head, 0, head.length, 0);
    } catch (e) {
      throw new PersistentLogError(`cannot read persistent log ${file}: ${reason(e)}`);
    }
    if (st.size >= HEADER_LEN && head.subarray(0, HEADER_LEN).equals(HEADER_BYTES)) return st.size;
    if (st.size < HEADER_LEN && head.equals(HEADER_BYTES.subarray(0, st.size))) {
      // New, or the process died while creating it: (re)write the header.
      try {
        fs.ftruncateSync(fd, 0);
        fs.writeSync(fd, HEADER_BYTES, 0, HEADER_LEN, 0);
        fs.fsyncSync(fd);
        syncDir(path.dirname(file));
      } catch (e) {
        throw new PersistentLogError(`cannot write persistent log ${file}: ${reason(e)}`);
      }
      return HEADER_LEN;
    }
    const text = head.toString('latin1');
    if (text.startsWith(MAGIC_PREFIX)) {
      const nl = text.indexOf('\n');
      const stop = MAGIC_PREFIX.length + 16;
      const version = JSON.stringify(text.slice(MAGIC_PREFIX.length, nl < 0 || nl > stop ? stop : nl));
      throw new PersistentLogError(`persistent log ${file} has version ${version}, this build reads version 1`);
    }
    throw new PersistentLogError(`${file} is not a microcloud persistent log (bad header); move it away or use another --data-dir`);
  }

  /**
   * Reads the log from the start, calling apply for every op in order. A torn
   * last record (the process was killed mid-write) is ignored and cut off the
   * file; corruption before the end is a PersistentLogError naming the byte
   * offset (the ops of the records before it have been applied).
   */
  replay(apply: (op: KbOp) => void): ReplayResult {
    this.assertOpen();
    const fd = this.fd;
    let fileSize: number;
    try {
      fileSize = fs.fstatSync(fd).size;
    } catch (e) {
      throw new PersistentLogError(`cannot stat persistent log ${this.file}: ${reason(e)}`);
    }
    const rd = new Reader(fd, fileSize, this.file);
    const ops: KbOp[] = [];
    const dec = new Decoder();
    let pos = HEADER_LEN;
    let count = 0;
    let torn = 0;
    const corrupt = (what: string): never => {
      throw new PersistentLogError(
        `persistent log ${this.file} is corrupt at byte ${pos} of ${fileSize}: ${what}; move the file away to start without it (cutting it at byte ${pos} keeps the records before)`,
        pos,
      );
    };
    while (pos < fileSize) {
      const left = fileSize - pos;
      if (left < REC_HDR) {
        torn = left;
        break;
      }
      let i = rd.at(pos, REC_HDR);
      const len = rd.buf.readUInt32LE(i);
      const inv = rd.buf.readUInt32LE(i + 4);
      const crc = rd.buf.readUInt32LE(i + 8);
      if (((len ^ inv) >>> 0) !== 0xffffffff) {
        if (rd.allZero(pos, fileSize)) {
          torn = left;
          break;
        }
        corrupt('bad record header');
      }
      if (len === 0 || len > MAX_RECORD) corrupt(`record length ${len} out of range`);
      if (left - REC_HDR < len) {
        torn = left;
        break;
      }
      i = rd.at(pos + REC_HDR, len);
      if (crc32(rd.buf.subarray(i, i + len)) !== crc) corrupt('record checksum mismatch');
      ops.length = 0;
      try {
        dec.decode(rd.buf, i, i + len, ops);
      } catch (e) {
        if (e instanceof DecodeError) corrupt(e.message);
        throw e;
      }
      for (let k = 0; k < ops.length; k++) apply(ops[k]);
      count += ops.length;
      pos += REC_HDR + len;
    }
    if (torn > 0) {
      try {
        fs.ftruncateSync(fd, pos);
        fs.fdatasyncSync(fd);
      } catch (e) {
        throw new PersistentLogError(`cannot cut the torn tail of persistent log ${this.file} at byte ${pos}: ${reason(e)}`);
      }
    }
    this.size = pos;
    this.baseSize = pos;
    this.st.baseSize = pos;
    this.unreplayed = false;
    return { ops: count, bytes: pos, truncatedTailBytes: torn };
  }

  /**
   * Appends the ops of persistent keys among `ops` (volatile, local and
   * publish ops are skipped) with one write at the end of the file: once this
   * returns the OS has them (a kill -9 loses nothing), and they reach the
   * disk per the fsync policy. Throws PersistentLogError when the write fails
   * (disk full, ...): then none of these ops is logged and the log stays
   * consistent (a partial write is cut off or overwritten by the next append).
   */
  append(ops: readonly KbOp[]): void {
    this.assertOpen();
    if (this.unreplayed) throw new PersistentLogError(`persistent log ${this.file} must be replayed before appending to it`);
    const enc = this.enc;
    enc.reset();
    enc.beginRecord();
    let n = 0;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      if (op[0] === 'publish' || keyClass(op[1]) !== KeyClass.Persistent) continue;
      enc.op(op);
      n++;
      if (enc.recordBytes >= RECORD_SPLIT) {
        enc.endRecord();
        enc.beginRecord();
      }
    }
    enc.endRecord();
    if (n === 0) return;
    const len = enc.pos;
    let done = 0;
    try {
      while (done < len) {
        const w = fs.writeSync(this.fd, enc.buf, done, len - done, this.size + done);
        if (w <= 0) throw new Error('write returned 0');
        done += w;
      }
    } catch (e) {
      try {
        if (done > 0) fs.ftruncateSync(this.fd, this.size);
      } catch {
        // The next append overwrites the partial record (positional writes); a restart cuts it as a torn tail.
      }
      throw new PersistentLogError(`cannot append to persistent log ${this.file}: ${reason(e)}; ${n} updates not persisted`);
    }
    this.size += len;
    this.st.appendedOps += n;
    this.st.appendedBytes += len;
    if (this.fsyncPolicy === 'always') this.fsyncNow();
    else if (this.fsyncPolicy === 'everysec') this.dirty = true;
  }

  /** True when the file is big enough for a rewrite per the options. */
  get needsRewrite(): boolean {
    if (this.closed || this.percent <= 0 || this.size < this.minBytes) return false;
    const base = Math.max(this.baseSize, 1);
    return (this.size - base) * 100 >= this.percent * base;
  }

  /**
   * Compaction: writes `snapshot` (ops recreating the current persistent
   * keys; non-persistent ops are skipped as by append) to a temp file in the
   * directory, fsyncs it, renames it over the log atomically and fsyncs the
   * directory; appends continue to the new file. On failure the temp file is
   * removed and the current log is kept (PersistentLogError).
   *
   * The snapshot must hold every op appended so far: take it from a store
   * that has applied all of them (no batch queued in the applier), or those
   * still queued are lost from the log.
   */
  rewrite(snapshot: Iterable<KbOp>): void {
    this.rewriteWith((enc, next) => {
      for (const op of snapshot) {
        if (op[0] === 'publish' || keyClass(op[1]) !== KeyClass.Persistent) continue;
        enc.op(op);
        next();
      }
    });
  }

  /**
   * rewrite(PersistentLog.snapshotOf(store, storeStrings)) without making the
   * snapshot's ops (the same bytes, in about half the time and without the
   * memory of millions of tuples). Same conditions as rewrite().
   */
  rewriteFromStore(store: Keyspace, storeStrings: StoreStrings = 'utf8-bytes'): void {
    this.rewriteWith((enc, next) => {
      const sink: SnapshotSink = {
        del: (k) => { enc.del(k); next(); },
        set: (k, v) => { enc.set(k, v); next(); },
        hset: (k, f, v) => { enc.hset(k, f, v); next(); },
        zincrby: (k, d, m) => { enc.zincrby(k, d, m); next(); },
      };
      walkSnapshot(store, storeStrings, sink);
    });
  }

  /** The temp file, fsync, rename and switch of a rewrite; `fill` encodes the ops, calling next() after each. */
  private rewriteWith(fill: (enc: Encoder, next: () => void) => void): void {
    this.assertOpen();
    const tmp = path.join(this.dir, `persistent.aof.rewrite-${process.pid}.tmp`);
    let tfd: number;
    try {
      tfd = fs.openSync(tmp, 'w+', 0o600);
    } catch (e) {
      throw new PersistentLogError(`cannot rewrite persistent log ${this.file}: cannot create ${tmp}: ${reason(e)}`);
    }
    const enc = this.enc;
    let written = 0;
    const flushTo = (): void => {
      let done = 0;
      while (done < enc.pos) {
        const w = fs.writeSync(tfd, enc.buf, done, enc.pos - done, written + done);
        if (w <= 0) throw new Error('write returned 0');
        done += w;
      }
      written += enc.pos;
      enc.reset();
    };
    const next = (): void => {
      if (enc.recordBytes < RECORD_SPLIT) return;
      enc.endRecord();
      if (enc.pos >= WRITE_CHUNK) flushTo();
      enc.beginRecord();
    };
    try {
      enc.reset();
      enc.bytes(HEADER_BYTES);
      enc.beginRecord();
      fill(enc, next);
      enc.endRecord();
      flushTo();
      fs.fsyncSync(tfd);
      this.st.fsyncs++;
      fs.renameSync(tmp, this.file);
    } catch (e) {
      enc.reset();
      try {
        fs.closeSync(tfd);
      } catch {
        // Already failing.
      }
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        // Removed at the next open.
      }
      if (e instanceof TypeError) throw e;
      throw new PersistentLogError(`cannot rewrite persistent log ${this.file}: ${reason(e)}; the current log is kept`);
    }
    const old = this.fd;
    this.fd = tfd;
    this.size = written;
    this.baseSize = written;
    this.st.baseSize = written;
    this.st.rewrites++;
    this.unreplayed = false;
    this.dirty = false;
    this.closeFd(old);
    try {
      syncDir(this.dir);
    } catch (e) {
      this.report(new PersistentLogError(`cannot sync data directory ${this.dir} after a rewrite: ${reason(e)}`));
    }
  }

  /**
   * The persistent keys of a store as ops recreating them: for each live key
   * of class Persistent, a 'del' then an 'hset' per field (hash), a 'set'
   * (string) or a 'zincrby' per member (sorted set). Sets cannot be said as
   * KbOps and are left out, as are TTLs.
   *
   * `storeStrings`: the Keyspace holds byte strings (UTF-8 bytes, one char per
   * byte) while KbOps carry JS strings, so by default ('utf8-bytes') keys,
   * fields and values are decoded from UTF-8 (as server/util fromBytes), the
   * inverse of an applier that stores op strings with toBytes; a string that
   * cannot be UTF-8 bytes (a char above U+00FF, invalid UTF-8) is kept as it
   * is. 'as-is' for an applier that stores op strings unconverted.
   */
  static snapshotOf(store: Keyspace, storeStrings: StoreStrings = 'utf8-bytes'): KbOp[] {
    const out: KbOp[] = [];
    walkSnapshot(store, storeStrings, {
      del: (k) => out.push(['del', k]),
      set: (k, v) => out.push(['set', k, v]),
      hset: (k, f, v) => out.push(['hset', k, f, v]),
      zincrby: (k, d, m) => out.push(['zincrby', k, d, m]),
    });
    return out;
  }

  get sizeBytes(): number {
    return this.size;
  }

  get stats(): Readonly<PersistentLogStats> {
    return this.st;
  }

  /** fsync now. */
  flush(): void {
    if (this.closed) return;
    this.fsyncNow();
  }

  /** fsync and close; idempotent. */
  close(): void {
    if (this.closed) return;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    let err: unknown = null;
    try {
      fs.fdatasyncSync(this.fd);
      this.st.fsyncs++;
    } catch (e) {
      err = e;
    }
    this.closed = true;
    this.closeFd(this.fd);
    if (err !== null) throw new PersistentLogError(`cannot sync persistent log ${this.file} at close: ${reason(err)}`);
  }

  private assertOpen(): void {
    if (this.closed) throw new PersistentLogError(`persistent log ${this.file} is closed`);
  }

  private fsyncNow(): void {
    try {
      fs.fdatasyncSync(this.fd);
    } catch (e) {
      throw new PersistentLogError(`cannot sync persistent log ${this.file}: ${reason(e)}`);
    }
    this.dirty = false;
    this.st.fsyncs++;
  }

  /** everysec: one fdatasync in the thread pool when there is something new and none is running. */
  private backgroundFsync(): void {
    if (!this.dirty || this.syncing !== null || this.closed) return;
    const fd = this.fd;
    this.dirty = false;
    this.syncing = fd;
    fs.fdatasync(fd, (err) => {
      this.syncing = null;
      if (this.closeAfterSync.delete(fd)) fs.close(fd, () => {});
      if (err) {
        if (fd === this.fd && !this.closed) this.dirty = true;
        this.report(new PersistentLogError(`background fsync of persistent log ${this.file} failed: ${reason(err)}`));
      } else {
        this.st.fsyncs++;
      }
    });
  }

  /** Closes an fd now, or after the background fsync running on it. */
  private closeFd(fd: number): void {
    if (this.syncing === fd) {
      this.closeAfterSync.add(fd);
      return;
    }
    try {
      fs.closeSync(fd);
    } catch {
      // Nothing left to do with it.
    }
  }

  private report(err: PersistentLogError): void {
    this.lastError = err;
    try {
      this.onError(err);
    } catch {
      // A reporter must not break the log.
    }
  }
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A store byte string (UTF-8 bytes, one char per byte) as the JS string it
 * encodes (server/util fromBytes). A string that cannot be such bytes (a char
 * above U+00FF, or not valid UTF-8: written unconverted, or raw bytes from a
 * RESP client) is kept as it is rather than mangled to U+FFFD.
 */
function utf8Of(s: string): string {
  const n = s.length;
  let i = 0;
  if (n <= 64) {
    while (i < n && s.charCodeAt(i) < 0x80) i++;
    if (i === n) return s;
  } else if (!NON_ASCII.test(s)) {
    return s;
  }
  if (NON_LATIN1.test(s)) return s;
  try {
    return utf8Strict.decode(Buffer.from(s, 'latin1'));
  } catch {
    return s;
  }
}

function syncDir(dir: string): void {
  const dfd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(dfd);
  } finally {
    fs.closeSync(dfd);
  }
}
