import type { Keyspace } from '../server/store';
import type { PubSub } from '../server/pubsub';
import { KbBatch, KeyClass, keyClass } from './kb-updates';
import { toBytes } from '../server/util';

/** The store keeps byte strings (UTF-8, one char per byte): user names and the like may be any Unicode. */
const b = (v: string | number): string | number => (typeof v === 'string' ? toBytes(v) : v);

export interface KbApplierOptions {
  /** Seconds a volatile key lives after its last update (DESIGN.md --host-ttl). */
  hostTtlSec: number;
  /** Most ip.* (and, separately, mac.*) keys kept; the least recently updated go first. */
  maxHosts: number;
  /** TTL of flow.<id> hashes, a safety net should a flow's end be missed (seconds). */
  flowTtlSec: number;
  /** Told how many ops were just applied: flow control for a pipeline worker. */
  onApplied?: (ops: number) => void;
}

/** Most time spent applying updates per event-loop turn. */
const APPLY_SLICE_MS = 4;
/** Ops applied between two clock checks. */
const APPLY_CHUNK_OPS = 128;

/** Sorted set of hosts by bytes: its members follow the ip.* keys they rank. */
const TOP_HOSTS = 'top.hosts.bytes';

/**
 * Applies knowledge-base batches to the embedded store: the one place that
 * writes the key space for the probe. Volatile keys get their TTL refreshed
 * once per batch; the number of host keys is bounded (a scan or an address
 * flood cannot grow the cache without limit) by evicting the least recently
 * updated, counted in `hostsEvicted`.
 */
export class KbApplier {
  hostsEvicted = 0;
  /** Updates refused by the store (a key of another type). */
  rejected = 0;
  batches = 0;
  ops = 0;
  /** Host keys in update order: Map iteration order is insertion order, re-set on update. */
  private readonly ipKeys = new Map<string, true>();
  private readonly macKeys = new Map<string, true>();
  private readonly touched = new Set<string>();

  constructor(private readonly store: Keyspace, private readonly pubsub: PubSub | null, private readonly opts: KbApplierOptions) {}

  /** Batches waiting to be applied, in order; the op index reached in the first. */
  private queue: KbBatch[] = [];
  private queueOffset = 0;
  private draining = false;
  /** Ops queued and not yet applied. */
  pending = 0;

  /**
   * Queues a batch; the store is updated in slices of at most `sliceMs` per
   * event-loop turn, so a large batch never holds up the RESP clients.
   */
  enqueue(batch: KbBatch, sliceMs = APPLY_SLICE_MS): void {
    this.queue.push(batch);
    this.pending += batch.ops.length;
    if (this.draining) return;
    this.draining = true;
    const turn = (): void => {
      const deadline = Date.now() + sliceMs;
      while (this.queue.length > 0 && Date.now() < deadline) this.applySome(APPLY_CHUNK_OPS);
      if (this.queue.length > 0) setImmediate(turn);
      else this.draining = false;
    };
    setImmediate(turn);
  }

  /** Applies everything queued now (shutdown, end of capture with --exit-on-eof). */
  drain(): void {
    while (this.queue.length > 0) this.applySome(Infinity);
  }

  private applySome(maxOps: number): void {
    const batch = this.queue[0];
    const end = Math.min(batch.ops.length, this.queueOffset + maxOps);
    this.applyOps(batch, this.queueOffset, end);
    this.pending -= end - this.queueOffset;
    if (end === batch.ops.length) {
      this.queue.shift();
      this.queueOffset = 0;
      this.batches++;
    } else {
      this.queueOffset = end;
    }
  }

  /** Applies a whole batch at once. */
  apply(batch: KbBatch): void {
    this.applyOps(batch, 0, batch.ops.length);
    this.batches++;
  }

  /**
   * ip.<addr> whose user field a disconnect removed, and the packet time of
   * it: a host update built before that time (another pipeline worker, behind
   * in the capture) must not bring the field back.
   */
  private readonly userGoneUs = new Map<string, number>();

  /**
   * HSET with the fields whose order matters when several pipeline workers
   * send updates (each runs at its own pace through the packets): last.seen
   * only moves forward, and a host's user field is not set again by an update
   * older than the disconnect that removed it. False when nothing is written.
   */
  private orderedHset(keyText: string, fieldText: string, value: string | number, timeUs: number, key: string): boolean {
    const st = this.store;
    const field = toBytes(fieldText);
    if (fieldText === 'last.seen') {
      const had = st.hget(key, field);
      if (had !== undefined && Number(had) > Number(value)) return true;
    } else if (fieldText === 'user') {
      const gone = this.userGoneUs.get(keyText);
      if (gone !== undefined) {
        if (timeUs < gone) return false;
        this.userGoneUs.delete(keyText);
      }
    }
    st.hset(key, field, b(value));
    return true;
  }

  private applyOps(batch: KbBatch, from: number, to: number): void {
    const st = this.store;
    const touched = this.touched;
    for (let i = from; i < to; i++) {
      const op = batch.ops[i];
      const key = toBytes(op[1]);
      try {
      switch (op[0]) {
        case 'hincrby':
          st.hincrby(key, toBytes(op[2]), op[3]);
          break;
        case 'hset':
          if (!this.orderedHset(op[1], op[2], op[3], batch.timeUs, key)) continue;
          break;
        case 'hsetnx': {
          const field = toBytes(op[2]);
          const had = st.hget(key, field);
          // first.seen is the earliest any pipeline worker saw (they run ahead of one another).
          if (had === undefined || (op[2] === 'first.seen' && Number(op[3]) < Number(had))) st.hset(key, field, b(op[3]));
          break;
        }
        case 'zincrby':
          st.zincrby(key, toBytes(op[3]), op[2]);
          break;
        case 'set':
          st.set(key, b(op[2]));
          break;
        case 'hdel':
          // Removing a field refreshes nothing: the host's TTL follows its traffic.
          st.hdel(key, [toBytes(op[2])]);
          if (op[2] === 'user') this.userGoneUs.set(op[1], batch.timeUs);
          continue;
        case 'del':
          st.del(key);
          continue;
        case 'publish':
          this.pubsub?.publish(key, toBytes(op[2]));
          continue;
      }
      } catch {
        // A user overwrote the key with another type (WRONGTYPE): skip, never crash.
        this.rejected++;
        continue;
      }
      touched.add(key);
    }
    const ttlSec = this.opts.hostTtlSec;
    for (const key of touched) {
      const cls = keyClass(key);
      if (cls === KeyClass.Volatile) {
        st.expire(key, ttlSec);
        if (key.startsWith('ip.')) this.track(this.ipKeys, key, true);
        else if (key.startsWith('mac.')) this.track(this.macKeys, key, false);
      } else if (cls === KeyClass.Local && key.startsWith('flow.')) {
        st.expire(key, this.opts.flowTtlSec);
      }
    }
    touched.clear();
    this.ops += to - from;
    this.opts.onApplied?.(to - from);
  }

  private track(keys: Map<string, true>, key: string, isIp: boolean): void {
    keys.delete(key);
    keys.set(key, true);
    while (keys.size > this.opts.maxHosts) {
      const oldest = keys.keys().next().value as string;
      keys.delete(oldest);
      // Keys that already expired by TTL cost nothing; only live ones count as evicted.
      if (this.store.del(oldest)) this.hostsEvicted++;
      if (isIp) this.store.zrem(TOP_HOSTS, [oldest.slice(3)]);
    }
  }

  /** Tracked host keys (ip.*), for INFO. */
  get hostKeys(): number {
    return this.ipKeys.size;
  }
}
