import * as fs from 'node:fs';
import * as path from 'node:path';
import { KbApplier } from '../cache/kb-applier';
import { KbOp, KeyClass, keyClass } from '../cache/kb-updates';
import { FsyncPolicy, PersistentLog } from '../cache/persistent-log';
import { Keyspace } from '../server/store';
import { fromBytes } from '../server/util';
import { savedSubscribers, SavedSubscriber } from '../dissectors/subscriber-restore';

/** How often the log is checked for a rewrite (compaction). */
const REWRITE_CHECK_MS = 5_000;
/** Replayed ops applied per chunk: a log of millions of ops is never held whole in memory. */
const REPLAY_CHUNK_OPS = 10_000;

/**
 * `--data-dir`: the persistent keys (user.*, ipuser.*, gtp.*) across restarts.
 * Takes the directory's lock, replays the append-only log into the store (a
 * private one when the probe serves no RESP), tells which subscribers the
 * keys describe, logs every persistent update after that and compacts the log
 * from the store when it grew.
 */
export class DataDir {
  /** The subscribers the restored keys describe, for the pipeline. */
  readonly restore: SavedSubscriber[];
  private readonly applier: KbApplier;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly log: PersistentLog,
    store: Keyspace,
    /** The store is the probe's own: only the log needs writing, the store gets every update elsewhere. */
    private readonly storeIsServed: boolean,
    warn: (message: string) => void,
    /** False while logged updates still wait to reach the store (a snapshot would miss them). */
    storeUpToDate: () => boolean,
  ) {
    this.applier = new KbApplier(store, null, { hostTtlSec: 0, maxHosts: Number.MAX_SAFE_INTEGER, flowTtlSec: 0 });
    let chunk: KbOp[] = [];
    const result = log.replay((op) => {
      chunk.push(op);
      if (chunk.length >= REPLAY_CHUNK_OPS) {
        this.applier.apply({ timeUs: 0, ops: chunk });
        chunk = [];
      }
    });
    this.applier.apply({ timeUs: 0, ops: chunk });
    if (result.truncatedTailBytes > 0) warn(`${dir}: the last ${result.truncatedTailBytes} bytes of the log were an unfinished write (cut off)`);
    this.restore = readSavedSubscribers(store);
    this.timer = setInterval(() => {
      if (!log.needsRewrite || !storeUpToDate()) return;
      try {
        log.rewriteFromStore(store);
      } catch (err) {
        warn(`--data-dir: rewrite failed (${(err as Error).message}); the log keeps growing`);
      }
    }, REWRITE_CHECK_MS);
    this.timer.unref();
  }

  /** Opens `dir` (created if missing); throws a one-line error when it cannot be used. */
  static open(dir: string, fsync: FsyncPolicy, servedStore: Keyspace | null, warn: (message: string) => void, storeUpToDate: () => boolean): DataDir {
    let usable = true;
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch {
      usable = false; // PersistentLog.open() below says why, in its own words
    }
    // The lock comes first: opening the log may tidy the directory.
    if (usable) lockDataDir(dir);
    try {
      const log = PersistentLog.open({ dir, fsync, onError: (err: Error) => warn(`--data-dir: ${err.message}`) });
      return new DataDir(dir, log, servedStore ?? new Keyspace(), servedStore !== null, warn, storeUpToDate);
    } catch (err) {
      if (usable) unlockDataDir(dir);
      throw err;
    }
  }

  /** Logs the persistent updates among `ops` (and keeps the private store current). */
  persist(ops: readonly KbOp[]): void {
    if (this.closed) return;
    this.log.append(ops);
    if (this.storeIsServed) return;
    const kept = ops.filter((op) => op[0] !== 'publish' && keyClass(op[1]) === KeyClass.Persistent);
    if (kept.length > 0) this.applier.apply({ timeUs: 0, ops: kept });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.log.close();
    unlockDataDir(this.dir);
  }
}

/**
 * One probe per data directory: a second one appending to the same log would
 * corrupt it. The lock file holds the owner's pid; a lock left by a process
 * that is gone (kill -9) is taken over.
 */
function lockDataDir(dir: string): void {
  const lock = path.join(dir, 'LOCK');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(lock, 'wx');
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(lock, 'utf8').trim());
      let alive = false;
      try {
        alive = Number.isInteger(pid) && pid > 0 && pid !== process.pid && process.kill(pid, 0);
      } catch {
        alive = false;
      }
      if (alive) throw new Error(`in use by another probe (pid ${pid}; ${lock})`);
      fs.rmSync(lock, { force: true });
    }
  }
  throw new Error(`cannot take the lock ${lock}`);
}

function unlockDataDir(dir: string): void {
  const lock = path.join(dir, 'LOCK');
  try {
    if (fs.readFileSync(lock, 'utf8').trim() === String(process.pid)) fs.rmSync(lock, { force: true });
  } catch {
    /* already gone */
  }
}

/** The subscribers a store's persistent keys describe (user.*, gtp.imsi.*, gtp.teid.*). */
function readSavedSubscribers(store: Keyspace): SavedSubscriber[] {
  const hash = (key: string): Record<string, string> => {
    const out: Record<string, string> = {};
    const h = store.hashRead(key);
    if (h !== undefined) for (const [f, v] of h) out[fromBytes(f)] = fromBytes(String(v));
    return out;
  };
  const users = new Map<string, Record<string, string>>();
  for (const key of store.keys('user.*')) users.set(fromBytes(key).slice(5), hash(key));
  const gtp = new Map<string, Record<string, string>>();
  for (const key of store.keys('gtp.imsi.*')) gtp.set(fromBytes(key).slice(9), hash(key));
  const teids = new Map<string, string>();
  for (const key of store.keys('gtp.teid.*')) {
    const v = store.getString(key);
    if (v !== undefined) teids.set(fromBytes(key).slice(9), fromBytes(String(v)));
  }
  return savedSubscribers({ users, gtp, teids });
}
