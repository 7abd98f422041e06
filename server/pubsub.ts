// Pub/sub hub: channel and pattern subscriptions, message fan-out. A message
// is encoded once per protocol version and appended to each subscriber's
// output; the subscriber enforces its own output-buffer limit.
import { globMatch } from './util';

export interface Subscriber {
  proto: 2 | 3;
  readonly subs: Set<string>;
  readonly psubs: Set<string>;
  /** Queues an encoded push, shared by all receivers (may disconnect the subscriber when over its limit). */
  pushRaw(msg: Buffer): void;
}

function b(s: string): string {
  return '$' + s.length + '\r\n' + s + '\r\n';
}

export class PubSub {
  readonly channels = new Map<string, Set<Subscriber>>();
  readonly patterns = new Map<string, Set<Subscriber>>();
  messagesPublished = 0;

  subscribe(c: Subscriber, ch: string): boolean {
    if (c.subs.has(ch)) return false;
    c.subs.add(ch);
    let s = this.channels.get(ch);
    if (!s) this.channels.set(ch, (s = new Set()));
    s.add(c);
    return true;
  }

  unsubscribe(c: Subscriber, ch: string): boolean {
    if (!c.subs.delete(ch)) return false;
    const s = this.channels.get(ch);
    if (s) {
      s.delete(c);
      if (s.size === 0) this.channels.delete(ch);
    }
    return true;
  }

  psubscribe(c: Subscriber, pat: string): boolean {
    if (c.psubs.has(pat)) return false;
    c.psubs.add(pat);
    let s = this.patterns.get(pat);
    if (!s) this.patterns.set(pat, (s = new Set()));
    s.add(c);
    return true;
  }

  punsubscribe(c: Subscriber, pat: string): boolean {
    if (!c.psubs.delete(pat)) return false;
    const s = this.patterns.get(pat);
    if (s) {
      s.delete(c);
      if (s.size === 0) this.patterns.delete(pat);
    }
    return true;
  }

  /** Removes every subscription of a client (on disconnect). */
  removeClient(c: Subscriber): void {
    for (const ch of [...c.subs]) this.unsubscribe(c, ch);
    for (const p of [...c.psubs]) this.punsubscribe(c, p);
  }

  /** Publishes a message (byte strings); returns the number of receivers. Channel subscribers first, then patterns, as Redis. */
  publish(channel: string, message: string): number {
    let n = 0;
    this.messagesPublished++;
    const s = this.channels.get(channel);
    if (s && s.size) {
      // Encoded once per protocol version into one flat buffer that every receiver's queue shares.
      const tail = b(channel) + b(message);
      let m2: Buffer | undefined;
      let m3: Buffer | undefined;
      for (const c of s) {
        if (c.proto === 3) c.pushRaw(m3 ??= Buffer.from('>3\r\n$7\r\nmessage\r\n' + tail, 'latin1'));
        else c.pushRaw(m2 ??= Buffer.from('*3\r\n$7\r\nmessage\r\n' + tail, 'latin1'));
        n++;
      }
    }
    if (this.patterns.size) {
      for (const [pat, subs] of this.patterns) {
        if (!globMatch(pat, channel)) continue;
        const tail = b(pat) + b(channel) + b(message);
        let m2: Buffer | undefined;
        let m3: Buffer | undefined;
        for (const c of subs) {
          if (c.proto === 3) c.pushRaw(m3 ??= Buffer.from('>4\r\n$8\r\npmessage\r\n' + tail, 'latin1'));
          else c.pushRaw(m2 ??= Buffer.from('*4\r\n$8\r\npmessage\r\n' + tail, 'latin1'));
          n++;
        }
      }
    }
    return n;
  }

  /** Active channels matching an optional pattern. */
  activeChannels(pattern?: string): string[] {
    const out: string[] = [];
    for (const ch of this.channels.keys()) if (pattern === undefined || globMatch(pattern, ch)) out.push(ch);
    return out;
  }

  numsub(ch: string): number {
    return this.channels.get(ch)?.size ?? 0;
  }

  get numpat(): number {
    return this.patterns.size;
  }
}
