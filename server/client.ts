// Per-connection state and I/O: feeds the request parser, runs commands in
// slices (so a 100k-command pipeline cannot hold the event loop), writes
// replies in one write per batch, applies backpressure to normal clients and
// the output-buffer limit to pub/sub clients.
import type { Socket } from 'node:net';
import { ReplyWriter } from './codec';
import { RequestParser } from './proto';
import type { AclUser } from './acl';
import type { Subscriber } from './pubsub';
import type { ServerCore } from './core';

export class Client implements Subscriber {
  readonly w = new ReplyWriter();
  readonly parser: RequestParser;
  readonly subs = new Set<string>();
  readonly psubs = new Set<string>();
  name = '';
  libName = '';
  libVer = '';
  user: AclUser;
  authenticated: boolean;
  /** Queued commands inside MULTI, or null. */
  multi: string[][] | null = null;
  multiError = false;
  closeAfterReply = false;
  closed = false;
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  lastCmd = 'NULL';
  readonly addr: string;
  readonly laddr: string;
  /** Output handed over but not yet written: reply text and shared pub/sub message buffers, in order. */
  private queue: (string | Buffer)[] = [];
  private queued = 0;
  private blockedOnOutput = false;
  private sliceScheduled = false;
  private flushScheduled = false;
  private softSince = 0;

  constructor(readonly id: number, readonly sock: Socket, readonly core: ServerCore, readonly unix: boolean) {
    this.parser = new RequestParser({ maxBulkLen: core.cfg.protoMaxBulkLen, maxMultibulkLen: core.cfg.maxMultibulkLen });
    this.user = core.acl.defaultUser;
    this.authenticated = this.user.enabled && this.user.nopass;
    if (unix) {
      this.addr = (core.socketPath ?? '') + ':0';
      this.laddr = this.addr;
    } else {
      this.addr = fmtAddr(sock.remoteAddress, sock.remotePort);
      this.laddr = fmtAddr(sock.localAddress, sock.localPort);
    }
  }

  get proto(): 2 | 3 {
    return this.w.proto;
  }

  set proto(v: 2 | 3) {
    this.w.proto = v;
  }

  get isPubSub(): boolean {
    return this.subs.size + this.psubs.size > 0;
  }

  start(): void {
    const s = this.sock;
    s.setNoDelay(true);
    s.on('data', (d: Buffer) => {
      const t0 = performance.now();
      try {
        this.onData(d);
        const dt = performance.now() - t0;
        if (dt > this.core.stats.longestRunMs) this.core.stats.longestRunMs = dt;
      } catch (e) {
        // A bug must cost one connection, never the probe.
        this.core.log('error', `client ${this.addr}: ${(e as Error).stack ?? e}`);
        this.destroy();
      }
    });
    s.on('drain', () => this.onDrain());
    s.on('error', () => this.destroy());
    s.on('close', () => this.destroy());
  }

  private onData(d: Buffer): void {
    if (this.closed || this.closeAfterReply) return;
    this.lastInteraction = Date.now();
    this.core.stats.netInput += d.length;
    this.parser.feed(d);
    if (this.parser.pending > this.core.cfg.clientQueryBufferLimit) {
      this.core.log('warn', `closing client ${this.addr} that reached the max query buffer length (${this.parser.pending} bytes)`);
      this.core.stats.queryBufferDisconnections++;
      this.destroy();
      return;
    }
    this.processInput();
  }

  private onDrain(): void {
    if (this.closed) return;
    this.flush();
    if (this.blockedOnOutput && !this.sock.writableNeedDrain) {
      this.blockedOnOutput = false;
      this.sock.resume();
      this.processInput();
    }
  }

  /** Runs parsed commands until input is exhausted, the slice is used up, or the output backs up. */
  processInput(): void {
    const t0 = performance.now();
    try {
      this.runInput();
      const dt = performance.now() - t0;
      if (dt > this.core.stats.longestRunMs) this.core.stats.longestRunMs = dt;
    } catch (e) {
      this.core.log('error', `client ${this.addr}: ${(e as Error).stack ?? e}`);
      this.destroy();
    }
  }

