/**
 * GTP-C parser (dissectors/gtpc.ts), GTPv1-C (TS 29.060) and GTPv2-C (TS 29.274):
 *
 * 1. round trips: every message our generators build (test/gen/app/gtpv1c.ts,
 *    gtpv2c.ts), plus hand-built ones for what they do not make (ULI variants,
 *    IPv6 and IPv4v6 addresses, extension headers, piggybacking, GTP' and
 *    other look-alikes), each checked field by field against the whole
 *    expected message;
 * 2. tshark as the oracle: the generated messages written to a capture, and
 *    real captures (Zeek's and nDPI's GTP files in ../shared), read with our
 *    own capture reader and decoder; per UDP payload, the parser must accept
 *    exactly what tshark decodes as GTPv1-C / GTPv2-C without errors, and the
 *    fields must agree. Zeek's event baseline for pdp_ctx_messages is a
 *    second, independent oracle;
 * 3. fuzz: every truncation of every sample, and 20k random mutations, never
 *    throw and only ever produce well-formed results.
 */
import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GTPC_PORT, GtpcFteid, GtpcMessage, parseGtpc } from '../dissectors/gtpc';
import { CaptureFile } from '../capture/capture-file';
import { PacketDecoder } from '../capture/decoder';
import { DecodedPacket, DecodeStatus } from '../capture/decoded-packet';
import * as app from './gen/app';
import { cat, ipv4Bytes, ipv6Bytes, labels, plmn, tbcd, u16, u24, u32, u8 } from './gen/bytes';
import { ethernet } from './gen/link';
import { IpProto, ipv4 } from './gen/ip';
import { udp } from './gen/transport';
import { LinkType, nsFromIso, writeCaptureFile, writePcap } from './gen/pcap-writer';
import { SeededRandom } from './gen/rng';
import { tshark, tsharkAvailable } from './gen/tshark';
import { ndpiPcapDir, sharedDir, zeekDir } from './corpus/paths';

// ------------------------------------------------------------------ helpers

const parse = (b: Buffer): GtpcMessage[] | null => parseGtpc(b, 0, b.length);

/** A complete expected message: defaults for everything not given. */
function msg(version: 1 | 2, fields: Partial<GtpcMessage>): GtpcMessage {
  return {
    version,
    type: 0,
    isRequest: false,
    isResponse: false,
    teid: null,
    sequence: -1,
    cause: null,
    accepted: null,
    imsi: null,
    msisdn: null,
    imei: null,
    apn: null,
    ratType: null,
    cellId: null,
    ueIpv4: null,
    ueIpv6: null,
    fteids: [],
    bearers: [],
    linkedEbi: null,
    ebis: [],
    teardown: null,
    ...fields,
  };
}

const v1Control = (teid: number, ipv4: string | null, ipv6: string | null = null): GtpcFteid => ({ interfaceType: null, instance: 0, plane: 'control', teid, ipv4, ipv6 });
const v1User = (teid: number, ipv4: string | null, ipv6: string | null = null): GtpcFteid => ({ interfaceType: null, instance: 0, plane: 'user', teid, ipv4, ipv6 });
const v2F = (f: app.Fteid, plane: 'control' | 'user', instance = f.instance ?? 0): GtpcFteid => ({
  interfaceType: f.interfaceType,
  instance,
  plane,
  teid: f.teid,
  ipv4: f.ipv4 ?? null,
  ipv6: f.ipv6 ?? null,
});

/** A v1 TLV IE built by hand (type >= 128). */
const v1tlv = (type: number, value: Buffer): app.Gtpv1Ie => ({ type, bytes: cat(u8(type), u16(value.length), value) });
/** A v1 TV IE built by hand (type < 128). */
const v1tv = (type: number, value: Buffer): app.Gtpv1Ie => ({ type, bytes: cat(u8(type), value) });

/** A v1 header with any flags (S/E/PN optional fields included when `opt` is given). */
function v1Raw(flags: number, type: number, teid: number, opt: Buffer, body: Buffer): Buffer {
  const rest = cat(opt, body);
  return cat(u8(flags), u8(type), u16(rest.length), u32(teid), rest);
}

/** A v2 header without TEID (T=0), e.g. Echo. */
function v2NoTeid(type: number, sequence: number, ies: Buffer[], flags = 0x40): Buffer {
  const body = cat(u24(sequence), u8(0), ...ies);
  return cat(u8(flags), u8(type), u16(body.length), body);
}

// ------------------------------------------------------------------ generated samples

const CGI: app.Cgi = { mcc: '001', mnc: '01', lac: 0x1001, ci: 0x2001 };
const SGSN: app.SgsnPdpSide = {
  imsi: '001010123456789',
  msisdn: '33612345678',
  imeisv: '3520990017614823',
  apn: 'internet.mnc001.mcc001.gprs',
  rat: app.Gtpv1RatType.UTRAN,
  cgi: CGI,
  nsapi: 5,
  sgsnControlAddress: '10.20.0.1',
  sgsnUserAddress: '10.20.0.11',
  sgsnTeidControl: 0x11111111,
  sgsnTeidData: 0x22222222,
};
const GGSN: app.GgsnPdpSide = {
  ueAddress: '10.100.0.7',
  ggsnControlAddress: '10.20.0.2',
  ggsnUserAddress: '10.20.0.12',
  ggsnTeidControl: 0x33333333,
  ggsnTeidData: 0xf4444444, // above 2^31: TEIDs are unsigned
  chargingId: 0x55,
};
/** IPv6 transport, a 3-digit MNC, GERAN. */
const SGSN6: app.SgsnPdpSide = {
  imsi: '310410123456789',
  msisdn: '12025550123',
  imeisv: '353456789012345',
  apn: 'ims',
  rat: app.Gtpv1RatType.GERAN,
  cgi: { mcc: '310', mnc: '410', lac: 65535, ci: 1 },
  nsapi: 6,
  sgsnControlAddress: '2001:db8:0:1::1',
  sgsnUserAddress: '2001:db8:0:1::11',
  sgsnTeidControl: 0x0000abcd,
  sgsnTeidData: 0xffffffff,
};
const GGSN6: app.GgsnPdpSide = {
  ueAddress: '2001:db8:ff00:0:1::7', // RFC 5952: the longer zero run is the one compressed
  ggsnControlAddress: '2001:db8:0:2::1',
  ggsnUserAddress: '2001:db8:0:2::12',
  ggsnTeidControl: 7,
  ggsnTeidData: 8,
  chargingId: 1,
};

interface Sample {
  what: string;
  bytes: Buffer;
  /** Every field of every message the parser must return. */
  expect: GtpcMessage[];
  /** Why tshark (4.0) reads this sample differently: left out of the tshark comparison. */
  tsharkDiffers?: string;
}

