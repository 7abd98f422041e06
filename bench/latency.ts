/**
 * Wire-to-cloud latency of subscriber signalling (issue 9; the paper reports
 * about one second). Asserts nothing and never fails on speed.
 *
 *   node dist/bench/latency.js [--users N] [--interval-ms MS] [--workers N]
 *
 * 1. Writes a capture of N subscribers arriving, alternately by RADIUS
 *    Accounting-Start and by GTPv2 Create Session Request/Response, one every
 *    MS milliseconds (default 400 users, 10 ms apart).
 * 2. Starts a real redis-server (the upstream) and the probe capturing live
 *    on lo with --upstream to it.
 * 3. Replays the capture on lo with tcpreplay at its own pace.
 * 4. Every events.user message carries the packet's libpcap timestamp
 *    (`ts`, the wire time); latency = arrival at a subscriber - ts, read on
 *    the probe's own RESP server (local knowledge base, published after the
 *    keys are written) and on the upstream redis-server.
 * 5. Prints p50, p99 and max for both, and how many events arrived.
 *
 * Needs root (live capture and tcpreplay), tcpreplay and redis-server.
 */
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { probeMain } from '../test/corpus/paths';
import { freePort } from '../test/helpers/probe-server';
import { ethernet } from '../test/gen/link';
import { udpPacket } from '../test/gen/conversation';
import { writePcap, LinkType, PacketRecord } from '../test/gen/pcap-writer';
import {
  AcctStatusType, FteidInterface, Gtpv2RatType, gtpv2CreateSessionRequest, gtpv2CreateSessionResponse, radiusAccountingRequest,
} from '../test/gen/app';

const NAS = { ip: '192.0.2.10', port: 40000 };
const RADIUS_SERVER = { ip: '192.0.2.11', port: 1813 };
const SGW = { ip: '192.0.2.20', port: 2123 };
const PGW = { ip: '192.0.2.21', port: 2123 };
const MACS = { a: '02:00:00:00:01:01', b: '02:00:00:00:01:02' };

