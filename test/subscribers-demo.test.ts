import t from 'tap';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { PROBE_BIN } from './helpers/probe-cli';
import { freePort, infoFields, waitFor, exited } from './helpers/probe-server';
import { buildDemoCapture, FIXED_USERS, MOBILE_USERS } from './gen/demo-capture';

/**
 * One capture with GTPv1 and GTPv2 subscribers, their GTP-U traffic and
 * RADIUS users (the `make run` demo, built by our generator): per-user byte
 * counters in ip.<addr> equal the inner IP bytes the generator put on the
 * wire, flows name their user, and the users still connected at the end
 * have their keys while those who left have none.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-subs-demo-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

t.test('demo capture: users, tunnels and per-user bytes', async (t) => {
  const demo = buildDemoCapture();
  const capture = path.join(tmp, 'demo.pcap');
  fs.writeFileSync(capture, demo.file);
  const flowsOut = path.join(tmp, 'flows.jsonl');
  const port = await freePort();
  const child = spawn(process.execPath, [PROBE_BIN, 'probe', '--no-progress', '--pcap', capture, '--resp-port', String(port), '--flows-out', flowsOut], { stdio: 'ignore' });
  const exit = exited(child);
  const r = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await waitFor('pcap_eof:1', () => infoFields(port).pcap_eof === '1');
    await r.connect();

    for (const u of [...FIXED_USERS, ...MOBILE_USERS]) {
      const want = demo.ipBytes.get(u.ip);
      t.ok(want !== undefined && want.sent > 0 && want.rcvd > 0, `${u.ip} has generated traffic`);
      const host = await r.hgetall(`ip.${u.ip}`);
      t.equal(Number(host['bytes.sent']), want!.sent, `ip.${u.ip} bytes.sent = generated inner IP bytes`);
      t.equal(Number(host['bytes.rcvd']), want!.rcvd, `ip.${u.ip} bytes.rcvd = generated inner IP bytes`);
    }

    // Still connected at the end: carol (RADIUS) and the third mobile subscriber (GTPv2).
    const carol = FIXED_USERS[2];
    t.same(await r.hgetall(`user.${carol.name}`), {
      ip: carol.ip, source: 'radius', since: '1767225601', session: carol.session, nas: '10.255.0.1', 'calling.station': carol.calling,
    }, 'user.<name> from RADIUS');
    t.equal(await r.get(`ipuser.${carol.ip}`), carol.name);
    t.equal(await r.hget(`ip.${carol.ip}`, 'user'), carol.name, 'ip.<addr> carries user');
    const m3 = MOBILE_USERS[2];
    const user3 = await r.hgetall(`user.${m3.imsi}`);
    t.match(user3, { ip: m3.ip, source: 'gtpv2', imsi: m3.imsi, msisdn: m3.msisdn, imei: m3.imei, apn: 'internet', rat: '6' }, 'user.<imsi> from GTPv2');
    t.equal(await r.get(`ipuser.${m3.ip}`), m3.imsi);
    t.equal(await r.hget(`ip.${m3.ip}`, 'user'), m3.imsi);
    const g = await r.hgetall(`gtp.imsi.${m3.imsi}`);
    t.match(g, { msisdn: m3.msisdn, imei: m3.imei, ip: m3.ip, apn: 'internet', version: '2', 'node.u.up': '10.30.0.2', 'node.u.down': '10.30.0.1', 'node.c': '10.30.0.2' });
    t.equal(g.cell, '001-01-257-6668', 'the cell after the handover (Modify Bearer)');
    t.equal(await r.get(`gtp.teid.10.30.0.2.${g['teid.u.up']}`), m3.imsi, 'uplink tunnel endpoint names the IMSI');
    t.equal(await r.get(`gtp.teid.10.30.0.1.${g['teid.u.down']}`), m3.imsi, 'downlink tunnel endpoint names the IMSI');
    t.same((await r.keys('gtp.teid.*')).length, 2, 'the dedicated bearer\'s tunnels left with Delete Bearer');

    // Gone: Accounting-Stop and Delete PDP Context / Delete Session removed them.
    for (const name of [FIXED_USERS[0].name, FIXED_USERS[1].name, MOBILE_USERS[0].imsi, MOBILE_USERS[1].imsi]) {
      t.equal(await r.exists(`user.${name}`), 0, `user.${name} removed`);
    }
    for (const ip of [FIXED_USERS[0].ip, MOBILE_USERS[0].ip, MOBILE_USERS[1].ip]) {
      t.equal(await r.exists(`ipuser.${ip}`), 0, `ipuser.${ip} removed`);
      t.equal(await r.hexists(`ip.${ip}`, 'user'), 0, `ip.${ip} no longer names a user`);
    }
    t.equal(await r.exists(`gtp.imsi.${MOBILE_USERS[0].imsi}`, `gtp.imsi.${MOBILE_USERS[1].imsi}`), 0);
  } finally {
    r.disconnect();
    child.kill('SIGTERM');
    await exit;
  }

  // Flows carry their user: by tunnel endpoint for GTP-U, by address for RADIUS users.
  const flows = fs.readFileSync(flowsOut, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  for (const u of MOBILE_USERS) {
    const mine = flows.filter((f) => f.tunnel?.type === 'gtpu' && (f.sourceIPv4Address === u.ip || f.destinationIPv4Address === u.ip));
    t.ok(mine.length > 5, `${mine.length} GTP-U flows of ${u.imsi}`);
    t.same([...new Set(mine.map((f) => `${f.userName}/${f.imsi}/${f.msisdn}/${f.imei}`))], [`${u.imsi}/${u.imsi}/${u.msisdn}/${u.imei}`], 'every one names the subscriber');
    t.ok(mine.every((f) => typeof f.cellId === 'string'), 'and its cell');
  }
  for (const u of FIXED_USERS) {
    const mine = flows.filter((f) => f.sourceIPv4Address === u.ip);
    t.ok(mine.length > 5, `${mine.length} flows of ${u.name}`);
    t.same([...new Set(mine.map((f) => f.userName))], [u.name], 'every one names the user');
  }
  t.notOk(flows.some((f) => f.sourceIPv4Address?.startsWith('10.10.10.') && f.userName !== undefined), 'office hosts (no RADIUS) have no user');
});
