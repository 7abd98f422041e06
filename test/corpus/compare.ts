/**
 * Compares the probe's flow records with nDPI's flow list for one capture.
 *
 * Key: (IP protocol, VLAN, unordered endpoint pair). Ports are part of the
 * key for TCP and UDP only: nDPI prints 0 for every other protocol (ICMP,
 * SCTP, ESP...), so for those the key is the address pair.
 *
 * Counters compared per direction: packets and frame bytes (nDPI's "bytes"
 * are pcap original lengths; ours is layer2OctetDeltaCount). The comparison
 * is direction-aware: nDPI's left endpoint is its flow source, so our
 * counters are aligned by endpoint (our source == nDPI's source: forward
 * counters against nDPI's left side; otherwise reverse counters).
 *
 * nDPI keeps one entry per key for the whole capture; we may split a key into
 * several records (idle/active timeout, FIN/RST then a new SYN). So for each
 * nDPI flow we first look for one record with exactly equal counters, then
 * compare the per-key sum of our (remaining) records. Categories:
 *
 *   exact    one of our records has exactly nDPI's counters
 *   sum      the sum of our records for the key equals nDPI's counters
 *   swapped  counters equal once the two directions are exchanged (we put
 *            packets on the wrong side)
 *   pkts     packet counts differ (in either direction)
 *   bytes    packet counts equal, frame bytes differ
 *   vlan     no record with this key, but one with another VLAN id
 *   missing  no record with this key at all
 *
 * Our records whose key nDPI does not list are counted as "extra".
 */
import type { NdpiFlow } from './ndpi-result';
import type { OurFlow } from './flow-records';
import { describeOurFlow } from './flow-records';
import { parseIPv4, parseIPv6 } from './ip';

export type Category = 'exact' | 'sum' | 'swapped' | 'pkts' | 'bytes' | 'vlan' | 'missing';
export const CATEGORIES: readonly Category[] = ['exact', 'sum', 'swapped', 'pkts', 'bytes', 'vlan', 'missing'];
/** Categories counted as "found with exactly equal counters". */
export const EQUAL_CATEGORIES: readonly Category[] = ['exact', 'sum'];

export interface Counters {
  /** nDPI's left side (its source) -> right side. */
  fwdPkts: number;
  fwdBytes: number;
  revPkts: number;
  revBytes: number;
}

export interface FlowVerdict {
  ndpi: NdpiFlow;
  category: Category;
  /** Our counters aligned to nDPI's orientation (sum over the records used). */
  ours?: Counters;
  /** Our records considered for this nDPI flow. */
  records: OurFlow[];
  /** One-line explanation for non-exact verdicts. */
  detail?: string;
}

export type CategoryCounts = Record<Category, number>;

export interface FileComparison {
  name: string;
  ndpiFlows: number;
  ourRecords: number;
  counts: CategoryCounts;
  /** Our records whose key nDPI does not have. */
  extra: OurFlow[];
  verdicts: FlowVerdict[];
  /** Packets in nDPI's listed flows and in ours. */
  ndpiPackets: number;
  ourPackets: number;
}

export interface TotalComparison {
  files: number;
  ndpiFlows: number;
  ourRecords: number;
  counts: CategoryCounts;
  extra: number;
  ndpiPackets: number;
  ourPackets: number;
}

export function emptyCounts(): CategoryCounts {
  return { exact: 0, sum: 0, swapped: 0, pkts: 0, bytes: 0, vlan: 0, missing: 0 };
}

function hasPorts(protocol: number): boolean {
  return protocol === 6 || protocol === 17;
}

function endpoint(ip: string, port: number, protocol: number): string {
  return hasPorts(protocol) ? `${ip}|${port}` : ip;
}

function pairKey(protocol: number, a: string, b: string): string {
  return a < b ? `${protocol}/${a}/${b}` : `${protocol}/${b}/${a}`;
}

export function ndpiKey(f: NdpiFlow, withVlan = true): string {
  const k = pairKey(f.protocol, endpoint(f.srcIp, f.srcPort, f.protocol), endpoint(f.dstIp, f.dstPort, f.protocol));
  return withVlan ? `${f.vlan}/${k}` : k;
}

export function ourKey(f: OurFlow, withVlan = true): string {
  const k = pairKey(f.protocol, endpoint(f.srcIp, f.srcPort, f.protocol), endpoint(f.dstIp, f.dstPort, f.protocol));
  return withVlan ? `${f.vlan}/${k}` : k;
}

function ndpiCounters(n: NdpiFlow): Counters {
  return { fwdPkts: n.srcPkts, fwdBytes: n.srcBytes, revPkts: n.dstPkts, revBytes: n.dstBytes };
}

