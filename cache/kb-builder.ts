import { Flow } from './flow';
import { FlowEndReason } from './flow-table';
import { KbBatch, KbOp } from './kb-updates';
import { addressText, macText } from '../export/address-text';
import { TunnelType } from '../capture/decoded-packet';
import { flowToRecord } from '../export/flow-record';
import type { Signalling } from '../dissectors/signalling';
import type { Subscriber } from '../dissectors/subscriber-directory';
import { APP_NAMES } from '../dissectors/classifier';
import type { SipCalls } from '../dissectors/sip-calls';
import type { FlowService } from '../dissectors/flow-service';

/** What one host did since the last flush, merged over its flows. */
interface HostDelta {
  bytesSent: number;
  bytesRcvd: number;
  pktsSent: number;
  pktsRcvd: number;
  flows: number;
  firstSeen: number;
  lastSeen: number;
  mac: string | null;
  /** The user holding this address (RADIUS, GTP), when a flow of it was attributed. */
  user: Subscriber | null;
  /** Per VLAN id: [bytes.sent, bytes.rcvd, pkts.sent, pkts.rcvd] */
  vlans: Map<number, number[]> | null;
  /** Per application id: bytes (both directions) of this host's flows of that application. */
  apps: Map<number, number> | null;
  /** Service dissectors' client counters (DESIGN.md plugin fields) and the client's OS. */
  dnsQueries: number;
  dnsErrors: number;
  httpRequests: number;
  httpErrors: number;
  os: string | null;
}

interface AppDelta {
  bytes: number;
  pkts: number;
  flows: number;
}

interface MacDelta {
  bytesSent: number;
  bytesRcvd: number;
  pktsSent: number;
  pktsRcvd: number;
  ip: string;
}

interface VlanDelta {
  bytes: number;
  pkts: number;
  flows: number;
}

export interface KbBuilderOptions {
  /** Keep flow.<id> hashes of the live flows (local to this probe). */
  liveFlows: boolean;
}

/**
 * Turns flow activity into knowledge-base updates (DESIGN.md key space):
 * host counters grow while flows run, not only when they end. The packet
 * path only marks a flow dirty; every flush interval the dirty flows' counter
 * deltas are merged per host, MAC and VLAN and emitted as one batch. Strings
 * are made here, once per host per flush, never per packet.
 */
export class KnowledgeBuilder {
  private dirty: Flow[] = [];
  private dirtyIds: number[] = [];
  private hosts = new Map<string, HostDelta>();
  private macs = new Map<string, MacDelta>();
  private vlans = new Map<number, VlanDelta>();
  private apps = new Map<number, AppDelta>();
  private ops: KbOp[] = [];

  /** Names the user behind a flow; set by the pipeline that owns the signalling state. */
  subscribers: Signalling | null = null;
  /** SIP calls: media flows keep their call's key alive. Set by the pipeline. */
  sipCalls: SipCalls | null = null;
  /** Calls whose media was active since the last flush. */
  private activeCalls = new Map<string, number>();

  constructor(private readonly opts: KbBuilderOptions) {}

  /** An update made outside the flow path (subscriber signalling), sent with the next batch. */
  push(op: KbOp): void {
    this.ops.push(op);
  }

  get hasOps(): boolean {
    return this.ops.length > 0;
  }

  /** The updates pushed so far, without waiting for the flows' flush. */
  takeOps(timeUs: number): KbBatch | null {
    if (this.ops.length === 0) return null;
    const batch: KbBatch = { timeUs, ops: this.ops };
    this.ops = [];
    return batch;
  }

  /** Flows marked or ended since the last flush: the size of the next batch, roughly. */
  pendingFlows = 0;

  /** Called by the pipeline when a packet touched a flow that is not yet dirty. */
  markDirty(flow: Flow): void {
    flow.kbDirty = true;
    this.dirty.push(flow);
    this.dirtyIds.push(flow.id);
    this.pendingFlows++;
  }

  /** A record leaves the flow cache: its last deltas go out before the flow is reused. */
  flowEnded(flow: Flow, reason: FlowEndReason): void {
    this.pendingFlows++;
    this.account(flow);
    flow.kbDirty = false;
    if (this.opts.liveFlows && reason !== FlowEndReason.ActiveTimeout) this.ops.push(['del', `flow.${flow.id}`]);
  }

  /** The batch of everything since the last flush, or null when nothing happened. */
  flush(timeUs: number): KbBatch | null {
    for (let i = 0; i < this.dirty.length; i++) {
      const flow = this.dirty[i];
      // A flow recycled since it was marked has a new id: its deltas went out when it ended.
      if (flow.id !== this.dirtyIds[i] || !flow.kbDirty) continue;
      flow.kbDirty = false;
      this.account(flow);
      if (this.opts.liveFlows && flow.inTable) this.liveFlow(flow);
    }
    this.dirty = [];
    this.dirtyIds = [];
    this.pendingFlows = 0;
    this.emitHosts();
    if (this.ops.length === 0) return null;
    const batch: KbBatch = { timeUs, ops: this.ops };
    this.ops = [];
    return batch;
  }

