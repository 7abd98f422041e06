// One small capture per encapsulation / link type / file format, each with the
// flows the probe must report (ground truth computed from the very packets
// written, never from a decoder). Used by the core decoder tests:
//
//   const cases = writeEncapFixtures(dir);   // files + <name>.expect.json + cases.json
//
// Conventions (the probe's, see DESIGN.md): the flow source is the sender of
// its first packet; ipBytes is the (inner, for tunnels) IP packet's total
// length; l2Bytes is the whole captured frame's original length; vlan is the
// innermost 802.1Q id (0 if none); ICMP/ICMPv6 flows have ports 0. IP
// fragments count as packets of their flow, each with its own total length.

import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cat } from './bytes';
import { EtherType, ethernet, mpls, NullFamily, nullLoopback, pppoeSession, qinq, sll, sll2, type VlanTag } from './link';
import { IpProto, ipTunnel, ipv4, ipv4Fragments, ipv4RecordRouteOption, ipv4RouterAlertOption, ipv6, ipv6Fragments } from './ip';
import { icmpEcho, icmpv6Echo, sctp, sctpDataChunk, udp } from './transport';
import { gre, gtpu, pduSessionContainer, udpPortExtension, vxlan, UdpPort } from './tunnels';
import { LinkType, nsFromIso, writePcap, writePcapng, type Endian, type PacketRecord, type PcapngItem } from './pcap-writer';
import { ConversationPacket, Endpoint, IpIdCounter, ipPacket, tcpSession, udpExchange } from './conversation';
import { dnsQuery, dnsResponse, httpRequest, httpResponse } from './app';

export interface ExpectedTunnel {
  type: 'gre' | 'vxlan' | 'ipip' | '6in4' | '4in6' | '6in6' | 'gtpu';
  [field: string]: string | number;
}

export interface ExpectedFlow {
  proto: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  vlan: number;
  pkts: number;
  ipBytes: number;
  l2Bytes: number;
  rpkts: number;
  ripBytes: number;
  rl2Bytes: number;
  tunnel?: ExpectedTunnel;
}

export interface FixtureCase {
  name: string;
  /** File name inside the output directory. */
  file: string;
  expectFlows: ExpectedFlow[];
  /** Packets the probe must count as malformed (and build no flow from). */
  expectMalformed?: number;
  /** A fragment of the error the probe must report for the file. */
  expectError?: string;
  /** What the case exercises, for humans reading a failure. */
  note: string;
}

const START = nsFromIso('2026-01-01T00:00:00Z');
const PACKET_GAP_NS = 1_000_000n; // 1 ms between packets keeps every capture well ordered
const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';

/** A frame plus what it contributes to a flow (or to the malformed count). */
interface FrameEntry {
  frame: Buffer;
  origLen?: number;
  interfaceId?: number;
  /** The flow this packet belongs to; absent for malformed packets. */
  flow?: ExpectedFlow;
  fromSource?: boolean;
  ipBytes?: number;
}

/** Accumulates frames and the expected flows they add up to. */
class CaseBuilder {
  readonly entries: FrameEntry[] = [];
  readonly flows: ExpectedFlow[] = [];

  /** Start a flow from its first packet's sender and receiver. */
  flow(proto: number, src: Endpoint, dst: Endpoint, vlan = 0, tunnel?: ExpectedTunnel): ExpectedFlow {
    const portless = proto === IpProto.ICMP || proto === IpProto.ICMPV6; // nDPI keys ICMP flows with ports 0
    const f: ExpectedFlow = {
      proto,
      src: src.ip,
      sport: portless ? 0 : src.port,
      dst: dst.ip,
      dport: portless ? 0 : dst.port,
      vlan,
      pkts: 0,
      ipBytes: 0,
      l2Bytes: 0,
      rpkts: 0,
      ripBytes: 0,
      rl2Bytes: 0,
    };
    if (tunnel) f.tunnel = tunnel;
    this.flows.push(f);
    return f;
  }

  add(frame: Buffer, flow: ExpectedFlow, fromSource: boolean, ipBytes: number, extra: { origLen?: number; interfaceId?: number } = {}): void {
    this.entries.push({ frame, flow, fromSource, ipBytes, ...extra });
  }

  addMalformed(frame: Buffer): void {
    this.entries.push({ frame });
  }

  /** Records with timestamps; `count` limits which entries reach the expectations (for cut files). */
  records(): PacketRecord[] {
    return this.entries.map((e, i) => ({ timeNs: START + BigInt(i) * PACKET_GAP_NS, data: e.frame, origLen: e.origLen, interfaceId: e.interfaceId }));
  }

