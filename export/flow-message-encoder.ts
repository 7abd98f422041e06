import type { FlowRecord } from './flow-record';
import { InformationElement, IeType } from './information-elements';
import { ExportFormat, STATS_TEMPLATE_ID, Template, TemplateRegistry } from './templates';
import { writeIpv4Text, writeIpv6Text, writeMacText } from './address-bytes';

/**
 * NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) messages from flow records:
 * headers, template sets, data sets and the exporter-statistics options
 * record, packed up to a size target (the path MTU less IP and UDP headers).
 * One encoder is one transport session: its own sequence numbers and the
 * knowledge of which templates the collector has been sent.
 */

/** What the statistics options record reports (RFC 7011 4.3, Exporting Process Reliability Statistics). */
export interface ExporterStats {
  messages: number;
  records: number;
  recordsLost: number;
}

export interface EncoderOptions {
  format: ExportFormat;
  /** v9 source id / IPFIX observation domain id. */
  domainId: number;
  /** Messages are filled up to this many bytes; a single larger record goes alone. */
  targetBytes: number;
  /**
   * Template refresh (RFC 7011 8.4 over UDP; RFC 3954 5): a template is sent
   * again before its next use once this many messages or milliseconds went by
   * since it was last sent. Infinity over TCP, where a session keeps them.
   */
  refreshMessages: number;
  refreshMs: number;
  /** Wall clock in ms (export time, v9 sysUptime). */
  now(): number;
  /** Called with every finished message and the flow records in it. */
  emit(message: Buffer, dataRecords: number): void;
  stats(): ExporterStats;
}

const V9_HEADER = 20;
const IPFIX_HEADER = 16;
const SET_HEADER = 4;
/** Longest text written in IPFIX; longer values are cut at a character boundary. */
const MAX_IPFIX_TEXT = 4096;
/** A message can never exceed 65535 bytes (IPFIX length field, UDP datagram). */
const MAX_MESSAGE = 65_507;

// Set ids: v9 template 0, options template 1; IPFIX template 2, options template 3.
const V9_TEMPLATE_SET = 0;
const V9_OPTIONS_SET = 1;
const IPFIX_TEMPLATE_SET = 2;
const IPFIX_OPTIONS_SET = 3;

/** Exporter statistics options template: scope then the counters (IANA elements). */
const STATS_SCOPE = { id: 149, length: 4 }; // observationDomainId
const V9_SCOPE_SYSTEM = 1; // RFC 3954 6.1 scope field type "System"
const STATS_FIELDS = [
  { id: 41, length: 8 }, // exportedMessageTotalCount
  { id: 42, length: 8 }, // exportedFlowRecordTotalCount
  { id: 166, length: 8 }, // notSentFlowTotalCount
  { id: 160, length: 8 }, // systemInitTimeMilliseconds
];

export class FlowMessageEncoder {
  readonly templates: TemplateRegistry;
  private readonly v9: boolean;
  private readonly msg = Buffer.alloc(MAX_MESSAGE);
  private readonly scratch = Buffer.alloc(MAX_MESSAGE);
  private pos = 0;
  /** Start of the open data set, or -1. */
  private setStart = -1;
  private setTemplate = -1;
  /** Records in this message (v9 header count: every record), data records (options ones too: the IPFIX sequence) and flow records. */
  private msgRecords = 0;
  private msgDataRecords = 0;
  private msgFlowRecords = 0;
  /** When each template (the statistics one too) was last sent: message count and wall time. */
  private readonly announcedAt = new Map<number, { message: number; ms: number }>();
  /** Template sets as bytes, made once per template. */
  private readonly templateBytes = new Map<number, Buffer>();
  /** Messages emitted this session. */
  private emitted = 0;
  /** v9: export packets so far; IPFIX: data records so far (RFC 3954 5.1, RFC 7011 3.1). */
  private sequence = 0;
  private readonly startMs: number;
  /** The record being added, one value per catalogue element (reused). */
  private readonly values: unknown[] = [];

  constructor(private readonly opt: EncoderOptions) {
    this.v9 = opt.format === 'v9';
    this.templates = new TemplateRegistry(opt.format);
    this.startMs = opt.now();
  }