  private runInput(): void {
    if (this.closed || this.blockedOnOutput || this.sliceScheduled) return;
    const cfg = this.core.cfg;
    const t0 = performance.now();
    let n = 0;
    while (!this.closeAfterReply && !this.closed) {
      this.parser.authRequired = !this.authenticated;
      const r = this.parser.next();
      if (r === null) break;
      if (!Array.isArray(r)) {
        this.w.error(r.error);
        this.core.log('debug', `protocol error from ${this.addr}: ${r.error}`);
        this.closeAfterReply = true;
        break;
      }
      this.core.execute(this, r);
      n++;
      if ((n & 31) === 0) {
        if (this.outputBacklog > cfg.normalBacklog) {
          this.flush();
          if (this.sock.writableNeedDrain) {
            // Stop reading this client until it reads its replies.
            this.blockedOnOutput = true;
            this.sock.pause();
            return;
          }
        }
        if (performance.now() - t0 > cfg.sliceMs) {
          this.flush();
          this.sliceScheduled = true;
          this.sock.pause();
          setImmediate(() => {
            this.sliceScheduled = false;
            if (this.closed) return;
            if (!this.blockedOnOutput) this.sock.resume();
            this.processInput();
          });
          return;
        }
      }
    }
    if (this.closed) return;
    if (this.closeAfterReply) {
      // QUIT / protocol error: send everything still pending, then close.
      this.enqueueReplies();
      this.writeQueue();
      this.sock.end();
      setTimeout(() => this.destroy(), 10000).unref();
      return;
    }
    this.flush();
  }

  /** Moves the reply text built so far behind what is already queued. */
  private enqueueReplies(): void {
    if (this.w.out.length === 0) return;
    const o = this.w.take();
    this.queue.push(o);
    this.queued += o.length;
  }

  /** Hands the queue to the socket in one corked batch (one writev). */
  private writeQueue(): void {
    const q = this.queue;
    if (q.length === 0) return;
    this.core.stats.netOutput += this.queued;
    this.queue = [];
    this.queued = 0;
    if (q.length === 1) {
      this.sock.write(q[0], 'latin1');
      return;
    }
    this.sock.cork();
    for (const chunk of q) this.sock.write(chunk, 'latin1');
    this.sock.uncork();
  }

  /** Writes pending output unless the socket is backed up (then 'drain' writes it). */
  flush(): void {
    if (this.closed) return;
    this.enqueueReplies();
    if (this.queue.length === 0 || this.sock.writableNeedDrain) return;
    this.writeQueue();
  }

  /** Output bytes not yet accepted by the kernel. */
  get outputBacklog(): number {
    return this.w.out.length + this.queued + this.sock.writableLength;
  }

  /**
   * A pub/sub push (an encoded message shared by all its receivers): queue it,
   * enforce the pubsub output-buffer limit, flush soon.
   */
  pushRaw(msg: Buffer): void {
    if (this.closed) return;
    this.enqueueReplies();
    this.queue.push(msg);
    this.queued += msg.length;
    const cfg = this.core.cfg;
    const obl = this.queued + this.sock.writableLength;
    if (cfg.pubsubHard > 0 && obl > cfg.pubsubHard) {
      this.core.log('warn', `client ${this.addr} closed for overcoming of output buffer limits (pubsub, ${obl} bytes)`);
      this.core.stats.outputBufferDisconnections++;
      this.destroy();
      return;
    }
    if (cfg.pubsubSoft > 0 && obl > cfg.pubsubSoft) {
      const now = Date.now();
      if (this.softSince === 0) this.softSince = now;
      else if (now - this.softSince > cfg.pubsubSoftSeconds * 1000) {
        this.core.stats.outputBufferDisconnections++;
        this.destroy();
        return;
      }
    } else this.softSince = 0;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.core.scheduleFlush(this);
    }
  }

  /** Called by the server's flush pass. */
  flushed(): void {
    this.flushScheduled = false;
    this.flush();
  }

  /** Closes now, dropping pending output; releases subscriptions. */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.w.take();
    this.queue = [];
    this.queued = 0;
    this.parser.reset();
    this.sock.destroy();
    this.core.removeClient(this);
  }

  /** One CLIENT LIST line (without the trailing newline). */
  info(): string {
    const now = Date.now();
    const flags = (this.isPubSub ? 'P' : '') + (this.multi ? 'x' : '') + (this.unix ? 'U' : '') || 'N';
    return `id=${this.id} addr=${this.addr} laddr=${this.laddr} fd=${(this.sock as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1}` +
      ` name=${this.name} age=${Math.floor((now - this.createdAt) / 1000)} idle=${Math.floor((now - this.lastInteraction) / 1000)}` +
      ` flags=${flags} db=0 sub=${this.subs.size} psub=${this.psubs.size} ssub=0 multi=${this.multi ? this.multi.length : -1}` +
      ` qbuf=${this.parser.pending} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=${this.w.out.length} oll=${this.queue.length} omem=${this.outputBacklog}` +
      ` tot-mem=${this.parser.pending + this.outputBacklog} events=r cmd=${this.lastCmd} user=${this.user.name} redir=-1 resp=${this.proto}` +
      ` lib-name=${this.libName} lib-ver=${this.libVer}`;
  }
}

function fmtAddr(host: string | undefined, port: number | undefined): string {
  let h = host ?? '?';
  if (h.startsWith('::ffff:')) h = h.slice(7);
  return `${h}:${port ?? 0}`;
}