  private host(addr: string): HostDelta {
    let h = this.hosts.get(addr);
    if (h === undefined) {
      h = { bytesSent: 0, bytesRcvd: 0, pktsSent: 0, pktsRcvd: 0, flows: 0, firstSeen: Infinity, lastSeen: 0, mac: null, user: null, vlans: null, apps: null, dnsQueries: 0, dnsErrors: 0, httpRequests: 0, httpErrors: 0, os: null };
      this.hosts.set(addr, h);
    }
    return h;
  }

  private account(flow: Flow): void {
    const dp = flow.packets - flow.kbPackets;
    const dpR = flow.packetsR - flow.kbPacketsR;
    const dOct = flow.octets - flow.kbOctets;
    const dOctR = flow.octetsR - flow.kbOctetsR;
    const announce = !flow.kbAnnounced;
    // An application counts once the payload said which (port guesses stay out of app.*).
    const app = flow.appId !== 0 && !flow.appGuessed ? flow.appId : 0;
    const appBytes = app !== 0 ? flow.octets + flow.octetsR - flow.kbAppBytes : 0;
    const appPkts = app !== 0 ? flow.packets + flow.packetsR - flow.kbAppPkts : 0;
    const svc = flow.service;
    if (dp === 0 && dpR === 0 && dOct === 0 && dOctR === 0 && !announce && appPkts === 0 && (svc === null || !serviceChanged(svc))) return;
    flow.kbPackets = flow.packets;
    flow.kbPacketsR = flow.packetsR;
    flow.kbOctets = flow.octets;
    flow.kbOctetsR = flow.octetsR;
    flow.kbAnnounced = true;

    const srcText = addressText(flow.ipVersion, [flow.src0, flow.src1, flow.src2, flow.src3], 0);
    const dstText = addressText(flow.ipVersion, [flow.dst0, flow.dst1, flow.dst2, flow.dst3], 0);
    const first = Math.floor(flow.firstUs / 1e6);
    const last = Math.floor(flow.lastUs / 1e6);
    const src = this.host(srcText);
    const dst = this.host(dstText);
    src.bytesSent += dOct; src.pktsSent += dp; src.bytesRcvd += dOctR; src.pktsRcvd += dpR;
    dst.bytesSent += dOctR; dst.pktsSent += dpR; dst.bytesRcvd += dOct; dst.pktsRcvd += dp;
    if (announce) {
      src.flows++;
      if (dst !== src) dst.flows++;
    }
    for (const h of [src, dst]) {
      if (first < h.firstSeen) h.firstSeen = first;
      if (last > h.lastSeen) h.lastSeen = last;
    }
    if (appPkts !== 0) {
      let a = this.apps.get(app);
      if (a === undefined) this.apps.set(app, (a = { bytes: 0, pkts: 0, flows: 0 }));
      a.bytes += appBytes;
      a.pkts += appPkts;
      // A flow counts for its application when it is first attributed to it.
      if (flow.kbAppPkts === 0) a.flows++;
      flow.kbAppBytes += appBytes;
      flow.kbAppPkts += appPkts;
      for (const h of dst !== src ? [src, dst] : [src]) {
        if (h.apps === null) h.apps = new Map();
        h.apps.set(app, (h.apps.get(app) ?? 0) + appBytes);
      }
    }
    if (svc !== null) this.serviceCounters(flow, svc, src, dst);
    const sub = this.subscribers?.attribute(flow, srcText, dstText) ?? null;
    if (sub !== null && sub.active) {
      // The user's own address among the two (a tunnel names the user, not which end it is).
      if (sub.ip === srcText || sub.ipv6 === srcText) src.user = sub;
      else if (sub.ip === dstText || sub.ipv6 === dstText) dst.user = sub;
    }
    if (flow.vlanId !== 0) {
      for (const [h, sent, rcvd, ps, pr] of [[src, dOct, dOctR, dp, dpR], [dst, dOctR, dOct, dpR, dp]] as const) {
        if (h.vlans === null) h.vlans = new Map();
        let v = h.vlans.get(flow.vlanId);
        if (v === undefined) h.vlans.set(flow.vlanId, (v = [0, 0, 0, 0]));
        v[0] += sent; v[1] += rcvd; v[2] += ps; v[3] += pr;
      }
      let vd = this.vlans.get(flow.vlanId);
      if (vd === undefined) this.vlans.set(flow.vlanId, (vd = { bytes: 0, pkts: 0, flows: 0 }));
      vd.bytes += dOct + dOctR;
      vd.pkts += dp + dpR;
      if (announce) vd.flows++;
    }
    // MACs of a tunnelled flow belong to the tunnel's routers, not to the inner hosts.
    if (flow.srcMacHi >= 0 && flow.tunnel === TunnelType.None) {
      const srcMac = macText(flow.srcMacHi, flow.srcMacLo);
      const dstMac = macText(flow.dstMacHi, flow.dstMacLo);
      src.mac = srcMac;
      dst.mac = dstMac;
      this.macActivity(srcMac, srcText, dOct, dOctR, dp, dpR);
      this.macActivity(dstMac, dstText, dOctR, dOct, dpR, dp);
    }
  }

