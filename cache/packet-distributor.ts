import type { PacketSink } from '../capture/capture-file';
import { DecodedPacket, DecodeStatus } from '../capture/decoded-packet';
import { PacketDecoder } from '../capture/decoder';
import { PacketRing, RingRecord } from '../capture/packet-ring';
import { isSignallingPort } from '../dissectors/signalling';
import { SIP_PORTS } from '../dissectors/sip';
import { FragmentTracker } from './fragment-tracker';
import { EXPIRY_STEP_US } from './packet-pipeline';

const IPPROTO_UDP = 17;
const SIP_PORT = SIP_PORTS[0];
/**
 * Packet time between two Time records to every worker: the pipeline's own
 * expiry step, so each worker expires its flows at the moments one pipeline
 * given every packet would, and a worker with a quiet share still times out.
 */
const TIME_STEP_US = EXPIRY_STEP_US;
/** The frame of a record that has none (Time, Tick). */
const NO_FRAME = new Uint8Array(0);

/** UDP every worker reads: RADIUS and GTP-C (each worker knows every subscriber) and SIP (RTP anywhere finds its call). */
function readByEveryWorker(p: DecodedPacket): boolean {
  if (p.protocol !== IPPROTO_UDP || p.payloadLength === 0) return false;
  const sp = p.srcPort;
  const dp = p.dstPort;
  return isSignallingPort(sp) || isSignallingPort(dp) || sp === SIP_PORT || dp === SIP_PORT;
}

/**
 * Several pipeline workers: reads each packet once, decodes it once to find
 * its owner, and puts it in that worker's ring. The owner is a symmetric
 * hash of the address pair (both directions meet), of the inner addresses
 * for tunnels (a GTP-U subscriber's flows stay together), without ports (IP
 * fragments stay with their first). A later fragment goes where its first
 * fragment went; signalling goes to every worker besides.
 */
export class PacketDistributor {
  private readonly decoder: PacketDecoder;
  private readonly packet = new DecodedPacket();
  private readonly fragments = new FragmentTracker();
  /** The latest packet time so far: one pipeline's clock (packet-pipeline.ts `now`). */
  private clockUs = 0;
  private nextTimeUs = 0;

  constructor(private readonly rings: PacketRing[], decap: number) {
    this.decoder = new PacketDecoder(decap);
  }

  readonly onPacket: PacketSink = (buf, off, capLen, wireLen, tsMicros, linkType) => {
    const rings = this.rings;
    // Records carry the clock, not their own time: a pipeline's time never goes
    // back, so each worker sees the time one pipeline would at that packet.
    if (tsMicros > this.clockUs) this.clockUs = tsMicros;
    tsMicros = this.clockUs;
    if (tsMicros >= this.nextTimeUs) {
      this.nextTimeUs = tsMicros + TIME_STEP_US;
      this.toEvery(RingRecord.Time, tsMicros);
    }
    const p = this.packet;
    if (this.decoder.decode(buf, off, capLen, wireLen, linkType, p) !== DecodeStatus.Ok) {
      // What no flow takes is counted once, by the first worker.
      rings[0].push(RingRecord.Packet, buf, off, capLen, wireLen, tsMicros, linkType);
      return;
    }
    const owner = this.owner(p, tsMicros);
    rings[owner].push(RingRecord.Packet, buf, off, capLen, wireLen, tsMicros, linkType);
    if (readByEveryWorker(p)) {
      for (let i = 0; i < rings.length; i++) if (i !== owner) rings[i].push(RingRecord.Foreign, buf, off, capLen, wireLen, tsMicros, linkType);
    }
  };

  /** Wall-clock time on a live link: every worker expires and flushes as on a quiet link. */
  tick(nowUs: number): void {
    this.toEvery(RingRecord.Tick, nowUs);
    this.publish();
  }

  /** What was pushed becomes visible to the workers. */
  publish(): void {
    for (const r of this.rings) r.publish();
  }

  /** No more packets: each worker ends once it has read its ring. */
  close(): void {
    for (const r of this.rings) r.close();
  }

  private toEvery(kind: RingRecord, tsMicros: number): void {
    for (const r of this.rings) r.push(kind, NO_FRAME, 0, 0, 0, tsMicros, 0);
  }

  private owner(p: DecodedPacket, nowUs: number): number {
    if (p.isLaterFragment) {
      const first = this.fragments.ownerOf(p, nowUs);
      return first >= 0 ? first : this.hashOwner(p.fragmentAddr);
    }
    const owner = this.hashOwner(p.addr);
    if (p.isFragment) this.fragments.rememberOwner(p, owner, nowUs);
    return owner;
  }

  private hashOwner(a: Uint32Array): number {
    let h = (a[0] ^ a[4]) + (a[1] ^ a[5]) * 3 + (a[2] ^ a[6]) * 5 + (a[3] ^ a[7]);
    h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
    h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
    h ^= h >>> 16;
    return (h >>> 0) % this.rings.length;
  }
}
