/**
 * The probe over nDPI's regression corpus (../shared/pcaps/ndpi/pcap, ~540
 * captures), compared flow by flow with nDPI's expected output
 * (../shared/pcaps/ndpi/result/<capture>.out): same key (protocol, VLAN,
 * endpoint pair), same packets and frame bytes per direction.
 *
 * Asserts: the probe never crashes on any capture (exit 0, or a clean
 * one-line error for input it cannot read, listed in the output), its flow
 * export parses, and at least MIN_EQUAL_RATIO of nDPI's flows are found with
 * exactly equal counters. The full breakdown: `node dist/bench/corpus-report.js`.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { equalCount } from './corpus/compare';
import { formatReport, runNdpiCorpus } from './corpus/ndpi-corpus';
import { ndpiPcapDir, ndpiResultDir, probeMain } from './corpus/paths';

/** Share of nDPI's flows (whole corpus) we must find with exactly equal counters. */
export const MIN_EQUAL_RATIO = 0.95;
/** An idle timeout longer than any capture of the corpus (seconds). */
const NDPI_LIKE_IDLE_TIMEOUT = 10_000_000;
/** Probe processes run in parallel. */
const WORKERS = 2;
/** A single small capture taking longer than this counts as a hang. */
const PER_FILE_TIMEOUT_MS = 60_000;

t.test('nDPI corpus: no crash, flows and counters as nDPI sees them', async (t) => {
  if (!existsSync(ndpiPcapDir()) || !existsSync(ndpiResultDir())) {
    t.fail(`nDPI corpus not found at ${ndpiPcapDir()} (set MICROCLOUD_SHARED to the shared data folder)`);
    return;
  }
  if (!existsSync(probeMain())) {
    t.fail(`probe not built: ${probeMain()} missing (run npx tsc -p tsconfig.json)`);
    return;
  }
  // ndpiReader keeps one entry per flow key for a whole capture: compare on that
  // definition (no idle or active split), so a flow matches only when one of our
  // records carries exactly nDPI's counters.
  const report = await runNdpiCorpus({ workers: WORKERS, perFileTimeoutMs: PER_FILE_TIMEOUT_MS, idleTimeout: NDPI_LIKE_IDLE_TIMEOUT, activeTimeout: 0 });
  t.comment(formatReport(report, { worst: 10, examples: 2 }));

  t.ok(report.files.length >= 500, `corpus has ${report.files.length} files`);
  t.same(
    report.crashes.map((f) => `${f.name}: ${f.run.timedOut ? 'timeout' : f.run.signal ?? `exit ${f.run.code}`} ${f.run.stderr.slice(0, 300)}`),
    [],
    'the probe exits 0 or with a one-line error on every capture',
  );
  if (report.rejected.length) {
    t.comment(`rejected as unreadable (${report.rejected.length}): ` + report.rejected.map((f) => f.name).join(', '));
  }
  const badJson = report.files.filter((f) => f.badJsonLines > 0).map((f) => `${f.name} (${f.badJsonLines})`);
  t.same(badJson, [], 'every line of the flow export is a flow record');

  const eq = equalCount(report.total.counts);
  const exactRatio = report.total.counts.exact / report.total.ndpiFlows;
  t.ok(
    exactRatio >= MIN_EQUAL_RATIO,
    `${report.total.counts.exact}/${report.total.ndpiFlows} = ${(100 * exactRatio).toFixed(2)}% of nDPI's flows equal one of our records exactly ` +
      `(packets and frame bytes per direction); need ${(100 * MIN_EQUAL_RATIO).toFixed(0)}%`,
  );
  t.ok(report.total.ndpiFlows > 8000, `nDPI lists ${report.total.ndpiFlows} flows`);
  t.ok(
    report.equalRatio >= MIN_EQUAL_RATIO,
    `${eq}/${report.total.ndpiFlows} = ${(100 * report.equalRatio).toFixed(2)}% of nDPI's flows found with equal ` +
      `packets and frame bytes per direction (one record ${report.total.counts.exact}, per-key sum ${report.total.counts.sum}); ` +
      `need ${(100 * MIN_EQUAL_RATIO).toFixed(0)}%`,
  );
});
