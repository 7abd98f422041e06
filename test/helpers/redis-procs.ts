// Test helpers: free ports, a real redis-server and our standalone server as
// child processes, and a raw RESP connection that returns replies byte-exact.
import { spawn, ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Children still running: killed when the test process exits, even on a timeout (SIGTERM from tap). */
const children = new Set<ChildProcess>();
function track(proc: ChildProcess): void {
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
}
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
process.once('SIGTERM', () => {
  for (const c of children) c.kill('SIGKILL');
  process.exit(143);
});

export interface Proc {
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

function stopper(proc: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      proc.kill('SIGTERM');
    });
}

async function waitPing(port: number, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const c = await RawConn.connect(port);
      const r = await c.command(['PING']);
      c.close();
      if (r.raw.startsWith('+PONG') || r.raw.startsWith('-')) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) throw new Error(`server on ${port} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Spawns /usr/bin/redis-server (no persistence, one database, 16 MB proto-max-bulk-len like ours). */
export async function spawnRedis(extra: string[] = []): Promise<Proc> {
  const port = await freePort();
  const proc = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--databases', '1',
    '--proto-max-bulk-len', '16mb', '--client-query-buffer-limit', '64mb', '--logfile', '', '--loglevel', 'warning', ...extra,
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  track(proc);
  await waitPing(port);
  return { port, proc, stop: stopper(proc) };
}

export const SERVER_JS = path.resolve(__dirname, '../../server/standalone.js');

/** Spawns our server (dist/server/standalone.js) on a free port. */
export async function spawnOurs(extra: string[] = []): Promise<Proc & { pid: number }> {
  const port = await freePort();
  const proc = spawn(process.execPath, [SERVER_JS, '--resp-port', String(port), ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  track(proc);
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString();
      if (buf.includes('READY')) {
        proc.stdout?.off('data', onData);
        proc.stdout?.resume();
        resolve();
      }
    };
    proc.stdout?.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return { port, proc, pid: proc.pid as number, stop: stopper(proc) };
}

/** A parsed RESP2/RESP3 reply with its exact bytes. */
export interface Reply {
  raw: string;
  type: string;
  value: unknown;
}

/** Parses one reply from buf at pos; returns [reply, nextPos] or null if incomplete. */
export function parseReply(buf: string, pos: number): [Reply, number] | null {
  const nl = buf.indexOf('\r\n', pos);
  if (nl < 0) return null;
  const type = buf[pos];
  const line = buf.slice(pos + 1, nl);
  let p = nl + 2;
  const mk = (value: unknown): [Reply, number] => [{ raw: buf.slice(pos, p), type, value }, p];
  switch (type) {
    case '+': case '-': case ':': case ',': case '#': case '(': case '_':
      return mk(type === ':' ? Number(line) : type === '_' ? null : line);
    case '$': case '=': case '!': {
      const n = Number(line);
      if (n < 0) return mk(null);
      if (buf.length < p + n + 2) return null;
      const s = buf.slice(p, p + n);
      p += n + 2;
      return mk(s);
    }
    case '*': case '~': case '>': case '%': case '|': {
      let n = Number(line);
      if (n < 0) return mk(null);
      if (type === '%' || type === '|') n *= 2;
      const items: Reply[] = [];
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, p);
        if (!r) return null;
        items.push(r[0]);
        p = r[1];
      }
      return mk(items);
    }
    default:
      throw new Error(`bad reply type ${JSON.stringify(type)} at ${pos}: ${JSON.stringify(buf.slice(pos, pos + 40))}`);
  }
}

export function encodeCommand(args: string[]): string {
  let s = '*' + args.length + '\r\n';
  for (const a of args) {
    const b = Buffer.from(a, 'utf8').toString('latin1');
    s += '$' + b.length + '\r\n' + b + '\r\n';
  }
  return s;
}

/** A raw connection: writes bytes, reads whole replies (latin1 byte strings). */
export class RawConn {
  private buf = '';
  private pos = 0;
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly sock: net.Socket) {
    sock.on('data', (d) => {
      this.buf += d.toString('latin1');
      this.wake();
    });
    sock.on('close', () => {
      this.closed = true;
      this.wake();
    });
    sock.on('error', () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => {
        s.off('error', reject);
        resolve(new RawConn(s));
      });
      s.once('error', reject);
    });
  }

  static connectPath(p: string): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(p, () => {
        s.off('error', reject);
        resolve(new RawConn(s));
      });
      s.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    this.sock.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Next reply; rejects on timeout or when the connection closes first. */
  async read(timeoutMs = 5000): Promise<Reply> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (this.buf.length > this.pos) {
        const r = parseReply(this.buf, this.pos);
        if (r) {
          this.pos = r[1];
          if (this.pos > 1 << 20 || this.pos === this.buf.length) {
            this.buf = this.buf.slice(this.pos);
            this.pos = 0;
          }
          return r[0];
        }
      }
      if (this.closed) throw new Error('connection closed');
      const left = end - Date.now();
      if (left <= 0) throw new Error('timeout waiting for reply');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Everything received until the server closes the connection (or timeout, or `done` says the output is complete). */
  async readAll(timeoutMs = 5000, done?: (received: string) => boolean): Promise<string> {
    const end = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < end && !(done && done(this.buf.slice(this.pos)))) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, end - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    const s = this.buf.slice(this.pos);
    this.buf = '';
    this.pos = 0;
    return s;
  }

  async command(args: string[], timeoutMs?: number): Promise<Reply> {
    this.write(encodeCommand(args));
    return this.read(timeoutMs);
  }

  close(): void {
    this.sock.destroy();
  }
}
