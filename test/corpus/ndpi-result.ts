/**
 * Parser for nDPI's regression-test output (`ndpiReader ... -w FILE.out`), as
 * stored in nDPI's tests/cfgs/.../result/<capture>.out.
 *
 * A flow line looks like
 *
 *   \t1\tTCP 192.168.2.126:45380 <-> 161.117.13.29:80 [VLAN: 7][proto: 7.295/HTTP.1kxun]...
 *       [7 pkts/4845 bytes <-> 73 pkts/178280 bytes]...
 *   \t3\tESP [2a01:...]:0 -> [2001:...]:0 [VLAN: 121][proto: GTP:79/IPSec]...
 *
 * The left endpoint is nDPI's flow "source" (the sender of the first packet
 * it saw); "->" means the right side sent nothing. Byte counts are frame bytes
 * (pcap original length). Detected flows are listed first, then (after a line
 * "Undetected flows:") the unknown ones, numbered again from 1; each flow is
 * listed exactly once. Other tab-indented numbered lines (e.g. "JA3 Host
 * Stats") start with a space after the number and are not flows.
 *
 * The per-protocol table ("HTTP\t249\t355379\t34": packets, bytes, flows)
 * counts every packet nDPI put into a flow, including flows its idle scan
 * purged before the end (those are not listed), so its sum is the number of
 * packets nDPI accounted for.
 */
import { readFileSync } from 'node:fs';
import { normalizeIp } from './ip';

/** ndpiReader's ipProto2Name() and the reverse. */
export const IP_PROTO_BY_NAME: Readonly<Record<string, number>> = {
  ICMP: 1,
  IGMP: 2,
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  GRE: 47,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  OSPF: 89,
  PIM: 103,
  VRRP: 112,
  PGM: 113,
  SCTP: 132,
};

export function ipProtoNumber(name: string): number | null {
  if (/^\d+$/.test(name)) {
    const n = Number(name);
    return n <= 255 ? n : null;
  }
  const n = IP_PROTO_BY_NAME[name.toUpperCase()];
  return n === undefined ? null : n;
}

export interface NdpiFlow {
  /** Line number (1-based) in the .out file. */
  line: number;
  /** Number nDPI gave the flow in its list (restarts in "Undetected flows"). */
  index: number;
  protoName: string;
  protocol: number;
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  /** "<->" in the listing: the right side sent packets too. */
  bidirectional: boolean;
  /** Innermost VLAN id, 0 when nDPI printed none. */
  vlan: number;
  /** Tunnel nDPI decapsulated ("GTP", "CAPWAP", "TZSP", "GRE"...), if any. */
  tunnel?: string;
  /** Numeric protocol ids as printed, e.g. "7.295". */
  protoIds: string;
  /** Master protocol ("TLS" for "TLS.Microsoft"); equals app when there is no master. */
  master: string;
  /** Application protocol ("Microsoft" for "TLS.Microsoft", "HTTP" for "HTTP"). */
  app: string;
  /** Full name as printed ("TLS.Microsoft"). */
  protoLabel: string;
  srcPkts: number;
  srcBytes: number;
  dstPkts: number;
  dstBytes: number;
  /** True when listed under "Undetected flows:". */
  undetected: boolean;
}

export interface NdpiProtoRow {
  name: string;
  packets: number;
  bytes: number;
  flows: number;
}

export interface NdpiResult {
  /** Path of the .out file. */
  file: string;
  flows: NdpiFlow[];
  /** Rows of the per-protocol table. */
  protocols: NdpiProtoRow[];
  /** Sum of the per-protocol table (packets nDPI put into flows), if the table is there. */
  totalPackets?: number;
  totalBytes?: number;
  totalFlows?: number;
  /** Lines that looked like flows but could not be parsed (line number and text). */
  unparsed: { line: number; text: string }[];
}

const ADDR = String.raw`(\[[0-9A-Fa-f:.%]+\]|[0-9.]+)`;
const FLOW_RE = new RegExp(
  String.raw`^\t(\d+)\t(\S+) ${ADDR}:(\d+) (<->|->|<-) ${ADDR}:(\d+)(?: (.*))?$`,
);
const COUNTS_RE = /\[(\d+) pkts\/(\d+) bytes (<->|->|<-) (\d+) pkts\/(\d+) bytes\]/;
const VLAN_RE = /\[VLAN: (\d+)\]/;
const PROTO_RE = /\[proto: (?:([A-Za-z0-9_]+):)?([0-9.]+)\/([^\]]*)\]/;
const PROTO_TABLE_RE = /^(\S+)\t(\d+)\t(\d+)\t(\d+)\s*$/;

