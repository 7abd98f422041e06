import { DecodedPacket, DecodeStatus } from '../capture/decoded-packet';
import { PacketDecoder, Decap } from '../capture/decoder';
import { isSupportedLinkType } from '../capture/link-types';
import type { PacketSink } from '../capture/capture-file';
import { FlowTable, FlowExporter, FlowEndReason } from './flow-table';
import { FragmentTracker } from './fragment-tracker';
import { Flow } from './flow';
import { KnowledgeBuilder } from './kb-builder';
import { KbBatch, KbOp } from './kb-updates';
import { Signalling } from '../dissectors/signalling';
import { classifyByProtocol, classifyPacket, guessByPort, MAX_INSPECTED_PACKETS } from '../dissectors/classifier';
import { ServiceDissectors } from '../dissectors/services';

const DNS_PORT = 53;
const IPPROTO_UDP = 17;
const DNS_HEADER_BYTES = 12;

/** Where knowledge-base batches go: the store on the main thread, or a worker's postMessage. */
export interface KnowledgeSink {
  builder: KnowledgeBuilder;
  /** Flush interval in µs of pipeline time (packet time for files). */
  flushIntervalUs: number;
  /**
   * Least wall-clock time between two flushes. A file read faster than real
   * time covers many packet-time intervals per millisecond; merging them keeps
   * the update stream (and the store's work) proportional to wall time.
   */
  minFlushWallMs: number;
  emit(batch: KbBatch): void;
}

export interface PipelineOptions {
  idleTimeoutSec: number;
  activeTimeoutSec: number;
  maxFlows: number;
  decap: number;
  tcpCloseLingerSec: number;
  /** This probe's name, carried in events.user. */
  probeName: string;
  /** Mobile subscribers are named by IMSI or by MSISDN (--user-id). */
  userId: 'imsi' | 'msisdn';
  /** One flow record per DNS transaction (--dns-subflows). */
  dnsSubflows: boolean;
  /**
   * With several pipeline workers, this one's place among them: its flow
   * ids are index + k·count, and only the first writes subscriber keys and
   * events. Which packets it gets is the distributor's choice
   * (packet-distributor.ts). Absent: the only pipeline.
   */
  partition?: { index: number; count: number };
}

export const DEFAULT_PIPELINE_OPTIONS: PipelineOptions = {
  idleTimeoutSec: 30,
  activeTimeoutSec: 120,
  maxFlows: 1_000_000,
  decap: Decap.All,
  tcpCloseLingerSec: 2,
  probeName: 'probe',
  userId: 'imsi',
  dnsSubflows: false,
};

/** Counters of the packet path, served as stats.* and INFO probe. */
export class PipelineStats {
  packets = 0;
  /** Frame bytes on the wire. */
  bytes = 0;
  ipPackets = 0;
  nonIp = 0;
  malformed = 0;
  unsupportedLink = 0;
  fragments = 0;
  /** Later fragments whose first fragment was never seen. */
  orphanFragments = 0;
  tunnelled = 0;
}

/** Expiry is checked at most this often (packet time for files). */
export const EXPIRY_STEP_US = 1e6;
/** A flush happens early once this many flows wait: batches (and the time to build them) stay small. */
const FLUSH_PENDING_FLOWS = 256;

/** Records exported per expiry call, so a jump in time spreads its exports over packets. */
const EXPIRY_BUDGET = 256;

/**
 * Packets in, flow records out: decoding, fragment attribution and the flow
 * cache. It holds no I/O and no server state, so the same object runs in the
 * main thread or inside a worker_thread.
 */
