/**
 * What the service dissectors put in the knowledge base, read back over RESP
 * from a running probe:
 *
 * 1. ip.<addr> dns.queries / dns.errors / http.requests / http.errors equal
 *    tshark's count of the same messages per client address on real
 *    captures; `os` is the family of a User-Agent that client sent.
 * 2. SIP/RTP correlation on a call our generator builds: while the call lasts
 *    sip.call.<Call-ID> holds from, to, state and the media endpoints, and
 *    the RTP and RTCP flows (which start after the SDP) carry sipCallId; after
 *    BYE the key is gone.
 * 3. --dns-subflows: one record per DNS transaction, each with its own
 *    transaction id, query name and RCODE, on a capture with two queries in
 *    flight on one socket (tshark tells how many transactions there are).
 */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { PROBE_BIN, runProbeCli } from './helpers/probe-cli';
import { freePort, infoFields, waitFor, exited } from './helpers/probe-server';
import { ndpiPcapDir, zeekDir } from './corpus/paths';
import { udpPacket } from './gen/conversation';
import { ethernet } from './gen/link';
import { LinkType, writePcap, PacketRecord } from './gen/pcap-writer';
import { dnsQuery, dnsResponse } from './gen/app/dns';
import { osFromUserAgent } from '../dissectors/user-agent-os';
import { tsharkAvailable } from './gen/tshark';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-svc-kb-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs a served probe over one capture; reads the key space once the capture is done. */
async function served(capture: string, patterns: string[], extra: string[] = []) {
  const port = await freePort();
  const flowsOut = path.join(tmp, `${path.basename(capture)}.jsonl`);
  const child = spawn(process.execPath, [PROBE_BIN, 'probe', '--no-progress', '--pcap', capture, '--resp-port', String(port), '--flows-out', flowsOut, ...extra], { stdio: 'ignore' });
  const exit = exited(child);
  const r = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await waitFor('pcap_eof:1', () => infoFields(port).pcap_eof === '1');
    await r.connect();
    const keys: Record<string, Record<string, string>> = {};
    for (const pattern of patterns) for (const key of await r.keys(pattern)) keys[key] = await r.hgetall(key);
    return { keys, info: infoFields(port) };
  } finally {
    r.disconnect();
    child.kill('SIGTERM');
    await exit;
  }
}

/** Per address, how many times tshark shows `field` matching `filter` (each message counts, several per frame over TCP). */
function tsharkCount(capture: string, filter: string, field: string, by: 'src' | 'dst', keep: (v: string) => boolean = () => true): Map<string, number> {
  const out = spawnSync('tshark', ['-n', '-r', capture, '-Y', filter, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=;', '-e', `ip.${by}`, '-e', `ipv6.${by}`, '-e', field],
    { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout;
  const counts = new Map<string, number>();
  for (const line of out.split('\n').filter(Boolean)) {
    const [v4, v6, values] = line.split('\t');
    const addr = (v4 !== '' ? v4 : v6).split(';').pop()!;
    const n = values.split(';').filter(keep).length;
    if (n > 0) counts.set(addr, (counts.get(addr) ?? 0) + n);
  }
  return counts;
}

function fieldByHost(keys: Record<string, Record<string, string>>, field: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const [key, h] of Object.entries(keys)) if (h[field] !== undefined) m.set(key.slice(3), Number(h[field]));
  return m;
}

const sorted = (m: Map<string, number>) => Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : 1)));

const DNS_CAPTURES = [path.join(zeekDir(), 'dns53.pcap'), path.join(ndpiPcapDir(), 'dns.pcap'), path.join(ndpiPcapDir(), 'dns_long_domainname.pcap'), path.join(ndpiPcapDir(), 'bad-dns-traffic.pcap')].filter((f) => fs.existsSync(f));
const HTTP_CAPTURES = [path.join(ndpiPcapDir(), '1kxun.pcap'), path.join(ndpiPcapDir(), 'http.pcapng'), path.join(zeekDir(), 'http__bro.org.pcap')].filter((f) => fs.existsSync(f));

