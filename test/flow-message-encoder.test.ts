/**
 * The NetFlow v9 / IPFIX encoder at its edges, decoded by tshark: text
 * longer than a length octet (RFC 7011 7's three-octet form), text cut at a
 * UTF-8 boundary (v9's fixed lengths, IPFIX's 4 KB bound), messages packed
 * up to the target size, a record larger than the target sent alone, and
 * the bound on templates. Addresses back from text to bytes.
 */
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FlowMessageEncoder } from '../export/flow-message-encoder';
import type { FlowRecord } from '../export/flow-record';
import { MAX_TEMPLATES } from '../export/templates';
import { writeIpv4Text, writeIpv6Text, writeMacText } from '../export/address-bytes';
import { ipv6Text } from '../export/address-text';
import { udpMessagesPcap } from './helpers/flow-collectors';
import { scan, tsharkAvailable } from './gen/tshark';

function record(i: number, extra: Record<string, unknown> = {}): FlowRecord {
  return {
    flowId: i,
    sourceIPv4Address: `10.0.${(i >> 8) & 255}.${i & 255}`,
    destinationIPv4Address: '192.0.2.80',
    sourceTransportPort: 40000 + (i % 1000),
    destinationTransportPort: 80,
    protocolIdentifier: 6,
    ipVersion: 4,
    vlanId: 0,
    packetDeltaCount: 3,
    octetDeltaCount: 180,
    layer2OctetDeltaCount: 222,
    reversePacketDeltaCount: 2,
    reverseOctetDeltaCount: 120,
    reverseLayer2OctetDeltaCount: 148,
    flowStartMilliseconds: 1_700_000_000_000 + i,
    flowEndMilliseconds: 1_700_000_000_500 + i,
    flowEndReason: 3,
    ...extra,
  };
}

function newEncoder(format: 'v9' | 'ipfix', out: Buffer[], targetBytes = 1472, refreshMessages = 20): FlowMessageEncoder {
  return new FlowMessageEncoder({
    format, domainId: 1, targetBytes, refreshMessages, refreshMs: 60_000, now: () => 1_795_000_000_000,
    emit: (m) => out.push(m), stats: () => ({ messages: 0, records: 0, recordsLost: 0 }),
  });
}

function encode(format: 'v9' | 'ipfix', records: FlowRecord[], targetBytes = 1472): Buffer[] {
  const out: Buffer[] = [];
  const enc = newEncoder(format, out, targetBytes);
  for (const r of records) enc.add(r);
  enc.flush();
  return out;
}

function decode(t: { same: (a: unknown, b: unknown, m: string) => unknown; equal: (a: unknown, b: unknown, m: string) => unknown }, messages: Buffer[], names: string[]): Record<string, string[]> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mc-enc-')), 'm.pcap');
  udpMessagesPcap(file, messages, 2055);
  const { frames, stderr } = scan(file, names, ['-d', 'udp.port==2055,cflow']);
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  t.same(frames.flatMap((f) => f.problems.map((p) => `frame ${f.number}: ${p}`)), [], 'tshark: no malformed message, no warning');
  t.equal(stderr, '', 'tshark: nothing on stderr');
  const values: Record<string, string[]> = {};
  for (const n of names) values[n] = frames.flatMap((f) => f.values[n]);
  return values;
}

const skip = tsharkAvailable() ? false : 'tshark not installed';
const target300 = '/' + 'a'.repeat(299);
const longAgent = 'Mozilla/5.0 ' + 'x'.repeat(6000);
const accented = 'é'.repeat(200); // 400 bytes of UTF-8

t.test('IPFIX: long text in the three-octet length form, cut at 4096 bytes', { skip }, async (t) => {
  const m = encode('ipfix', [record(1, { httpRequestTarget: target300, httpUserAgent: longAgent, userName: accented })]);
  const v = decode(t, m, ['cflow.http_request_target', 'cflow.http_user_agent', 'cflow.user_name']);
  t.same(v['cflow.http_request_target'], [target300], '300-byte target whole');
  t.equal(v['cflow.http_user_agent'][0]?.length, 4096, 'User-Agent cut at 4096 bytes');
  t.same(v['cflow.user_name'], [accented], '400 bytes of UTF-8 whole');
});

t.test('v9: text in the smallest fixed length that holds it, cut at 256 on a character boundary', { skip }, async (t) => {
  const m = encode('v9', [record(1, { httpRequestHost: 'example.org', httpRequestTarget: target300, userName: accented })]);
  const v = decode(t, m, ['cflow.http_request_host', 'cflow.http_request_target', 'cflow.user_name', 'cflow.template_field_length']);
  t.same(v['cflow.http_request_host'], ['example.org', 'example.org'], 'short text, padding removed (both one-way records)');
  t.same(v['cflow.http_request_target'], [target300.slice(0, 256), target300.slice(0, 256)], 'target cut at 256 bytes');
  t.same(v['cflow.user_name'], ['é'.repeat(128), 'é'.repeat(128)], 'UTF-8 cut between characters');
  const lengths = v['cflow.template_field_length'].map(Number);
  t.ok(lengths.includes(16) && lengths.includes(256), `field lengths by size class: ${[...new Set(lengths)].sort((a, b) => a - b).join(',')}`);
});

