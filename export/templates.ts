import type { FlowRecord } from './flow-record';
import { ELEMENTS, InformationElement, IeType, V9Use } from './information-elements';

export type ExportFormat = 'v9' | 'ipfix';

/** A data template: the elements a group of records share, in catalogue order. */
export interface Template {
  readonly id: number;
  readonly elements: readonly InformationElement[];
  /** Catalogue index of each element (where templateFor put its value). */
  readonly indexes: readonly number[];
  /** Octets of each element in v9 (text is fixed length there); 0xffff (variable) for IPFIX text. */
  readonly lengths: readonly number[];
}

/**
 * v9 has no variable-length fields: text goes in the smallest of these
 * lengths that holds it (longer text is cut at the last), so a short host
 * name does not carry 256 bytes of padding. Each size is its own template.
 */
export const V9_TEXT_LENGTHS = [16, 32, 64, 128, 256];

function v9TextBucket(text: unknown): number {
  const n = typeof text === 'string' ? Buffer.byteLength(text) : 0;
  let i = 0;
  while (i < V9_TEXT_LENGTHS.length - 1 && V9_TEXT_LENGTHS[i] < n) i++;
  return i;
}

/** Template ids 0-255 are set ids (RFC 3954 5.2, RFC 7011 3.3.2): the statistics options template is 256, data templates follow. */
export const STATS_TEMPLATE_ID = 256;
const FIRST_DATA_TEMPLATE_ID = 257;

/**
 * Past this many distinct element sets, records fall back to the core
 * template (addresses, ports, counters, times): a bound on template state at
 * the exporter and at every collector, whatever the traffic.
 */
export const MAX_TEMPLATES = 1024;

/** Elements every record has (the JSON record always carries them). */
const CORE_FIELDS = new Set([
  'flowId', 'sourceIPv4Address', 'destinationIPv4Address', 'sourceIPv6Address', 'destinationIPv6Address',
  'sourceTransportPort', 'destinationTransportPort', 'protocolIdentifier', 'ipVersion', 'vlanId',
  'packetDeltaCount', 'octetDeltaCount', 'layer2OctetDeltaCount',
  'reversePacketDeltaCount', 'reverseOctetDeltaCount', 'reverseLayer2OctetDeltaCount',
  'flowStartMilliseconds', 'flowEndMilliseconds', 'flowEndReason',
]);

/**
 * The templates of one exporting session: a record's template is the set of
 * catalogue elements it has values for (v9 leaves out the reverse elements),
 * named by a bit mask, created on first use.
 */
export class TemplateRegistry {
  private readonly byKey = new Map<string, Template>();
  private readonly ordered: Template[] = [];
  /** Records exported with the core template because MAX_TEMPLATES was reached. */
  trimmed = 0;

  constructor(readonly format: ExportFormat) {}

  get all(): readonly Template[] {
    return this.ordered;
  }

  /**
   * The record's template; `values` receives every catalogue element's value
   * (by catalogue index), so the encoder reads each field once.
   */
  templateFor(r: FlowRecord, values: unknown[]): Template {
    for (let i = 0; i < ELEMENTS.length; i++) values[i] = ELEMENTS[i].get(r);
    let key = this.key(values, false);
    let t = this.byKey.get(key);
    if (t !== undefined) return t;
    if (this.ordered.length >= MAX_TEMPLATES) {
      this.trimmed++;
      key = this.key(values, true);
      t = this.byKey.get(key);
      if (t !== undefined) return t;
    }
    return this.add(key, values);
  }

  /** Which elements the record has (a bit mask) and, in v9, the length class of each text. */
  private key(values: readonly unknown[], coreOnly: boolean): string {
    const v9 = this.format === 'v9';
    let mask = 0;
    let bit = 1;
    let lengths = 0;
    for (let i = 0; i < ELEMENTS.length; i++, bit *= 2) {
      const e = ELEMENTS[i];
      if (v9 && e.v9 === V9Use.IpfixOnly) continue;
      if (coreOnly && !CORE_FIELDS.has(e.field)) continue;
      const v = values[i];
      if (v === undefined) continue;
      mask += bit;
      if (v9 && e.type === IeType.String) lengths = lengths * V9_TEXT_LENGTHS.length + v9TextBucket(v);
    }
    return v9 ? `${mask}/${lengths}` : `${mask}`;
  }

  private add(key: string, values: readonly unknown[]): Template {
    const mask = Number(key.split('/')[0]);
    const elements: InformationElement[] = [];
    const indexes: number[] = [];
    const lengths: number[] = [];
    let rest = mask;
    for (let i = 0; i < ELEMENTS.length && rest > 0; i++) {
      if (rest % 2 === 1) {
        const e = ELEMENTS[i];
        elements.push(e);
        indexes.push(i);
        if (e.type !== IeType.String) lengths.push(this.format === 'v9' ? e.v9Length : e.length);
        else lengths.push(this.format === 'v9' ? V9_TEXT_LENGTHS[v9TextBucket(values[i])] : 0xffff);
      }
      rest = Math.floor(rest / 2);
    }
    const t: Template = { id: FIRST_DATA_TEMPLATE_ID + this.ordered.length, elements, indexes, lengths };
    this.byKey.set(key, t);
    this.ordered.push(t);
    return t;
  }
}

/** True when the element is a variable-length field in IPFIX. */
export function isVariableLength(e: InformationElement): boolean {
  return e.type === IeType.String;
}