/** Our record's counters in nDPI's orientation (both orientations when the endpoints are equal). */
function aligned(n: NdpiFlow, r: OurFlow): Counters[] {
  const fwd: Counters = { fwdPkts: r.pkts, fwdBytes: r.l2Bytes, revPkts: r.rPkts, revBytes: r.rL2Bytes };
  const rev: Counters = { fwdPkts: r.rPkts, fwdBytes: r.rL2Bytes, revPkts: r.pkts, revBytes: r.l2Bytes };
  const s = endpoint(n.srcIp, n.srcPort, n.protocol);
  const d = endpoint(n.dstIp, n.dstPort, n.protocol);
  const rs = endpoint(r.srcIp, r.srcPort, r.protocol);
  if (s === d) return [fwd, rev];
  return rs === s ? [fwd] : [rev];
}

function add(a: Counters, b: Counters): Counters {
  return {
    fwdPkts: a.fwdPkts + b.fwdPkts,
    fwdBytes: a.fwdBytes + b.fwdBytes,
    revPkts: a.revPkts + b.revPkts,
    revBytes: a.revBytes + b.revBytes,
  };
}

function equal(a: Counters, b: Counters): boolean {
  return a.fwdPkts === b.fwdPkts && a.fwdBytes === b.fwdBytes && a.revPkts === b.revPkts && a.revBytes === b.revBytes;
}

function swappedEqual(a: Counters, b: Counters): boolean {
  return a.fwdPkts === b.revPkts && a.fwdBytes === b.revBytes && a.revPkts === b.fwdPkts && a.revBytes === b.fwdBytes;
}

export function fmtCounters(c: Counters): string {
  return `${c.fwdPkts} pkts/${c.fwdBytes} bytes <-> ${c.revPkts} pkts/${c.revBytes} bytes`;
}

/** Sum of our records in nDPI's orientation (first orientation for self-pairs). */
function sumAligned(n: NdpiFlow, recs: OurFlow[]): Counters {
  let c: Counters = { fwdPkts: 0, fwdBytes: 0, revPkts: 0, revBytes: 0 };
  for (const r of recs) c = add(c, aligned(n, r)[0]);
  return c;
}

function classifyDiff(n: NdpiFlow, ours: Counters): { category: Category; detail: string } {
  const want = ndpiCounters(n);
  if (swappedEqual(ours, want)) {
    return { category: 'swapped', detail: `directions swapped: ours ${fmtCounters(ours)} vs nDPI ${fmtCounters(want)}` };
  }
  if (ours.fwdPkts !== want.fwdPkts || ours.revPkts !== want.revPkts) {
    const dp = ours.fwdPkts + ours.revPkts - (want.fwdPkts + want.revPkts);
    return {
      category: 'pkts',
      detail: `packets ${dp > 0 ? `+${dp}` : dp}: ours ${fmtCounters(ours)} vs nDPI ${fmtCounters(want)}`,
    };
  }
  const db = ours.fwdBytes + ours.revBytes - (want.fwdBytes + want.revBytes);
  return {
    category: 'bytes',
    detail: `frame bytes ${Number.isNaN(db) ? 'absent' : db > 0 ? `+${db}` : db}: ours ${fmtCounters(ours)} vs nDPI ${fmtCounters(want)}`,
  };
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const g = m.get(k);
    if (g) g.push(it);
    else m.set(k, [it]);
  }
  return m;
}

export interface CompareOptions {
  /** Which of our byte counters to compare: frame bytes (nDPI) or IP bytes (Zeek's *_ip_bytes). */
  bytes?: 'l2' | 'ip';
  /** Leave the VLAN out of the key (the reference does not record it). */
  ignoreVlan?: boolean;
}

/**
 * Compares one capture's records with a reference flow list (nDPI's, or any
 * list converted to NdpiFlow: left side = reference's originator).
 */