  /** Expected flows counting only the first `countedPackets` entries. */
  expectations(countedPackets = this.entries.length): { flows: ExpectedFlow[]; malformed: number } {
    const totals = new Map(this.flows.map((f) => [f, { ...f }]));
    let malformed = 0;
    this.entries.slice(0, countedPackets).forEach((e) => {
      if (!e.flow) {
        malformed++;
        return;
      }
      const t = totals.get(e.flow)!;
      const l2 = e.origLen ?? e.frame.length;
      if (e.fromSource) {
        t.pkts++;
        t.ipBytes += e.ipBytes!;
        t.l2Bytes += l2;
      } else {
        t.rpkts++;
        t.ripBytes += e.ipBytes!;
        t.rl2Bytes += l2;
      }
    });
    return { flows: [...totals.values()].filter((f) => f.pkts + f.rpkts > 0), malformed };
  }
}

// ------------------------------------------------------------ conversations

const V4 = { client: { ip: '10.1.0.1', port: 40001 }, server: { ip: '10.1.0.2', port: 53 } };
const V6 = { client: { ip: '2001:db8:1::1', port: 40002 }, server: { ip: '2001:db8:1::2', port: 53 } };
/** IPv4 ids of the inner packets; reset by every build so files are identical each time. */
let ids = new IpIdCounter();

/** A DNS query and its answer: the basic two-packet, two-direction flow. */
function dnsConversation(client: Endpoint, server: Endpoint, name = 'fixture.example.com'): ConversationPacket[] {
  const answer = client.ip.includes(':') ? '2001:db8::53' : '192.0.2.53';
  return udpExchange(client, server, dnsQuery({ id: 0x1234, name }), dnsResponse({ id: 0x1234, name, answers: [answer] }), ids);
}

function httpConversation(client: Endpoint, server: Endpoint, bodyBytes = 200): ConversationPacket[] {
  return tcpSession({
    client,
    server,
    messages: [
      { fromClient: true, data: httpRequest({ host: 'fixture.example.com', target: '/' }) },
      { fromClient: false, data: httpResponse({ body: 'y'.repeat(bodyBytes) }) },
    ],
    ids,
  });
}

function icmpConversation(client: string, server: string): ConversationPacket[] {
  const out: ConversationPacket[] = [];
  const v6 = client.includes(':');
  for (let seq = 1; seq <= 2; seq++) {
    const data = Buffer.alloc(32, seq);
    for (const reply of [false, true]) {
      const [src, dst] = reply ? [server, client] : [client, server];
      const msg = v6 ? icmpv6Echo({ reply, id: 7, seq }, data) : icmpEcho({ reply, id: 7, seq }, data);
      out.push({ fromClient: !reply, packet: ipPacket(src, dst, v6 ? IpProto.ICMPV6 : IpProto.ICMP, msg, ids) });
    }
  }
  return out;
}

function sctpConversation(client: Endpoint, server: Endpoint): ConversationPacket[] {
  // Unassigned ports and PPID 0 so no upper-layer dissector claims the payload.
  const chunk = (tsn: number) => sctpDataChunk({ tsn, ppid: 0 }, Buffer.from('sctp fixture payload'));
  return [
    { fromClient: true, packet: ipPacket(client.ip, server.ip, IpProto.SCTP, sctp({ sport: client.port, dport: server.port, verificationTag: 0x01020304 }, [chunk(1)]), ids) },
    { fromClient: false, packet: ipPacket(server.ip, client.ip, IpProto.SCTP, sctp({ sport: server.port, dport: client.port, verificationTag: 0x05060708 }, [chunk(100)]), ids) },
  ];
}

/** Transport protocol of an IP packet, past any IPv6 extension headers. */
function protoOf(p: ConversationPacket): number {
  const pkt = p.packet;
  if (pkt[0] >> 4 === 4) return pkt[9];
  const EXTENSION_HEADERS = new Set<number>([IpProto.HOPOPTS, IpProto.ROUTING, IpProto.DSTOPTS]);
  let next = pkt[6];
  let off = 40;
  while (EXTENSION_HEADERS.has(next)) {
    next = pkt[off];
    off += (pkt[off + 1] + 1) * 8;
  }
  if (next === IpProto.FRAGMENT) next = pkt[off];
  return next;
}

/** Add a conversation as one flow, framing each IP packet with `frame`. */
function addConversation(
  b: CaseBuilder,
  conv: readonly ConversationPacket[],
  ends: { client: Endpoint; server: Endpoint },
  frame: (p: ConversationPacket) => Buffer,
  opts: { vlan?: number; tunnel?: ExpectedTunnel; interfaceId?: number } = {},
): ExpectedFlow {
  const flow = b.flow(protoOf(conv[0]), ends.client, ends.server, opts.vlan ?? 0, opts.tunnel);
  for (const p of conv) b.add(frame(p), flow, p.fromClient, p.packet.length, { interfaceId: opts.interfaceId });
  return flow;
}

