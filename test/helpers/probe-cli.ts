import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Repository root, from dist/test/helpers. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const PROBE_BIN = path.join(REPO_ROOT, 'dist', 'cli', 'main.js');

export interface ProbeRun {
  code: number | null;
  stdout: string;
  stderr: string;
  flows: Record<string, any>[];
  stats: Record<string, any> | null;
}

/** Runs `microcloud probe` as a user would, collecting its JSON-lines flows and final counters. */
export function runProbeCli(args: string[], opts: { timeoutMs?: number } = {}): ProbeRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-probe-'));
  const flowsPath = path.join(dir, 'flows.jsonl');
  const statsPath = path.join(dir, 'stats.json');
  const r = spawnSync(process.execPath, [PROBE_BIN, 'probe', '--resp-port', '0', '--exit-on-eof', '--no-progress',
    '--flows-out', flowsPath, '--stats-out', statsPath, ...args], { encoding: 'utf8', timeout: opts.timeoutMs ?? 120_000 });
  const flows = fs.existsSync(flowsPath)
    ? fs.readFileSync(flowsPath, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, any>)
    : [];
  const stats = fs.existsSync(statsPath) ? JSON.parse(fs.readFileSync(statsPath, 'utf8')) as Record<string, any> : null;
  fs.rmSync(dir, { recursive: true, force: true });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, flows, stats };
}

/** Runs the CLI with exactly these arguments (no defaults added). */
export function runCliRaw(args: string[], timeoutMs = 60_000): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [PROBE_BIN, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function flowSource(f: Record<string, any>): string {
  return (f.sourceIPv4Address ?? f.sourceIPv6Address) as string;
}

export function flowDestination(f: Record<string, any>): string {
  return (f.destinationIPv4Address ?? f.destinationIPv6Address) as string;
}
