import type { KbOp } from '../cache/kb-updates';

export type SubscriberSource = 'radius' | 'gtpv1' | 'gtpv2';

/** A GTP user-plane endpoint: the node that receives packets with this TEID. */
export interface TunnelEndpoint {
  node: string;
  teid: number;
}

/** One bearer (v2 EPS bearer, v1 NSAPI) with its user-plane endpoints per direction. */
export interface Bearer {
  /** Receiver of uplink packets (SGW, PGW, GGSN). */
  up: TunnelEndpoint | null;
  /** Receiver of downlink packets (eNodeB, RNC, SGSN). */
  down: TunnelEndpoint | null;
  /** Every user-plane endpoint signalled for the bearer (S1-U, S5/S8, S12, S4 ...). */
  endpoints: TunnelEndpoint[];
  /** Preference of the interface that set `up`/`down` (lower wins: access side before S5/S8). */
  upRank?: number;
  downRank?: number;
}

/** Mobile-session state that GTP-C signalling tells. */
export interface GtpSession {
  version: 1 | 2;
  /** Control-plane endpoints of both peers (header TEIDs of later messages name one of them). */
  control: TunnelEndpoint[];
  /** The responder's control endpoint (SGW, GGSN): `teid.c`/`node.c`. */
  controlMain: TunnelEndpoint | null;
  bearers: Map<number, Bearer>;
  /** EBI (v2) or NSAPI (v1) of the default bearer / primary context. */
  defaultBearer: number;
}

/**
 * A subscriber as the network announced it: a RADIUS user or a mobile
 * session. Flows keep a reference to the one they were attributed to.
 */
export class Subscriber {
  ip: string | null = null;
  ipv6: string | null = null;
  /** Unix seconds of the connect. */
  since = 0;
  session: string | null = null;
  nas: string | null = null;
  callingStation: string | null = null;
  imsi: string | null = null;
  msisdn: string | null = null;
  imei: string | null = null;
  apn: string | null = null;
  rat: number | null = null;
  cell: string | null = null;
  gtp: GtpSession | null = null;
  /** False once disconnected: flows attributed earlier keep it, new lookups do not find it. */
  active = true;
  /**
   * Learned from the cloud (another probe's signalling), not from this
   * probe's: it names flows but writes no keys and publishes no events here.
   * Valid until `remoteUntilUs` (pipeline time), refreshed by events and lookups.
   */
  remote = false;
  remoteUntilUs = 0;
  /** Tunnel keys of a remote subscriber (`<node>.<teid>`): what the cloud said. */
  remoteTunnels: string[] = [];
  /** Addresses and `<node>.<teid>` tunnel keys the directory holds for it (what the store has). */
  indexedIps: string[] = [];
  indexedTunnels: string[] = [];

  constructor(public name: string, readonly source: SubscriberSource) {}
}

/** A subscriber as the cloud describes it (user.<name>, gtp.imsi.<imsi>, events.user). */
export interface RemoteUser {
  name: string;
  source: string;
  ip: string | null;
  ipv6: string | null;
  imsi: string | null;
  msisdn: string | null;
  imei: string | null;
  apn: string | null;
  cell: string | null;
  /** `<node>.<teid>` of its user-plane tunnel endpoints, as far as the cloud knows them. */
  tunnels: string[];
}

export interface DirectoryOptions {
  /** Probe name carried in events. */
  probe: string;
  /** Mobile subscribers are named by IMSI (default) or by MSISDN when known. */
  userId: 'imsi' | 'msisdn';
}

export const USER_EVENTS = 'events.user';

/**
 * Who is behind which address and tunnel, as RADIUS and GTP-C tell it: the
 * probe-local state the signalling trackers change, the lookups that
 * attribute flows, and the knowledge-base updates and events.user messages
 * those changes make (DESIGN.md: user.*, ipuser.*, gtp.imsi.*, gtp.teid.*).
 */
export class SubscriberDirectory {
  private readonly byName = new Map<string, Subscriber>();
  private readonly byIp = new Map<string, Subscriber>();
  private readonly byTeid = new Map<string, Subscriber>();
  /** Bumped by every change: flows that found no subscriber look again only after one. */
  generation = 0;
  connects = 0;
  disconnects = 0;

  constructor(private readonly opts: DirectoryOptions, private readonly emit: (op: KbOp) => void) {}

  get size(): number {
    return this.byName.size;
  }