const eth = (vlans?: VlanTag[]) => (p: ConversationPacket) =>
  ethernet({ src: p.fromClient ? MAC_A : MAC_B, dst: p.fromClient ? MAC_B : MAC_A, vlans }, p.packet);

// ------------------------------------------------------------ case assembly

interface BuiltCase extends FixtureCase {
  contents: Buffer;
}

function pcapCase(
  name: string,
  note: string,
  b: CaseBuilder,
  opts: { linkType?: number; resolution?: 'us' | 'ns'; endian?: Endian; snaplen?: number } = {},
): BuiltCase {
  const { flows, malformed } = b.expectations();
  const contents = writePcap(b.records(), { linkType: opts.linkType ?? LinkType.ETHERNET, ...opts });
  return { name, file: `${name}.pcap`, note, expectFlows: flows, ...(malformed ? { expectMalformed: malformed } : {}), contents };
}

function linkTypeCases(): BuiltCase[] {
  const cases: BuiltCase[] = [];
  const both = (name: string, note: string, linkType: number, frame: (p: ConversationPacket) => Buffer) => {
    const b = new CaseBuilder();
    addConversation(b, dnsConversation(V4.client, V4.server), V4, frame);
    addConversation(b, dnsConversation(V6.client, V6.server), V6, frame);
    cases.push(pcapCase(name, note, b, { linkType }));
  };
  both('link-ethernet', 'Ethernet II (link type 1), IPv4 and IPv6', LinkType.ETHERNET, eth());
  both('link-null-le', 'BSD loopback (link type 0) written by a little-endian host; AF_INET6 = 30 (Darwin)', LinkType.NULL, (p) =>
    nullLoopback({ hostOrder: 'le', family: p.packet[0] >> 4 === 4 ? NullFamily.INET : NullFamily.INET6_DARWIN }, p.packet));
  both('link-null-be', 'BSD loopback (link type 0) written by a big-endian host; AF_INET6 = 24 (NetBSD/OpenBSD)', LinkType.NULL, (p) =>
    nullLoopback({ hostOrder: 'be', family: p.packet[0] >> 4 === 4 ? NullFamily.INET : NullFamily.INET6_BSD }, p.packet));
  both('link-raw', 'raw IP (link type 101), version from the first nibble', LinkType.RAW, (p) => p.packet);
  both('link-sll', 'Linux cooked v1 (link type 113)', LinkType.LINUX_SLL, (p) => sll({ packetType: p.fromClient ? 4 : 0, address: p.fromClient ? MAC_A : MAC_B }, p.packet));
  both('link-sll2', 'Linux cooked v2 (link type 276)', LinkType.LINUX_SLL2, (p) => sll2({ packetType: p.fromClient ? 4 : 0, address: p.fromClient ? MAC_A : MAC_B, interfaceIndex: 3 }, p.packet));
  const v4only = new CaseBuilder();
  addConversation(v4only, dnsConversation(V4.client, V4.server), V4, (p) => p.packet);
  cases.push(pcapCase('link-ipv4', 'raw IPv4 (link type 228)', v4only, { linkType: LinkType.IPV4 }));
  const v6only = new CaseBuilder();
  addConversation(v6only, dnsConversation(V6.client, V6.server), V6, (p) => p.packet);
  cases.push(pcapCase('link-ipv6', 'raw IPv6 (link type 229)', v6only, { linkType: LinkType.IPV6 }));
  return cases;
}

