import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCliRaw, runProbeCli, flowSource } from './helpers/probe-cli';
import { ethernet } from './gen/link';
import { udpExchange, tcpSession, ConversationPacket } from './gen/conversation';
import { writePcap, LinkType, PacketRecord } from './gen/pcap-writer';

/**
 * The probe command as a script or an operator uses it: argument errors,
 * unreadable inputs, several files, and the flow lifecycle (idle and active
 * timeouts, TCP teardown, eviction, end of capture) with IPFIX end reasons.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-cli-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

const T0 = 1_767_225_600_000_000n; // 2026-01-01T00:00:00Z in µs
const A = { ip: '10.0.0.1', port: 40000 };
const B = { ip: '10.0.0.2', port: 53 };

/** Writes an Ethernet capture with each packet at the given offset (seconds) from T0. */
function capture(name: string, packets: { at: number; c: ConversationPacket }[]): string {
  const records: PacketRecord[] = packets.map(({ at, c }) => ({
    timeNs: (T0 + BigInt(Math.round(at * 1e6))) * 1000n,
    data: ethernet({ src: c.fromClient ? '02:00:00:00:00:01' : '02:00:00:00:00:02', dst: c.fromClient ? '02:00:00:00:00:02' : '02:00:00:00:00:01' }, c.packet),
  }));
  const file = path.join(dir, name);
  fs.writeFileSync(file, writePcap(records, { linkType: LinkType.ETHERNET }));
  return file;
}

const dns = udpExchange(A, B, Buffer.from('query'), Buffer.from('response'));

t.test('--help documents every option', async (t) => {
  const r = runCliRaw(['probe', '--help']);
  t.equal(r.code, 0);
  for (const opt of ['--pcap', '--resp-port', '--resp-bind', '--flows-out', '--idle-timeout', '--active-timeout', '--max-flows', '--exit-on-eof', '--decap',
    '--netflow', '--collector', '--template-refresh', '--template-refresh-packets', '--observation-domain', '--export-mtu', '--export-queue']) {
    t.match(r.stdout, opt, `${opt} in help`);
  }
});

t.test('bad arguments: one line on stderr and a non-zero exit', async (t) => {
  for (const args of [['probe', '--no-such-option'], ['probe', '--idle-timeout', 'abc'], ['probe', '--resp-port', '70000'], ['probe', '--decap', 'foo'], ['probe', '--max-flows', '0']]) {
    const r = runCliRaw(args);
    t.not(r.code, 0, `${args.join(' ')} fails`);
    t.equal(r.stderr.trim().split('\n').length, 1, `${args.join(' ')}: one line (${r.stderr.trim()})`);
  }
});

t.test('bad flow export arguments: one line naming the problem, exit non-zero, no work done', async (t) => {
  const pcap = capture('export-args.pcap', dns.map((c, i) => ({ at: i * 0.01, c })));
  const cases: [string[], RegExp][] = [
    [['--netflow', 'v5', '--collector', '127.0.0.1:2055'], /v5.*(v9|ipfix)/],
    [['--netflow', 'ipfix'], /needs at least one --collector/],
    [['--collector', '127.0.0.1:2055'], /--collector needs --netflow/],
    [['--netflow', 'v9', '--collector', 'tcp://127.0.0.1:4739'], /v9 is exported over UDP only/],
    [['--netflow', 'ipfix', '--collector', 'sctp://127.0.0.1:4739'], /unknown transport "sctp"/],
    [['--netflow', 'ipfix', '--collector', '127.0.0.1'], /expected HOST:PORT/],
    [['--netflow', 'ipfix', '--collector', '127.0.0.1:0'], /port must be 1-65535/],
    [['--netflow', 'ipfix', '--collector', '::1:4739'], /expected HOST:PORT/],
    [['--netflow', 'ipfix', '--collector', '127.0.0.1:4739', '--export-mtu', '100'], /576-65535/],
    [['--netflow', 'ipfix', '--collector', '127.0.0.1:4739', '--observation-domain', '4294967296'], /0-4294967295/],
    [['--netflow', 'ipfix', '--collector', '127.0.0.1:4739', '--template-refresh-packets', '0'], /positive integer/],
  ];
  for (const [args, message] of cases) {
    const r = runCliRaw(['probe', '--resp-port', '0', '--exit-on-eof', '--no-progress', '--pcap', pcap, ...args]);
    t.not(r.code, 0, `${args.join(' ')} fails`);
    const lines = r.stderr.trim().split('\n');
    t.equal(lines.length, 1, `${args.join(' ')}: one line`);
    t.match(lines[0], message, `${args.join(' ')}: ${lines[0]}`);
  }
  const ok = runCliRaw(['probe', '--resp-port', '0', '--exit-on-eof', '--no-progress', '--pcap', pcap, '--netflow', 'ipfix', '--collector', '[::1]:4739', '--collector', 'udp://localhost:4739']);
  t.equal(ok.code, 0, `an IPv6 collector and a host name are accepted (${ok.stderr.trim()})`);
});

