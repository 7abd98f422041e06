import { DecodedPacket, TunnelType } from '../capture/decoded-packet';
import { Flow } from './flow';
import { flowHash } from './flow-hash';

/** IPFIX flowEndReason values (RFC 7011 / IANA IE 136). */
export const enum FlowEndReason {
  IdleTimeout = 1,
  ActiveTimeout = 2,
  EndOfFlow = 3,
  ForcedEnd = 4,
  LackOfResources = 5,
}

export interface FlowTableOptions {
  idleTimeoutUs: number;
  /** 0 disables the active timeout. */
  activeTimeoutUs: number;
  maxFlows: number;
  /**
   * How long a TCP flow that saw FIN both ways (or RST) keeps collecting the
   * last ACKs and retransmissions before it is exported.
   */
  tcpCloseLingerUs: number;
  /**
   * Flow ids are `index + k * count`: with several pipeline workers each
   * numbers its flows apart from the others' (defaults 0 and 1).
   */
  idIndex?: number;
  idCount?: number;
}

/** Called synchronously for each record leaving the table; the flow is reused afterwards. */
export type FlowExporter = (flow: Flow, reason: FlowEndReason) => void;

const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;
const IPPROTO_TCP = 6;

/** Keep at most this many exported flows for reuse. */
const FREE_LIST_MAX = 4096;

/**
 * The bidirectional flow cache: a hash map from a symmetric numeric hash to a
 * chain of flows, an LRU list (idle timeout and eviction), an age list
 * (active timeout) and a closing list (TCP teardown). Expiry walks lists from
 * their old end only, so its cost is proportional to what expires.
 */
export class FlowTable {
  private readonly buckets = new Map<number, Flow>();
  private lruHead: Flow | null = null;
  private lruTail: Flow | null = null;
  private ageHead: Flow | null = null;
  private ageTail: Flow | null = null;
  /** Flows that finished their TCP teardown, with their id (a recycled flow has a new one). */
  private closing: Flow[] = [];
  private closingIds: number[] = [];
  private closingStart = 0;
  private free: Flow[] = [];
  private nextId = 1;
  private idStep = 1;

  size = 0;
  created = 0;
  exported = 0;
  evicted = 0;
  /** Direction of the packet last given to update(): true when it went initiator -> responder. */
  lastForward = true;

  constructor(private readonly opts: FlowTableOptions, private readonly exporter: FlowExporter) {
    const count = opts.idCount ?? 1;
    this.idStep = count;
    this.nextId = count > 1 ? count + (opts.idIndex ?? 0) : 1;
  }