function fileFormatCases(): BuiltCase[] {
  const cases: BuiltCase[] = [];
  const web = { client: { ip: '10.2.0.1', port: 40100 }, server: { ip: '10.2.0.2', port: 80 } };
  for (const resolution of ['us', 'ns'] as const) {
    for (const endian of ['le', 'be'] as const) {
      const b = new CaseBuilder();
      addConversation(b, httpConversation(web.client, web.server), web, eth());
      cases.push(pcapCase(`pcap-${resolution}-${endian}`, `classic pcap, ${resolution} timestamps, ${endian === 'le' ? 'little' : 'big'}-endian header`, b, { resolution, endian }));
    }
  }
  // pcapng: interface 0 is Ethernet in microseconds, interface 1 Linux cooked v2 in nanoseconds.
  for (const endian of ['le', 'be'] as const) {
    const b = new CaseBuilder();
    addConversation(b, dnsConversation(V4.client, V4.server), V4, eth(), { interfaceId: 0 });
    addConversation(b, httpConversation(web.client, web.server), web, (p) => sll2({ address: p.fromClient ? MAC_A : MAC_B }, p.packet), { interfaceId: 1 });
    const { flows } = b.expectations();
    const contents = writePcapng(b.records().map((record) => ({ kind: 'packet', record })), {
      endian,
      application: 'microcloud test/gen',
      interfaces: [
        { linkType: LinkType.ETHERNET, tsresol: 6, name: 'eth0' },
        { linkType: LinkType.LINUX_SLL2, tsresol: 9, name: 'any' },
      ],
    });
    cases.push({ name: `pcapng-${endian}`, file: `pcapng-${endian}.pcapng`, note: `pcapng ${endian}, two interfaces (Ethernet us, SLL2 ns)`, expectFlows: flows, contents });
  }
  // Simple Packet Blocks (no timestamp, interface 0) and an unknown local-use block between them.
  {
    const b = new CaseBuilder();
    addConversation(b, dnsConversation(V4.client, V4.server), V4, eth());
    const LOCAL_USE_BLOCK = 0x80000bad; // most significant bit set: reserved for local use, readers skip it
    const items: PcapngItem[] = [];
    b.records().forEach((r, i) => {
      items.push(i === 0 ? { kind: 'packet', record: r } : { kind: 'simple', data: r.data });
      items.push({ kind: 'raw', blockType: LOCAL_USE_BLOCK, body: Buffer.from('skip me, I am not a packet') });
    });
    const contents = writePcapng(items, { interfaces: [{ linkType: LinkType.ETHERNET }] });
    cases.push({ name: 'pcapng-spb-unknown', file: 'pcapng-spb-unknown.pcapng', note: 'an EPB then a Simple Packet Block, each followed by an unknown block type', expectFlows: b.expectations().flows, contents });
  }
  // Snap length 96: frames are cut but IP lengths come from the headers, frame bytes from orig_len.
  {
    const b = new CaseBuilder();
    addConversation(b, httpConversation(web.client, web.server, 3000), web, eth());
    cases.push(pcapCase('pcap-snaplen', 'classic pcap with snaplen 96: caplen < orig_len is normal, not malformed', b, { snaplen: 96 }));
  }
  return cases;
}

function l2EncapCases(): BuiltCase[] {
  const cases: BuiltCase[] = [];
  const one = (name: string, note: string, frame: (p: ConversationPacket) => Buffer, vlan: number) => {
    const b = new CaseBuilder();
    addConversation(b, dnsConversation(V4.client, V4.server), V4, frame, { vlan });
    cases.push(pcapCase(name, note, b));
  };
  one('vlan-8021q', '802.1Q tag 10', eth([{ id: 10 }]), 10);
  one('vlan-qinq', '802.1ad S-tag 100 over 802.1Q C-tag 20; flow vlan is the inner 20', eth(qinq(100, 20)), 20);
  one('vlan-3deep', 'three stacked tags 100/200/30 (0x88a8, 0x8100, 0x8100); flow vlan is the innermost 30', eth([{ id: 100, tpid: EtherType.QINQ }, { id: 200 }, { id: 30 }]), 30);
  const mplsFrame = (labels: number[]) => (p: ConversationPacket) =>
    ethernet({ src: MAC_A, dst: MAC_B, etherType: EtherType.MPLS }, mpls(labels, p.packet));
  one('mpls-1', 'one MPLS label', mplsFrame([16001]), 0);
  one('mpls-3', 'three MPLS labels, bottom-of-stack on the last', mplsFrame([16001, 24002, 30003]), 0);
  const pppoe = (vlans?: VlanTag[]) => (p: ConversationPacket) =>
    ethernet({ src: MAC_A, dst: MAC_B, vlans, etherType: EtherType.PPPOE_SESSION }, pppoeSession({ sessionId: 0x0042 }, p.packet));
  one('pppoe', 'PPPoE session, PPP IPv4', pppoe(), 0);
  one('pppoe-qinq', 'PPPoE session over QinQ 300/40', pppoe(qinq(300, 40)), 40);
  const b6 = new CaseBuilder();
  addConversation(b6, dnsConversation(V6.client, V6.server), V6, pppoe());
  cases.push(pcapCase('pppoe-ipv6', 'PPPoE session, PPP IPv6 (0x0057)', b6));
  return cases;
}

