// Shared types of the RESP server.
import type { Client } from './client';
import type { ServerCore } from './core';

/** Command metadata as Redis's COMMAND INFO/DOCS report it (see command-specs.ts). */
export interface SpecData {
  name: string;
  arity: number;
  flags: string[];
  firstKey: number;
  lastKey: number;
  step: number;
  categories: string[];
  tips: string[];
  keySpecs: unknown[];
  summary: string;
  since: string;
  group: string;
  complexity: string;
  subcommands?: SpecData[];
}

/**
 * A command handler. `argv` holds the arguments as byte strings (one char per
 * byte, latin1), argv[0] being the command name as sent. Replies go to
 * `c.w`; a handler may also throw a RespError.
 */
export type Handler = (c: Client, argv: string[], core: ServerCore) => void;

/** An error reply, thrown by store operations and handlers (message includes the code, e.g. "ERR ..."). */
export class RespError extends Error {
  constructor(message: string) {
    super(message);
  }
}

export const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
export const ERR_SYNTAX = 'ERR syntax error';
export const ERR_NOT_INT = 'ERR value is not an integer or out of range';
export const ERR_NOT_FLOAT = 'ERR value is not a valid float';
