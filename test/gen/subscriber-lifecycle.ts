// A short capture that walks subscribers through every signalling message the
// probe handles, in three phases, so tests can read the state after each:
//
//   connect (< 0.25 s)  RADIUS Access-Accept (dave), Access-Reject (eve),
//                       Accounting-Start (alice on NAS 1, bob and frank on NAS 2);
//                       GTPv1 Create PDP Context accepted (IMSI_V1) and rejected;
//                       GTPv2 Create Session on S11 accepted (IMSI_V2) and rejected,
//                       Modify Bearer with the eNodeB's S1-U F-TEID,
//                       Create Bearer (dedicated EBI 6); GTP-U traffic of both.
//   change  (< 0.55 s)  Interim-Update (alice moves address), Update PDP Context
//                       (new SGSN TEID), Modify Bearer (handover: new eNodeB F-TEID
//                       and cell), Delete Bearer (EBI 6); more GTP-U traffic.
//   leave   (< 0.85 s)  Accounting-Stop (alice), Accounting-Off (NAS 2), Delete PDP
//                       Context (IMSI_V1), Delete Session (IMSI_V2).
//
// dave stays (he never sent accounting).

import { ethernet } from './link';
import { IpProto, ipv4 } from './ip';
import { udp } from './transport';
import { gtpu, UdpPort } from './tunnels';
import { Endpoint, IpIdCounter, ipPacket, udpExchange, ConversationPacket } from './conversation';
import { Timeline } from './timeline';
import { LinkType, nsFromIso, writePcap, type PacketRecord } from './pcap-writer';
import {
  AcctStatusType, FteidInterface, Gtpv1Cause, Gtpv1RatType, Gtpv2Cause, Gtpv2RatType,
  gtpv1CreatePdpRequest, gtpv1CreatePdpResponse, gtpv1DeletePdpRequest, gtpv1DeletePdpResponse, gtpv1UpdatePdpRequest, gtpv1UpdatePdpResponse,
  gtpv2CreateBearerRequest, gtpv2CreateBearerResponse, gtpv2CreateSessionRequest, gtpv2CreateSessionResponse,
  gtpv2DeleteBearerRequest, gtpv2DeleteBearerResponse, gtpv2DeleteSessionRequest, gtpv2DeleteSessionResponse,
  gtpv2ModifyBearerRequest, gtpv2ModifyBearerResponse,
  radiusAccessAccept, radiusAccessRequest, radiusAccountingRequest, radiusAccountingResponse,
  type GgsnPdpSide, type SgsnPdpSide,
} from './app';

export const LIFECYCLE_START = '2026-02-01T00:00:00Z';
export const PHASE_END_S = { connect: 0.25, change: 0.55, leave: 0.85 } as const;

const SECRET = 'lifecycle-secret';
const NAS1 = '10.254.0.1';
const NAS2 = '10.254.0.2';
const RADIUS_SERVER = '10.254.0.10';
const PLMN = { mcc: '001', mnc: '01' };

export const RADIUS_USERS = {
  alice: { name: 'alice', ip: '100.64.0.1', movedIp: '100.64.0.101', nas: NAS1, session: 'sess-a', calling: '33611111111' },
  bob: { name: 'bob', ip: '100.64.0.2', nas: NAS2, session: 'sess-b', calling: '33622222222' },
  frank: { name: 'frank', ip: '100.64.0.6', nas: NAS2, session: 'sess-f', calling: '33666666666' },
  dave: { name: 'dave', ip: '100.64.0.4', nas: NAS1 },
  eve: { name: 'eve', nas: NAS1 },
} as const;

/** GTPv1 on Gn: SGSN and GGSN; the SGSN moves its user-plane TEID in the Update. */
export const V1 = {
  imsi: '001010000000101', msisdn: '33700000101', imeisv: '3520990017614901', ip: '10.200.0.1',
  sgsn: '10.21.0.1', ggsn: '10.21.0.2',
  sgsnTeidControl: 0x110, sgsnTeidData: 0x111, sgsnTeidDataMoved: 0x119,
  ggsnTeidControl: 0x220, ggsnTeidData: 0x221,
  rejectedImsi: '001010000000199',
} as const;