function ipCases(): BuiltCase[] {
  const cases: BuiltCase[] = [];
  const frame = eth();
  {
    const b = new CaseBuilder();
    const conv = dnsConversation(V4.client, V4.server).map((p) => {
      const src = p.fromClient ? V4.client : V4.server;
      const dst = p.fromClient ? V4.server : V4.client;
      const l4 = p.packet.subarray(20);
      const options = cat(ipv4RouterAlertOption(), ipv4RecordRouteOption(3));
      return { fromClient: p.fromClient, packet: ipv4({ src: src.ip, dst: dst.ip, proto: IpProto.UDP, id: 99, options }, udp({ sport: src.port, dport: dst.port }, l4.subarray(8))) };
    });
    addConversation(b, conv, V4, frame);
    cases.push(pcapCase('ipv4-options', 'IPv4 header with options (IHL 9): Router Alert + Record Route', b));
  }
  // Fragmented UDP: a 3000-byte DNS-sized payload split into 1480-byte pieces.
  const bigDatagram = (src: Endpoint, dst: Endpoint, v6: boolean) => {
    const payload = Buffer.alloc(3000, 0x61);
    const l4 = udp({ sport: src.port, dport: dst.port }, payload);
    return v6 ? ipv6({ src: src.ip, dst: dst.ip, proto: IpProto.UDP }, l4) : ipv4({ src: src.ip, dst: dst.ip, proto: IpProto.UDP, id: 0x4242 }, l4);
  };
  const FRAGMENT_DATA = 1480; // Ethernet MTU 1500 minus the 20-byte IPv4 header
  const bulk = { client: { ip: '10.3.0.1', port: 40200 }, server: { ip: '10.3.0.2', port: 9000 } };
  const bulk6 = { client: { ip: '2001:db8:3::1', port: 40201 }, server: { ip: '2001:db8:3::2', port: 9000 } };
  const reply = (e: typeof bulk): ConversationPacket => ({
    fromClient: false,
    packet: ipPacket(e.server.ip, e.client.ip, IpProto.UDP, udp({ sport: e.server.port, dport: e.client.port }, Buffer.from('ack')), ids),
  });
  for (const order of ['in-order', 'out-of-order'] as const) {
    const b = new CaseBuilder();
    let frags = ipv4Fragments(bigDatagram(bulk.client, bulk.server, false), FRAGMENT_DATA);
    if (order === 'out-of-order') frags = [frags[2], frags[0], frags[1]];
    const flow = b.flow(IpProto.UDP, bulk.client, bulk.server);
    for (const f of frags) b.add(frame({ fromClient: true, packet: f }), flow, true, f.length);
    const r = reply(bulk);
    b.add(frame(r), flow, false, r.packet.length);
    cases.push(pcapCase(`ipv4-fragments-${order}`, `UDP datagram in 3 IPv4 fragments (${order}${order === 'out-of-order' ? ': last, first, middle' : ''}), then an unfragmented reply; each fragment counts as a packet`, b));
  }
  {
    const b = new CaseBuilder();
    const ext = [{ type: 'hopByHop' as const }, { type: 'routing' as const, segments: [V6.server.ip] }, { type: 'destination' as const }];
    const conv = dnsConversation(V6.client, V6.server).map((p) => {
      const [src, dst] = p.fromClient ? [V6.client, V6.server] : [V6.server, V6.client];
      const exts = p.fromClient ? ext : [ext[0], { type: 'routing' as const, segments: [V6.client.ip] }, ext[2]];
      return { fromClient: p.fromClient, packet: ipv6({ src: src.ip, dst: dst.ip, proto: IpProto.UDP, extensionHeaders: exts }, p.packet.subarray(40)) };
    });
    addConversation(b, conv, V6, frame);
    cases.push(pcapCase('ipv6-ext-headers', 'IPv6 hop-by-hop, routing (SRH, segments left 0) and destination options before UDP', b));
  }
  {
    const b = new CaseBuilder();
    const frags = ipv6Fragments(bigDatagram(bulk6.client, bulk6.server, true), 1448, 0x0badcafe); // 1500 - 40 - 8, rounded down to 8
    const flow = b.flow(IpProto.UDP, bulk6.client, bulk6.server);
    for (const f of frags) b.add(frame({ fromClient: true, packet: f }), flow, true, f.length);
    const r = reply(bulk6);
    b.add(frame(r), flow, false, r.packet.length);
    cases.push(pcapCase('ipv6-fragments', 'UDP datagram in 3 IPv6 fragments (fragment header), then a reply', b));
  }
  return cases;
}