  /**
   * Indexes a subscriber another probe learned (lookup answer or events.user)
   * until `untilUs`. A subscriber this probe's own signalling knows wins.
   * Writes no key and publishes nothing: the cloud has them already.
   */
  learnRemote(r: RemoteUser, untilUs: number): Subscriber | null {
    const existing = this.byName.get(r.name);
    if (existing !== undefined && !existing.remote) return existing;
    const sub = existing ?? new Subscriber(r.name, r.source === 'gtpv1' || r.source === 'gtpv2' ? r.source : 'radius');
    sub.remote = true;
    sub.remoteUntilUs = untilUs;
    sub.active = true;
    this.forgetRemoteIndex(sub);
    sub.ip = r.ip;
    sub.ipv6 = r.ipv6;
    sub.imsi = r.imsi;
    sub.msisdn = r.msisdn;
    sub.imei = r.imei;
    sub.apn = r.apn;
    sub.cell = r.cell;
    const tunnels = [...new Set([...sub.remoteTunnels, ...r.tunnels])];
    sub.remoteTunnels = tunnels;
    this.byName.set(sub.name, sub);
    for (const ip of [sub.ip, sub.ipv6]) {
      if (ip === null) continue;
      const holder = this.byIp.get(ip);
      if (holder === undefined || holder.remote) this.byIp.set(ip, sub);
    }
    for (const key of tunnels) {
      const holder = this.byTeid.get(key);
      if (holder === undefined || holder.remote) this.byTeid.set(key, sub);
    }
    this.generation++;
    return sub;
  }

  /**
   * A subscriber whose keys the store already has (restored after a restart
   * with the same --data-dir): indexed, nothing written, nothing published.
   */
  restore(sub: Subscriber): void {
    this.byName.set(sub.name, sub);
    const ips = [sub.ip, sub.ipv6].filter((ip): ip is string => ip !== null);
    for (const ip of ips) this.byIp.set(ip, sub);
    const tunnels = sub.gtp !== null ? tunnelKeys(sub.gtp) : [];
    for (const key of tunnels) this.byTeid.set(key, sub);
    sub.indexedIps = ips;
    sub.indexedTunnels = tunnels;
    this.generation++;
  }

  /** Another probe said the subscriber left (events.user disconnect). */
  forgetRemote(name: string): void {
    const sub = this.byName.get(name);
    if (sub === undefined || !sub.remote) return;
    this.byName.delete(name);
    this.forgetRemoteIndex(sub);
    sub.active = false;
    this.generation++;
  }

  private forgetRemoteIndex(sub: Subscriber): void {
    for (const ip of [sub.ip, sub.ipv6]) if (ip !== null && this.byIp.get(ip) === sub) this.byIp.delete(ip);
    for (const key of sub.remoteTunnels) if (this.byTeid.get(key) === sub) this.byTeid.delete(key);
  }

  /** A remote subscriber still valid at `nowUs`, or a local one; stale remote ones are dropped. */
  private fresh(sub: Subscriber | undefined, nowUs: number): Subscriber | undefined {
    if (sub === undefined || !sub.remote || sub.remoteUntilUs >= nowUs) return sub;
    this.forgetRemote(sub.name);
    return undefined;
  }

  addressUser(ip: string, nowUs: number): Subscriber | undefined {
    return this.fresh(this.byIp.get(ip), nowUs);
  }

  tunnelUser(node: string, teid: number, nowUs: number): Subscriber | undefined {
    return this.fresh(this.byTeid.get(`${node}.${teid >>> 0}`), nowUs);
  }

  byUserName(name: string): Subscriber | undefined {
    return this.byName.get(name);
  }

  byAddress(ip: string): Subscriber | undefined {
    return this.byIp.get(ip);
  }

  byTunnel(node: string, teid: number): Subscriber | undefined {
    return this.byTeid.get(`${node}.${teid >>> 0}`);
  }

  /** Every active subscriber (Accounting-On/Off sweeps). */
  all(): IterableIterator<Subscriber> {
    return this.byName.values();
  }

  /** The name a mobile subscriber is known by. */
  mobileName(imsi: string | null, msisdn: string | null): string | null {
    if (this.opts.userId === 'msisdn' && msisdn !== null) return msisdn;
    return imsi ?? msisdn;
  }

  /**
   * Announces a new or refreshed subscriber: its keys are rewritten whole and
   * events.user gets `connect` (new) or `update` (known, something changed).
   * Addresses and tunnels it no longer holds lose their keys; a subscriber
   * with the same name replaced by a new object is taken over.
   */
  announce(sub: Subscriber, tsUs: number, event: 'connect' | 'update'): void {
    const previous = this.byName.get(sub.name);
    if (previous !== undefined && previous.remote && previous !== sub) {
      // This probe's own signalling now speaks for the subscriber.
      this.forgetRemoteIndex(previous);
      previous.active = false;
    }
    const ips = [sub.ip, sub.ipv6].filter((ip): ip is string => ip !== null);
    const tunnels = sub.gtp !== null ? tunnelKeys(sub.gtp) : [];
    if (previous !== undefined && previous !== sub) {
      this.unindex(previous, ips, tunnels);
      previous.active = false;
    }
    this.unindex(sub, ips, tunnels);
    this.byName.set(sub.name, sub);
    sub.active = true;
    for (const ip of ips) {
      const holder = this.byIp.get(ip);
      if (holder !== undefined && holder !== sub && !holder.remote) this.releaseAddress(holder, ip, tsUs);
      this.byIp.set(ip, sub);
    }
    for (const key of tunnels) this.byTeid.set(key, sub);
    sub.indexedIps = ips;
    sub.indexedTunnels = tunnels;
    this.generation++;
    if (event === 'connect') this.connects++;
    this.writeKeys(sub);
    this.publish(event, sub, tsUs);
  }

