/**
 * Runs the probe over nDPI's regression captures and compares the flows with
 * nDPI's expected output. Shared by test/corpus-ndpi.test.ts and
 * bench/corpus-report.ts.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { CaptureScan, captureInfo, scanCapture } from './capture-info';
import {
  CATEGORIES,
  Category,
  FileComparison,
  FlowVerdict,
  TotalComparison,
  compareFlows,
  describeVerdict,
  equalCount,
  mismatchCount,
  totals,
} from './compare';
import { readOurFlowsFile } from './flow-records';
import { parseNdpiResultFile } from './ndpi-result';
import { ndpiPcapDir, ndpiResultDir } from './paths';
import { ProbeRun, RunOutcome, outcome, pool, readStats, runProbe } from './run-probe';

export interface CorpusFile {
  capture: string;
  name: string;
  linkName: string;
  /** nDPI's .out for it, if there is one. */
  resultFile?: string;
  run: ProbeRun;
  outcome: RunOutcome;
  comparison?: FileComparison;
  stats?: Record<string, unknown>;
  badJsonLines: number;
  /** Packets stored shorter than on the wire (they explain byte differences). */
  scan: CaptureScan;
}

export interface CorpusReport {
  files: CorpusFile[];
  total: TotalComparison;
  /** Fraction of nDPI's flows found with exactly equal counters (per record or per-key sum). */
  equalRatio: number;
  exactRatio: number;
  crashes: CorpusFile[];
  rejected: CorpusFile[];
  /** nDPI results without a capture in the corpus. */
  resultsWithoutCapture: string[];
  wallMs: number;
}

export interface CorpusOptions {
  workers?: number;
  /** Only captures whose file name matches. */
  filter?: RegExp;
  idleTimeout?: number;
  activeTimeout?: number;
  perFileTimeoutMs?: number;
  keepTmp?: boolean;
  onFile?: (f: CorpusFile, done: number, total: number) => void;
}

export function listCorpus(filter?: RegExp): { captures: string[]; resultsWithoutCapture: string[] } {
  const pdir = ndpiPcapDir();
  const rdir = ndpiResultDir();
  const captures = readdirSync(pdir)
    .filter((f) => !filter || filter.test(f))
    .sort()
    .map((f) => join(pdir, f));
  const names = new Set(readdirSync(pdir));
  const resultsWithoutCapture = existsSync(rdir)
    ? readdirSync(rdir)
        .filter((r) => r.endsWith('.out') && !names.has(r.slice(0, -4)))
        .filter((r) => !filter || filter.test(r.slice(0, -4)))
    : [];
  return { captures, resultsWithoutCapture };
}

export async function runNdpiCorpus(o: CorpusOptions = {}): Promise<CorpusReport> {
  const t0 = Date.now();
  const { captures, resultsWithoutCapture } = listCorpus(o.filter);
  const tmp = mkdtempSync(join(tmpdir(), 'microcloud-corpus-'));
  let done = 0;
  try {
    const files = await pool(captures, o.workers ?? 2, async (capture, i) => {
      const name = basename(capture);
      const flowsOut = join(tmp, `${i}.jsonl`);
      const statsOut = join(tmp, `${i}.stats.json`);
      const run = await runProbe([capture], {
        flowsOut,
        statsOut,
        idleTimeout: o.idleTimeout,
        activeTimeout: o.activeTimeout,
        timeoutMs: o.perFileTimeoutMs ?? 120_000,
      });
      const resultFile = join(ndpiResultDir(), `${name}.out`);
      const f: CorpusFile = {
        capture,
        name,
        linkName: captureInfo(capture).linkName,
        run,
        outcome: outcome(run),
        stats: readStats(statsOut),
        badJsonLines: 0,
        scan: scanCapture(capture),
      };
      if (existsSync(resultFile)) {
        f.resultFile = resultFile;
        const ndpi = parseNdpiResultFile(resultFile);
        const ours = existsSync(flowsOut) ? readOurFlowsFile(flowsOut) : { flows: [], badLines: [] };
        f.badJsonLines = ours.badLines.length;
        f.comparison = compareFlows(name, ours.flows, ndpi.flows);
        // Keep memory bounded: exact verdicts are not needed for the report.
        f.comparison.verdicts = f.comparison.verdicts.filter((v) => v.category !== 'exact');
      }
      rmSync(flowsOut, { force: true });
      rmSync(statsOut, { force: true });
      done++;
      o.onFile?.(f, done, captures.length);
      return f;
    });
    const comps = files.flatMap((f) => (f.comparison ? [f.comparison] : []));
    const total = totals(comps);
    return {
      files,
      total,
      equalRatio: total.ndpiFlows ? equalCount(total.counts) / total.ndpiFlows : 1,
      exactRatio: total.ndpiFlows ? total.counts.exact / total.ndpiFlows : 1,
      crashes: files.filter((f) => f.outcome === 'crash'),
      rejected: files.filter((f) => f.outcome === 'rejected'),
      resultsWithoutCapture,
      wallMs: Date.now() - t0,
    };
  } finally {
    if (!o.keepTmp) rmSync(tmp, { recursive: true, force: true });
  }
}

