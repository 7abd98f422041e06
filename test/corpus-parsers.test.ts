/**
 * Unit tests of the corpus tooling itself (no capture, no probe needed): the
 * nDPI .out parser, address normalisation, the flow comparison categories,
 * the Zeek conn.log parser and the probe outcome classification.
 */
import t from 'tap';
import { addrCompatible, compareFlows } from './corpus/compare';
import { OurFlow, parseOurFlowsText } from './corpus/flow-records';
import { normalizeIp } from './corpus/ip';
import { parseNdpiFlowLine, parseNdpiResultText } from './corpus/ndpi-result';
import { ProbeRun, outcome } from './corpus/run-probe';
import { innerConns, mergeIcmpByAddresses, parseZeekConnText, zeekToReference } from './corpus/zeek-conn';

const TCP_LINE =
  '\t1\tTCP 192.168.2.126:45380 <-> 161.117.13.29:80 [VLAN: 7][proto: 7.295/HTTP.1kxun][IP: 274/Alibaba][ClearText]' +
  '[Confidence: DPI][DPI packets: 2][cat: Streaming/17][7 pkts/4845 bytes <-> 73 pkts/178280 bytes][Goodput ratio: 90/97]';
const V6_LINE =
  '\t3\tICMPV6 [2001:0db8:0:0:0:0:0:1]:0 -> [2604:a880:1:20::224:b001]:0 [proto: GTP:102/ICMPV6][IP: 0/Unknown]' +
  '[ClearText][1 pkts/1314 bytes -> 0 pkts/0 bytes][Goodput ratio: 0/0]';

t.test('nDPI flow lines', async (t) => {
  const f = parseNdpiFlowLine(TCP_LINE, 10);
  t.ok(f, 'TCP line parses');
  t.match(f, {
    line: 10,
    protocol: 6,
    srcIp: '192.168.2.126',
    srcPort: 45380,
    dstIp: '161.117.13.29',
    dstPort: 80,
    vlan: 7,
    master: 'HTTP',
    app: '1kxun',
    protoIds: '7.295',
    srcPkts: 7,
    srcBytes: 4845,
    dstPkts: 73,
    dstBytes: 178280,
    bidirectional: true,
  });
  const g = parseNdpiFlowLine(V6_LINE);
  t.match(g, { protocol: 58, srcIp: '2001:db8::1', dstIp: '2604:a880:1:20::224:b001', tunnel: 'GTP', vlan: 0, bidirectional: false, dstPkts: 0 });
  t.equal(g?.master, 'ICMPV6', 'no master: master = app');
  t.match(parseNdpiFlowLine('\t2\t118 192.168.1.2:0 -> 200.68.120.81:0 [proto: 0/Unknown][1 pkts/417 bytes -> 0 pkts/0 bytes]'), {
    protocol: 118,
  });
  t.match(parseNdpiFlowLine('\t1\tVRRP [fe80::1]:0 -> [ff02::12]:0 [VLAN: 36][proto: 73/VRRP][9 pkts/738 bytes -> 0 pkts/0 bytes]'), {
    protocol: 112,
    vlan: 36,
  });
  t.equal(parseNdpiFlowLine('\t1\t 192.168.5.16             \t 2      '), null, 'JA3 host stats row is not a flow');
  t.equal(parseNdpiFlowLine('\t1\tFOO 1.2.3.4:1 -> 5.6.7.8:2 [1 pkts/1 bytes -> 0 pkts/0 bytes]'), null, 'unknown protocol name');
});

t.test('nDPI .out file', async (t) => {
  const text = [
    'Guessed flow protos:\t1',
    '',
    'Patricia protocols IPv6: 0/0 (search/found)',
    '',
    'HTTP\t80\t183125\t1',
    'Unknown\t1\t1314\t1',
    '',
    'Safe                           1 1506          1            ',
    '',
    'JA3 Host Stats: ',
    '\t\t IP Address                  \t # JA3C     ',
    '\t1\t 192.168.5.16             \t 2      ',
    '',
    '',
    TCP_LINE,
    '',
    '',
    'Undetected flows:',
    V6_LINE,
    '',
  ].join('\n');
  const r = parseNdpiResultText(text);
  t.equal(r.flows.length, 2);
  t.equal(r.flows[1].undetected, true, 'flows after "Undetected flows:" are marked');
  t.equal(r.totalPackets, 81, 'packets from the per-protocol table');
  t.equal(r.totalFlows, 2);
  t.same(r.unparsed, []);
  t.same(parseNdpiResultText('').flows, [], 'empty file: no flows');
});