/** GTPv2 on S11/S1-U: MME, SGW, two eNodeBs (handover from the first to the second). */
export const V2 = {
  imsi: '001010000000202', msisdn: '33700000202', imei: '3520990017614902', ip: '10.200.0.2',
  mme: '10.31.0.1', sgw: '10.31.0.2', enb1: '10.31.1.1', enb2: '10.31.1.2',
  mmeTeidC: 0x330, sgwTeidC: 0x440, sgwTeidU: 0x441, enbTeidU: 0x551, enb2TeidU: 0x552,
  dedicatedSgwTeidU: 0x442, dedicatedEnbTeidU: 0x553,
  cell1: { ...PLMN, tac: 0x0a01, eci: 0x00b001 }, cell2: { ...PLMN, tac: 0x0a01, eci: 0x00b002 },
  rejectedImsi: '001010000000299',
} as const;

export interface LifecycleCapture {
  records: PacketRecord[];
  file: Buffer;
  /** Inner IP bytes each UE address sent and received through GTP-U. */
  ueBytes: Map<string, { sent: number; rcvd: number }>;
}

class Builder {
  readonly timeline = new Timeline();
  readonly ids = new IpIdCounter();
  readonly start = nsFromIso(LIFECYCLE_START);
  readonly ueBytes = new Map<string, { sent: number; rcvd: number }>();
  private port = 30000;
  private radiusId = 0;
  private seq = 1;

  at(s: number): bigint {
    return this.start + BigInt(Math.round(s * 1e6)) * 1000n;
  }

  nextSeq(): number {
    return this.seq++;
  }

  nextRadiusId(): number {
    this.radiusId = (this.radiusId + 1) & 0xff;
    return this.radiusId;
  }

  frame(p: Buffer): Buffer {
    return ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, p);
  }

  exchange(atS: number, packets: ConversationPacket[]): void {
    let t = this.at(atS);
    for (const p of packets) {
      this.timeline.add(t, this.frame(p.packet));
      t += 1_000_000n; // 1 ms
    }
  }

  radius(atS: number, nas: string, serverPort: number, request: Buffer, response: Buffer): void {
    const client: Endpoint = { ip: nas, port: this.port++ };
    this.exchange(atS, udpExchange(client, { ip: RADIUS_SERVER, port: serverPort }, request, response, this.ids));
  }

  gtpc(atS: number, from: string, to: string, request: Buffer, response: Buffer): void {
    this.exchange(atS, udpExchange({ ip: from, port: UdpPort.GTPC }, { ip: to, port: UdpPort.GTPC }, request, response, this.ids));
  }

  /** A UDP exchange of the UE through GTP-U: uplink to `up` with its TEID, downlink to `down`. */
  userPlane(atS: number, ue: string, up: { node: string; teid: number }, down: { node: string; teid: number }, bytes: number): void {
    const server = '198.51.100.99';
    const request = ipPacket(ue, server, IpProto.UDP, udp({ sport: 40000 + Math.round(atS * 1000), dport: 443 }, Buffer.alloc(bytes, 1)), this.ids);
    const response = ipPacket(server, ue, IpProto.UDP, udp({ sport: 443, dport: 40000 + Math.round(atS * 1000) }, Buffer.alloc(bytes * 2, 2)), this.ids);
    const tunnel = (inner: Buffer, src: string, dst: string, teid: number) =>
      ipv4({ src, dst, proto: IpProto.UDP, id: this.ids.take(src) }, udp({ sport: UdpPort.GTPU, dport: UdpPort.GTPU }, gtpu({ teid }, inner)));
    const t = this.at(atS);
    this.timeline.add(t, this.frame(tunnel(request, down.node, up.node, up.teid)));
    this.timeline.add(t + 2_000_000n, this.frame(tunnel(response, up.node, down.node, down.teid)));
    let tally = this.ueBytes.get(ue);
    if (tally === undefined) this.ueBytes.set(ue, (tally = { sent: 0, rcvd: 0 }));
    tally.sent += request.length;
    tally.rcvd += response.length;
  }
}