function v1Samples(): Sample[] {
  const cell = (c: app.Cgi) => `${c.mcc}-${c.mnc}-${c.lac}-${c.ci}`;
  const samples: Sample[] = [];
  for (const [s, g, tag] of [
    [SGSN, GGSN, 'IPv4'],
    [SGSN6, GGSN6, 'IPv6'],
  ] as const) {
    const v6 = tag === 'IPv6';
    const addr = (a: string) => (v6 ? { ipv4: null, ipv6: a } : { ipv4: a, ipv6: null });
    const sgsnC = { ...v1Control(s.sgsnTeidControl, null), ...addr(s.sgsnControlAddress) };
    const sgsnU = { ...v1User(s.sgsnTeidData, null), ...addr(s.sgsnUserAddress) };
    const ggsnC = { ...v1Control(g.ggsnTeidControl, null), ...addr(g.ggsnControlAddress) };
    const ggsnU = { ...v1User(g.ggsnTeidData, null), ...addr(g.ggsnUserAddress) };
    const ue = v6 ? { ueIpv6: g.ueAddress } : { ueIpv4: g.ueAddress };
    samples.push(
      {
        what: `v1 Create PDP Context Request (${tag})`,
        bytes: app.gtpv1CreatePdpRequest(s, 1),
        expect: [
          msg(1, {
            type: 16, isRequest: true, teid: 0, sequence: 1, imsi: s.imsi, msisdn: s.msisdn, imei: s.imeisv, apn: s.apn, ratType: s.rat,
            cellId: cell(s.cgi), fteids: [sgsnC, sgsnU], linkedEbi: s.nsapi,
          }),
        ],
      },
      {
        what: `v1 Create PDP Context Response, accepted (${tag})`,
        bytes: app.gtpv1CreatePdpResponse(s, g, 1),
        expect: [msg(1, { type: 17, isResponse: true, teid: s.sgsnTeidControl, sequence: 1, cause: 128, accepted: true, ...ue, fteids: [ggsnC, ggsnU] })],
      },
      {
        what: `v1 Create PDP Context Response, rejected (${tag})`,
        bytes: app.gtpv1CreatePdpResponse(s, g, 0xffff, app.Gtpv1Cause.USER_AUTH_FAILED),
        expect: [msg(1, { type: 17, isResponse: true, teid: s.sgsnTeidControl, sequence: 0xffff, cause: 209, accepted: false })],
      },
      {
        what: `v1 Update PDP Context Request (${tag})`,
        bytes: app.gtpv1UpdatePdpRequest(s, g, 2),
        expect: [
          msg(1, {
            type: 18, isRequest: true, teid: g.ggsnTeidControl, sequence: 2, imsi: s.imsi, ratType: s.rat, cellId: cell(s.cgi), fteids: [sgsnC, sgsnU], linkedEbi: s.nsapi,
          }),
        ],
      },
      {
        what: `v1 Update PDP Context Response (${tag})`,
        bytes: app.gtpv1UpdatePdpResponse(s, g, 2),
        expect: [msg(1, { type: 19, isResponse: true, teid: s.sgsnTeidControl, sequence: 2, cause: 128, accepted: true, fteids: [ggsnC, ggsnU] })],
      },
      {
        what: `v1 Delete PDP Context Request (${tag})`,
        bytes: app.gtpv1DeletePdpRequest(s, g, 3),
        expect: [msg(1, { type: 20, isRequest: true, teid: g.ggsnTeidControl, sequence: 3, linkedEbi: s.nsapi, teardown: true })],
      },
      {
        what: `v1 Delete PDP Context Response (${tag})`,
        bytes: app.gtpv1DeletePdpResponse(s, 3),
        expect: [msg(1, { type: 21, isResponse: true, teid: s.sgsnTeidControl, sequence: 3, cause: 128, accepted: true })],
      },
    );
  }
  samples.push(
    {
      what: 'v1 Echo Request',
      bytes: app.gtpv1cMessage({ type: app.Gtpv1cType.ECHO_REQUEST, teid: 0, sequence: 0x1234 }, []),
      expect: [msg(1, { type: 1, isRequest: true, teid: 0, sequence: 0x1234 })],
    },
    {
      what: 'v1 Echo Response (Recovery)',
      bytes: app.gtpv1cMessage({ type: app.Gtpv1cType.ECHO_RESPONSE, teid: 0, sequence: 0x1234 }, [app.v1ie.recovery(9)]),
      expect: [msg(1, { type: 2, isResponse: true, teid: 0, sequence: 0x1234 })],
    },
  );
  return samples;
}

const I = app.FteidInterface;
const LOCATION: app.EutranLocation = { mcc: '001', mnc: '01', tac: 0x0101, eci: 0x0001a2b };
const LOCATION3: app.EutranLocation = { mcc: '310', mnc: '260', tac: 0xfffe, eci: 0x0fffffff };
const MME: app.Fteid = { interfaceType: I.S11_MME_GTPC, teid: 0x0000aaaa, ipv4: '10.40.0.1' };
const SGW_C: app.Fteid = { interfaceType: I.S11S4_SGW_GTPC, teid: 0x0000bbbb, ipv4: '10.40.0.2' };
const PGW_C: app.Fteid = { interfaceType: I.S5S8_PGW_GTPC, teid: 0x8000cccc, ipv4: '10.40.0.3', ipv6: '2001:db8::3' };
const ENB_U: app.Fteid = { interfaceType: I.S1U_ENODEB_GTPU, teid: 0x0000dddd, ipv4: '10.40.1.1' };
const SGW_U: app.Fteid = { interfaceType: I.S1U_SGW_GTPU, teid: 0x0000eeee, ipv4: '10.40.0.2' };
const SGW_S5U: app.Fteid = { interfaceType: I.S5S8_SGW_GTPU, teid: 0x00001111, ipv6: 'fd00::5', instance: 2 };
const PGW_U: app.Fteid = { interfaceType: I.S5S8_PGW_GTPU, teid: 0xffffffff, ipv4: '10.40.0.3', instance: 2 };

function v2Samples(): Sample[] {
  const seq = 0xabcdef;
  const csr = {
    sequence: seq, imsi: '001010123456789', msisdn: '33612345678', mei: '3520990017614823', apn: 'internet.mnc001.mcc001.gprs', rat: app.Gtpv2RatType.EUTRAN,
    location: LOCATION, senderControl: MME, pgwControl: { ...PGW_C, teid: 0 }, bearer: { ebi: 5, fteids: [SGW_S5U] },
  };
  const csrCommon = {
    type: 32, isRequest: true, teid: 0, sequence: seq, imsi: csr.imsi, msisdn: csr.msisdn, imei: csr.mei, apn: csr.apn, ratType: 6,
    cellId: app.ecgiText(LOCATION),
    fteids: [v2F(MME, 'control'), v2F({ ...PGW_C, teid: 0 }, 'control', 1)],
    bearers: [{ ebi: 5, cause: null, fteids: [v2F(SGW_S5U, 'user')] }],
  };
  const csResp = app.gtpv2CreateSessionResponse({ sequence: seq, teid: MME.teid, senderControl: SGW_C, pgwControl: PGW_C, paa: { ipv4: '10.100.0.9' }, bearer: { ebi: 5, fteids: [SGW_U, PGW_U] } });
  const csRespExpect = msg(2, {
    type: 33, isResponse: true, teid: MME.teid, sequence: seq, cause: 16, accepted: true, ueIpv4: '10.100.0.9',
    fteids: [v2F(SGW_C, 'control'), v2F(PGW_C, 'control', 1)],
    bearers: [{ ebi: 5, cause: 16, fteids: [v2F(SGW_U, 'user'), v2F(PGW_U, 'user')] }],
  });
  const cbReq = app.gtpv2CreateBearerRequest({ sequence: 7, teid: MME.teid, linkedEbi: 5, fteids: [{ ...SGW_U, teid: 0x1234 }], chargingId: 9 });
  const cbReqExpect = msg(2, {
    type: 95, isRequest: true, teid: MME.teid, sequence: 7, linkedEbi: 5, bearers: [{ ebi: 0, cause: null, fteids: [v2F({ ...SGW_U, teid: 0x1234 }, 'user')] }],
  });
  // Piggybacking (TS 29.274 5.5.1): the Create Session Response with P=1 carries the Create Bearer Request.
  const piggybacked = cat(Buffer.from([csResp[0] | 0x10]), csResp.subarray(1), cbReq);
  return [
    {
      what: 'v2 Create Session Request (dynamic IPv4 requested)',
      bytes: app.gtpv2CreateSessionRequest(csr),
      expect: [msg(2, csrCommon)],
    },
    {
      what: 'v2 Create Session Request (static IPv4v6, 3-digit MNC)',
      bytes: app.gtpv2CreateSessionRequest({ ...csr, location: LOCATION3, paa: { ipv4: '10.1.2.3', ipv6: '2001:db8:0:0:1::5' } }),
      expect: [msg(2, { ...csrCommon, cellId: '310-260-65534-268435455', ueIpv4: '10.1.2.3', ueIpv6: '2001:db8::1:0:0:5' })],
    },
    {
      what: 'v2 Create Session Request (IPv6 prefix)',
      bytes: app.gtpv2CreateSessionRequest({ ...csr, paa: { ipv6: '2001:db8:aaaa:1::', prefixLength: 64 } }),
      expect: [msg(2, { ...csrCommon, ueIpv6: '2001:db8:aaaa:1::' })],
    },
    { what: 'v2 Create Session Response, accepted', bytes: csResp, expect: [csRespExpect] },
    {
      what: 'v2 Create Session Response, rejected',
      bytes: app.gtpv2CreateSessionResponse({ sequence: 2, teid: MME.teid, cause: app.Gtpv2Cause.USER_AUTH_FAILED, senderControl: SGW_C, paa: { ipv4: '10.100.0.9' }, bearer: { ebi: 5 } }),
      expect: [msg(2, { type: 33, isResponse: true, teid: MME.teid, sequence: 2, cause: 92, accepted: false })],
    },
    {
      what: 'v2 Modify Bearer Request',
      bytes: app.gtpv2ModifyBearerRequest({ sequence: 3, teid: SGW_C.teid, location: LOCATION, rat: app.Gtpv2RatType.NR, bearer: { ebi: 5, fteids: [ENB_U] } }),
      expect: [
        msg(2, { type: 34, isRequest: true, teid: SGW_C.teid, sequence: 3, ratType: 10, cellId: app.ecgiText(LOCATION), bearers: [{ ebi: 5, cause: null, fteids: [v2F(ENB_U, 'user')] }] }),
      ],
    },
    {
      what: 'v2 Modify Bearer Response',
      bytes: app.gtpv2ModifyBearerResponse({ sequence: 3, teid: MME.teid, msisdn: '447700900123', bearer: { ebi: 5, fteids: [SGW_U] } }),
      expect: [
        msg(2, { type: 35, isResponse: true, teid: MME.teid, sequence: 3, cause: 16, accepted: true, msisdn: '447700900123', bearers: [{ ebi: 5, cause: 16, fteids: [v2F(SGW_U, 'user')] }] }),
      ],
    },
    {
      what: 'v2 Delete Session Request',
      bytes: app.gtpv2DeleteSessionRequest({ sequence: 4, teid: SGW_C.teid, linkedEbi: 5, location: LOCATION3 }),
      expect: [msg(2, { type: 36, isRequest: true, teid: SGW_C.teid, sequence: 4, linkedEbi: 5, cellId: app.ecgiText(LOCATION3) })],
    },
    {
      what: 'v2 Delete Session Response, accepted',
      bytes: app.gtpv2DeleteSessionResponse({ sequence: 4, teid: MME.teid }),
      expect: [msg(2, { type: 37, isResponse: true, teid: MME.teid, sequence: 4, cause: 16, accepted: true })],
    },
    {
      what: 'v2 Delete Session Response, context not found',
      bytes: app.gtpv2DeleteSessionResponse({ sequence: 5, teid: MME.teid, cause: app.Gtpv2Cause.CONTEXT_NOT_FOUND }),
      expect: [msg(2, { type: 37, isResponse: true, teid: MME.teid, sequence: 5, cause: 64, accepted: false })],
    },
    { what: 'v2 Create Bearer Request', bytes: cbReq, expect: [cbReqExpect] },
    {
      what: 'v2 Create Bearer Response',
      bytes: app.gtpv2CreateBearerResponse({ sequence: 7, teid: SGW_C.teid, ebi: 6, fteids: [ENB_U, { ...SGW_U, instance: 1 }] }),
      expect: [
        msg(2, {
          type: 96, isResponse: true, teid: SGW_C.teid, sequence: 7, cause: 16, accepted: true,
          bearers: [{ ebi: 6, cause: 16, fteids: [v2F(ENB_U, 'user'), v2F(SGW_U, 'user', 1)] }],
        }),
      ],
    },
    {
      what: 'v2 Delete Bearer Request',
      bytes: app.gtpv2DeleteBearerRequest({ sequence: 8, teid: MME.teid, ebis: [6, 7] }),
      expect: [msg(2, { type: 99, isRequest: true, teid: MME.teid, sequence: 8, ebis: [6, 7] })],
    },
    {
      what: 'v2 Delete Bearer Response',
      bytes: app.gtpv2DeleteBearerResponse({ sequence: 8, teid: SGW_C.teid, ebis: [6, 7] }),
      expect: [
        msg(2, {
          type: 100, isResponse: true, teid: SGW_C.teid, sequence: 8, cause: 16, accepted: true,
          bearers: [{ ebi: 6, cause: 16, fteids: [] }, { ebi: 7, cause: 16, fteids: [] }],
        }),
      ],
    },
    {
      what: 'v2 Echo Request (no TEID)',
      bytes: v2NoTeid(1, 0x000102, [app.gtpv2Ie(3, u8(4))]),
      expect: [msg(2, { type: 1, isRequest: true, teid: null, sequence: 0x000102 })],
    },
    {
      what: 'v2 Echo Response (no TEID)',
      bytes: v2NoTeid(2, 0x000102, [app.gtpv2Ie(3, u8(4))]),
      expect: [msg(2, { type: 2, isResponse: true, teid: null, sequence: 0x000102 })],
    },
    {
      what: 'v2 Create Session Response with a piggybacked Create Bearer Request',
      bytes: piggybacked,
      expect: [csRespExpect, cbReqExpect],
    },
  ];
}

