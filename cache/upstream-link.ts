import { randomBytes } from 'node:crypto';
import Redis, { Cluster, RedisOptions } from 'ioredis';
import type { KbOp } from './kb-updates';
import { RedisCommand, UpdateCoalescer } from './update-coalescer';

export interface UpstreamOptions {
  /** redis://[user:pass@]host:port, or rediss:// for TLS. */
  url: string;
  /** The URL names one node of a Redis Cluster. */
  cluster: boolean;
  /** This probe's name: the batch bookkeeping key is probe.<name>.batch. */
  probe: string;
  hostTtlSec: number;
  /** --upstream-queue: entries held while the upstream is slow or away. */
  maxQueue: number;
  /** How often held updates are sent (ms). */
  flushMs: number;
  log(message: string): void;
}

/** Commands per transaction: a large backlog after an outage goes in several. */
const MAX_COMMANDS_PER_BATCH = 5_000;
/** Reconnection backoff: 100 ms doubling to 2 s, forever (an upstream may come back any time). */
const retryStrategy = (times: number): number => Math.min(100 * 2 ** Math.min(times, 5), 2_000);

/** Parses the URL into ioredis options (TLS for rediss://); a bad URL throws a one-line error. */
export function redisOptionsFromUrl(url: string): RedisOptions & { host: string; port: number } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--upstream ${url}: not a URL (expected redis://[user:pass@]host:port)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`--upstream ${url}: the scheme must be redis:// or rediss://`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const opts: RedisOptions & { host: string; port: number } = { host: u.hostname.replace(/^\[|\]$/g, ''), port };
  if (u.username !== '') opts.username = decodeURIComponent(u.username);
  if (u.password !== '') opts.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:') opts.tls = {};
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && /^\d+$/.test(db)) opts.db = Number(db);
  return opts;
}

/**
 * One upstream (a Redis node, a Redis Cluster, or another probe): the
 * asynchronous, batched replication channel of DESIGN.md. Updates coalesce
 * while a batch is in flight or the upstream is away, and leave as one
 * MULTI/EXEC per batch that also records the batch's number in
 * probe.<name>.batch: after a lost connection the probe reads that key and
 * resends the batch only if it did not run, so counters add up exactly
 * across outages. A Redis Cluster cannot run a transaction across slots:
 * there commands go auto-pipelined per node and a failed one is resent
 * (at least once).
 */
/** True when a batch publishes (events.user and the like): those are sent without waiting for the flush tick. */
function carriesEvent(ops: readonly KbOp[]): boolean {
  for (let i = ops.length - 1; i >= 0; i--) if (ops[i][0] === 'publish') return true;
  return false;
}

export class UpstreamLink {
  private readonly client: Redis | Cluster;
  private readonly held: UpdateCoalescer;
  /** Batches taken from the coalescer and not yet confirmed, oldest first. */
  private readonly outbox: RedisCommand[][] = [];
  private sending = false;
  private readonly runId = randomBytes(6).toString('hex');
  private batchSeq = 0;
  /** Whether the batch at the head of the outbox may have run (its reply was lost). */
  private headUncertain = false;
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private readonly batchKey: string;
  connected = false;
  batchesSent = 0;
  commandsSent = 0;
  /** Commands the upstream refused (e.g. WRONGTYPE): counted, not retried. */
  rejected = 0;
  private lastError = '';

  constructor(private readonly opts: UpstreamOptions) {
    this.held = new UpdateCoalescer({ hostTtlSec: opts.hostTtlSec, maxEntries: opts.maxQueue });
    this.batchKey = `probe.${opts.probe}.batch`;
    const base = redisOptionsFromUrl(opts.url);
    const common: RedisOptions = {
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      retryStrategy,
      connectionName: `microcloud-${opts.probe}`,
    };
    if (opts.cluster) {
      this.client = new Cluster([{ host: base.host, port: base.port }], {
        enableOfflineQueue: false,
        enableAutoPipelining: true,
        clusterRetryStrategy: retryStrategy,
        redisOptions: { ...common, username: base.username, password: base.password, tls: base.tls },
      });
    } else {
      this.client = new Redis({ ...base, ...common });
    }
    this.client.on('ready', () => {
      this.connected = true;
      this.lastError = '';
      this.pump();
    });
    this.client.on('end', () => (this.connected = false));
    this.client.on('close', () => (this.connected = false));
    this.client.on('error', (err: Error) => {
      // ioredis reports every failed reconnection; say it once per kind of failure.
      if (err.message !== this.lastError) opts.log(`upstream ${opts.url}: ${err.message}`);
      this.lastError = err.message;
    });
    this.timer = setInterval(() => this.pump(), opts.flushMs);
    this.timer.unref();
  }