export class PacketPipeline {
  readonly stats = new PipelineStats();
  readonly table: FlowTable;
  private readonly decoder: PacketDecoder;
  private readonly packet = new DecodedPacket();
  private readonly fragments = new FragmentTracker();
  private readonly warnedLinkTypes = new Set<number>();
  private nowUs = 0;
  private nextExpiryUs = 0;
  private nextFlushUs = 0;
  private lastFlushWallMs = 0;
  private lastSignallingFlushWallMs = 0;
  /** A knowledge-base flush is due: the reader should end its slice and call flushIfDue(). */
  flushDue = false;
  private readonly kb: KnowledgeSink | null;
  /** RADIUS and GTP-C: who is behind addresses and tunnels. */
  readonly signalling: Signalling;
  /** DNS, HTTP, TLS/QUIC and SIP fields and host counters. */
  readonly services: ServiceDissectors;
  private readonly dnsSubflows: boolean;

  constructor(opts: PipelineOptions, exporter: FlowExporter, private readonly warn: (message: string) => void = () => {}, kb: KnowledgeSink | null = null) {
    this.kb = kb;
    const emit = kb !== null ? (op: KbOp) => kb.builder.push(op) : () => {};
    const partIndex = opts.partition?.index ?? 0;
    const partCount = opts.partition?.count ?? 1;
    // Every worker reads all signalling, so each knows every subscriber; the first one alone writes keys and events.
    const signalling = new Signalling({ probe: opts.probeName, userId: opts.userId }, partIndex === 0 ? emit : () => {});
    this.signalling = signalling;
    if (kb !== null) kb.builder.subscribers = signalling;
    const services = new ServiceDissectors(emit);
    this.services = services;
    this.dnsSubflows = opts.dnsSubflows;
    if (kb !== null) kb.builder.sipCalls = services.sip;
    const exportFlow = exporter;
    exporter = (flow, reason) => {
      signalling.attribute(flow);
      // Media that started before the SDP announcing it was seen.
      if (flow.protocol === IPPROTO_UDP && flow.service?.sipCallId == null && services.sip.hasMedia) services.attachMedia(flow);
      // Still unknown at its end: the well-known port, marked as a guess. (Not at an
      // active-timeout export: the flow goes on and its payload may still tell.)
      if (flow.appId === 0 && reason !== FlowEndReason.ActiveTimeout) guessByPort(flow);
      // A record's last deltas reach the knowledge base before the record is exported.
      if (kb !== null) kb.builder.flowEnded(flow, reason);
      exportFlow(flow, reason);
    };
    this.decoder = new PacketDecoder(opts.decap);
    this.table = new FlowTable({
      idleTimeoutUs: opts.idleTimeoutSec * 1e6,
      activeTimeoutUs: opts.activeTimeoutSec * 1e6,
      maxFlows: opts.maxFlows,
      tcpCloseLingerUs: opts.tcpCloseLingerSec * 1e6,
      idIndex: partIndex,
      idCount: partCount,
    }, exporter);
  }

  /** Current time of the pipeline: the latest packet time (or clock tick) seen. */
  get now(): number {
    return this.nowUs;
  }

  /** Packet time moves on to `tsMicros` (if later): timeouts and flushes fall due as packets would make them. */
  readonly advance = (tsMicros: number): void => {
    if (tsMicros > this.nowUs) this.nowUs = tsMicros;
    const now = this.nowUs;
    if (now >= this.nextExpiryUs) {
      // More due than one step's budget: carry on at the next packet.
      this.nextExpiryUs = this.table.expire(now, EXPIRY_BUDGET) ? now : now + EXPIRY_STEP_US;
    }
    // The flush itself runs between slices of packet work (flushIfDue), so that a
    // slice and a flush never add up in one event-loop turn.
    if (now >= this.nextFlushUs || (this.kb !== null && this.kb.builder.pendingFlows >= FLUSH_PENDING_FLOWS)) this.flushDue = true;
  };

