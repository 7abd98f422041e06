/**
 * GTP control plane: GTPv1-C (3GPP TS 29.060, Gn/Gp) and GTPv2-C (3GPP TS
 * 29.274, S11/S5/S8/S4...). A pure parser: it reads a UDP payload by offsets
 * and returns what the knowledge base needs about a subscriber's session
 * (identities, APN, location, UE address, tunnel endpoints, bearers).
 *
 * Called only for UDP payloads on port 2123, so the result is built as plain
 * objects and strings. Every length is checked against the bytes that are
 * there before it is used; nothing throws on any input.
 *
 * Validation, so that other traffic on the port is not taken for GTP-C:
 * - version 1 with PT=1 (PT=0 is GTP', charging) or version 2; version 0 is
 *   not handled; message type 0 (reserved) and, for v1, 255 (G-PDU, user
 *   plane) are rejected;
 * - the header length must fit the datagram and cover the mandatory header
 *   fields (v1: the 4 optional octets when E, S or PN is set, and any
 *   extension headers; v2: TEID when T=1, sequence and spare);
 * - every IE must lie inside the message (and every IE of a Bearer Context
 *   inside that context); a v1 TV IE of a type TS 29.060 table 37 does not
 *   list cannot be skipped, so it makes the message invalid; v2 IE type 0
 *   (reserved) is invalid.
 * An IE whose value is too short for what it claims (an F-TEID with the V4
 * flag and no address, say) is ignored; the message is still returned.
 */
import { ipv4Text, ipv6Text } from '../export/address-text';

export const GTPC_PORT = 2123;

export type GtpPlane = 'control' | 'user';

export interface GtpcFteid {
  /** v2: F-TEID interface type (TS 29.274 table 8.22-1); v1: null */
  interfaceType: number | null;
  /** v2: IE instance; v1: 0 */
  instance: number;
  /** v2: from the interface type (GTP-U interfaces are 'user'); v1: TEID Control Plane 'control', TEID Data I 'user' */
  plane: GtpPlane;
  /** unsigned 32-bit */
  teid: number;
  /** dotted quad */
  ipv4: string | null;
  /** RFC 5952 text */
  ipv6: string | null;
}

export interface GtpcBearer {
  ebi: number | null;
  cause: number | null;
  fteids: GtpcFteid[];
}

export interface GtpcMessage {
  version: 1 | 2;
  /** message type */
  type: number;
  /** for the types handled (and echo); false/false for others */
  isRequest: boolean;
  isResponse: boolean;
  /** header TEID (null when the v2 T flag is 0) */
  teid: number | null;
  /** v1: 16-bit when the S flag is set, else -1; v2: 24-bit */
  sequence: number;
  /** top-level Cause (v2: instance 0) */
  cause: number | null;
  /** the cause means "accepted" (v1: 128..191, TS 29.060 7.7.1; v2: 16..63, TS 29.274 8.4); null without a cause */
  accepted: boolean | null;
  /** TBCD digits, filler dropped */
  imsi: string | null;
  /** digits only (v1: the ISDN address's nature/numbering-plan octet removed) */
  msisdn: string | null;
  /** IMEI or IMEISV digits (v1 IMEI(SV) IE 154, v2 MEI IE 75) */
  imei: string | null;
  /** labels joined by '.' */
  apn: string | null;
  ratType: number | null;
  /** "MCC-MNC-TAC-ECI" (TAI + ECGI), "MCC-MNC-LAC-CI" (CGI) or "MCC-MNC-LAC-SAC" (SAI) */
  cellId: string | null;
  /** v1 End User Address / v2 PAA; null when absent or unspecified (0.0.0.0: dynamic allocation requested) */
  ueIpv4: string | null;
  /** as ueIpv4; null for :: */
  ueIpv6: string | null;
  /** v2: top-level F-TEIDs; v1: the control and user endpoints built from TEID C / TEID Data I and the GSN Addresses */
  fteids: GtpcFteid[];
  /** v2 Bearer Context IEs (type 93) with their EBI, Cause and F-TEIDs */
  bearers: GtpcBearer[];
  /** v2: top-level EBI of instance 0 (Linked EPS Bearer ID); v1: NSAPI */
  linkedEbi: number | null;
  /** v2: top-level EBIs of instance 1 (the EPS Bearer IDs of Delete Bearer Request) */
  ebis: number[];
  /** v1 Teardown Ind; null when absent (always for v2) */
  teardown: boolean | null;
}

