/**
 * Throughput of the probe against ndpiReader on a replica of nDPI's capture
 * corpus (`make bench` runs this; it asserts nothing and never fails on speed).
 *
 *   node dist/bench/throughput.js [--copies N] [--runs N] [--no-ndpi] [--no-pin]
 *                                 [--pcap FILE] [--core N] [--export v9|ipfix]
 *                                 [--workers LIST]
 *
 * 1. Builds bench/out/ndpi-corpus-x<COPIES>.pcap with
 *    `python3 ../shared/bench/replicate-pcap.py OUT COPIES ../shared/pcaps/ndpi/pcap`
 *    (one copy is ~35 MB / ~100k packets; default 8 copies, ~280 MB), or
 *    reuses it when present.
 * 2. Runs, alternately, `node dist/cli/main.js probe --pcap FILE --resp-port 0
 *    --exit-on-eof` and `ndpiReader -i FILE -q` (output discarded), RUNS times
 *    each, measuring wall time and peak RSS with /usr/bin/time when present
 *    (else by polling VmHWM in /proc/<pid>/status).
 * 3. Prints per run: wall time, packets/s, CPU time (user + system, all
 *    threads), peak RSS; then medians and the
 *    ratio ours/ndpiReader.
 *
 * --workers LIST (e.g. 0,1,2; default 0): one probe variant per value of
 * --workers, all in the same alternating runs. --workers 0 (the pipeline on
 * the main thread) is pinned with ndpiReader; with workers the probe may use
 * every core (that is what is measured: scaling), and the medians are
 * reported next to each other with the scaling over --workers 1.
 *
 * --export v9|ipfix: the probe also exports every flow to a real nfcapd
 * (started here on a free UDP port, pinned to another core), whose summary
 * line (flows, packets, sequence errors) is printed at the end.
 *
 * One-core comparison: ndpiReader uses one packet-processing thread per pcap
 * input (its -n is ignored for files), and both programs are pinned to the same
 * single CPU with `taskset -c CORE` (default core 0) unless --no-pin.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ndpiPcapDir, probeMain, repoRoot, sharedDir } from '../test/corpus/paths';
import { freeUdpPort } from '../test/helpers/flow-collectors';

interface Measure {
  tool: string;
  wallS: number;
  /** User plus system CPU seconds, every thread (NaN without /usr/bin/time). */
  cpuS: number;
  rssKB: number;
  code: number | null;
}

const TIME = '/usr/bin/time';
const TASKSET = '/usr/bin/taskset';
const NDPI = '/usr/bin/ndpiReader';

function usage(msg?: string): never {
  if (msg) process.stderr.write(`${msg}\n`);
  process.stderr.write('usage: node dist/bench/throughput.js [--copies N] [--runs N] [--no-ndpi] [--no-pin] [--pcap FILE] [--core N] [--export v9|ipfix]\n');
  process.exit(2);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs argv, returns wall seconds and peak RSS (KB). */
function measure(tool: string, argv: string[]): Promise<Measure> {
  if (existsSync(TIME)) {
    const tf = join(tmpdir(), `microcloud-bench-time-${process.pid}.txt`);
    return new Promise((resolve) => {
      const child = spawn(TIME, ['-o', tf, '-f', '%e %M %U %S', ...argv], { stdio: ['ignore', 'ignore', 'ignore'] });
      child.on('close', (code) => {
        let wallS = NaN;
        let rssKB = NaN;
        let cpuS = NaN;
        try {
          // GNU time writes "Command exited with non-zero status N" first on failure.
          const last = readFileSync(tf, 'utf8').trim().split('\n').pop() ?? '';
          const [e, m, u, sys] = last.split(' ');
          wallS = Number(e);
          rssKB = Number(m);
          cpuS = Number(u) + Number(sys);
        } catch {
          /* leave NaN */
        }
        rmSync(tf, { force: true });
        resolve({ tool, wallS, cpuS, rssKB, code });
      });
    });
  }
  // Fallback: poll the child's VmHWM.
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'ignore'] });
    let rssKB = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) rssKB = Math.max(rssKB, Number(m[1]));
      } catch {
        /* exited */
      }
    }, 20);
    child.on('close', (code) => {
      clearInterval(poll);
      resolve({ tool, wallS: Number(process.hrtime.bigint() - t0) / 1e9, cpuS: NaN, rssKB, code });
    });
  });
}

