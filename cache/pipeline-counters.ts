import type { PacketPipeline } from './packet-pipeline';
import type { LiveStats } from '../capture/live-capture';

/**
 * The packet path's counters as a flat array of numbers: the pipeline writes
 * them (into a SharedArrayBuffer when it runs in a worker_thread), the main
 * thread reads them for INFO probe and stats.* without any message passing.
 * Indices are fixed here, once.
 */
export const enum Counter {
  Packets,
  Bytes,
  IpPackets,
  NonIp,
  Malformed,
  UnsupportedLink,
  Fragments,
  OrphanFragments,
  Tunnelled,
  FlowsActive,
  FlowsCreated,
  FlowsExported,
  FlowsEvicted,
  /** Capture bytes read so far (progress). */
  BytesRead,
  RadiusMessages,
  RadiusMalformed,
  GtpcMessages,
  GtpcMalformed,
  /** Subscribers known now (RADIUS users and mobile sessions), and connects/disconnects so far. */
  Users,
  UserConnects,
  UserDisconnects,
  /** Questions asked of the cloud, and those it answered with a user. */
  CloudLookups,
  CloudHits,
  /** Service dissectors (dissectors/services.ts). */
  DnsMessages,
  DnsMalformed,
  HttpRequests,
  HttpResponses,
  TlsHellos,
  QuicHellos,
  QuicUndecrypted,
  SipMessages,
  SipMalformed,
  SipCalls,
  /** NetFlow/IPFIX export, summed over the collectors (export/flow-exporter.ts). */
  ExportMessages,
  ExportRecords,
  ExportRecordsLost,
  /** Live capture: libpcap's pcap_stats(), summed over the interfaces. */
  PcapReceived,
  PcapDropped,
  PcapIfDropped,
  Count,
}

export function newCounterArray(shared = false): Float64Array {
  const bytes = Counter.Count * Float64Array.BYTES_PER_ELEMENT;
  return new Float64Array(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
}

/** Copies the pipeline's counters into `out` (a handful of stores: cheap enough for every slice). */
export function writeCounters(pipeline: PacketPipeline, out: Float64Array): void {
  const s = pipeline.stats;
  const t = pipeline.table;
  out[Counter.Packets] = s.packets;
  out[Counter.Bytes] = s.bytes;
  out[Counter.IpPackets] = s.ipPackets;
  out[Counter.NonIp] = s.nonIp;
  out[Counter.Malformed] = s.malformed;
  out[Counter.UnsupportedLink] = s.unsupportedLink;
  out[Counter.Fragments] = s.fragments;
  out[Counter.OrphanFragments] = s.orphanFragments;
  out[Counter.Tunnelled] = s.tunnelled;
  out[Counter.FlowsActive] = t.size;
  out[Counter.FlowsCreated] = t.created;
  out[Counter.FlowsExported] = t.exported;
  out[Counter.FlowsEvicted] = t.evicted;
  const sig = pipeline.signalling;
  out[Counter.RadiusMessages] = sig.radius.messages;
  out[Counter.RadiusMalformed] = sig.radius.malformed;
  out[Counter.GtpcMessages] = sig.gtpc.messages;
  out[Counter.GtpcMalformed] = sig.gtpc.malformed;
  out[Counter.Users] = sig.users.size;
  out[Counter.UserConnects] = sig.users.connects;
  out[Counter.UserDisconnects] = sig.users.disconnects;
  out[Counter.CloudLookups] = sig.lookups;
  out[Counter.CloudHits] = sig.lookupHits;
  const svc = pipeline.services.stats;
  out[Counter.DnsMessages] = svc.dnsMessages;
  out[Counter.DnsMalformed] = svc.dnsMalformed;
  out[Counter.HttpRequests] = svc.httpRequests;
  out[Counter.HttpResponses] = svc.httpResponses;
  out[Counter.TlsHellos] = svc.tlsHellos;
  out[Counter.QuicHellos] = svc.quicHellos;
  out[Counter.QuicUndecrypted] = svc.quicUndecrypted;
  out[Counter.SipMessages] = svc.sipMessages;
  out[Counter.SipMalformed] = svc.sipMalformed;
  out[Counter.SipCalls] = pipeline.services.sip.active;
}

/** libpcap's counts (pcap_stats, summed over the interfaces) into the counters. */
export function writePcapCounters(s: LiveStats, out: Float64Array): void {
  out[Counter.PcapReceived] = s.received;
  out[Counter.PcapDropped] = s.dropped;
  out[Counter.PcapIfDropped] = s.ifDropped;
}
