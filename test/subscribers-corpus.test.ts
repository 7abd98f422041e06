import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { PROBE_BIN } from './helpers/probe-cli';
import { freePort, infoFields, waitFor, exited } from './helpers/probe-server';
import { ndpiPcapDir, zeekDir } from './corpus/paths';
import { buildLifecycleCapture } from './gen/subscriber-lifecycle';
import { writePcap, LinkType } from './gen/pcap-writer';

/**
 * Subscriber awareness on real captures, against Zeek's baselines and
 * nDPI's expectations: the subscribers, addresses and TEIDs that Zeek logs
 * for GTP and RADIUS, nDPI's gtp_c.pcap subscriber, and no user at all from
 * the false positives, truncated and garbled signalling.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-subs-corpus-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface ProbeView {
  keys: Record<string, unknown>;
  info: Record<string, string>;
}

/** Reads a capture to its end and returns the subscriber keys and INFO probe. */
async function readCapture(capture: string): Promise<ProbeView> {
  const port = await freePort();
  const child = spawn(process.execPath, [PROBE_BIN, 'probe', '--no-progress', '--pcap', capture, '--resp-port', String(port)], { stdio: 'ignore' });
  const exit = exited(child);
  const r = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await waitFor('pcap_eof:1', () => infoFields(port).pcap_eof === '1');
    await r.connect();
    const keys: Record<string, unknown> = {};
    for (const pattern of ['user.*', 'ipuser.*', 'gtp.*']) {
      for (const key of await r.keys(pattern)) keys[key] = (await r.type(key)) === 'hash' ? await r.hgetall(key) : await r.get(key);
    }
    return { keys, info: infoFields(port) };
  } finally {
    r.disconnect();
    child.kill('SIGTERM');
    t.equal(await exit, 0, `${path.basename(capture)}: the probe exits cleanly`);
  }
}

/** One Create PDP Context exchange as Zeek's gtpv1 events print it. */
interface ZeekPdpCreate {
  imsi: string;
  sgsnTeidData: number;
  sgsnUserAddress: string;
  ggsnTeidData: number;
  ggsnUserAddress: string;
  ueAddress: string;
  cause: number;
}

