/**
 * The application classifier against nDPI's regression corpus
 * (../shared/pcaps/ndpi): every capture that has nDPI's expected output is
 * run through the probe (`microcloud probe --pcap F --exit-on-eof
 * --flows-out ...`, 2 at a time), our flow records are matched to nDPI's
 * flows by key (test/corpus/compare.ts), and our `applicationName` is
 * compared with nDPI's master protocol ("TLS" for "TLS.Google").
 *
 * Reported (t.comment): per protocol we claim, how many of the flows nDPI
 * names so we name the same (split by nDPI's confidence: its own DPI or a
 * port match); the overall agreement over claimed protocols; the share of
 * all of nDPI's classified flows we name the same; our names where nDPI says
 * something else (false positives, per protocol, split by what nDPI said).
 *
 * Asserts: agreement >= MIN_AGREEMENT over the flows whose nDPI master is a
 * protocol we claim, and no protocol below MIN_PER_PROTOCOL once it has
 * enough flows to judge.
 *
 * When the compiled probe's records do not carry applicationName (an older
 * build), the same comparison runs in-process: capture reader, decoder and
 * flow table with the classifier called as the packet pipeline calls it.
 *
 * `node dist/test/classifier-ndpi.test.js --details [filter]` prints the
 * disagreements flow by flow.
 */
import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { CaptureFile } from '../capture/capture-file';
import { DecodedPacket, DecodeStatus } from '../capture/decoded-packet';
import { PacketDecoder } from '../capture/decoder';
import { FlowTable } from '../cache/flow-table';
import {
  APP_NAMES,
  ClassifiedFlow,
  classifyByProtocol,
  classifyPacket,
  guessByPort,
  MAX_INSPECTED_PACKETS,
  PORT_GUESS_ONLY,
} from '../dissectors/classifier';
import { flowToRecord } from '../export/flow-record';
import { compareFlows, FlowVerdict } from './corpus/compare';
import { OurFlow, readOurFlowsFile, toOurFlow } from './corpus/flow-records';
import { NdpiFlow, parseNdpiResultFile } from './corpus/ndpi-result';
import { ndpiPcapDir, ndpiResultDir, probeMain } from './corpus/paths';
import { outcome, pool, runProbe } from './corpus/run-probe';

/** Share of flows whose nDPI master is a protocol we claim that we must name the same. */
export const MIN_AGREEMENT = 0.9;
/** A claimed protocol with at least MIN_FLOWS_TO_JUDGE flows must agree at least this often. */
export const MIN_PER_PROTOCOL = 0.6;
const MIN_FLOWS_TO_JUDGE = 10;
/**
 * Protocols below MIN_PER_PROTOCOL for a known reason (nDPI names more than
 * the protocol's specification lets us recognise); still reported.
 */
const KNOWN_WEAK: Readonly<Record<string, string>> = {
  Jabber: 'nDPI also calls an encrypted proprietary push protocol on port 5223 Jabber (jabber.pcap); we name XMPP streams only',
};
const WORKERS = 2;
const PER_FILE_TIMEOUT_MS = 60_000;
const IDLE_TIMEOUT_SEC = 10_000_000;

/** Protocols we claim: every name the classifier decides from payload or IP protocol. */
export const CLAIMED: ReadonlySet<string> = new Set(APP_NAMES.filter((n) => n !== '' && !PORT_GUESS_ONLY.has(n)));

export interface Judged {
  capture: string;
  ndpi: NdpiFlow;
  /** nDPI's confidence ("DPI", "Match by port", ...). */
  confidence: string;
  /** Our applicationName ('' when none; null when no record of ours matched the flow). */
  ours: string | null;
  guessed: boolean;
}

// ---------------------------------------------------------------------------
// Our names per capture: from the probe's records, or in-process.

