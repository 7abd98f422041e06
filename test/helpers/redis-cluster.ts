// A real Redis Cluster for tests: N masters spawned on free ports, joined with
// redis-cli --cluster create, ready once every node reports cluster_state:ok.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, Proc } from './redis-procs';
import { waitFor } from './probe-server';

export interface RedisCluster {
  ports: number[];
  stop(): Promise<void>;
}

function clusterState(port: number): string {
  const r = spawnSync('redis-cli', ['-p', String(port), 'CLUSTER', 'INFO'], { encoding: 'utf8', timeout: 5000 });
  return /cluster_state:(\w+)/.exec(r.stdout ?? '')?.[1] ?? '';
}

export async function spawnRedisCluster(masters = 3): Promise<RedisCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-cluster-'));
  const nodes: Proc[] = [];
  for (let i = 0; i < masters; i++) {
    const port = await freePort();
    const proc = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, `nodes-${port}.conf`),
      '--dir', dir, '--save', '', '--appendonly', 'no', '--logfile', '', '--loglevel', 'warning',
    ], { stdio: ['ignore', 'ignore', 'inherit'] });
    nodes.push({ port, proc, stop: async () => { proc.kill('SIGKILL'); } });
  }
  const stop = async (): Promise<void> => {
    for (const n of nodes) n.proc.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const n of nodes) await waitFor(`redis-server ${n.port}`, () => spawnSync('redis-cli', ['-p', String(n.port), 'PING'], { encoding: 'utf8' }).stdout?.trim() === 'PONG', 10_000);
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 60_000 });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    await waitFor('cluster_state:ok on every node', () => nodes.every((n) => clusterState(n.port) === 'ok'), 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { ports: nodes.map((n) => n.port), stop };
}
