// Argument helpers shared by the command handlers.
import { RespError, ERR_NOT_INT, ERR_NOT_FLOAT } from '../types';
import { parseInt64, parseFloatStrict } from '../util';

/** An int64 argument (number when safe, bigint otherwise); "ERR value is not an integer or out of range". */
export function int64Arg(s: string, msg = ERR_NOT_INT): number | bigint {
  const v = parseInt64(s);
  if (v === null) throw new RespError(msg);
  return v;
}

/** An int64 argument as a JS number (counts, offsets). */
export function intArg(s: string, msg = ERR_NOT_INT): number {
  const v = int64Arg(s, msg);
  return typeof v === 'bigint' ? Number(v) : v;
}

/** A float argument as Redis's getDoubleFromObject (no NaN, no overflow). */
export function floatArg(s: string, msg = ERR_NOT_FLOAT): number {
  const v = parseFloatStrict(s);
  if (v === null) throw new RespError(msg);
  return v;
}

export function eq(a: string, lower: string): boolean {
  return a.length === lower.length && a.toLowerCase() === lower;
}