/** Hand-built messages for what the generators do not make. */
function handSamples(): Sample[] {
  const uliMsg = (value: Buffer) => app.gtpv2Message({ type: 34, teid: 1, sequence: 1 }, [app.gtpv2Ie(86, value)]);
  const uliExpect = (cellId: string | null) => [msg(2, { type: 34, isRequest: true, teid: 1, sequence: 1, cellId })];
  const p = plmn('234', '15');
  const p3 = plmn('722', '070');
  const cgi = cat(p, u16(0x0102), u16(0x0304));
  const sai = cat(p, u16(0x0506), u16(0x0708));
  const rai = cat(p, u16(0x0910), u16(0xff11));
  const tai = cat(p3, u16(0x4321));
  const ecgi = cat(p3, u32(0xf0000000 | 0x0abcdef)); // spare nibble set: not part of the ECI
  const lai = cat(p, u16(0x0809));
  const macro = cat(p, u24(0x0fffff));
  const v1Hdr = (type: number, ies: app.Gtpv1Ie[]) => app.gtpv1cMessage({ type, teid: 0x01020304, sequence: 77 }, ies);
  const v1Expect = (type: number, fields: Partial<GtpcMessage>) => [msg(1, { type, teid: 0x01020304, sequence: 77, ...fields })];
  const imsiIe = app.v1ie.imsi('262019876543210');
  // Every TV type of TS 29.060 table 37 at its length, then a TLV: the walk must land on the MSISDN.
  const TV_LENGTHS: Array<[number, number]> = [
    [1, 1], [2, 8], [3, 6], [4, 4], [5, 4], [8, 1], [9, 28], [11, 1], [12, 3], [13, 1], [14, 1], [15, 1], [16, 4], [17, 4], [18, 5],
    [19, 1], [20, 1], [21, 1], [22, 9], [23, 1], [24, 1], [25, 2], [26, 2], [27, 2], [28, 2], [29, 1], [127, 4],
  ];
  const allTv = TV_LENGTHS.map(([type, n]) => (type === 2 ? imsiIe : v1tv(type, Buffer.alloc(n, type === 19 ? 0xff : 0))));
  const extension = Buffer.from([1, 0x00, 0x00, 0x00]); // one 4-octet extension header, next type 0
  const eua = (pdpType: number, ...addrs: Buffer[]) => v1tlv(128, cat(u8(0xf1), u8(pdpType), ...addrs));
  return [
    { what: 'v2 ULI: CGI', bytes: uliMsg(cat(u8(0x01), cgi)), expect: uliExpect('234-15-258-772') },
    { what: 'v2 ULI: SAI', bytes: uliMsg(cat(u8(0x02), sai)), expect: uliExpect('234-15-1286-1800') },
    { what: 'v2 ULI: RAI only (not a cell)', bytes: uliMsg(cat(u8(0x04), rai)), expect: uliExpect(null) },
    { what: 'v2 ULI: ECGI without TAI', bytes: uliMsg(cat(u8(0x10), ecgi)), expect: uliExpect(null) },
    {
      what: 'v2 ULI: every part present (CGI SAI RAI TAI ECGI LAI macro and extended macro eNodeB)',
      bytes: uliMsg(cat(u8(0xff), cgi, sai, rai, tai, ecgi, lai, macro, macro)),
      expect: uliExpect(`722-070-${0x4321}-${0x0abcdef}`),
    },
    { what: 'v2 ULI: flags claim ECGI but it is missing', bytes: uliMsg(cat(u8(0x18), tai)), expect: uliExpect(null) },
    {
      what: 'v2 unknown type (Release Access Bearers Request, 170): IEs best effort',
      bytes: app.gtpv2Message({ type: 170, teid: 9, sequence: 9 }, [app.v2ie.imsi('001019999999999'), app.v2ie.ebi(5)]),
      expect: [msg(2, { type: 170, teid: 9, sequence: 9, imsi: '001019999999999', linkedEbi: 5 })],
    },
    {
      what: 'v2 F-TEID too short for its V4 flag: ignored; IMEI of 15 digits; unknown IE skipped',
      tsharkDiffers: 'tshark reads the short F-TEID\'s IPv4 address from the next IE\'s octets',
      bytes: app.gtpv2Message({ type: 32, teid: 0, sequence: 1 }, [
        app.gtpv2Ie(87, cat(u8(0x80 | 10), u32(1))),
        app.v2ie.mei('490154203237518'),
        app.gtpv2Ie(255, Buffer.from('vendor')),
        app.v2ie.fteid({ interfaceType: 38, teid: 2, ipv4: '192.0.2.1', ipv6: '::ffff:192.0.2.1' }),
        app.v2ie.fteid({ interfaceType: 63, teid: 3, ipv4: '192.0.2.2' }),
      ]),
      expect: [
        msg(2, {
          type: 32, isRequest: true, teid: 0, sequence: 1, imei: '490154203237518',
          fteids: [
            { interfaceType: 38, instance: 0, plane: 'user', teid: 2, ipv4: '192.0.2.1', ipv6: '::ffff:192.0.2.1' },
            { interfaceType: 63, instance: 0, plane: 'control', teid: 3, ipv4: '192.0.2.2', ipv6: null },
          ],
        }),
      ],
    },
    {
      what: 'v2 Delete Session Response with trailing bytes after the message (P=0)',
      tsharkDiffers: 'tshark walks IEs past the message length into the trailing octets (and reports errors)',
      bytes: cat(app.gtpv2DeleteSessionResponse({ sequence: 4, teid: 5 }), Buffer.from([0, 0, 0, 0, 0, 0])),
      expect: [msg(2, { type: 37, isResponse: true, teid: 5, sequence: 4, cause: 16, accepted: true })],
    },
    {
      what: 'v1 ULI: SAI, 3-digit MNC',
      bytes: v1Hdr(18, [imsiIe, v1tlv(152, cat(u8(1), p3, u16(100), u16(200)))]),
      expect: v1Expect(18, { isRequest: true, imsi: '262019876543210', cellId: '722-070-100-200' }),
    },
    {
      what: 'v1 ULI: RAI (not a cell)',
      bytes: v1Hdr(18, [imsiIe, v1tlv(152, cat(u8(2), p, u16(100), u8(7), u8(0xff)))]),
      expect: v1Expect(18, { isRequest: true, imsi: '262019876543210' }),
    },
    {
      what: 'v1 End User Address IPv4v6 with both addresses; one GSN Address serves both planes',
      bytes: v1Hdr(17, [
        app.v1ie.cause(129),
        app.v1ie.teidDataI(0x10),
        app.v1ie.teidControlPlane(0x20),
        eua(0x8d, ipv4Bytes('100.64.0.1'), ipv6Bytes('2001:db8:1::1')),
        app.v1ie.gsnAddress('198.51.100.1'),
      ]),
      expect: v1Expect(17, {
        isResponse: true, cause: 129, accepted: true, ueIpv4: '100.64.0.1', ueIpv6: '2001:db8:1::1',
        fteids: [v1Control(0x20, '198.51.100.1'), v1User(0x10, '198.51.100.1')],
      }),
    },
    {
      what: 'v1 End User Address IPv4v6 with IPv6 only; private extension skipped',
      tsharkDiffers: 'tshark 4.0 dissector bug on this layout ("field gtp.user_ipv6 is not of type FT_IPv4")',
      bytes: v1Hdr(17, [app.v1ie.cause(128), eua(0x8d, ipv6Bytes('2001:db8:2::2')), v1tlv(255, cat(u16(10923), Buffer.from([2, 1, 3])))]),
      expect: v1Expect(17, { isResponse: true, cause: 128, accepted: true, ueIpv6: '2001:db8:2::2' }),
    },
    {
      what: 'v1 End User Address ETSI PPP (no address)',
      bytes: v1Hdr(17, [app.v1ie.cause(128), v1tlv(128, Buffer.from([0xf0, 0x01]))]),
      expect: v1Expect(17, { isResponse: true, cause: 128, accepted: true }),
    },
    {
      what: 'v1 every TV IE type of TS 29.060 table 37 at its fixed length, then MSISDN',
      bytes: v1Hdr(16, [...allTv, app.v1ie.msisdn('4915112345678')]),
      expect: v1Expect(16, {
        isRequest: true, imsi: '262019876543210', msisdn: '4915112345678', cause: 0, accepted: false, teardown: true, linkedEbi: 0,
        fteids: [v1Control(0, null), v1User(0, null)],
      }),
    },
    {
      what: 'v1 without the S flag (no sequence number)',
      bytes: v1Raw(0x30, 1, 0, Buffer.alloc(0), Buffer.alloc(0)),
      expect: [msg(1, { type: 1, isRequest: true, teid: 0, sequence: -1 })],
    },
    {
      what: 'v1 with an extension header (E and S flags)',
      bytes: v1Raw(0x36, 20, 0x33, Buffer.from([0x00, 0x2a, 0x00, 0xc0]), cat(extension, app.v1ie.teardownInd(false).bytes, app.v1ie.nsapi(7).bytes)),
      expect: [msg(1, { type: 20, isRequest: true, teid: 0x33, sequence: 42, teardown: false, linkedEbi: 7 })],
    },
    {
      what: 'v1 with trailing bytes after the length (ignored)',
      bytes: cat(app.gtpv1DeletePdpResponse(SGSN, 3), Buffer.from([1, 2, 3])),
      expect: [msg(1, { type: 21, isResponse: true, teid: SGSN.sgsnTeidControl, sequence: 3, cause: 128, accepted: true })],
    },
    {
      what: 'v1 APN with a trailing zero octet; MSISDN with filler',
      tsharkDiffers: 'tshark shows the trailing zero octet as a final "." of the APN',
      bytes: v1Hdr(16, [v1tlv(131, cat(labels('web.example'), u8(0))), app.v1ie.msisdn('123')]),
      expect: v1Expect(16, { isRequest: true, apn: 'web.example', msisdn: '123' }),
    },
    {
      what: 'v1 APN not label-encoded and IMSI with a non-decimal digit: those fields null, message kept',
      tsharkDiffers: 'deliberately bad field contents: tshark marks the packet malformed',
      bytes: v1Hdr(16, [v1tv(2, Buffer.from([0x21, 0xa3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), v1tlv(131, Buffer.from('internet'))]),
      expect: v1Expect(16, { isRequest: true }),
    },
  ];
}

/** Things that are not GTP-C and must give null. */
function notGtpc(): Array<{ what: string; bytes: Buffer }> {
  const echo1 = app.gtpv1cMessage({ type: 1, teid: 0, sequence: 1 }, []);
  const good2 = app.gtpv2DeleteSessionResponse({ sequence: 4, teid: 5 });
  const withByte = (b: Buffer, i: number, v: number) => {
    const c = Buffer.from(b);
    c[i] = v;
    return c;
  };
  return [
    { what: 'empty', bytes: Buffer.alloc(0) },
    { what: 'GTP\' (v1, PT=0) Data Record Transfer Request', bytes: v1Raw(0x0e, 240, 0, Buffer.alloc(0), Buffer.alloc(2)).subarray(0, 8) },
    { what: 'v1 header with PT=0 and S (GTP\' on 2123)', bytes: withByte(echo1, 0, 0x22) },
    { what: 'GTPv0 (version 0, 20-octet header)', bytes: cat(u8(0x1e), u8(1), u16(0), u16(0x1400), u16(0), u8(0xff), u8(0xff), u8(0xff), u8(0xff), Buffer.alloc(8, 0xff)) },
    { what: 'version 3', bytes: withByte(echo1, 0, 0x72) },
    { what: 'version 7 (0xff)', bytes: Buffer.alloc(16, 0xff) },
    { what: 'GTP-U G-PDU (type 255)', bytes: cat(u8(0x30), u8(0xff), u16(4), u32(1), Buffer.from([0x45, 0, 0, 4])) },
    { what: 'v1 message type 0', bytes: withByte(echo1, 1, 0) },
    { what: 'v2 message type 0', bytes: withByte(good2, 1, 0) },
    { what: 'v1 length beyond the datagram', bytes: echo1.subarray(0, echo1.length - 1) },
    { what: 'v1 E/S/PN set with length 0 (nDPI false-positive shape)', bytes: cat(u8(0x37), u8(3), u16(0), u32(0x42000000)) },
    { what: 'v1 unknown TV IE type 7', bytes: app.gtpv1cMessage({ type: 16, teid: 0, sequence: 1 }, [v1tv(7, Buffer.alloc(4))]) },
    { what: 'v1 unknown TV IE type 126 (GTP\' only)', bytes: app.gtpv1cMessage({ type: 16, teid: 0, sequence: 1 }, [v1tv(126, Buffer.alloc(1))]) },
    { what: 'v1 TV IE cut by the message end', bytes: app.gtpv1cMessage({ type: 16, teid: 0, sequence: 1 }, [{ type: 2, bytes: Buffer.from([2, 0x21, 0x43]) }]) },
    { what: 'v1 TLV IE longer than the message', bytes: app.gtpv1cMessage({ type: 16, teid: 0, sequence: 1 }, [{ type: 131, bytes: Buffer.from([131, 0, 9, 3, 0x61, 0x62, 0x63]) }]) },
    { what: 'v1 TLV IE header cut', bytes: app.gtpv1cMessage({ type: 16, teid: 0, sequence: 1 }, [{ type: 131, bytes: Buffer.from([131, 0]) }]) },
    { what: 'v1 extension header of length 0', bytes: v1Raw(0x36, 1, 0, Buffer.from([0, 1, 0, 0xc0]), Buffer.from([0, 0, 0, 0])) },
    { what: 'v1 extension header beyond the message', bytes: v1Raw(0x36, 1, 0, Buffer.from([0, 1, 0, 0xc0]), Buffer.from([2, 0, 0, 0])) },
    { what: 'v1 extension chain that never ends', bytes: v1Raw(0x36, 1, 0, Buffer.from([0, 1, 0, 0xc0]), Buffer.from([1, 0, 0, 0xc0])) },
    { what: 'v2 length 0 (nDPI false-positive shape: MP flag, no TEID)', bytes: cat(u8(0x46), u8(1), u16(0), u24(0x027903), u8(0), Buffer.alloc(40, 0x11)) },
    { what: 'v2 T=1 with length 4 (no room for the TEID)', bytes: cat(u8(0x48), u8(1), u16(4), u32(0)) },
    { what: 'v2 length beyond the datagram', bytes: good2.subarray(0, good2.length - 1) },
    { what: 'v2 IE longer than the message', bytes: app.gtpv2Message({ type: 32, teid: 0, sequence: 1 }, [cat(u8(1), u16(9), u8(0), tbcd('0010101'))]) },
    { what: 'v2 IE header cut', bytes: app.gtpv2Message({ type: 32, teid: 0, sequence: 1 }, [Buffer.from([1, 0, 0])]) },
    { what: 'v2 IE type 0', bytes: app.gtpv2Message({ type: 32, teid: 0, sequence: 1 }, [app.gtpv2Ie(0, Buffer.alloc(2))]) },
    {
      what: 'v2 Bearer Context whose inner IE overruns the group',
      bytes: app.gtpv2Message({ type: 33, teid: 1, sequence: 1 }, [app.v2ie.cause(16), app.gtpv2Ie(93, cat(u8(73), u16(5), u8(0), u8(5)))]),
    },
    { what: 'DNS query on the port', bytes: app.dnsQuery({ id: 0x6bcb, name: 'abcd.efg.hijklm.nm' }) },
  ];
}

// ------------------------------------------------------------------ 1. round trips

t.test('generated and hand-built messages parse field by field', async (t) => {
  t.equal(GTPC_PORT, 2123);
  for (const s of [...v1Samples(), ...v2Samples(), ...handSamples()]) {
    t.strictSame(parse(s.bytes), s.expect, s.what);
  }
});

t.test('not GTP-C: null', async (t) => {
  for (const s of notGtpc()) t.equal(parse(s.bytes), null, s.what);
});

t.test('offset and length select the payload inside a larger buffer', async (t) => {
  const m = app.gtpv2DeleteSessionRequest({ sequence: 4, teid: 9, linkedEbi: 6 });
  const big = cat(Buffer.alloc(13, 0x48), m, Buffer.alloc(7, 0xee));
  const r = parseGtpc(big, 13, m.length);
  t.strictSame(r, [msg(2, { type: 36, isRequest: true, teid: 9, sequence: 4, linkedEbi: 6 })]);
  t.strictSame(parseGtpc(new Uint8Array(big), 13, m.length), r, 'plain Uint8Array');
  t.equal(parseGtpc(big, 13, m.length - 1), null, 'length one short');
  t.equal(parseGtpc(big, big.length - 3, 10), null, 'range beyond the buffer');
  t.equal(parseGtpc(big, -1, 5), null, 'negative offset');
  t.equal(parseGtpc(big, 0, 0), null, 'empty range');
});

t.test('piggybacking: a broken second message leaves the first', async (t) => {
  const first = app.gtpv2DeleteSessionResponse({ sequence: 4, teid: 5 });
  const flagged = cat(Buffer.from([first[0] | 0x10]), first.subarray(1));
  const expect = [msg(2, { type: 37, isResponse: true, teid: 5, sequence: 4, cause: 16, accepted: true })];
  t.strictSame(parse(flagged), expect, 'P=1 and nothing after');
  t.strictSame(parse(cat(flagged, Buffer.from([0x48, 95, 0, 200]))), expect, 'P=1 and a cut message after');
  t.strictSame(parse(cat(flagged, app.gtpv1cMessage({ type: 1, teid: 0, sequence: 1 }, [])))!.length, 1, 'P=1 followed by GTPv1');
});

// ------------------------------------------------------------------ 2. tshark and Zeek as oracles

/** One UDP payload of a capture, as our own reader and decoder find it (no decapsulation). */
interface Payload {
  frame: number;
  sport: number;
  dport: number;
  bytes: Buffer;
}

function udpPayloads(file: string): { payloads: Payload[]; fragments: number } {
  const cf = CaptureFile.open(file);
  const decoder = new PacketDecoder(0);
  const p = new DecodedPacket();
  const payloads: Payload[] = [];
  let frame = 0;
  let fragments = 0;
  try {
    while (
      cf.read(4096, (buf, off, capLen, wireLen, _ts, linkType) => {
        frame++;
        if (decoder.decode(buf, off, capLen, wireLen, linkType, p) !== DecodeStatus.Ok || p.protocol !== IpProto.UDP) return;
        if (p.isFragment) {
          // Only the first fragment has the UDP header, and only part of the payload; tshark shows the
          // reassembled datagram on the last fragment's frame. Not comparable: left out (none is on 2123).
          fragments++;
          return;
        }
        payloads.push({ frame, sport: p.srcPort, dport: p.dstPort, bytes: Buffer.from(buf.subarray(p.payloadOffset, p.payloadOffset + p.payloadLength)) });
      })
    ) {
      /* keep reading */
    }
  } finally {
    cf.close();
  }
  return { payloads, fragments };
}

const TS_FIELDS = [
  'frame.number', '_ws.malformed', '_ws.expert.severity',
  'gtp.flags.version', 'gtp.flags.payload', 'gtp.message', 'gtp.teid', 'gtp.seq_number', 'gtp.cause', 'gtp.ext_imeisv', 'gtp.apn', 'gtp.ext_rat_type',
  'gtp.user_ipv4', 'gtp.user_ipv6', 'gtp.teid_data', 'gtp.teid_cp', 'gtp.gsn_ipv4', 'gtp.gsn_ipv6', 'gtp.nsapi', 'gtp.tear_ind',
  'gtp.geo_loc_type', 'gtp.lac', 'gtp.cgi_ci', 'gtp.sai_sac', 'e212.cgi.mcc', 'e212.cgi.mnc', 'e212.sai.mcc', 'e212.sai.mnc',
  'gtpv2.message_type', 'gtpv2.teid', 'gtpv2.seq', 'gtpv2.cause', 'gtpv2.mei', 'gtpv2.apn', 'gtpv2.rat_type',
  'gtpv2.pdn_addr_and_prefix.ipv4', 'gtpv2.pdn_addr_and_prefix.ipv6',
  'gtpv2.f_teid_interface_type', 'gtpv2.f_teid_gre_key', 'gtpv2.f_teid_ipv4', 'gtpv2.f_teid_ipv6', 'gtpv2.ebi',
  'gtpv2.tai_tac', 'gtpv2.ecgi_eci', 'e212.ecgi.mcc', 'e212.ecgi.mnc', 'gtpv2.uli_cgi_lac', 'gtpv2.uli_cgi_ci', 'gtpv2.sai_lac', 'gtpv2.sai_sac',
  'e212.imsi', 'e164.msisdn',
] as const;
type TsFrame = Record<(typeof TS_FIELDS)[number], string[]>;

const AGGREGATOR = '\u001f';
const SEVERITY_ERROR = 0x00800000;

function tsharkFrames(file: string): Map<number, TsFrame> {
  const args = ['-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', `aggregator=${AGGREGATOR}`];
  for (const f of TS_FIELDS) args.push('-e', f);
  const { stdout } = tshark(file, args);
  const frames = new Map<number, TsFrame>();
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const cols = line.split('\t');
    const f = {} as TsFrame;
    TS_FIELDS.forEach((name, i) => (f[name] = cols[i] ? cols[i].split(AGGREGATOR) : []));
    frames.set(Number(f['frame.number'][0]), f);
  }
  return frames;
}

/** tshark decodes the frame as GTPv1-C or GTPv2-C, with no malformed-packet or error expert info. */
function tsharkSaysGtpc(f: TsFrame): boolean {
  if (f['_ws.malformed'].length > 0 || f['_ws.expert.severity'].some((s) => Number(s) >= SEVERITY_ERROR)) return false;
  if (f['gtpv2.message_type'].length > 0) return true;
  return f['gtp.flags.version'][0] === '1' && f['gtp.flags.payload'][0] === '1' && f['gtp.message'].length > 0 && Number(f['gtp.message'][0]) !== 255;
}

const dec = (v: string) => String(Number(v)); // tshark prints some integers in hex (0x...)
const notNull = <T>(v: T | null): v is T => v !== null;
const cellNumbers = (c: string) => c.split('-').map(dec).join('-');

/** Field name -> [ours, tshark's] as lists of strings, for one frame. */
function fieldPairs(ms: GtpcMessage[], f: TsFrame): Record<string, [string[], string[]]> {
  const all = <K extends keyof GtpcMessage>(k: K) => ms.map((m) => m[k]).filter((v) => v !== null && v !== -1).map(String);
  const pairs: Record<string, [string[], string[]]> = {
    imsi: [all('imsi'), f['e212.imsi']],
    msisdn: [all('msisdn'), f['e164.msisdn']],
  };
  if (ms[0].version === 1) {
    const m = ms[0];
    const control = m.fteids.find((x) => x.plane === 'control');
    const user = m.fteids.find((x) => x.plane === 'user');
    const gsn = [...f['gtp.gsn_ipv4'], ...f['gtp.gsn_ipv6']];
    const lastLac = f['gtp.lac'].slice(-1);
    let tsCell: string[] = [];
    if (f['gtp.cgi_ci'].length > 0) tsCell = [`${f['e212.cgi.mcc'][0]}-${f['e212.cgi.mnc'][0]}-${lastLac[0]}-${f['gtp.cgi_ci'][0]}`];
    else if (f['gtp.sai_sac'].length > 0) tsCell = [`${f['e212.sai.mcc'][0]}-${f['e212.sai.mnc'][0]}-${lastLac[0]}-${f['gtp.sai_sac'][0]}`];
    Object.assign(pairs, {
      type: [all('type'), f['gtp.message'].map(dec)],
      teid: [all('teid'), f['gtp.teid'].map(dec)],
      sequence: [all('sequence'), f['gtp.seq_number'].map(dec)],
      cause: [all('cause'), f['gtp.cause']],
      imei: [all('imei'), f['gtp.ext_imeisv']],
      apn: [all('apn'), f['gtp.apn']],
      ratType: [all('ratType'), f['gtp.ext_rat_type']],
      ueIpv4: [all('ueIpv4'), f['gtp.user_ipv4'].filter((a) => a !== '0.0.0.0')],
      ueIpv6: [all('ueIpv6'), f['gtp.user_ipv6'].filter((a) => a !== '::')],
      teidControl: [control ? [String(control.teid)] : [], f['gtp.teid_cp'].slice(0, 1).map(dec)],
      teidData: [user ? [String(user.teid)] : [], f['gtp.teid_data'].slice(0, 1).map(dec)],
      controlAddress: [control ? [control.ipv4 ?? control.ipv6].filter(notNull) : [], control ? gsn.slice(0, 1) : []],
      userAddress: [user ? [user.ipv4 ?? user.ipv6].filter(notNull) : [], user ? (gsn.length > 1 ? gsn.slice(1, 2) : gsn.slice(0, 1)) : []],
      nsapi: [all('linkedEbi'), f['gtp.nsapi'].slice(0, 1)],
      teardown: [all('teardown').map((b) => (b === 'true' ? '1' : '0')), f['gtp.tear_ind'].map((b) => (b === 'True' || b === '1' ? '1' : '0'))],
      cell: [all('cellId').map(cellNumbers), tsCell.map(cellNumbers)],
    });
  } else {
    const fteids = ms.flatMap((m) => [...m.fteids, ...m.bearers.flatMap((b) => b.fteids)]);
    let tsCell: string[] = [];
    if (f['gtpv2.tai_tac'].length > 0 && f['gtpv2.ecgi_eci'].length > 0) {
      // tshark 4.0 prints the ECI with the spare nibble of its octet; the ECI is the low 28 bits (TS 29.274 8.21.5)
      tsCell = [`${f['e212.ecgi.mcc'][0]}-${f['e212.ecgi.mnc'][0]}-${dec(f['gtpv2.tai_tac'][0])}-${Number(f['gtpv2.ecgi_eci'][0]) & 0x0fffffff}`];
    } else if (f['gtpv2.uli_cgi_ci'].length > 0) {
      tsCell = [`${f['e212.cgi.mcc'][0]}-${f['e212.cgi.mnc'][0]}-${dec(f['gtpv2.uli_cgi_lac'][0])}-${dec(f['gtpv2.uli_cgi_ci'][0])}`];
    } else if (f['gtpv2.sai_sac'].length > 0) {
      tsCell = [`${f['e212.sai.mcc'][0]}-${f['e212.sai.mnc'][0]}-${dec(f['gtpv2.sai_lac'][0])}-${dec(f['gtpv2.sai_sac'][0])}`];
    }
    Object.assign(pairs, {
      type: [all('type'), f['gtpv2.message_type']],
      teid: [all('teid'), f['gtpv2.teid'].map(dec)],
      sequence: [all('sequence'), f['gtpv2.seq'].map(dec)],
      cause: [[...all('cause'), ...ms.flatMap((m) => m.bearers.map((b) => b.cause).filter(notNull).map(String))], f['gtpv2.cause']],
      imei: [all('imei'), f['gtpv2.mei']],
      apn: [all('apn'), f['gtpv2.apn']],
      ratType: [all('ratType'), f['gtpv2.rat_type']],
      ueIpv4: [all('ueIpv4'), f['gtpv2.pdn_addr_and_prefix.ipv4'].filter((a) => a !== '0.0.0.0')],
      ueIpv6: [all('ueIpv6'), f['gtpv2.pdn_addr_and_prefix.ipv6'].filter((a) => a !== '::')],
      'fteid.interfaceType': [fteids.map((x) => String(x.interfaceType)), f['gtpv2.f_teid_interface_type']],
      'fteid.teid': [fteids.map((x) => String(x.teid)), f['gtpv2.f_teid_gre_key'].map(dec)],
      'fteid.ipv4': [fteids.map((x) => x.ipv4).filter(notNull), f['gtpv2.f_teid_ipv4']],
      'fteid.ipv6': [fteids.map((x) => x.ipv6).filter(notNull), f['gtpv2.f_teid_ipv6']],
      ebi: [ms.flatMap((m) => [m.linkedEbi, ...m.ebis, ...m.bearers.map((b) => b.ebi)]).filter(notNull).map(String), f['gtpv2.ebi']],
      cell: [all('cellId').map(cellNumbers), tsCell.map(cellNumbers)],
    });
  }
  return pairs;
}

interface Comparison {
  payloads: number;
  agreeOnPresence: number;
  presenceMismatches: string[];
  messages: number;
  fieldsCompared: number;
  fieldsEqual: number;
  fieldMismatches: string[];
  byFile: string[];
}

function newComparison(): Comparison {
  return { payloads: 0, agreeOnPresence: 0, presenceMismatches: [], messages: 0, fieldsCompared: 0, fieldsEqual: 0, fieldMismatches: [], byFile: [] };
}

const sorted = (xs: string[]) => [...xs].sort();

function compareFile(file: string, c: Comparison, onlyPort?: number): void {
  const { payloads, fragments } = udpPayloads(file);
  const frames = tsharkFrames(file);
  let msgs = 0;
  let accepted = 0;
  for (const p of payloads) {
    if (onlyPort !== undefined && p.sport !== onlyPort && p.dport !== onlyPort) continue;
    c.payloads++;
    const ours = parse(p.bytes);
    const f = frames.get(p.frame);
    const theirs = f !== undefined && tsharkSaysGtpc(f);
    const name = `${file.split('/').pop()} frame ${p.frame} (${p.sport}->${p.dport})`;
    if ((ours !== null) !== theirs) {
      c.presenceMismatches.push(`${name}: ours ${ours === null ? 'null' : 'GTP-C'}, tshark ${theirs ? 'GTP-C' : 'not GTP-C'}`);
      continue;
    }
    c.agreeOnPresence++;
    if (ours === null || f === undefined) continue;
    accepted++;
    msgs += ours.length;
    c.messages += ours.length;
    for (const [field, [a, b]] of Object.entries(fieldPairs(ours, f))) {
      if (a.length === 0 && b.length === 0) continue;
      c.fieldsCompared++;
      if (JSON.stringify(sorted(a)) === JSON.stringify(sorted(b))) c.fieldsEqual++;
      else c.fieldMismatches.push(`${name} ${field}: ours ${JSON.stringify(a)}, tshark ${JSON.stringify(b)}`);
    }
  }
  c.byFile.push(`${file.split('/').pop()}: ${payloads.length} UDP payloads${fragments ? ` (+${fragments} fragments left out)` : ''}, ${accepted} GTP-C datagrams, ${msgs} messages`);
}

interface Reporter {
  comment(...args: unknown[]): void;
  strictSame(found: unknown, wanted: unknown, message: string): unknown;
}

function report(t: Reporter, c: Comparison, what: string): void {
  t.comment(`${what}: ${c.payloads} UDP payloads, ours and tshark agree on GTP-C or not for ${c.agreeOnPresence}`);
  t.comment(`${what}: ${c.messages} messages compared, ${c.fieldsEqual}/${c.fieldsCompared} fields equal`);
  for (const line of c.byFile) t.comment(`  ${line}`);
  t.strictSame(c.presenceMismatches, [], `${what}: accepted exactly what tshark decodes as GTP-C`);
  t.strictSame(c.fieldMismatches, [], `${what}: every field as tshark reads it`);
}

t.test('generated messages against tshark', { skip: tsharkAvailable() ? false : 'tshark not installed' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gtpc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'gtpc.pcap');
  const every = [...v1Samples(), ...v2Samples(), ...handSamples()];
  const samples = every.filter((s) => s.tsharkDiffers === undefined);
  for (const s of every) if (s.tsharkDiffers !== undefined) t.comment(`left out: ${s.what}: ${s.tsharkDiffers}`);
  const start = nsFromIso('2026-01-01T00:00:00Z');
  const records = samples.map((s, i) => ({
    timeNs: start + BigInt(i) * 1_000_000n,
    data: ethernet(
      { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' },
      ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IpProto.UDP }, udp({ sport: GTPC_PORT, dport: GTPC_PORT }, s.bytes)),
    ),
  }));
  writeCaptureFile(file, writePcap(records, { linkType: LinkType.ETHERNET }));
  const c = newComparison();
  compareFile(file, c);
  t.equal(c.payloads, samples.length);
  t.equal(c.messages, samples.reduce((n, s) => n + s.expect.length, 0));
  report(t, c, 'generated');
});

