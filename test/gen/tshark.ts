// tshark as an independent oracle for generated captures: does every packet
// decode, are checksums right, do key fields read back as written. Used only
// by tests (it spawns a process per call).

import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const TSHARK = process.env.TSHARK ?? '/usr/bin/tshark';

export function tsharkAvailable(): boolean {
  return existsSync(TSHARK);
}

/** Validate every checksum tshark knows how to validate (all are off by default). */
export const CHECKSUM_PREFS = [
  '-o', 'ip.check_checksum:TRUE',
  '-o', 'tcp.check_checksum:TRUE',
  '-o', 'udp.check_checksum:TRUE',
  '-o', 'sctp.checksum:CRC 32c',
];

export interface TsharkRun {
  stdout: string;
  stderr: string;
  status: number | null;
}

export function tshark(file: string, args: readonly string[]): TsharkRun {
  const r = spawnSync(TSHARK, ['-n', '-r', file, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { stdout: r.stdout, stderr: cleanStderr(r.stderr), status: r.status };
}

/** tshark warns on stderr when run as root; that line is not about the file. */
function cleanStderr(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('Running as user'))
    .join('\n');
}

/** Expert-info severities as tshark prints them in `_ws.expert.severity` (epan/proto.h PI_*). */
const SEVERITY_WARNING = 0x00600000;
const SEVERITY_ERROR = 0x00800000;

export interface ScannedFrame {
  number: number;
  /** Requested fields: every occurrence, outermost first. */
  values: Record<string, string[]>;
  /** Expert infos of warning or error severity (bad checksums, malformed packets, bogus lengths). */
  problems: string[];
}

/**
 * One tshark pass over a file with checksum validation on: the requested
 * fields per frame plus its warning/error expert infos. One process per file
 * keeps the suite fast (tshark start-up dominates).
 */
export interface ScanResult {
  frames: ScannedFrame[];
  stderr: string;
}

// A separator that cannot occur inside a value, since expert messages contain commas.
const AGGREGATOR = '\u001f';
const FIXED_FIELDS = ['frame.number', '_ws.expert.severity', '_ws.expert.message', '_ws.malformed'];

function scanArgs(file: string, names: readonly string[], extraArgs: readonly string[]): string[] {
  const args = ['-n', '-r', file, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', `aggregator=${AGGREGATOR}`, ...CHECKSUM_PREFS, ...extraArgs];
  for (const n of [...FIXED_FIELDS, ...names]) args.push('-e', n);
  return args;
}

function parseScan(stdout: string, rawStderr: string, names: readonly string[]): ScanResult {
  const frames = stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line) => {
      const cols = line.split('\t').map((c) => (c === '' ? [] : c.split(AGGREGATOR)));
      const [number, severities, messages, malformed] = cols;
      const problems = severities
        .map((sev, i) => ({ sev: Number(sev), msg: messages[i] ?? '' }))
        .filter((e) => e.sev >= SEVERITY_WARNING)
        .map((e) => `${e.sev >= SEVERITY_ERROR ? 'error' : 'warning'}: ${e.msg}`);
      if (malformed.length > 0 && !problems.some((p) => p.includes('Malformed'))) problems.push('error: malformed packet');
      const values: Record<string, string[]> = {};
      names.forEach((n, i) => (values[n] = cols[FIXED_FIELDS.length + i] ?? []));
      return { number: Number(number[0]), values, problems };
    });
  return { frames, stderr: cleanStderr(rawStderr) };
}

/**
 * One tshark pass over a file with checksum validation on: the requested
 * fields per frame plus its warning/error expert infos. One process per file
 * keeps the suite fast (tshark start-up dominates).
 */
export function scan(file: string, names: readonly string[] = [], extraArgs: readonly string[] = []): ScanResult {
  const r = spawnSync(TSHARK, scanArgs(file, names, extraArgs), { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return parseScan(r.stdout, r.stderr, names);
}

/** `scan` without blocking, so several files can be decoded in parallel. */
export function scanAsync(file: string, names: readonly string[] = [], extraArgs: readonly string[] = []): Promise<ScanResult> {
  return new Promise((resolve) => {
    execFile(TSHARK, scanArgs(file, names, extraArgs), { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }, (_err, stdout, stderr) => {
      resolve(parseScan(stdout, stderr, names));
    });
  });
}

/** Run `task` over `items` with at most `concurrency` in flight; results keep the input order. */
export function mapLimited<T, R>(items: readonly T[], concurrency: number, task: (item: T) => Promise<R>): Promise<R>[] {
  let running = 0;
  const queue: Array<() => void> = [];
  const next = () => {
    running--;
    queue.shift()?.();
  };
  return items.map(
    (item) =>
      new Promise<R>((resolve, reject) => {
        const start = () => {
          running++;
          task(item).then(resolve, reject).finally(next);
        };
        if (running < concurrency) start();
        else queue.push(start);
      }),
  );
}

/** Every warning/error of a file, prefixed with its frame number; empty means tshark is satisfied. */
export function decodeProblems(file: string, extraArgs: readonly string[] = []): string[] {
  const { frames, stderr } = scan(file, [], extraArgs);
  const problems = frames.flatMap((f) => f.problems.map((p) => `frame ${f.number}: ${p}`));
  if (stderr) problems.push(`stderr: ${stderr}`);
  return problems;
}

/** One row per packet, one string per field; repeated fields joined with ','. */
export function fields(file: string, names: readonly string[], filter?: string, extraArgs: readonly string[] = []): string[][] {
  const args = ['-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,', ...extraArgs];
  for (const n of names) args.push('-e', n);
  if (filter) args.push('-Y', filter);
  const { stdout, stderr, status } = tshark(file, args);
  if (status !== 0) throw new Error(`tshark failed on ${file}: ${stderr}`);
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
}

/** All values of one field over the file (repeated occurrences flattened). */
export function fieldValues(file: string, name: string, filter?: string, extraArgs: readonly string[] = []): string[] {
  return fields(file, [name], filter, extraArgs)
    .flatMap((row) => row[0].split(','))
    .filter((v) => v !== '');
}

export function frameCount(file: string): number {
  return fields(file, ['frame.number']).length;
}

export function tsharkVersion(): string {
  return execFileSync(TSHARK, ['--version'], { encoding: 'utf8' }).split('\n')[0];
}