  readonly onPacket: PacketSink = (buf, off, capLen, wireLen, tsMicros, linkType) => {
    const stats = this.stats;
    this.advance(tsMicros);
    const now = this.nowUs;
    const p = this.packet;
    const status = this.decoder.decode(buf, off, capLen, wireLen, linkType, p);
    if (status !== DecodeStatus.Ok) {
      stats.packets++;
      stats.bytes += wireLen;
      if (status === DecodeStatus.Malformed) stats.malformed++;
      else if (status === DecodeStatus.NonIp) stats.nonIp++;
      else this.unsupported(linkType);
      return;
    }
    stats.packets++;
    stats.bytes += wireLen;
    stats.ipPackets++;
    if (p.tunnel !== 0) stats.tunnelled++;
    // --dns-subflows: the transaction id is part of a DNS flow's key, so each query and its answer are one record.
    if (this.dnsSubflows && p.protocol === IPPROTO_UDP && (p.srcPort === DNS_PORT || p.dstPort === DNS_PORT) && p.payloadLength >= DNS_HEADER_BYTES) {
      p.subKey = ((buf[p.payloadOffset] << 8) | buf[p.payloadOffset + 1]) + 1;
    }
    if (p.isFragment) {
      stats.fragments++;
      if (p.isLaterFragment) {
        const flow = this.fragments.lookup(p, now);
        if (flow !== null) {
          // An outer fragment of a tunnel adds frame bytes only: its inner packet
          // was counted whole (packets and IP bytes) with the first fragment.
          const outer = this.fragments.foundOuter;
          this.table.accountLaterFragment(flow, this.fragments.foundForward, p, now, !outer, outer ? 0 : p.ipLength);
          if (this.kb !== null && !flow.kbDirty) this.kb.builder.markDirty(flow);
          return;
        }
        stats.orphanFragments++;
      }
    }
    const flow = this.table.update(p, now, true, p.ipLength);
    if (this.kb !== null && !flow.kbDirty) this.kb.builder.markDirty(flow);
    if (flow.appId === 0) {
      if (flow.packets + flow.packetsR === 1) classifyByProtocol(flow, p.ipVersion);
      if (flow.appId === 0 && p.payloadLength > 0 && flow.appPackets < MAX_INSPECTED_PACKETS) {
        classifyPacket(flow, this.table.lastForward, buf, p.payloadOffset, p.payloadLength);
      }
      // A new UDP flow on media endpoints a SIP call announced carries the call's id.
      if (p.protocol === IPPROTO_UDP && flow.packets + flow.packetsR === 1 && this.services.sip.hasMedia) this.services.attachMedia(flow);
    }
    if (p.payloadLength > 0 && this.services.wants(flow)) {
      this.services.packet(flow, this.table.lastForward, p, buf, now);
      // The transaction is answered: its record goes out after the linger (retransmitted answers join it).
      if (flow.subKey !== 0 && flow.service !== null && flow.service.dnsResponseCode >= 0) this.table.endSoon(flow, now);
    }
    if (p.protocol === 17 && p.payloadLength > 0 && this.signalling.udp(p, buf, flow, now)) this.flushSignalling();
    // A new flow is attributed while its user is connected (later lookups happen at flushes and export).
    if (flow.subscriberGen < 0 && this.signalling.attributing) {
      this.signalling.tick(now);
      this.signalling.attribute(flow);
    }
    if (flow.srcMacHi < 0 && p.ethOffset >= 0) this.noteMacs(flow, buf, p.ethOffset, this.table.lastForward);
    if (p.isFragment) {
      if (p.isLaterFragment) {
        if (this.table.lastForward) this.fragments.rememberOrphan(p, flow, now);
      } else {
        const forward = this.table.lastForward;
        const orphans = this.fragments.takeOrphans(p);
        if (orphans !== null && orphans !== flow) {
          // Fragments that overtook their first one move to the right flow.
          const f = this.fragments;
          this.table.transfer(orphans, flow, forward, f.orphanPacketsFound, f.orphanIpBytesFound, f.orphanL2BytesFound);
          stats.orphanFragments -= f.orphanPacketsFound;
        }
        this.fragments.remember(p, flow, forward, now);
      }
    }
  };