const ZEEK_FILES = [
  'tunnels__gtp__gtp_create_pdp_ctx.pcap',
  'tunnels__gtp__pdp_ctx_messages.pcapng',
  'tunnels__gtp__gtp1_gn_normal_incl_fragmentation.pcap',
  'tunnels__gtp__gtp3_false_gtp.pcap',
  'tunnels__gtp__gtp_control_prime.pcap',
];
const NDPI_FILES = ['gtp_c.pcap', 'gtp_false_positive.pcapng', 'gtp_prime.pcapng'];

function corpusFiles(): string[] {
  const named = [...ZEEK_FILES.map((f) => join(zeekDir(), f)), ...NDPI_FILES.map((f) => join(ndpiPcapDir(), f))];
  // Every other GTP capture of both corpora as well (mostly GTP-U on 2152: must all be null).
  const more = [
    ...readdirSync(zeekDir()).filter((f) => f.startsWith('tunnels__gtp__')).map((f) => join(zeekDir(), f)),
    ...readdirSync(ndpiPcapDir()).filter((f) => /gtp/i.test(f) && /\.pcap(ng)?$/.test(f)).map((f) => join(ndpiPcapDir(), f)),
  ];
  return [...new Set([...named, ...more])];
}

const corpusSkip = !existsSync(zeekDir()) || !existsSync(ndpiPcapDir()) ? `shared captures not found under ${sharedDir()} (set MICROCLOUD_SHARED)` : false;