t.test('dns.queries and dns.errors per client equal tshark', { skip: !tsharkAvailable() || DNS_CAPTURES.length === 0 }, async (t) => {
  for (const capture of DNS_CAPTURES) {
    const { keys } = await served(capture, ['ip.*']);
    const port53 = '(udp.port == 53 || tcp.port == 53)';
    const queries = tsharkCount(capture, `dns && ${port53}`, 'dns.flags.response', 'src', (v) => v === 'False' || v === '0');
    const errors = tsharkCount(capture, `dns && ${port53}`, 'dns.flags.rcode', 'dst', (v) => v !== '0' && v !== '');
    t.same(sorted(fieldByHost(keys, 'dns.queries')), sorted(queries), `${path.basename(capture)}: dns.queries per host (${[...queries.values()].reduce((a, b) => a + b, 0)} queries)`);
    t.same(sorted(fieldByHost(keys, 'dns.errors')), sorted(errors), `${path.basename(capture)}: dns.errors per host (${[...errors.values()].reduce((a, b) => a + b, 0)} error answers)`);
  }
});

t.test('http.requests, http.errors and os per client equal tshark', { skip: !tsharkAvailable() || HTTP_CAPTURES.length === 0 }, async (t) => {
  for (const capture of HTTP_CAPTURES) {
    const { keys } = await served(capture, ['ip.*']);
    const requests = tsharkCount(capture, 'http.request && tcp', 'http.request.method', 'src');
    const errors = tsharkCount(capture, 'http.response && tcp', 'http.response.code', 'dst', (v) => Number(v) >= 400);
    t.same(sorted(fieldByHost(keys, 'http.requests')), sorted(requests), `${path.basename(capture)}: http.requests per host (${[...requests.values()].reduce((a, b) => a + b, 0)} requests)`);
    t.same(sorted(fieldByHost(keys, 'http.errors')), sorted(errors), `${path.basename(capture)}: http.errors per host`);
    // os: the family of a User-Agent the host sent (hosts with several agents may show any of theirs).
    const ua = spawnSync('tshark', ['-n', '-r', capture, '-Y', 'http.user_agent && tcp', '-T', 'fields', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'http.user_agent'], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout;
    const families = new Map<string, Set<string>>();
    for (const line of ua.split('\n').filter(Boolean)) {
      const [v4, v6, agent] = line.split('\t');
      const fam = osFromUserAgent(agent);
      if (fam === null) continue;
      const addr = v4 !== '' ? v4.split(',').pop()! : v6.split(',').pop()!;
      let s = families.get(addr);
      if (s === undefined) families.set(addr, (s = new Set()));
      s.add(fam);
    }
    const withOs = Object.entries(keys).filter(([, h]) => h.os !== undefined);
    t.equal(withOs.length, families.size, `${path.basename(capture)}: os set on every host whose User-Agent names a system (${families.size})`);
    for (const [key, h] of withOs) t.ok(families.get(key.slice(3))?.has(h.os), `${key} os ${h.os} is one of ${[...(families.get(key.slice(3)) ?? [])].join(',')}`);
  }
});

// ---------------------------------------------------------------------------
// SIP call and its media

const CALL_ID = 'a84b4c76e66710@pc33.atlanta.example.com';
const ALICE = { ip: '192.0.2.10', port: 5060 };
const BOB = { ip: '198.51.100.20', port: 5060 };
const ALICE_RTP = { ip: ALICE.ip, port: 49170 };
const BOB_RTP = { ip: BOB.ip, port: 3456 };
const T0 = 1_790_000_000_000_000; // µs

function sdp(ip: string, port: number): string {
  return ['v=0', `o=user 2890844526 2890844526 IN IP4 ${ip}`, 's=-', `c=IN IP4 ${ip}`, 't=0 0', `m=audio ${port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');
}

function sip(startLine: string, cseq: string, body = '', fromTag = '1928301774', toTag = ''): Buffer {
  const head = [
    startLine,
    'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
    'Max-Forwards: 70',
    `From: Alice <sip:alice@atlanta.example.com>;tag=${fromTag}`,
    `To: Bob <sip:bob@biloxi.example.com>${toTag ? `;tag=${toTag}` : ''}`,
    `Call-ID: ${CALL_ID}`,
    `CSeq: ${cseq}`,
    'Contact: <sip:alice@pc33.atlanta.example.com>',
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    '',
  ].join('\r\n');
  return Buffer.from(head + body);
}

/** RTP packet (RFC 3550): version 2, PCMU, sequence and timestamp. */
function rtp(seq: number, ssrc: number): Buffer {
  const b = Buffer.alloc(12 + 160, 0xff);
  b[0] = 0x80; b[1] = 0;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE((seq * 160) >>> 0, 4);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

/** RTCP sender report (PT 200), minimal. */
function rtcp(ssrc: number): Buffer {
  const b = Buffer.alloc(28);
  b[0] = 0x80; b[1] = 200;
  b.writeUInt16BE(6, 2);
  b.writeUInt32BE(ssrc, 4);
  return b;
}

function callCapture(withBye: boolean): Buffer {
  const recs: PacketRecord[] = [];
  let t = T0;
  const add = (from: { ip: string; port: number }, to: { ip: string; port: number }, payload: Buffer, stepUs = 20_000) => {
    t += stepUs;
    recs.push({ timeNs: BigInt(t) * 1000n, data: ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, udpPacket(from, to, payload)) });
  };
  add(ALICE, BOB, sip('INVITE sip:bob@biloxi.example.com SIP/2.0', '314159 INVITE', sdp(ALICE_RTP.ip, ALICE_RTP.port)));
  add(BOB, ALICE, sip('SIP/2.0 180 Ringing', '314159 INVITE', '', '1928301774', 'a6c85cf'));
  add(BOB, ALICE, sip('SIP/2.0 200 OK', '314159 INVITE', sdp(BOB_RTP.ip, BOB_RTP.port), '1928301774', 'a6c85cf'), 1_000_000);
  add(ALICE, BOB, sip('ACK sip:bob@biloxi.example.com SIP/2.0', '314159 ACK', '', '1928301774', 'a6c85cf'));
  for (let i = 0; i < 50; i++) {
    add(ALICE_RTP, BOB_RTP, rtp(i, 0x11111111));
    add(BOB_RTP, ALICE_RTP, rtp(1000 + i, 0x22222222));
  }
  add({ ip: ALICE.ip, port: ALICE_RTP.port + 1 }, { ip: BOB.ip, port: BOB_RTP.port + 1 }, rtcp(0x11111111));
  if (withBye) {
    add(ALICE, BOB, sip('BYE sip:bob@biloxi.example.com SIP/2.0', '314160 BYE', '', '1928301774', 'a6c85cf'), 1_000_000);
    add(BOB, ALICE, sip('SIP/2.0 200 OK', '314160 BYE', '', '1928301774', 'a6c85cf'));
  }
  return writePcap(recs, { linkType: LinkType.ETHERNET });
}

t.test('a SIP call: sip.call.<id> while it lasts, its media flows carry the Call-ID', async (t) => {
  const during = path.join(tmp, 'call-during.pcap');
  fs.writeFileSync(during, callCapture(false));
  const a = await served(during, ['sip.call.*']);
  const call = a.keys[`sip.call.${CALL_ID}`];
  t.ok(call, 'the call is in the knowledge base');
  t.equal(call?.from, 'sip:alice@atlanta.example.com');
  t.equal(call?.to, 'sip:bob@biloxi.example.com');
  t.equal(call?.state, 'established');
  t.equal(call?.media, `${ALICE_RTP.ip}:${ALICE_RTP.port} ${BOB_RTP.ip}:${BOB_RTP.port}`, 'both SDP media endpoints');
  t.equal(call?.since, String(Math.floor((T0 + 20_000) / 1e6)), 'since: the INVITE');
  t.ok(Number(call?.['last.seen']) >= Math.floor(T0 / 1e6), 'media activity refreshed the call');
  t.equal(a.info.sip_calls, '1', 'INFO probe: one call going');

  const withBye = path.join(tmp, 'call-bye.pcap');
  fs.writeFileSync(withBye, callCapture(true));
  const b = await served(withBye, ['sip.call.*']);
  t.same(Object.keys(b.keys), [], 'after BYE the call key is gone');
  t.equal(b.info.sip_calls, '0');

  const run = runProbeCli(['--pcap', withBye]);
  t.equal(run.code, 0);
  const byPorts = (sp: number, dp: number) => run.flows.find((f) => f.sourceTransportPort === sp && f.destinationTransportPort === dp);
  const signalling = byPorts(5060, 5060);
  t.equal(signalling?.sipCallId, CALL_ID, 'the SIP flow carries its Call-ID');
  t.equal(signalling?.sipFrom, 'sip:alice@atlanta.example.com');
  t.equal(signalling?.applicationName, 'SIP');
  const media = byPorts(ALICE_RTP.port, BOB_RTP.port);
  t.equal(media?.sipCallId, CALL_ID, 'the RTP flow carries the Call-ID');
  t.equal(media?.packetDeltaCount, 50);
  t.equal(media?.reversePacketDeltaCount, 50);
  t.equal(byPorts(ALICE_RTP.port + 1, BOB_RTP.port + 1)?.sipCallId, CALL_ID, 'the RTCP flow (port + 1) carries the Call-ID');
  t.equal(run.flows.filter((f) => f.sipCallId !== undefined).length, 3, 'no other flow claims the call');
});

// ---------------------------------------------------------------------------
// --dns-subflows

t.test('--dns-subflows: one record per transaction', async (t) => {
  const client = { ip: '10.1.1.1', port: 40000 };
  const server = { ip: '10.1.1.53', port: 53 };
  const recs: PacketRecord[] = [];
  let us = T0;
  const add = (payload: Buffer, fromClient: boolean) => {
    us += 1000;
    recs.push({ timeNs: BigInt(us) * 1000n, data: ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, fromClient ? udpPacket(client, server, payload) : udpPacket(server, client, payload)) });
  };
  // A stub resolver's A and AAAA queries in flight together on one socket, then a third that fails.
  add(dnsQuery({ id: 0x1111, name: 'www.example.com', type: 1 }), true);
  add(dnsQuery({ id: 0x2222, name: 'www.example.com', type: 28 }), true);
  add(dnsResponse({ id: 0x2222, name: 'www.example.com', type: 28, answers: ['2001:db8::1'] }), false);
  add(dnsResponse({ id: 0x1111, name: 'www.example.com', type: 1, answers: ['192.0.2.1'] }), false);
  add(dnsQuery({ id: 0x3333, name: 'nowhere.example', type: 1 }), true);
  add(dnsResponse({ id: 0x3333, name: 'nowhere.example', type: 1, rcode: 3 }), false);
  const file = path.join(tmp, 'dns-subflows.pcap');
  fs.writeFileSync(file, writePcap(recs, { linkType: LinkType.ETHERNET }));

  const sub = runProbeCli(['--pcap', file, '--dns-subflows']);
  t.equal(sub.code, 0);
  const txs = sub.flows.map((f) => [f.dnsTransactionId, f.dnsQueryName, f.dnsQueryType, f.dnsResponseCode, f.packetDeltaCount, f.reversePacketDeltaCount]);
  t.same(txs.sort((a, b) => a[0] - b[0]), [
    [0x1111, 'www.example.com', 1, 0, 1, 1],
    [0x2222, 'www.example.com', 28, 0, 1, 1],
    [0x3333, 'nowhere.example', 1, 3, 1, 1],
  ], 'three records, each a query and its answer');
  const whole = runProbeCli(['--pcap', file]);
  t.equal(whole.flows.length, 1, 'without --dns-subflows: one flow');
  t.equal(whole.flows[0].packetDeltaCount, 3);
  t.equal(whole.flows[0].dnsQueryName, 'www.example.com', 'named by its first query');
  t.equal(whole.flows[0].dnsTransactionId, 0x1111);

  // The same on a real capture: as many records on port 53 as tshark sees distinct (5-tuple, id) transactions.
  const real = path.join(zeekDir(), 'dns53.pcap');
  if (fs.existsSync(real) && tsharkAvailable()) {
    const out = spawnSync('tshark', ['-n', '-r', real, '-Y', 'dns && udp.port == 53', '-T', 'fields', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'dns.id'], { encoding: 'utf8' }).stdout;
    const transactions = new Set(out.split('\n').filter(Boolean).map((l) => {
      const [s, d, sp, dp, id] = l.split('\t');
      return [`${s}:${sp}`, `${d}:${dp}`].sort().join(' ') + ` ${id}`;
    }));
    const r = runProbeCli(['--pcap', real, '--dns-subflows']);
    const dnsRecords = r.flows.filter((f) => f.protocolIdentifier === 17 && (f.sourceTransportPort === 53 || f.destinationTransportPort === 53));
    t.equal(dnsRecords.length, transactions.size, `dns53.pcap: ${transactions.size} transactions, one record each`);
  }
});
