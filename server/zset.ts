// Sorted set: a member->score map plus a skiplist ordered by (score, member)
// with spans for O(log n) rank queries, as Redis's t_zset.c.

const MAX_LEVEL = 32;
const P = 0.25;

class ZNode {
  forward: (ZNode | null)[];
  span: number[];
  backward: ZNode | null = null;
  constructor(public score: number, public member: string, level: number) {
    this.forward = new Array(level).fill(null);
    this.span = new Array(level).fill(0);
  }
}

function randomLevel(): number {
  let l = 1;
  while (l < MAX_LEVEL && Math.random() < P) l++;
  return l;
}

/** Lower-than in skiplist order. */
function lt(s1: number, m1: string, s2: number, m2: string): boolean {
  return s1 < s2 || (s1 === s2 && m1 < m2);
}

export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

function gteMin(v: number, r: ScoreRange): boolean {
  return r.minex ? v > r.min : v >= r.min;
}
function lteMax(v: number, r: ScoreRange): boolean {
  return r.maxex ? v < r.max : v <= r.max;
}

export class ZSet {
  readonly dict = new Map<string, number>();
  private head = new ZNode(0, '', MAX_LEVEL);
  private tail: ZNode | null = null;
  private level = 1;

  get size(): number {
    return this.dict.size;
  }

  score(member: string): number | undefined {
    return this.dict.get(member);
  }

  /** Adds or updates a member. */
  set(member: string, score: number): void {
    const cur = this.dict.get(member);
    if (cur === undefined) {
      this.insert(score, member);
      this.dict.set(member, score);
    } else if (cur !== score) {
      this.delete(cur, member);
      this.insert(score, member);
      this.dict.set(member, score);
    }
  }

  remove(member: string): boolean {
    const cur = this.dict.get(member);
    if (cur === undefined) return false;
    this.delete(cur, member);
    this.dict.delete(member);
    return true;
  }

  private insert(score: number, member: string): void {
    const update: ZNode[] = new Array(MAX_LEVEL);
    const rank: number[] = new Array(MAX_LEVEL);
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1];
      let f = x.forward[i];
      while (f && lt(f.score, f.member, score, member)) {
        rank[i] += x.span[i];
        x = f;
        f = x.forward[i];
      }
      update[i] = x;
    }
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.head;
        update[i].span[i] = this.dict.size; // length before insertion
      }
      this.level = level;
    }
    const n = new ZNode(score, member, level);
    for (let i = 0; i < level; i++) {
      n.forward[i] = update[i].forward[i];
      update[i].forward[i] = n;
      n.span[i] = update[i].span[i] - (rank[0] - rank[i]);
      update[i].span[i] = rank[0] - rank[i] + 1;
    }
    for (let i = level; i < this.level; i++) update[i].span[i]++;
    n.backward = update[0] === this.head ? null : update[0];
    if (n.forward[0]) n.forward[0].backward = n;
    else this.tail = n;
  }

  private delete(score: number, member: string): void {
    const update: ZNode[] = new Array(MAX_LEVEL);
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.forward[i];
      while (f && lt(f.score, f.member, score, member)) {
        x = f;
        f = x.forward[i];
      }
      update[i] = x;
    }
    const n = x.forward[0];
    if (!n || n.score !== score || n.member !== member) return;
    for (let i = 0; i < this.level; i++) {
      if (update[i].forward[i] === n) {
        update[i].span[i] += n.span[i] - 1;
        update[i].forward[i] = n.forward[i];
      } else {
        update[i].span[i] -= 1;
      }
    }
    if (n.forward[0]) n.forward[0].backward = n.backward;
    else this.tail = n.backward;
    while (this.level > 1 && this.head.forward[this.level - 1] === null) this.level--;
  }

  /** 0-based rank of a member in ascending order, or -1. */
  rank(member: string): number {
    const score = this.dict.get(member);
    if (score === undefined) return -1;
    let r = 0;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.forward[i];
      while (f && (lt(f.score, f.member, score, member) || (f.score === score && f.member === member))) {
        r += x.span[i];
        x = f;
        f = x.forward[i];
      }
      if (x !== this.head && x.member === member) return r - 1;
    }
    return -1;
  }

  /** Node at 0-based rank. */
  private byRank(rank: number): ZNode | null {
    let traversed = 0;
    let x = this.head;
    const target = rank + 1;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.forward[i] && traversed + x.span[i] <= target) {
        traversed += x.span[i];
        x = x.forward[i] as ZNode;
      }
      if (traversed === target) return x;
    }
    return null;
  }

  /** Members with scores for ranks start..end (inclusive, already clamped), ascending or descending. */
  rangeByRank(start: number, end: number, rev: boolean, out: (member: string, score: number) => void): void {
    const n = this.size;
    let x = rev ? this.byRank(n - 1 - start) : this.byRank(start);
    for (let k = start; k <= end && x; k++) {
      out(x.member, x.score);
      x = rev ? x.backward : x.forward[0];
    }
  }

  private firstInRange(r: ScoreRange): ZNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.forward[i];
      while (f && !gteMin(f.score, r)) {
        x = f;
        f = x.forward[i];
      }
    }
    const n = x.forward[0];
    if (!n || !lteMax(n.score, r)) return null;
    return n;
  }

  private lastInRange(r: ScoreRange): ZNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.forward[i];
      while (f && lteMax(f.score, r)) {
        x = f;
        f = x.forward[i];
      }
    }
    if (x === this.head || !gteMin(x.score, r)) return null;
    return x;
  }

  /**
   * Members in a score range (ascending, or descending with rev), skipping
   * `offset` and returning at most `limit` (limit < 0: no limit) — Redis's
   * genericZrangebyscoreCommand.
   */
  rangeByScore(r: ScoreRange, rev: boolean, offset: number, limit: number, out: (member: string, score: number) => void): void {
    if (r.min > r.max || (r.min === r.max && (r.minex || r.maxex))) return;
    if (offset < 0) return;
    let x = rev ? this.lastInRange(r) : this.firstInRange(r);
    while (x && offset > 0) {
      x = rev ? x.backward : x.forward[0];
      offset--;
    }
    while (x && limit !== 0) {
      if (rev ? !gteMin(x.score, r) : !lteMax(x.score, r)) break;
      out(x.member, x.score);
      limit--;
      x = rev ? x.backward : x.forward[0];
    }
  }

  *[Symbol.iterator](): IterableIterator<[string, number]> {
    let x = this.head.forward[0];
    while (x) {
      yield [x.member, x.score];
      x = x.forward[0];
    }
  }
}
