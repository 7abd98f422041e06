import Redis, { Cluster, RedisOptions } from 'ioredis';
import type { RemoteUser } from '../dissectors/subscriber-directory';
import { redisOptionsFromUrl } from './upstream-link';

export interface CloudLookupOptions {
  url: string;
  cluster: boolean;
  /** This probe's name: its own events.user messages are not news to it. */
  probe: string;
  /** Most questions in flight; more wait for an answer to come back first. */
  maxInFlight: number;
  log(message: string): void;
}

export interface CloudLookupHooks {
  /** The answer to a question: the user, or null for nobody (or no answer in time). */
  answer(query: string, user: RemoteUser | null): void;
  /** events.user from another probe. */
  event(event: string, user: RemoteUser): void;
}

/** How long one question may take before it counts as "nobody" (the flow waits at most this). */
const LOOKUP_TIMEOUT_MS = 250;
/** While the cloud connects (at start, after an outage), questions wait this long before counting as "nobody". */
const CONNECT_WAIT_MS = 1_000;

/**
 * The low-latency channel to the cloud (DESIGN.md): its own connection, so
 * questions never queue behind replication batches, for "who is behind this
 * address / tunnel endpoint", and a subscriber connection on events.user so
 * users another probe learns arrive without asking.
 */
export class CloudLookup {
  private readonly client: Redis | Cluster;
  private readonly subscriber: Redis | Cluster;
  private inFlight = 0;
  private readonly waiting: string[] = [];
  private readonly asked = new Set<string>();
  /** Questions asked while the connection is not ready, with when they were asked. */
  private notReady: { query: string; atMs: number }[] = [];
  private readonly timer: NodeJS.Timeout;
  answered = 0;
  found = 0;
  failed = 0;

  constructor(private readonly opts: CloudLookupOptions, private readonly hooks: CloudLookupHooks) {
    const base = redisOptionsFromUrl(opts.url);
    const common: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (n: number) => Math.min(100 * 2 ** Math.min(n, 5), 2_000),
      connectionName: `microcloud-${opts.probe}-lookup`,
    };
    const make = (): Redis | Cluster => opts.cluster
      ? new Cluster([{ host: base.host, port: base.port }], { enableOfflineQueue: false, redisOptions: { ...common, username: base.username, password: base.password, tls: base.tls } })
      : new Redis({ ...base, ...common });
    this.client = make();
    this.subscriber = make();
    let lastError = '';
    for (const c of [this.client, this.subscriber]) {
      c.on('error', (err: Error) => {
        if (err.message !== lastError) opts.log(`cloud lookups ${opts.url}: ${err.message}`);
        lastError = err.message;
      });
    }
    // (Re)subscribe on every connection: ioredis resubscribes itself, this covers the first.
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe('events.user').catch(() => undefined);
    });
    this.subscriber.on('message', (_channel: string, message: string) => this.onEvent(message));
    this.client.on('ready', () => {
      const queued = this.notReady;
      this.notReady = [];
      for (const q of queued) this.start(q.query);
    });
    this.timer = setInterval(() => this.expireNotReady(), 100);
    this.timer.unref();
  }

  /** Questions that waited too long for a connection are answered "nobody". */
  private expireNotReady(): void {
    if (this.notReady.length === 0) return;
    const limit = Date.now() - CONNECT_WAIT_MS;
    const old = this.notReady.filter((q) => q.atMs < limit);
    if (old.length === 0) return;
    this.notReady = this.notReady.filter((q) => q.atMs >= limit);
    for (const q of old) {
      this.inFlight++;
      this.failed++;
      this.done(q.query, null);
    }
  }

  /** Asks who is behind `ip:<addr>` or `teid:<node>.<teid>`. */
  ask(query: string): void {
    if (this.asked.has(query)) return;
    this.asked.add(query);
    if (this.inFlight >= this.opts.maxInFlight) {
      this.waiting.push(query);
      return;
    }
    this.start(query);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.client.disconnect();
    this.subscriber.disconnect();
  }

  private start(query: string): void {
    if (this.client.status !== 'ready') {
      this.notReady.push({ query, atMs: Date.now() });
      return;
    }
    this.inFlight++;
    const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), LOOKUP_TIMEOUT_MS).unref());
    Promise.race([this.resolve(query), timeout]).then((user) => this.done(query, user), () => {
      this.failed++;
      this.done(query, null);
    });
  }

  private done(query: string, user: RemoteUser | null): void {
    this.inFlight--;
    this.asked.delete(query);
    this.answered++;
    if (user !== null) this.found++;
    this.hooks.answer(query, user);
    const next = this.waiting.shift();
    if (next !== undefined) this.start(next);
  }

  /** ipuser.<addr> -> user.<name>; gtp.teid.<node>.<teid> -> gtp.imsi.<imsi> -> ipuser.<ip> -> user.<name>. */
  private async resolve(query: string): Promise<RemoteUser | null> {
    const c = this.client;
    if (query.startsWith('ip:')) {
      const name = await c.get(`ipuser.${query.slice(3)}`);
      return name === null ? null : this.user(name, null);
    }
    const key = query.slice(5);
    const imsi = await c.get(`gtp.teid.${key}`);
    if (imsi === null) return null;
    const g = await c.hgetall(`gtp.imsi.${imsi}`);
    const ip = g.ip ?? null;
    const name = (ip !== null ? await c.get(`ipuser.${ip}`) : null) ?? imsi;
    const tunnels = [key];
    if (g['node.u.up'] && g['teid.u.up']) tunnels.push(`${g['node.u.up']}.${g['teid.u.up']}`);
    if (g['node.u.down'] && g['teid.u.down']) tunnels.push(`${g['node.u.down']}.${g['teid.u.down']}`);
    const user = await this.user(name, { imsi, fields: g, tunnels });
    return user;
  }

  private async user(name: string, gtp: { imsi: string; fields: Record<string, string>; tunnels: string[] } | null): Promise<RemoteUser | null> {
    const u = await this.client.hgetall(`user.${name}`);
    if (Object.keys(u).length === 0 && gtp === null) return null;
    const g = gtp?.fields ?? {};
    const ip = u.ip ?? g.ip ?? null;
    return {
      name,
      source: u.source ?? (g.version === '1' ? 'gtpv1' : g.version === '2' ? 'gtpv2' : 'radius'),
      ip: ip !== null && !ip.includes(':') ? ip : null,
      ipv6: u.ipv6 ?? (ip !== null && ip.includes(':') ? ip : null),
      imsi: u.imsi ?? gtp?.imsi ?? null,
      msisdn: u.msisdn ?? g.msisdn ?? null,
      imei: u.imei ?? g.imei ?? null,
      apn: u.apn ?? g.apn ?? null,
      cell: u.cell ?? g.cell ?? null,
      tunnels: gtp?.tunnels ?? [],
    };
  }

  private onEvent(message: string): void {
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(message) as Record<string, unknown>;
    } catch {
      return;
    }
    if (e.probe === this.opts.probe || typeof e.user !== 'string' || typeof e.event !== 'string') return;
    const ip = typeof e.ip === 'string' ? e.ip : null;
    const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
    this.hooks.event(e.event, {
      name: e.user,
      source: str(e.source) ?? 'radius',
      ip: ip !== null && !ip.includes(':') ? ip : null,
      ipv6: ip !== null && ip.includes(':') ? ip : null,
      imsi: str(e.imsi),
      msisdn: str(e.msisdn),
      imei: null,
      apn: null,
      cell: null,
      tunnels: [],
    });
  }
}
