// The demo capture behind `make run`: one minute of a small ISP that has both
// a fixed access network (per-subscriber VLANs, RADIUS) and a mobile core
// (GTPv1 Gn and GTPv2 S5/S8 with GTP-U user plane). Deterministic: a fixed
// seed and start time give the same bytes on every run.
//
//   node dist/test/gen/demo-capture.js OUT.pcap

import { LinkType, nsFromIso, writeCaptureFile, writePcap, type PacketRecord } from './pcap-writer';
import { ethernet } from './link';
import { IpProto, ipv4 } from './ip';
import { icmpEcho, udp } from './transport';
import { gtpu, UdpPort } from './tunnels';
import { ConversationPacket, Endpoint, IpIdCounter, ipPacket, tcpSession, udpExchange } from './conversation';
import { Timeline } from './timeline';
import { SeededRandom } from './rng';
import {
  AcctStatusType,
  DnsRcode,
  FteidInterface,
  Gtpv1RatType,
  Gtpv2RatType,
  dnsQuery,
  dnsResponse,
  gtpv1CreatePdpRequest,
  gtpv1CreatePdpResponse,
  gtpv1DeletePdpRequest,
  gtpv1DeletePdpResponse,
  gtpv1UpdatePdpRequest,
  gtpv1UpdatePdpResponse,
  gtpv2CreateBearerRequest,
  gtpv2CreateBearerResponse,
  gtpv2CreateSessionRequest,
  gtpv2CreateSessionResponse,
  gtpv2DeleteBearerRequest,
  gtpv2DeleteBearerResponse,
  gtpv2DeleteSessionRequest,
  gtpv2DeleteSessionResponse,
  gtpv2ModifyBearerRequest,
  gtpv2ModifyBearerResponse,
  httpRequest,
  httpResponse,
  radiusAccessAccept,
  radiusAccessRequest,
  radiusAccountingRequest,
  radiusAccountingResponse,
  tlsApplicationData,
  tlsClientHello,
  tlsServerHello,
  type GgsnPdpSide,
  type SgsnPdpSide,
} from './app';

export const DEMO_START = '2026-01-01T00:00:00Z';
export const DEMO_SEED = 20260101;
export const DEMO_DURATION_S = 60;

const MS = 1_000_000n; // nanoseconds per millisecond

const ROUTER_MAC = '02:00:00:00:00:fe';
const RADIUS_SECRET = 'demo-secret';
const PLMN = { mcc: '001', mnc: '01' }; // the ITU test network

/** Fixed-access subscribers: one VLAN each, address from RADIUS Framed-IP. */
export const FIXED_USERS = [
  { name: 'alice@isp.test', ip: '100.64.1.11', vlan: 101, mac: '02:00:00:00:01:11', calling: '02-00-00-00-01-11', session: 'acct-0001', stopAtS: 55 },
  { name: 'bob@isp.test', ip: '100.64.1.12', vlan: 102, mac: '02:00:00:00:01:12', calling: '02-00-00-00-01-12', session: 'acct-0002', stopAtS: 55 },
  { name: 'carol@isp.test', ip: '100.64.1.13', vlan: 103, mac: '02:00:00:00:01:13', calling: '02-00-00-00-01-13', session: 'acct-0003', stopAtS: undefined },
] as const;

/** Office hosts without RADIUS, on a shared VLAN. */
const OFFICE_HOSTS = [
  { ip: '10.10.10.21', vlan: 10, mac: '02:00:00:00:0a:21' },
  { ip: '10.10.10.22', vlan: 10, mac: '02:00:00:00:0a:22' },
] as const;

const NAS = { ip: '10.255.0.1', mac: '02:00:00:00:ff:01' };
const RADIUS_SERVER = { ip: '10.255.0.10' };
const MGMT_VLAN = 999;
const DNS_SERVER = '10.255.0.53';
const MOBILE_VLAN = 200;
const CORE_MACS = { a: '02:00:00:00:c0:01', b: '02:00:00:00:c0:02' };

