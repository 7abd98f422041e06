import type { FlowRecord } from './flow-record';

/**
 * The information elements a flow record is exported with, in NetFlow v9 and
 * IPFIX: one row per element, in the order they appear in a template. IANA
 * elements (RFC 7012 registry) where one exists; otherwise ntop's (PEN 35632,
 * nProbe's numbering) so collectors that know nProbe decode them. In v9 an
 * ntop element is field type 57472 + its number, as nProbe sends it.
 */

export const enum IeType {
  U8,
  U16,
  U32,
  U64,
  Ipv4,
  Ipv6,
  Mac,
  /** UTF-8 text: variable length in IPFIX (RFC 7011 7), fixed and zero-padded in v9. */
  String,
}

/** IPFIX private enterprise numbers. */
export const PEN_IANA = 0;
/** RFC 5103: the reverse direction of a biflow, same element number. */
export const PEN_REVERSE = 29305;
export const PEN_NTOP = 35632;
/** nProbe's v9 field type for ntop element n is NTOP_V9_BASE + n. */
export const NTOP_V9_BASE = 57472;

/** Which direction of a v9 record a field is written for (v9 has no biflows: two one-way records). */
export const enum V9Use {
  /** The same element in both one-way records. */
  Both,
  /** Only in IPFIX: the reverse elements, carried by v9's second record instead. */
  IpfixOnly,
}

export interface InformationElement {
  /** The record field it carries (for display and tests). */
  readonly field: string;
  readonly id: number;
  readonly pen: number;
  readonly type: IeType;
  /** Octets on the wire for fixed types (strings: 0, variable; v9 sizes them per template). */
  readonly length: number;
  /** v9 field type (IANA number, or NTOP_V9_BASE + n) and length (tcpControlBits is 1 octet in v9). */
  readonly v9Id: number;
  readonly v9Length: number;
  readonly v9: V9Use;
  readonly get: (r: FlowRecord) => unknown;
}

function ie(field: string, id: number, pen: number, type: IeType, length: number, get?: (r: FlowRecord) => unknown, v9Length = length): InformationElement {
  const v9 = pen === PEN_REVERSE ? V9Use.IpfixOnly : V9Use.Both;
  const v9Id = pen === PEN_NTOP ? NTOP_V9_BASE + id : id;
  return { field, id, pen, type, length, v9Id, v9Length, v9, get: get ?? ((r) => r[field]) };
}

function tunnelNumber(key: string): (r: FlowRecord) => unknown {
  return (r) => (r.tunnel !== undefined && r.tunnel.type === 'gtpu' ? r.tunnel[key] : undefined);
}

function tunnelIpv4(key: string): (r: FlowRecord) => unknown {
  return (r) => {
    const v = r.tunnel !== undefined && r.tunnel.type === 'gtpu' ? r.tunnel[key] : undefined;
    return typeof v === 'string' && v.indexOf(':') < 0 && v !== '' ? v : undefined;
  };
}

/**
 * The catalogue. A record is exported with the elements whose value it has
 * (get() !== undefined), in this order; that set is the record's template.
 * At most 52 rows: a template is named by a bit mask held in a double.
 */