function transportCases(): BuiltCase[] {
  const cases: BuiltCase[] = [];
  const web = { client: { ip: '10.4.0.1', port: 40300 }, server: { ip: '10.4.0.2', port: 80 } };
  const web6 = { client: { ip: '2001:db8:4::1', port: 40301 }, server: { ip: '2001:db8:4::2', port: 80 } };
  const add = (name: string, note: string, conv: ConversationPacket[], ends: { client: Endpoint; server: Endpoint }) => {
    const b = new CaseBuilder();
    addConversation(b, conv, ends, eth());
    cases.push(pcapCase(name, note, b));
  };
  add('proto-tcp', 'TCP session over IPv4: handshake, request, response, FIN', httpConversation(web.client, web.server), web);
  add('proto-tcp6', 'TCP session over IPv6', httpConversation(web6.client, web6.server), web6);
  add('proto-udp', 'UDP request/response over IPv4', dnsConversation(V4.client, V4.server), V4);
  const pingV4 = { client: { ip: '10.4.0.1', port: 0 }, server: { ip: '10.4.0.9', port: 0 } };
  const pingV6 = { client: { ip: '2001:db8:4::1', port: 0 }, server: { ip: '2001:db8:4::9', port: 0 } };
  add('proto-icmp', 'ICMP echo request/reply x2: one flow with ports 0', icmpConversation(pingV4.client.ip, pingV4.server.ip), pingV4);
  add('proto-icmpv6', 'ICMPv6 echo request/reply x2: one flow with ports 0', icmpConversation(pingV6.client.ip, pingV6.server.ip), pingV6);
  const sig = { client: { ip: '10.4.0.1', port: 40400 }, server: { ip: '10.4.0.3', port: 40401 } };
  add('proto-sctp', 'SCTP DATA chunk each way (CRC32c checksums)', sctpConversation(sig.client, sig.server), sig);
  return cases;
}

// Outer endpoints of every tunnel case.
const OUTER4 = { a: '172.16.0.1', b: '172.16.0.2' };
const OUTER6 = { a: '2001:db8:ffff::1', b: '2001:db8:ffff::2' };

function tunnelCases(): BuiltCase[] {
  const cases: BuiltCase[] = [];
  const outerIds = new IpIdCounter();
  const overIp = (proto: number, l4: (p: ConversationPacket) => Buffer) => (p: ConversationPacket) => {
    const [src, dst] = p.fromClient ? [OUTER4.a, OUTER4.b] : [OUTER4.b, OUTER4.a];
    return eth()({ fromClient: p.fromClient, packet: ipv4({ src, dst, proto, id: outerIds.take(src) }, l4(p)) });
  };
  const add = (name: string, note: string, frame: (p: ConversationPacket) => Buffer, tunnel: ExpectedTunnel, v6 = false) => {
    const b = new CaseBuilder();
    const ends = v6 ? V6 : V4;
    addConversation(b, dnsConversation(ends.client, ends.server), ends, frame, { tunnel });
    cases.push(pcapCase(name, note, b));
  };
  add('gre-plain', 'GRE (RFC 2784) carrying IPv4', overIp(IpProto.GRE, (p) => gre({}, p.packet)), { type: 'gre' });
  add('gre-key', 'GRE with checksum, key 0x1234 and sequence (RFC 2890) carrying IPv6', overIp(IpProto.GRE, (p) => gre({ checksum: true, key: 0x1234, sequence: p.fromClient ? 1 : 2 }, p.packet)), { type: 'gre', key: 0x1234 }, true);
  add('gre-ethernet', 'GRE transparent Ethernet bridging (0x6558): inner Ethernet frame', overIp(IpProto.GRE, (p) => gre({ protocol: EtherType.TEB }, eth()(p))), { type: 'gre' });
  add('vxlan', 'VXLAN VNI 5001 over UDP 4789, inner Ethernet', overIp(IpProto.UDP, (p) => udp({ sport: p.fromClient ? 50001 : 50002, dport: UdpPort.VXLAN }, vxlan({ vni: 5001 }, eth()(p)))), { type: 'vxlan', vni: 5001 });
  const ipInIp = (outer: { a: string; b: string }) => (p: ConversationPacket) => {
    const [src, dst] = p.fromClient ? [outer.a, outer.b] : [outer.b, outer.a];
    return eth()({ fromClient: p.fromClient, packet: ipTunnel({ src, dst, id: outerIds.take(src) }, p.packet) });
  };
  add('ipip', 'IPv4 in IPv4 (protocol 4)', ipInIp(OUTER4), { type: 'ipip' });
  add('6in4', 'IPv6 in IPv4 (protocol 41)', ipInIp(OUTER4), { type: '6in4' }, true);
  add('4in6', 'IPv4 in IPv6 (next header 4)', ipInIp(OUTER6), { type: '4in6' });
  add('6in6', 'IPv6 in IPv6 (next header 41)', ipInIp(OUTER6), { type: '6in6' }, true);
  // GTP-U: uplink from the eNodeB/SGW side with the core's TEID, downlink with the access side's TEID.
  const TEID_UP = 0x00a1b2c3;
  const TEID_DOWN = 0x00d4e5f6;
  const gtpFrame = (withExtensions: boolean) =>
    overIp(IpProto.UDP, (p) => {
      const extensions = withExtensions ? [pduSessionContainer({ direction: p.fromClient ? 'ul' : 'dl', qfi: 9 }), ...(p.fromClient ? [udpPortExtension(UdpPort.GTPU)] : [])] : undefined;
      return udp({ sport: UdpPort.GTPU, dport: UdpPort.GTPU }, gtpu({ teid: p.fromClient ? TEID_UP : TEID_DOWN, sequence: withExtensions ? 1 : undefined, extensions }, p.packet));
    });
  const gtpTunnel: ExpectedTunnel = { type: 'gtpu', 'teid.up': TEID_UP, 'teid.down': TEID_DOWN };
  add('gtpu', 'GTP-U v1 G-PDU, no optional fields, uplink and downlink', gtpFrame(false), gtpTunnel);
  add('gtpu-ext', 'GTP-U v1 with sequence and extension headers: PDU Session Container (UL/DL), then UDP Port on uplink', gtpFrame(true), gtpTunnel);
  add('gtpu-ipv6-inner', 'GTP-U v1 carrying IPv6', gtpFrame(false), gtpTunnel, true);
  return cases;
}

