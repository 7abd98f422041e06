/**
 * `--workers N`: the traffic split over N pipeline workers by a symmetric
 * hash of the address pair gives the same results as one worker: the same
 * flow records (all fields but flowId, which each worker numbers apart), the
 * same counters, and the same knowledge base over RESP (but for the address
 * last seen behind a MAC), on the whole nDPI
 * corpus, Zeek's fragmented GTP capture and the demo capture (subscribers,
 * GTP-U, SIP calls with RTP).
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Redis from 'ioredis';
import { ndpiPcapDir, zeekDir } from './corpus/paths';
import { runProbeAsync } from './helpers/probe-async';
import { PROBE_BIN } from './helpers/probe-cli';
import { exited, freePort, infoFields, waitFor } from './helpers/probe-server';
import { demoCapture } from './helpers/flow-collectors';

function corpus(): string[] {
  const ndpi = fs.readdirSync(ndpiPcapDir()).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => path.join(ndpiPcapDir(), f));
  const zeek = ['tunnels__gtp__gtp1_gn_normal_incl_fragmentation.pcap', 'mixed-vlan-mpls.pcap', 'ipv6-fragmented-dns.pcap'].map((f) => path.join(zeekDir(), f)).filter((p) => fs.existsSync(p));
  return [demoCapture(), ...ndpi, ...zeek];
}

function recordSet(flows: Record<string, unknown>[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const f of flows) {
    const { flowId: _id, ...rest } = f;
    const key = JSON.stringify(rest, Object.keys(rest).sort());
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

function difference(a: Map<string, number>, b: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [k, n] of a) if ((b.get(k) ?? 0) < n) out.push(k);
  return out;
}

const skip = fs.existsSync(ndpiPcapDir()) ? false : 'nDPI corpus not found';

t.test('records and counters: 2 and 3 workers equal 1', { skip, timeout: 300_000 }, async (t) => {
  const args = corpus().flatMap((f) => ['--pcap', f]);
  const one = await runProbeAsync([...args, '--workers', '1']);
  t.equal(one.code, 0, 'one worker: exit 0');
  t.ok(one.flows.length > 8000, `${one.flows.length} records from ${args.length / 2} captures`);
  t.ok(one.flows.some((f) => f.userName !== undefined) && one.flows.some((f) => f.sipCallId !== undefined && f.applicationName === 'RTP'), 'subscriber flows and RTP tied to SIP calls among them');
  const base = recordSet(one.flows);
  for (const n of [2, 3]) {
    const run = await runProbeAsync([...args, '--workers', String(n)]);
    t.equal(run.code, 0, `${n} workers: exit 0`);
    t.equal(run.flows.length, one.flows.length, `${n} workers: as many records`);
    const got = recordSet(run.flows);
    const missing = difference(base, got);
    const extra = difference(got, base);
    t.same(missing, [], `${n} workers: every record of one worker, field for field`);
    t.same(extra, [], `${n} workers: nothing else`);
    t.equal(new Set(run.flows.map((f) => f.flowId)).size, run.flows.length, `${n} workers: flow ids unique`);
    const { damagedFiles: _d1, ...c1 } = one.stats ?? {};
    const { damagedFiles: _d2, ...cn } = run.stats ?? {};
    t.same(cn, c1, `${n} workers: the same counters (packets, bytes, flows, malformed, fragments...)`);
  }
});

/** Every key of the store, read by type, less the probe's own (stats.*, flow.*, probe.*). */
async function dumpStore(port: number): Promise<Record<string, unknown>> {
  const r = new Redis({ port });
  try {
    const keys = (await r.keys('*')).filter((k) => !/^(stats|flow|probe)\./.test(k)).sort();
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const type = await r.type(k);
      // Field order is the order of arrival, which differs between workers: compare sorted.
      // mac.<mac> ip is the address last seen behind the MAC; behind a router there are many and
      // "last" depends on which worker's update came last: not compared.
      if (type === 'hash') {
        const h = await r.hgetall(k);
        if (k.startsWith('mac.')) delete h.ip;
        out[k] = Object.fromEntries(Object.entries(h).sort(([a], [b]) => (a < b ? -1 : 1)));
      }
      else if (type === 'string') out[k] = await r.get(k);
      else if (type === 'zset') {
        const flat = await r.zrange(k, 0, -1, 'WITHSCORES');
        const pairs: string[] = [];
        for (let i = 0; i < flat.length; i += 2) pairs.push(`${flat[i]}=${flat[i + 1]}`);
        out[k] = pairs.sort();
      }
      else if (type === 'set') out[k] = (await r.smembers(k)).sort();
      else out[k] = type;
    }
    return out;
  } finally {
    r.disconnect();
  }
}

t.test('knowledge base over RESP: 2 workers equal 1', { skip, timeout: 120_000 }, async (t) => {
  const captures = [demoCapture(), path.join(ndpiPcapDir(), '1kxun.pcap'), path.join(ndpiPcapDir(), 'sip.pcap'), path.join(zeekDir(), 'tunnels__gtp__gtp1_gn_normal_incl_fragmentation.pcap')].filter((p) => fs.existsSync(p));
  const stores: Record<string, unknown>[] = [];
  for (const workers of [1, 2]) {
    const port = await freePort();
    const child = spawn(process.execPath, [PROBE_BIN, 'probe', '--no-progress', '--resp-port', String(port), '--workers', String(workers), '--host-ttl', '100000000', ...captures.flatMap((c) => ['--pcap', c])], { stdio: 'ignore' });
    try {
      await waitFor('pcap_eof:1', () => {
        try {
          return infoFields(port).pcap_eof === '1';
        } catch {
          return false;
        }
      }, 60_000);
      stores.push(await dumpStore(port));
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
  }
  const [one, two] = stores;
  const keys = Object.keys(one);
  t.ok(keys.length > 150, `${keys.length} keys with one worker (${keys.filter((k) => k.startsWith('user.')).length} users, ${keys.filter((k) => k.startsWith('ip.')).length} hosts)`);
  t.same(Object.keys(two), keys, 'two workers: the same keys');
  const differing = keys.filter((k) => JSON.stringify(one[k]) !== JSON.stringify(two[k]));
  t.same(differing.slice(0, 10).map((k) => `${k}: ${JSON.stringify(one[k])} / ${JSON.stringify(two[k])}`), [], 'two workers: every key holds the same values (host counters add up across workers)');
});