/** Names users resolve and where they then go; one does not exist (NXDOMAIN). */
const SITES = [
  { name: 'www.example.com', ip: '198.51.100.10', kind: 'http' },
  { name: 'api.example.net', ip: '198.51.100.20', kind: 'tls' },
  { name: 'video.example.org', ip: '203.0.113.30', kind: 'tls' },
  { name: 'news.example.com', ip: '198.51.100.40', kind: 'http' },
  { name: 'missing.example.invalid', ip: '', kind: 'none' },
] as const;

/** Mobile subscribers; the first is on GTPv1 (Gn), the others on GTPv2 (S5/S8). */
export const MOBILE_USERS = [
  { imsi: '001010000000001', msisdn: '33600000001', imei: '3520990017614823', ip: '10.100.0.1', version: 1 },
  { imsi: '001010000000002', msisdn: '33600000002', imei: '3520990017614824', ip: '10.100.0.2', version: 2 },
  { imsi: '001010000000003', msisdn: '33600000003', imei: '3520990017614825', ip: '10.100.0.3', version: 2 },
] as const;

const GN = { sgsn: '10.20.0.1', ggsn: '10.20.0.2' };
const S5 = { sgw: '10.30.0.1', pgw: '10.30.0.2' };

interface Framer {
  (p: ConversationPacket): Buffer;
}

class DemoBuilder {
  readonly timeline = new Timeline();
  readonly rng = new SeededRandom(DEMO_SEED);
  readonly ids = new IpIdCounter();
  readonly start = nsFromIso(DEMO_START);
  private nextPort = 40000;
  private dnsId = 1;
  private radiusId = 0;
  /** The IP packet each frame carries (inside its tunnel, if any): the truth for per-address bytes. */
  readonly innerPacket = new WeakMap<Buffer, Buffer>();

  at(seconds: number): bigint {
    return this.start + BigInt(Math.round(seconds * 1000)) * MS;
  }

  ephemeralPort(): number {
    this.nextPort = this.nextPort >= 60999 ? 40000 : this.nextPort + 1;
    return this.nextPort;
  }

  /** Lay a conversation on the timeline: a few ms between packets, as on a LAN-to-Internet path. */
  place(startNs: bigint, packets: readonly ConversationPacket[], frame: Framer): bigint {
    let t = startNs;
    for (const p of packets) {
      const data = frame(p);
      this.innerPacket.set(data, p.packet);
      this.timeline.add(t, data);
      t += BigInt(this.rng.int(1, 15)) * MS;
    }
    return t;
  }

  /** DNS lookup then a visit to the site (HTTP, or TLS hello plus some records). */
  browse(client: string, startNs: bigint, frame: Framer): void {
    const site = this.rng.pick(SITES);
    const dnsClient: Endpoint = { ip: client, port: this.ephemeralPort() };
    const id = this.dnsId++ & 0xffff;
    const answer =
      site.kind === 'none'
        ? dnsResponse({ id, name: site.name, rcode: DnsRcode.NXDOMAIN })
        : dnsResponse({ id, name: site.name, answers: [site.ip] });
    let t = this.place(startNs, udpExchange(dnsClient, { ip: DNS_SERVER, port: UdpPort.DNS }, dnsQuery({ id, name: site.name }), answer, this.ids), frame);
    if (site.kind === 'none') return;
    const clientEnd: Endpoint = { ip: client, port: this.ephemeralPort() };
    const isn = { clientIsn: this.rng.int(0, 0xffffffff), serverIsn: this.rng.int(0, 0xffffffff) };
    t += 5n * MS;
    if (site.kind === 'http') {
      const paths = ['/', '/index.html', '/news/today', '/img/logo.png', '/old-page'];
      const target = this.rng.pick(paths);
      const status = target === '/old-page' ? 404 : 200;
      const body = status === 200 ? 'x'.repeat(this.rng.int(500, 6000)) : 'not found';
      this.place(
        t,
        tcpSession({
          client: clientEnd,
          server: { ip: site.ip, port: 80 },
          messages: [
            { fromClient: true, data: httpRequest({ host: site.name, target }) },
            { fromClient: false, data: httpResponse({ status, body }) },
          ],
          ids: this.ids,
          ...isn,
        }),
        frame,
      );
    } else {
      const records = this.rng.int(1, 4);
      const messages = [
        { fromClient: true, data: tlsClientHello({ serverName: site.name, alpn: ['h2', 'http/1.1'], random: this.rng.bytes(32) }) },
        { fromClient: false, data: tlsServerHello({ alpn: 'h2', random: this.rng.bytes(32) }) },
      ];
      for (let i = 0; i < records; i++) {
        messages.push({ fromClient: true, data: tlsApplicationData(this.rng.int(60, 400), (n) => this.rng.bytes(n)) });
        messages.push({ fromClient: false, data: tlsApplicationData(this.rng.int(500, 4000), (n) => this.rng.bytes(n)) });
      }
      this.place(t, tcpSession({ client: clientEnd, server: { ip: site.ip, port: 443 }, messages, ids: this.ids, ...isn }), frame);
    }
  }