  get url(): string {
    return this.opts.url;
  }

  /** Entries waiting (held and in unconfirmed batches). */
  get pending(): number {
    let n = this.held.size;
    for (const b of this.outbox) n += b.length;
    return n;
  }

  get dropped(): number {
    return this.held.dropped;
  }

  /** Queues a batch of knowledge-base updates for this upstream. */
  send(ops: readonly KbOp[]): void {
    if (this.closed) return;
    this.held.add(ops);
    // Events (a subscriber arrived or left) go at once, not at the next flush
    // tick: wire-to-cloud latency is a goal. Ops of the same turn go together.
    if (!this.urgent && carriesEvent(ops)) {
      this.urgent = true;
      setImmediate(() => {
        this.urgent = false;
        this.pump();
      });
    }
  }

  /** Resolves once everything queued reached the upstream, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      this.pump();
      if (this.held.empty && this.outbox.length === 0 && !this.sending) return true;
      await new Promise((r) => setTimeout(r, 10));
    }
    return false;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.client.disconnect();
  }

  /** A pump is scheduled for this turn's events. */
  private urgent = false;

  /** Sends the next batch when connected and nothing is in flight. */
  private pump(): void {
    if (this.sending || !this.connected || this.closed) return;
    if (this.outbox.length === 0) {
      if (this.held.empty) return;
      const commands = this.held.take();
      for (let i = 0; i < commands.length; i += MAX_COMMANDS_PER_BATCH) this.outbox.push(commands.slice(i, i + MAX_COMMANDS_PER_BATCH));
      if (this.outbox.length === 0) return;
    }
    this.sending = true;
    const send = this.client instanceof Cluster ? this.sendCluster(this.client) : this.sendTransaction(this.client);
    send.then((ok) => {
      this.sending = false;
      if (ok) this.pump();
    }, (err: unknown) => {
      this.sending = false;
      this.opts.log(`upstream ${this.opts.url}: ${(err as Error).message}`);
    });
  }

  /** Exactly once: MULTI, the batch, SET probe.<name>.batch <run>:<n>, EXEC. */
  private async sendTransaction(client: Redis): Promise<boolean> {
    const batch = this.outbox[0];
    const tag = `${this.runId}:${this.batchSeq + 1}`;
    if (this.headUncertain) {
      // The reply of this batch was lost: it ran if the upstream recorded its tag.
      let recorded: string | null;
      try {
        recorded = await client.get(this.batchKey);
      } catch {
        return false;
      }
      this.headUncertain = false;
      if (recorded === tag) {
        this.confirm(batch);
        return true;
      }
    }
    const multi = client.multi();
    for (const cmd of batch) multi.call(cmd[0], ...cmd.slice(1));
    multi.call('SET', this.batchKey, tag);
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await multi.exec();
    } catch {
      this.headUncertain = true;
      return false;
    }
    if (replies === null) {
      this.headUncertain = true;
      return false;
    }
    for (const [err] of replies) if (err !== null) this.rejected++;
    this.confirm(batch);
    return true;
  }

  /** Cluster: per-node auto-pipelining; what failed is resent (it may have run: at least once). */
  private async sendCluster(client: Cluster): Promise<boolean> {
    const batch = this.outbox[0];
    const results = await Promise.allSettled(batch.map((cmd) => client.call(cmd[0], ...cmd.slice(1))));
    const failed: RedisCommand[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      const message = (r.reason as Error).message ?? '';
      // A reply error (WRONGTYPE ...) is final; a connection error is retried.
      if (/^[A-Z]+ /.test(message) && !/^(CLUSTERDOWN|TRYAGAIN|LOADING|MOVED|ASK)/.test(message) && !/Connection|closed|ECONN|offline|not connected/i.test(message)) this.rejected++;
      else failed.push(batch[i]);
    });
    if (failed.length === 0) {
      this.confirm(batch);
      return true;
    }
    this.outbox[0] = failed;
    return false;
  }

  private confirm(batch: RedisCommand[]): void {
    this.outbox.shift();
    this.batchSeq++;
    this.batchesSent++;
    this.commandsSent += batch.length;
  }
}