/** Pairs the "gtp create request" and "gtp create response" records of Zeek's baseline, in order. */
function zeekPdpCreates(baseline: string): ZeekPdpCreate[] {
  const lines = fs.readFileSync(baseline, 'utf8').split('\n');
  const records = (event: string) => lines.flatMap((l, i) => (l.startsWith(event) ? [lines[i + 2]] : []));
  const field = (rec: string, re: RegExp) => {
    const m = re.exec(rec);
    if (m === null) throw new Error(`baseline record without ${re}: ${rec.slice(0, 80)}`);
    return m[1];
  };
  const requests = records('gtp create request');
  const responses = records('gtp create response');
  return requests.map((req, i) => {
    const resp = responses[i];
    return {
      imsi: field(req, /imsi=(\d+)/),
      sgsnTeidData: Number(field(req, /data1=(\d+)/)),
      sgsnUserAddress: field(req, /user_addr=\[ip=([\d.]+)/),
      ggsnTeidData: Number(field(resp, /data1=(\d+)/)),
      ggsnUserAddress: field(resp, /user_addr=\[ip=([\d.]+)/),
      ueAddress: field(resp, /pdp_ip=([\d.]+)/),
      cause: Number(field(resp, /cause=(\d+)/)),
    };
  });
}

t.test("Zeek's GTPv1 captures give the subscribers, addresses and TEIDs of Zeek's baseline", async (t) => {
  const creates = zeekPdpCreates(path.join(zeekDir(), 'baseline', 'core.tunnels.gtp.pdp_ctx_messages', 'out'));
  t.equal(creates.length, 2, 'two Create PDP Context exchanges in the baseline');
  t.ok(creates.some((c) => c.imsi === '460004100000101' && c.ueAddress === '192.168.252.130'), 'the baseline has IMSI 460004100000101 with 192.168.252.130');
  const { keys } = await readCapture(path.join(zeekDir(), 'tunnels__gtp__pdp_ctx_messages.pcapng'));
  for (const c of creates) {
    t.equal(c.cause, 128, 'accepted in the baseline');
    t.match(keys[`user.${c.imsi}`], { ip: c.ueAddress, source: 'gtpv1', imsi: c.imsi }, `user.${c.imsi}`);
    t.equal(keys[`ipuser.${c.ueAddress}`], c.imsi, `ipuser.${c.ueAddress}`);
    t.equal(keys[`gtp.teid.${c.sgsnUserAddress}.${c.sgsnTeidData}`], c.imsi, `SGSN user-plane TEID ${c.sgsnTeidData} at ${c.sgsnUserAddress}`);
    t.equal(keys[`gtp.teid.${c.ggsnUserAddress}.${c.ggsnTeidData}`], c.imsi, `GGSN user-plane TEID ${c.ggsnTeidData} at ${c.ggsnUserAddress}`);
    t.match(keys[`gtp.imsi.${c.imsi}`], { ip: c.ueAddress, version: '1', 'teid.u.up': String(c.ggsnTeidData), 'teid.u.down': String(c.sgsnTeidData) });
  }
  t.equal(Object.keys(keys).filter((k) => k.startsWith('user.')).length, creates.length, 'no other user');

  const single = await readCapture(path.join(zeekDir(), 'tunnels__gtp__gtp_create_pdp_ctx.pcap'));
  t.match(single.keys['user.460004100000101'], { ip: '192.168.252.130', msisdn: '8615221000101' }, 'the same subscriber from the single-exchange capture');
});

t.test("Zeek's RADIUS captures give the users of Zeek's radius.log", async (t) => {
  // radius.log: John.McGuirk, success, framed_addr 255.255.255.254 (RFC 2865: "the NAS should assign"), not an address.
  const auth = await readCapture(path.join(zeekDir(), 'radius__radius.pcap'));
  t.match(auth.keys['user.John.McGuirk'], { source: 'radius' }, 'user.John.McGuirk after the Access-Accept');
  t.notOk('ip' in (auth.keys['user.John.McGuirk'] as object), 'no address for 255.255.255.254');
  t.same(Object.keys(auth.keys).filter((k) => k.startsWith('ipuser.')), [], 'no ipuser key');
  // radius-multiple-attempts radius.log: steve fails, then succeeds with framed_addr 172.16.3.33.
  const attempts = await readCapture(path.join(zeekDir(), 'radius__radius_localhost.pcap'));
  t.match(attempts.keys['user.steve'], { ip: '172.16.3.33', source: 'radius' });
  t.equal(attempts.keys['ipuser.172.16.3.33'], 'steve');
  t.equal(attempts.info.radius_malformed, '0');
});

t.test("nDPI's gtp_c.pcap: IMSI 987654112233445 with 33.23.23.1, then its Delete Session", async (t) => {
  const capture = path.join(ndpiPcapDir(), 'gtp_c.pcap');
  // The capture ends with Delete Session: cut after the Create Session Response to read the session.
  const created = path.join(tmp, 'gtp_c-created.pcap');
  const cut = spawnSync('editcap', ['-r', capture, created, '1-2'], { encoding: 'utf8' });
  t.equal(cut.status, 0, `editcap: ${cut.stderr}`);
  const first = await readCapture(created);
  t.match(first.keys['user.987654112233445'], { ip: '33.23.23.1', source: 'gtpv2', imsi: '987654112233445' });
  t.equal(first.keys['ipuser.33.23.23.1'], '987654112233445');
  const whole = await readCapture(capture);
  t.same(whole.keys, {}, 'Delete Session removed every key');
  t.equal(whole.info.user_connects, '1');
  t.equal(whole.info.user_disconnects, '1');
});

const FALSE_POSITIVES = [
  path.join(ndpiPcapDir(), 'gtp_false_positive.pcapng'),
  path.join(ndpiPcapDir(), 'radius_false_positive.pcapng'),
  path.join(ndpiPcapDir(), 'gtp_prime.pcapng'),
  path.join(zeekDir(), 'tunnels__gtp__gtp3_false_gtp.pcap'),
  path.join(zeekDir(), 'tunnels__gtp__gtp9_unknown_or_too_short_payload.pcap'),
  path.join(zeekDir(), 'tunnels__gtp__gtp10_not_0xff.pcap'),
];

for (const capture of FALSE_POSITIVES) {
  t.test(`${path.basename(capture)}: no subscriber from what is not signalling`, async (t) => {
    const { keys } = await readCapture(capture);
    t.same(keys, {}, 'no user.*, ipuser.* or gtp.* key');
  });
}

t.test('truncated and garbled signalling: counted as malformed, no user, no crash', async (t) => {
  const lc = buildLifecycleCapture('connect');
  // Every frame cut short as by a snaplen (the payload reaches the dissectors truncated),
  // and every byte of the signalling payloads flipped in a second copy.
  const cutRecords = lc.records.map((r) => ({ ...r, data: r.data.subarray(0, Math.max(14 + 20 + 8 + 4, r.data.length - 9)), origLen: r.data.length }));
  const flipped = lc.records.map((r) => {
    const data = Buffer.from(r.data);
    for (let i = 14 + 20 + 8; i < data.length; i++) data[i] ^= 0x5a;
    return { ...r, data };
  });
  for (const [name, records] of [['cut', cutRecords], ['flipped', flipped]] as const) {
    const file = path.join(tmp, `${name}.pcap`);
    fs.writeFileSync(file, writePcap(records, { linkType: LinkType.ETHERNET }));
    const { keys, info } = await readCapture(file);
    t.same(keys, {}, `${name}: no subscriber key`);
    t.ok(Number(info.radius_malformed) > 0 && Number(info.gtpc_malformed) > 0, `${name}: counted as malformed (radius ${info.radius_malformed}, gtpc ${info.gtpc_malformed})`);
    t.equal(info.users, '0');
  }
});