  /** Browsing sessions every few seconds between `fromS` and `untilS`. */
  activity(client: string, fromS: number, untilS: number, frame: Framer): void {
    for (let s = fromS + this.rng.next() * 2; s < untilS - 1; s += 1.5 + this.rng.next() * 3) this.browse(client, this.at(s), frame);
  }

  nextRadiusId(): number {
    this.radiusId = (this.radiusId + 1) & 0xff;
    return this.radiusId;
  }
}

/** Frames for a host behind a tagged access port: host <-> router. */
function vlanFramer(host: { mac: string; vlan: number }): Framer {
  return (p) =>
    ethernet(
      { src: p.fromClient ? host.mac : ROUTER_MAC, dst: p.fromClient ? ROUTER_MAC : host.mac, vlans: [{ id: host.vlan }] },
      p.packet,
    );
}

/** Frames between two core nodes on the mobile VLAN. */
function coreFrame(fromA: boolean, packet: Buffer): Buffer {
  return ethernet({ src: fromA ? CORE_MACS.a : CORE_MACS.b, dst: fromA ? CORE_MACS.b : CORE_MACS.a, vlans: [{ id: MOBILE_VLAN }] }, packet);
}

function fixedNetwork(b: DemoBuilder): void {
  const nasFrame: Framer = vlanFramer({ mac: NAS.mac, vlan: MGMT_VLAN });
  const acct = (atS: number, request: Buffer) => {
    const req: Endpoint = { ip: NAS.ip, port: b.ephemeralPort() };
    const reply = radiusAccountingResponse({ secret: RADIUS_SECRET, request });
    b.place(b.at(atS), udpExchange(req, { ip: RADIUS_SERVER.ip, port: UdpPort.RADIUS_ACCT }, request, reply, b.ids), nasFrame);
  };
  // The NAS announces itself first: Accounting-On clears any stale sessions.
  acct(0.05, radiusAccountingRequest({ id: b.nextRadiusId(), secret: RADIUS_SECRET, statusType: AcctStatusType.ACCOUNTING_ON, nasIp: NAS.ip }));

  FIXED_USERS.forEach((u, i) => {
    const loginS = 0.5 + i * 0.7;
    const authenticator = b.rng.bytes(16);
    const id = b.nextRadiusId();
    const request = radiusAccessRequest({ id, secret: RADIUS_SECRET, authenticator, userName: u.name, password: 'pw-' + i, nasIp: NAS.ip, callingStationId: u.calling });
    const accept = radiusAccessAccept({ id, secret: RADIUS_SECRET, requestAuthenticator: authenticator, framedIp: u.ip });
    b.place(b.at(loginS), udpExchange({ ip: NAS.ip, port: b.ephemeralPort() }, { ip: RADIUS_SERVER.ip, port: UdpPort.RADIUS_AUTH }, request, accept, b.ids), nasFrame);
    const common = { secret: RADIUS_SECRET, nasIp: NAS.ip, userName: u.name, sessionId: u.session, framedIp: u.ip, callingStationId: u.calling };
    acct(loginS + 0.2, radiusAccountingRequest({ ...common, id: b.nextRadiusId(), statusType: AcctStatusType.START }));
    for (const interimS of [20, 40]) {
      acct(interimS + i * 0.1, radiusAccountingRequest({ ...common, id: b.nextRadiusId(), statusType: AcctStatusType.INTERIM_UPDATE, sessionTime: Math.round(interimS - loginS), inputOctets: 100_000 * interimS, outputOctets: 20_000 * interimS }));
    }
    const endS = u.stopAtS ?? DEMO_DURATION_S;
    b.activity(u.ip, loginS + 0.5, endS, vlanFramer(u));
    if (u.stopAtS !== undefined) {
      acct(u.stopAtS + i * 0.1, radiusAccountingRequest({ ...common, id: b.nextRadiusId(), statusType: AcctStatusType.STOP, sessionTime: Math.round(u.stopAtS - loginS), inputOctets: 6_000_000, outputOctets: 1_200_000 }));
    }
  });

  for (const h of OFFICE_HOSTS) b.activity(h.ip, 1, DEMO_DURATION_S, vlanFramer(h));
  // One host pings the web server a few times: ICMP flows have ports 0.
  const pinger = OFFICE_HOSTS[0];
  for (let seq = 1; seq <= 5; seq++) {
    const data = Buffer.alloc(56, seq);
    const echo = (reply: boolean) => icmpEcho({ reply, id: 0x4d43, seq }, data);
    b.place(
      b.at(10 + seq),
      [
        { fromClient: true, packet: ipPacket(pinger.ip, SITES[0].ip, IpProto.ICMP, echo(false), b.ids) },
        { fromClient: false, packet: ipPacket(SITES[0].ip, pinger.ip, IpProto.ICMP, echo(true), b.ids) },
      ],
      vlanFramer(pinger),
    );
  }
}

