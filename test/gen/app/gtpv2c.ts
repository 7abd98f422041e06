// GTPv2-C (3GPP TS 29.274) messages for S11 / S5/S8: session and bearer
// management. Every IE is type(1) length(2) spare/instance(1) value; grouped
// IEs (Bearer Context) nest encoded IEs as their value.

import { cat, ipv4Bytes, ipv6Bytes, labels, plmn, tbcd, u16, u24, u32, u8 } from '../bytes';
import type { EutranLocation, Plmn } from './mobile';

export const Gtpv2Type = {
  ECHO_REQUEST: 1,
  ECHO_RESPONSE: 2,
  CREATE_SESSION_REQUEST: 32,
  CREATE_SESSION_RESPONSE: 33,
  MODIFY_BEARER_REQUEST: 34,
  MODIFY_BEARER_RESPONSE: 35,
  DELETE_SESSION_REQUEST: 36,
  DELETE_SESSION_RESPONSE: 37,
  CREATE_BEARER_REQUEST: 95,
  CREATE_BEARER_RESPONSE: 96,
  DELETE_BEARER_REQUEST: 99,
  DELETE_BEARER_RESPONSE: 100,
} as const;

export const Gtpv2Cause = { REQUEST_ACCEPTED: 16, CONTEXT_NOT_FOUND: 64, NO_RESOURCES: 73, USER_AUTH_FAILED: 92 } as const;
export const Gtpv2RatType = { UTRAN: 1, GERAN: 2, WLAN: 3, GAN: 4, HSPA_EVOLUTION: 5, EUTRAN: 6, NR: 10 } as const;

/** F-TEID interface types (TS 29.274 table 8.22-1). */
export const FteidInterface = {
  S1U_ENODEB_GTPU: 0,
  S1U_SGW_GTPU: 1,
  S12_RNC_GTPU: 2,
  S12_SGW_GTPU: 3,
  S5S8_SGW_GTPU: 4,
  S5S8_PGW_GTPU: 5,
  S5S8_SGW_GTPC: 6,
  S5S8_PGW_GTPC: 7,
  S5S8_SGW_PMIPV6: 8,
  S5S8_PGW_PMIPV6: 9,
  S11_MME_GTPC: 10,
  S11S4_SGW_GTPC: 11,
  S10_MME_GTPC: 12,
  S3_MME_GTPC: 13,
  S3_SGSN_GTPC: 14,
  S4_SGSN_GTPU: 15,
  S4_SGW_GTPU: 16,
  S4_SGSN_GTPC: 17,
} as const;

const IE = {
  IMSI: 1,
  CAUSE: 2,
  RECOVERY: 3,
  APN: 71,
  AMBR: 72,
  EBI: 73,
  MEI: 75,
  MSISDN: 76,
  PAA: 79,
  BEARER_QOS: 80,
  RAT_TYPE: 82,
  SERVING_NETWORK: 83,
  BEARER_TFT: 84,
  ULI: 86,
  FTEID: 87,
  BEARER_CONTEXT: 93,
  CHARGING_ID: 94,
  PDN_TYPE: 99,
  APN_RESTRICTION: 127,
  SELECTION_MODE: 128,
} as const;

export function gtpv2Ie(type: number, value: Buffer, instance = 0): Buffer {
  return cat(u8(type), u16(value.length), u8(instance & 0x0f), value);
}

export interface Fteid {
  interfaceType: number;
  teid: number;
  ipv4?: string;
  ipv6?: string;
  /** IE instance: which F-TEID of the message this is (e.g. S5/S8-U PGW is instance 2 in a Create Session Response bearer context). */
  instance?: number;
}

export interface Paa {
  ipv4?: string;
  ipv6?: string;
  /** IPv6 prefix length, 64 unless given. */
  prefixLength?: number;
}