function usage(msg?: string): never {
  if (msg) process.stderr.write(`${msg}\n`);
  process.stderr.write('usage: node dist/bench/latency.js [--users N] [--interval-ms MS] [--workers N]\n');
  process.exit(2);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The signalling capture: user i arrives at i * intervalMs. */
function buildCapture(file: string, users: number, intervalMs: number): void {
  const records: PacketRecord[] = [];
  const t0 = BigInt(Date.UTC(2026, 0, 1)) * 1_000_000n;
  const frame = (atMs: number, fromA: boolean, packet: Buffer): void => {
    records.push({ timeNs: t0 + BigInt(Math.round(atMs * 1000)) * 1000n, data: ethernet({ src: fromA ? MACS.a : MACS.b, dst: fromA ? MACS.b : MACS.a }, packet) });
  };
  for (let i = 0; i < users; i++) {
    const at = i * intervalMs;
    const ip = `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
    if (i % 2 === 0) {
      const acct = radiusAccountingRequest({ id: i & 255, secret: 'bench', statusType: AcctStatusType.START, nasIp: NAS.ip, userName: `bench${i}@isp.test`, sessionId: `s${i}`, framedIp: ip });
      frame(at, true, udpPacket(NAS, RADIUS_SERVER, acct));
    } else {
      const imsi = `00101${String(i).padStart(10, '0')}`;
      const sgwC = { interfaceType: FteidInterface.S5S8_SGW_GTPC, teid: 0x10000 + i, ipv4: SGW.ip };
      const pgwC = { interfaceType: FteidInterface.S5S8_PGW_GTPC, teid: 0x20000 + i, ipv4: PGW.ip };
      const sgwU = { interfaceType: FteidInterface.S5S8_SGW_GTPU, teid: 0x30000 + i, ipv4: SGW.ip, instance: 2 };
      const pgwU = { interfaceType: FteidInterface.S5S8_PGW_GTPU, teid: 0x40000 + i, ipv4: PGW.ip, instance: 2 };
      const location = { mcc: '001', mnc: '01', tac: 0x0101, eci: 0x100 + i };
      const req = gtpv2CreateSessionRequest({
        sequence: i, imsi, msisdn: `3361${String(i).padStart(7, '0')}`, mei: `35209900${String(i).padStart(8, '0')}`, apn: 'internet',
        rat: Gtpv2RatType.EUTRAN, location, senderControl: sgwC, bearer: { ebi: 5, fteids: [sgwU] },
      });
      const resp = gtpv2CreateSessionResponse({ sequence: i, teid: sgwC.teid, senderControl: pgwC, paa: { ipv4: ip }, bearer: { ebi: 5, fteids: [pgwU], chargingId: i } });
      frame(at, true, udpPacket(SGW, PGW, req));
      // The subscriber exists once the response accepted the session: that packet is the wire time.
      frame(at + 1, false, udpPacket(PGW, SGW, resp));
    }
  }
  require('node:fs').writeFileSync(file, writePcap(records, { linkType: LinkType.ETHERNET }));
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

async function main(): Promise<void> {
  const a = process.argv.slice(2);
  let users = 400;
  let intervalMs = 10;
  let workers = 0;
  for (let i = 0; i < a.length; i++) {
    const num = (): number => {
      const n = Number(a[++i]);
      if (!Number.isFinite(n) || n < 0) usage(`${a[i - 1]} needs a number`);
      return n;
    };
    if (a[i] === '--users') users = Math.max(2, Math.floor(num()));
    else if (a[i] === '--interval-ms') intervalMs = num();
    else if (a[i] === '--workers') workers = Math.floor(num());
    else usage(a[i] === '--help' || a[i] === '-h' ? undefined : `unknown option ${a[i]}`);
  }
  if (process.getuid?.() !== 0) usage('live capture and tcpreplay need root');
  for (const cmd of ['tcpreplay', 'redis-server']) {
    if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) usage(`${cmd} is not installed`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'microcloud-latency-'));
  const capture = join(dir, 'signalling.pcap');
  buildCapture(capture, users, intervalMs);

  const children: ChildProcess[] = [];
  const clients: Redis[] = [];
  const cleanup = (): void => {
    for (const c of clients) c.disconnect();
    for (const c of children) c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const upPort = await freePort();
    children.push(spawn('redis-server', ['--port', String(upPort), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }));
    const respPort = await freePort();
    const probe = spawn(process.execPath, [probeMain(), 'probe', '--no-progress', '--interface', 'lo', '--bpf', 'udp port 1813 or udp port 2123',
      '--resp-port', String(respPort), '--upstream', `redis://127.0.0.1:${upPort}`, '--workers', String(workers)], { stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(probe);

    if (!(await waitFor(() => listening(respPort), 15_000)) || !(await waitFor(() => listening(upPort), 15_000))) throw new Error('probe or redis-server did not start');
    const local = new Redis({ port: respPort });
    const upstream = new Redis({ port: upPort });
    clients.push(local, upstream);
    const seen = { local: new Map<string, number>(), upstream: new Map<string, number>() };
    for (const [name, client] of [['local', local], ['upstream', upstream]] as const) {
      client.on('message', (_ch: string, message: string) => {
        const now = Date.now();
        const e = JSON.parse(message) as { event: string; user: string; ts: number };
        if (e.event === 'connect' && !seen[name].has(e.user)) seen[name].set(e.user, now - e.ts * 1000);
      });
      await client.subscribe('events.user');
    }
    // The capture may open a moment after the RESP server (in a worker): give it time.
    await new Promise((r) => setTimeout(r, 1000));

    process.stdout.write(`replaying ${users} subscriber arrivals, one every ${intervalMs} ms, on lo (probe --workers ${workers}, upstream redis-server :${upPort})\n`);
    // Not spawnSync: this process must take the events as they come.
    const replay = spawn('tcpreplay', ['-i', 'lo', capture], { stdio: ['ignore', 'ignore', 'pipe'] });
    let replayErr = '';
    replay.stderr.on('data', (d: Buffer) => (replayErr += d.toString()));
    const status = await new Promise<number | null>((r) => replay.on('close', r));
    if (status !== 0) throw new Error(`tcpreplay failed: ${replayErr.trim()}`);
    await waitFor(async () => seen.local.size >= users && seen.upstream.size >= users, 5000);

    for (const name of ['local', 'upstream'] as const) {
      const lat = [...seen[name].values()].sort((x, y) => x - y);
      process.stdout.write(
        `wire to ${name === 'local' ? 'probe events.user (keys written)' : 'upstream redis-server events.user'}: ${lat.length}/${users} events, ` +
          `p50 ${percentile(lat, 50).toFixed(1)} ms, p99 ${percentile(lat, 99).toFixed(1)} ms, max ${lat[lat.length - 1]?.toFixed(1)} ms\n`,
      );
    }
    process.stdout.write('(ts in events.user has millisecond resolution: each figure is within 1 ms)\n');
  } finally {
    cleanup();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`latency: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
