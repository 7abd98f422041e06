// GTPv1-C (3GPP TS 29.060) control messages for the Gn/Gp interface: PDP
// context create/update/delete. IEs are TV (type < 128, fixed length) or TLV
// (type >= 128, 2-byte length), and must appear in ascending type order.

import { cat, ipBytes, labels, plmn, tbcd, u16, u32, u8 } from '../bytes';
import type { Cgi } from './mobile';

export const Gtpv1cType = {
  ECHO_REQUEST: 1,
  ECHO_RESPONSE: 2,
  CREATE_PDP_REQUEST: 16,
  CREATE_PDP_RESPONSE: 17,
  UPDATE_PDP_REQUEST: 18,
  UPDATE_PDP_RESPONSE: 19,
  DELETE_PDP_REQUEST: 20,
  DELETE_PDP_RESPONSE: 21,
} as const;

export const Gtpv1Cause = { REQUEST_ACCEPTED: 128, NON_EXISTENT: 192, NO_RESOURCES: 199, USER_AUTH_FAILED: 209 } as const;
export const Gtpv1RatType = { UTRAN: 1, GERAN: 2, WLAN: 3, GAN: 4, HSPA_EVOLUTION: 5, EUTRAN: 6 } as const;

const IE = {
  CAUSE: 1,
  IMSI: 2,
  RAI: 3,
  REORDERING_REQUIRED: 8,
  RECOVERY: 14,
  SELECTION_MODE: 15,
  TEID_DATA_I: 16,
  TEID_CONTROL_PLANE: 17,
  TEARDOWN_IND: 19,
  NSAPI: 20,
  CHARGING_ID: 127,
  END_USER_ADDRESS: 128,
  APN: 131,
  GSN_ADDRESS: 133,
  MSISDN: 134,
  QOS_PROFILE: 135,
  RAT_TYPE: 151,
  ULI: 152,
  IMEISV: 154,
} as const;

/** An encoded IE plus its type, so messages can be sorted into the mandatory order. */
export interface Gtpv1Ie {
  type: number;
  bytes: Buffer;
}

function tv(type: number, value: Buffer): Gtpv1Ie {
  return { type, bytes: cat(u8(type), value) };
}
function tlv(type: number, value: Buffer): Gtpv1Ie {
  return { type, bytes: cat(u8(type), u16(value.length), value) };
}

/** IE constructors (TS 29.060 7.7). */
export const v1ie = {
  cause: (value: number) => tv(IE.CAUSE, u8(value)),
  /** IMSI is a fixed 8-octet TV field: TBCD padded with 0xF. */
  imsi: (digits: string) => tv(IE.IMSI, cat(tbcd(digits), Buffer.alloc(8 - Math.ceil(digits.length / 2), 0xff))),
  rai: (p: { mcc: string; mnc: string; lac: number; rac: number }) => tv(IE.RAI, cat(plmn(p.mcc, p.mnc), u16(p.lac), u8(p.rac))),
  reorderingRequired: (required: boolean) => tv(IE.REORDERING_REQUIRED, u8(required ? 0xff : 0xfe)), // spare bits are 1
  recovery: (restartCounter: number) => tv(IE.RECOVERY, u8(restartCounter)),
  /** 0 = MS or network provided APN, subscription verified. Spare bits are 1. */
  selectionMode: (mode = 0) => tv(IE.SELECTION_MODE, u8(0xfc | mode)),
  teidDataI: (teid: number) => tv(IE.TEID_DATA_I, u32(teid)),
  teidControlPlane: (teid: number) => tv(IE.TEID_CONTROL_PLANE, u32(teid)),
  teardownInd: (teardown: boolean) => tv(IE.TEARDOWN_IND, u8(0xfe | (teardown ? 1 : 0))),
  nsapi: (nsapi: number) => tv(IE.NSAPI, u8(nsapi & 0x0f)),
  chargingId: (id: number) => tv(IE.CHARGING_ID, u32(id)),
  /** IETF PDP type (organisation 1) with IPv4 0x21 / IPv6 0x57; no address = dynamic allocation requested. */
  endUserAddress: (opts: { ipv6?: boolean; address?: string }) => {
    const SPARE_AND_IETF = 0xf1;
    const pdpType = opts.ipv6 || opts.address?.includes(':') ? 0x57 : 0x21;
    return tlv(IE.END_USER_ADDRESS, cat(u8(SPARE_AND_IETF), u8(pdpType), opts.address ? ipBytes(opts.address) : Buffer.alloc(0)));
  },
  apn: (name: string) => tlv(IE.APN, labels(name)),
  gsnAddress: (addr: string) => tlv(IE.GSN_ADDRESS, ipBytes(addr)),
  /** MSISDN as a MAP AddressString: nature 0x91 = international number, E.164 plan. */
  msisdn: (digits: string) => tlv(IE.MSISDN, cat(u8(0x91), tbcd(digits))),
  /** A conventional R97/98 QoS profile: ARP 2, interactive class, best effort. */
  qosProfile: () => tlv(IE.QOS_PROFILE, Buffer.from([0x02, 0x13, 0x92, 0x1f])),
  ratType: (rat: number) => tlv(IE.RAT_TYPE, u8(rat)),
  /** ULI with geographic location type 0 = CGI. */
  uli: (cgi: Cgi) => tlv(IE.ULI, cat(u8(0), plmn(cgi.mcc, cgi.mnc), u16(cgi.lac), u16(cgi.ci))),
  imeisv: (digits: string) => tlv(IE.IMEISV, tbcd(digits)),
};

export interface Gtpv1cHeader {
  type: number;
  /** TEID of the receiving side's control plane; 0 on an initial request. */
  teid: number;
  sequence: number;
}