/** IE constructors (TS 29.274 section 8). */
export const v2ie = {
  imsi: (digits: string) => gtpv2Ie(IE.IMSI, tbcd(digits)),
  /** Cause value plus the PCE/BCE/CS flags octet (all clear: the cause is about this node's request). */
  cause: (value: number, instance = 0) => gtpv2Ie(IE.CAUSE, cat(u8(value), u8(0)), instance),
  recovery: (counter: number) => gtpv2Ie(IE.RECOVERY, u8(counter)),
  apn: (name: string) => gtpv2Ie(IE.APN, labels(name)),
  /** APN-AMBR in kbps. */
  ambr: (uplinkKbps: number, downlinkKbps: number) => gtpv2Ie(IE.AMBR, cat(u32(uplinkKbps), u32(downlinkKbps))),
  ebi: (ebi: number, instance = 0) => gtpv2Ie(IE.EBI, u8(ebi & 0x0f), instance),
  mei: (imeisv: string) => gtpv2Ie(IE.MEI, tbcd(imeisv)),
  msisdn: (digits: string) => gtpv2Ie(IE.MSISDN, tbcd(digits)),
  paa: (p: Paa) => {
    const prefix = p.prefixLength ?? 64;
    if (p.ipv4 && p.ipv6) return gtpv2Ie(IE.PAA, cat(u8(3), u8(prefix), ipv6Bytes(p.ipv6), ipv4Bytes(p.ipv4)));
    if (p.ipv6) return gtpv2Ie(IE.PAA, cat(u8(2), u8(prefix), ipv6Bytes(p.ipv6)));
    return gtpv2Ie(IE.PAA, cat(u8(1), ipv4Bytes(p.ipv4 ?? '0.0.0.0')));
  },
  /** Bearer QoS: ARP (priority level 9, pre-emption capability/vulnerability off), QCI, then MBR/GBR as 5-octet kbps fields. */
  bearerQos: (qci = 9) => {
    const PVI = 0x01;
    const PCI = 0x40;
    const arp = PCI | (9 << 2) | PVI;
    const rate = (kbps: number) => cat(u8(Math.floor(kbps / 2 ** 32)), u32(kbps >>> 0));
    return gtpv2Ie(IE.BEARER_QOS, cat(u8(arp), u8(qci), rate(0), rate(0), rate(0), rate(0)));
  },
  ratType: (rat: number) => gtpv2Ie(IE.RAT_TYPE, u8(rat)),
  servingNetwork: (p: Plmn) => gtpv2Ie(IE.SERVING_NETWORK, plmn(p.mcc, p.mnc)),
  /** TFT "create new TFT" with one bidirectional packet filter matching a protocol (TS 24.008 10.5.6.12). */
  bearerTft: (protocol = 17) => {
    const CREATE_NEW_ONE_FILTER = 0x21;
    const BIDIRECTIONAL_FILTER_1 = 0x31;
    const PROTOCOL_ID_COMPONENT = 0x30;
    return gtpv2Ie(IE.BEARER_TFT, Buffer.from([CREATE_NEW_ONE_FILTER, BIDIRECTIONAL_FILTER_1, 0x10, 2, PROTOCOL_ID_COMPONENT, protocol]));
  },
  /** ULI with TAI and ECGI present (flag bits 0x08 and 0x10); value order is TAI then ECGI. */
  uli: (l: EutranLocation) => {
    const TAI = 0x08;
    const ECGI = 0x10;
    const tai = cat(plmn(l.mcc, l.mnc), u16(l.tac));
    const ecgi = cat(plmn(l.mcc, l.mnc), u32(l.eci & 0x0fffffff));
    return gtpv2Ie(IE.ULI, cat(u8(TAI | ECGI), tai, ecgi));
  },
  fteid: (f: Fteid) => {
    const V4 = 0x80;
    const V6 = 0x40;
    const flags = (f.ipv4 ? V4 : 0) | (f.ipv6 ? V6 : 0) | (f.interfaceType & 0x3f);
    return gtpv2Ie(
      IE.FTEID,
      cat(u8(flags), u32(f.teid), f.ipv4 ? ipv4Bytes(f.ipv4) : Buffer.alloc(0), f.ipv6 ? ipv6Bytes(f.ipv6) : Buffer.alloc(0)),
      f.instance ?? 0,
    );
  },
  bearerContext: (ies: readonly Buffer[], instance = 0) => gtpv2Ie(IE.BEARER_CONTEXT, cat(...ies), instance),
  chargingId: (id: number) => gtpv2Ie(IE.CHARGING_ID, u32(id)),
  pdnType: (p: Paa) => gtpv2Ie(IE.PDN_TYPE, u8(p.ipv4 && p.ipv6 ? 3 : p.ipv6 ? 2 : 1)),
  apnRestriction: (value = 0) => gtpv2Ie(IE.APN_RESTRICTION, u8(value)),
  selectionMode: (mode = 0) => gtpv2Ie(IE.SELECTION_MODE, u8(mode & 0x03)),
};