t.test('real captures against tshark', { skip: corpusSkip || (tsharkAvailable() ? false : 'tshark not installed') }, async (t) => {
  const files = corpusFiles();
  for (const f of [...ZEEK_FILES.map((x) => join(zeekDir(), x)), ...NDPI_FILES.map((x) => join(ndpiPcapDir(), x))]) t.ok(existsSync(f), `present: ${f}`);
  const c = newComparison();
  for (const f of files.filter(existsSync)) compareFile(f, c);
  report(t, c, 'corpus');
  t.ok(c.messages >= 12, 'the corpus holds GTP-C messages (2 + 6 + 4 expected at least)');
});

t.test('real captures: the values the corpus is known for', { skip: corpusSkip }, async (t) => {
  const all = (file: string) => udpPayloads(file).payloads.map((p) => ({ p, ms: parse(p.bytes) }));

  const ndpi = all(join(ndpiPcapDir(), 'gtp_c.pcap')).flatMap((x) => x.ms ?? []);
  const csr = ndpi.find((m) => m.type === 32);
  t.equal(csr?.imsi, '987654112233445', 'nDPI gtp_c: IMSI in the Create Session Request');
  t.equal(csr?.apn, 'internet');
  t.equal(csr?.ratType, 6);
  const csResp = ndpi.find((m) => m.type === 33);
  t.match(csResp, { accepted: true, cause: 16, ueIpv4: '33.23.23.1' }, 'nDPI gtp_c: UE address in the accepted Create Session Response');
  t.match(csResp?.bearers, [{ ebi: 5, cause: 16, fteids: [{ interfaceType: 5, plane: 'user', teid: 0x35529207, ipv4: '10.102.0.2' }] }]);
  t.match(ndpi.find((m) => m.type === 36), { linkedEbi: 5, teid: 0x35529206 }, 'Delete Session Request names the PDN connection by its LBI');

  // False positives and look-alikes: nothing at all, whatever the port.
  for (const name of ['gtp_false_positive.pcapng', 'gtp_prime.pcapng']) {
    const r = all(join(ndpiPcapDir(), name));
    t.ok(r.length > 0, `${name}: payloads read`);
    t.strictSame(r.filter((x) => x.ms !== null).map((x) => x.p.frame), [], `${name}: no message`);
  }
  for (const name of ['tunnels__gtp__gtp3_false_gtp.pcap', 'tunnels__gtp__gtp1_gn_normal_incl_fragmentation.pcap']) {
    const r = all(join(zeekDir(), name));
    t.ok(r.length > 0, `${name}: payloads read`);
    t.strictSame(r.filter((x) => x.ms !== null).map((x) => x.p.frame), [], `${name}: no message (DNS from 2152; GTP-U G-PDUs)`);
  }
  // gtp_control_prime: GTPv1-C on 2123 (4 messages), GTPv0 on 3386 (which tshark decodes, with IMSIs): v0 is out of scope.
  const prime = all(join(zeekDir(), 'tunnels__gtp__gtp_control_prime.pcap'));
  t.strictSame(
    prime.filter((x) => x.ms !== null).map((x) => x.p.sport),
    [2123, 2123, 2123, 2123],
    'gtp_control_prime: the four 2123 messages, nothing from the GTPv0 frames on 3386',
  );
  t.strictSame(prime.flatMap((x) => x.ms ?? []).map((m) => m.imsi).filter(notNull), ['240010123456789']);
});