/** Runs the classifier over one capture as the packet pipeline does; returns our records with `app` set. */
export function classifyCaptureInProcess(path: string): OurFlow[] {
  const out: OurFlow[] = [];
  const state = new Map<number, ClassifiedFlow>();
  const table = new FlowTable(
    { idleTimeoutUs: IDLE_TIMEOUT_SEC * 1e6, activeTimeoutUs: 0, maxFlows: 1 << 20, tcpCloseLingerUs: 2e6 },
    (flow, reason) => {
      const c = state.get(flow.id);
      state.delete(flow.id);
      const rec = flowToRecord(flow, reason) as Record<string, unknown>;
      delete rec.applicationName;
      delete rec.applicationNameGuessed;
      if (c) {
        guessByPort(c);
        if (c.appId !== 0) {
          rec.applicationName = APP_NAMES[c.appId];
          if (c.appGuessed) rec.applicationNameGuessed = true;
        }
      }
      const f = toOurFlow(rec, out.length + 1);
      if (typeof f !== 'string') out.push(f);
    },
  );
  const decoder = new PacketDecoder();
  const p = new DecodedPacket();
  let cap: CaptureFile;
  try {
    cap = CaptureFile.open(path);
  } catch {
    return out;
  }
  let now = 0;
  try {
    while (
      cap.read(4096, (buf, off, capLen, wireLen, ts, linkType) => {
        if (ts > now) now = ts;
        if (decoder.decode(buf, off, capLen, wireLen, linkType, p) !== DecodeStatus.Ok) return;
        if (p.isLaterFragment) return;
        const flow = table.update(p, now, true, p.ipLength);
        let c = state.get(flow.id);
        if (c === undefined) {
          c = { protocol: flow.protocol, srcPort: flow.srcPort, dstPort: flow.dstPort, appId: 0, appGuessed: false, appPackets: 0, appState: 0 };
          state.set(flow.id, c);
          classifyByProtocol(c, p.ipVersion);
        }
        if (c.appId === 0 && p.payloadLength > 0 && c.appPackets < MAX_INSPECTED_PACKETS) {
          classifyPacket(c, table.lastForward, buf, p.payloadOffset, p.payloadLength);
        }
      })
    );
  } finally {
    cap.close();
  }
  table.flushAll();
  return out;
}

function appOfRecords(recs: OurFlow[]): { app: string; guessed: boolean } {
  // Several records for one nDPI flow (a key split by TCP teardown): the first
  // one that is named by payload, else by port.
  let best: { app: string; guessed: boolean } = { app: '', guessed: false };
  for (const r of recs) {
    const app = typeof r.raw.applicationName === 'string' ? r.raw.applicationName : '';
    const guessed = r.raw.applicationNameGuessed === true;
    if (app !== '' && !guessed) return { app, guessed };
    if (app !== '' && best.app === '') best = { app, guessed };
  }
  return best;
}

const CONFIDENCE_RE = /\[Confidence: ([^\]]*)\]/;

function judgeCapture(capture: string, resultFile: string, ours: OurFlow[]): Judged[] {
  const ndpi = parseNdpiResultFile(resultFile);
  const lines = readFileSync(resultFile, 'latin1').split('\n');
  const cmp = compareFlows(basename(capture), ours, ndpi.flows);
  return cmp.verdicts.map((v: FlowVerdict) => {
    const m = CONFIDENCE_RE.exec(lines[v.ndpi.line - 1] ?? '');
    const a = v.records.length > 0 ? appOfRecords(v.records) : null;
    return {
      capture: basename(capture),
      ndpi: v.ndpi,
      confidence: m ? m[1] : 'Unknown',
      ours: a === null ? null : a.app,
      guessed: a?.guessed ?? false,
    };
  });
}

export function corpusCaptures(filter?: RegExp): { capture: string; result: string }[] {
  const pdir = ndpiPcapDir();
  const rdir = ndpiResultDir();
  return readdirSync(pdir)
    .filter((f) => existsSync(join(rdir, `${f}.out`)) && (!filter || filter.test(f)))
    .sort()
    .map((f) => ({ capture: join(pdir, f), result: join(rdir, `${f}.out`) }));
}

export async function judgeInProcess(filter?: RegExp): Promise<Judged[]> {
  const out: Judged[] = [];
  for (const { capture, result } of corpusCaptures(filter)) {
    out.push(...judgeCapture(capture, result, classifyCaptureInProcess(capture)));
    await new Promise((r) => setImmediate(r));
  }
  return out;
}