export interface Gtpv2Header {
  type: number;
  /** Receiver's control TEID; 0 on an initial Create Session Request. */
  teid: number;
  sequence: number;
}

/** Header with T=1 (TEID present), P=0. */
export function gtpv2Message(h: Gtpv2Header, ies: readonly Buffer[]): Buffer {
  const VERSION2_T = 0x48;
  const body = cat(u32(h.teid), u24(h.sequence), u8(0), ...ies);
  return cat(u8(VERSION2_T), u8(h.type), u16(body.length), body);
}

/** One bearer inside a message: EBI, optional cause, F-TEIDs with their instances. */
export interface BearerSpec {
  ebi: number;
  cause?: number;
  fteids?: readonly Fteid[];
  qos?: boolean;
  tft?: boolean;
  chargingId?: number;
}

function bearerIes(b: BearerSpec): Buffer[] {
  const ies = [v2ie.ebi(b.ebi)];
  if (b.tft) ies.push(v2ie.bearerTft());
  if (b.cause !== undefined) ies.push(v2ie.cause(b.cause));
  for (const f of b.fteids ?? []) ies.push(v2ie.fteid(f));
  if (b.qos) ies.push(v2ie.bearerQos());
  if (b.chargingId !== undefined) ies.push(v2ie.chargingId(b.chargingId));
  return ies;
}

export function bearerContext(b: BearerSpec, instance = 0): Buffer {
  return v2ie.bearerContext(bearerIes(b), instance);
}

export interface CreateSessionRequestOptions {
  sequence: number;
  imsi: string;
  msisdn: string;
  mei: string;
  apn: string;
  rat: number;
  location: EutranLocation;
  /** The sender's control F-TEID (S11 MME, or S5/S8 SGW GTP-C). */
  senderControl: Fteid;
  /** The PGW control-plane address the SGW should use (S5/S8 PGW GTP-C, instance 1); TEID is 0. */
  pgwControl?: Fteid;
  /** UE address requested; absent = dynamic allocation (0.0.0.0). */
  paa?: Paa;
  bearer: BearerSpec;
}

export function gtpv2CreateSessionRequest(o: CreateSessionRequestOptions): Buffer {
  const paa = o.paa ?? { ipv4: '0.0.0.0' };
  const ies = [
    v2ie.imsi(o.imsi),
    v2ie.msisdn(o.msisdn),
    v2ie.mei(o.mei),
    v2ie.uli(o.location),
    v2ie.servingNetwork(o.location),
    v2ie.ratType(o.rat),
    v2ie.fteid({ ...o.senderControl, instance: 0 }),
  ];
  if (o.pgwControl) ies.push(v2ie.fteid({ ...o.pgwControl, instance: 1 }));
  ies.push(
    v2ie.apn(o.apn),
    v2ie.selectionMode(),
    v2ie.pdnType(paa),
    v2ie.paa(paa),
    v2ie.apnRestriction(),
    v2ie.ambr(50_000, 100_000),
    bearerContext({ qos: true, ...o.bearer }),
  );
  return gtpv2Message({ type: Gtpv2Type.CREATE_SESSION_REQUEST, teid: 0, sequence: o.sequence }, ies);
}

export interface CreateSessionResponseOptions {
  sequence: number;
  /** The requester's control TEID (from its sender F-TEID). */
  teid: number;
  cause?: number;
  /** The responder's control F-TEID (instance 0), e.g. S11/S4 SGW GTP-C. */
  senderControl: Fteid;
  /** PGW S5/S8 control F-TEID (instance 1), if the responder is an SGW relaying it. */
  pgwControl?: Fteid;
  paa: Paa;
  bearer: BearerSpec;
}

export function gtpv2CreateSessionResponse(o: CreateSessionResponseOptions): Buffer {
  const cause = o.cause ?? Gtpv2Cause.REQUEST_ACCEPTED;
  const ies = [v2ie.cause(cause)];
  if (cause === Gtpv2Cause.REQUEST_ACCEPTED) {
    ies.push(v2ie.fteid({ ...o.senderControl, instance: 0 }));
    if (o.pgwControl) ies.push(v2ie.fteid({ ...o.pgwControl, instance: 1 }));
    ies.push(v2ie.paa(o.paa), v2ie.apnRestriction(), bearerContext({ cause, ...o.bearer }));
  }
  return gtpv2Message({ type: Gtpv2Type.CREATE_SESSION_RESPONSE, teid: o.teid, sequence: o.sequence }, ies);
}

