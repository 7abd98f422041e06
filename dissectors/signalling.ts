import type { DecodedPacket } from '../capture/decoded-packet';
import { TunnelType } from '../capture/decoded-packet';
import type { Flow } from '../cache/flow';
import type { KbOp } from '../cache/kb-updates';
import { addressText } from '../export/address-text';
import { GTPC_PORT } from './gtpc';
import { GtpcTracker } from './gtpc-tracker';
import { RadiusTracker } from './radius-tracker';
import { DirectoryOptions, RemoteUser, Subscriber, SubscriberDirectory } from './subscriber-directory';
import { SavedSubscriber, subscriberFromSaved } from './subscriber-restore';

function isRadiusPort(port: number): boolean {
  return port === 1812 || port === 1813 || port === 1645 || port === 1646;
}

/** UDP on this port may carry RADIUS or GTP-C (what foreignUdp reads). */
export function isSignallingPort(port: number): boolean {
  return port === GTPC_PORT || isRadiusPort(port);
}

/** How long the cloud's answers count (nProbe's practice): a found user ~60 s, "nobody" ~5 s. */
export const REMOTE_HIT_US = 60e6;
export const REMOTE_MISS_US = 5e6;
/** Questions remembered (asked or answered "nobody"): bounded like every cache here. */
const MAX_ASKED = 100_000;

/** Asks the cloud who is behind an address (`ip:<addr>`) or a tunnel endpoint (`teid:<node>.<teid>`). */
export interface CloudAsker {
  ask(query: string): void;
}

/**
 * Subscriber awareness inside the packet pipeline: hands RADIUS and GTP-C
 * payloads to their trackers and names the user behind a flow (its GTP-U
 * tunnel endpoint first, else its addresses). With a cloud, what this probe
 * does not know is asked there, once per address or tunnel per few seconds.
 * The per-packet cost for other traffic is two port comparisons.
 */
export class Signalling {
  readonly users: SubscriberDirectory;
  readonly radius: RadiusTracker;
  readonly gtpc: GtpcTracker;
  /** Set when the probe has an upstream to ask. */
  cloud: CloudAsker | null = null;
  /** Questions in flight. */
  private readonly pending = new Set<string>();
  /** Question -> until when not to ask again (in flight, or answered "nobody"). */
  private readonly asked = new Map<string, number>();
  private nowUs = 0;
  lookups = 0;
  lookupHits = 0;

  constructor(opts: DirectoryOptions, private readonly emit: (op: KbOp) => void) {
    this.users = new SubscriberDirectory(opts, emit);
    this.radius = new RadiusTracker(this.users);
    this.gtpc = new GtpcTracker(this.users);
  }

  /** True when the UDP packet was signalling (the pipeline flushes its updates promptly). */
  udp(p: DecodedPacket, buf: Uint8Array, flow: Flow, nowUs: number): boolean {
    return this.udpWithId(p, buf, flow.id, nowUs);
  }

  /**
   * Signalling in a packet whose flow another pipeline worker keeps: parsed
   * here too, so this worker knows every subscriber. Requests and responses
   * are matched by a key of the 5-tuple in place of the flow id.
   */
  foreignUdp(p: DecodedPacket, buf: Uint8Array, nowUs: number): boolean {
    const a = p.addr;
    // Negative: never equal to a real flow id. Symmetric, so a response finds its request.
    const key = -(((a[3] ^ a[7]) + (a[2] ^ a[6]) * 7 + ((p.srcPort ^ p.dstPort) << 1)) >>> 1) - 1;
    return this.udpWithId(p, buf, key, nowUs);
  }

  private udpWithId(p: DecodedPacket, buf: Uint8Array, flowId: number, nowUs: number): boolean {
    this.nowUs = nowUs;
    const sp = p.srcPort;
    const dp = p.dstPort;
    if (sp === GTPC_PORT || dp === GTPC_PORT) {
      this.gtpc.packet(buf, p.payloadOffset, p.payloadLength, flowId, () => addressText(p.ipVersion, p.addr, 4), nowUs);
      return true;
    }
    if (isRadiusPort(sp) || isRadiusPort(dp)) {
      this.radius.packet(buf, p.payloadOffset, p.payloadLength, flowId, () => addressText(p.ipVersion, p.addr, 0), nowUs);
      return true;
    }
    return false;
  }

  /** Subscribers the persistent keys kept across a restart: known again, as if just signalled. */
  restore(saved: readonly SavedSubscriber[]): void {
    for (const s of saved) {
      const sub = subscriberFromSaved(s);
      this.users.restore(sub);
      this.gtpc.restore(sub);
    }
  }

