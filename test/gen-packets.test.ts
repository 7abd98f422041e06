/**
 * The packet-crafting library and the encapsulation fixtures, checked against
 * tshark as an independent decoder: every fixture decodes without errors or
 * bad checksums, the flows its ground truth announces are the ones tshark sees
 * (addresses, packet counts, IP and frame bytes), and the layer-specific fields
 * (tags, labels, keys, TEIDs, link headers, timestamps) read back as written.
 * Deliberately malformed and damaged files must be rejected by tshark too.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c, internetChecksum, ipv6Bytes, plmn, tbcd } from './gen/bytes';
import { buildEncapFixtures, writeEncapFixtures, type ExpectedFlow, type FixtureCase } from './gen/encap-fixtures';
import { LinkType, nsFromIso, writePcap, writePcapng, writeCaptureFile } from './gen/pcap-writer';
import { ethernet } from './gen/link';
import { IpProto, ipv4 } from './gen/ip';
import { udp } from './gen/transport';
import { fieldValues, mapLimited, scanAsync, tshark, tsharkAvailable, TSHARK, type ScannedFrame } from './gen/tshark';

t.test('byte helpers match published test vectors', async (t) => {
  // RFC 1071 section 3 example: the one's-complement sum is 0xddf2.
  t.equal(internetChecksum(Buffer.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7])), ~0xddf2 & 0xffff);
  // The same sum when the data is split at an odd offset.
  t.equal(internetChecksum(Buffer.from([0x00, 0x01, 0xf2]), Buffer.from([0x03, 0xf4, 0xf5, 0xf6, 0xf7])), ~0xddf2 & 0xffff);
  // CRC-32C check value from RFC 3720 / the Castagnoli catalogue.
  t.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  t.same([...tbcd('12345')], [0x21, 0x43, 0xf5], 'TBCD: low nibble first, 0xF filler');
  t.same([...plmn('001', '01')], [0x00, 0xf1, 0x10], '2-digit MNC gets the 0xF filler');
  t.same([...plmn('310', '260')], [0x13, 0x00, 0x62], '3-digit MNC');
  t.equal(ipv6Bytes('2001:db8::1.2.3.4').toString('hex'), '20010db8000000000000000001020304');
  t.equal(ipv6Bytes('::1').toString('hex'), '00000000000000000000000000000001');
});

t.test('fixtures are byte-for-byte reproducible', async (t) => {
  const a = buildEncapFixtures();
  const b = buildEncapFixtures();
  t.equal(a.length, b.length);
  a.forEach((c, i) => t.ok(c.contents.equals(b[i].contents), c.name));
});

const dir = mkdtempSync(join(tmpdir(), 'microcloud-gen-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

if (!tsharkAvailable()) {
  t.fail(`tshark not found at ${TSHARK}: run \`make deps\` (it installs tshark)`);
} else {
  t.test('pcap writer: timestamp resolution and byte order', async (t) => {
    // 123456789 ns past the start: microsecond files must drop the last three digits.
    const when = nsFromIso('2026-01-01T00:00:00Z') + 123_456_789n;
    const frame = ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IpProto.UDP }, udp({ sport: 1, dport: 9 }, Buffer.from('x'))));
    const cases = [
      { resolution: 'ns' as const, endian: 'le' as const, expect: '1767225600.123456789' },
      { resolution: 'ns' as const, endian: 'be' as const, expect: '1767225600.123456789' },
      { resolution: 'us' as const, endian: 'le' as const, expect: '1767225600.123456000' },
      { resolution: 'us' as const, endian: 'be' as const, expect: '1767225600.123456000' },
    ];
    for (const c of cases) {
      const file = join(dir, `ts-${c.resolution}-${c.endian}.pcap`);
      writeCaptureFile(file, writePcap([{ timeNs: when, data: frame }], { linkType: LinkType.ETHERNET, ...c }));
      t.same(fieldValues(file, 'frame.time_epoch'), [c.expect], `${c.resolution} ${c.endian}`);
    }
    const ng = join(dir, 'ts.pcapng');
    writeCaptureFile(
      ng,
      writePcapng(
        [
          { kind: 'packet', record: { timeNs: when, data: frame, interfaceId: 0 } },
          { kind: 'packet', record: { timeNs: when, data: frame, interfaceId: 1 } },
        ],
        { endian: 'be', interfaces: [{ linkType: LinkType.ETHERNET, tsresol: 6 }, { linkType: LinkType.ETHERNET, tsresol: 9 }] },
      ),
    );
    t.same(fieldValues(ng, 'frame.time_epoch'), ['1767225600.123456000', '1767225600.123456789'], 'pcapng if_tsresol 6 and 9');
  });

  const cases = writeEncapFixtures(dir);
  const path = (c: FixtureCase) => join(dir, c.file);

  t.test('fixture list covers every required case', async (t) => {
    const names = new Set(cases.map((c) => c.name));
    const required = [
      'link-ethernet', 'link-null-le', 'link-null-be', 'link-raw', 'link-ipv4', 'link-ipv6', 'link-sll', 'link-sll2',
      'pcap-us-le', 'pcap-us-be', 'pcap-ns-le', 'pcap-ns-be', 'pcapng-le', 'pcapng-be', 'pcapng-spb-unknown',
      'vlan-8021q', 'vlan-qinq', 'vlan-3deep', 'mpls-1', 'mpls-3', 'pppoe', 'pppoe-qinq', 'ipv4-options',
      'ipv4-fragments-in-order', 'ipv4-fragments-out-of-order', 'ipv6-ext-headers', 'ipv6-fragments',
      'proto-tcp', 'proto-udp', 'proto-icmp', 'proto-icmpv6', 'proto-sctp', 'gre-plain', 'gre-key', 'gre-ethernet',
      'vxlan', 'ipip', '6in4', '4in6', '6in6', 'gtpu', 'gtpu-ext', 'malformed-truncated-ip', 'malformed-bad-ihl',
      'malformed-ip-length', 'gtpu-port-not-gtp', 'file-truncated', 'file-corrupt', 'pcapng-truncated', 'pcapng-corrupt',
    ];
    for (const r of required) t.ok(names.has(r), r);
  });


  // Layer-specific fields: [case, tshark field, expected values over the whole file].
  const fieldChecks: Array<[string, string, string[]]> = [
    ['vlan-8021q', 'vlan.id', ['10', '10']],
    ['vlan-qinq', 'ieee8021ad.id', ['100', '100']], // tshark shows 0x88a8 tags as 802.1ad, not vlan
    ['vlan-qinq', 'vlan.id', ['20', '20']],
    ['vlan-3deep', 'ieee8021ad.id', ['100', '100']],
    ['vlan-3deep', 'vlan.id', ['200', '30', '200', '30']],
    ['mpls-1', 'mpls.label', ['16001', '16001']],
    ['mpls-3', 'mpls.label', ['16001', '24002', '30003', '16001', '24002', '30003']],
    ['mpls-3', 'mpls.bottom', ['0', '0', '1', '0', '0', '1']],
    ['pppoe', 'ppp.protocol', ['0x0021', '0x0021']],
    ['pppoe-ipv6', 'ppp.protocol', ['0x0057', '0x0057']],
    ['pppoe-qinq', 'pppoe.session_id', ['0x0042', '0x0042']],
    ['pppoe-qinq', 'vlan.id', ['40', '40']],
    ['link-null-le', 'null.family', ['2', '2', '30', '30']],
    ['link-null-be', 'null.family', ['2', '2', '24', '24']],
    ['link-sll', 'sll.pkttype', ['4', '0', '4', '0']], // 4 = outgoing, 0 = to us
    ['link-sll2', 'sll.ifindex', ['3', '3', '3', '3']],
    ['pcapng-le', 'frame.interface_id', ['0', '0', ...Array<string>(10).fill('1')]], // DNS on eth0, then the TCP session on SLL2
    ['pcapng-be', 'frame.interface_id', ['0', '0', ...Array<string>(10).fill('1')]],
    ['pcapng-spb-unknown', 'frame.len', ['79', '95']], // the DNS query (EPB) and answer (SPB); unknown blocks skipped
    ['ipv4-options', 'ip.hdr_len', ['40', '40']], // 20 + Router Alert 4 + Record Route 15, padded to 20
    ['ipv4-fragments-in-order', 'ip.frag_offset', ['0', '185', '370', '0']], // in 8-byte units: 0, 1480, 2960
    ['ipv4-fragments-out-of-order', 'ip.frag_offset', ['370', '0', '185', '0']],
    ['ipv6-fragments', 'ipv6.fraghdr.offset', ['0', '181', '362']], // 1448-byte pieces
    ['ipv6-ext-headers', 'ipv6.routing.type', ['4', '4']],
    ['proto-sctp', 'sctp.verification_tag', ['0x01020304', '0x05060708']],
    ['gre-key', 'gre.key', ['0x00001234', '0x00001234']],
    ['gre-ethernet', 'gre.proto', ['0x6558', '0x6558']],
    ['vxlan', 'vxlan.vni', ['5001', '5001']],
    ['ipip', 'ip.proto', ['4', '17', '4', '17']],
    ['6in4', 'ip.proto', ['41', '41']],
    ['4in6', 'ipv6.nxt', ['4', '4']],
    ['6in6', 'ipv6.nxt', ['41', '17', '41', '17']],
    ['gtpu', 'gtp.teid', ['0x00a1b2c3', '0x00d4e5f6']],
    ['gtpu-ext', 'gtp.ext_hdr.pdu_ses_con.pdu_type', ['1', '0']], // UL then DL PDU session information
    ['gtpu-ext', 'gtp.ext_hdr.udp_port', ['2152']],
    ['gtpu-ext', 'gtp.seq_number', ['0x0001', '0x0001']],
  ];
  t.test('every field check names an existing case', async (t) => {
    for (const [name] of fieldChecks) t.ok(cases.some((c) => c.name === name), name);
  });

  const ADDRESS_FIELDS = ['frame.len', 'frame.protocols', 'ip.src', 'ip.dst', 'ip.len', 'ipv6.src', 'ipv6.dst', 'ipv6.plen', 'udp.srcport', 'tcp.srcport', 'sctp.srcport'];
  const TRANSPORT_NAME: Record<number, string> = { [IpProto.TCP]: 'tcp', [IpProto.UDP]: 'udp', [IpProto.SCTP]: 'sctp', [IpProto.ICMP]: 'icmp', [IpProto.ICMPV6]: 'icmpv6' };

  /** Does tshark see the flow's transport protocol (and source port) in this frame? */
  function carriesTransport(v: Record<string, string[]>, flow: ExpectedFlow): boolean {
    const name = TRANSPORT_NAME[flow.proto];
    const layers = (v['frame.protocols'][0] ?? '').split(':');
    if (!name || !layers.includes(name)) return false;
    if (flow.proto === IpProto.ICMP || flow.proto === IpProto.ICMPV6) return true;
    const ports = v[`${name}.srcport`];
    return ports[ports.length - 1] === String(flow.sport);
  }

  /** Per-direction totals of `flow` over the scanned frames, using the innermost IP header. */
  function measure(frames: ScannedFrame[], flow: ExpectedFlow) {
    const v6 = flow.src.includes(':');
    const last = (vs: string[]) => vs[vs.length - 1] ?? '';
    const totals = { pkts: 0, ipBytes: 0, l2Bytes: 0, rpkts: 0, ripBytes: 0, rl2Bytes: 0 };
    // Fragments without a transport header are fine as long as some packet of the flow shows it.
    let sawTransport = false;
    for (const { values: v } of frames) {
      const src = last(v6 ? v['ipv6.src'] : v['ip.src']);
      const dst = last(v6 ? v['ipv6.dst'] : v['ip.dst']);
      // IPv6 payload length excludes the 40-byte fixed header; the probe counts the whole packet.
      const ipLen = v6 ? Number(last(v['ipv6.plen'])) + 40 : Number(last(v['ip.len']));
      const frameLen = Number(last(v['frame.len']));
      if (src === flow.src && dst === flow.dst) {
        if (carriesTransport(v, flow)) sawTransport = true;
        totals.pkts++;
        totals.ipBytes += ipLen;
        totals.l2Bytes += frameLen;
      } else if (src === flow.dst && dst === flow.src) {
        totals.rpkts++;
        totals.ripBytes += ipLen;
        totals.rl2Bytes += frameLen;
      }
    }
    return { ...totals, transport: sawTransport };
  }

  // tshark start-up is CPU-bound (about half a second); a few in parallel cut the wall time without starving CI.
  const TSHARK_PARALLEL = 4;
  // tshark dissects every datagram on UDP 2152 as GTP and flags the short one as
  // malformed GTP: that disagreement is what the case is about (it is UDP to us).
  const TSHARK_SEES_MALFORMED = new Set(['gtpu-port-not-gtp']);
  const cleanCases = cases.filter((c) => !c.expectMalformed && !c.expectError && !TSHARK_SEES_MALFORMED.has(c.name));
  const checksOf = (c: FixtureCase) => fieldChecks.filter(([name]) => name === c.name);
  const cleanScans = mapLimited(cleanCases, TSHARK_PARALLEL, (c) => scanAsync(path(c), [...ADDRESS_FIELDS, ...checksOf(c).map(([, field]) => field)]));

  cleanCases.forEach((c, i) => {
    t.test(`fixture ${c.name}: decodes cleanly, flows and fields match`, async (t) => {
      const { frames, stderr } = await cleanScans[i];
      t.equal(stderr, '', 'tshark reads the whole file');
      t.same(frames.flatMap((f) => f.problems.map((p) => `frame ${f.number}: ${p}`)), [], 'no expert errors/warnings, malformed packets or bad checksums');
      const expectedFrames = c.expectFlows.reduce((n, f) => n + f.pkts + f.rpkts, 0);
      t.equal(frames.length, expectedFrames, 'every packet of the ground truth is in the file');
      for (const f of c.expectFlows) {
        const m = measure(frames, f);
        t.same(m, { pkts: f.pkts, ipBytes: f.ipBytes, l2Bytes: f.l2Bytes, rpkts: f.rpkts, ripBytes: f.ripBytes, rl2Bytes: f.rl2Bytes, transport: true }, `${f.src} -> ${f.dst} proto ${f.proto} port ${f.sport}: counters`);
      }
      for (const [, field, expected] of checksOf(c)) t.same(frames.flatMap((f) => f.values[field]), expected, field);
    });
  });

  for (const c of cases.filter((c) => c.expectMalformed)) {
    t.test(`fixture ${c.name}: tshark also finds the malformed packet`, async (t) => {
      const { frames } = await scanAsync(path(c));
      const good = c.expectFlows.reduce((n, f) => n + f.pkts + f.rpkts, 0);
      t.equal(frames.length, good + (c.expectMalformed ?? 0));
      // Each malformed case puts its one bad packet first, then a good exchange.
      t.ok(frames[0].problems.length > 0, `the bad packet draws an error: ${frames[0].problems.join('; ')}`);
      t.same(frames.slice(1).flatMap((f) => f.problems), [], 'the good packets after it decode');
    });
  }

  t.test('damaged files: tshark reports the damage after the good packets', async (t) => {
    const count = (c: FixtureCase) => c.expectFlows.reduce((n, f) => n + f.pkts + f.rpkts, 0);
    const damaged = cases.filter((c) => c.expectError);
    t.same(damaged.map((c) => c.name), ['file-truncated', 'file-corrupt', 'pcapng-truncated', 'pcapng-corrupt']);
    for (const c of damaged) {
      const r = tshark(path(c), []);
      // tshark's wording: "cut short in the middle of a packet" / "appears to be damaged or corrupt".
      t.match(r.stderr, c.expectError === 'truncated' ? /cut short/ : /damaged or corrupt/, `${c.name}: ${r.stderr}`);
      t.equal(r.stdout.trim().split('\n').length, count(c), `${c.name}: the packets before the damage are read`);
    }
  });
}