/** Header with S=1 (sequence present), so the optional 4 bytes are always there, as GTP-C requires. */
export function gtpv1cMessage(h: Gtpv1cHeader, ies: readonly Gtpv1Ie[]): Buffer {
  const sorted = [...ies].sort((a, b) => a.type - b.type);
  const body = cat(u16(h.sequence), u8(0), u8(0), ...sorted.map((i) => i.bytes));
  const VERSION1_PT_S = 0x32;
  return cat(u8(VERSION1_PT_S), u8(h.type), u16(body.length), u32(h.teid), body);
}

/** What the SGSN knows about a subscriber's PDP context. */
export interface SgsnPdpSide {
  imsi: string;
  msisdn: string;
  imeisv: string;
  apn: string;
  rat: number;
  cgi: Cgi;
  nsapi: number;
  sgsnControlAddress: string;
  sgsnUserAddress: string;
  sgsnTeidControl: number;
  sgsnTeidData: number;
}

/** What the GGSN answers. */
export interface GgsnPdpSide {
  ueAddress: string;
  ggsnControlAddress: string;
  ggsnUserAddress: string;
  ggsnTeidControl: number;
  ggsnTeidData: number;
  chargingId: number;
}

export function gtpv1CreatePdpRequest(s: SgsnPdpSide, sequence: number): Buffer {
  return gtpv1cMessage({ type: Gtpv1cType.CREATE_PDP_REQUEST, teid: 0, sequence }, [
    v1ie.imsi(s.imsi),
    v1ie.rai({ mcc: s.cgi.mcc, mnc: s.cgi.mnc, lac: s.cgi.lac, rac: 1 }),
    v1ie.selectionMode(),
    v1ie.teidDataI(s.sgsnTeidData),
    v1ie.teidControlPlane(s.sgsnTeidControl),
    v1ie.nsapi(s.nsapi),
    v1ie.endUserAddress({}),
    v1ie.apn(s.apn),
    v1ie.gsnAddress(s.sgsnControlAddress), // first GSN Address: control plane
    v1ie.gsnAddress(s.sgsnUserAddress), // second: user traffic
    v1ie.msisdn(s.msisdn),
    v1ie.qosProfile(),
    v1ie.ratType(s.rat),
    v1ie.uli(s.cgi),
    v1ie.imeisv(s.imeisv),
  ]);
}

export function gtpv1CreatePdpResponse(s: SgsnPdpSide, g: GgsnPdpSide, sequence: number, cause: number = Gtpv1Cause.REQUEST_ACCEPTED): Buffer {
  const ies = [v1ie.cause(cause)];
  if (cause === Gtpv1Cause.REQUEST_ACCEPTED) {
    ies.push(
      v1ie.reorderingRequired(false),
      v1ie.teidDataI(g.ggsnTeidData),
      v1ie.teidControlPlane(g.ggsnTeidControl),
      v1ie.chargingId(g.chargingId),
      v1ie.endUserAddress({ address: g.ueAddress }),
      v1ie.gsnAddress(g.ggsnControlAddress),
      v1ie.gsnAddress(g.ggsnUserAddress),
      v1ie.qosProfile(),
    );
  }
  return gtpv1cMessage({ type: Gtpv1cType.CREATE_PDP_RESPONSE, teid: s.sgsnTeidControl, sequence }, ies);
}

/** SGSN-initiated update, e.g. after a routing-area change: new SGSN TEIDs/addresses and location. */
export function gtpv1UpdatePdpRequest(s: SgsnPdpSide, g: GgsnPdpSide, sequence: number): Buffer {
  return gtpv1cMessage({ type: Gtpv1cType.UPDATE_PDP_REQUEST, teid: g.ggsnTeidControl, sequence }, [
    v1ie.imsi(s.imsi),
    v1ie.rai({ mcc: s.cgi.mcc, mnc: s.cgi.mnc, lac: s.cgi.lac, rac: 1 }),
    v1ie.teidDataI(s.sgsnTeidData),
    v1ie.teidControlPlane(s.sgsnTeidControl),
    v1ie.nsapi(s.nsapi),
    v1ie.gsnAddress(s.sgsnControlAddress),
    v1ie.gsnAddress(s.sgsnUserAddress),
    v1ie.qosProfile(),
    v1ie.ratType(s.rat),
    v1ie.uli(s.cgi),
  ]);
}

export function gtpv1UpdatePdpResponse(s: SgsnPdpSide, g: GgsnPdpSide, sequence: number): Buffer {
  return gtpv1cMessage({ type: Gtpv1cType.UPDATE_PDP_RESPONSE, teid: s.sgsnTeidControl, sequence }, [
    v1ie.cause(Gtpv1Cause.REQUEST_ACCEPTED),
    v1ie.teidDataI(g.ggsnTeidData),
    v1ie.teidControlPlane(g.ggsnTeidControl),
    v1ie.chargingId(g.chargingId),
    v1ie.gsnAddress(g.ggsnControlAddress),
    v1ie.gsnAddress(g.ggsnUserAddress),
    v1ie.qosProfile(),
  ]);
}

export function gtpv1DeletePdpRequest(s: SgsnPdpSide, g: GgsnPdpSide, sequence: number): Buffer {
  return gtpv1cMessage({ type: Gtpv1cType.DELETE_PDP_REQUEST, teid: g.ggsnTeidControl, sequence }, [
    v1ie.teardownInd(true),
    v1ie.nsapi(s.nsapi),
  ]);
}

export function gtpv1DeletePdpResponse(s: SgsnPdpSide, sequence: number): Buffer {
  return gtpv1cMessage({ type: Gtpv1cType.DELETE_PDP_RESPONSE, teid: s.sgsnTeidControl, sequence }, [v1ie.cause(Gtpv1Cause.REQUEST_ACCEPTED)]);
}
