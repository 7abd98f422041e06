/**
 * NetFlow v9 and IPFIX as tshark's cflow dissector reads them: every message
 * the probe sends decodes with no malformed packet and no warning (sequence
 * numbers included: tshark checks them per observation domain), and the
 * values of the user and ntop elements are the JSON-lines records' values.
 * IPFIX over TCP is checked the same way on the byte stream a TCP collector
 * received. The exporter statistics options record reports the records sent.
 */
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ndpiPcapDir, zeekDir } from './corpus/paths';
import { UdpSink, TcpSink, udpMessagesPcap, tcpStreamPcap, demoCapture } from './helpers/flow-collectors';
import { runProbeAsync } from './helpers/probe-async';
import { scan, tsharkAvailable } from './gen/tshark';

const CAPTURES = [
  demoCapture(),
  path.join(ndpiPcapDir(), '1kxun.pcap'),
  path.join(ndpiPcapDir(), 'http_ipv6.pcap'),
  path.join(ndpiPcapDir(), 'sip.pcap'),
  path.join(ndpiPcapDir(), 'tls_verylong_certificate.pcap'),
  path.join(zeekDir(), 'dns53.pcap'),
].filter((p) => fs.existsSync(p));

/** JSON field -> tshark field, for text tshark prints as sent. */
const TEXT_FIELDS: [string, string][] = [
  ['userName', 'cflow.user_name'],
  ['userName', 'cflow.pie.ntop.flow_user_name'],
  ['imsi', 'cflow.pie.ntop.gtpv2_end_user_imsi'],
  ['msisdn', 'cflow.pie.ntop.gtpv2_and_user_msisdn'],
  ['apn', 'cflow.pie.ntop.gtpv2_apn_name'],
  ['dnsQueryName', 'cflow.pie.ntop.dns_query'],
  ['tlsServerName', 'cflow.pie.ntop.ssl_server_name'],
  ['httpRequestHost', 'cflow.http_request_host'],
  ['httpRequestMethod', 'cflow.http_request_method'],
  ['applicationName', 'cflow.appl_name'],
];

function multiset(values: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

function sameMultiset(a: Map<string, number>, b: Map<string, number>): string[] {
  const diffs: string[] = [];
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    if ((a.get(k) ?? 0) !== (b.get(k) ?? 0)) diffs.push(`${JSON.stringify(k)}: json ${a.get(k) ?? 0}, tshark ${b.get(k) ?? 0}`);
  }
  return diffs;
}

const printable = (v: unknown): v is string => typeof v === 'string' && /^[\x20-\x7e]*$/.test(v) && v !== '';

const skip = !tsharkAvailable() ? 'tshark not installed' : CAPTURES.length < 4 ? 'corpora not found' : false;