export function gtpv2ModifyBearerRequest(o: { sequence: number; teid: number; location?: EutranLocation; rat?: number; bearer: BearerSpec }): Buffer {
  const ies: Buffer[] = [];
  if (o.location) ies.push(v2ie.uli(o.location));
  if (o.rat !== undefined) ies.push(v2ie.ratType(o.rat));
  ies.push(bearerContext(o.bearer));
  return gtpv2Message({ type: Gtpv2Type.MODIFY_BEARER_REQUEST, teid: o.teid, sequence: o.sequence }, ies);
}

export function gtpv2ModifyBearerResponse(o: { sequence: number; teid: number; msisdn?: string; bearer: BearerSpec }): Buffer {
  const ies = [v2ie.cause(Gtpv2Cause.REQUEST_ACCEPTED)];
  if (o.msisdn) ies.push(v2ie.msisdn(o.msisdn));
  ies.push(bearerContext({ cause: Gtpv2Cause.REQUEST_ACCEPTED, ...o.bearer }));
  return gtpv2Message({ type: Gtpv2Type.MODIFY_BEARER_RESPONSE, teid: o.teid, sequence: o.sequence }, ies);
}

/** Delete Session Request: the Linked EPS Bearer ID names the PDN connection. */
export function gtpv2DeleteSessionRequest(o: { sequence: number; teid: number; linkedEbi: number; location?: EutranLocation }): Buffer {
  const ies = [v2ie.ebi(o.linkedEbi)];
  if (o.location) ies.push(v2ie.uli(o.location));
  return gtpv2Message({ type: Gtpv2Type.DELETE_SESSION_REQUEST, teid: o.teid, sequence: o.sequence }, ies);
}

export function gtpv2DeleteSessionResponse(o: { sequence: number; teid: number; cause?: number }): Buffer {
  return gtpv2Message({ type: Gtpv2Type.DELETE_SESSION_RESPONSE, teid: o.teid, sequence: o.sequence }, [
    v2ie.cause(o.cause ?? Gtpv2Cause.REQUEST_ACCEPTED),
  ]);
}

/** Network-initiated dedicated bearer: LBI plus a bearer context with EBI 0 (the MME assigns it), TFT, QoS. */
export function gtpv2CreateBearerRequest(o: { sequence: number; teid: number; linkedEbi: number; fteids: readonly Fteid[]; chargingId?: number }): Buffer {
  return gtpv2Message({ type: Gtpv2Type.CREATE_BEARER_REQUEST, teid: o.teid, sequence: o.sequence }, [
    v2ie.ebi(o.linkedEbi),
    bearerContext({ ebi: 0, tft: true, fteids: o.fteids, qos: true, chargingId: o.chargingId }),
  ]);
}

export function gtpv2CreateBearerResponse(o: { sequence: number; teid: number; ebi: number; fteids: readonly Fteid[] }): Buffer {
  return gtpv2Message({ type: Gtpv2Type.CREATE_BEARER_RESPONSE, teid: o.teid, sequence: o.sequence }, [
    v2ie.cause(Gtpv2Cause.REQUEST_ACCEPTED),
    bearerContext({ ebi: o.ebi, cause: Gtpv2Cause.REQUEST_ACCEPTED, fteids: o.fteids }),
  ]);
}

/** Delete Bearer Request for dedicated bearers: EPS Bearer IDs are instance 1 (instance 0 would be the LBI). */
export function gtpv2DeleteBearerRequest(o: { sequence: number; teid: number; ebis: readonly number[] }): Buffer {
  const EPS_BEARER_IDS = 1;
  return gtpv2Message(
    { type: Gtpv2Type.DELETE_BEARER_REQUEST, teid: o.teid, sequence: o.sequence },
    o.ebis.map((e) => v2ie.ebi(e, EPS_BEARER_IDS)),
  );
}

export function gtpv2DeleteBearerResponse(o: { sequence: number; teid: number; ebis: readonly number[] }): Buffer {
  return gtpv2Message({ type: Gtpv2Type.DELETE_BEARER_RESPONSE, teid: o.teid, sequence: o.sequence }, [
    v2ie.cause(Gtpv2Cause.REQUEST_ACCEPTED),
    ...o.ebis.map((ebi) => bearerContext({ ebi, cause: Gtpv2Cause.REQUEST_ACCEPTED })),
  ]);
}
