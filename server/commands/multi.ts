// Transactions: MULTI EXEC DISCARD (no WATCH).
import type { Handler } from '../types';
import { RespError } from '../types';

const multi: Handler = (c) => {
  if (c.multi) throw new RespError('ERR MULTI calls can not be nested');
  c.multi = [];
  c.multiError = false;
  c.w.ok();
};

const discard: Handler = (c) => {
  if (!c.multi) throw new RespError('ERR DISCARD without MULTI');
  c.multi = null;
  c.multiError = false;
  c.w.ok();
};

const exec: Handler = (c, _argv, core) => {
  const q = c.multi;
  if (!q) throw new RespError('ERR EXEC without MULTI');
  c.multi = null;
  if (c.multiError) {
    c.multiError = false;
    throw new RespError('EXECABORT Transaction discarded because of previous errors.');
  }
  c.w.array(q.length);
  for (const argv of q) {
    const cmd = core.lookup(argv);
    if (typeof cmd === 'string') {
      c.w.error(cmd);
      continue;
    }
    const perm = core.checkPerm(c, cmd, argv);
    if (perm) {
      c.w.error(perm);
      continue;
    }
    core.call(c, cmd, argv);
  }
  c.lastCmd = 'exec';
};

export const multiCommands: Record<string, Handler> = { multi, exec, discard };