/** User-plane traffic of one subscriber through GTP-U; uplink goes from node `up.src` with TEID `up.teid`. */
function gtpuFramer(up: { src: string; dst: string; teid: number }, down: { teid: number }, ids: IpIdCounter): Framer {
  return (p) => {
    const [src, dst, teid] = p.fromClient ? [up.src, up.dst, up.teid] : [up.dst, up.src, down.teid];
    const outer = ipv4({ src, dst, proto: IpProto.UDP, id: ids.take(src) }, udp({ sport: UdpPort.GTPU, dport: UdpPort.GTPU }, gtpu({ teid }, p.packet)));
    return coreFrame(p.fromClient, outer);
  };
}

function gtpcExchange(b: DemoBuilder, atS: number, from: string, to: string, request: Buffer, response: Buffer): void {
  const c: Endpoint = { ip: from, port: UdpPort.GTPC };
  const s: Endpoint = { ip: to, port: UdpPort.GTPC };
  b.place(b.at(atS), udpExchange(c, s, request, response, b.ids), (p) => coreFrame(p.fromClient, p.packet));
}

function mobileNetwork(b: DemoBuilder): void {
  let seq = 100;
  const loc = (i: number) => ({ ...PLMN, tac: 0x0101, eci: 0x0001a00 + i });
  MOBILE_USERS.forEach((u, i) => {
    const attachS = 2 + i * 1.5;
    const detachS = i === 2 ? undefined : 56 + i * 0.5; // the last subscriber stays attached
    if (u.version === 1) {
      const sgsn: SgsnPdpSide = {
        imsi: u.imsi, msisdn: u.msisdn, imeisv: u.imei, apn: 'internet', rat: Gtpv1RatType.UTRAN,
        cgi: { ...PLMN, lac: 0x1001, ci: 0x2001 + i }, nsapi: 5,
        sgsnControlAddress: GN.sgsn, sgsnUserAddress: GN.sgsn, sgsnTeidControl: 0x1000 + i, sgsnTeidData: 0x2000 + i,
      };
      const ggsn: GgsnPdpSide = {
        ueAddress: u.ip, ggsnControlAddress: GN.ggsn, ggsnUserAddress: GN.ggsn,
        ggsnTeidControl: 0x3000 + i, ggsnTeidData: 0x4000 + i, chargingId: 0x7000 + i,
      };
      gtpcExchange(b, attachS, GN.sgsn, GN.ggsn, gtpv1CreatePdpRequest(sgsn, seq), gtpv1CreatePdpResponse(sgsn, ggsn, seq));
      seq++;
      const frame = gtpuFramer({ src: GN.sgsn, dst: GN.ggsn, teid: ggsn.ggsnTeidData }, { teid: sgsn.sgsnTeidData }, b.ids);
      b.activity(u.ip, attachS + 0.5, detachS ?? DEMO_DURATION_S, frame);
      // A routing-area update midway: same TEIDs, new cell.
      const moved = { ...sgsn, cgi: { ...sgsn.cgi, ci: sgsn.cgi.ci + 100 } };
      gtpcExchange(b, 30, GN.sgsn, GN.ggsn, gtpv1UpdatePdpRequest(moved, ggsn, seq), gtpv1UpdatePdpResponse(moved, ggsn, seq));
      seq++;
      if (detachS !== undefined) gtpcExchange(b, detachS, GN.sgsn, GN.ggsn, gtpv1DeletePdpRequest(sgsn, ggsn, seq), gtpv1DeletePdpResponse(sgsn, seq));
      seq++;
      return;
    }
    const sgwC = { interfaceType: FteidInterface.S5S8_SGW_GTPC, teid: 0x5000 + i, ipv4: S5.sgw };
    const pgwC = { interfaceType: FteidInterface.S5S8_PGW_GTPC, teid: 0x6000 + i, ipv4: S5.pgw };
    const sgwU = { interfaceType: FteidInterface.S5S8_SGW_GTPU, teid: 0x8000 + i, ipv4: S5.sgw, instance: 2 };
    const pgwU = { interfaceType: FteidInterface.S5S8_PGW_GTPU, teid: 0x9000 + i, ipv4: S5.pgw, instance: 2 };
    const EBI = 5;
    gtpcExchange(
      b, attachS, S5.sgw, S5.pgw,
      gtpv2CreateSessionRequest({
        sequence: seq, imsi: u.imsi, msisdn: u.msisdn, mei: u.imei, apn: 'internet', rat: Gtpv2RatType.EUTRAN,
        location: loc(i), senderControl: sgwC, bearer: { ebi: EBI, fteids: [sgwU] },
      }),
      gtpv2CreateSessionResponse({ sequence: seq, teid: sgwC.teid, senderControl: pgwC, paa: { ipv4: u.ip }, bearer: { ebi: EBI, fteids: [pgwU], chargingId: 0x7100 + i } }),
    );
    seq++;
    const frame = gtpuFramer({ src: S5.sgw, dst: S5.pgw, teid: pgwU.teid }, { teid: sgwU.teid }, b.ids);
    b.activity(u.ip, attachS + 0.5, detachS ?? DEMO_DURATION_S, frame);
    // Handover to another cell: Modify Bearer carries the new location.
    gtpcExchange(
      b, 31 + i, S5.sgw, S5.pgw,
      gtpv2ModifyBearerRequest({ sequence: seq, teid: pgwC.teid, location: loc(i + 10), rat: Gtpv2RatType.EUTRAN, bearer: { ebi: EBI, fteids: [{ ...sgwU, instance: 1 }] } }),
      gtpv2ModifyBearerResponse({ sequence: seq, teid: sgwC.teid, msisdn: u.msisdn, bearer: { ebi: EBI, fteids: [{ ...pgwU, instance: 1 }] } }),
    );
    seq++;
    if (i === 2) {
      // A dedicated bearer (e.g. for VoLTE) comes and goes; the PGW initiates both.
      const DEDICATED_EBI = 6;
      const pgwDedicated = { interfaceType: FteidInterface.S5S8_PGW_GTPU, teid: 0x9100 + i, ipv4: S5.pgw, instance: 1 };
      const sgwDedicated = { interfaceType: FteidInterface.S5S8_SGW_GTPU, teid: 0x8100 + i, ipv4: S5.sgw, instance: 2 };
      gtpcExchange(
        b, 45, S5.pgw, S5.sgw,
        gtpv2CreateBearerRequest({ sequence: seq, teid: sgwC.teid, linkedEbi: EBI, fteids: [pgwDedicated], chargingId: 0x7200 + i }),
        gtpv2CreateBearerResponse({ sequence: seq, teid: pgwC.teid, ebi: DEDICATED_EBI, fteids: [sgwDedicated, { ...pgwDedicated, instance: 3 }] }),
      );
      seq++;
      gtpcExchange(
        b, 50, S5.pgw, S5.sgw,
        gtpv2DeleteBearerRequest({ sequence: seq, teid: sgwC.teid, ebis: [DEDICATED_EBI] }),
        gtpv2DeleteBearerResponse({ sequence: seq, teid: pgwC.teid, ebis: [DEDICATED_EBI] }),
      );
      seq++;
    }
    if (detachS !== undefined) {
      gtpcExchange(b, detachS, S5.sgw, S5.pgw, gtpv2DeleteSessionRequest({ sequence: seq, teid: pgwC.teid, linkedEbi: EBI }), gtpv2DeleteSessionResponse({ sequence: seq, teid: sgwC.teid }));
    }
    seq++;
  });
}