export function compareFlows(name: string, oursIn: OurFlow[], ndpi: NdpiFlow[], opts: CompareOptions = {}): FileComparison {
  // Work on copies whose l2 fields carry the counter being compared.
  const ours =
    opts.bytes === 'ip' || opts.ignoreVlan
      ? oursIn.map((r) => ({
          ...r,
          l2Bytes: opts.bytes === 'ip' ? r.bytes : r.l2Bytes,
          rL2Bytes: opts.bytes === 'ip' ? r.rBytes : r.rL2Bytes,
          vlan: opts.ignoreVlan ? 0 : r.vlan,
        }))
      : oursIn;
  if (opts.ignoreVlan) ndpi = ndpi.map((n) => ({ ...n, vlan: 0 }));
  const counts = emptyCounts();
  const verdicts: FlowVerdict[] = [];
  const ourByKey = groupBy(ours, (r) => ourKey(r));
  const ndpiByKey = groupBy(ndpi, (n) => ndpiKey(n));
  const usedKeys = new Set<string>();
  const unmatched: NdpiFlow[] = [];

  for (const [key, nflows] of ndpiByKey) {
    const recs = ourByKey.get(key);
    if (!recs) {
      unmatched.push(...nflows);
      continue;
    }
    usedKeys.add(key);
    const free = new Set(recs);
    const rest: NdpiFlow[] = [];
    // 1. one record with exactly equal counters
    for (const n of nflows) {
      const want = ndpiCounters(n);
      const hit = [...free].find((r) => aligned(n, r).some((c) => equal(c, want)));
      if (hit) {
        free.delete(hit);
        verdicts.push({ ndpi: n, category: 'exact', ours: want, records: [hit] });
      } else rest.push(n);
    }
    // 2. per-key sum of the remaining records
    for (const n of rest) {
      const pool = rest.length === 1 ? [...free] : pickClosest(n, [...free]);
      const sum = sumAligned(n, pool);
      if (pool.length > 0 && equal(sum, ndpiCounters(n))) {
        verdicts.push({ ndpi: n, category: 'sum', ours: sum, records: pool, detail: `${pool.length} records add up` });
      } else if (pool.length === 0) {
        verdicts.push({ ndpi: n, category: 'missing', records: [], detail: 'records for this key all used by other nDPI flows' });
      } else {
        verdicts.push({ ndpi: n, ours: sum, records: pool, ...classifyDiff(n, sum) });
      }
      for (const r of pool) free.delete(r);
    }
  }

  // 3. keys we do not have: same endpoints on another VLAN, or missing
  const spareByKey = groupBy(
    ours.filter((r) => !usedKeys.has(ourKey(r))),
    (r) => ourKey(r, false),
  );
  const vlanUsed = new Set<string>();
  for (const n of unmatched) {
    const k = ndpiKey(n, false);
    const recs = spareByKey.get(k);
    if (recs) {
      vlanUsed.add(k);
      const sum = sumAligned(n, recs);
      verdicts.push({
        ndpi: n,
        category: 'vlan',
        ours: sum,
        records: recs,
        detail: `VLAN ours ${[...new Set(recs.map((r) => r.vlan))].join(',')} vs nDPI ${n.vlan}; counters ${equal(sum, ndpiCounters(n)) ? 'equal' : `ours ${fmtCounters(sum)} vs nDPI ${fmtCounters(ndpiCounters(n))}`}`,
      });
    } else {
      verdicts.push({ ndpi: n, category: 'missing', records: [] });
    }
  }
  // 4. nDPI sometimes prints an ambiguous IPv6 text ("2600:1901::7a0b::" for
  // 2600:1901:0:7a0b::): match such flows loosely against records left over.
  const looseUsed = new Set<OurFlow>();
  for (let i = 0; i < verdicts.length; i++) {
    const v = verdicts[i];
    if (v.category !== 'missing' || v.records.length > 0) continue;
    const n = v.ndpi;
    if (isValidIp(n.srcIp) && isValidIp(n.dstIp)) continue;
    const recs = ours.filter(
      (r) =>
        !looseUsed.has(r) &&
        !usedKeys.has(ourKey(r)) &&
        !vlanUsed.has(ourKey(r, false)) &&
        r.protocol === n.protocol &&
        r.vlan === n.vlan &&
        ((addrCompatible(n.srcIp, r.srcIp) && addrCompatible(n.dstIp, r.dstIp) && portsMatch(n, r, false)) ||
          (addrCompatible(n.srcIp, r.dstIp) && addrCompatible(n.dstIp, r.srcIp) && portsMatch(n, r, true))),
    );
    if (recs.length === 0) continue;
    for (const r of recs) looseUsed.add(r);
    const sum = recs
      .map((r) => looseAligned(n, r))
      .reduce(add, { fwdPkts: 0, fwdBytes: 0, revPkts: 0, revBytes: 0 });
    const note = `nDPI printed an ambiguous address (${n.srcIp} / ${n.dstIp}), matched loosely`;
    verdicts[i] = equal(sum, ndpiCounters(n))
      ? { ndpi: n, category: recs.length === 1 ? 'exact' : 'sum', ours: sum, records: recs, detail: note }
      : (() => {
          const d = classifyDiff(n, sum);
          return { ndpi: n, ours: sum, records: recs, category: d.category, detail: `${d.detail}; ${note}` };
        })();
  }

  for (const v of verdicts) counts[v.category]++;
  const extra = ours.filter((r) => !usedKeys.has(ourKey(r)) && !vlanUsed.has(ourKey(r, false)) && !looseUsed.has(r));
  verdicts.sort((a, b) => a.ndpi.line - b.ndpi.line);
  return {
    name,
    ndpiFlows: ndpi.length,
    ourRecords: ours.length,
    counts,
    extra,
    verdicts,
    ndpiPackets: ndpi.reduce((a, n) => a + n.srcPkts + n.dstPkts, 0),
    ourPackets: ours.reduce((a, r) => a + r.pkts + r.rPkts, 0),
  };
}