export const ELEMENTS: readonly InformationElement[] = [
  ie('flowId', 148, PEN_IANA, IeType.U64, 8),
  ie('sourceIPv4Address', 8, PEN_IANA, IeType.Ipv4, 4),
  ie('destinationIPv4Address', 12, PEN_IANA, IeType.Ipv4, 4),
  ie('sourceIPv6Address', 27, PEN_IANA, IeType.Ipv6, 16),
  ie('destinationIPv6Address', 28, PEN_IANA, IeType.Ipv6, 16),
  ie('sourceTransportPort', 7, PEN_IANA, IeType.U16, 2),
  ie('destinationTransportPort', 11, PEN_IANA, IeType.U16, 2),
  ie('protocolIdentifier', 4, PEN_IANA, IeType.U8, 1),
  ie('ipVersion', 60, PEN_IANA, IeType.U8, 1),
  ie('vlanId', 58, PEN_IANA, IeType.U16, 2),
  ie('sourceMacAddress', 56, PEN_IANA, IeType.Mac, 6),
  ie('destinationMacAddress', 80, PEN_IANA, IeType.Mac, 6),
  ie('packetDeltaCount', 2, PEN_IANA, IeType.U64, 8),
  ie('octetDeltaCount', 1, PEN_IANA, IeType.U64, 8),
  ie('layer2OctetDeltaCount', 352, PEN_IANA, IeType.U64, 8),
  ie('reversePacketDeltaCount', 2, PEN_REVERSE, IeType.U64, 8),
  ie('reverseOctetDeltaCount', 1, PEN_REVERSE, IeType.U64, 8),
  ie('reverseLayer2OctetDeltaCount', 352, PEN_REVERSE, IeType.U64, 8),
  // RFC 7125: two octets in IPFIX; v9's TCP_FLAGS is one.
  ie('tcpControlBits', 6, PEN_IANA, IeType.U16, 2, undefined, 1),
  ie('reverseTcpControlBits', 6, PEN_REVERSE, IeType.U16, 2),
  ie('flowStartMilliseconds', 152, PEN_IANA, IeType.U64, 8),
  ie('flowEndMilliseconds', 153, PEN_IANA, IeType.U64, 8),
  ie('flowEndReason', 136, PEN_IANA, IeType.U8, 1),
  ie('applicationName', 96, PEN_IANA, IeType.String, 0),
  ie('userName', 371, PEN_IANA, IeType.String, 0),
  // nProbe's FLOW_USER_NAME as well: ntopng and nProbe-aware collectors read that one.
  ie('userName', 121, PEN_NTOP, IeType.String, 0),
  ie('imsi', 276, PEN_NTOP, IeType.String, 0),
  ie('msisdn', 277, PEN_NTOP, IeType.String, 0),
  ie('imei', 285, PEN_NTOP, IeType.String, 0),
  ie('apn', 278, PEN_NTOP, IeType.String, 0),
  // GTP-U tunnel ids as nProbe's GTPV1_C2S/S2C_TEID_DATA (GTPV2_S2C_S1U_GTPU_TEID is a string in tshark's table),
  // the tunnel endpoints as GTPV2_C2S/S2C_S1U_GTPU_IP.
  ie('tunnel.teid.up', 222, PEN_NTOP, IeType.U32, 4, tunnelNumber('teid.up')),
  ie('tunnel.node.up', 273, PEN_NTOP, IeType.Ipv4, 4, tunnelIpv4('node.up')),
  ie('tunnel.teid.down', 224, PEN_NTOP, IeType.U32, 4, tunnelNumber('teid.down')),
  ie('tunnel.node.down', 275, PEN_NTOP, IeType.Ipv4, 4, tunnelIpv4('node.down')),
  ie('dnsQueryName', 205, PEN_NTOP, IeType.String, 0),
  ie('dnsTransactionId', 206, PEN_NTOP, IeType.U16, 2),
  ie('dnsQueryType', 207, PEN_NTOP, IeType.U16, 2),
  ie('dnsResponseCode', 208, PEN_NTOP, IeType.U8, 1),
  ie('httpRequestMethod', 459, PEN_IANA, IeType.String, 0),
  ie('httpRequestHost', 460, PEN_IANA, IeType.String, 0),
  ie('httpRequestTarget', 461, PEN_IANA, IeType.String, 0),
  // nProbe's HTTP_URL carries the same request target for nProbe-aware collectors.
  ie('httpRequestTarget', 180, PEN_NTOP, IeType.String, 0),
  ie('httpUserAgent', 468, PEN_IANA, IeType.String, 0),
  ie('httpStatusCode', 457, PEN_IANA, IeType.U16, 2),
  ie('tlsServerName', 188, PEN_NTOP, IeType.String, 0),
  ie('sipCallId', 130, PEN_NTOP, IeType.String, 0, (r) => (isSipSignalling(r) ? r.sipCallId : undefined)),
  // On RTP/RTCP flows the Call-ID of the call they belong to is nProbe's RTP_SIP_CALL_ID.
  ie('sipCallId', 348, PEN_NTOP, IeType.String, 0, (r) => (isSipSignalling(r) ? undefined : r.sipCallId)),
  ie('sipFrom', 131, PEN_NTOP, IeType.String, 0),
  ie('sipTo', 132, PEN_NTOP, IeType.String, 0),
];

/** SIP signalling carries From/To; media flows carry only the Call-ID they were tied to. */
function isSipSignalling(r: FlowRecord): boolean {
  return r.sipFrom !== undefined || r.sipTo !== undefined || r.applicationName === 'SIP';
}

if (ELEMENTS.length > 52) throw new Error('information-elements: a template mask holds at most 52 elements');