  /** dns.* and http.* go to the client side of each message; os to the HTTP client. */
  private serviceCounters(flow: Flow, svc: FlowService, src: HostDelta, dst: HostDelta): void {
    src.dnsQueries += svc.dnsQueriesFwd - svc.kbDnsQueriesFwd;
    dst.dnsQueries += svc.dnsQueriesRev - svc.kbDnsQueriesRev;
    src.dnsErrors += svc.dnsErrorsToFwd - svc.kbDnsErrorsToFwd;
    dst.dnsErrors += svc.dnsErrorsToRev - svc.kbDnsErrorsToRev;
    svc.kbDnsQueriesFwd = svc.dnsQueriesFwd;
    svc.kbDnsQueriesRev = svc.dnsQueriesRev;
    svc.kbDnsErrorsToFwd = svc.dnsErrorsToFwd;
    svc.kbDnsErrorsToRev = svc.dnsErrorsToRev;
    const client = svc.httpClientIsInitiator ? src : dst;
    client.httpRequests += svc.httpRequests - svc.kbHttpRequests;
    client.httpErrors += svc.httpErrors - svc.kbHttpErrors;
    svc.kbHttpRequests = svc.httpRequests;
    svc.kbHttpErrors = svc.httpErrors;
    if (svc.os !== null && !svc.kbOsSent) {
      svc.kbOsSent = true;
      client.os = svc.os;
    }
    const call = svc.sipCallId;
    if (call !== null && this.sipCalls?.isActive(call) === true) this.activeCalls.set(call, Math.floor(flow.lastUs / 1e6));
  }

  private macActivity(mac: string, ip: string, sent: number, rcvd: number, ps: number, pr: number): void {
    let m = this.macs.get(mac);
    if (m === undefined) this.macs.set(mac, (m = { bytesSent: 0, bytesRcvd: 0, pktsSent: 0, pktsRcvd: 0, ip }));
    m.bytesSent += sent; m.bytesRcvd += rcvd; m.pktsSent += ps; m.pktsRcvd += pr;
    m.ip = ip;
  }

  /** The live view of a flow: the whole record once, then only what changes. */
  private liveFlow(flow: Flow): void {
    const key = `flow.${flow.id}`;
    const ops = this.ops;
    if (!flow.kbLive) {
      flow.kbLive = true;
      const record = flowToRecord(flow, 0 as FlowEndReason);
      delete (record as Record<string, unknown>).flowEndReason;
      for (const field in record) {
        const value = record[field];
        if (value === undefined) continue;
        ops.push(['hset', key, field, typeof value === 'object' ? JSON.stringify(value) : (value as string | number)]);
      }
      return;
    }
    ops.push(['hset', key, 'packetDeltaCount', flow.packets]);
    ops.push(['hset', key, 'octetDeltaCount', flow.octets]);
    ops.push(['hset', key, 'layer2OctetDeltaCount', flow.l2Octets]);
    ops.push(['hset', key, 'reversePacketDeltaCount', flow.packetsR]);
    ops.push(['hset', key, 'reverseOctetDeltaCount', flow.octetsR]);
    ops.push(['hset', key, 'reverseLayer2OctetDeltaCount', flow.l2OctetsR]);
    ops.push(['hset', key, 'flowEndMilliseconds', Math.floor(flow.lastUs / 1000)]);
    if (flow.protocol === 6) {
      ops.push(['hset', key, 'tcpControlBits', flow.tcpFlags]);
      ops.push(['hset', key, 'reverseTcpControlBits', flow.tcpFlagsR]);
    }
  }

