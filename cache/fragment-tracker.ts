import { DecodedPacket } from '../capture/decoded-packet';
import { Flow } from './flow';
import { endpointHash } from './flow-hash';

const SLOTS = 8192; // power of two
const KEY_WORDS = 10; // 8 address words, id, version<<8 | protocol
/** A first fragment is remembered this long (RFC 791 suggests 15 s upper bound of reassembly). */
const LIFETIME_US = 30e6;

/**
 * Attributes later IP fragments (which carry no transport header) to the flow
 * of their first fragment through the fragment id, without reassembling.
 * A fixed table of typed arrays: no allocation, bounded memory; a collision
 * simply replaces the older entry.
 */
export class FragmentTracker {
  private readonly keys = new Uint32Array(SLOTS * KEY_WORDS);
  private readonly flows: (Flow | null)[] = new Array<Flow | null>(SLOTS).fill(null);
  private readonly flowIds = new Float64Array(SLOTS);
  private readonly times = new Float64Array(SLOTS);
  private readonly forward = new Uint8Array(SLOTS);
  private readonly outer = new Uint8Array(SLOTS);
  private readonly owner = new Uint8Array(SLOTS);
  /**
   * 1: the first fragment was seen; 2: only later fragments so far (orphans,
   * counted in a port-less flow); 3: the first fragment went to pipeline
   * worker owner[slot] (the distributor's table, several workers).
   */
  private readonly kind = new Uint8Array(SLOTS);
  private readonly orphanPackets = new Float64Array(SLOTS);
  private readonly orphanIpBytes = new Float64Array(SLOTS);
  private readonly orphanL2Bytes = new Float64Array(SLOTS);

  /** Set by lookup(): direction of the matched fragment relative to the flow. */
  foundForward = true;
  /**
   * Set by lookup(): the fragmented header was a tunnel's outer header, so the
   * inner packet was already counted whole with the first fragment.
   */
  foundOuter = false;

  private slot(p: DecodedPacket): number {
    const h = endpointHash(p.fragmentAddr, 0, p.fragmentId & 0xffff) ^ endpointHash(p.fragmentAddr, 4, p.fragmentId >>> 16);
    return (h ^ p.fragmentProtocol) & (SLOTS - 1);
  }

  private matches(slot: number, p: DecodedPacket): boolean {
    const k = this.keys;
    const base = slot * KEY_WORDS;
    const a = p.fragmentAddr;
    for (let i = 0; i < 8; i++) if (k[base + i] !== a[i]) return false;
    return k[base + 8] === p.fragmentId >>> 0 && k[base + 9] === ((p.fragmentIpVersion << 8) | p.fragmentProtocol);
  }

  private claim(p: DecodedPacket): number {
    const slot = this.slot(p);
    const base = slot * KEY_WORDS;
    this.keys.set(p.fragmentAddr, base);
    this.keys[base + 8] = p.fragmentId >>> 0;
    this.keys[base + 9] = (p.fragmentIpVersion << 8) | p.fragmentProtocol;
    return slot;
  }

  /** Remembers the flow that the first fragment of `p` went to. */
  remember(p: DecodedPacket, flow: Flow, forward: boolean, nowUs: number): void {
    const slot = this.claim(p);
    this.kind[slot] = 1;
    this.flows[slot] = flow;
    this.flowIds[slot] = flow.id;
    this.times[slot] = nowUs;
    this.forward[slot] = forward ? 1 : 0;
    this.outer[slot] = p.fragmentIsOuter ? 1 : 0;
  }

  /**
   * Records a later fragment that arrived before its first fragment: it was
   * counted in a port-less flow, from which the first fragment can reclaim it.
   */
  rememberOrphan(p: DecodedPacket, flow: Flow, nowUs: number): void {
    let slot = this.slot(p);
    if (this.kind[slot] !== 2 || this.flows[slot] !== flow || this.flowIds[slot] !== flow.id || !this.matches(slot, p)) {
      slot = this.claim(p);
      this.kind[slot] = 2;
      this.flows[slot] = flow;
      this.flowIds[slot] = flow.id;
      this.orphanPackets[slot] = 0;
      this.orphanIpBytes[slot] = 0;
      this.orphanL2Bytes[slot] = 0;
    }
    this.times[slot] = nowUs;
    this.orphanPackets[slot]++;
    this.orphanIpBytes[slot] += p.ipLength;
    this.orphanL2Bytes[slot] += p.wireLength;
  }

  /** Set by takeOrphans(): what the orphans of the fragment added to their port-less flow. */
  orphanPacketsFound = 0;
  orphanIpBytesFound = 0;
  orphanL2BytesFound = 0;

  /** The live port-less flow holding earlier orphans of this first fragment, or null. */
  takeOrphans(p: DecodedPacket): Flow | null {
    const slot = this.slot(p);
    const flow = this.flows[slot];
    if (flow === null || this.kind[slot] !== 2 || !this.matches(slot, p)) return null;
    this.flows[slot] = null;
    if (flow.id !== this.flowIds[slot] || !flow.inTable) return null;
    this.orphanPacketsFound = this.orphanPackets[slot];
    this.orphanIpBytesFound = this.orphanIpBytes[slot];
    this.orphanL2BytesFound = this.orphanL2Bytes[slot];
    return flow;
  }

  /** The first fragment of `p` went to pipeline worker `owner` (several workers). */
  rememberOwner(p: DecodedPacket, owner: number, nowUs: number): void {
    const slot = this.claim(p);
    this.kind[slot] = 3;
    this.flows[slot] = null;
    this.owner[slot] = owner;
    this.times[slot] = nowUs;
  }

  /** The worker the first fragment of later fragment `p` went to (rememberOwner), or -1 if unknown. */
  ownerOf(p: DecodedPacket, nowUs: number): number {
    const slot = this.slot(p);
    return this.kind[slot] === 3 && this.times[slot] + LIFETIME_US >= nowUs && this.matches(slot, p) ? this.owner[slot] : -1;
  }

  /** The live flow of the first fragment of `p`, or null if unknown or gone. */
  lookup(p: DecodedPacket, nowUs: number): Flow | null {
    const slot = this.slot(p);
    const flow = this.flows[slot];
    if (flow === null || this.kind[slot] !== 1 || !this.matches(slot, p)) return null;
    if (flow.id !== this.flowIds[slot] || !flow.inTable || this.times[slot] + LIFETIME_US < nowUs) {
      this.flows[slot] = null;
      return null;
    }
    this.foundForward = this.forward[slot] === 1;
    this.foundOuter = this.outer[slot] === 1;
    return flow;
  }
}