function radiusConnect(b: Builder): void {
  const authenticator = Buffer.alloc(16, 7);
  const d = RADIUS_USERS.dave;
  let id = b.nextRadiusId();
  b.radius(0.01, d.nas, UdpPort.RADIUS_AUTH,
    radiusAccessRequest({ id, secret: SECRET, authenticator, userName: d.name, password: 'pw', nasIp: d.nas }),
    radiusAccessAccept({ id, secret: SECRET, requestAuthenticator: authenticator, framedIp: d.ip }));
  const e = RADIUS_USERS.eve;
  id = b.nextRadiusId();
  const request = radiusAccessRequest({ id, secret: SECRET, authenticator, userName: e.name, password: 'wrong', nasIp: e.nas });
  // Access-Reject: the Accept builder's shape with code 3 (RFC 2865 4.3), no attributes needed.
  const reject = Buffer.from(radiusAccessAccept({ id, secret: SECRET, requestAuthenticator: authenticator }));
  reject[0] = 3;
  b.radius(0.02, e.nas, UdpPort.RADIUS_AUTH, request, reject);
  [RADIUS_USERS.alice, RADIUS_USERS.bob, RADIUS_USERS.frank].forEach((u, i) => {
    const start = radiusAccountingRequest({ id: b.nextRadiusId(), secret: SECRET, statusType: AcctStatusType.START, nasIp: u.nas, userName: u.name, sessionId: u.session, framedIp: u.ip, callingStationId: u.calling });
    b.radius(0.03 + i * 0.01, u.nas, UdpPort.RADIUS_ACCT, start, radiusAccountingResponse({ secret: SECRET, request: start }));
  });
}

function radiusChange(b: Builder): void {
  const a = RADIUS_USERS.alice;
  const interim = radiusAccountingRequest({ id: b.nextRadiusId(), secret: SECRET, statusType: AcctStatusType.INTERIM_UPDATE, nasIp: a.nas, userName: a.name, sessionId: a.session, framedIp: a.movedIp, callingStationId: a.calling, sessionTime: 1 });
  b.radius(0.3, a.nas, UdpPort.RADIUS_ACCT, interim, radiusAccountingResponse({ secret: SECRET, request: interim }));
}

function radiusLeave(b: Builder): void {
  const a = RADIUS_USERS.alice;
  const stop = radiusAccountingRequest({ id: b.nextRadiusId(), secret: SECRET, statusType: AcctStatusType.STOP, nasIp: a.nas, userName: a.name, sessionId: a.session, framedIp: a.movedIp, sessionTime: 2 });
  b.radius(0.6, a.nas, UdpPort.RADIUS_ACCT, stop, radiusAccountingResponse({ secret: SECRET, request: stop }));
  const off = radiusAccountingRequest({ id: b.nextRadiusId(), secret: SECRET, statusType: AcctStatusType.ACCOUNTING_OFF, nasIp: NAS2 });
  b.radius(0.61, NAS2, UdpPort.RADIUS_ACCT, off, radiusAccountingResponse({ secret: SECRET, request: off }));
}

function v1Sides(moved: boolean): { sgsn: SgsnPdpSide; ggsn: GgsnPdpSide } {
  return {
    sgsn: {
      imsi: V1.imsi, msisdn: V1.msisdn, imeisv: V1.imeisv, apn: 'internet.v1', rat: Gtpv1RatType.UTRAN,
      cgi: { ...PLMN, lac: 0x0101, ci: moved ? 0x0202 : 0x0201 }, nsapi: 5,
      sgsnControlAddress: V1.sgsn, sgsnUserAddress: V1.sgsn, sgsnTeidControl: V1.sgsnTeidControl,
      sgsnTeidData: moved ? V1.sgsnTeidDataMoved : V1.sgsnTeidData,
    },
    ggsn: { ueAddress: V1.ip, ggsnControlAddress: V1.ggsn, ggsnUserAddress: V1.ggsn, ggsnTeidControl: V1.ggsnTeidControl, ggsnTeidData: V1.ggsnTeidData, chargingId: 1 },
  };
}