function malformedCases(): BuiltCase[] {
  const cases: BuiltCase[] = [];
  const good = (b: CaseBuilder) => addConversation(b, dnsConversation(V4.client, V4.server), V4, eth());
  const validIp = () => ipv4({ src: '10.9.0.1', dst: '10.9.0.2', proto: IpProto.UDP, id: 5 }, udp({ sport: 40900, dport: 9 }, Buffer.from('payload')));
  const frameOf = (ip: Buffer) => ethernet({ src: MAC_A, dst: MAC_B, etherType: EtherType.IPV4 }, ip);
  const add = (name: string, note: string, bad: Buffer) => {
    const b = new CaseBuilder();
    b.addMalformed(bad);
    good(b); // the probe must carry on after the bad packet
    cases.push(pcapCase(name, note, b));
  };
  add('malformed-truncated-ip', 'an IPv4 header cut after 12 of 20 bytes (caplen = orig_len)', frameOf(validIp().subarray(0, 12)));
  add('malformed-bad-ihl', 'IPv4 IHL 3 (12 bytes), below the minimum of 5', frameOf(ipv4({ src: '10.9.0.1', dst: '10.9.0.2', proto: IpProto.UDP, overrideIhl: 3 }, udp({ sport: 40900, dport: 9 }, Buffer.from('payload')))));
  add('malformed-ip-length', 'IPv4 total length 100 bytes beyond the frame as sent on the wire (caplen = orig_len)', (() => {
    const ip = validIp();
    return frameOf(ipv4({ src: '10.9.0.1', dst: '10.9.0.2', proto: IpProto.UDP, id: 5, overrideTotalLength: ip.length + 100 }, ip.subarray(20)));
  })());
  {
    // Not every datagram on UDP 2152 is GTP-U: one too short for a GTP-U header
    // is a valid UDP packet, so it stays an outer UDP flow (as Zeek keeps its
    // false-GTP capture) instead of being dropped as malformed.
    const b = new CaseBuilder();
    const short = ipv4({ src: '10.9.0.1', dst: '10.9.0.2', proto: IpProto.UDP, id: 7 }, udp({ sport: UdpPort.GTPU, dport: UdpPort.GTPU }, Buffer.from([0x30, 0xff, 0x00, 0x10, 0x00])));
    const flow = b.flow(IpProto.UDP, { ip: '10.9.0.1', port: UdpPort.GTPU }, { ip: '10.9.0.2', port: UdpPort.GTPU });
    b.add(frameOf(short), flow, true, short.length);
    good(b);
    cases.push(pcapCase('gtpu-port-not-gtp', 'UDP to port 2152 carrying 5 bytes, too short for GTP-U: an ordinary UDP flow, not a tunnel', b));
  }
  return cases;
}

