import { Flow } from '../cache/flow';
import { FlowEndReason } from '../cache/flow-table';
import { TunnelType, TUNNEL_NAMES } from '../capture/decoded-packet';
import { addressText, ipv4Text, ipv6Text, macText } from './address-text';
import type { Subscriber } from '../dissectors/subscriber-directory';
import { APP_NAMES } from '../dissectors/classifier';
import type { FlowService } from '../dissectors/flow-service';
import { tlsVersionName } from '../dissectors/tls';

/**
 * The exported form of a flow, keyed by IANA IPFIX information-element names
 * (RFC 7012) and RFC 5103 reverse names (DESIGN.md, "Flow records"). The same
 * object feeds JSON lines, events.flow and, later, NetFlow/IPFIX.
 */
export interface FlowRecord {
  flowId: number;
  sourceIPv4Address?: string;
  destinationIPv4Address?: string;
  sourceIPv6Address?: string;
  destinationIPv6Address?: string;
  sourceTransportPort: number;
  destinationTransportPort: number;
  protocolIdentifier: number;
  ipVersion: number;
  vlanId: number;
  sourceMacAddress?: string;
  destinationMacAddress?: string;
  packetDeltaCount: number;
  octetDeltaCount: number;
  layer2OctetDeltaCount: number;
  reversePacketDeltaCount: number;
  reverseOctetDeltaCount: number;
  reverseLayer2OctetDeltaCount: number;
  tcpControlBits?: number;
  reverseTcpControlBits?: number;
  flowStartMilliseconds: number;
  flowEndMilliseconds: number;
  flowEndReason: FlowEndReason;
  tunnel?: Record<string, string | number>;
  [field: string]: unknown;
}

function outerAddress(flow: Flow, outer: Uint32Array | null, dst: boolean): string | undefined {
  if (outer === null) return undefined;
  const o = dst ? 4 : 0;
  return flow.tunnelOuterVersion === 4 ? ipv4Text(outer[o + 3]) : ipv6Text(outer[o], outer[o + 1], outer[o + 2], outer[o + 3]);
}

function tunnelRecord(flow: Flow): Record<string, string | number> {
  const t: Record<string, string | number> = { type: TUNNEL_NAMES[flow.tunnel] };
  const fwd = flow.tunnelOuterFwd;
  const rev = flow.tunnelOuterRev;
  switch (flow.tunnel) {
    case TunnelType.GtpU:
      // A G-PDU's TEID names the receiving endpoint: the outer destination.
      if (flow.tunnelIdFwdSeen) {
        t['teid.up'] = flow.tunnelIdFwd;
        t['node.up'] = outerAddress(flow, fwd, true) ?? '';
      }
      if (flow.tunnelIdRevSeen) {
        t['teid.down'] = flow.tunnelIdRev;
        t['node.down'] = outerAddress(flow, rev, true) ?? '';
      }
      return t;
    case TunnelType.Vxlan:
      t.vni = flow.tunnelIdFwdSeen ? flow.tunnelIdFwd : flow.tunnelIdRev;
      break;
    case TunnelType.Gre:
      if (flow.tunnelIdFwd !== 0 || flow.tunnelIdRev !== 0) t.key = flow.tunnelIdFwdSeen ? flow.tunnelIdFwd : flow.tunnelIdRev;
      break;
  }
  const src = outerAddress(flow, fwd ?? rev, fwd === null);
  const dst = outerAddress(flow, fwd ?? rev, fwd !== null);
  if (src !== undefined && dst !== undefined) {
    t.src = src;
    t.dst = dst;
  }
  return t;
}