  /** Adds a record (v9: one or two one-way records); full messages are emitted as they fill. */
  add(r: FlowRecord): void {
    if (this.v9) {
      this.addOne(r);
      if (r.reversePacketDeltaCount > 0) this.addOne(reverseOf(r));
    } else {
      this.addOne(r);
    }
  }

  /** Emits the open message, if it holds anything. */
  flush(): void {
    if (this.pos === 0) return;
    this.closeSet();
    const headerBytes = this.v9 ? V9_HEADER : IPFIX_HEADER;
    if (this.pos === headerBytes) {
      this.pos = 0;
      return;
    }
    this.writeHeader();
    const out = Buffer.from(this.msg.subarray(0, this.pos));
    const flows = this.msgFlowRecords;
    this.sequence = this.v9 ? (this.sequence + 1) >>> 0 : (this.sequence + this.msgDataRecords) >>> 0;
    this.pos = 0;
    this.msgRecords = 0;
    this.msgDataRecords = 0;
    this.msgFlowRecords = 0;
    this.emitted++;
    this.opt.emit(out, flows);
  }

  /**
   * The collector may have lost every template (it answered with ICMP
   * unreachable): each goes again before its next use.
   */
  forgetTemplates(): void {
    this.announcedAt.clear();
  }

  /** A new transport session (a TCP reconnect): sequence from 0, templates sent again before use. */
  resetSession(): void {
    this.pos = 0;
    this.setStart = -1;
    this.msgRecords = 0;
    this.msgDataRecords = 0;
    this.msgFlowRecords = 0;
    this.sequence = 0;
    this.emitted = 0;
    this.announcedAt.clear();
  }

  /** The statistics options record (and its template when not yet sent), in the open message. */
  writeStats(): void {
    if (this.due(STATS_TEMPLATE_ID)) this.announce(STATS_TEMPLATE_ID, () => this.statsTemplateBytes());
    const s = this.opt.stats();
    const len = 4 + 8 * 4;
    this.ensureRoom(SET_HEADER + len + 4);
    this.openSet(STATS_TEMPLATE_ID);
    const b = this.msg;
    b.writeUInt32BE(this.opt.domainId >>> 0, this.pos);
    writeU64(b, this.pos + 4, s.messages);
    writeU64(b, this.pos + 12, s.records);
    writeU64(b, this.pos + 20, s.recordsLost);
    writeU64(b, this.pos + 28, this.startMs);
    this.pos += len;
    this.msgRecords++;
    this.msgDataRecords++;
  }

  private addOne(r: FlowRecord): void {
    const t = this.templates.templateFor(r, this.values);
    const len = this.encodeRecord(t, this.values, this.scratch);
    if (this.due(t.id)) this.announce(t.id, () => this.templateSetBytes(t));
    if (this.setTemplate !== t.id || this.pos === 0) {
      this.ensureRoom(SET_HEADER + len + 3);
      this.openSet(t.id);
    } else if (this.pos + len + 3 > this.opt.targetBytes) {
      this.flush();
      this.ensureRoom(SET_HEADER + len + 3);
      this.openSet(t.id);
    }
    this.scratch.copy(this.msg, this.pos, 0, len);
    this.pos += len;
    this.msgRecords++;
    this.msgDataRecords++;
    this.msgFlowRecords++;
  }

  /** True when template `id` was never sent this session, or long enough ago to be sent again. */
  private due(id: number): boolean {
    const at = this.announcedAt.get(id);
    if (at === undefined) return true;
    return this.emitted - at.message >= this.opt.refreshMessages || this.opt.now() - at.ms >= this.opt.refreshMs;
  }

  /** The template set goes into the open message, before any data that uses it. */
  private announce(id: number, make: () => Buffer): void {
    let bytes = this.templateBytes.get(id);
    if (bytes === undefined) {
      bytes = make();
      this.templateBytes.set(id, bytes);
    }
    this.ensureRoom(bytes.length);
    this.closeSet();
    bytes.copy(this.msg, this.pos);
    this.pos += bytes.length;
    this.msgRecords++;
    // Counted from the message it goes in (emitted is the number of that message).
    this.announcedAt.set(id, { message: this.emitted, ms: this.opt.now() });
  }