// ---------------------------------------------------------------- bytes

function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

function u24(b: Uint8Array, o: number): number {
  return (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** IPv4 text, or null for 0.0.0.0 when `zeroIsNull`. */
function ipv4At(b: Uint8Array, o: number, zeroIsNull: boolean): string | null {
  const w = u32(b, o);
  return zeroIsNull && w === 0 ? null : ipv4Text(w);
}

function ipv6At(b: Uint8Array, o: number, zeroIsNull: boolean): string | null {
  const w0 = u32(b, o);
  const w1 = u32(b, o + 4);
  const w2 = u32(b, o + 8);
  const w3 = u32(b, o + 12);
  if (zeroIsNull && (w0 | w1 | w2 | w3) === 0) return null;
  return ipv6Text(w0, w1, w2, w3);
}

/**
 * TBCD digits (TS 29.002): low nibble first; 0xF is filler and ends the
 * number. Null when empty or when a nibble is not a decimal digit.
 */
function tbcd(b: Uint8Array, o: number, n: number): string | null {
  let s = '';
  for (let i = 0; i < n; i++) {
    const x = b[o + i];
    const lo = x & 0x0f;
    if (lo === 0x0f) break;
    if (lo > 9) return null;
    s += String.fromCharCode(48 + lo);
    const hi = x >> 4;
    if (hi === 0x0f) break;
    if (hi > 9) return null;
    s += String.fromCharCode(48 + hi);
  }
  return s.length > 0 ? s : null;
}

/** "MCC-MNC" of a 3-octet PLMN identity (TS 24.008 10.5.1.3), MNC with 2 or 3 digits; null if not decimal. */
function plmnText(b: Uint8Array, o: number): string | null {
  const d1 = b[o] & 0x0f;
  const d2 = b[o] >> 4;
  const d3 = b[o + 1] & 0x0f;
  const n3 = b[o + 1] >> 4;
  const n1 = b[o + 2] & 0x0f;
  const n2 = b[o + 2] >> 4;
  if (d1 > 9 || d2 > 9 || d3 > 9 || n1 > 9 || n2 > 9 || (n3 > 9 && n3 !== 0x0f)) return null;
  return `${d1}${d2}${d3}-${n1}${n2}${n3 === 0x0f ? '' : n3}`;
}

/**
 * APN (TS 23.003 9.1): length-prefixed labels, joined by '.'. Null unless the
 * labels exactly fill the value with printable, non-space ASCII (a trailing
 * zero octet, as some encoders add, is accepted).
 */
function apnText(b: Uint8Array, o: number, n: number): string | null {
  const end = o + n;
  let p = o;
  let s = '';
  while (p < end) {
    const l = b[p];
    if (l === 0) {
      if (p + 1 === end && s.length > 0) break;
      return null;
    }
    if (p + 1 + l > end) return null;
    if (s.length > 0) s += '.';
    for (let i = p + 1; i <= p + l; i++) {
      const c = b[i];
      if (c < 0x21 || c > 0x7e) return null;
      s += String.fromCharCode(c);
    }
    p += 1 + l;
  }
  return s.length > 0 ? s : null;
}

// ---------------------------------------------------------------- message

function newMessage(version: 1 | 2, type: number, teid: number | null, sequence: number): GtpcMessage {
  return {
    version,
    type,
    isRequest: false,
    isResponse: false,
    teid,
    sequence,
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
  };
}

/**
 * Parses the UDP payload at buf[off, off+len). Returns the messages (GTPv2
 * piggybacking: the P flag chains a second message) or null when it is not
 * valid GTP-C.
 */
export function parseGtpc(buf: Uint8Array, off: number, len: number): GtpcMessage[] | null {
  if (!Number.isInteger(off) || !Number.isInteger(len) || off < 0 || len < 1 || off + len > buf.length) return null;
  const version = buf[off] >> 5;
  if (version === 1) {
    const m = parseV1(buf, off, off + len);
    return m === null ? null : [m];
  }
  if (version === 2) return parseV2Chain(buf, off, off + len);
  return null;
}

// ---------------------------------------------------------------- GTPv1-C

const V1_TYPE = {
  ECHO_REQUEST: 1,
  ECHO_RESPONSE: 2,
  CREATE_PDP_REQUEST: 16,
  CREATE_PDP_RESPONSE: 17,
  UPDATE_PDP_REQUEST: 18,
  UPDATE_PDP_RESPONSE: 19,
  DELETE_PDP_REQUEST: 20,
  DELETE_PDP_RESPONSE: 21,
  G_PDU: 255,
} as const;

const V1_IE = {
  CAUSE: 1,
  IMSI: 2,
  TEID_DATA_I: 16,
  TEID_CONTROL_PLANE: 17,
  TEARDOWN_IND: 19,
  NSAPI: 20,
  END_USER_ADDRESS: 128,
  APN: 131,
  GSN_ADDRESS: 133,
  MSISDN: 134,
  RAT_TYPE: 151,
  ULI: 152,
  IMEISV: 154,
} as const;

/**
 * Value length of each TV IE (type < 128), TS 29.060 table 37; 0 = not a TV
 * type of GTPv1 (its length is unknown, so the message cannot be walked).
 */
const V1_TV_LENGTH = (() => {
  const t = new Uint8Array(128);
  const set: Array<[number, number]> = [
    [1, 1], // Cause
    [2, 8], // IMSI
    [3, 6], // Routing Area Identity
    [4, 4], // TLLI
    [5, 4], // P-TMSI
    [8, 1], // Reordering Required
    [9, 28], // Authentication Triplet
    [11, 1], // MAP Cause
    [12, 3], // P-TMSI Signature
    [13, 1], // MS Validated
    [14, 1], // Recovery
    [15, 1], // Selection Mode
    [16, 4], // TEID Data I
    [17, 4], // TEID Control Plane
    [18, 5], // TEID Data II (NSAPI + TEID)
    [19, 1], // Teardown Ind
    [20, 1], // NSAPI
    [21, 1], // RANAP Cause
    [22, 9], // RAB Context
    [23, 1], // Radio Priority SMS
    [24, 1], // Radio Priority
    [25, 2], // Packet Flow Id
    [26, 2], // Charging Characteristics
    [27, 2], // Trace Reference
    [28, 2], // Trace Type
    [29, 1], // MS Not Reachable Reason
    [127, 4], // Charging ID
  ];
  for (const [type, length] of set) t[type] = length;
  return t;
})();

/** v1 extension headers are chained by a next-type octet; each takes at least 4 octets, this bounds the walk further. */
const MAX_V1_EXTENSION_HEADERS = 16;

function parseV1(b: Uint8Array, off: number, dgramEnd: number): GtpcMessage | null {
  if (dgramEnd - off < 8) return null;
  const flags = b[off];
  if ((flags & 0x10) === 0) return null; // PT=0: GTP'
  const type = b[off + 1];
  if (type === 0 || type === V1_TYPE.G_PDU) return null;
  const length = u16(b, off + 2);
  const end = off + 8 + length;
  if (end > dgramEnd) return null;
  const teid = u32(b, off + 4);
  let p = off + 8;
  let sequence = -1;
  if ((flags & 0x07) !== 0) {
    // E, S or PN: sequence (2), N-PDU number (1), next extension header type (1) are all present.
    if (length < 4) return null;
    if (flags & 0x02) sequence = u16(b, p);
    let next = flags & 0x04 ? b[p + 3] : 0;
    p += 4;
    let count = 0;
    while (next !== 0) {
      if (++count > MAX_V1_EXTENSION_HEADERS || p >= end) return null;
      const units = b[p];
      if (units === 0 || p + units * 4 > end) return null;
      next = b[p + units * 4 - 1];
      p += units * 4;
    }
  }

  const m = newMessage(1, type, teid, sequence);
  switch (type) {
    case V1_TYPE.ECHO_REQUEST:
    case V1_TYPE.CREATE_PDP_REQUEST:
    case V1_TYPE.UPDATE_PDP_REQUEST:
    case V1_TYPE.DELETE_PDP_REQUEST:
      m.isRequest = true;
      break;
    case V1_TYPE.ECHO_RESPONSE:
    case V1_TYPE.CREATE_PDP_RESPONSE:
    case V1_TYPE.UPDATE_PDP_RESPONSE:
    case V1_TYPE.DELETE_PDP_RESPONSE:
      m.isResponse = true;
      break;
  }

  let teidData = -1;
  let teidControl = -1;
  // The first two GSN Address IEs: [ipv4, ipv6] each; the first is the control plane, the second user traffic.
  let gsnCount = 0;
  let gsn1v4: string | null = null;
  let gsn1v6: string | null = null;
  let gsn2v4: string | null = null;
  let gsn2v6: string | null = null;

  while (p < end) {
    const t = b[p];
    let v: number;
    let n: number;
    if (t < 128) {
      n = V1_TV_LENGTH[t];
      if (n === 0) return null;
      v = p + 1;
    } else {
      if (p + 3 > end) return null;
      n = u16(b, p + 1);
      v = p + 3;
    }
    if (v + n > end) return null;
    p = v + n;

    switch (t) {
      case V1_IE.CAUSE:
        if (m.cause === null) m.cause = b[v];
        break;
      case V1_IE.IMSI:
        if (m.imsi === null) m.imsi = tbcd(b, v, n);
        break;
      case V1_IE.TEID_DATA_I:
        if (teidData < 0) teidData = u32(b, v);
        break;
      case V1_IE.TEID_CONTROL_PLANE:
        if (teidControl < 0) teidControl = u32(b, v);
        break;
      case V1_IE.TEARDOWN_IND:
        if (m.teardown === null) m.teardown = (b[v] & 0x01) === 1;
        break;
      case V1_IE.NSAPI:
        // A second NSAPI IE is the Linked NSAPI of a secondary context: the first names this context.
        if (m.linkedEbi === null) m.linkedEbi = b[v] & 0x0f;
        break;
      case V1_IE.END_USER_ADDRESS:
        v1EndUserAddress(b, v, n, m);
        break;
      case V1_IE.APN:
        if (m.apn === null) m.apn = apnText(b, v, n);
        break;
      case V1_IE.GSN_ADDRESS: {
        gsnCount++;
        const a4 = n === 4 ? ipv4At(b, v, false) : null;
        const a6 = n === 16 ? ipv6At(b, v, false) : null;
        if (gsnCount === 1) {
          gsn1v4 = a4;
          gsn1v6 = a6;
        } else if (gsnCount === 2) {
          gsn2v4 = a4;
          gsn2v6 = a6;
        }
        break;
      }
      case V1_IE.MSISDN:
        // A MAP AddressString: nature of address / numbering plan octet (0x91), then TBCD digits.
        if (m.msisdn === null && n >= 2) m.msisdn = tbcd(b, v + 1, n - 1);
        break;
      case V1_IE.RAT_TYPE:
        if (m.ratType === null && n >= 1) m.ratType = b[v];
        break;
      case V1_IE.ULI:
        if (m.cellId === null) m.cellId = v1Location(b, v, n);
        break;
      case V1_IE.IMEISV:
        if (m.imei === null) m.imei = tbcd(b, v, n);
        break;
      default:
        break; // other IEs, Private Extension (255) included, are skipped by their length
    }
  }

  if (teidControl >= 0) {
    m.fteids.push({ interfaceType: null, instance: 0, plane: 'control', teid: teidControl, ipv4: gsn1v4, ipv6: gsn1v6 });
  }
  if (teidData >= 0) {
    const second = gsnCount >= 2;
    m.fteids.push({
      interfaceType: null,
      instance: 0,
      plane: 'user',
      teid: teidData,
      ipv4: second ? gsn2v4 : gsn1v4,
      ipv6: second ? gsn2v6 : gsn1v6,
    });
  }
  if (m.cause !== null) m.accepted = m.cause >= 128 && m.cause <= 191;
  return m;
}

/** End User Address (TS 29.060 7.7.27): spare/organisation, PDP type number, address(es). */
function v1EndUserAddress(b: Uint8Array, v: number, n: number, m: GtpcMessage): void {
  if (n < 2) return;
  const IETF = 1;
  if ((b[v] & 0x0f) !== IETF) return; // ETSI: PPP, no address
  const pdpType = b[v + 1];
  const a = v + 2;
  const alen = n - 2;
  if (pdpType === 0x21) {
    if (alen >= 4) m.ueIpv4 = ipv4At(b, a, true);
  } else if (pdpType === 0x57) {
    if (alen >= 16) m.ueIpv6 = ipv6At(b, a, true);
  } else if (pdpType === 0x8d) {
    // IPv4v6: IPv4 then IPv6 when both are there; one of them alone otherwise.
    if (alen >= 20) {
      m.ueIpv4 = ipv4At(b, a, true);
      m.ueIpv6 = ipv6At(b, a + 4, true);
    } else if (alen >= 16) {
      m.ueIpv6 = ipv6At(b, a, true);
    } else if (alen >= 4) {
      m.ueIpv4 = ipv4At(b, a, true);
    }
  }
}

/** v1 User Location Information (TS 29.060 7.7.51): geographic location type 0 = CGI, 1 = SAI, 2 = RAI (not a cell). */
function v1Location(b: Uint8Array, v: number, n: number): string | null {
  if (n < 8) return null;
  const kind = b[v];
  if (kind !== 0 && kind !== 1) return null;
  const plmn = plmnText(b, v + 1);
  return plmn === null ? null : `${plmn}-${u16(b, v + 4)}-${u16(b, v + 6)}`;
}

// ---------------------------------------------------------------- GTPv2-C

const V2_TYPE = {
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

const V2_IE = {
  IMSI: 1,
  CAUSE: 2,
  APN: 71,
  EBI: 73,
  MEI: 75,
  MSISDN: 76,
  PAA: 79,
  RAT_TYPE: 82,
  ULI: 86,
  FTEID: 87,
  BEARER_CONTEXT: 93,
} as const;

/** A piggybacked message has P=0 (TS 29.274 5.5.1); the cap only guards against a malformed chain. */
const MAX_V2_CHAIN = 4;

/**
 * F-TEID interface types (TS 29.274 table 8.22-1, Rel-17) that name a GTP-U
 * endpoint. All others are control plane: GTP-C interfaces, the PMIPv6
 * interfaces 8 and 9 (carried where the PGW control address goes), and
 * values the table does not define.
 */
const V2_USER_PLANE_INTERFACES = (() => {
  const t = new Uint8Array(64);
  for (const i of [
    0, // S1-U eNodeB GTP-U
    1, // S1-U SGW GTP-U
    2, // S12 RNC GTP-U
    3, // S12 SGW GTP-U
    4, // S5/S8 SGW GTP-U
    5, // S5/S8 PGW GTP-U
    15, // S4 SGSN GTP-U
    16, // S4 SGW GTP-U
    19, // eNodeB/gNodeB GTP-U for DL data forwarding
    20, // eNodeB GTP-U for UL data forwarding
    21, // RNC GTP-U for data forwarding
    22, // SGSN GTP-U for data forwarding
    23, // SGW/UPF GTP-U for DL data forwarding
    28, // SGW GTP-U for UL data forwarding
    29, // Sn SGSN GTP-U
    31, // S2b-U ePDG GTP-U
    33, // S2b-U PGW GTP-U
    34, // S2a TWAN GTP-U
    37, // S2a PGW GTP-U
    38, // S11 MME GTP-U
    39, // S11 SGW GTP-U
    41, // N19mb UPF GTP-U
  ]) {
    t[i] = 1;
  }
  return t;
})();

export function fteidPlane(interfaceType: number): GtpPlane {
  return V2_USER_PLANE_INTERFACES[interfaceType & 0x3f] === 1 ? 'user' : 'control';
}

function parseV2Chain(b: Uint8Array, off: number, dgramEnd: number): GtpcMessage[] | null {
  const out: GtpcMessage[] = [];
  let p = off;
  for (let i = 0; i < MAX_V2_CHAIN; i++) {
    if (p >= dgramEnd || b[p] >> 5 !== 2) break;
    const end = v2MessageEnd(b, p, dgramEnd);
    if (end < 0) break;
    const m = parseV2(b, p, end);
    if (m === null) break;
    out.push(m);
    if ((b[p] & 0x10) === 0) break; // P=0: nothing piggybacked
    p = end;
  }
  return out.length > 0 ? out : null;
}

/** End of the v2 message at `o`, or -1 when its header does not fit. */
function v2MessageEnd(b: Uint8Array, o: number, dgramEnd: number): number {
  if (dgramEnd - o < 8) return -1;
  const length = u16(b, o + 2);
  const minLength = b[o] & 0x08 ? 8 : 4; // [TEID], sequence, spare
  if (length < minLength || o + 4 + length > dgramEnd) return -1;
  return o + 4 + length;
}

function parseV2(b: Uint8Array, o: number, end: number): GtpcMessage | null {
  const flags = b[o];
  const type = b[o + 1];
  if (type === 0) return null;
  const hasTeid = (flags & 0x08) !== 0;
  const teid = hasTeid ? u32(b, o + 4) : null;
  const seqAt = hasTeid ? o + 8 : o + 4;
  const m = newMessage(2, type, teid, u24(b, seqAt));
  switch (type) {
    case V2_TYPE.ECHO_REQUEST:
    case V2_TYPE.CREATE_SESSION_REQUEST:
    case V2_TYPE.MODIFY_BEARER_REQUEST:
    case V2_TYPE.DELETE_SESSION_REQUEST:
    case V2_TYPE.CREATE_BEARER_REQUEST:
    case V2_TYPE.DELETE_BEARER_REQUEST:
      m.isRequest = true;
      break;
    case V2_TYPE.ECHO_RESPONSE:
    case V2_TYPE.CREATE_SESSION_RESPONSE:
    case V2_TYPE.MODIFY_BEARER_RESPONSE:
    case V2_TYPE.DELETE_SESSION_RESPONSE:
    case V2_TYPE.CREATE_BEARER_RESPONSE:
    case V2_TYPE.DELETE_BEARER_RESPONSE:
      m.isResponse = true;
      break;
  }

  let p = seqAt + 4;
  while (p < end) {
    if (p + 4 > end) return null;
    const t = b[p];
    const n = u16(b, p + 1);
    const instance = b[p + 3] & 0x0f;
    const v = p + 4;
    if (t === 0 || v + n > end) return null;
    p = v + n;

    switch (t) {
      case V2_IE.IMSI:
        if (m.imsi === null) m.imsi = tbcd(b, v, n);
        break;
      case V2_IE.CAUSE:
        if (instance === 0 && m.cause === null && n >= 1) m.cause = b[v];
        break;
      case V2_IE.APN:
        if (m.apn === null) m.apn = apnText(b, v, n);
        break;
      case V2_IE.EBI:
        if (n >= 1) {
          if (instance === 0) {
            if (m.linkedEbi === null) m.linkedEbi = b[v] & 0x0f;
          } else if (instance === 1) {
            m.ebis.push(b[v] & 0x0f);
          }
        }
        break;
      case V2_IE.MEI:
        if (m.imei === null) m.imei = tbcd(b, v, n);
        break;
      case V2_IE.MSISDN:
        if (m.msisdn === null) m.msisdn = tbcd(b, v, n);
        break;
      case V2_IE.PAA:
        v2Paa(b, v, n, m);
        break;
      case V2_IE.RAT_TYPE:
        if (m.ratType === null && n >= 1) m.ratType = b[v];
        break;
      case V2_IE.ULI:
        if (m.cellId === null) m.cellId = v2Location(b, v, n);
        break;
      case V2_IE.FTEID: {
        const f = v2Fteid(b, v, n, instance);
        if (f !== null) m.fteids.push(f);
        break;
      }
      case V2_IE.BEARER_CONTEXT: {
        const bearer = v2BearerContext(b, v, v + n);
        if (bearer === null) return null;
        m.bearers.push(bearer);
        break;
      }
      default:
        break;
    }
  }
  if (m.cause !== null) m.accepted = m.cause >= 16 && m.cause <= 63;
  return m;
}

/**
 * A Bearer Context (grouped IE): its EBI, Cause and F-TEIDs. Nested IEs are
 * not descended into (a Bearer Context holds no Bearer Context), which bounds
 * the recursion at one level. Null when an IE does not fit the group.
 */
function v2BearerContext(b: Uint8Array, start: number, end: number): GtpcBearer | null {
  const bearer: GtpcBearer = { ebi: null, cause: null, fteids: [] };
  let p = start;
  while (p < end) {
    if (p + 4 > end) return null;
    const t = b[p];
    const n = u16(b, p + 1);
    const instance = b[p + 3] & 0x0f;
    const v = p + 4;
    if (t === 0 || v + n > end) return null;
    p = v + n;
    if (t === V2_IE.EBI) {
      if (bearer.ebi === null && n >= 1) bearer.ebi = b[v] & 0x0f;
    } else if (t === V2_IE.CAUSE) {
      if (bearer.cause === null && n >= 1) bearer.cause = b[v];
    } else if (t === V2_IE.FTEID) {
      const f = v2Fteid(b, v, n, instance);
      if (f !== null) bearer.fteids.push(f);
    }
  }
  return bearer;
}

/** F-TEID (TS 29.274 8.22): V4 V6 interface-type octet, TEID/GRE key, IPv4, IPv6. */
function v2Fteid(b: Uint8Array, v: number, n: number, instance: number): GtpcFteid | null {
  if (n < 5) return null;
  const flags = b[v];
  const hasV4 = (flags & 0x80) !== 0;
  const hasV6 = (flags & 0x40) !== 0;
  if (n < 5 + (hasV4 ? 4 : 0) + (hasV6 ? 16 : 0)) return null;
  const interfaceType = flags & 0x3f;
  return {
    interfaceType,
    instance,
    plane: fteidPlane(interfaceType),
    teid: u32(b, v + 1),
    ipv4: hasV4 ? ipv4At(b, v + 5, false) : null,
    ipv6: hasV6 ? ipv6At(b, v + 5 + (hasV4 ? 4 : 0), false) : null,
  };
}

/** PDN Address Allocation (TS 29.274 8.14): PDN type, then IPv4 / prefix length + IPv6 / both. */
function v2Paa(b: Uint8Array, v: number, n: number, m: GtpcMessage): void {
  if (n < 1) return;
  const pdnType = b[v] & 0x07;
  if (pdnType === 1) {
    if (n >= 5) m.ueIpv4 = ipv4At(b, v + 1, true);
  } else if (pdnType === 2) {
    if (n >= 18) m.ueIpv6 = ipv6At(b, v + 2, true);
  } else if (pdnType === 3) {
    if (n >= 22) {
      m.ueIpv6 = ipv6At(b, v + 2, true);
      m.ueIpv4 = ipv4At(b, v + 18, true);
    }
  }
}

const ULI_CGI = 0x01;
const ULI_SAI = 0x02;
const ULI_RAI = 0x04;
const ULI_TAI = 0x08;
const ULI_ECGI = 0x10;
/** ULI parts in the order they follow the flags octet, with their sizes. */
const ULI_PART_FLAG = [ULI_CGI, ULI_SAI, ULI_RAI, ULI_TAI, ULI_ECGI] as const;
const ULI_PART_SIZE = [7, 7, 7, 5, 7] as const;

/**
 * User Location Information (TS 29.274 8.21): a flags octet, then the present
 * fields in flag order: CGI 7, SAI 7, RAI 7, TAI 5, ECGI 7, LAI 5, Macro
 * eNodeB ID 6, Extended Macro eNodeB ID 6 octets. The cell is TAI + ECGI,
 * else CGI, else SAI.
 */
function v2Location(b: Uint8Array, v: number, n: number): string | null {
  if (n < 1) return null;
  const flags = b[v];
  const end = v + n;
  let p = v + 1;
  let cgi = -1;
  let sai = -1;
  let tai = -1;
  let ecgi = -1;
  // Only the parts up to ECGI matter; LAI and the eNodeB IDs come after it.
  for (let i = 0; i < ULI_PART_FLAG.length; i++) {
    const bit = ULI_PART_FLAG[i];
    if ((flags & bit) === 0) continue;
    if (p + ULI_PART_SIZE[i] > end) break; // the later parts are not there either
    if (bit === ULI_CGI) cgi = p;
    else if (bit === ULI_SAI) sai = p;
    else if (bit === ULI_TAI) tai = p;
    else if (bit === ULI_ECGI) ecgi = p;
    p += ULI_PART_SIZE[i];
  }
  if (tai >= 0 && ecgi >= 0) {
    const plmn = plmnText(b, ecgi);
    const eci = u32(b, ecgi + 3) & 0x0fffffff;
    return plmn === null ? null : `${plmn}-${u16(b, tai + 3)}-${eci}`;
  }
  const at = cgi >= 0 ? cgi : sai;
  if (at < 0) return null;
  const plmn = plmnText(b, at);
  return plmn === null ? null : `${plmn}-${u16(b, at + 3)}-${u16(b, at + 5)}`;
}
