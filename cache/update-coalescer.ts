import { KbOp, KeyClass, keyClass } from './kb-updates';

/** One Redis command as sent upstream. */
export type RedisCommand = [string, ...(string | number)[]];

export interface CoalescerOptions {
  /** Seconds a volatile key lives upstream after an update (--host-ttl): EXPIRE follows its updates. */
  hostTtlSec: number;
  /**
   * Most entries held (distinct counter fields plus other updates). Past it,
   * new counter fields and events are dropped and counted; updates of
   * persistent keys are always kept (DESIGN.md: nothing persistent is lost).
   */
  maxEntries: number;
}

/** The Redis command that applies one update. */
export function commandOf(op: KbOp): RedisCommand {
  switch (op[0]) {
    case 'hincrby': return ['HINCRBY', op[1], op[2], op[3]];
    case 'zincrby': return ['ZINCRBY', op[1], op[2], op[3]];
    case 'hset': return ['HSET', op[1], op[2], op[3]];
    case 'hsetnx': return ['HSETNX', op[1], op[2], op[3]];
    case 'hdel': return ['HDEL', op[1], op[2]];
    case 'set': return ['SET', op[1], op[2]];
    case 'del': return ['DEL', op[1]];
    case 'publish': return ['PUBLISH', op[1], op[2]];
  }
}

/** A run of ops in arrival order: counters of one key merged, everything else as is. */
type Entry =
  | { kind: 'op'; op: KbOp }
  | { kind: 'counters'; key: string; fields: Map<string, number>; zset: boolean };

/**
 * The upstream side of the update stream: ops accumulate here while a batch
 * is in flight or the upstream is away, and leave as one list of Redis
 * commands. Increments of the same key and field merge into one (HINCRBY or
 * ZINCRBY with the sum), so an outage costs memory per distinct counter, not
 * per update; the order of everything else is kept, and a counter never
 * moves across a DEL of its key. Local keys (flow.*, stats.*) stay local.
 */
export class UpdateCoalescer {
  private entries: Entry[] = [];
  /** Open counter entry per key (and per zset key): closed by a DEL of that key. */
  private open = new Map<string, Entry & { kind: 'counters' }>();
  private volatileKeys = new Set<string>();
  private counterFields = 0;
  /** Updates not kept because the bound was reached. */
  dropped = 0;

  constructor(private readonly opts: CoalescerOptions) {}

  /** Entries held: what INFO probe reports as upstream_pending. */
  get size(): number {
    return this.entries.length - this.open.size + this.counterFields;
  }

  get empty(): boolean {
    return this.entries.length === 0;
  }

  add(ops: readonly KbOp[]): void {
    for (const op of ops) this.addOne(op);
  }

  private addOne(op: KbOp): void {
    const key = op[1];
    if (op[0] === 'publish') {
      if (this.size >= this.opts.maxEntries) {
        this.dropped++;
        return;
      }
      this.entries.push({ kind: 'op', op });
      return;
    }
    const cls = keyClass(key);
    if (cls === KeyClass.Local) return;
    if (op[0] === 'hincrby' || op[0] === 'zincrby') {
      const zset = op[0] === 'zincrby';
      const field = zset ? op[3] : op[2];
      const delta = zset ? op[2] : op[3];
      let entry = this.open.get(key);
      if (entry === undefined || entry.zset !== zset) {
        entry = { kind: 'counters', key, fields: new Map(), zset };
        this.open.set(key, entry);
        this.entries.push(entry);
      }
      const current = entry.fields.get(field);
      if (current === undefined) {
        if (this.size >= this.opts.maxEntries && cls !== KeyClass.Persistent) {
          this.dropped++;
          return;
        }
        this.counterFields++;
        entry.fields.set(field, delta);
      } else {
        entry.fields.set(field, current + delta);
      }
    } else {
      if (this.size >= this.opts.maxEntries && cls !== KeyClass.Persistent) {
        this.dropped++;
        return;
      }
      // A DEL (or HDEL) ends the merge window of the key's counters: later increments start afresh after it.
      if (op[0] === 'del' || op[0] === 'hdel') this.open.delete(key);
      this.entries.push({ kind: 'op', op });
    }
    if (cls === KeyClass.Volatile) this.volatileKeys.add(key);
  }

  /**
   * Everything held as Redis commands, in order, with one EXPIRE per volatile
   * key touched; the coalescer is empty afterwards.
   */
  take(): RedisCommand[] {
    const out: RedisCommand[] = [];
    for (const e of this.entries) {
      if (e.kind === 'counters') {
        for (const [field, delta] of e.fields) {
          if (delta === 0) continue;
          out.push(e.zset ? ['ZINCRBY', e.key, delta, field] : ['HINCRBY', e.key, field, delta]);
        }
        continue;
      }
      out.push(commandOf(e.op));
    }
    for (const key of this.volatileKeys) out.push(['EXPIRE', key, this.opts.hostTtlSec]);
    this.entries = [];
    this.open.clear();
    this.volatileKeys.clear();
    this.counterFields = 0;
    return out;
  }
}