function isValidIp(a: string): boolean {
  return parseIPv4(a) !== null || parseIPv6(a) !== null;
}

/**
 * Whether nDPI's address text can denote our (canonical) address: equal, or
 * nDPI's text with several "::" each standing for one or more zero groups.
 */
export function addrCompatible(ndpiText: string, ours: string): boolean {
  if (ndpiText === ours) return true;
  if (!ndpiText.includes('::')) return false;
  const groups = parseIPv6(ours);
  if (!groups) return false;
  const segs = ndpiText.split('::').map((seg) => (seg === '' ? [] : seg.split(':').map((g) => parseInt(g, 16))));
  if (segs.some((seg) => seg.some((g) => Number.isNaN(g)))) return false;
  const match = (si: number, gi: number): boolean => {
    const seg = segs[si];
    for (let k = 0; k < seg.length; k++) if (groups[gi + k] !== seg[k]) return false;
    gi += seg.length;
    if (si === segs.length - 1) return gi === 8;
    // at least one zero group for the "::", then the next segment
    for (let z = gi; z < 8 && groups[z] === 0; z++) if (match(si + 1, z + 1)) return true;
    return false;
  };
  return match(0, 0);
}

function portsMatch(n: NdpiFlow, r: OurFlow, reversed: boolean): boolean {
  if (!hasPorts(n.protocol)) return true;
  return reversed ? n.srcPort === r.dstPort && n.dstPort === r.srcPort : n.srcPort === r.srcPort && n.dstPort === r.dstPort;
}

function looseAligned(n: NdpiFlow, r: OurFlow): Counters {
  const same = addrCompatible(n.srcIp, r.srcIp) && portsMatch(n, r, false);
  return same
    ? { fwdPkts: r.pkts, fwdBytes: r.l2Bytes, revPkts: r.rPkts, revBytes: r.rL2Bytes }
    : { fwdPkts: r.rPkts, fwdBytes: r.rL2Bytes, revPkts: r.pkts, revBytes: r.l2Bytes };
}

/** With several nDPI flows left on one key (rare), give each the single record closest in packets. */
function pickClosest(n: NdpiFlow, free: OurFlow[]): OurFlow[] {
  if (free.length === 0) return [];
  const want = n.srcPkts + n.dstPkts;
  let best = free[0];
  for (const r of free) {
    if (Math.abs(r.pkts + r.rPkts - want) < Math.abs(best.pkts + best.rPkts - want)) best = r;
  }
  return [best];
}

export function totals(files: FileComparison[]): TotalComparison {
  const t: TotalComparison = {
    files: files.length,
    ndpiFlows: 0,
    ourRecords: 0,
    counts: emptyCounts(),
    extra: 0,
    ndpiPackets: 0,
    ourPackets: 0,
  };
  for (const f of files) {
    t.ndpiFlows += f.ndpiFlows;
    t.ourRecords += f.ourRecords;
    t.extra += f.extra.length;
    t.ndpiPackets += f.ndpiPackets;
    t.ourPackets += f.ourPackets;
    for (const c of CATEGORIES) t.counts[c] += f.counts[c];
  }
  return t;
}

/** Flows found with exactly equal counters (per record or per-key sum). */
export function equalCount(c: CategoryCounts): number {
  return EQUAL_CATEGORIES.reduce((a, k) => a + c[k], 0);
}

export function mismatchCount(f: FileComparison): number {
  return f.ndpiFlows - equalCount(f.counts);
}

/** nDPI's flow as one line, close to its own listing. */
export function describeNdpiFlow(n: NdpiFlow): string {
  const ep = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
  return (
    `line ${n.line}: ${n.protoName} ${ep(n.srcIp, n.srcPort)} ${n.bidirectional ? '<->' : '->'} ${ep(n.dstIp, n.dstPort)}` +
    (n.vlan ? ` [VLAN: ${n.vlan}]` : '') +
    (n.tunnel ? ` [tunnel ${n.tunnel}]` : '') +
    ` [${n.protoLabel}] [${n.srcPkts} pkts/${n.srcBytes} bytes <-> ${n.dstPkts} pkts/${n.dstBytes} bytes]`
  );
}

export function describeVerdict(v: FlowVerdict, maxRecords = 3): string[] {
  const out = [`${v.category.toUpperCase()} nDPI ${describeNdpiFlow(v.ndpi)}`];
  if (v.detail) out.push(`    ${v.detail}`);
  for (const r of v.records.slice(0, maxRecords)) out.push(`    ours ${describeOurFlow(r)}`);
  if (v.records.length > maxRecords) out.push(`    ... ${v.records.length - maxRecords} more records`);
  return out;
}