t.test('unreadable or non-capture inputs: one-line error naming the file, exit 2', async (t) => {
  const text = path.join(dir, 'notes.txt');
  fs.writeFileSync(text, 'this is not a capture file\n');
  const empty = path.join(dir, 'empty.pcap');
  fs.writeFileSync(empty, '');
  const cases: [string, RegExp][] = [
    [path.join(dir, 'missing.pcap'), /cannot open \(ENOENT\)/],
    [text, /not a pcap or pcapng file/],
    [empty, /not a pcap or pcapng file/],
    [dir, /not a regular file/],
  ];
  for (const [file, message] of cases) {
    const r = runProbeCli(['--pcap', file]);
    t.equal(r.code, 2, `${file}: exit 2`);
    const lines = r.stderr.trim().split('\n');
    t.equal(lines.length, 1, 'one line');
    t.match(lines[0], file, 'names the file');
    t.match(lines[0], message);
    t.same(r.flows, [], 'no work done');
  }
  // A bad file among good ones is refused before anything is read.
  const good = capture('good.pcap', dns.map((c, i) => ({ at: i * 0.01, c })));
  const r = runProbeCli(['--pcap', good, '--pcap', text]);
  t.equal(r.code, 2);
  t.same(r.flows, []);
});

t.test('several --pcap files are read in order into one flow cache', async (t) => {
  const first = capture('part1.pcap', [{ at: 0, c: dns[0] }]);
  const second = capture('part2.pcap', [{ at: 1, c: dns[1] }]);
  const r = runProbeCli(['--pcap', first, '--pcap', second]);
  t.equal(r.code, 0);
  t.equal(r.flows.length, 1, 'request and response meet in one flow');
  t.equal(flowSource(r.flows[0]), A.ip, 'the initiator is the sender of the first packet');
  t.same([r.flows[0].packetDeltaCount, r.flows[0].reversePacketDeltaCount], [1, 1]);
  t.equal(r.stats?.packets, 2);
});

t.test('idle timeout splits a flow; end of capture ends the rest', async (t) => {
  const file = capture('idle.pcap', [
    { at: 0, c: dns[0] }, { at: 0.1, c: dns[1] },
    // 45 s of silence: past the 30 s default idle timeout
    { at: 45, c: dns[0] }, { at: 45.1, c: dns[1] },
  ]);
  const r = runProbeCli(['--pcap', file]);
  t.equal(r.flows.length, 2);
  t.same(r.flows.map((f) => f.flowEndReason), [1, 4], 'idle timeout (1), then forced end at end of capture (4)');
  t.equal(r.flows[0].flowEndMilliseconds - r.flows[0].flowStartMilliseconds, 100);
  const longer = runProbeCli(['--pcap', file, '--idle-timeout', '60']);
  t.equal(longer.flows.length, 1, 'a longer idle timeout keeps one flow');
  t.equal(longer.flows[0].packetDeltaCount, 2);
});

t.test('active timeout exports a long flow periodically and keeps its direction', async (t) => {
  const packets = [];
  for (let s = 0; s < 300; s += 10) packets.push({ at: s, c: dns[0] }, { at: s + 0.5, c: dns[1] });
  const file = capture('active.pcap', packets);
  const r = runProbeCli(['--pcap', file]);
  t.ok(r.flows.length >= 3, `${r.flows.length} records for 300 s with a 120 s active timeout`);
  t.ok(r.flows.slice(0, -1).every((f) => f.flowEndReason === 2), 'active timeout (2)');
  t.ok(r.flows.every((f) => flowSource(f) === A.ip), 'every record keeps the initiator as source');
  t.equal(r.flows.reduce((s, f) => s + f.packetDeltaCount + f.reversePacketDeltaCount, 0), 60, 'no packet lost or counted twice');
  const none = runProbeCli(['--pcap', file, '--active-timeout', '0']);
  t.equal(none.flows.length, 1, '--active-timeout 0 disables it');
});

t.test('TCP FIN both ways ends the flow; a new SYN on the same ports starts a new one', async (t) => {
  const session = tcpSession({ client: { ip: '10.0.0.1', port: 50000 }, server: { ip: '10.0.0.2', port: 80 }, messages: [{ fromClient: true, data: Buffer.from('GET / HTTP/1.1\r\n\r\n') }, { fromClient: false, data: Buffer.from('HTTP/1.1 200 OK\r\n\r\n') }] });
  const packets = session.map((c, i) => ({ at: i * 0.01, c }));
  // the same 4-tuple reused 5 s later
  packets.push(...session.map((c, i) => ({ at: 5 + i * 0.01, c })));
  const r = runProbeCli(['--pcap', capture('tcp.pcap', packets)]);
  t.equal(r.flows.length, 2, 'two connections, two records');
  t.equal(r.flows[0].flowEndReason, 3, 'end of flow detected (3)');
  t.equal(r.flows[0].packetDeltaCount + r.flows[0].reversePacketDeltaCount, session.length, 'the final ACK stays in its connection');
  t.equal(r.flows[0].tcpControlBits & 0x03, 0x03, 'SYN and FIN seen from the client');
});

t.test('--max-flows bounds the cache: least recently active evicted with reason 5', async (t) => {
  const packets = [];
  for (let i = 0; i < 10; i++) packets.push({ at: i, c: udpExchange({ ip: `10.0.1.${i + 1}`, port: 1000 + i }, B, Buffer.from('q'), Buffer.from('r'))[0] });
  const r = runProbeCli(['--pcap', capture('many.pcap', packets), '--max-flows', '4']);
  t.equal(r.flows.length, 10, 'every flow exported once');
  t.equal(r.flows.filter((f) => f.flowEndReason === 5).length, 6, 'six evicted');
  t.equal(r.stats?.flowsEvicted, 6, 'evictions counted');
  t.same(r.flows.slice(0, 6).map(flowSource), ['10.0.1.1', '10.0.1.2', '10.0.1.3', '10.0.1.4', '10.0.1.5', '10.0.1.6'], 'oldest first');
});