/** Zeek's escaped bytes (\xHH, other characters as themselves). */
function zeekBytes(s: string): Buffer {
  const out: number[] = [];
  for (const m of s.matchAll(/\\x([0-9a-f]{2})|([\s\S])/g)) out.push(m[1] !== undefined ? parseInt(m[1], 16) : m[2].charCodeAt(0));
  return Buffer.from(out);
}

interface ZeekGtp {
  msgType: number;
  teid: number;
  seq: number;
  body: string | null;
}

function parseZeekOut(text: string): ZeekGtp[] {
  const lines = text.split('\n');
  const out: ZeekGtp[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith('gtpv1_message,')) {
      const h = lines[i + 1];
      const num = (k: string) => Number(new RegExp(`[\\[ ]${k}=(\\d+)`).exec(h)?.[1]);
      out.push({ msgType: num('msg_type'), teid: num('teid'), seq: num('seq'), body: null });
    } else if (/^gtp create (request|response),/.test(lines[i]) && out.length > 0) {
      out[out.length - 1].body = lines[i + 2];
    }
  }
  return out;
}

t.test("Zeek's baseline for pdp_ctx_messages", { skip: corpusSkip }, async (t) => {
  const baseline = join(zeekDir(), 'baseline', 'core.tunnels.gtp.pdp_ctx_messages', 'out');
  const capture = join(zeekDir(), 'tunnels__gtp__pdp_ctx_messages.pcapng');
  if (!existsSync(baseline) || !existsSync(capture)) {
    t.fail(`missing ${baseline} or ${capture}`);
    return;
  }
  const text = readFileSync(baseline, 'utf8');
  t.match(text, /imsi=460004100000101/, 'baseline names IMSI 460004100000101');
  t.match(text, /pdp_ip=192\.168\.252\.130/, 'baseline names end-user address 192.168.252.130');
  const zeek = parseZeekOut(text);
  // Zeek analyses GTPv1 on 2123 only here (the GTPv0 frames on 3386 are not GTPv1): same list, same order.
  const ours = udpPayloads(capture).payloads.flatMap((p) => parse(p.bytes) ?? []);
  t.equal(ours.length, zeek.length, `${zeek.length} messages in Zeek's baseline`);
  let compared = 0;
  let equal = 0;
  const check = (what: string, a: unknown, b: unknown) => {
    compared++;
    if (t.strictSame(a, b, what)) equal++;
  };
  zeek.forEach((z, i) => {
    const m = ours[i];
    if (!m) return;
    const at = `message ${i + 1} (type ${z.msgType})`;
    check(`${at} type`, m.type, z.msgType);
    check(`${at} teid`, m.teid, z.teid);
    check(`${at} sequence`, m.sequence, z.seq);
    if (z.body === null) return;
    const val = (k: string) => new RegExp(`(?:^\\[|, )${k}=([^,\\]]*)`).exec(z.body!)?.[1];
    const addr = (k: string) => /^\[ip=([^,]*)/.exec(new RegExp(`, ${k}=(\\[[^\\]]*\\])`).exec(z.body!)?.[1] ?? '')?.[1] ?? null;
    const control = m.fteids.find((f) => f.plane === 'control');
    const user = m.fteids.find((f) => f.plane === 'user');
    check(`${at} TEID control`, control?.teid, Number(val('cp')));
    check(`${at} TEID data`, user?.teid, Number(val('data1')));
    const pdpIp = /pdp_ip=([^,\]]*)/.exec(z.body)?.[1];
    check(`${at} end-user address`, m.ueIpv4, pdpIp === '<uninitialized>' ? null : pdpIp);
    if (m.type === 16) {
      check(`${at} IMSI`, m.imsi, val('imsi'));
      check(`${at} NSAPI`, m.linkedEbi, Number(val('nsapi')));
      check(`${at} signalling address`, control?.ipv4, addr('signal_addr'));
      check(`${at} user address`, user?.ipv4, addr('user_addr'));
      const rawMsisdn = zeekBytes(/msisdn=((?:\\x[0-9a-f]{2}|[^,\\])*)/.exec(z.body)?.[1] ?? '');
      check(`${at} MSISDN`, m.msisdn, tbcdDigits(rawMsisdn.subarray(1)));
      const rawApn = zeekBytes(/ap_name=((?:\\x[0-9a-f]{2}|[^,\\])*)/.exec(z.body)?.[1] ?? '');
      check(`${at} APN`, m.apn, apnFromLabels(rawApn));
    } else {
      check(`${at} cause`, m.cause, Number(val('cause')));
      check(`${at} control-plane address`, control?.ipv4, addr('cp_addr'));
      check(`${at} user address`, user?.ipv4, addr('user_addr'));
    }
  });
  t.comment(`Zeek baseline: ${ours.length} messages, ${equal}/${compared} fields equal`);
});