function statNum(f: CorpusFile, name: string): number {
  const v = f.stats?.[name];
  return typeof v === 'number' ? v : 0;
}

/**
 * Best guess at why a flow differs, from what is known about ndpiReader and the
 * capture: a label meant for grouping (known nDPI-side behaviour is marked
 * "nDPI:", everything else points at the probe).
 */
export function likelyCause(f: CorpusFile, v: FlowVerdict): string {
  const n = v.ndpi;
  const ours = v.ours;
  switch (v.category) {
    case 'exact':
    case 'sum':
      return 'equal';
    case 'missing':
      if (f.outcome !== 'ok') return 'probe: capture rejected';
      if (n.tunnel && /^(CAPWAP|TZSP)$/i.test(n.tunnel)) return `probe: ${n.tunnel} tunnel not decapsulated`;
      if ((f.comparison?.ourRecords ?? 0) === 0) return `probe: no flow at all from this capture (link type ${f.linkName})`;
      return `probe: flow missing${n.tunnel ? ` (inside ${n.tunnel})` : ''}`;
    case 'vlan':
      return 'probe: VLAN id differs';
    case 'swapped':
      return 'probe: directions swapped';
    case 'pkts': {
      const more = ours ? ours.fwdPkts + ours.revPkts > n.srcPkts + n.dstPkts : false;
      const ipBeyondFrame = v.records.some((r) => r.bytes > r.l2Bytes || r.rBytes > r.rL2Bytes);
      if (more && statNum(f, 'fragments') > 0) return 'nDPI: does not count non-first IP fragments (capture has fragments)';
      if (more && (ipBeyondFrame || f.scan.truncated > 0)) return 'nDPI: drops packets whose IP length exceeds the captured data';
      const inner = f.comparison?.verdicts.find((x) => x.ndpi.tunnel && /^(CAPWAP|TZSP)$/i.test(x.ndpi.tunnel));
      if (more && inner) return `probe: ${inner.ndpi.tunnel} tunnel not decapsulated (inner packets counted on the outer flow)`;
      return more ? 'probe: more packets than nDPI (unexplained)' : 'probe: fewer packets than nDPI (unexplained)';
    }
    case 'bytes':
      if (f.scan.truncated > 0) return 'nDPI: counts captured bytes, we count wire length (capture has truncated frames)';
      return 'probe: frame bytes differ (unexplained)';
  }
}

function pct(n: number, d: number): string {
  return d === 0 ? '-' : `${((100 * n) / d).toFixed(2)}%`;
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim() !== '') ?? '';
}

export interface FormatOptions {
  /** How many of the worst files to list. */
  worst?: number;
  /** Example mismatches per listed file. */
  examples?: number;
}