async function main(): Promise<void> {
  const a = process.argv.slice(2);
  let copies = 8;
  let runs = 3;
  let ndpi = true;
  let pin = true;
  let core = 0;
  let pcap: string | undefined;
  let exportFormat: string | undefined;
  let workerCounts = [0];
  for (let i = 0; i < a.length; i++) {
    const num = (): number => {
      const n = Number(a[++i]);
      if (!Number.isInteger(n) || n < 0) usage(`${a[i - 1]} needs a whole number`);
      return n;
    };
    switch (a[i]) {
      case '--copies':
        copies = Math.max(1, num());
        break;
      case '--runs':
        runs = Math.max(1, num());
        break;
      case '--core':
        core = num();
        break;
      case '--no-ndpi':
        ndpi = false;
        break;
      case '--no-pin':
        pin = false;
        break;
      case '--pcap':
        pcap = a[++i];
        if (!pcap) usage('--pcap needs a file');
        break;
      case '--workers': {
        const list = (a[++i] ?? '').split(',').map(Number);
        if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 0 || n > 64)) usage('--workers needs a list like 0,1,2');
        workerCounts = list;
        break;
      }
      case '--export':
        exportFormat = a[++i];
        if (exportFormat !== 'v9' && exportFormat !== 'ipfix') usage('--export needs v9 or ipfix');
        break;
      case '-h':
      case '--help':
        usage();
        break;
      default:
        usage(`unknown option ${a[i]}`);
    }
  }
  const main = probeMain();
  if (!existsSync(main)) usage(`probe not built: ${main}`);

  // 1. the replica
  let packets = NaN;
  if (!pcap) {
    const outDir = join(repoRoot(), 'bench', 'out');
    mkdirSync(outDir, { recursive: true });
    pcap = join(outDir, `ndpi-corpus-x${copies}.pcap`);
    const meta = `${pcap}.json`;
    if (!existsSync(pcap) || !existsSync(meta)) {
      const script = join(sharedDir(), 'bench', 'replicate-pcap.py');
      process.stdout.write(`building ${pcap} (${copies} copies of ${ndpiPcapDir()})...\n`);
      const r = spawnSync('python3', [script, pcap, String(copies), ndpiPcapDir()], { encoding: 'utf8' });
      if (r.status !== 0) {
        process.stderr.write(`replicate-pcap.py failed: ${r.stderr}\n`);
        process.exit(1);
      }
      const m = /packets (\d+) bytes (\d+) files (\d+) skipped (\d+)/.exec(r.stdout);
      writeFileSync(meta, JSON.stringify(m ? { packets: +m[1], bytes: +m[2], files: +m[3], skipped: +m[4] } : {}));
      process.stdout.write(r.stdout);
    }
    try {
      packets = (JSON.parse(readFileSync(meta, 'utf8')) as { packets?: number }).packets ?? NaN;
    } catch {
      /* counted below */
    }
  }
  if (Number.isNaN(packets)) {
    // Count with the probe itself.
    const sf = join(tmpdir(), `microcloud-bench-stats-${process.pid}.json`);
    spawnSync(process.execPath, [main, 'probe', '--pcap', pcap, '--resp-port', '0', '--exit-on-eof', '--stats-out', sf], {
      stdio: 'ignore',
    });
    try {
      packets = (JSON.parse(readFileSync(sf, 'utf8')) as { packets?: number }).packets ?? NaN;
    } catch {
      /* stays NaN */
    }
    rmSync(sf, { force: true });
  }
  const sizeMB = statSync(pcap).size / 1e6;
  const havePin = pin && existsSync(TASKSET);
  const wrap = (argv: string[]) => (havePin ? [TASKSET, '-c', String(core), ...argv] : argv);
  const collector = exportFormat !== undefined ? await startNfcapd(havePin ? (core === 0 ? 1 : 0) : null) : null;
  const exportArgs = collector !== null ? ['--netflow', exportFormat as string, '--collector', `127.0.0.1:${collector.port}`] : [];
  const probeName = (w: number): string => (workerCounts.length === 1 && w === 0 ? 'probe' : `probe w${w}`);
  const variants = workerCounts.map((w) => {
    const argv = [process.execPath, main, 'probe', '--pcap', pcap, '--resp-port', '0', '--exit-on-eof', '--workers', String(w), ...exportArgs];
    return { name: probeName(w), workers: w, argv: w === 0 ? wrap(argv) : argv };
  });
  const theirs = wrap([NDPI, '-i', pcap, '-q']);
  if (ndpi && !existsSync(NDPI)) {
    process.stdout.write(`${NDPI} not installed (Debian package libndpi-bin): measuring the probe only\n`);
    ndpi = false;
  }
  process.stdout.write(
    `capture ${pcap}: ${sizeMB.toFixed(0)} MB, ${packets} packets; ${runs} runs each, alternating; ` +
      (havePin ? `both pinned to CPU ${core} with taskset` : 'not pinned') +
      `; timing with ${existsSync(TIME) ? '/usr/bin/time' : 'wall clock + /proc VmHWM polling'}; ${availableParallelism()} cores\n`,
  );
  for (const v of variants) process.stdout.write(`${v.name.padEnd(11)} ${v.argv.join(' ')}\n`);
  if (ndpi) process.stdout.write(`ndpiReader: ${theirs.join(' ')}  (one reader thread for a pcap input; output discarded)\n`);

  // 2. alternate runs
  const results: Measure[] = [];
  const line = (m: Measure) =>
    `${m.tool.padEnd(11)} wall ${m.wallS.toFixed(2).padStart(7)} s  ${(packets / m.wallS / 1000).toFixed(1).padStart(8)} kpkt/s  ` +
    `${((sizeMB * 8) / m.wallS).toFixed(0).padStart(6)} Mbit/s  CPU ${m.cpuS.toFixed(2).padStart(6)} s  peak RSS ${(m.rssKB / 1024).toFixed(0).padStart(5)} MB` +
    (m.code !== 0 ? `  EXIT ${m.code}` : '');
  for (let i = 0; i < runs; i++) {
    for (const v of variants) {
      const m1 = await measure(v.name, v.argv);
      results.push(m1);
      process.stdout.write(`run ${i + 1}: ${line(m1)}\n`);
    }
    if (ndpi) {
      const m2 = await measure('ndpiReader', theirs);
      results.push(m2);
      process.stdout.write(`run ${i + 1}: ${line(m2)}\n`);
    }
  }

  // 3. medians and ratio
  const med = (tool: string) => {
    const rs = results.filter((r) => r.tool === tool);
    return { wallS: median(rs.map((r) => r.wallS)), cpuS: median(rs.map((r) => r.cpuS)), rssKB: median(rs.map((r) => r.rssKB)), tool, code: 0 };
  };
  const mn = ndpi ? med('ndpiReader') : null;
  const base = variants.find((v) => v.workers === 1);
  for (const v of variants) {
    const mo = med(v.name);
    process.stdout.write(`median: ${line(mo)}\n`);
    if (mn !== null) {
      process.stdout.write(
        `  ratio ${v.name}/ndpiReader (median): wall time ${(mo.wallS / mn.wallS).toFixed(2)}x ` +
          `(throughput ${(mn.wallS / mo.wallS).toFixed(2)}x of ndpiReader's), peak RSS ${(mo.rssKB / mn.rssKB).toFixed(2)}x\n`,
      );
    }
    if (base !== undefined && v.workers > 1) process.stdout.write(`  scaling ${v.name} over w1: throughput ${(med(base.name).wallS / mo.wallS).toFixed(2)}x\n`);
  }
  if (mn !== null) process.stdout.write(`median: ${line(mn)}\n`);
  if (results.some((r) => r.code !== 0)) process.stdout.write('note: some runs exited non-zero (see EXIT above)\n');
  if (collector !== null) {
    const summary = await collector.stop();
    process.stdout.write(`nfcapd (${exportFormat}, all ${runs} probe runs): ${summary}\n`);
  }
}

/** A real collector for --export: nfcapd on a free UDP port, writing into a temporary directory. */
async function startNfcapd(cpu: number | null): Promise<{ port: number; stop(): Promise<string> }> {
  const port = await freeUdpPort();
  const dir = mkdtempSync(join(tmpdir(), 'microcloud-bench-nfcapd-'));
  const argv = ['nfcapd', '-b', '127.0.0.1', '-p', String(port), '-w', dir, '-B', String(8 << 20)];
  const child = spawn(cpu !== null && existsSync(TASKSET) ? TASKSET : argv[0], cpu !== null && existsSync(TASKSET) ? ['-c', String(cpu), ...argv] : argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  child.on('error', () => (log += 'nfcapd could not be started\n'));
  await new Promise((r) => setTimeout(r, 500));
  return {
    port,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('close', r));
      rmSync(dir, { recursive: true, force: true });
      return /Ident:.*$/m.exec(log)?.[0] ?? log.trim();
    },
  };
}

main().catch((err: unknown) => {
  process.stderr.write(`throughput: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
