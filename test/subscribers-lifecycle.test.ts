import t from 'tap';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { PROBE_BIN } from './helpers/probe-cli';
import { freePort, infoFields, waitFor, exited } from './helpers/probe-server';
import { buildLifecycleCapture, PHASE_END_S, RADIUS_USERS as R, V1, V2 } from './gen/subscriber-lifecycle';

/**
 * Every RADIUS and GTP-C message type the probe handles, on a capture our
 * generator builds (test/gen/subscriber-lifecycle.ts): the persistent keys
 * after each phase equal what the signalling said, rejected requests leave
 * nothing, Stop / Accounting-Off / Delete remove everything, and real
 * SUBSCRIBE clients (ioredis, node-redis) receive the connect, update and
 * disconnect events in order.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-subs-life-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SINCE = '1769904000';
const v1Down = (teid: number) => `gtp.teid.${V1.sgsn}.${teid}`;

function startProbe(capture: string, extra: string[], port: number) {
  return spawn(process.execPath, [PROBE_BIN, 'probe', '--no-progress', '--name', 'lc-probe', '--pcap', capture, '--resp-port', String(port), ...extra], { stdio: 'ignore' });
}

/** user.*, ipuser.* and gtp.* keys with their content. */
async function subscriberKeys(r: Redis): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const pattern of ['user.*', 'ipuser.*', 'gtp.*']) {
    for (const key of await r.keys(pattern)) out[key] = (await r.type(key)) === 'hash' ? await r.hgetall(key) : await r.get(key);
  }
  return out;
}

