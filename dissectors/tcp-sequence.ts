/**
 * In-order delivery for TCP stream dissectors (HTTP, TLS, DNS over TCP).
 *
 * A probe sees retransmissions, overlapping segments and losses; a stream
 * parser fed every segment's payload as-is would read a retransmitted
 * request twice or splice two unrelated pieces together. This tracks the next
 * expected sequence number of one direction and tells the dissector which
 * part of a segment is new. It does not buffer out-of-order data: a segment
 * past the expected number is a gap, and the dissector resynchronises (drops
 * the message in progress and waits for the next one to start).
 */

/** What to do with a segment's payload. */
export const enum SegmentVerdict {
  /** Nothing new in it (a retransmission or a keep-alive): skip it. */
  Old = -1,
  /** Bytes are missing before it: resynchronise, then use it from `skip` = 0. */
  Gap = -2,
}

const SEQ_MOD = 0x1_0000_0000;

/** a - b modulo 2^32, as a signed 32-bit distance (RFC 793 sequence arithmetic). */
export function seqDistance(a: number, b: number): number {
  return ((a - b) | 0);
}

export class TcpSequence {
  /** Next expected sequence number, -1 before the first payload. */
  next = -1;

  /**
   * A segment with `len` payload bytes starting at sequence `seq`: returns how
   * many leading bytes were already delivered (0..len-1), SegmentVerdict.Old
   * when none is new, SegmentVerdict.Gap when bytes before it are missing.
   * `syn` segments consume one sequence number themselves.
   */
  accept(seq: number, len: number, syn = false): number {
    if (syn) seq = (seq + 1) % SEQ_MOD;
    if (len === 0) {
      if (this.next < 0 && syn) this.next = seq;
      return SegmentVerdict.Old;
    }
    if (this.next < 0) {
      this.next = (seq + len) % SEQ_MOD;
      return 0;
    }
    const d = seqDistance(seq, this.next);
    if (d > 0) {
      this.next = (seq + len) % SEQ_MOD;
      return SegmentVerdict.Gap;
    }
    if (d + len <= 0) return SegmentVerdict.Old;
    this.next = (seq + len) % SEQ_MOD;
    return -d;
  }
}