export async function judgeWithProbe(filter?: RegExp): Promise<{ judged: Judged[]; failed: string[] }> {
  const tmp = mkdtempSync(join(tmpdir(), 'microcloud-classifier-'));
  const failed: string[] = [];
  try {
    const files = corpusCaptures(filter);
    const per = await pool(files, WORKERS, async ({ capture, result }, i) => {
      const flowsOut = join(tmp, `${i}.jsonl`);
      const run = await runProbe([capture], { flowsOut, idleTimeout: IDLE_TIMEOUT_SEC, activeTimeout: 0, timeoutMs: PER_FILE_TIMEOUT_MS });
      if (outcome(run) === 'crash') failed.push(`${basename(capture)}: ${run.timedOut ? 'timeout' : `exit ${run.code}`} ${run.stderr.slice(0, 200)}`);
      const ours = existsSync(flowsOut) ? readOurFlowsFile(flowsOut).flows : [];
      rmSync(flowsOut, { force: true });
      return judgeCapture(capture, result, ours);
    });
    return { judged: per.flat(), failed };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Whether the compiled probe writes applicationName (tried on a small capture with DNS). */
export async function probeNamesApplications(): Promise<boolean> {
  const sample = corpusCaptures(/^dns_long_domainname\.pcap$/)[0] ?? corpusCaptures()[0];
  if (!sample || !existsSync(probeMain())) return false;
  const tmp = mkdtempSync(join(tmpdir(), 'microcloud-classifier-'));
  try {
    const flowsOut = join(tmp, 'probe.jsonl');
    await runProbe([sample.capture], { flowsOut, idleTimeout: IDLE_TIMEOUT_SEC, activeTimeout: 0, timeoutMs: PER_FILE_TIMEOUT_MS });
    if (!existsSync(flowsOut)) return false;
    return readOurFlowsFile(flowsOut).flows.some((f) => typeof f.raw.applicationName === 'string');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// Tally

export interface ProtoRow {
  name: string;
  /** nDPI flows with this master that one of our records matched. */
  flows: number;
  agree: number;
  /** Of which nDPI decided by its DPI (not by port or address). */
  dpiFlows: number;
  dpiAgree: number;
  /** Agreements where our name was a port guess. */
  agreeGuessed: number;
  /** nDPI flows with this master we have no record for (flow table differences). */
  unmatched: number;
  /** What we said instead, e.g. "'' 3, DNS 1". */
  instead: Map<string, number>;
}

export interface FalsePositiveRow {
  name: string;
  /** We said this name; nDPI said Unknown. */
  ndpiUnknown: number;
  /** We said this name; nDPI said another protocol. */
  ndpiOther: number;
  /** Of all those, decided by port only. */
  guessed: number;
  otherNames: Map<string, number>;
}

export interface Tally {
  protocols: ProtoRow[];
  claimedFlows: number;
  claimedAgree: number;
  claimedDpiFlows: number;
  claimedDpiAgree: number;
  /** nDPI flows with a master other than Unknown (matched by one of our records). */
  classifiedFlows: number;
  classifiedAgree: number;
  falsePositives: FalsePositiveRow[];
  unmatched: number;
}

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

export function tally(judged: Judged[]): Tally {
  const rows = new Map<string, ProtoRow>();
  const fps = new Map<string, FalsePositiveRow>();
  const res: Tally = {
    protocols: [],
    claimedFlows: 0,
    claimedAgree: 0,
    claimedDpiFlows: 0,
    claimedDpiAgree: 0,
    classifiedFlows: 0,
    classifiedAgree: 0,
    falsePositives: [],
    unmatched: 0,
  };
  for (const j of judged) {
    const master = j.ndpi.master;
    const claimed = CLAIMED.has(master);
    let row: ProtoRow | undefined;
    if (claimed) {
      row = rows.get(master);
      if (!row) {
        row = { name: master, flows: 0, agree: 0, dpiFlows: 0, dpiAgree: 0, agreeGuessed: 0, unmatched: 0, instead: new Map() };
        rows.set(master, row);
      }
    }
    if (j.ours === null) {
      res.unmatched++;
      if (row) row.unmatched++;
      continue;
    }
    const same = j.ours === master;
    const dpi = j.confidence.startsWith('DPI');
    if (master !== 'Unknown') {
      res.classifiedFlows++;
      if (same) res.classifiedAgree++;
    }
    if (row) {
      row.flows++;
      res.claimedFlows++;
      if (dpi) {
        row.dpiFlows++;
        res.claimedDpiFlows++;
      }
      if (same) {
        row.agree++;
        res.claimedAgree++;
        if (dpi) {
          row.dpiAgree++;
          res.claimedDpiAgree++;
        }
        if (j.guessed) row.agreeGuessed++;
      } else {
        bump(row.instead, j.ours === '' ? '(none)' : j.ours + (j.guessed ? '?' : ''));
      }
    }
    if (j.ours !== '' && !same) {
      let fp = fps.get(j.ours);
      if (!fp) {
        fp = { name: j.ours, ndpiUnknown: 0, ndpiOther: 0, guessed: 0, otherNames: new Map() };
        fps.set(j.ours, fp);
      }
      if (master === 'Unknown') fp.ndpiUnknown++;
      else {
        fp.ndpiOther++;
        bump(fp.otherNames, master);
      }
      if (j.guessed) fp.guessed++;
    }
  }
  res.protocols = [...rows.values()].sort((a, b) => b.flows - a.flows || a.name.localeCompare(b.name));
  res.falsePositives = [...fps.values()].sort((a, b) => b.ndpiUnknown + b.ndpiOther - (a.ndpiUnknown + a.ndpiOther));
  return res;
}

function pct(n: number, d: number): string {
  return d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`;
}

function top(m: Map<string, number>, k = 4): string {
  return [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([n, c]) => `${n} ${c}`)
    .join(', ');
}

export function formatTally(r: Tally): string {
  const out: string[] = [];
  out.push('protocol                      agree/flows        nDPI by DPI          (port guesses)  we said instead');
  for (const p of r.protocols) {
    out.push(
      `${p.name.padEnd(28)} ${`${p.agree}/${p.flows}`.padStart(9)} ${pct(p.agree, p.flows).padStart(7)}` +
        `  ${`${p.dpiAgree}/${p.dpiFlows}`.padStart(9)} ${pct(p.dpiAgree, p.dpiFlows).padStart(7)}` +
        `  ${String(p.agreeGuessed).padStart(6)}     ${top(p.instead)}` +
        (p.unmatched ? `  [${p.unmatched} without a record]` : ''),
    );
  }
  out.push(
    `claimed protocols overall: ${r.claimedAgree}/${r.claimedFlows} = ${pct(r.claimedAgree, r.claimedFlows)}` +
      ` (nDPI by DPI only: ${r.claimedDpiAgree}/${r.claimedDpiFlows} = ${pct(r.claimedDpiAgree, r.claimedDpiFlows)})`,
  );
  out.push(
    `all nDPI-classified flows (master != Unknown) we name the same: ${r.classifiedAgree}/${r.classifiedFlows} = ${pct(r.classifiedAgree, r.classifiedFlows)}`,
  );
  out.push(`nDPI flows without a matching record of ours (not judged): ${r.unmatched}`);
  out.push('our name where nDPI says otherwise (false positives): name  nDPI-Unknown  nDPI-other (port guesses)  other names');
  for (const f of r.falsePositives) {
    out.push(`  ${f.name.padEnd(26)} ${String(f.ndpiUnknown).padStart(5)} ${String(f.ndpiOther).padStart(5)} (${f.guessed})  ${top(f.otherNames, 5)}`);
  }
  return out.join('\n');
}

function describe(j: Judged): string {
  const n = j.ndpi;
  return `${j.capture}:${n.line} ${n.protoName} ${n.srcIp}:${n.srcPort} -> ${n.dstIp}:${n.dstPort} nDPI ${n.protoLabel} (${j.confidence}) ours ${j.ours === null ? '(no record)' : j.ours || '(none)'}${j.guessed ? '?' : ''}`;
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--details') {
    const filter = args[1] ? new RegExp(args[1]) : undefined;
    const mode = args.includes('--probe') ? 'probe' : 'inproc';
    const judged = mode === 'probe' ? (await judgeWithProbe()).judged : await judgeInProcess();
    console.log(formatTally(tally(judged)));
    for (const j of judged) {
      if (j.ours === null || j.ours === j.ndpi.master) continue;
      if (!CLAIMED.has(j.ndpi.master) && !CLAIMED.has(j.ours)) continue;
      const line = describe(j);
      if (!filter || filter.test(line)) console.log(line);
    }
    return;
  }
  if (!existsSync(ndpiPcapDir()) || !existsSync(ndpiResultDir())) {
    t.comment(`nDPI corpus not found at ${ndpiPcapDir()} (set MICROCLOUD_SHARED to the shared data folder): skipped`);
    t.pass('skipped: no corpus');
    return;
  }
  t.test('classifier agrees with nDPI on its corpus', async (t) => {
    const t0 = Date.now();
    let judged: Judged[];
    if (await probeNamesApplications()) {
      const r = await judgeWithProbe();
      t.same(r.failed, [], 'the probe runs every capture');
      judged = r.judged;
      t.comment(`probe runs (${WORKERS} at a time) over ${corpusCaptures().length} captures in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } else {
      t.comment(`the compiled probe (${probeMain()}) writes no applicationName: classifying in-process instead`);
      judged = await judgeInProcess();
      t.comment(`in-process over ${corpusCaptures().length} captures in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    const r = tally(judged);
    t.comment(formatTally(r));
    t.ok(r.claimedFlows > 3000, `${r.claimedFlows} nDPI flows of claimed protocols judged`);
    const ratio = r.claimedAgree / r.claimedFlows;
    t.ok(
      ratio >= MIN_AGREEMENT,
      `claimed protocols: ${r.claimedAgree}/${r.claimedFlows} = ${pct(r.claimedAgree, r.claimedFlows)} agree with nDPI's master protocol; need ${100 * MIN_AGREEMENT}%`,
    );
    const weak = r.protocols.filter((p) => p.flows >= MIN_FLOWS_TO_JUDGE && p.agree / p.flows < MIN_PER_PROTOCOL && !(p.name in KNOWN_WEAK));
    for (const p of r.protocols) {
      if (p.name in KNOWN_WEAK) t.comment(`${p.name} ${p.agree}/${p.flows}: ${KNOWN_WEAK[p.name]}`);
    }
    t.same(
      weak.map((p) => `${p.name} ${p.agree}/${p.flows}`),
      [],
      `every claimed protocol with ${MIN_FLOWS_TO_JUDGE}+ flows agrees at least ${100 * MIN_PER_PROTOCOL}%`,
    );
  });
}

if (require.main === module) void main();