/** Independent TBCD and label decoders for the Zeek comparison (written differently from the parser's). */
function tbcdDigits(b: Buffer): string {
  return [...b].flatMap((x) => [x & 15, x >> 4]).filter((d) => d !== 15).join('');
}
function apnFromLabels(b: Buffer): string {
  const parts: string[] = [];
  for (let i = 0; i < b.length; i += 1 + b[i]) parts.push(b.subarray(i + 1, i + 1 + b[i]).toString('latin1'));
  return parts.join('.');
}

// ------------------------------------------------------------------ 3. fuzz

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const IPV6 = /^[0-9a-f:.]+$/;
const DIGITS = /^\d+$/;

/** Shape problems of a parse result (empty when well-formed). */
function shapeProblems(r: GtpcMessage[] | null): string[] {
  if (r === null) return [];
  const bad: string[] = [];
  const u32ok = (x: number) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
  const fteidOk = (f: GtpcFteid) =>
    u32ok(f.teid) && (f.ipv4 === null || IPV4.test(f.ipv4)) && (f.ipv6 === null || IPV6.test(f.ipv6)) && (f.plane === 'control' || f.plane === 'user') &&
    (f.interfaceType === null || (Number.isInteger(f.interfaceType) && f.interfaceType >= 0 && f.interfaceType < 64)) && f.instance >= 0 && f.instance < 16;
  if (r.length === 0) bad.push('empty array');
  for (const m of r) {
    if (m.version !== 1 && m.version !== 2) bad.push(`version ${m.version}`);
    if (!Number.isInteger(m.type) || m.type < 1 || m.type > (m.version === 1 ? 254 : 255)) bad.push(`type ${m.type}`);
    if (m.teid !== null && !u32ok(m.teid)) bad.push(`teid ${m.teid}`);
    if (!Number.isInteger(m.sequence) || m.sequence < -1 || m.sequence > 0xffffff) bad.push(`sequence ${m.sequence}`);
    for (const k of ['imsi', 'msisdn', 'imei'] as const) if (m[k] !== null && !DIGITS.test(m[k]!)) bad.push(`${k} ${m[k]}`);
    if (m.apn !== null && !/^[\x21-\x7e]+$/.test(m.apn)) bad.push(`apn ${m.apn}`);
    if (m.cellId !== null && !/^\d{3}-\d{2,3}-\d+-\d+$/.test(m.cellId)) bad.push(`cell ${m.cellId}`);
    if (m.ueIpv4 !== null && !IPV4.test(m.ueIpv4)) bad.push(`ueIpv4 ${m.ueIpv4}`);
    if (m.ueIpv6 !== null && !IPV6.test(m.ueIpv6)) bad.push(`ueIpv6 ${m.ueIpv6}`);
    if (!m.fteids.every(fteidOk) || !m.bearers.every((b) => b.fteids.every(fteidOk))) bad.push('fteid');
    if ((m.cause === null) !== (m.accepted === null)) bad.push('cause/accepted');
    if (m.isRequest && m.isResponse) bad.push('request and response');
  }
  return bad;
}