  /** Whether a new flow should be looked up at once. */
  get attributing(): boolean {
    return this.users.size !== 0 || this.cloud !== null;
  }

  /** The questions that name a flow's user: its tunnel endpoints (GTP-U), then its addresses. */
  queries(flow: Flow, srcText?: string, dstText?: string): string[] {
    const q: string[] = [];
    if (flow.tunnel === TunnelType.GtpU) {
      // A G-PDU's TEID belongs to its receiver: the outer destination.
      const v = flow.tunnelOuterVersion;
      if (flow.tunnelIdFwdSeen && flow.tunnelOuterFwd !== null) q.push(`teid:${addressText(v, flow.tunnelOuterFwd, 4)}.${flow.tunnelIdFwd >>> 0}`);
      if (flow.tunnelIdRevSeen && flow.tunnelOuterRev !== null) q.push(`teid:${addressText(v, flow.tunnelOuterRev, 4)}.${flow.tunnelIdRev >>> 0}`);
    }
    q.push(`ip:${srcText ?? addressText(flow.ipVersion, [flow.src0, flow.src1, flow.src2, flow.src3], 0)}`);
    q.push(`ip:${dstText ?? addressText(flow.ipVersion, [flow.dst0, flow.dst1, flow.dst2, flow.dst3], 0)}`);
    return q;
  }

  /** The subscriber the first answering question names (this probe's knowledge and the cloud's cached answers). */
  userFor(queries: readonly string[]): Subscriber | null {
    for (const q of queries) {
      const s = q.startsWith('teid:') ? this.users.tunnelUser(q.slice(5, q.lastIndexOf('.')), Number(q.slice(q.lastIndexOf('.') + 1)), this.nowUs) : this.users.addressUser(q.slice(3), this.nowUs);
      if (s !== undefined && s.active) return s;
    }
    return null;
  }

  /** True while a question about this flow is with the cloud. */
  awaiting(queries: readonly string[]): boolean {
    if (this.pending.size === 0) return false;
    for (const q of queries) if (this.pending.has(q)) return true;
    return false;
  }

  /**
   * The subscriber behind a flow, or null. Searched once per flow and again
   * only after the directory changed; a flow keeps the subscriber it found.
   * What nobody here knows is asked of the cloud.
   */
  attribute(flow: Flow, srcText?: string, dstText?: string): Subscriber | null {
    if (flow.subscriber !== null) return flow.subscriber;
    const users = this.users;
    if (flow.subscriberGen === users.generation) return null;
    flow.subscriberGen = users.generation;
    if (!this.attributing) return null;
    const queries = this.queries(flow, srcText, dstText);
    const s = this.userFor(queries);
    if (s !== null) {
      flow.subscriber = s;
      return s;
    }
    if (this.cloud !== null) this.ask(queries);
    return null;
  }

  private ask(queries: readonly string[]): void {
    const cloud = this.cloud!;
    const now = this.nowUs;
    for (const q of queries) {
      const until = this.asked.get(q);
      if (until !== undefined && until > now) continue;
      this.asked.delete(q);
      this.asked.set(q, now + REMOTE_MISS_US);
      this.pending.add(q);
      this.lookups++;
      cloud.ask(q);
    }
    if (this.asked.size > MAX_ASKED) {
      for (const q of this.asked.keys()) {
        if (this.asked.size <= MAX_ASKED) break;
        this.asked.delete(q);
      }
    }
  }

  /**
   * The cloud answered a question (`user` null: nobody). A found user names
   * the flows that asked; the address it was asked for gets its `user` field.
   */
  answer(query: string, user: RemoteUser | null): void {
    this.pending.delete(query);
    if (user === null) {
      this.asked.set(query, this.nowUs + REMOTE_MISS_US);
      return;
    }
    this.lookupHits++;
    this.asked.delete(query);
    const sub = this.users.learnRemote(user, this.nowUs + REMOTE_HIT_US);
    if (sub !== null && sub.active) for (const ip of [sub.ip, sub.ipv6]) if (ip !== null) this.emit(['hset', `ip.${ip}`, 'user', sub.name]);
  }

  /** events.user from the cloud: another probe's connect, update or disconnect. */
  remoteEvent(event: string, user: RemoteUser): void {
    if (event === 'disconnect') this.users.forgetRemote(user.name);
    else this.users.learnRemote(user, this.nowUs + REMOTE_HIT_US);
  }

  /** Keeps the clock of cached answers moving with the pipeline's. */
  tick(nowUs: number): void {
    if (nowUs > this.nowUs) this.nowUs = nowUs;
  }
}