  private emitHosts(): void {
    const ops = this.ops;
    for (const [addr, h] of this.hosts) {
      const key = `ip.${addr}`;
      if (h.bytesSent !== 0) ops.push(['hincrby', key, 'bytes.sent', h.bytesSent]);
      if (h.bytesRcvd !== 0) ops.push(['hincrby', key, 'bytes.rcvd', h.bytesRcvd]);
      if (h.pktsSent !== 0) ops.push(['hincrby', key, 'pkts.sent', h.pktsSent]);
      if (h.pktsRcvd !== 0) ops.push(['hincrby', key, 'pkts.rcvd', h.pktsRcvd]);
      if (h.flows !== 0) ops.push(['hincrby', key, 'flows', h.flows]);
      if (h.firstSeen !== Infinity) ops.push(['hsetnx', key, 'first.seen', h.firstSeen]);
      ops.push(['hset', key, 'last.seen', h.lastSeen]);
      if (h.mac !== null) ops.push(['hset', key, 'mac', h.mac]);
      // Still connected now: a disconnect since the flows were accounted removed the field.
      if (h.user !== null && h.user.active && (h.user.ip === addr || h.user.ipv6 === addr)) ops.push(['hset', key, 'user', h.user.name]);
      if (h.vlans !== null) {
        for (const [id, v] of h.vlans) {
          if (v[0] !== 0) ops.push(['hincrby', key, `vlan.${id}.bytes.sent`, v[0]]);
          if (v[1] !== 0) ops.push(['hincrby', key, `vlan.${id}.bytes.rcvd`, v[1]]);
          if (v[2] !== 0) ops.push(['hincrby', key, `vlan.${id}.pkts.sent`, v[2]]);
          if (v[3] !== 0) ops.push(['hincrby', key, `vlan.${id}.pkts.rcvd`, v[3]]);
        }
      }
      if (h.apps !== null) for (const [app, bytes] of h.apps) ops.push(['hincrby', key, `app.${APP_NAMES[app]}.bytes`, bytes]);
      if (h.dnsQueries !== 0) ops.push(['hincrby', key, 'dns.queries', h.dnsQueries]);
      if (h.dnsErrors !== 0) ops.push(['hincrby', key, 'dns.errors', h.dnsErrors]);
      if (h.httpRequests !== 0) ops.push(['hincrby', key, 'http.requests', h.httpRequests]);
      if (h.httpErrors !== 0) ops.push(['hincrby', key, 'http.errors', h.httpErrors]);
      if (h.os !== null) ops.push(['hset', key, 'os', h.os]);
      const total = h.bytesSent + h.bytesRcvd;
      if (total !== 0) ops.push(['zincrby', 'top.hosts.bytes', total, addr]);
    }
    for (const [mac, m] of this.macs) {
      const key = `mac.${mac}`;
      if (m.bytesSent !== 0) ops.push(['hincrby', key, 'bytes.sent', m.bytesSent]);
      if (m.bytesRcvd !== 0) ops.push(['hincrby', key, 'bytes.rcvd', m.bytesRcvd]);
      if (m.pktsSent !== 0) ops.push(['hincrby', key, 'pkts.sent', m.pktsSent]);
      if (m.pktsRcvd !== 0) ops.push(['hincrby', key, 'pkts.rcvd', m.pktsRcvd]);
      ops.push(['hset', key, 'ip', m.ip]);
    }
    for (const [id, v] of this.vlans) {
      const key = `vlan.${id}`;
      if (v.bytes !== 0) ops.push(['hincrby', key, 'bytes', v.bytes]);
      if (v.pkts !== 0) ops.push(['hincrby', key, 'pkts', v.pkts]);
      if (v.flows !== 0) ops.push(['hincrby', key, 'flows', v.flows]);
    }
    for (const [app, a] of this.apps) {
      const key = `app.${APP_NAMES[app]}`;
      if (a.bytes !== 0) ops.push(['hincrby', key, 'bytes', a.bytes]);
      if (a.pkts !== 0) ops.push(['hincrby', key, 'pkts', a.pkts]);
      if (a.flows !== 0) ops.push(['hincrby', key, 'flows', a.flows]);
    }
    // Media flows of a call still going: its key stays (a volatile key's TTL is refreshed by the update).
    for (const [call, last] of this.activeCalls) ops.push(['hset', `sip.call.${call}`, 'last.seen', last]);
    this.activeCalls.clear();
    this.hosts.clear();
    this.macs.clear();
    this.vlans.clear();
    this.apps.clear();
  }
}

/** Service counters not yet sent (a flow can change only these, e.g. a later DNS answer's RCODE). */
function serviceChanged(s: FlowService): boolean {
  return s.dnsQueriesFwd !== s.kbDnsQueriesFwd || s.dnsQueriesRev !== s.kbDnsQueriesRev ||
    s.dnsErrorsToFwd !== s.kbDnsErrorsToFwd || s.dnsErrorsToRev !== s.kbDnsErrorsToRev ||
    s.httpRequests !== s.kbHttpRequests || s.httpErrors !== s.kbHttpErrors || (s.os !== null && !s.kbOsSent);
}