export interface DemoCapture {
  records: PacketRecord[];
  file: Buffer;
  durationS: number;
  /** IP bytes (header and payload, the inner packet of a tunnel) each address sent and received. */
  ipBytes: Map<string, { sent: number; rcvd: number }>;
}

/** Tallies the IPv4 packets as built (total length, addresses): no decoding of the frames. */
function tallyIpBytes(records: readonly PacketRecord[], inner: WeakMap<Buffer, Buffer>): Map<string, { sent: number; rcvd: number }> {
  const tally = new Map<string, { sent: number; rcvd: number }>();
  const at = (ip: string) => {
    let t = tally.get(ip);
    if (t === undefined) tally.set(ip, (t = { sent: 0, rcvd: 0 }));
    return t;
  };
  for (const r of records) {
    const ip = inner.get(r.data);
    if (ip === undefined) continue;
    const length = ip.readUInt16BE(2);
    at([...ip.subarray(12, 16)].join('.')).sent += length;
    at([...ip.subarray(16, 20)].join('.')).rcvd += length;
  }
  return tally;
}

export function buildDemoCapture(): DemoCapture {
  const b = new DemoBuilder();
  fixedNetwork(b);
  mobileNetwork(b);
  const end = b.at(DEMO_DURATION_S);
  const records = b.timeline.sorted().filter((r) => r.timeNs < end);
  return { records, file: writePcap(records, { linkType: LinkType.ETHERNET }), durationS: DEMO_DURATION_S, ipBytes: tallyIpBytes(records, b.innerPacket) };
}

export function writeDemoCapture(path: string): DemoCapture {
  const demo = buildDemoCapture();
  writeCaptureFile(path, demo.file);
  return demo;
}


if (require.main === module) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node dist/test/gen/demo-capture.js OUT.pcap');
    process.exit(2);
  }
  const demo = writeDemoCapture(out);
  const bytes = demo.records.reduce((n, r) => n + r.data.length, 0);
  console.log(
    `${out}: ${demo.records.length} packets, ${bytes} bytes, ${demo.durationS} s from ${DEMO_START}; ` +
      `${FIXED_USERS.length} RADIUS users, ${MOBILE_USERS.length} GTP subscribers`,
  );
}
