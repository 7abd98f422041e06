// Connection commands: PING ECHO QUIT RESET HELLO AUTH SELECT CLIENT ...
import type { Handler } from '../types';
import type { Client } from '../client';
import type { ServerCore } from '../core';
import { RespError, ERR_SYNTAX } from '../types';
import { intArg } from './args';
import { REDIS_COMPAT_VERSION } from '../version';

const ping: Handler = (c, argv) => {
  if (argv.length > 2) throw new RespError("ERR wrong number of arguments for 'ping' command");
  if (c.proto === 2 && c.isPubSub) {
    c.w.array(2);
    c.w.bulk('pong');
    c.w.bulk(argv.length === 2 ? argv[1] : '');
  } else if (argv.length === 2) c.w.bulk(argv[1]);
  else c.w.simple('PONG');
};

const echo: Handler = (c, argv) => c.w.bulk(argv[1]);

const quit: Handler = (c) => {
  c.w.ok();
  c.closeAfterReply = true;
};

function setDefaultAuth(c: Client, core: ServerCore): void {
  c.user = core.acl.defaultUser;
  c.authenticated = c.user.enabled && c.user.nopass;
}

const reset: Handler = (c, _argv, core) => {
  c.multi = null;
  c.multiError = false;
  c.proto = 2;
  c.name = '';
  core.pubsub.removeClient(c);
  setDefaultAuth(c, core);
  c.w.simple('RESET');
};

const select: Handler = (c, argv) => {
  const db = intArg(argv[1]);
  if (db !== 0) throw new RespError('ERR DB index is out of range');
  c.w.ok();
};

const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';

function authenticate(c: Client, core: ServerCore, user: string, pass: string): boolean {
  const u = core.acl.authenticate(user, pass);
  if (!u) return false;
  c.user = u;
  c.authenticated = true;
  return true;
}

const auth: Handler = (c, argv, core) => {
  if (argv.length > 3) throw new RespError(ERR_SYNTAX);
  let user = 'default';
  let pass = argv[1];
  if (argv.length === 2) {
    if (core.acl.defaultUser.nopass) {
      throw new RespError('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
    }
  } else {
    user = argv[1];
    pass = argv[2];
  }
  if (!authenticate(c, core, user, pass)) throw new RespError(WRONGPASS);
  c.w.ok();
};

function validName(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch < 33 || ch > 126) return false;
  }
  return true;
}

const hello: Handler = (c, argv, core) => {
  let ver = 0;
  let next = 1;
  if (argv.length >= 2) {
    ver = intArg(argv[next++], 'ERR Protocol version is not an integer or out of range');
    if (ver < 2 || ver > 3) throw new RespError('NOPROTO unsupported protocol version');
  }
  let user: string | undefined;
  let pass: string | undefined;
  let name: string | undefined;
  for (let j = next; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const o = argv[j].toLowerCase();
    if (o === 'auth' && more >= 2) {
      user = argv[j + 1];
      pass = argv[j + 2];
      j += 2;
    } else if (o === 'setname' && more) {
      name = argv[j + 1];
      if (!validName(name)) throw new RespError('ERR Client names cannot contain spaces, newlines or special characters.');
      j++;
    } else throw new RespError(`ERR Syntax error in HELLO option '${argv[j]}'`);
  }
  if (user !== undefined && pass !== undefined) {
    if (!authenticate(c, core, user, pass)) throw new RespError(WRONGPASS);
  }
  if (!c.authenticated) {
    throw new RespError('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time');
  }
  if (name !== undefined) c.name = name;
  if (ver) c.proto = ver as 2 | 3;
  const w = c.w;
  w.map(7);
  w.bulk('server'); w.bulk('redis');
  w.bulk('version'); w.bulk(REDIS_COMPAT_VERSION);
  w.bulk('proto'); w.int(c.proto);
  w.bulk('id'); w.int(c.id);
  w.bulk('mode'); w.bulk('standalone');
  w.bulk('role'); w.bulk('master');
  w.bulk('modules'); w.array(0);
};

// ---- CLIENT ----------------------------------------------------------------

const clientId: Handler = (c) => c.w.int(c.id);

const clientSetname: Handler = (c, argv) => {
  if (!validName(argv[2])) throw new RespError('ERR Client names cannot contain spaces, newlines or special characters.');
  c.name = argv[2];
  c.w.ok();
};

const clientGetname: Handler = (c) => (c.name ? c.w.bulk(c.name) : c.w.nullBulk());

const clientSetinfo: Handler = (c, argv) => {
  const attr = argv[2].toLowerCase();
  if (attr !== 'lib-name' && attr !== 'lib-ver') throw new RespError(`ERR Unrecognized option '${argv[2]}'`);
  if (!validName(argv[3])) throw new RespError(`ERR ${attr} cannot contain spaces, newlines or special characters.`);
  if (attr === 'lib-name') c.libName = argv[3];
  else c.libVer = argv[3];
  c.w.ok();
};

