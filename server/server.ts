// The listener: TCP on one or more addresses and/or a Unix socket; admission
// (maxclients, protected mode); the periodic tasks (active expiry, idle
// timeout); and the programmatic API the probe embeds.
import * as net from 'node:net';
import { existsSync, lstatSync, unlinkSync, chmodSync } from 'node:fs';
import { ServerCore, Logger, InfoHook } from './core';
import { Client } from './client';
import type { Keyspace, StrVal } from './store';
import type { PubSub } from './pubsub';
import { toBytes } from './util';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface RespServerOptions {
  /**
   * TCP port, default 6380. 0 means no TCP listener (the CLI's contract; use
   * socketPath then); 'ephemeral' listens on a port the OS picks (tests),
   * reported by `.port`.
   */
  port?: number | 'ephemeral';
  /** Address(es) to bind, default '127.0.0.1'. */
  bind?: string | string[];
  /** Unix socket path (optional). */
  socketPath?: string;
  /** Unix socket permissions (e.g. 0o770). */
  socketPerm?: number;
  /** Password of the default user. */
  requirepass?: string;
  /** ACL file (Redis format); users there replace same-named ones (including `default`). */
  aclFile?: string;
  /** Protected mode (default true): with a password-less default user, refuse non-loopback TCP clients. */
  protectedMode?: boolean;
  maxClients?: number;
  /** proto-max-bulk-len in bytes (default 16 MB). */
  protoMaxBulkLen?: number;
  /** Most arguments per request (default 1,048,576). */
  maxMultibulkLen?: number;
  /** client-query-buffer-limit in bytes (default 64 MB). */
  clientQueryBufferLimit?: number;
  /** Pub/sub output-buffer limits: hard bytes, soft bytes, soft seconds (default 32 MB, 8 MB, 60 s). */
  pubsubOutputLimit?: { hard: number; soft: number; softSeconds: number };
  /** Idle client timeout in seconds (0 = never, the default). */
  idleTimeout?: number;
  /** notify-keyspace-events classes, e.g. "Ex" (default none). */
  notifyKeyspaceEvents?: string;
  /** Active expiry / housekeeping frequency (default 10 per second). */
  hz?: number;
  /** The `INFO probe` section: called on INFO, returns "key:value" lines or a record. */
  info?: InfoHook;
  /** Log sink (e.g. a pino logger's methods); default silent. */
  log?: Logger;
}

/**
 * The probe's direct knowledge-base API: JS strings (UTF-8 on the wire),
 * no RESP round trip. Throws RespError (WRONGTYPE...) like the commands.
 */
export interface KbApi {
  set(key: string, value: string | number, ttlMs?: number): void;
  get(key: string): string | undefined;
  del(key: string): boolean;
  expire(key: string, seconds: number): boolean;
  pexpire(key: string, ms: number): boolean;
  persist(key: string): boolean;
  incrby(key: string, delta: number): number;
  hset(key: string, field: string, value: string | number): boolean;
  /** HSET of several fields from a record. */
  hmset(key: string, fields: Record<string, string | number>): number;
  hincrby(key: string, field: string, delta: number): number;
  hget(key: string, field: string): string | undefined;
  hgetall(key: string): Record<string, string> | undefined;
  hdel(key: string, ...fields: string[]): number;
  sadd(key: string, ...members: string[]): number;
  srem(key: string, ...members: string[]): number;
  zincrby(key: string, member: string, delta: number): number;
  zadd(key: string, score: number, member: string): boolean;
  publish(channel: string, message: string): number;
  exists(key: string): boolean;
  dbsize(): number;
}

export interface RespServer {
  /** The keyspace (byte-string API: one char per byte; see `kb` for JS strings). */
  readonly store: Keyspace;
  readonly pubsub: PubSub;
  readonly core: ServerCore;
  readonly kb: KbApi;
  /** Bound TCP port (0 when there is no TCP listener). */
  readonly port: number;
  readonly socketPath?: string;
  /** Adds (or replaces) an INFO section, e.g. 'probe'. */
  setInfoSection(name: string, hook: InfoHook): void;
  /** Stops listening, disconnects every client, stops timers. */
  close(): Promise<void>;
}