function gtpv1(b: Builder, phase: keyof typeof PHASE_END_S): void {
  const { sgsn, ggsn } = v1Sides(phase !== 'connect');
  if (phase === 'connect') {
    let seq = b.nextSeq();
    b.gtpc(0.05, V1.sgsn, V1.ggsn, gtpv1CreatePdpRequest(sgsn, seq), gtpv1CreatePdpResponse(sgsn, ggsn, seq));
    const rejected = { ...sgsn, imsi: V1.rejectedImsi, sgsnTeidControl: 0x1ff, sgsnTeidData: 0x1fe };
    seq = b.nextSeq();
    b.gtpc(0.06, V1.sgsn, V1.ggsn, gtpv1CreatePdpRequest(rejected, seq), gtpv1CreatePdpResponse(rejected, { ...ggsn, ueAddress: '10.200.0.199' }, seq, Gtpv1Cause.NO_RESOURCES));
    b.userPlane(0.1, V1.ip, { node: V1.ggsn, teid: V1.ggsnTeidData }, { node: V1.sgsn, teid: V1.sgsnTeidData }, 100);
  } else if (phase === 'change') {
    const seq = b.nextSeq();
    b.gtpc(0.31, V1.sgsn, V1.ggsn, gtpv1UpdatePdpRequest(sgsn, ggsn, seq), gtpv1UpdatePdpResponse(sgsn, ggsn, seq));
    b.userPlane(0.4, V1.ip, { node: V1.ggsn, teid: V1.ggsnTeidData }, { node: V1.sgsn, teid: V1.sgsnTeidDataMoved }, 200);
  } else {
    const seq = b.nextSeq();
    b.gtpc(0.62, V1.sgsn, V1.ggsn, gtpv1DeletePdpRequest(sgsn, ggsn, seq), gtpv1DeletePdpResponse(sgsn, seq));
  }
}

