/**
 * Zeek conn.log (TSV with #fields header) parser, and conversion of Zeek's
 * connections into the reference-flow shape compare.ts works with.
 */
import { readFileSync } from 'node:fs';
import type { NdpiFlow } from './ndpi-result';
import { normalizeIp } from './ip';

export interface ZeekConn {
  line: number;
  uid: string;
  origH: string;
  origP: number;
  respH: string;
  respP: number;
  /** "tcp", "udp", "icmp" or "unknown_transport". */
  proto: string;
  service: string;
  origPkts: number;
  origIpBytes: number;
  respPkts: number;
  respIpBytes: number;
  tunnelParents: string[];
  history: string;
}

export interface ZeekLog {
  fields: string[];
  conns: ZeekConn[];
  /** Why the log cannot be used (required fields absent), if so. */
  unusable?: string;
}

export const REQUIRED_FIELDS = [
  'uid',
  'id.orig_h',
  'id.orig_p',
  'id.resp_h',
  'id.resp_p',
  'proto',
  'orig_pkts',
  'orig_ip_bytes',
  'resp_pkts',
  'resp_ip_bytes',
] as const;

/** Services Zeek gives to the outer connection of a tunnel it decapsulated. */
export const TUNNEL_SERVICES = new Set(['gtpv1', 'vxlan', 'ayiya', 'teredo', 'geneve']);

export function parseZeekConnText(text: string): ZeekLog {
  const log: ZeekLog = { fields: [], conns: [] };
  let sep = '\t';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    if (raw === '') continue;
    if (raw.startsWith('#separator')) {
      const m = /^#separator (.*)$/.exec(raw);
      if (m) sep = m[1].replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
      continue;
    }
    if (raw.startsWith('#fields')) {
      log.fields = raw.split(sep).slice(1);
      continue;
    }
    if (raw.startsWith('#')) continue;
    const cols = raw.split(sep);
    const get = (f: string): string => {
      const i = log.fields.indexOf(f);
      return i >= 0 && i < cols.length ? cols[i] : '-';
    };
    const n = (f: string): number => {
      const v = get(f);
      return v === '-' || v === '' ? 0 : Number(v);
    };
    if (log.fields.length === 0) continue;
    const tp = get('tunnel_parents');
    log.conns.push({
      line: i + 1,
      uid: get('uid'),
      origH: normalizeIp(get('id.orig_h')),
      origP: n('id.orig_p'),
      respH: normalizeIp(get('id.resp_h')),
      respP: n('id.resp_p'),
      proto: get('proto'),
      service: get('service'),
      origPkts: n('orig_pkts'),
      origIpBytes: n('orig_ip_bytes'),
      respPkts: n('resp_pkts'),
      respIpBytes: n('resp_ip_bytes'),
      tunnelParents: tp === '-' || tp === '(empty)' || tp === '' ? [] : tp.split(','),
      history: get('history'),
    });
  }
  const missing = REQUIRED_FIELDS.filter((f) => !log.fields.includes(f));
  if (log.fields.length === 0) log.unusable = 'no #fields header';
  else if (missing.length) log.unusable = `fields missing: ${missing.join(', ')}`;
  return log;
}

export function parseZeekConnFile(path: string): ZeekLog {
  return parseZeekConnText(readFileSync(path, 'utf8'));
}

export function ipProtocolOf(c: ZeekConn): number | null {
  const v6 = c.origH.includes(':');
  switch (c.proto) {
    case 'tcp':
      return 6;
    case 'udp':
      return 17;
    case 'icmp':
      return v6 ? 58 : 1;
    default:
      return null;
  }
}

/**
 * Splits a log into the connections to compare (the inner flows and plain
 * ones) and the outer tunnel connections we do not report: those whose uid
 * is another entry's tunnel parent, and those Zeek labels with a tunnel
 * service (a tunnel packet whose payload was not an IP flow).
 */
export function innerConns(log: ZeekLog): { inner: ZeekConn[]; outer: ZeekConn[]; other: ZeekConn[] } {
  const parents = new Set(log.conns.flatMap((c) => c.tunnelParents));
  const inner: ZeekConn[] = [];
  const outer: ZeekConn[] = [];
  const other: ZeekConn[] = [];
  for (const c of log.conns) {
    if (parents.has(c.uid) || c.service.split(',').some((s) => TUNNEL_SERVICES.has(s))) outer.push(c);
    else if (ipProtocolOf(c) === null) other.push(c);
    else inner.push(c);
  }
  return { inner, outer, other };
}

/** Zeek connection as a reference flow for compare.ts (byte counts are IP bytes). */
export function zeekToReference(c: ZeekConn): NdpiFlow {
  const protocol = ipProtocolOf(c) ?? 0;
  const ported = protocol === 6 || protocol === 17;
  return {
    line: c.line,
    index: 0,
    protoName: c.proto.toUpperCase(),
    protocol,
    srcIp: c.origH,
    srcPort: ported ? c.origP : 0,
    dstIp: c.respH,
    dstPort: ported ? c.respP : 0,
    bidirectional: c.respPkts > 0,
    vlan: 0,
    protoIds: '',
    master: c.service,
    app: c.service,
    protoLabel: `${c.uid} ${c.service}`,
    srcPkts: c.origPkts,
    srcBytes: c.origIpBytes,
    dstPkts: c.respPkts,
    dstBytes: c.respIpBytes,
    undetected: false,
  };
}

/**
 * Zeek keys ICMP "connections" by type/code as ports; we key ICMP by the
 * address pair only. Sums Zeek's ICMP entries per address pair (in the
 * orientation of the first one) so both sides count the same thing.
 */
export function mergeIcmpByAddresses(refs: NdpiFlow[]): NdpiFlow[] {
  const out: NdpiFlow[] = [];
  const byPair = new Map<string, NdpiFlow>();
  for (const r of refs) {
    if (r.protocol !== 1 && r.protocol !== 58) {
      out.push(r);
      continue;
    }
    const key = `${r.protocol}/${[r.srcIp, r.dstIp].sort().join('/')}`;
    const m = byPair.get(key);
    if (!m) {
      const copy = { ...r };
      byPair.set(key, copy);
      out.push(copy);
      continue;
    }
    const same = m.srcIp === r.srcIp;
    m.srcPkts += same ? r.srcPkts : r.dstPkts;
    m.srcBytes += same ? r.srcBytes : r.dstBytes;
    m.dstPkts += same ? r.dstPkts : r.srcPkts;
    m.dstBytes += same ? r.dstBytes : r.srcBytes;
    m.bidirectional = m.dstPkts > 0;
    m.protoLabel += ` + ${r.protoLabel}`;
  }
  return out;
}