function isLoopback(addr: string | undefined): boolean {
  if (!addr) return false;
  if (addr.startsWith('::ffff:')) addr = addr.slice(7);
  return addr.startsWith('127.') || addr === '::1';
}

const DENIED = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/** Sends a refusal and closes; reads (and drops) input so the peer's FIN is seen. */
function reject(sock: net.Socket, msg: string): void {
  sock.end(msg);
  sock.resume();
  setTimeout(() => sock.destroy(), 5000).unref();
}

function strOf(v: StrVal | undefined): string | undefined {
  return v === undefined ? undefined : Buffer.from(String(v), 'latin1').toString('utf8');
}

function makeKb(core: ServerCore): KbApi {
  const st = core.store;
  const b = toBytes;
  const val = (v: string | number): StrVal => (typeof v === 'number' && Number.isSafeInteger(v) ? v : b(String(v)));
  return {
    set: (k, v, ttl) => st.set(b(k), val(v), ttl),
    get: (k) => strOf(st.getString(b(k))),
    del: (k) => st.del(b(k)),
    expire: (k, s) => st.expire(b(k), s),
    pexpire: (k, ms) => st.pexpire(b(k), ms),
    persist: (k) => st.persist(b(k)),
    incrby: (k, d) => Number(st.incrby(b(k), d)),
    hset: (k, f, v) => st.hset(b(k), b(f), val(v)),
    hmset: (k, rec) => {
      const flat: StrVal[] = [];
      for (const f in rec) flat.push(b(f), val(rec[f]));
      return st.hsetMany(b(k), flat);
    },
    hincrby: (k, f, d) => Number(st.hincrby(b(k), b(f), d)),
    hget: (k, f) => strOf(st.hget(b(k), b(f))),
    hgetall: (k) => {
      const h = st.hashRead(b(k));
      if (!h) return undefined;
      const o: Record<string, string> = {};
      for (const [f, v] of h) o[strOf(f) as string] = strOf(v) as string;
      return o;
    },
    hdel: (k, ...f) => st.hdel(b(k), f.map(b)),
    sadd: (k, ...m) => st.sadd(b(k), m.map(b)),
    srem: (k, ...m) => st.srem(b(k), m.map(b)),
    zincrby: (k, m, d) => st.zincrby(b(k), b(m), d),
    zadd: (k, s, m) => st.zadd(b(k), b(m), s),
    publish: (ch, msg) => core.pubsub.publish(b(ch), b(msg)),
    exists: (k) => st.exists(b(k)),
    dbsize: () => st.size,
  };
}