export function flowToRecord(flow: Flow, reason: FlowEndReason): FlowRecord {
  const v4 = flow.ipVersion === 4;
  const src = addressText(flow.ipVersion, [flow.src0, flow.src1, flow.src2, flow.src3], 0);
  const dst = addressText(flow.ipVersion, [flow.dst0, flow.dst1, flow.dst2, flow.dst3], 0);
  const r: FlowRecord = {
    flowId: flow.id,
    ...(v4 ? { sourceIPv4Address: src, destinationIPv4Address: dst } : { sourceIPv6Address: src, destinationIPv6Address: dst }),
    sourceTransportPort: flow.srcPort,
    destinationTransportPort: flow.dstPort,
    protocolIdentifier: flow.protocol,
    ipVersion: flow.ipVersion,
    vlanId: flow.vlanId,
    packetDeltaCount: flow.packets,
    octetDeltaCount: flow.octets,
    layer2OctetDeltaCount: flow.l2Octets,
    reversePacketDeltaCount: flow.packetsR,
    reverseOctetDeltaCount: flow.octetsR,
    reverseLayer2OctetDeltaCount: flow.l2OctetsR,
    flowStartMilliseconds: Math.floor(flow.firstUs / 1000),
    flowEndMilliseconds: Math.floor(flow.lastUs / 1000),
    flowEndReason: reason,
  };
  if (flow.protocol === 6) {
    r.tcpControlBits = flow.tcpFlags;
    r.reverseTcpControlBits = flow.tcpFlagsR;
  }
  if (flow.srcMacHi >= 0) {
    r.sourceMacAddress = macText(flow.srcMacHi, flow.srcMacLo);
    r.destinationMacAddress = macText(flow.dstMacHi, flow.dstMacLo);
  }
  if (flow.tunnel !== TunnelType.None) r.tunnel = tunnelRecord(flow);
  if (flow.appId !== 0) {
    r.applicationName = APP_NAMES[flow.appId];
    // Decided by the port alone, not by what the packets carried.
    if (flow.appGuessed) r.applicationNameGuessed = true;
  }
  if (flow.service !== null) addServiceFields(r, flow.service);
  if (flow.subscriber !== null) addSubscriberFields(r, flow.subscriber);
  return r;
}

/** What the service dissectors found (DESIGN.md dissector fields); absent fields are left out. */
function addServiceFields(r: FlowRecord, s: FlowService): void {
  if (s.service !== null) r.applicationService = s.service;
  if (s.dnsQueryName !== null) {
    r.dnsQueryName = s.dnsQueryName;
    r.dnsQueryType = s.dnsQueryType;
  }
  if (s.dnsResponseCode >= 0) r.dnsResponseCode = s.dnsResponseCode;
  if (s.dnsTransactionId >= 0) r.dnsTransactionId = s.dnsTransactionId;
  if (s.httpMethod !== null) r.httpRequestMethod = s.httpMethod;
  if (s.httpHost !== null) r.httpRequestHost = s.httpHost;
  if (s.httpTarget !== null) r.httpRequestTarget = s.httpTarget;
  if (s.httpUserAgent !== null) r.httpUserAgent = s.httpUserAgent;
  if (s.httpStatusCode !== 0) r.httpStatusCode = s.httpStatusCode;
  if (s.httpServer !== null) r.httpServer = s.httpServer;
  if (s.os !== null) r.os = s.os;
  if (s.tlsServerName !== null) r.tlsServerName = s.tlsServerName;
  if (s.tlsAlpn !== null) r.tlsApplicationProtocols = s.tlsAlpn;
  if (s.tlsVersion !== 0) r.tlsVersion = tlsVersionName(s.tlsVersion);
  if (s.quicVersion !== 0) r.quicVersion = `0x${s.quicVersion.toString(16).padStart(8, '0')}`;
  if (s.sipCallId !== null) r.sipCallId = s.sipCallId;
  if (s.sipFrom !== null) r.sipFrom = s.sipFrom;
  if (s.sipTo !== null) r.sipTo = s.sipTo;
}

/** The user behind a flow: userName and, for mobile subscribers, what GTP-C told. */
export function addSubscriberFields(r: FlowRecord, sub: Subscriber): void {
  r.userName = sub.name;
  if (sub.imsi !== null) r.imsi = sub.imsi;
  if (sub.msisdn !== null) r.msisdn = sub.msisdn;
  if (sub.imei !== null) r.imei = sub.imei;
  if (sub.cell !== null) r.cellId = sub.cell;
  if (sub.apn !== null) r.apn = sub.apn;
}