function clientType(c: Client): string {
  return c.isPubSub ? 'pubsub' : 'normal';
}

function parseType(s: string): string {
  const t = s.toLowerCase();
  if (t === 'normal' || t === 'pubsub' || t === 'master' || t === 'replica' || t === 'slave') return t === 'slave' ? 'replica' : t;
  throw new RespError(`ERR Unknown client type '${s}'`);
}

const clientList: Handler = (c, argv, core) => {
  let type: string | undefined;
  let ids: Set<number> | undefined;
  if (argv.length === 4 && argv[2].toLowerCase() === 'type') type = parseType(argv[3]);
  else if (argv.length >= 4 && argv[2].toLowerCase() === 'id') {
    ids = new Set();
    for (let j = 3; j < argv.length; j++) {
      const v = Number(argv[j]);
      if (!/^[0-9]+$/.test(argv[j]) || v < 1) throw new RespError('ERR Invalid client ID');
      ids.add(v);
    }
  } else if (argv.length !== 2) throw new RespError(ERR_SYNTAX);
  let out = '';
  for (const x of core.clients.values()) {
    if (type !== undefined && clientType(x) !== type) continue;
    if (ids && !ids.has(x.id)) continue;
    out += x.info() + '\n';
  }
  c.w.verbatim(out);
};

const clientInfo: Handler = (c) => c.w.verbatim(c.info() + '\n');

const clientKill: Handler = (c, argv, core) => {
  if (argv.length === 3) {
    for (const x of core.clients.values()) {
      if (x.addr === argv[2]) {
        kill(c, x);
        return c.w.ok();
      }
    }
    throw new RespError('ERR No such client');
  }
  let id: number | undefined, type: string | undefined, addr: string | undefined, laddr: string | undefined, user: string | undefined;
  let skipme = true;
  for (let i = 2; i < argv.length; i += 2) {
    const more = argv.length > i + 1;
    const o = argv[i].toLowerCase();
    if (o === 'id' && more) {
      const v = /^-?[0-9]+$/.test(argv[i + 1]) ? Number(argv[i + 1]) : NaN;
      if (!(v >= 1)) throw new RespError('ERR client-id should be greater than 0');
      id = v;
    } else if (o === 'type' && more) type = parseType(argv[i + 1]);
    else if (o === 'addr' && more) addr = argv[i + 1];
    else if (o === 'laddr' && more) laddr = argv[i + 1];
    else if (o === 'user' && more) {
      if (!core.acl.users.has(argv[i + 1])) throw new RespError(`ERR No such user '${argv[i + 1]}'`);
      user = argv[i + 1];
    } else if (o === 'skipme' && more) {
      const v = argv[i + 1].toLowerCase();
      if (v === 'yes') skipme = true;
      else if (v === 'no') skipme = false;
      else throw new RespError(ERR_SYNTAX);
    } else throw new RespError(ERR_SYNTAX);
  }
  let n = 0;
  for (const x of [...core.clients.values()]) {
    if (id !== undefined && x.id !== id) continue;
    if (type !== undefined && clientType(x) !== type) continue;
    if (addr !== undefined && x.addr !== addr) continue;
    if (laddr !== undefined && x.laddr !== laddr) continue;
    if (user !== undefined && x.user.name !== user) continue;
    if (x === c && skipme) continue;
    kill(c, x);
    n++;
  }
  c.w.int(n);
};

function kill(self: Client, x: Client): void {
  if (x === self) self.closeAfterReply = true;
  else x.destroy();
}

const CLIENT_HELP = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GETNAME', '    Return the name of the current connection.',
  'ID', '    Return the ID of the current connection.',
  'INFO', '    Return information about the current client connection.',
  'KILL <ip:port>', '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]', '    Kill connections. Options are: ID, TYPE, USER, ADDR, LADDR, SKIPME.',
  'LIST [options ...]', '    Return information about client connections. Options: TYPE, ID.',
  'SETNAME <name>', '    Assign the name <name> to the current connection.',
  'SETINFO <option> <value>', '    Set client meta attr. Options are: LIB-NAME, LIB-VER.',
  'HELP', '    Print this help.',
];

export function helpReply(c: Client, lines: string[]): void {
  c.w.array(lines.length);
  for (const l of lines) c.w.simple(l);
}

export const connectionCommands: Record<string, Handler> = {
  ping, echo, quit, reset, select, auth, hello,
  'client|id': clientId, 'client|setname': clientSetname, 'client|getname': clientGetname,
  'client|setinfo': clientSetinfo, 'client|list': clientList, 'client|info': clientInfo,
  'client|kill': clientKill, 'client|help': (c) => helpReply(c, CLIENT_HELP),
};