async function runPhase(phase: keyof typeof PHASE_END_S, extra: string[] = []) {
  const capture = path.join(tmp, `${phase}.pcap`);
  const lc = buildLifecycleCapture(phase);
  fs.writeFileSync(capture, lc.file);
  const flowsOut = path.join(tmp, `${phase}.jsonl`);
  const port = await freePort();
  const child = startProbe(capture, ['--flows-out', flowsOut, ...extra], port);
  const exit = exited(child);
  const r = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await waitFor('pcap_eof:1', () => infoFields(port).pcap_eof === '1');
    await r.connect();
    const keys = await subscriberKeys(r);
    const hosts: Record<string, Record<string, string>> = {};
    for (const ip of [V1.ip, V2.ip, R.alice.ip, R.alice.movedIp, R.dave.ip]) hosts[ip] = await r.hgetall(`ip.${ip}`);
    const info = infoFields(port);
    return { keys, hosts, info, lc, flows: fs.readFileSync(flowsOut, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
  } finally {
    r.disconnect();
    child.kill('SIGTERM');
    await exit;
  }
}

const v1User = (cell: string) => ({ ip: V1.ip, source: 'gtpv1', since: SINCE, imsi: V1.imsi, msisdn: V1.msisdn, imei: V1.imeisv, apn: 'internet.v1', rat: '1', cell });
const v2User = (cell: string) => ({ ip: V2.ip, source: 'gtpv2', since: SINCE, imsi: V2.imsi, msisdn: V2.msisdn, imei: V2.imei, apn: 'internet.v2', rat: '6', cell });
const radiusUser = (u: { ip: string; nas: string; session?: string; calling?: string }, ip = u.ip) => ({
  ip, source: 'radius', since: SINCE, nas: u.nas, ...(u.session ? { session: u.session, 'calling.station': u.calling } : {}),
});

t.test('after the connect phase: every accepted user, nothing for rejected ones', async (t) => {
  const { keys, hosts, info, lc, flows } = await runPhase('connect');
  t.same(keys, {
    'user.dave': radiusUser(R.dave), // Access-Accept alone
    'user.alice': radiusUser(R.alice),
    'user.bob': radiusUser(R.bob),
    'user.frank': radiusUser(R.frank),
    [`user.${V1.imsi}`]: v1User('001-01-257-513'),
    [`user.${V2.imsi}`]: v2User('001-01-2561-45057'),
    [`ipuser.${R.dave.ip}`]: 'dave',
    [`ipuser.${R.alice.ip}`]: 'alice',
    [`ipuser.${R.bob.ip}`]: 'bob',
    [`ipuser.${R.frank.ip}`]: 'frank',
    [`ipuser.${V1.ip}`]: V1.imsi,
    [`ipuser.${V2.ip}`]: V2.imsi,
    [`gtp.imsi.${V1.imsi}`]: {
      msisdn: V1.msisdn, imei: V1.imeisv, cell: '001-01-257-513', ip: V1.ip, apn: 'internet.v1', version: '1',
      'teid.c': String(V1.ggsnTeidControl), 'node.c': V1.ggsn,
      'teid.u.up': String(V1.ggsnTeidData), 'node.u.up': V1.ggsn, 'teid.u.down': String(V1.sgsnTeidData), 'node.u.down': V1.sgsn, since: SINCE,
    },
    [`gtp.imsi.${V2.imsi}`]: {
      msisdn: V2.msisdn, imei: V2.imei, cell: '001-01-2561-45057', ip: V2.ip, apn: 'internet.v2', version: '2',
      'teid.c': String(V2.sgwTeidC), 'node.c': V2.sgw,
      'teid.u.up': String(V2.sgwTeidU), 'node.u.up': V2.sgw, 'teid.u.down': String(V2.enbTeidU), 'node.u.down': V2.enb1, since: SINCE,
    },
    [v1Down(V1.sgsnTeidData)]: V1.imsi,
    [`gtp.teid.${V1.ggsn}.${V1.ggsnTeidData}`]: V1.imsi,
    [`gtp.teid.${V2.sgw}.${V2.sgwTeidU}`]: V2.imsi,
    [`gtp.teid.${V2.enb1}.${V2.enbTeidU}`]: V2.imsi,
    [`gtp.teid.${V2.sgw}.${V2.dedicatedSgwTeidU}`]: V2.imsi, // dedicated bearer (Create Bearer)
    [`gtp.teid.${V2.enb1}.${V2.dedicatedEnbTeidU}`]: V2.imsi,
  }, 'user.*, ipuser.*, gtp.imsi.*, gtp.teid.* exactly as signalled (eve rejected, the rejected IMSIs absent)');
  t.equal(info.users, '6');
  t.equal(info.radius_malformed, '0');
  t.equal(info.gtpc_malformed, '0');
  for (const [ip, name] of [[V1.ip, V1.imsi], [V2.ip, V2.imsi]]) {
    t.equal(hosts[ip].user, name, `ip.${ip} user`);
    t.equal(Number(hosts[ip]['bytes.sent']), lc.ueBytes.get(ip)!.sent, `ip.${ip} bytes.sent = inner bytes generated`);
    t.equal(Number(hosts[ip]['bytes.rcvd']), lc.ueBytes.get(ip)!.rcvd, `ip.${ip} bytes.rcvd = inner bytes generated`);
  }
  const gtpu = flows.filter((f) => f.tunnel?.type === 'gtpu');
  t.equal(gtpu.length, 3, 'three GTP-U flows (one on the dedicated bearer)');
  for (const f of gtpu) {
    const v1 = f.sourceIPv4Address === V1.ip;
    t.match(f, v1 ? { userName: V1.imsi, imsi: V1.imsi, msisdn: V1.msisdn, imei: V1.imeisv, cellId: '001-01-257-513' }
      : { userName: V2.imsi, imsi: V2.imsi, msisdn: V2.msisdn, imei: V2.imei, cellId: '001-01-2561-45057', apn: 'internet.v2' }, `GTP-U flow of ${f.sourceIPv4Address} names its subscriber`);
  }
});

t.test('after the change phase: moves, handover and bearer deletion replace the old keys', async (t) => {
  const { keys } = await runPhase('change');
  t.same(keys['user.alice'], radiusUser(R.alice, R.alice.movedIp), 'Interim-Update moved alice');
  t.equal(keys[`ipuser.${R.alice.movedIp}`], 'alice');
  t.notOk(`ipuser.${R.alice.ip}` in keys, 'her old address is free');
  t.same(keys[`user.${V1.imsi}`], v1User('001-01-257-514'), 'Update PDP Context: new cell');
  t.notOk(v1Down(V1.sgsnTeidData) in keys, 'the SGSN\'s old TEID is gone');
  t.equal(keys[v1Down(V1.sgsnTeidDataMoved)], V1.imsi, 'its new TEID names the IMSI');
  t.match(keys[`gtp.imsi.${V2.imsi}`], { cell: '001-01-2561-45058', 'node.u.down': V2.enb2, 'teid.u.down': String(V2.enb2TeidU) }, 'handover to the second eNodeB');
  const v2Tunnels = Object.keys(keys).filter((k) => k.startsWith('gtp.teid.') && keys[k] === V2.imsi).sort();
  t.same(v2Tunnels, [`gtp.teid.${V2.sgw}.${V2.sgwTeidU}`, `gtp.teid.${V2.enb2}.${V2.enb2TeidU}`].sort(), 'old eNodeB and the deleted dedicated bearer left');
});

t.test('after the leave phase: Stop, Accounting-Off and Delete removed everything but dave', async (t) => {
  const { keys, hosts, info } = await runPhase('leave');
  t.same(keys, { 'user.dave': radiusUser(R.dave), [`ipuser.${R.dave.ip}`]: 'dave' });
  t.equal(info.users, '1');
  t.equal(info.user_disconnects, '5');
  for (const ip of [V1.ip, V2.ip, R.alice.movedIp]) t.notOk('user' in hosts[ip], `ip.${ip} no longer names a user`);
});

t.test('--user-id msisdn names mobile subscribers by MSISDN', async (t) => {
  const { keys, hosts, flows } = await runPhase('connect', ['--user-id', 'msisdn']);
  t.match(keys[`user.${V1.msisdn}`], { imsi: V1.imsi, msisdn: V1.msisdn, source: 'gtpv1' });
  t.match(keys[`user.${V2.msisdn}`], { imsi: V2.imsi, msisdn: V2.msisdn, source: 'gtpv2' });
  t.equal(keys[`ipuser.${V2.ip}`], V2.msisdn);
  t.equal(keys[`gtp.teid.${V2.sgw}.${V2.sgwTeidU}`], V2.imsi, 'gtp.teid.* still names the IMSI (DESIGN.md)');
  t.equal(hosts[V1.ip].user, V1.msisdn);
  t.ok(flows.filter((f) => f.tunnel?.type === 'gtpu').every((f) => f.userName === f.msisdn), 'flows carry the MSISDN as userName');
});

t.test('events.user on real SUBSCRIBE clients (ioredis, node-redis), in order', async (t) => {
  const capture = path.join(tmp, 'loop.pcap');
  fs.writeFileSync(capture, buildLifecycleCapture('leave').file);
  const port = await freePort();
  // Paced and looped: each round repeats the story, so a subscriber sees a whole round.
  const child = startProbe(capture, ['--realtime', '--loop'], port);
  const exit = exited(child);
  const io = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: (n) => (n > 50 ? null : 100) });
  const nr = createClient({ socket: { port, reconnectStrategy: (n) => (n > 50 ? false : 100) } });
  const viaIo: Record<string, unknown>[] = [];
  const viaNr: Record<string, unknown>[] = [];
  try {
    await waitFor('the RESP listener', () => infoFields(port).packets !== undefined);
    await io.connect();
    io.on('message', (_channel: string, message: string) => viaIo.push(JSON.parse(message)));
    await io.subscribe('events.user');
    await nr.connect();
    await nr.subscribe('events.user', (message) => viaNr.push(JSON.parse(message)));
    // A round starts with alice's connect (dave stays connected across rounds) and ends with the last Delete Session.
    const round = (events: Record<string, unknown>[]) => {
      const from = events.findIndex((e) => e.event === 'connect' && e.user === 'alice');
      if (from < 0) return null;
      const to = events.findIndex((e, i) => i > from && e.event === 'disconnect' && e.user === V2.imsi);
      return to < 0 ? null : events.slice(from, to + 1);
    };
    await waitFor('a whole round on both clients', () => round(viaIo) !== null && round(viaNr) !== null, 30_000);
    const got = round(viaIo)!;
    t.same(got.map((e) => `${e.event} ${e.user}`), [
      'connect alice', 'connect bob', 'connect frank', `connect ${V1.imsi}`, `connect ${V2.imsi}`,
      `update ${V2.imsi}`, // Modify Bearer: the eNodeB's endpoint
      `update ${V2.imsi}`, // Create Bearer
      'update alice', // Interim-Update with a new address
      `update ${V1.imsi}`, // Update PDP Context
      `update ${V2.imsi}`, // handover
      `update ${V2.imsi}`, // Delete Bearer
      'disconnect alice', 'disconnect bob', 'disconnect frank', `disconnect ${V1.imsi}`, `disconnect ${V2.imsi}`,
    ], 'connect, update and disconnect events in wire order');
    // The two clients may have joined in different rounds: compare all but the time stamps.
    const untimed = (events: Record<string, unknown>[]) => events.map(({ ts: _ts, ...rest }) => rest);
    t.same(untimed(round(viaNr)!), untimed(got), 'node-redis received the same messages');
    const alice = got[0];
    t.match(alice, { event: 'connect', user: 'alice', ip: R.alice.ip, source: 'radius', probe: 'lc-probe' });
    t.type(alice.ts, 'number', 'ts in Unix seconds');
    t.match(got[3], { event: 'connect', user: V1.imsi, ip: V1.ip, source: 'gtpv1', imsi: V1.imsi, msisdn: V1.msisdn });
    t.match(got[7], { event: 'update', user: 'alice', ip: R.alice.movedIp });
    t.match(got[got.length - 1], { event: 'disconnect', user: V2.imsi, ip: V2.ip, source: 'gtpv2' });
  } finally {
    io.disconnect();
    await nr.quit().catch(() => undefined);
    child.kill('SIGTERM');
    await exit;
  }
});
