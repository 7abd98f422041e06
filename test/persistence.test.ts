import t from 'tap';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { PROBE_BIN } from './helpers/probe-cli';
import { freePort, infoFields, waitFor, exited } from './helpers/probe-server';
import { buildLifecycleCapture, PHASE_END_S, RADIUS_USERS as R } from './gen/subscriber-lifecycle';
import { writePcap, LinkType } from './gen/pcap-writer';

/**
 * --data-dir: the persistent keys (user.*, ipuser.*, gtp.*) survive kill -9
 * of the probe; a restart with the same directory has every one of them back
 * and knows the subscribers again, so the Stop and Delete messages it sees
 * next remove them as if it had never gone.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-persist-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function persistentKeys(port: number): Promise<Record<string, unknown>> {
  const r = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  try {
    const out: Record<string, unknown> = {};
    for (const pattern of ['user.*', 'ipuser.*', 'gtp.*']) {
      for (const key of await r.keys(pattern)) out[key] = (await r.type(key)) === 'hash' ? await r.hgetall(key) : await r.get(key);
    }
    return out;
  } finally {
    r.disconnect();
  }
}

async function serve(capture: string, dataDir: string) {
  const port = await freePort();
  const child = spawn(process.execPath, [PROBE_BIN, 'probe', '--no-progress', '--pcap', capture, '--resp-port', String(port), '--data-dir', dataDir], { stdio: 'ignore' });
  const exit = exited(child);
  await waitFor('pcap_eof:1', () => infoFields(port).pcap_eof === '1');
  return { port, child, exit };
}

t.test('kill -9, restart with the same --data-dir: every persistent key is back, and later signalling acts on it', async (t) => {
  const dataDir = path.join(tmp, 'data');
  const connect = path.join(tmp, 'connect.pcap');
  fs.writeFileSync(connect, buildLifecycleCapture('connect').file);
  const first = await serve(connect, dataDir);
  const before = await persistentKeys(first.port);
  t.ok(Object.keys(before).length >= 20, `${Object.keys(before).length} persistent keys before the kill`);
  first.child.kill('SIGKILL');
  t.equal(await first.exit, null, 'killed by SIGKILL');

  const empty = path.join(tmp, 'empty.pcap');
  fs.writeFileSync(empty, writePcap([], { linkType: LinkType.ETHERNET }));
  const second = await serve(empty, dataDir);
  try {
    t.same(await persistentKeys(second.port), before, 'every user.*, ipuser.*, gtp.* key is back, field for field');
    t.equal(infoFields(second.port).users, String(Object.keys(before).filter((k) => k.startsWith('user.')).length), 'and the probe knows those users again');
  } finally {
    second.child.kill('SIGKILL');
    await second.exit;
  }

  // The rest of the story, after a restart: Stop, Accounting-Off, Delete PDP Context, Delete Session.
  const leave = path.join(tmp, 'leave.pcap');
  const records = buildLifecycleCapture('leave').records;
  const leaveStart = records[0].timeNs + BigInt(Math.round(PHASE_END_S.change * 1e9));
  fs.writeFileSync(leave, writePcap(records.filter((r) => r.timeNs >= leaveStart), { linkType: LinkType.ETHERNET }));
  const third = await serve(leave, dataDir);
  try {
    const after = await persistentKeys(third.port);
    t.same(Object.keys(after).sort(), ['ipuser.' + R.dave.ip, 'user.dave'], 'only dave is left: the restored sessions were ended by the signalling');
  } finally {
    third.child.kill('SIGTERM');
    await third.exit;
  }

  // And the log, replayed once more, agrees.
  const fourth = await serve(empty, dataDir);
  try {
    t.same(Object.keys(await persistentKeys(fourth.port)).sort(), ['ipuser.' + R.dave.ip, 'user.dave'], 'the removals were logged too');
  } finally {
    fourth.child.kill('SIGTERM');
    await fourth.exit;
  }
});

t.test('two probes on one --data-dir: the second is refused', async (t) => {
  const dataDir = path.join(tmp, 'shared-dir');
  const empty = path.join(tmp, 'empty2.pcap');
  fs.writeFileSync(empty, writePcap([], { linkType: LinkType.ETHERNET }));
  const first = await serve(empty, dataDir);
  try {
    const second = spawn(process.execPath, [PROBE_BIN, 'probe', '--pcap', empty, '--resp-port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    second.stderr!.on('data', (d) => (err += d));
    t.equal(await exited(second), 2);
    t.match(err, /in use by another probe \(pid \d+/);
  } finally {
    first.child.kill('SIGTERM');
    await first.exit;
  }
});

t.test('--data-dir that cannot be used: one line, exit 2', async (t) => {
  const file = path.join(tmp, 'not-a-dir');
  fs.writeFileSync(file, 'x');
  const child = spawn(process.execPath, [PROBE_BIN, 'probe', '--pcap', path.join(tmp, 'connect.pcap'), '--resp-port', '0', '--data-dir', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  t.equal(await exited(child), 2);
  t.equal(err.trim().split('\n').length, 1, `one line: ${err.trim()}`);
});