  /** Starts a message when none is open; flushes first when `bytes` no longer fit (an empty message takes anything). */
  private ensureRoom(bytes: number): void {
    const headerBytes = this.v9 ? V9_HEADER : IPFIX_HEADER;
    if (this.pos !== 0 && this.pos + bytes > this.opt.targetBytes && this.pos > headerBytes) this.flush();
    if (this.pos === 0) {
      this.pos = headerBytes;
      this.setStart = -1;
      this.setTemplate = -1;
    }
  }

  private openSet(templateId: number): void {
    this.closeSet();
    this.setStart = this.pos;
    this.setTemplate = templateId;
    this.pos += SET_HEADER;
  }

  /** Ends the open set: v9 pads to 4 octets (RFC 3954 5.3); IPFIX needs no padding. */
  private closeSet(): void {
    if (this.setStart < 0) return;
    if (this.v9) while ((this.pos - this.setStart) % 4 !== 0) this.msg[this.pos++] = 0;
    this.msg.writeUInt16BE(this.setTemplate, this.setStart);
    this.msg.writeUInt16BE(this.pos - this.setStart, this.setStart + 2);
    this.setStart = -1;
    this.setTemplate = -1;
  }

  private writeHeader(): void {
    const b = this.msg;
    const now = this.opt.now();
    if (this.v9) {
      b.writeUInt16BE(9, 0);
      b.writeUInt16BE(this.msgRecords, 2);
      b.writeUInt32BE((now - this.startMs) >>> 0, 4);
      b.writeUInt32BE(Math.floor(now / 1000) >>> 0, 8);
      b.writeUInt32BE(this.sequence, 12);
      b.writeUInt32BE(this.opt.domainId >>> 0, 16);
    } else {
      b.writeUInt16BE(10, 0);
      b.writeUInt16BE(this.pos, 2);
      b.writeUInt32BE(Math.floor(now / 1000) >>> 0, 4);
      b.writeUInt32BE(this.sequence, 8);
      b.writeUInt32BE(this.opt.domainId >>> 0, 12);
    }
  }

  private templateSetBytes(t: Template): Buffer {
    const fields: number[] = [];
    let bytes = SET_HEADER + 4;
    for (let i = 0; i < t.elements.length; i++) {
      const e = t.elements[i];
      if (this.v9) {
        fields.push(e.v9Id, t.lengths[i]);
        bytes += 4;
      } else {
        fields.push(e.pen !== 0 ? e.id | 0x8000 : e.id, t.lengths[i]);
        if (e.pen !== 0) fields.push(-e.pen);
        bytes += e.pen !== 0 ? 8 : 4;
      }
    }
    const b = Buffer.alloc(bytes);
    b.writeUInt16BE(this.v9 ? V9_TEMPLATE_SET : IPFIX_TEMPLATE_SET, 0);
    b.writeUInt16BE(bytes, 2);
    b.writeUInt16BE(t.id, 4);
    b.writeUInt16BE(t.elements.length, 6);
    let p = 8;
    for (const f of fields) {
      if (f < 0) {
        b.writeUInt32BE(-f, p);
        p += 4;
      } else {
        b.writeUInt16BE(f, p);
        p += 2;
      }
    }
    return b;
  }

  private statsTemplateBytes(): Buffer {
    const v9 = this.v9;
    const n = STATS_FIELDS.length;
    // v9 pads the options template set to 4 octets (RFC 3954 6.1).
    const bytes = SET_HEADER + 6 + (n + 1) * 4 + (v9 ? 2 : 0);
    const b = Buffer.alloc(bytes);
    b.writeUInt16BE(v9 ? V9_OPTIONS_SET : IPFIX_OPTIONS_SET, 0);
    b.writeUInt16BE(bytes, 2);
    b.writeUInt16BE(STATS_TEMPLATE_ID, 4);
    // v9: scope and option lengths in octets; IPFIX (RFC 7011 3.4.2.2): field count and scope field count.
    b.writeUInt16BE(v9 ? 4 : n + 1, 6);
    b.writeUInt16BE(v9 ? n * 4 : 1, 8);
    b.writeUInt16BE(v9 ? V9_SCOPE_SYSTEM : STATS_SCOPE.id, 10);
    b.writeUInt16BE(STATS_SCOPE.length, 12);
    let p = 14;
    for (const f of STATS_FIELDS) {
      b.writeUInt16BE(f.id, p);
      b.writeUInt16BE(f.length, p + 2);
      p += 4;
    }
    return b;
  }