  /** Accounts the packet to its flow (creating it), returns the flow. */
  update(p: DecodedPacket, nowUs: number, countPacket: boolean, ipBytes: number): Flow {
    const a = p.addr;
    const sub = p.subKey;
    const hash = flowHash(a, p.srcPort, p.dstPort, p.protocol, p.vlanId ^ (sub << 12));
    let flow = this.buckets.get(hash) ?? null;
    let forward = true;
    for (; flow !== null; flow = flow.hashNext) {
      if (flow.protocol !== p.protocol || flow.vlanId !== p.vlanId || flow.ipVersion !== p.ipVersion || flow.subKey !== sub) continue;
      if (flow.srcPort === p.srcPort && flow.dstPort === p.dstPort &&
          flow.src3 === a[3] && flow.dst3 === a[7] && flow.src0 === a[0] && flow.dst0 === a[4] &&
          flow.src1 === a[1] && flow.dst1 === a[5] && flow.src2 === a[2] && flow.dst2 === a[6]) {
        forward = true;
        break;
      }
      if (flow.srcPort === p.dstPort && flow.dstPort === p.srcPort &&
          flow.src3 === a[7] && flow.dst3 === a[3] && flow.src0 === a[4] && flow.dst0 === a[0] &&
          flow.src1 === a[5] && flow.dst1 === a[1] && flow.src2 === a[6] && flow.dst2 === a[2]) {
        forward = false;
        break;
      }
    }
    // A new connection on the ports of one that closed: end the old record first.
    if (flow !== null && flow.closeAtUs > 0 && p.protocol === IPPROTO_TCP && (p.tcpFlags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
      this.remove(flow, FlowEndReason.EndOfFlow);
      flow = null;
    }
    if (flow === null) {
      flow = this.create(p, hash, nowUs);
      forward = true;
    } else {
      this.touch(flow);
    }
    this.lastForward = forward;
    if (flow.packets === 0 && flow.packetsR === 0) flow.firstUs = nowUs;
    if (nowUs > flow.lastUs) flow.lastUs = nowUs;
    const pkts = countPacket ? 1 : 0;
    if (forward) {
      flow.packets += pkts;
      flow.octets += ipBytes;
      flow.l2Octets += p.wireLength;
      flow.tcpFlags |= p.tcpFlags;
    } else {
      flow.packetsR += pkts;
      flow.octetsR += ipBytes;
      flow.l2OctetsR += p.wireLength;
      flow.tcpFlagsR |= p.tcpFlags;
    }
    if (p.tunnel !== TunnelType.None) this.noteTunnel(flow, p, forward);
    if (p.protocol === IPPROTO_TCP && p.tcpFlags & (TCP_FIN | TCP_RST) && flow.closeAtUs === 0) {
      if (p.tcpFlags & TCP_RST) {
        this.startClosing(flow, nowUs);
      } else {
        if (forward) flow.finFwd = true;
        else flow.finRev = true;
        if (flow.finFwd && flow.finRev) this.startClosing(flow, nowUs);
      }
    }
    return flow;
  }

  /** Looks up an existing flow by reference check for fragment attribution. */
  accountLaterFragment(flow: Flow, forward: boolean, p: DecodedPacket, nowUs: number, countPacket: boolean, ipBytes: number): void {
    this.touch(flow);
    if (nowUs > flow.lastUs) flow.lastUs = nowUs;
    if (forward) {
      if (countPacket) flow.packets++;
      flow.octets += ipBytes;
      flow.l2Octets += p.wireLength;
    } else {
      if (countPacket) flow.packetsR++;
      flow.octetsR += ipBytes;
      flow.l2OctetsR += p.wireLength;
    }
  }

  /**
   * Moves counts that a port-less orphan-fragment flow collected (always in
   * its forward direction) to the flow they belong to; an emptied orphan flow
   * disappears without a record.
   */
  transfer(from: Flow, to: Flow, toForward: boolean, packets: number, ipBytes: number, l2Bytes: number): void {
    from.packets -= packets;
    from.octets -= ipBytes;
    from.l2Octets -= l2Bytes;
    if (toForward) {
      to.packets += packets; to.octets += ipBytes; to.l2Octets += l2Bytes;
    } else {
      to.packetsR += packets; to.octetsR += ipBytes; to.l2OctetsR += l2Bytes;
    }
    if (from.packets + from.packetsR === 0 && from.l2Octets + from.l2OctetsR === 0) this.remove(from, FlowEndReason.LackOfResources);
  }

  private noteTunnel(flow: Flow, p: DecodedPacket, forward: boolean): void {
    if (flow.tunnel === TunnelType.None) {
      flow.tunnel = p.tunnel;
      flow.tunnelOuterVersion = p.outerIpVersion;
    }
    if (forward) {
      if (!flow.tunnelIdFwdSeen) {
        flow.tunnelIdFwdSeen = true;
        flow.tunnelIdFwd = p.tunnelId;
        if (flow.tunnelOuterFwd === null) flow.tunnelOuterFwd = new Uint32Array(8);
        flow.tunnelOuterFwd.set(p.outerAddr);
      }
    } else if (!flow.tunnelIdRevSeen) {
      flow.tunnelIdRevSeen = true;
      flow.tunnelIdRev = p.tunnelId;
      if (flow.tunnelOuterRev === null) flow.tunnelOuterRev = new Uint32Array(8);
      flow.tunnelOuterRev.set(p.outerAddr);
    }
  }

  private create(p: DecodedPacket, hash: number, nowUs: number): Flow {
    if (this.size >= this.opts.maxFlows && this.lruTail !== null) {
      this.evicted++;
      this.remove(this.lruTail, FlowEndReason.LackOfResources);
    }
    const flow = this.free.pop() ?? new Flow();
    const a = p.addr;
    flow.id = this.nextId;
    this.nextId += this.idStep;
    flow.hash = hash;
    flow.ipVersion = p.ipVersion;
    flow.protocol = p.protocol;
    flow.vlanId = p.vlanId;
    flow.src0 = a[0]; flow.src1 = a[1]; flow.src2 = a[2]; flow.src3 = a[3];
    flow.dst0 = a[4]; flow.dst1 = a[5]; flow.dst2 = a[6]; flow.dst3 = a[7];
    flow.srcPort = p.srcPort;
    flow.dstPort = p.dstPort;
    flow.subKey = p.subKey;
    flow.service = null;
    this.resetCounters(flow);
    flow.kbDirty = false;
    flow.kbAnnounced = false;
    flow.kbLive = false;
    flow.subscriber = null;
    flow.subscriberGen = -1;
    flow.appId = 0;
    flow.appGuessed = false;
    flow.appPackets = 0;
    flow.appState = 0;
    flow.kbAppBytes = 0;
    flow.kbAppPkts = 0;
    flow.firstUs = nowUs;
    flow.lastUs = nowUs;
    flow.finFwd = false;
    flow.finRev = false;
    flow.closeAtUs = 0;
    flow.tunnel = TunnelType.None;
    flow.tunnelIdFwd = 0;
    flow.tunnelIdRev = 0;
    flow.tunnelIdFwdSeen = false;
    flow.tunnelIdRevSeen = false;
    flow.tunnelOuterVersion = 0;
    // MACs are filled by the pipeline, which has the frame buffer.
    flow.srcMacHi = -1;
    flow.dstMacHi = -1;
    // link into the hash chain, the LRU head and the age tail
    flow.hashNext = this.buckets.get(hash) ?? null;
    this.buckets.set(hash, flow);
    flow.lruPrev = null;
    flow.lruNext = this.lruHead;
    if (this.lruHead !== null) this.lruHead.lruPrev = flow;
    this.lruHead = flow;
    if (this.lruTail === null) this.lruTail = flow;
    this.ageAppend(flow, nowUs);
    flow.inTable = true;
    this.size++;
    this.created++;
    return flow;
  }

  private resetCounters(flow: Flow): void {
    flow.packets = 0; flow.octets = 0; flow.l2Octets = 0; flow.tcpFlags = 0;
    flow.packetsR = 0; flow.octetsR = 0; flow.l2OctetsR = 0; flow.tcpFlagsR = 0;
    flow.kbPackets = 0; flow.kbOctets = 0; flow.kbPacketsR = 0; flow.kbOctetsR = 0;
  }

  private ageAppend(flow: Flow, nowUs: number): void {
    flow.ageRefUs = nowUs;
    flow.ageNext = null;
    flow.agePrev = this.ageTail;
    if (this.ageTail !== null) this.ageTail.ageNext = flow;
    else this.ageHead = flow;
    this.ageTail = flow;
  }

  private ageUnlink(flow: Flow): void {
    if (flow.agePrev !== null) flow.agePrev.ageNext = flow.ageNext;
    else this.ageHead = flow.ageNext;
    if (flow.ageNext !== null) flow.ageNext.agePrev = flow.agePrev;
    else this.ageTail = flow.agePrev;
    flow.agePrev = flow.ageNext = null;
  }

  /** Moves the flow to the LRU head. */
  private touch(flow: Flow): void {
    if (this.lruHead === flow) return;
    // unlink
    if (flow.lruPrev !== null) flow.lruPrev.lruNext = flow.lruNext;
    if (flow.lruNext !== null) flow.lruNext.lruPrev = flow.lruPrev;
    else this.lruTail = flow.lruPrev;
    // push at head
    flow.lruPrev = null;
    flow.lruNext = this.lruHead;
    if (this.lruHead !== null) this.lruHead.lruPrev = flow;
    this.lruHead = flow;
  }

  private startClosing(flow: Flow, nowUs: number): void {
    flow.closeAtUs = nowUs + this.opts.tcpCloseLingerUs;
    if (flow.closeAtUs === 0) flow.closeAtUs = 1;
    this.closing.push(flow);
    this.closingIds.push(flow.id);
  }

  /**
   * The flow's conversation is complete (a DNS transaction answered): it is
   * exported after the same linger as a closed TCP connection, which still
   * catches a retransmitted answer.
   */
  endSoon(flow: Flow, nowUs: number): void {
    if (flow.closeAtUs === 0 && flow.inTable) this.startClosing(flow, nowUs);
  }

  /** Exports the record and removes the flow from every structure. */
  private remove(flow: Flow, reason: FlowEndReason): void {
    // hash chain
    let prev: Flow | null = null;
    let cur = this.buckets.get(flow.hash) ?? null;
    while (cur !== null && cur !== flow) {
      prev = cur;
      cur = cur.hashNext;
    }
    if (cur === flow) {
      if (prev === null) {
        if (flow.hashNext === null) this.buckets.delete(flow.hash);
        else this.buckets.set(flow.hash, flow.hashNext);
      } else {
        prev.hashNext = flow.hashNext;
      }
    }
    flow.hashNext = null;
    // LRU
    if (flow.lruPrev !== null) flow.lruPrev.lruNext = flow.lruNext;
    else this.lruHead = flow.lruNext;
    if (flow.lruNext !== null) flow.lruNext.lruPrev = flow.lruPrev;
    else this.lruTail = flow.lruPrev;
    flow.lruPrev = flow.lruNext = null;
    this.ageUnlink(flow);
    flow.inTable = false;
    this.size--;
    if (flow.packets + flow.packetsR > 0 || flow.l2Octets + flow.l2OctetsR > 0) {
      this.exported++;
      this.exporter(flow, reason);
    }
    flow.id = 0; // stale references (fragment tracker) see the change
    flow.tunnelOuterFwd = null;
    flow.tunnelOuterRev = null;
    flow.subscriber = null;
    flow.service = null;
    if (this.free.length < FREE_LIST_MAX) this.free.push(flow);
  }

  /**
   * Exports what timed out at `nowUs` (packet time for files, the clock live),
   * at most `budget` records per call so a time jump that expires a whole
   * cache cannot stall the event loop. Returns true when more are due.
   */
  expire(nowUs: number, budget = Infinity): boolean {
    const idle = this.opts.idleTimeoutUs;
    while (this.lruTail !== null && this.lruTail.lastUs + idle <= nowUs) {
      if (budget-- <= 0) return true;
      this.remove(this.lruTail, FlowEndReason.IdleTimeout);
    }
    // Closing flows in the order they started closing (constant linger keeps it sorted).
    while (this.closingStart < this.closing.length) {
      const flow = this.closing[this.closingStart];
      if (flow.id === this.closingIds[this.closingStart] && flow.inTable) {
        if (flow.closeAtUs > nowUs) break;
        if (budget-- <= 0) return true;
        this.remove(flow, FlowEndReason.EndOfFlow);
      }
      this.closingStart++;
    }
    if (this.closingStart > 1024 && this.closingStart * 2 > this.closing.length) {
      this.closing = this.closing.slice(this.closingStart);
      this.closingIds = this.closingIds.slice(this.closingStart);
      this.closingStart = 0;
    }
    const active = this.opts.activeTimeoutUs;
    if (active > 0) {
      while (this.ageHead !== null && this.ageHead.ageRefUs + active <= nowUs) {
        if (budget-- <= 0) return true;
        const flow = this.ageHead;
        // Long-lived flow: export what it did so far and keep the key and direction.
        this.ageUnlink(flow);
        if (flow.packets + flow.packetsR > 0) {
          this.exported++;
          this.exporter(flow, FlowEndReason.ActiveTimeout);
        }
        this.resetCounters(flow);
        flow.firstUs = nowUs;
        this.ageAppend(flow, nowUs);
      }
    }
    return false;
  }

  /** Exports up to `max` flows, least recently active first; true while flows remain. */
  flushSome(max: number, reason: FlowEndReason = FlowEndReason.ForcedEnd): boolean {
    for (let i = 0; i < max && this.lruTail !== null; i++) this.remove(this.lruTail, reason);
    if (this.lruTail !== null) return true;
    this.closing = [];
    this.closingIds = [];
    this.closingStart = 0;
    return false;
  }

  /** Exports every flow (end of capture or shutdown). */
  flushAll(reason: FlowEndReason = FlowEndReason.ForcedEnd): void {
    while (this.lruTail !== null) this.remove(this.lruTail, reason);
    this.closing = [];
    this.closingIds = [];
    this.closingStart = 0;
  }

  /** Live flows, most recently active first (for the flow.<id> view). */
  *flows(): IterableIterator<Flow> {
    for (let f = this.lruHead; f !== null; f = f.lruNext) yield f;
  }
}