function stripBrackets(a: string): string {
  return a.startsWith('[') ? a.slice(1, -1) : a;
}

/** Parses one flow line (without the trailing newline); null if it is not a flow line. */
export function parseNdpiFlowLine(text: string, line = 0, undetected = false): NdpiFlow | null {
  const m = FLOW_RE.exec(text);
  if (!m) return null;
  const protocol = ipProtoNumber(m[2]);
  if (protocol === null) return null;
  const rest = m[8] ?? '';
  const c = COUNTS_RE.exec(rest);
  if (!c) return null;
  const vlan = VLAN_RE.exec(rest);
  const p = PROTO_RE.exec(rest);
  const label = p ? p[3] : 'Unknown';
  const dot = label.indexOf('.');
  const master = dot > 0 ? label.slice(0, dot) : label;
  const app = dot > 0 ? label.slice(dot + 1) : label;
  let srcPkts = Number(c[1]);
  let srcBytes = Number(c[2]);
  let dstPkts = Number(c[4]);
  let dstBytes = Number(c[5]);
  let srcIp = normalizeIp(stripBrackets(m[3]));
  let srcPort = Number(m[4]);
  let dstIp = normalizeIp(stripBrackets(m[6]));
  let dstPort = Number(m[7]);
  if (m[5] === '<-') {
    // Not printed by the versions we know, but keep "left = source" honest.
    [srcIp, dstIp] = [dstIp, srcIp];
    [srcPort, dstPort] = [dstPort, srcPort];
    [srcPkts, dstPkts] = [dstPkts, srcPkts];
    [srcBytes, dstBytes] = [dstBytes, srcBytes];
  }
  const flow: NdpiFlow = {
    line,
    index: Number(m[1]),
    protoName: m[2],
    protocol,
    srcIp,
    srcPort,
    dstIp,
    dstPort,
    bidirectional: m[5] === '<->',
    vlan: vlan ? Number(vlan[1]) : 0,
    protoIds: p ? p[2] : '0',
    master,
    app,
    protoLabel: label,
    srcPkts,
    srcBytes,
    dstPkts,
    dstBytes,
    undetected,
  };
  if (p && p[1]) flow.tunnel = p[1];
  return flow;
}

/** Parses the text of a .out file. */
export function parseNdpiResultText(text: string, file = '<text>'): NdpiResult {
  const res: NdpiResult = { file, flows: [], protocols: [], unparsed: [] };
  const lines = text.split('\n');
  let undetected = false;
  let inProtoTable = false;
  let sawProtoTable = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    if (raw === 'Undetected flows:') {
      undetected = true;
      continue;
    }
    if (raw.startsWith('\t')) {
      if (!/^\t\d+\t\S/.test(raw)) continue; // table rows such as JA3 host stats
      const f = parseNdpiFlowLine(raw, i + 1, undetected);
      if (f) res.flows.push(f);
      else res.unparsed.push({ line: i + 1, text: raw });
      continue;
    }
    // The per-protocol table: a block of "Name\tpkts\tbytes\tflows" rows that
    // follows the "Patricia ..." / "Automa ..." statistics.
    const t = PROTO_TABLE_RE.exec(raw);
    if (t && !sawProtoTable) {
      inProtoTable = true;
      res.protocols.push({
        name: t[1],
        packets: Number(t[2]),
        bytes: Number(t[3]),
        flows: Number(t[4]),
      });
      continue;
    }
    if (inProtoTable && !t) {
      inProtoTable = false;
      sawProtoTable = true;
    }
  }
  if (res.protocols.length > 0) {
    res.totalPackets = res.protocols.reduce((a, r) => a + r.packets, 0);
    res.totalBytes = res.protocols.reduce((a, r) => a + r.bytes, 0);
    res.totalFlows = res.protocols.reduce((a, r) => a + r.flows, 0);
  }
  return res;
}

export function parseNdpiResultFile(path: string): NdpiResult {
  // latin1 keeps odd bytes in hostnames from turning into replacement characters.
  return parseNdpiResultText(readFileSync(path, 'latin1'), path);
}