  /** Writes one data record with template `t` into `b` from offset 0; returns its length. */
  private encodeRecord(t: Template, values: readonly unknown[], b: Buffer): number {
    let p = 0;
    for (let i = 0; i < t.elements.length; i++) {
      const e = t.elements[i];
      const v = values[t.indexes[i]];
      const length = t.lengths[i];
      switch (e.type) {
        case IeType.U8:
        case IeType.U16:
        case IeType.U32:
          b.writeUIntBE(toUint(v, length), p, length);
          p += length;
          break;
        case IeType.U64:
          writeU64(b, p, typeof v === 'number' && v >= 0 ? v : 0);
          p += 8;
          break;
        case IeType.Ipv4:
          writeIpv4Text(typeof v === 'string' ? v : '', b, p);
          p += 4;
          break;
        case IeType.Ipv6:
          writeIpv6Text(typeof v === 'string' ? v : '', b, p);
          p += 16;
          break;
        case IeType.Mac:
          writeMacText(typeof v === 'string' ? v : '', b, p);
          p += 6;
          break;
        case IeType.String:
          p = this.v9 ? writeFixedText(b, p, textOf(v), length) : writeVariableText(b, p, textOf(v));
          break;
      }
    }
    return p;
  }
}

function textOf(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/** A number that fits `length` octets (a larger one is saturated, not wrapped). */
function toUint(v: unknown, length: number): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || n < 0) return 0;
  const max = 2 ** (8 * length) - 1;
  return n > max ? max : Math.floor(n);
}

export function writeU64(b: Buffer, p: number, v: number): void {
  const hi = Math.floor(v / 4294967296);
  b.writeUInt32BE(hi >>> 0, p);
  b.writeUInt32BE((v - hi * 4294967296) >>> 0, p + 4);
}

// Buffer.write never writes part of a character: text that does not fit is cut at a UTF-8 boundary.

/** v9: fixed length, zero padded (RFC 3954 has no variable-length fields). */
function writeFixedText(b: Buffer, p: number, text: string, length: number): number {
  const n = b.write(text, p, length, 'utf8');
  b.fill(0, p + n, p + length);
  return p + length;
}

/** IPFIX variable length (RFC 7011 7): one length octet below 255, else 255 and two octets. */
function writeVariableText(b: Buffer, p: number, text: string): number {
  if (text.length < 85) {
    // At most 3 bytes per UTF-16 unit: fits the one-octet form.
    const n = b.write(text, p + 1, 254, 'utf8');
    b[p] = n;
    return p + 1 + n;
  }
  const n = b.write(text, p + 3, MAX_IPFIX_TEXT, 'utf8');
  if (n < 255) {
    b[p] = n;
    b.copy(b, p + 1, p + 3, p + 3 + n);
    return p + 1 + n;
  }
  b[p] = 255;
  b.writeUInt16BE(n, p + 1);
  return p + 3 + n;
}

/** The other direction of a biflow as its own one-way record (v9 has no RFC 5103 biflows). */
export function reverseOf(r: FlowRecord): FlowRecord {
  const out: FlowRecord = {
    ...r,
    sourceTransportPort: r.destinationTransportPort,
    destinationTransportPort: r.sourceTransportPort,
    packetDeltaCount: r.reversePacketDeltaCount,
    octetDeltaCount: r.reverseOctetDeltaCount,
    layer2OctetDeltaCount: r.reverseLayer2OctetDeltaCount,
    reversePacketDeltaCount: 0,
    reverseOctetDeltaCount: 0,
    reverseLayer2OctetDeltaCount: 0,
  };
  if (r.sourceIPv4Address !== undefined) {
    out.sourceIPv4Address = r.destinationIPv4Address;
    out.destinationIPv4Address = r.sourceIPv4Address;
  } else {
    out.sourceIPv6Address = r.destinationIPv6Address;
    out.destinationIPv6Address = r.sourceIPv6Address;
  }
  if (r.sourceMacAddress !== undefined) {
    out.sourceMacAddress = r.destinationMacAddress;
    out.destinationMacAddress = r.sourceMacAddress;
  }
  if (r.tcpControlBits !== undefined) out.tcpControlBits = r.reverseTcpControlBits;
  return out;
}