/** Human-readable report: totals, categories, causes, worst files with examples. */
export function formatReport(r: CorpusReport, o: FormatOptions = {}): string {
  const worstN = o.worst ?? 15;
  const exN = o.examples ?? 3;
  const t = r.total;
  const out: string[] = [];
  const eq = equalCount(t.counts);
  out.push(
    `nDPI corpus: ${r.files.length} files run in ${(r.wallMs / 1000).toFixed(1)} s; ` +
      `${t.files} with nDPI results, ${t.ndpiFlows} nDPI flows, ${t.ourRecords} of our records`,
  );
  out.push(
    `found with exactly equal counters: ${eq}/${t.ndpiFlows} = ${pct(eq, t.ndpiFlows)} ` +
      `(one record: ${t.counts.exact} = ${pct(t.counts.exact, t.ndpiFlows)}; per-key sum of split records: ${t.counts.sum})`,
  );
  out.push(
    'categories: ' +
      CATEGORIES.map((c) => `${c} ${t.counts[c]} (${pct(t.counts[c], t.ndpiFlows)})`).join(', ') +
      `; extra (our keys nDPI does not list): ${t.extra}`,
  );
  out.push(`packets in listed flows: nDPI ${t.ndpiPackets}, ours ${t.ourPackets}`);
  out.push(`probe outcomes: ok ${r.files.filter((f) => f.outcome === 'ok').length}, rejected ${r.rejected.length}, crashed ${r.crashes.length}`);
  for (const f of r.crashes) {
    out.push(
      `  CRASH ${f.name}: ${f.run.timedOut ? 'timed out' : f.run.signal ? `signal ${f.run.signal}` : `exit ${f.run.code}`}: ` +
        firstLine(f.run.stderr).slice(0, 300),
    );
  }
  for (const f of r.rejected) out.push(`  rejected ${f.name} (${f.linkName}): ${firstLine(f.run.stderr).slice(0, 200)}`);
  if (r.resultsWithoutCapture.length) out.push(`nDPI results without a capture (skipped): ${r.resultsWithoutCapture.join(', ')}`);
  const bad = r.files.filter((f) => f.badJsonLines > 0);
  if (bad.length) out.push(`files with unparseable flow lines: ${bad.map((f) => `${f.name} (${f.badJsonLines})`).join(', ')}`);

  // Causes: by link type, by tunnel, by IP protocol, whole-file failures.
  const withCmp = r.files.filter((f) => f.comparison);
  const group = (label: string, keyOf: (f: CorpusFile) => string) => {
    const m = new Map<string, { files: number; flows: number; bad: number }>();
    for (const f of withCmp) {
      const k = keyOf(f);
      const g = m.get(k) ?? { files: 0, flows: 0, bad: 0 };
      g.files++;
      g.flows += f.comparison!.ndpiFlows;
      g.bad += mismatchCount(f.comparison!);
      m.set(k, g);
    }
    const rows = [...m.entries()].filter(([, g]) => g.bad > 0).sort((a, b) => b[1].bad - a[1].bad);
    if (rows.length) {
      out.push(`mismatches by ${label}: ` + rows.map(([k, g]) => `${k} ${g.bad}/${g.flows} flows in ${g.files} files`).join('; '));
    }
  };
  const causes = new Map<string, { flows: number; files: Set<string> }>();
  for (const f of withCmp) {
    for (const v of f.comparison!.verdicts) {
      const c = likelyCause(f, v);
      if (c === 'equal') continue;
      const g = causes.get(c) ?? { flows: 0, files: new Set<string>() };
      g.flows++;
      g.files.add(f.name);
      causes.set(c, g);
    }
  }
  if (causes.size) {
    out.push('likely causes of the differences:');
    for (const [c, g] of [...causes.entries()].sort((a, b) => b[1].flows - a[1].flows)) {
      const names = [...g.files];
      out.push(`  ${g.flows} flows: ${c} [${names.slice(0, 6).join(', ')}${names.length > 6 ? `, +${names.length - 6} more` : ''}]`);
    }
  }
  group('link type', (f) => f.linkName);
  const byFlow = (label: string, keyOf: (v: { ndpi: { protoName: string; tunnel?: string; vlan: number } }) => string) => {
    const m = new Map<string, Map<Category, number>>();
    for (const f of withCmp) {
      for (const v of f.comparison!.verdicts) {
        if (v.category === 'exact' || v.category === 'sum') continue;
        const k = keyOf(v);
        const g = m.get(k) ?? new Map<Category, number>();
        g.set(v.category, (g.get(v.category) ?? 0) + 1);
        m.set(k, g);
      }
    }
    const rows = [...m.entries()]
      .map(([k, g]) => [k, g, [...g.values()].reduce((a, b) => a + b, 0)] as const)
      .sort((a, b) => b[2] - a[2]);
    if (rows.length) {
      out.push(
        `mismatches by ${label}: ` +
          rows
            .slice(0, 12)
            .map(([k, g, n]) => `${k} ${n} (${[...g.entries()].map(([c, x]) => `${c} ${x}`).join(', ')})`)
            .join('; '),
      );
    }
  };
  byFlow('IP protocol', (v) => v.ndpi.protoName);
  byFlow('nDPI tunnel', (v) => v.ndpi.tunnel ?? 'none');
  byFlow('VLAN tagged', (v) => (v.ndpi.vlan ? 'tagged' : 'untagged'));
  const wholeFile = withCmp.filter((f) => f.comparison!.ndpiFlows > 0 && equalCount(f.comparison!.counts) === 0);
  if (wholeFile.length) {
    out.push(
      `files where no flow matched (${wholeFile.length}): ` +
        wholeFile
          .sort((a, b) => b.comparison!.ndpiFlows - a.comparison!.ndpiFlows)
          .map((f) => `${f.name} [${f.linkName}, ${f.comparison!.ndpiFlows} flows, ours ${f.comparison!.ourRecords}]`)
          .join(', '),
    );
  }

  const worst = withCmp
    .filter((f) => mismatchCount(f.comparison!) > 0)
    .sort((a, b) => mismatchCount(b.comparison!) - mismatchCount(a.comparison!))
    .slice(0, worstN);
  if (worst.length) out.push('', `worst files (${worst.length} shown):`);
  for (const f of worst) {
    const c = f.comparison!;
    out.push(
      `${f.name} [${f.linkName}]: ${mismatchCount(c)}/${c.ndpiFlows} not equal; ` +
        CATEGORIES.filter((k) => c.counts[k] > 0)
          .map((k) => `${k} ${c.counts[k]}`)
          .join(', ') +
        `; ours ${c.ourRecords} records, extra ${c.extra.length}; packets nDPI ${c.ndpiPackets} ours ${c.ourPackets}` +
        (f.outcome !== 'ok' ? `; probe ${f.outcome}: ${firstLine(f.run.stderr).slice(0, 160)}` : ''),
    );
    // One example per category first, then more of the commonest.
    const bad = c.verdicts.filter((v) => v.category !== 'exact' && v.category !== 'sum');
    const picked: typeof bad = [];
    for (const k of CATEGORIES) {
      const v = bad.find((x) => x.category === k);
      if (v) picked.push(v);
    }
    for (const v of bad) if (picked.length < exN && !picked.includes(v)) picked.push(v);
    for (const v of picked.slice(0, Math.max(exN, 1))) {
      const lines = describeVerdict(v).map((l) => `  ${l}`);
      lines.splice(1, 0, `      cause: ${likelyCause(f, v)}`);
      out.push(...lines);
    }
    if (c.extra.length) {
      out.push(`  EXTRA (ours, no nDPI key) e.g.:`);
      for (const e of c.extra.slice(0, 2)) {
        out.push(`    ours #${e.line} proto ${e.protocol} ${e.srcIp}:${e.srcPort} -> ${e.dstIp}:${e.dstPort} vlan ${e.vlan} [${e.pkts}/${e.l2Bytes} <-> ${e.rPkts}/${e.rL2Bytes}]`);
      }
    }
  }
  return out.join('\n');
}