t.test('fuzz: truncations never throw; a cut message is never returned', async (t) => {
  const samples = [...v1Samples(), ...v2Samples(), ...handSamples()];
  let parses = 0;
  const problems: string[] = [];
  for (const s of samples) {
    const piggy = s.expect.length > 1;
    for (let n = 0; n <= s.bytes.length; n++) {
      for (const off of [0, 3]) {
        const buf = cat(Buffer.alloc(off, 0x32), s.bytes.subarray(0, n));
        parses++;
        let r: GtpcMessage[] | null;
        try {
          r = parseGtpc(buf, off, n);
        } catch (err) {
          problems.push(`${s.what} cut at ${n}: threw ${String(err)}`);
          continue;
        }
        problems.push(...shapeProblems(r).map((p) => `${s.what} cut at ${n}: ${p}`));
        // A v1 message ends where its header says, so any cut is invalid unless only trailing bytes go.
        const complete = r !== null && !piggy;
        if (complete && n < messageLength(s.bytes)) problems.push(`${s.what} cut at ${n}: accepted`);
        if (piggy && n < messageLength(s.bytes) && r !== null) problems.push(`${s.what} cut at ${n}: first message accepted`);
      }
    }
  }
  t.strictSame(problems, []);
  t.comment(`${parses} truncated parses`);
});

/** Length of the first message as its header gives it. */
function messageLength(b: Buffer): number {
  return b[0] >> 5 === 1 ? 8 + b.readUInt16BE(2) : 4 + b.readUInt16BE(2);
}

t.test('fuzz: 20k random mutations never throw and stay well-formed', async (t) => {
  const bases = [...v1Samples(), ...v2Samples(), ...handSamples()].map((s) => s.bytes);
  const rng = new SeededRandom(0x6770c);
  const problems: string[] = [];
  let accepted = 0;
  const N = 20_000;
  for (let i = 0; i < N; i++) {
    let b: Buffer = Buffer.from(rng.pick(bases));
    const edits = rng.int(1, 4);
    for (let e = 0; e < edits; e++) {
      const at = b.length > 0 ? rng.int(0, b.length - 1) : 0;
      switch (rng.int(0, 6)) {
        case 0: // random byte
        case 1:
          if (b.length > 0) b[at] = rng.int(0, 255);
          break;
        case 2: // header or IE length octets: small or huge
          if (b.length > 3) b[rng.int(2, 3)] = rng.pick([0, 1, 4, 8, 0x7f, 0xff, rng.int(0, 255)]);
          break;
        case 3: // flags
          b[0] = (b[0] & 0xe0) | rng.int(0, 31);
          break;
        case 4: // insert random bytes
          b = cat(b.subarray(0, at), rng.bytes(rng.int(1, 8)), b.subarray(at));
          break;
        case 5: // delete a range
          b = cat(b.subarray(0, at), b.subarray(Math.min(b.length, at + rng.int(1, 8))));
          break;
        case 6: // truncate or extend
          b = rng.int(0, 1) === 0 ? b.subarray(0, at) : cat(b, rng.bytes(rng.int(1, 16)));
          break;
      }
    }
    let r: GtpcMessage[] | null;
    try {
      r = parse(b);
    } catch (err) {
      problems.push(`mutation ${i} (${b.toString('hex')}): threw ${String(err)}`);
      continue;
    }
    if (r !== null) accepted++;
    problems.push(...shapeProblems(r).map((p) => `mutation ${i} (${b.toString('hex')}): ${p}`));
  }
  t.strictSame(problems.slice(0, 20), [], 'no throw, no malformed field');
  t.comment(`${N} mutations, ${accepted} still parsed as GTP-C`);
});