t.test('address normalisation', async (t) => {
  t.equal(normalizeIp('2001:0DB8:0000:0000:0001:0000:0000:0001'), '2001:db8::1:0:0:1', 'first longest run');
  t.equal(normalizeIp('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1', 'single zero group not compressed');
  t.equal(normalizeIp('1:0:0:2:0:0:0:3'), '1:0:0:2::3', 'longest run wins');
  t.equal(normalizeIp('[::1]'), '::1');
  t.equal(normalizeIp('::ffff:1.2.3.4'), '::ffff:102:304', 'embedded IPv4');
  t.equal(normalizeIp('010.0.0.1'), '10.0.0.1');
  t.ok(addrCompatible('2600:1901::7a0b::', '2600:1901:0:7a0b::'), "nDPI's double-:: text matches loosely");
  t.notOk(addrCompatible('2600:1901::7a0b::', '2600:1901:0:7a0b::1'));
});

function rec(o: Partial<OurFlow> & Pick<OurFlow, 'srcIp' | 'dstIp'>): string {
  const v6 = o.srcIp.includes(':');
  return JSON.stringify({
    [v6 ? 'sourceIPv6Address' : 'sourceIPv4Address']: o.srcIp,
    [v6 ? 'destinationIPv6Address' : 'destinationIPv4Address']: o.dstIp,
    sourceTransportPort: o.srcPort ?? 0,
    destinationTransportPort: o.dstPort ?? 0,
    protocolIdentifier: o.protocol ?? 6,
    vlanId: o.vlan ?? 0,
    packetDeltaCount: o.pkts ?? 0,
    octetDeltaCount: o.bytes ?? 0,
    layer2OctetDeltaCount: o.l2Bytes ?? 0,
    reversePacketDeltaCount: o.rPkts ?? 0,
    reverseOctetDeltaCount: o.rBytes ?? 0,
    reverseLayer2OctetDeltaCount: o.rL2Bytes ?? 0,
    flowStartMilliseconds: 0,
    flowEndMilliseconds: 0,
    flowEndReason: 4,
  });
}

t.test('comparison categories', async (t) => {
  const ndpi = parseNdpiResultText(
    [
      // exact, our record in reverse orientation
      '\t1\tTCP 10.0.0.1:1000 <-> 10.0.0.2:80 [proto: 7/HTTP][3 pkts/300 bytes <-> 2 pkts/200 bytes]',
      // split into two records
      '\t2\tUDP 10.0.0.1:53 <-> 10.0.0.3:53 [proto: 5/DNS][2 pkts/200 bytes <-> 2 pkts/300 bytes]',
      // swapped counters
      '\t3\tTCP 10.0.0.1:1001 <-> 10.0.0.2:80 [proto: 7/HTTP][5 pkts/500 bytes <-> 1 pkts/60 bytes]',
      // packets differ
      '\t4\tTCP 10.0.0.1:1002 <-> 10.0.0.2:80 [proto: 7/HTTP][5 pkts/500 bytes <-> 1 pkts/60 bytes]',
      // bytes differ
      '\t5\tTCP 10.0.0.1:1003 <-> 10.0.0.2:80 [proto: 7/HTTP][5 pkts/500 bytes <-> 1 pkts/60 bytes]',
      // other VLAN
      '\t6\tTCP 10.0.0.1:1004 <-> 10.0.0.2:80 [VLAN: 5][proto: 7/HTTP][1 pkts/60 bytes <-> 0 pkts/0 bytes]',
      // missing
      '\t7\tTCP 10.0.0.1:1005 <-> 10.0.0.2:80 [proto: 7/HTTP][1 pkts/60 bytes <-> 0 pkts/0 bytes]',
      // ICMP: ports ignored; ambiguous nDPI IPv6 text
      '\t8\tICMP 10.0.0.1:0 -> 10.0.0.9:0 [proto: 81/ICMP][1 pkts/98 bytes -> 0 pkts/0 bytes]',
      '\t9\tTCP [2600:1901::7a0b::]:443 <-> [2a01::1]:47032 [proto: 91/TLS][2 pkts/200 bytes <-> 1 pkts/100 bytes]',
    ].join('\n'),
  ).flows;
  t.equal(ndpi.length, 9);
  const ours = parseOurFlowsText(
    [
      rec({ srcIp: '10.0.0.2', srcPort: 80, dstIp: '10.0.0.1', dstPort: 1000, pkts: 2, l2Bytes: 200, rPkts: 3, rL2Bytes: 300 }),
      rec({ protocol: 17, srcIp: '10.0.0.1', srcPort: 53, dstIp: '10.0.0.3', dstPort: 53, pkts: 1, l2Bytes: 100, rPkts: 1, rL2Bytes: 150 }),
      rec({ protocol: 17, srcIp: '10.0.0.3', srcPort: 53, dstIp: '10.0.0.1', dstPort: 53, pkts: 1, l2Bytes: 150, rPkts: 1, rL2Bytes: 100 }),
      rec({ srcIp: '10.0.0.1', srcPort: 1001, dstIp: '10.0.0.2', dstPort: 80, pkts: 1, l2Bytes: 60, rPkts: 5, rL2Bytes: 500 }),
      rec({ srcIp: '10.0.0.1', srcPort: 1002, dstIp: '10.0.0.2', dstPort: 80, pkts: 6, l2Bytes: 560, rPkts: 1, rL2Bytes: 60 }),
      rec({ srcIp: '10.0.0.1', srcPort: 1003, dstIp: '10.0.0.2', dstPort: 80, pkts: 5, l2Bytes: 520, rPkts: 1, rL2Bytes: 60 }),
      rec({ srcIp: '10.0.0.1', srcPort: 1004, dstIp: '10.0.0.2', dstPort: 80, vlan: 6, pkts: 1, l2Bytes: 60 }),
      rec({ protocol: 1, srcIp: '10.0.0.1', srcPort: 0, dstIp: '10.0.0.9', dstPort: 0, pkts: 1, l2Bytes: 98 }),
      rec({ srcIp: '2a01::1', srcPort: 47032, dstIp: '2600:1901:0:7a0b::', dstPort: 443, pkts: 1, l2Bytes: 100, rPkts: 2, rL2Bytes: 200 }),
      rec({ protocol: 17, srcIp: '10.9.9.9', srcPort: 1, dstIp: '10.9.9.8', dstPort: 2, pkts: 1, l2Bytes: 60 }),
      'not json',
    ].join('\n'),
  );
  t.equal(ours.badLines.length, 1, 'a bad line is reported, not fatal');
  const c = compareFlows('unit', ours.flows, ndpi);
  const by = (i: number) => c.verdicts.find((v) => v.ndpi.index === i)?.category;
  t.equal(by(1), 'exact');
  t.equal(by(2), 'sum');
  t.equal(by(3), 'swapped');
  t.equal(by(4), 'pkts');
  t.equal(by(5), 'bytes');
  t.equal(by(6), 'vlan');
  t.equal(by(7), 'missing');
  t.equal(by(8), 'exact', 'ICMP matched by addresses');
  t.equal(by(9), 'exact', 'ambiguous nDPI IPv6 text matched loosely');
  t.same(c.counts, { exact: 3, sum: 1, swapped: 1, pkts: 1, bytes: 1, vlan: 1, missing: 1 });
  t.equal(c.extra.length, 1, 'our flow without an nDPI key is extra');
});

t.test('Zeek conn.log', async (t) => {
  const log = parseZeekConnText(
    [
      '#separator \\x09',
      '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents',
      'X\tCinner\t10.0.0.1\t8\t10.0.0.2\t0\ticmp\t-\t4\t336\t4\t336\tCouter',
      'X\tCicmp2\t10.0.0.2\t3\t10.0.0.1\t1\ticmp\t-\t2\t178\t0\t0\tCouter',
      'X\tCouter\t192.168.56.12\t38071\t192.168.56.11\t4789\tudp\tvxlan\t8\t1000\t0\t0\t-',
      'X\tCorphan\t192.168.56.12\t40908\t192.168.56.11\t4789\tudp\tvxlan\t1\t78\t0\t0\t-',
      'X\tCplain\t10.0.0.5\t1234\t10.0.0.6\t80\ttcp\thttp\t3\t180\t2\t120\t(empty)',
    ].join('\n'),
  );
  t.notOk(log.unusable);
  const { inner, outer } = innerConns(log);
  t.same(inner.map((c) => c.uid), ['Cinner', 'Cicmp2', 'Cplain']);
  t.same(outer.map((c) => c.uid).sort(), ['Corphan', 'Couter'], 'tunnel parents and tunnel-service entries are outer');
  const refs = mergeIcmpByAddresses(inner.map(zeekToReference));
  t.equal(refs.length, 2, 'ICMP entries of one address pair summed');
  t.match(refs[0], { protocol: 1, srcPort: 0, dstPort: 0, srcPkts: 4, srcBytes: 336, dstPkts: 6, dstBytes: 514 });
  t.ok(parseZeekConnText('#fields\tuid\tservice\thistory\nC1\t-\tD').unusable, 'cut-down log is unusable');
});

t.test('probe outcome classification', async (t) => {
  const run = (p: Partial<ProbeRun>): ProbeRun => ({
    files: [],
    flowsOut: '',
    code: 0,
    signal: null,
    timedOut: false,
    ms: 1,
    stdout: '',
    stderr: '',
    ...p,
  });
  t.equal(outcome(run({})), 'ok');
  t.equal(outcome(run({ code: 1, stderr: 'microcloud: x.pcap: not a pcap or pcapng file\n' })), 'rejected');
  t.equal(outcome(run({ code: 1, stderr: 'TypeError: boom\n    at f (/x/y.js:1:2)\n' })), 'crash');
  t.equal(outcome(run({ code: 1, stderr: '' })), 'crash', 'silent failure');
  t.equal(outcome(run({ code: null, signal: 'SIGSEGV' })), 'crash');
  t.equal(outcome(run({ timedOut: true, code: null, signal: 'SIGKILL' })), 'crash');
});