  /** Stop, Delete, Accounting-Off: the subscriber's keys go, events.user gets `disconnect`. */
  remove(sub: Subscriber, tsUs: number): void {
    if (this.byName.get(sub.name) !== sub) return;
    this.byName.delete(sub.name);
    this.unindex(sub, [], []);
    sub.active = false;
    this.generation++;
    this.disconnects++;
    this.emit(['del', `user.${sub.name}`]);
    if (sub.gtp !== null && sub.imsi !== null) this.emit(['del', `gtp.imsi.${sub.imsi}`]);
    this.publish('disconnect', sub, tsUs);
  }

  /** An address now belongs to someone else: the old holder loses it (keys and event). */
  private releaseAddress(holder: Subscriber, ip: string, tsUs: number): void {
    if (holder.ip === ip) holder.ip = null;
    if (holder.ipv6 === ip) holder.ipv6 = null;
    holder.indexedIps = holder.indexedIps.filter((a) => a !== ip);
    this.writeKeys(holder);
    this.publish('update', holder, tsUs);
  }

  /**
   * Drops a subscriber's index entries and keys except the addresses and
   * tunnels in `keepIps`/`keepTunnels` (the ones about to be written again).
   */
  private unindex(sub: Subscriber, keepIps: readonly string[], keepTunnels: readonly string[]): void {
    for (const ip of sub.indexedIps) {
      if (keepIps.includes(ip) || this.byIp.get(ip) !== sub) continue;
      this.byIp.delete(ip);
      this.emit(['del', `ipuser.${ip}`]);
      this.emit(['hdel', `ip.${ip}`, 'user']);
    }
    const keep = new Set(keepTunnels);
    for (const key of sub.indexedTunnels) {
      if (keep.has(key) || this.byTeid.get(key) !== sub) continue;
      this.byTeid.delete(key);
      this.emit(['del', `gtp.teid.${key}`]);
    }
    sub.indexedIps = sub.indexedIps.filter((ip) => keepIps.includes(ip));
    sub.indexedTunnels = sub.indexedTunnels.filter((key) => keep.has(key));
  }

  private writeKeys(sub: Subscriber): void {
    const emit = this.emit;
    const userKey = `user.${sub.name}`;
    emit(['del', userKey]);
    const fields: [string, string | number | null][] = [
      ['ip', sub.ip ?? sub.ipv6],
      ['ipv6', sub.ip !== null ? sub.ipv6 : null],
      ['source', sub.source],
      ['since', sub.since],
      ['session', sub.session],
      ['nas', sub.nas],
      ['calling.station', sub.callingStation],
      ['imsi', sub.imsi],
      ['msisdn', sub.msisdn],
      ['imei', sub.imei],
      ['apn', sub.apn],
      ['rat', sub.rat],
      ['cell', sub.cell],
    ];
    for (const [field, value] of fields) if (value !== null) emit(['hset', userKey, field, value]);
    for (const ip of [sub.ip, sub.ipv6]) if (ip !== null) emit(['set', `ipuser.${ip}`, sub.name]);
    const gtp = sub.gtp;
    if (gtp === null || sub.imsi === null) return;
    const imsiKey = `gtp.imsi.${sub.imsi}`;
    emit(['del', imsiKey]);
    const bearer = gtp.bearers.get(gtp.defaultBearer) ?? gtp.bearers.values().next().value ?? null;
    const g: [string, string | number | null | undefined][] = [
      ['msisdn', sub.msisdn],
      ['imei', sub.imei],
      ['cell', sub.cell],
      ['ip', sub.ip ?? sub.ipv6],
      ['apn', sub.apn],
      ['version', gtp.version],
      ['teid.c', gtp.controlMain?.teid],
      ['node.c', gtp.controlMain?.node],
      ['teid.u.up', bearer?.up?.teid],
      ['node.u.up', bearer?.up?.node],
      ['teid.u.down', bearer?.down?.teid],
      ['node.u.down', bearer?.down?.node],
      ['since', sub.since],
    ];
    for (const [field, value] of g) if (value !== null && value !== undefined) emit(['hset', imsiKey, field, value]);
    for (const key of tunnelKeys(gtp)) emit(['set', `gtp.teid.${key}`, sub.imsi]);
  }

  private publish(event: 'connect' | 'disconnect' | 'update', sub: Subscriber, tsUs: number): void {
    const message: Record<string, unknown> = {
      event,
      user: sub.name,
      ip: sub.ip ?? sub.ipv6,
      source: sub.source,
      probe: this.opts.probe,
      ts: Math.floor(tsUs / 1000) / 1000,
    };
    if (sub.imsi !== null) message.imsi = sub.imsi;
    if (sub.msisdn !== null) message.msisdn = sub.msisdn;
    this.emit(['publish', USER_EVENTS, JSON.stringify(message)]);
  }
}

/** `<node>.<teid>` of every user-plane endpoint of a session: the gtp.teid.* keys. */
export function tunnelKeys(gtp: GtpSession): string[] {
  const keys: string[] = [];
  for (const b of gtp.bearers.values()) for (const e of b.endpoints) keys.push(`${e.node}.${e.teid >>> 0}`);
  return keys;
}
