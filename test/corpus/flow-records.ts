/**
 * Reading the probe's JSON-lines flow export (field names from DESIGN.md,
 * "Flow records") into a flat, normalised shape for the corpus comparisons.
 */
import { readFileSync } from 'node:fs';
import { normalizeIp } from './ip';

export interface OurFlow {
  /** Line number (1-based) in the JSON-lines file. */
  line: number;
  protocol: number;
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  vlan: number;
  pkts: number;
  /** IP bytes (octetDeltaCount). */
  bytes: number;
  /** Frame bytes (layer2OctetDeltaCount); NaN when absent. */
  l2Bytes: number;
  rPkts: number;
  rBytes: number;
  rL2Bytes: number;
  start: number;
  end: number;
  endReason: number;
  app?: string;
  tunnel?: unknown;
  raw: Record<string, unknown>;
}

export interface OurFlowsFile {
  flows: OurFlow[];
  /** Lines that were not JSON objects with the required fields. */
  badLines: { line: number; text: string; why: string }[];
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN;
}

/** Converts one parsed JSON record; returns a reason string if it lacks required fields. */
export function toOurFlow(o: Record<string, unknown>, line = 0): OurFlow | string {
  const src = o.sourceIPv4Address ?? o.sourceIPv6Address;
  const dst = o.destinationIPv4Address ?? o.destinationIPv6Address;
  if (typeof src !== 'string' || typeof dst !== 'string') return 'no source/destination address';
  const protocol = num(o.protocolIdentifier);
  if (!Number.isInteger(protocol)) return 'no protocolIdentifier';
  const f: OurFlow = {
    line,
    protocol,
    srcIp: normalizeIp(src),
    srcPort: num(o.sourceTransportPort ?? 0),
    dstIp: normalizeIp(dst),
    dstPort: num(o.destinationTransportPort ?? 0),
    vlan: num(o.vlanId ?? 0),
    pkts: num(o.packetDeltaCount ?? 0),
    bytes: num(o.octetDeltaCount ?? 0),
    l2Bytes: num(o.layer2OctetDeltaCount),
    rPkts: num(o.reversePacketDeltaCount ?? 0),
    rBytes: num(o.reverseOctetDeltaCount ?? 0),
    rL2Bytes: num(o.reverseLayer2OctetDeltaCount ?? (num(o.reversePacketDeltaCount ?? 0) === 0 ? 0 : undefined)),
    start: num(o.flowStartMilliseconds),
    end: num(o.flowEndMilliseconds),
    endReason: num(o.flowEndReason),
    raw: o,
  };
  if (typeof o.applicationName === 'string') f.app = o.applicationName;
  if (o.tunnel !== undefined) f.tunnel = o.tunnel;
  return f;
}

export function parseOurFlowsText(text: string): OurFlowsFile {
  const res: OurFlowsFile = { flows: [], badLines: [] };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t === '') continue;
    let o: unknown;
    try {
      o = JSON.parse(t);
    } catch {
      res.badLines.push({ line: i + 1, text: t.slice(0, 200), why: 'not JSON' });
      continue;
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) {
      res.badLines.push({ line: i + 1, text: t.slice(0, 200), why: 'not an object' });
      continue;
    }
    const f = toOurFlow(o as Record<string, unknown>, i + 1);
    if (typeof f === 'string') res.badLines.push({ line: i + 1, text: t.slice(0, 200), why: f });
    else res.flows.push(f);
  }
  return res;
}

export function readOurFlowsFile(path: string): OurFlowsFile {
  return parseOurFlowsText(readFileSync(path, 'utf8'));
}

/** Short human-readable form of one of our records. */
export function describeOurFlow(f: OurFlow): string {
  const ep = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
  return (
    `#${f.line} proto ${f.protocol} ${ep(f.srcIp, f.srcPort)} -> ${ep(f.dstIp, f.dstPort)}` +
    (f.vlan ? ` vlan ${f.vlan}` : '') +
    ` [${f.pkts} pkts/${f.l2Bytes} frame bytes (${f.bytes} IP) <-> ${f.rPkts} pkts/${f.rL2Bytes} frame bytes (${f.rBytes} IP)]` +
    ` end ${f.endReason}` +
    (f.tunnel !== undefined ? ` tunnel ${JSON.stringify(f.tunnel)}` : '') +
    (f.app ? ` app ${f.app}` : '')
  );
}