/** Starts the RESP server. Resolves once every listener is bound. */
export async function startRespServer(opts: RespServerOptions = {}): Promise<RespServer> {
  const core = new ServerCore(opts.log);
  const cfg = core.cfg;
  if (opts.maxClients !== undefined) cfg.maxClients = opts.maxClients;
  if (opts.protoMaxBulkLen !== undefined) cfg.protoMaxBulkLen = opts.protoMaxBulkLen;
  if (opts.maxMultibulkLen !== undefined) cfg.maxMultibulkLen = opts.maxMultibulkLen;
  if (opts.clientQueryBufferLimit !== undefined) cfg.clientQueryBufferLimit = opts.clientQueryBufferLimit;
  if (opts.pubsubOutputLimit) {
    cfg.pubsubHard = opts.pubsubOutputLimit.hard;
    cfg.pubsubSoft = opts.pubsubOutputLimit.soft;
    cfg.pubsubSoftSeconds = opts.pubsubOutputLimit.softSeconds;
  }
  if (opts.idleTimeout !== undefined) cfg.timeout = opts.idleTimeout;
  if (opts.hz !== undefined) cfg.hz = opts.hz;
  if (opts.protectedMode !== undefined) cfg.protectedMode = opts.protectedMode;
  if (opts.notifyKeyspaceEvents) {
    const { parseNotifyFlags } = await import('./store');
    const f = parseNotifyFlags(opts.notifyKeyspaceEvents);
    if (f === null) throw new Error(`invalid notify-keyspace-events '${opts.notifyKeyspaceEvents}'`);
    core.store.notifyFlags = f;
  }
  if (opts.requirepass) {
    core.acl.requirePass = opts.requirepass;
    core.acl.setRequirePass(opts.requirepass);
  }
  if (opts.aclFile) {
    core.acl.loadFile(opts.aclFile);
    for (const w of core.acl.warnings) core.log('warn', `acl: ${w}`);
  }
  if (opts.info) core.infoHooks.set('probe', opts.info);
  const hist = monitorEventLoopDelay({ resolution: 10 });
  hist.enable();
  core.loopDelay = hist;

  const servers: net.Server[] = [];
  const onConn = (sock: net.Socket, unix: boolean): void => {
    core.stats.connectionsReceived++;
    sock.on('error', () => sock.destroy());
    if (core.clients.size >= cfg.maxClients) {
      core.stats.rejectedConnections++;
      reject(sock, '-ERR max number of clients reached\r\n');
      return;
    }
    const du = core.acl.defaultUser;
    if (!unix && cfg.protectedMode && du.enabled && du.nopass && !isLoopback(sock.remoteAddress)) {
      core.stats.protectedModeRejections++;
      core.stats.rejectedConnections++;
      core.log('warn', `protected mode: refused connection from ${sock.remoteAddress}`);
      reject(sock, DENIED);
      return;
    }
    const c = new Client(core.newClientId(), sock, core, unix);
    core.addClient(c);
    c.start();
  };

  const listen = (srv: net.Server, arg: net.ListenOptions): Promise<void> =>
    new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(arg, () => {
        srv.off('error', reject);
        srv.on('error', (e) => core.log('error', `listener: ${e.message}`));
        resolve();
      });
    });

  try {
    let port = opts.port === undefined ? 6380 : opts.port === 'ephemeral' ? 0 : opts.port;
    const tcp = opts.port === 'ephemeral' || port !== 0;
    if (tcp) {
      const binds = opts.bind === undefined ? ['127.0.0.1'] : Array.isArray(opts.bind) ? opts.bind : opts.bind.split(/\s+/).filter((x) => x);
      for (const host of binds) {
        const srv = net.createServer({ noDelay: true }, (s) => onConn(s, false));
        servers.push(srv);
        await listen(srv, { port, host, backlog: 2048 });
        port = (srv.address() as net.AddressInfo).port;
      }
      core.port = port;
      core.bind = binds;
    }
    if (opts.socketPath) {
      const p = opts.socketPath;
      if (existsSync(p) && lstatSync(p).isSocket()) unlinkSync(p);
      const srv = net.createServer((s) => onConn(s, true));
      servers.push(srv);
      await listen(srv, { path: p, backlog: 2048 });
      if (opts.socketPerm !== undefined) chmodSync(p, opts.socketPerm);
      core.socketPath = p;
    }
  } catch (e) {
    for (const s of servers) s.close();
    throw e;
  }

  // Housekeeping: active expiry at hz, idle timeouts and scan-cursor pruning once a second.
  let lastSecond = 0;
  let timer: NodeJS.Timeout;
  const tick = (): void => {
    const budget = Math.max(1, Math.min(25, 250 / cfg.hz));
    core.store.activeExpireCycle(budget);
    const now = Date.now();
    if (now - lastSecond >= 1000) {
      lastSecond = now;
      if (cfg.timeout > 0) {
        const lim = now - cfg.timeout * 1000;
        for (const c of core.clients.values()) {
          if (!c.isPubSub && c.lastInteraction < lim) {
            core.log('debug', `closing idle client ${c.addr}`);
            c.destroy();
          }
        }
      }
      core.store.pruneScans(5 * 60 * 1000);
    }
    timer = setTimeout(tick, Math.floor(1000 / cfg.hz));
    timer.unref();
  };
  timer = setTimeout(tick, Math.floor(1000 / cfg.hz));
  timer.unref();

  let closed = false;
  const api: RespServer = {
    store: core.store,
    pubsub: core.pubsub,
    core,
    kb: makeKb(core),
    port: core.port,
    socketPath: core.socketPath,
    setInfoSection: (name, hook) => core.infoHooks.set(name.toLowerCase(), hook),
    close: async () => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      hist.disable();
      const done = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
      for (const c of [...core.clients.values()]) c.destroy();
      await Promise.all(done);
    },
  };
  return api;
}