  /**
   * Another worker's packet that carries RADIUS, GTP-C or SIP (several
   * workers): it updates this worker's subscribers and calls, not its flows.
   */
  readonly onForeignPacket: PacketSink = (buf, off, capLen, wireLen, tsMicros, linkType) => {
    this.advance(tsMicros);
    const p = this.packet;
    if (this.decoder.decode(buf, off, capLen, wireLen, linkType, p) !== DecodeStatus.Ok || p.protocol !== IPPROTO_UDP || p.payloadLength === 0) return;
    if (this.signalling.foreignUdp(p, buf, this.nowUs)) this.flushSignalling();
    else this.services.foreignSip(buf, p.payloadOffset, p.payloadLength, this.nowUs);
  };

  private noteMacs(flow: Flow, buf: Uint8Array, eth: number, forward: boolean): void {
    const dstHi = (buf[eth] << 8) | buf[eth + 1];
    const dstLo = ((buf[eth + 2] << 24) | (buf[eth + 3] << 16) | (buf[eth + 4] << 8) | buf[eth + 5]) >>> 0;
    const srcHi = (buf[eth + 6] << 8) | buf[eth + 7];
    const srcLo = ((buf[eth + 8] << 24) | (buf[eth + 9] << 16) | (buf[eth + 10] << 8) | buf[eth + 11]) >>> 0;
    if (forward) {
      flow.srcMacHi = srcHi; flow.srcMacLo = srcLo; flow.dstMacHi = dstHi; flow.dstMacLo = dstLo;
    } else {
      flow.srcMacHi = dstHi; flow.srcMacLo = dstLo; flow.dstMacHi = srcHi; flow.dstMacLo = srcLo;
    }
  }

  private unsupported(linkType: number): void {
    this.stats.unsupportedLink++;
    if (!this.warnedLinkTypes.has(linkType)) {
      this.warnedLinkTypes.add(linkType);
      this.warn(isSupportedLinkType(linkType)
        ? `link type ${linkType}: frame not decodable, skipped`
        : `link type ${linkType} is not supported: its packets are counted and skipped`);
    }
  }

  /** Runs a flush that packets made due (at the start of a slice of packet work). */
  flushIfDue(): void {
    if (!this.flushDue) return;
    this.flushDue = false;
    this.flushKnowledge(false);
  }

  /** Sends what the flows did since the last flush to the knowledge base. */
  flushKnowledge(force = true): void {
    const kb = this.kb;
    if (kb === null) return;
    this.nextFlushUs = this.nowUs + kb.flushIntervalUs;
    const wall = Date.now();
    if (!force && wall - this.lastFlushWallMs < kb.minFlushWallMs && kb.builder.pendingFlows < FLUSH_PENDING_FLOWS) return;
    this.lastFlushWallMs = wall;
    this.signalling.tick(this.nowUs);
    const batch = kb.builder.flush(this.nowUs);
    if (batch !== null) kb.emit(batch);
  }

  /**
   * Subscriber changes reach the store at once, not at the next flush
   * interval (wire-to-event latency), at most one batch per millisecond.
   */
  private flushSignalling(): void {
    const kb = this.kb;
    if (kb === null || !kb.builder.hasOps) return;
    const wall = Date.now();
    if (wall - this.lastSignallingFlushWallMs < 1) return;
    this.lastSignallingFlushWallMs = wall;
    const batch = kb.builder.takeOps(this.nowUs);
    if (batch !== null) kb.emit(batch);
  }

  /** Advances time without a packet (live capture on a quiet link). */
  tick(nowUs: number): void {
    if (nowUs > this.nowUs) this.nowUs = nowUs;
    this.table.expire(this.nowUs);
    this.nextExpiryUs = this.nowUs + EXPIRY_STEP_US;
    this.flushKnowledge();
  }

  /**
   * Exports up to `max` remaining flows and flushes their updates; true while
   * flows remain. Lets the end of a large capture proceed in slices.
   */
  finishSome(max: number): boolean {
    const more = this.table.flushSome(max, FlowEndReason.ForcedEnd);
    this.flushKnowledge();
    return more;
  }

  /** Exports every remaining flow: end of capture or shutdown. */
  finish(): void {
    this.table.flushAll(FlowEndReason.ForcedEnd);
    this.flushKnowledge();
  }
}