/** Plain-data form for --json. */
export function reportJson(r: CorpusReport): unknown {
  return {
    total: r.total,
    equalRatio: r.equalRatio,
    exactRatio: r.exactRatio,
    wallMs: r.wallMs,
    resultsWithoutCapture: r.resultsWithoutCapture,
    files: r.files.map((f) => ({
      name: f.name,
      linkType: f.linkName,
      outcome: f.outcome,
      exitCode: f.run.code,
      signal: f.run.signal,
      timedOut: f.run.timedOut,
      ms: f.run.ms,
      stderr: firstLine(f.run.stderr).slice(0, 300),
      stats: f.stats,
      badJsonLines: f.badJsonLines,
      truncatedFrames: f.scan.truncated,
      comparison: f.comparison && {
        ndpiFlows: f.comparison.ndpiFlows,
        ourRecords: f.comparison.ourRecords,
        counts: f.comparison.counts,
        ndpiPackets: f.comparison.ndpiPackets,
        ourPackets: f.comparison.ourPackets,
        extra: f.comparison.extra.length,
        mismatches: f.comparison.verdicts
          .filter((v) => v.category !== 'exact' && v.category !== 'sum')
          .map((v) => ({ category: v.category, cause: likelyCause(f, v), detail: v.detail, ndpi: describeVerdict(v, 0)[0], ours: v.records.map((x) => x.raw) })),
      },
    })),
  };
}
