import type { Flow } from '../cache/flow';
import type { KbOp } from '../cache/kb-updates';
import { ipv6Text } from '../export/address-text';
import type { SipMessage } from './sip';

/** Calls kept at once; past it the oldest call is forgotten (its key ages out by TTL). */
const MAX_CALLS = 20_000;

interface Call {
  id: string;
  key: string;
  /** Media endpoints of the call, as index keys (see mediaKey*). */
  media: Array<number | string>;
  mediaText: string[];
  established: boolean;
}

/**
 * SIP calls and the media they set up (cross-flow correlation, as the
 * microCloud design intends): an INVITE or its answer announces media
 * endpoints in SDP; the RTP and RTCP flows that show up later on those
 * endpoints carry the call's Call-ID. The call is in the knowledge base as
 * sip.call.<Call-ID> while it lasts (from INVITE to BYE, CANCEL or a failed
 * final answer); media flows keep the key alive (kb-builder refreshes it).
 *
 * The index is numeric for IPv4 (address * 65536 + port), so matching a new
 * UDP flow against it builds no string.
 */
export class SipCalls {
  private readonly calls = new Map<string, Call>();
  private readonly mediaV4 = new Map<number, Call>();
  private readonly mediaV6 = new Map<string, Call>();
  callsStarted = 0;
  callsEnded = 0;

  constructor(private readonly emit: (op: KbOp) => void) {}

  get active(): number {
    return this.calls.size;
  }

  get hasMedia(): boolean {
    return this.mediaV4.size > 0 || this.mediaV6.size > 0;
  }

  /**
   * A message of a SIP flow another pipeline worker keeps: the call table
   * learns the call and its media (RTP here gets its Call-ID) but writes no
   * key and counts nothing; that worker does.
   */
  messageQuietly(m: SipMessage, nowUs: number): void {
    this.quiet = true;
    try {
      this.message(m, nowUs);
    } finally {
      this.quiet = false;
    }
  }

  private quiet = false;

  private out(op: KbOp): void {
    if (!this.quiet) this.emit(op);
  }

  message(m: SipMessage, nowUs: number): void {
    const callId = m.callId;
    if (callId === null) return;
    const isInvite = m.isRequest ? m.method === 'INVITE' : m.cseqMethod === 'INVITE';
    if (m.isRequest && (m.method === 'BYE' || m.method === 'CANCEL')) {
      this.end(callId);
      return;
    }
    if (!isInvite) return;
    // A failed INVITE (final answer >= 300) ends the attempt; a failed re-INVITE of an
    // established call leaves the dialog as it was (RFC 3261 14.1).
    if (!m.isRequest && m.statusCode >= 300) {
      if (this.calls.get(callId)?.established !== true) this.end(callId);
      return;
    }
    let call = this.calls.get(callId);
    const key = `sip.call.${callId}`;
    if (call === undefined) {
      if (!m.isRequest) {
        // An answer whose INVITE was not seen still sets up media.
        if (m.media.length === 0) return;
      }
      if (this.calls.size >= MAX_CALLS) this.forgetOldest();
      call = { id: callId, key, media: [], mediaText: [], established: false };
      this.calls.set(callId, call);
      if (!this.quiet) this.callsStarted++;
      this.out(['hset', key, 'since', Math.floor(nowUs / 1e6)]);
      if (m.fromUri !== null) this.out(['hset', key, 'from', m.fromUri]);
      if (m.toUri !== null) this.out(['hset', key, 'to', m.toUri]);
      this.out(['hset', key, 'state', 'calling']);
    }
    if (!m.isRequest && m.statusCode >= 200 && !call.established) {
      call.established = true;
      this.out(['hset', key, 'state', 'established']);
    }
    let added = false;
    for (const media of m.media) {
      if (media.address === null || media.port === 0) continue;
      // RTP on the announced port, RTCP on the next one (RFC 3550 11).
      for (const port of [media.port, media.port + 1]) {
        const text = media.address.includes(':') ? canonicalV6(media.address) : media.address;
        if (text === null) continue;
        const index = mediaKeyText(text, port);
        if (index === null || call.media.includes(index)) continue;
        call.media.push(index);
        if (port === media.port) call.mediaText.push(`${text.includes(':') ? `[${text}]` : text}:${port}`);
        if (typeof index === 'number') this.mediaV4.set(index, call);
        else this.mediaV6.set(index, call);
        added = true;
      }
    }
    if (added) this.out(['hset', key, 'media', call.mediaText.join(' ')]);
  }

  /** Call-ID of the call whose SDP announced either endpoint of this flow, or null. */
  callOfFlow(flow: Flow): string | null {
    if (flow.ipVersion === 4) {
      if (this.mediaV4.size === 0) return null;
      const c = this.mediaV4.get(flow.dst3 * 65536 + flow.dstPort) ?? this.mediaV4.get(flow.src3 * 65536 + flow.srcPort);
      return c?.id ?? null;
    }
    if (this.mediaV6.size === 0) return null;
    const dst = `${ipv6Text(flow.dst0, flow.dst1, flow.dst2, flow.dst3)}/${flow.dstPort}`;
    const src = `${ipv6Text(flow.src0, flow.src1, flow.src2, flow.src3)}/${flow.srcPort}`;
    const c = this.mediaV6.get(dst) ?? this.mediaV6.get(src);
    return c?.id ?? null;
  }

  /** Is the call still going (its key still in the knowledge base)? */
  isActive(callId: string): boolean {
    return this.calls.has(callId);
  }

  private end(callId: string): void {
    const call = this.calls.get(callId);
    if (call === undefined) return;
    this.drop(call);
    this.callsEnded++;
    this.out(['del', call.key]);
  }

  private drop(call: Call): void {
    this.calls.delete(call.id);
    for (const index of call.media) {
      if (typeof index === 'number') {
        if (this.mediaV4.get(index) === call) this.mediaV4.delete(index);
      } else if (this.mediaV6.get(index) === call) {
        this.mediaV6.delete(index);
      }
    }
  }

  private forgetOldest(): void {
    const oldest = this.calls.values().next();
    if (!oldest.done) this.drop(oldest.value);
  }
}

/** IPv4 endpoints as a number, IPv6 ones as canonical text with the port. */
function mediaKeyText(address: string, port: number): number | string | null {
  if (port <= 0 || port > 65535) return null;
  if (address.includes(':')) return `${address}/${port}`;
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  let word = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    word = word * 256 + n;
  }
  return word * 65536 + port;
}

/** RFC 5952 text of an IPv6 address as SDP wrote it (the form flows are printed in), null if invalid. */
function canonicalV6(text: string): string | null {
  try {
    const host = new URL(`http://[${text}]/`).hostname;
    const words = v6Words(host.slice(1, -1));
    return words === null ? null : ipv6Text(words[0], words[1], words[2], words[3]);
  } catch {
    return null;
  }
}

/** Words of an already-normalised (WHATWG URL) IPv6 text: hex groups, at most one '::'. */
function v6Words(text: string): number[] | null {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null];
  const h = head === '' ? [] : head.split(':');
  const t = tail === null || tail === '' ? [] : tail.split(':');
  const groups = tail === null ? h : [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) return null;
  const g = groups.map((x) => parseInt(x, 16));
  if (g.some((x) => !(x >= 0 && x <= 0xffff))) return null;
  return [((g[0] << 16) | g[1]) >>> 0, ((g[2] << 16) | g[3]) >>> 0, ((g[4] << 16) | g[5]) >>> 0, ((g[6] << 16) | g[7]) >>> 0];
}
