/**
 * Runs the probe (`node dist/cli/main.js probe --pcap FILE ... --exit-on-eof`)
 * on captures and collects what the corpus tests look at, plus a tiny worker
 * pool so a corpus runs on a fixed number of processes.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { probeMain } from './paths';

export interface ProbeRun {
  files: string[];
  flowsOut: string;
  statsOut?: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  ms: number;
  stdout: string;
  stderr: string;
}

export interface ProbeOptions {
  flowsOut: string;
  statsOut?: string;
  idleTimeout?: number;
  activeTimeout?: number;
  extraArgs?: string[];
  /** Kill after this many ms (default 120 s). */
  timeoutMs?: number;
  main?: string;
}

const KEEP = 64 * 1024;

export function probeArgs(files: string[], o: ProbeOptions): string[] {
  const args = [o.main ?? probeMain(), 'probe'];
  for (const f of files) args.push('--pcap', f);
  // The pipeline on the main thread: the corpus tests judge its output, which
  // pipeline-worker.test shows equal on a worker thread, and each of the
  // hundreds of small runs then starts no worker (about a quarter less CPU).
  // extraArgs may name another --workers (the last one counts).
  args.push('--resp-port', '0', '--exit-on-eof', '--workers', '0', '--flows-out', o.flowsOut);
  if (o.statsOut) args.push('--stats-out', o.statsOut);
  if (o.idleTimeout !== undefined) args.push('--idle-timeout', String(o.idleTimeout));
  if (o.activeTimeout !== undefined) args.push('--active-timeout', String(o.activeTimeout));
  if (o.extraArgs) args.push(...o.extraArgs);
  return args;
}

export function runProbe(files: string[], o: ProbeOptions): Promise<ProbeRun> {
  const t0 = Date.now();
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, probeArgs(files, o), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < KEEP) stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < KEEP) stderr += d.toString();
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, o.timeoutMs ?? 120_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        files,
        flowsOut: o.flowsOut,
        statsOut: o.statsOut,
        code,
        signal,
        timedOut,
        ms: Date.now() - t0,
        stdout,
        stderr,
      });
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolvePromise({
        files,
        flowsOut: o.flowsOut,
        statsOut: o.statsOut,
        code: null,
        signal: null,
        timedOut: false,
        ms: Date.now() - t0,
        stdout,
        stderr: stderr + String(err),
      });
    });
  });
}

export type RunOutcome = 'ok' | 'rejected' | 'crash';

/**
 * ok: exit 0. rejected: non-zero exit with a clean one-line message on stderr
 * (what the CLI contract promises for unreadable input). crash: anything else
 * (signal, timeout, stack trace, silent non-zero exit, multi-line noise).
 */
export function outcome(r: ProbeRun): RunOutcome {
  if (r.timedOut || r.signal !== null || r.code === null) return 'crash';
  if (r.code === 0) return 'ok';
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 1 && !/^\s+at /.test(lines[0]) && !/\bat .*\.js:\d+/.test(lines[0])) return 'rejected';
  return 'crash';
}

export function readStats(path: string | undefined): Record<string, unknown> | undefined {
  if (!path || !existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Runs fn over items with at most `width` in flight; results in input order. */
export async function pool<T, R>(items: T[], width: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, worker));
  return out;
}

/** Waits until the compiled probe exists (it may still be being written), up to waitMs. */
export async function waitForProbe(waitMs: number, main = probeMain()): Promise<boolean> {
  const end = Date.now() + waitMs;
  while (!existsSync(main)) {
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return true;
}
