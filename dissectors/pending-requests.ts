/**
 * Requests waiting for their response, keyed by a sub-flow id (RADIUS
 * identifier, GTP sequence number, within a flow). Bounded in number and in
 * age: a lost response or a flood of requests cannot grow it without limit.
 */
export class PendingRequests<T> {
  /** Insertion order = age order: the oldest entries are at the front. */
  private readonly entries = new Map<string, { value: T; atUs: number }>();
  dropped = 0;

  constructor(private readonly max: number, private readonly ttlUs: number) {}

  get size(): number {
    return this.entries.size;
  }

  add(key: string, value: T, nowUs: number): void {
    // A retransmission replaces the earlier copy and becomes the youngest.
    this.entries.delete(key);
    this.entries.set(key, { value, atUs: nowUs });
    this.prune(nowUs);
  }

  /** The request answered by this response, removed; undefined if unknown or too old. */
  take(key: string, nowUs: number): T | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    this.entries.delete(key);
    return nowUs - e.atUs <= this.ttlUs ? e.value : undefined;
  }

  private prune(nowUs: number): void {
    for (const [key, e] of this.entries) {
      if (this.entries.size <= this.max && nowUs - e.atUs <= this.ttlUs) break;
      this.entries.delete(key);
      this.dropped++;
    }
  }
}