function damagedFileCases(): BuiltCase[] {
  const cases: BuiltCase[] = [];
  const build = () => {
    const b = new CaseBuilder();
    addConversation(b, dnsConversation(V4.client, V4.server), V4, eth());
    addConversation(b, dnsConversation({ ip: '10.1.0.3', port: 40003 }, V4.server), { client: { ip: '10.1.0.3', port: 40003 }, server: V4.server }, eth());
    addConversation(b, dnsConversation({ ip: '10.1.0.4', port: 40004 }, V4.server), { client: { ip: '10.1.0.4', port: 40004 }, server: V4.server }, eth());
    return b;
  };
  {
    const b = build();
    const file = writePcap(b.records(), { linkType: LinkType.ETHERNET });
    const CUT_BYTES = 10; // inside the last record's packet data
    const contents = file.subarray(0, file.length - CUT_BYTES);
    const counted = b.entries.length - 1;
    cases.push({ name: 'file-truncated', file: 'file-truncated.pcap', note: 'the last record is cut 10 bytes short (file ends inside it); the 5 complete packets still count', expectFlows: b.expectations(counted).flows, expectError: 'truncated', contents });
  }
  {
    const b = build();
    const records = b.records();
    const file = Buffer.from(writePcap(records, { linkType: LinkType.ETHERNET }));
    // Overwrite incl_len of the 4th record with garbage; packets after it are unreachable.
    const CORRUPT_INDEX = 3;
    const PCAP_HEADER = 24;
    const RECORD_HEADER = 16;
    let off = PCAP_HEADER;
    for (let i = 0; i < CORRUPT_INDEX; i++) off += RECORD_HEADER + records[i].data.length;
    file.writeUInt32LE(0x7fff0000, off + 8);
    cases.push({ name: 'file-corrupt', file: 'file-corrupt.pcap', note: 'the 4th record has a garbage captured length (0x7fff0000); the 3 packets before it count', expectFlows: b.expectations(CORRUPT_INDEX).flows, expectError: 'corrupt', contents: file });
  }
  // The same damage in pcapng: the file ends inside the last block, or a block length is garbage.
  {
    const b = build();
    const file = writePcapng(b.records().map((record) => ({ kind: 'packet', record })), { interfaces: [{ linkType: LinkType.ETHERNET }] });
    const CUT_BYTES = 10; // inside the last Enhanced Packet Block
    cases.push({ name: 'pcapng-truncated', file: 'pcapng-truncated.pcapng', note: 'pcapng whose last EPB is cut 10 bytes short; the 5 complete packets still count', expectFlows: b.expectations(b.entries.length - 1).flows, expectError: 'truncated', contents: file.subarray(0, file.length - CUT_BYTES) });
  }
  {
    const b = build();
    const file = Buffer.from(writePcapng(b.records().map((record) => ({ kind: 'packet', record })), { interfaces: [{ linkType: LinkType.ETHERNET }] }));
    // Walk SHB, IDB, then EPBs to the 4th packet's block and break its total length (must be >= 12 and a multiple of 4).
    const CORRUPT_INDEX = 3;
    const BLOCKS_BEFORE_PACKETS = 2; // SHB + IDB
    let off = 0;
    for (let i = 0; i < BLOCKS_BEFORE_PACKETS + CORRUPT_INDEX; i++) off += file.readUInt32LE(off + 4);
    file.writeUInt32LE(0x7ffffff1, off + 4);
    cases.push({ name: 'pcapng-corrupt', file: 'pcapng-corrupt.pcapng', note: 'pcapng whose 4th EPB has a garbage block length (0x7ffffff1); the 3 packets before it count', expectFlows: b.expectations(CORRUPT_INDEX).flows, expectError: 'corrupt', contents: file });
  }
  return cases;
}

/** Every case with its file contents, in a stable order. */
export function buildEncapFixtures(): BuiltCase[] {
  ids = new IpIdCounter();
  return [...linkTypeCases(), ...fileFormatCases(), ...l2EncapCases(), ...ipCases(), ...transportCases(), ...tunnelCases(), ...malformedCases(), ...damagedFileCases()];
}

/**
 * Write every capture, `<name>.expect.json` next to it, and `cases.json`
 * listing all cases; returns the case list (file names relative to `dir`).
 */
export function writeEncapFixtures(dir: string): FixtureCase[] {
  mkdirSync(dir, { recursive: true });
  const list: FixtureCase[] = buildEncapFixtures().map(({ contents, ...c }) => {
    writeFileSync(join(dir, c.file), contents);
    writeFileSync(join(dir, `${c.name}.expect.json`), JSON.stringify(c, null, 2) + '\n');
    return c;
  });
  writeFileSync(join(dir, 'cases.json'), JSON.stringify(list, null, 2) + '\n');
  return list;
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node dist/test/gen/encap-fixtures.js OUT_DIR');
    process.exit(2);
  }
  const list = writeEncapFixtures(dir);
  console.log(`${dir}: ${list.length} fixture captures with expectations`);
}