for (const format of ['v9', 'ipfix'] as const) {
  t.test(`${format} over UDP: tshark decodes every message cleanly, with the records' values`, { skip, timeout: 180_000 }, async (t) => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `mc-cflow-${format}-`));
    t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
    const sink = await UdpSink.open();
    const second = await UdpSink.open();
    t.teardown(() => sink.close());
    t.teardown(() => second.close());
    const args = ['--netflow', format, '--collector', `127.0.0.1:${sink.port}`, '--collector', `udp://127.0.0.1:${second.port}`, '--template-refresh-packets', '5'];
    for (const c of CAPTURES) args.push('--pcap', c);
    const run = await runProbeAsync(args);
    t.equal(run.code, 0, 'probe exits 0');
    await new Promise((r) => setTimeout(r, 200));
    const flows = run.flows;
    t.ok(sink.messages.length > 20, `${sink.messages.length} export packets for ${flows.length} records`);
    t.equal(sink.messages.length + second.messages.length, run.stats?.exportMessages, 'every message sent arrived (loopback)');
    t.equal(second.messages.length, sink.messages.length, 'the second collector got as many messages');

    const file = path.join(tmp, 'export.pcap');
    udpMessagesPcap(file, sink.messages, 2055);
    const names = ['cflow.flow_id', 'cflow.flowsexp', 'cflow.notsent_flows', 'cflow.template_id', ...new Set(TEXT_FIELDS.map(([, f]) => f))];
    const { frames, stderr } = scan(file, names, ['-d', 'udp.port==2055,cflow']);
    t.equal(frames.length, sink.messages.length, 'tshark read every message');
    const problems = frames.flatMap((f) => f.problems.map((p) => `frame ${f.number}: ${p}`));
    t.same(problems, [], 'no malformed packet, no warning (sequence numbers included)');
    t.equal(stderr, '', 'tshark printed nothing on stderr');

    // v9: one record per direction that has packets.
    const sent = format === 'v9' ? flows.flatMap((f) => (f.reversePacketDeltaCount > 0 ? [f, f] : [f])) : flows;
    const ids = frames.flatMap((f) => f.values['cflow.flow_id']);
    t.same(multiset(ids), multiset(sent.map((f) => String(f.flowId))), 'one data record per JSON record (v9: per direction), by flowId');
    const secondFile = path.join(tmp, 'second.pcap');
    udpMessagesPcap(secondFile, second.messages, 2055);
    const secondScan = scan(secondFile, ['cflow.flow_id'], ['-d', 'udp.port==2055,cflow']);
    t.same(secondScan.frames.flatMap((f) => f.problems), [], 'second collector: decodes cleanly');
    t.same(multiset(secondScan.frames.flatMap((f) => f.values['cflow.flow_id'])), multiset(ids), 'second collector: the same records');
    t.ok(frames.some((f) => f.values['cflow.template_id'].length > 0) && frames.filter((f) => f.values['cflow.template_id'].length > 0).length > 2, 'templates sent more than once (refresh every 5 packets)');

    for (const [field, tsharkField] of TEXT_FIELDS) {
      const want = multiset(sent.map((f) => f[field]).filter(printable));
      const got = multiset(frames.flatMap((f) => f.values[tsharkField]).filter(printable));
      // v9 text is fixed length: a value longer than 256 bytes is cut.
      t.same(sameMultiset(want, got), [], `${tsharkField} carries ${field} (${[...want.values()].reduce((a, b) => a + b, 0)} values)`);
    }
    t.ok(flows.some((f) => f.userName !== undefined) && flows.some((f) => f.dnsQueryName !== undefined) && flows.some((f) => f.tlsServerName !== undefined), 'user, DNS and TLS values were there to compare');

    // The exporter statistics: the last record reports every flow record sent before it.
    const exported = frames.flatMap((f) => f.values['cflow.flowsexp']).map(Number);
    t.ok(exported.length >= 2, `${exported.length} statistics records`);
    t.equal(exported[exported.length - 1], sent.length, 'the last statistics record counts every flow record');
    t.same(new Set(frames.flatMap((f) => f.values['cflow.notsent_flows'])), new Set(['0']), 'none reported lost');
  });
}

t.test('IPFIX over TCP: one session, templates first, decodes cleanly', { skip, timeout: 120_000 }, async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-cflow-tcp-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const sink = await TcpSink.listen();
  t.teardown(() => sink.close());
  const args = ['--netflow', 'ipfix', '--collector', `tcp://127.0.0.1:${sink.port}`];
  for (const c of CAPTURES) args.push('--pcap', c);
  const run = await runProbeAsync(args);
  t.equal(run.code, 0, 'probe exits 0');
  await new Promise((r) => setTimeout(r, 200));
  t.equal(sink.streams.length, 1, 'one connection');
  const stream = Buffer.concat(sink.streams[0]);
  const file = path.join(tmp, 'export.pcap');
  tcpStreamPcap(file, stream, 4739);
  const { frames, stderr } = scan(file, ['cflow.flow_id', 'cflow.user_name', 'cflow.flowsexp'], ['-d', 'tcp.port==4739,cflow']);
  const problems = frames.flatMap((f) => f.problems.map((p) => `frame ${f.number}: ${p}`));
  t.same(problems, [], 'no malformed message, no warning');
  t.equal(stderr, '', 'tshark printed nothing on stderr');
  const ids = frames.flatMap((f) => f.values['cflow.flow_id']);
  t.same(multiset(ids), multiset(run.flows.map((f) => String(f.flowId))), 'every JSON record, once');
  const users = frames.flatMap((f) => f.values['cflow.user_name']);
  t.same(multiset(users), multiset(run.flows.map((f) => f.userName).filter((u) => u !== undefined)), 'userName of every subscriber flow');
  const exported = frames.flatMap((f) => f.values['cflow.flowsexp']).map(Number);
  t.equal(exported[exported.length - 1], run.flows.length, 'the final statistics record counts every record');
});
