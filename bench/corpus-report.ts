/**
 * Per-file comparison of the probe with nDPI over nDPI's regression corpus,
 * for hunting decoding bugs: totals, categories, causes grouped by link type /
 * protocol / tunnel, and for the worst files a few mismatched flows (nDPI's
 * line and our records side by side).
 *
 *   node dist/bench/corpus-report.js [--json] [--filter REGEX] [--worst N]
 *        [--examples N] [--workers N] [--idle-timeout S] [--active-timeout S]
 *
 * Uses dist/cli/main.js (or $MICROCLOUD_PROBE_MAIN) and ../shared (or
 * $MICROCLOUD_SHARED). --json prints everything as one JSON document.
 */
import { formatReport, reportJson, runNdpiCorpus } from '../test/corpus/ndpi-corpus';

function usage(msg?: string): never {
  if (msg) process.stderr.write(`${msg}\n`);
  process.stderr.write(
    'usage: node dist/bench/corpus-report.js [--json] [--filter REGEX] [--worst N] [--examples N] [--workers N] [--idle-timeout S] [--active-timeout S]\n',
  );
  process.exit(2);
}

async function main(): Promise<void> {
  const a = process.argv.slice(2);
  let json = false;
  let filter: RegExp | undefined;
  let worst = 25;
  let examples = 3;
  let workers = 2;
  let idleTimeout: number | undefined;
  let activeTimeout: number | undefined;
  const val = (i: number): string => {
    if (i >= a.length) usage(`${a[i - 1]} needs a value`);
    return a[i];
  };
  const int = (s: string): number => {
    const n = Number(s);
    if (!Number.isFinite(n) || n < 0) usage(`not a number: ${s}`);
    return n;
  };
  for (let i = 0; i < a.length; i++) {
    switch (a[i]) {
      case '--json':
        json = true;
        break;
      case '--filter':
        filter = new RegExp(val(++i));
        break;
      case '--worst':
        worst = int(val(++i));
        break;
      case '--examples':
        examples = int(val(++i));
        break;
      case '--workers':
        workers = Math.max(1, int(val(++i)));
        break;
      case '--idle-timeout':
        idleTimeout = int(val(++i));
        break;
      case '--active-timeout':
        activeTimeout = int(val(++i));
        break;
      case '-h':
      case '--help':
        usage();
        break;
      default:
        usage(`unknown option ${a[i]}`);
    }
  }
  const report = await runNdpiCorpus({
    workers,
    filter,
    idleTimeout,
    activeTimeout,
    onFile: json
      ? undefined
      : (f, done, total) => {
          if (done % 50 === 0 || done === total) process.stderr.write(`${done}/${total} captures\n`);
        },
  });
  if (json) process.stdout.write(`${JSON.stringify(reportJson(report), null, 1)}\n`);
  else process.stdout.write(`${formatReport(report, { worst, examples })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`corpus-report: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
