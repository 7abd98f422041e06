import { spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROBE_BIN, ProbeRun } from './probe-cli';
import { exited } from './probe-server';

/**
 * Runs `microcloud probe` without blocking this process, for tests whose
 * collectors or servers live in the test process itself (a blocking spawnSync
 * would leave their sockets unread). Same defaults as runProbeCli.
 */
export async function runProbeAsync(args: string[], timeoutMs = 120_000): Promise<ProbeRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-probe-'));
  const flowsPath = path.join(dir, 'flows.jsonl');
  const statsPath = path.join(dir, 'stats.json');
  const child = spawn(process.execPath, [PROBE_BIN, 'probe', '--resp-port', '0', '--exit-on-eof', '--no-progress',
    '--flows-out', flowsPath, '--stats-out', statsPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = collectOutput(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await exited(child);
  clearTimeout(timer);
  const flows = fs.existsSync(flowsPath)
    ? fs.readFileSync(flowsPath, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, any>)
    : [];
  const stats = fs.existsSync(statsPath) ? JSON.parse(fs.readFileSync(statsPath, 'utf8')) as Record<string, any> : null;
  fs.rmSync(dir, { recursive: true, force: true });
  return { code, stdout: out.stdout, stderr: out.stderr, flows, stats };
}

export function collectOutput(child: ChildProcess): { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  child.stdout?.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out.stderr += d.toString()));
  return out;
}