t.test('messages are packed up to the target; a larger record goes alone', { skip }, async (t) => {
  for (const format of ['v9', 'ipfix'] as const) {
    const small = encode(format, Array.from({ length: 500 }, (_, i) => record(i)), 1400);
    t.ok(small.every((m) => m.length <= 1400), `${format}: every message within 1400 bytes`);
    const full = small.slice(0, -1).filter((m) => m.length < 1300);
    t.equal(full.length, 0, `${format}: every message but the last is full (>= 1300 bytes)`);
    const big = encode(format, [record(1), record(2, { httpRequestTarget: '/' + 'b'.repeat(900) }), record(3)], 600);
    t.ok(big.some((m) => m.length > 600), `${format}: the 900-byte record is sent in a message of its own (${big.map((m) => m.length).join(',')})`);
    const v = decode(t, big, ['cflow.flow_id']);
    t.same([...new Set(v['cflow.flow_id'])], ['1', '2', '3'], `${format}: all three records decode`);
  }
});

t.test(`templates are bounded at ${MAX_TEMPLATES}: other element sets use the core template`, { skip }, async (t) => {
  const optional: [string, unknown][] = [
    ['applicationName', 'HTTP'], ['userName', 'u'], ['imsi', '001010000000001'], ['msisdn', '3360000'], ['imei', '35209900176148'],
    ['apn', 'internet'], ['dnsQueryName', 'a.example'], ['dnsTransactionId', 7], ['dnsQueryType', 1], ['dnsResponseCode', 0],
    ['httpRequestMethod', 'GET'], ['tlsServerName', 'tls.example'],
  ];
  const records: FlowRecord[] = [];
  for (let combo = 0; combo < MAX_TEMPLATES + 100; combo++) {
    const extra: Record<string, unknown> = {};
    optional.forEach(([k, v], bit) => {
      if (combo & (1 << bit)) extra[k] = v;
    });
    records.push(record(combo, extra));
  }
  const out: Buffer[] = [];
  const enc = newEncoder('ipfix', out);
  for (const r of records) enc.add(r);
  enc.flush();
  t.equal(enc.templates.all.length, MAX_TEMPLATES, 'no more templates than the bound');
  t.equal(enc.templates.trimmed, 100, 'the records past it were trimmed to the core template (made earlier by the record with no optional field)');
  const v = decode(t, out, ['cflow.flow_id', 'cflow.template_id']);
  t.equal(v['cflow.flow_id'].length, records.length, 'every record decodes');
});

t.test('each template is sent again before its next use once refreshMessages went by; forgetTemplates sends all again', { skip }, async (t) => {
  const out: Buffer[] = [];
  const enc = newEncoder('ipfix', out, 600, 3);
  const dns = (i: number): FlowRecord => record(i, { dnsQueryName: 'q.example' });
  enc.add(dns(0));
  for (let i = 1; i <= 60; i++) enc.add(record(i));
  enc.add(dns(61));
  enc.forgetTemplates();
  enc.add(record(62));
  enc.flush();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mc-enc-')), 'm.pcap');
  udpMessagesPcap(file, out, 2055);
  const { frames } = scan(file, ['cflow.template_id', 'cflow.flow_id'], ['-d', 'udp.port==2055,cflow']);
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  t.same(frames.flatMap((f) => f.problems), [], 'decodes cleanly');
  const sent = frames.map((f) => f.values['cflow.template_id']);
  const plain = sent.map((ids) => ids.filter((id) => id === '258').length);
  const withTemplate = plain.map((n, i) => (n > 0 ? i : -1)).filter((i) => i >= 0);
  t.ok(withTemplate.length >= 3, `the template in use went in messages ${withTemplate.join(',')}`);
  for (let k = 1; k < withTemplate.length - 1; k++) t.equal(withTemplate[k] - withTemplate[k - 1], 3, 'every 3 messages');
  const dnsTemplate = sent.map((ids, i) => (ids.includes('257') ? i : -1)).filter((i) => i >= 0);
  t.equal(dnsTemplate.length, 2, `the DNS template went only when used, first and after 3+ messages (${dnsTemplate.join(',')})`);
  t.ok(sent[sent.length - 1].includes('258'), 'after forgetTemplates the next use sends the template again');
  t.equal(frames.flatMap((f) => f.values['cflow.flow_id']).length, 63, 'every record decodes');
});

t.test('addresses from text back to bytes', async (t) => {
  const b = Buffer.alloc(16);
  let seed = 12345;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) >>> 0);
  for (let i = 0; i < 2000; i++) {
    // Words with zero groups now and then, so "::" appears in every position.
    const w = [0, 1, 2, 3].map(() => (rand() % 3 === 0 ? 0 : rand() % 4 === 0 ? rand() & 0xffff : rand()));
    writeIpv6Text(ipv6Text(w[0], w[1], w[2], w[3]), b, 0);
    const back = [b.readUInt32BE(0), b.readUInt32BE(4), b.readUInt32BE(8), b.readUInt32BE(12)];
    if (back.some((x, k) => x !== w[k] >>> 0)) {
      t.fail(`${ipv6Text(w[0], w[1], w[2], w[3])} read back as ${back.map((x) => x.toString(16)).join(':')}`);
      return;
    }
  }
  t.pass('2000 random IPv6 addresses read back');
  writeIpv6Text('::ffff:192.0.2.1', b, 0);
  t.equal(b.toString('hex'), '00000000000000000000ffffc0000201', 'IPv4-mapped form');
  writeIpv6Text('not:an:address', b, 0);
  t.equal(b.toString('hex'), '0'.repeat(32), 'malformed text writes zeros');
  writeIpv4Text('198.51.100.7', b, 0);
  t.equal(b.subarray(0, 4).toString('hex'), 'c6336407', 'IPv4');
  writeIpv4Text('300.1.1.1', b, 0);
  t.equal(b.subarray(0, 4).toString('hex'), '00000000', 'IPv4 out of range writes zeros');
  writeMacText('02:00:5e:10:00:01', b, 0);
  t.equal(b.subarray(0, 6).toString('hex'), '02005e100001', 'MAC');
});