function gtpv2(b: Builder, phase: keyof typeof PHASE_END_S): void {
  const mmeC = { interfaceType: FteidInterface.S11_MME_GTPC, teid: V2.mmeTeidC, ipv4: V2.mme };
  const sgwC = { interfaceType: FteidInterface.S11S4_SGW_GTPC, teid: V2.sgwTeidC, ipv4: V2.sgw };
  const sgwU = { interfaceType: FteidInterface.S1U_SGW_GTPU, teid: V2.sgwTeidU, ipv4: V2.sgw };
  const enbU = (teid: number, ip: string) => ({ interfaceType: FteidInterface.S1U_ENODEB_GTPU, teid, ipv4: ip });
  const EBI = 5;
  const DEDICATED = 6;
  if (phase === 'connect') {
    let seq = b.nextSeq();
    b.gtpc(0.07, V2.mme, V2.sgw,
      gtpv2CreateSessionRequest({ sequence: seq, imsi: V2.imsi, msisdn: V2.msisdn, mei: V2.imei, apn: 'internet.v2', rat: Gtpv2RatType.EUTRAN, location: V2.cell1, senderControl: mmeC, bearer: { ebi: EBI } }),
      gtpv2CreateSessionResponse({ sequence: seq, teid: V2.mmeTeidC, senderControl: sgwC, paa: { ipv4: V2.ip }, bearer: { ebi: EBI, fteids: [sgwU] } }));
    seq = b.nextSeq();
    b.gtpc(0.08, V2.mme, V2.sgw,
      gtpv2CreateSessionRequest({ sequence: seq, imsi: V2.rejectedImsi, msisdn: '33700000299', mei: V2.imei, apn: 'internet.v2', rat: Gtpv2RatType.EUTRAN, location: V2.cell1, senderControl: { ...mmeC, teid: 0x3ff }, bearer: { ebi: EBI } }),
      gtpv2CreateSessionResponse({ sequence: seq, teid: 0x3ff, cause: Gtpv2Cause.NO_RESOURCES, senderControl: sgwC, paa: { ipv4: '10.200.0.99' }, bearer: { ebi: EBI } }));
    // The eNodeB's downlink endpoint arrives with the first Modify Bearer.
    seq = b.nextSeq();
    b.gtpc(0.09, V2.mme, V2.sgw,
      gtpv2ModifyBearerRequest({ sequence: seq, teid: V2.sgwTeidC, bearer: { ebi: EBI, fteids: [enbU(V2.enbTeidU, V2.enb1)] } }),
      gtpv2ModifyBearerResponse({ sequence: seq, teid: V2.mmeTeidC, bearer: { ebi: EBI, cause: Gtpv2Cause.REQUEST_ACCEPTED, fteids: [sgwU] } }));
    seq = b.nextSeq();
    b.gtpc(0.11, V2.sgw, V2.mme,
      gtpv2CreateBearerRequest({ sequence: seq, teid: V2.mmeTeidC, linkedEbi: EBI, fteids: [{ ...sgwU, teid: V2.dedicatedSgwTeidU }] }),
      gtpv2CreateBearerResponse({ sequence: seq, teid: V2.sgwTeidC, ebi: DEDICATED, fteids: [enbU(V2.dedicatedEnbTeidU, V2.enb1), { ...sgwU, teid: V2.dedicatedSgwTeidU }] }));
    b.userPlane(0.15, V2.ip, { node: V2.sgw, teid: V2.sgwTeidU }, { node: V2.enb1, teid: V2.enbTeidU }, 300);
    b.userPlane(0.16, V2.ip, { node: V2.sgw, teid: V2.dedicatedSgwTeidU }, { node: V2.enb1, teid: V2.dedicatedEnbTeidU }, 50);
  } else if (phase === 'change') {
    let seq = b.nextSeq();
    b.gtpc(0.32, V2.mme, V2.sgw,
      gtpv2ModifyBearerRequest({ sequence: seq, teid: V2.sgwTeidC, location: V2.cell2, rat: Gtpv2RatType.EUTRAN, bearer: { ebi: EBI, fteids: [enbU(V2.enb2TeidU, V2.enb2)] } }),
      gtpv2ModifyBearerResponse({ sequence: seq, teid: V2.mmeTeidC, bearer: { ebi: EBI, cause: Gtpv2Cause.REQUEST_ACCEPTED, fteids: [sgwU] } }));
    seq = b.nextSeq();
    b.gtpc(0.33, V2.sgw, V2.mme,
      gtpv2DeleteBearerRequest({ sequence: seq, teid: V2.mmeTeidC, ebis: [DEDICATED] }),
      gtpv2DeleteBearerResponse({ sequence: seq, teid: V2.sgwTeidC, ebis: [DEDICATED] }));
    b.userPlane(0.45, V2.ip, { node: V2.sgw, teid: V2.sgwTeidU }, { node: V2.enb2, teid: V2.enb2TeidU }, 400);
  } else {
    const seq = b.nextSeq();
    b.gtpc(0.63, V2.mme, V2.sgw,
      gtpv2DeleteSessionRequest({ sequence: seq, teid: V2.sgwTeidC, linkedEbi: EBI }),
      gtpv2DeleteSessionResponse({ sequence: seq, teid: V2.mmeTeidC }));
  }
}

/** The capture up to the end of `until` (all three phases by default). */
export function buildLifecycleCapture(until: keyof typeof PHASE_END_S = 'leave'): LifecycleCapture {
  const b = new Builder();
  const phases = (['connect', 'change', 'leave'] as const).slice(0, ['connect', 'change', 'leave'].indexOf(until) + 1);
  for (const phase of phases) {
    if (phase === 'connect') radiusConnect(b);
    else if (phase === 'change') radiusChange(b);
    else radiusLeave(b);
    gtpv1(b, phase);
    gtpv2(b, phase);
  }
  const records = b.timeline.sorted();
  return { records, file: writePcap(records, { linkType: LinkType.ETHERNET }), ueBytes: b.ueBytes };
}
