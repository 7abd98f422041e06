// Command metadata (arity, flags, first/last key, step, ACL categories, tips,
// key specs, doc summary). Generated once from `COMMAND INFO` / `COMMAND DOCS`
// of redis-server 7.0.15 for the commands this server implements (CLIENT SETINFO
// added by hand, from Redis 7.2; EXPIRETIME and PEXPIRETIME added later, from
// the same server's COMMAND INFO/DOCS), so that COMMAND INFO/DOCS and arity checks
// answer as Redis does. Handlers are bound in command-table.ts.
/* eslint-disable */
import type { SpecData } from './types';

export const SPECS: SpecData[] = [
 {
  "name": "ping",
  "arity": -1,
  "flags": [
   "fast"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@fast",
   "@connection"
  ],
  "tips": [
   "request_policy:all_shards",
   "response_policy:all_succeeded"
  ],
  "keySpecs": [],
  "summary": "Ping the server",
  "since": "1.0.0",
  "group": "connection",
  "complexity": "O(1)"
 },
 {
  "name": "echo",
  "arity": 2,
  "flags": [
   "loading",
   "stale",
   "fast"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@fast",
   "@connection"
  ],
  "tips": [],
  "keySpecs": [],
  "summary": "Echo the given string",
  "since": "1.0.0",
  "group": "connection",
  "complexity": "O(1)"
 },
 {
  "name": "quit",
  "arity": -1,
  "flags": [
   "noscript",
   "loading",
   "stale",
   "fast",
   "no_auth",
   "allow_busy"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@fast",
   "@connection"
  ],
  "tips": [],
  "keySpecs": [],
  "summary": "Close the connection",
  "since": "1.0.0",
  "group": "connection",
  "complexity": "O(1)"
 },
 {
  "name": "reset",
  "arity": 1,
  "flags": [
   "noscript",
   "loading",
   "stale",
   "fast",
   "no_auth",
   "allow_busy"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@fast",
   "@connection"
  ],
  "tips": [],
  "keySpecs": [],
  "summary": "Reset the connection",
  "since": "6.2.0",
  "group": "connection",
  "complexity": "O(1)"
 },
 {
  "name": "hello",
  "arity": -1,
  "flags": [
   "noscript",
   "loading",
   "stale",
   "fast",
   "no_auth",
   "allow_busy"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@fast",
   "@connection"
  ],
  "tips": [],
  "keySpecs": [],
  "summary": "Handshake with Redis",
  "since": "6.0.0",
  "group": "connection",
  "complexity": "O(1)"
 },
 {
  "name": "auth",
  "arity": -2,
  "flags": [
   "noscript",
   "loading",
   "stale",
   "fast",
   "no_auth",
   "allow_busy"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@fast",
   "@connection"
  ],
  "tips": [],
  "keySpecs": [],
  "summary": "Authenticate to the server",
  "since": "1.0.0",
  "group": "connection",
  "complexity": "O(N) where N is the number of passwords defined for the user"
 },
 {
  "name": "select",
  "arity": 2,
  "flags": [
   "loading",
   "stale",
   "fast"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@fast",
   "@connection"
  ],
  "tips": [],
  "keySpecs": [],
  "summary": "Change the selected database for the current connection",
  "since": "1.0.0",
  "group": "connection",
  "complexity": "O(1)"
 },
 {
  "name": "client",
  "arity": -2,
  "flags": [],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@slow"
  ],
  "tips": [],
  "keySpecs": [],
  "summary": "A container for client connection commands",
  "since": "2.4.0",
  "group": "connection",
  "complexity": "Depends on subcommand.",
  "subcommands": [
   {
    "name": "client|list",
    "arity": -2,
    "flags": [
     "admin",
     "noscript",
     "loading",
     "stale"
    ],
    "firstKey": 0,
    "lastKey": 0,
    "step": 0,
    "categories": [
     "@admin",
     "@slow",
     "@dangerous",
     "@connection"
    ],
    "tips": [
     "nondeterministic_output"
    ],
    "keySpecs": [],
    "summary": "Get the list of client connections",
    "since": "2.4.0",
    "group": "connection",
    "complexity": "O(N) where N is the number of client connections"
   },
   {
    "name": "client|info",
    "arity": 2,
    "flags": [
     "noscript",
     "loading",
     "stale"
    ],
    "firstKey": 0,
    "lastKey": 0,
    "step": 0,
    "categories": [
     "@slow",
     "@connection"
    ],
    "tips": [
     "nondeterministic_output"
    ],
    "keySpecs": [],
    "summary": "Returns information about the current client connection.",
    "since": "6.2.0",
    "group": "connection",
    "complexity": "O(1)"
   },
   {
    "name": "client|getname",
    "arity": 2,
    "flags": [
     "noscript",
     "loading",
     "stale"
    ],
    "firstKey": 0,
    "lastKey": 0,
    "step": 0,
    "categories": [
     "@slow",
     "@connection"
    ],
    "tips": [],
    "keySpecs": [],
    "summary": "Get the current connection name",
    "since": "2.6.9",
    "group": "connection",
    "complexity": "O(1)"
   },
   {
    "name": "client|id",
    "arity": 2,
    "flags": [
     "noscript",
     "loading",
     "stale"
    ],
    "firstKey": 0,
    "lastKey": 0,
    "step": 0,
    "categories": [
     "@slow",
     "@connection"
    ],
    "tips": [],
    "keySpecs": [],
    "summary": "Returns the client ID for the current connection",
    "since": "5.0.0",
    "group": "connection",
    "complexity": "O(1)"
   },
   {
    "name": "client|help",
    "arity": 2,
    "flags": [
     "loading",
     "stale"
    ],
    "firstKey": 0,
    "lastKey": 0,
    "step": 0,
    "categories": [
     "@slow",
     "@connection"
    ],
    "tips": [],
    "keySpecs": [],
    "summary": "Show helpful text about the different subcommands",
    "since": "5.0.0",
    "group": "connection",
    "complexity": "O(1)"
   },
   {
    "name": "client|kill",
    "arity": -3,
    "flags": [
     "admin",
     "noscript",
     "loading",
     "stale"
    ],
    "firstKey": 0,
    "lastKey": 0,
    "step": 0,
    "categories": [
     "@admin",
     "@slow",
     "@dangerous",
     "@connection"
    ],
    "tips": [],
    "keySpecs": [],
    "summary": "Kill the connection of a client",
    "since": "2.4.0",
    "group": "connection",
    "complexity": "O(N) where N is the number of client connections"
   },
   {
    "name": "client|setname",
    "arity": 3,
    "flags": [
     "noscript",
     "loading",
     "stale"
    ],
    "firstKey": 0,
    "lastKey": 0,
    "step": 0,
    "categories": [
     "@slow",
     "@connection"
    ],
    "tips": [],
    "keySpecs": [],
    "summary": "Set the current connection name",
    "since": "2.6.9",
    "group": "connection",
    "complexity": "O(1)"
   },
   {
    "name": "client|setinfo",
    "arity": 4,
    "flags": [
     "noscript",
     "loading",
     "stale"
    ],
    "firstKey": 0,
    "lastKey": 0,
    "step": 0,
    "categories": [
     "@slow",
     "@connection"
    ],
    "tips": [
     "request_policy:all_nodes",
     "response_policy:all_succeeded"
    ],
    "keySpecs": [],
    "summary": "Set client or connection specific info",
    "since": "7.2.0",
    "group": "connection",
    "complexity": "O(1)"
   }
  ]
 },
 {
  "name": "command",
  "arity": -1,
  "flags": [
   "loading",
   "stale"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@slow",
   "@connection"
  ],
  "tips": [
   "nondeterministic_output_order"
  ],
  "keySpecs": [],
  "summary": "Get array of Redis command details",
  "since": "2.8.13",
  "group": "server",
  "complexity": "O(N) where N is the total number of Redis commands",
  "subcommands": [
   {
    "name": "command|docs",
    "arity": -2,
    "flags": [
     "loading",
     "stale"
    ],
    "firstKey": 0,
    "lastKey": 0,
    "step": 0,
    "categories": [
     "@slow",
     "@connection"
    ],
    "tips": [
     "nondeterministic_output_order"
    ],
    "keySpecs": [],
    "summary": "Get array of specific Redis command documentation",
    "since": "7.0.0",
    "group": "server",
    "complexity": "O(N) where N is the number of commands to look up"
   },
   {
    "name": "command|info",
    "arity": -2,
    "flags": [
     "loading",
     "stale"
    ],
    "firstKey": 0,
    "lastKey": 0,
    "step": 0,
    "categories": [
     "@slow",
     "@connection"
    ],
    "tips": [
     "nondeterministic_output_order"
    ],
    "keySpecs": [],
    "summary": "Get array of specific Redis command details, or all when no argument is given.",
    "since": "2.8.13",
    "group": "server",
    "complexity": "O(N) where N is the number of commands to look up"
   },
   {
    "name": "command|help",
    "arity": 2,
    "flags": [
     "loading",
     "stale"
    ],
    "firstKey": 0,
    "lastKey": 0,
    "step": 0,
    "categories": [
     "@slow",
     "@connection"
    ],
    "tips": [],
    "keySpecs": [],
    "summary": "Show helpful text about the different subcommands",
    "since": "5.0.0",
    "group": "server",
    "complexity": "O(1)"
   },
   {
    "name": "command|count",
    "arity": 2,
    "flags": [
     "loading",
     "stale"
    ],
    "firstKey": 0,
    "lastKey": 0,
    "step": 0,
    "categories": [
     "@slow",
     "@connection"
    ],
    "tips": [],
    "keySpecs": [],
    "summary": "Get total number of Redis commands",
    "since": "2.8.13",
    "group": "server",
    "complexity": "O(1)"
   }
  ]
 },
 {
  "name": "config",
  "arity": -2,
  "flags": [],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@slow"
  ],
  "tips": [],
  "keySpecs": [],
  "summary": "A container for server configuration commands",
  "since": "2.0.0",
  "group": "server",
  "complexity": "Depends on subcommand.",
  "subcommands": [
   {
    "name": "config|get",
    "arity": -3,
    "flags": [
     "admin",
     "noscript",
     "loading",
     "stale"
    ],
    "firstKey": 0,
    "lastKey": 0,
    "step": 0,
    "categories": [
     "@admin",
     "@slow",
     "@dangerous"
    ],
    "tips": [],
    "keySpecs": [],
    "summary": "Get the values of configuration parameters",
    "since": "2.0.0",
    "group": "server",
    "complexity": "O(N) when N is the number of configuration parameters provided"
   },
   {
    "name": "config|help",
    "arity": 2,
    "flags": [
     "loading",
     "stale"
    ],
    "firstKey": 0,
    "lastKey": 0,
    "step": 0,
    "categories": [
     "@slow"
    ],
    "tips": [],
    "keySpecs": [],
    "summary": "Show helpful text about the different subcommands",
    "since": "5.0.0",
    "group": "server",
    "complexity": "O(1)"
   },
   {
    "name": "config|resetstat",
    "arity": 2,
    "flags": [
     "admin",
     "noscript",
     "loading",
     "stale"
    ],
    "firstKey": 0,
    "lastKey": 0,
    "step": 0,
    "categories": [
     "@admin",
     "@slow",
     "@dangerous"
    ],
    "tips": [],
    "keySpecs": [],
    "summary": "Reset the stats returned by INFO",
    "since": "2.0.0",
    "group": "server",
    "complexity": "O(1)"
   },
   {
    "name": "config|set",
    "arity": -4,
    "flags": [
     "admin",
     "noscript",
     "loading",
     "stale"
    ],
    "firstKey": 0,
    "lastKey": 0,
    "step": 0,
    "categories": [
     "@admin",
     "@slow",
     "@dangerous"
    ],
    "tips": [
     "request_policy:all_nodes",
     "response_policy:all_succeeded"
    ],
    "keySpecs": [],
    "summary": "Set configuration parameters to the given values",
    "since": "2.0.0",
    "group": "server",
    "complexity": "O(N) when N is the number of configuration parameters provided"
   }
  ]
 },
 {
  "name": "info",
  "arity": -1,
  "flags": [
   "loading",
   "stale"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@slow",
   "@dangerous"
  ],
  "tips": [
   "nondeterministic_output",
   "request_policy:all_shards",
   "response_policy:special"
  ],
  "keySpecs": [],
  "summary": "Get information and statistics about the server",
  "since": "1.0.0",
  "group": "server",
  "complexity": "O(1)"
 },
 {
  "name": "dbsize",
  "arity": 1,
  "flags": [
   "readonly",
   "fast"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@keyspace",
   "@read",
   "@fast"
  ],
  "tips": [
   "request_policy:all_shards",
   "response_policy:agg_sum"
  ],
  "keySpecs": [],
  "summary": "Return the number of keys in the selected database",
  "since": "1.0.0",
  "group": "server",
  "complexity": "O(1)"
 },
 {
  "name": "time",
  "arity": 1,
  "flags": [
   "loading",
   "stale",
   "fast"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@fast"
  ],
  "tips": [
   "nondeterministic_output"
  ],
  "keySpecs": [],
  "summary": "Return the current server time",
  "since": "2.6.0",
  "group": "server",
  "complexity": "O(1)"
 },
 {
  "name": "flushdb",
  "arity": -1,
  "flags": [
   "write"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@keyspace",
   "@write",
   "@slow",
   "@dangerous"
  ],
  "tips": [
   "request_policy:all_shards",
   "response_policy:all_succeeded"
  ],
  "keySpecs": [],
  "summary": "Remove all keys from the current database",
  "since": "1.0.0",
  "group": "server",
  "complexity": "O(N) where N is the number of keys in the selected database"
 },
 {
  "name": "flushall",
  "arity": -1,
  "flags": [
   "write"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@keyspace",
   "@write",
   "@slow",
   "@dangerous"
  ],
  "tips": [
   "request_policy:all_shards",
   "response_policy:all_succeeded"
  ],
  "keySpecs": [],
  "summary": "Remove all keys from all databases",
  "since": "1.0.0",
  "group": "server",
  "complexity": "O(N) where N is the total number of keys in all databases"
 },
 {
  "name": "get",
  "arity": 2,
  "flags": [
   "readonly",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@read",
   "@string",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RO",
     "access"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Get the value of a key",
  "since": "1.0.0",
  "group": "string",
  "complexity": "O(1)"
 },
 {
  "name": "mget",
  "arity": -2,
  "flags": [
   "readonly",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": -1,
  "step": 1,
  "categories": [
   "@read",
   "@string",
   "@fast"
  ],
  "tips": [
   "request_policy:multi_shard"
  ],
  "keySpecs": [
   {
    "flags": [
     "RO",
     "access"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": -1,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Get the values of all the given keys",
  "since": "1.0.0",
  "group": "string",
  "complexity": "O(N) where N is the number of keys to retrieve."
 },
 {
  "name": "set",
  "arity": -3,
  "flags": [
   "write",
   "denyoom"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@write",
   "@string",
   "@slow"
  ],
  "tips": [],
  "keySpecs": [
   {
    "notes": "RW and ACCESS due to the optional `GET` argument",
    "flags": [
     "RW",
     "access",
     "update",
     "variable_flags"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Set the string value of a key",
  "since": "1.0.0",
  "group": "string",
  "complexity": "O(1)"
 },
 {
  "name": "getdel",
  "arity": 2,
  "flags": [
   "write",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@write",
   "@string",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "access",
     "delete"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Get the value of a key and delete the key",
  "since": "6.2.0",
  "group": "string",
  "complexity": "O(1)"
 },
 {
  "name": "del",
  "arity": -2,
  "flags": [
   "write"
  ],
  "firstKey": 1,
  "lastKey": -1,
  "step": 1,
  "categories": [
   "@keyspace",
   "@write",
   "@slow"
  ],
  "tips": [
   "request_policy:multi_shard",
   "response_policy:agg_sum"
  ],
  "keySpecs": [
   {
    "flags": [
     "RM",
     "delete"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": -1,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Delete a key",
  "since": "1.0.0",
  "group": "generic",
  "complexity": "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1)."
 },
 {
  "name": "unlink",
  "arity": -2,
  "flags": [
   "write",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": -1,
  "step": 1,
  "categories": [
   "@keyspace",
   "@write",
   "@fast"
  ],
  "tips": [
   "request_policy:multi_shard",
   "response_policy:agg_sum"
  ],
  "keySpecs": [
   {
    "flags": [
     "RM",
     "delete"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": -1,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
  "since": "4.0.0",
  "group": "generic",
  "complexity": "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of."
 },
 {
  "name": "exists",
  "arity": -2,
  "flags": [
   "readonly",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": -1,
  "step": 1,
  "categories": [
   "@keyspace",
   "@read",
   "@fast"
  ],
  "tips": [
   "request_policy:multi_shard",
   "response_policy:agg_sum"
  ],
  "keySpecs": [
   {
    "flags": [
     "RO"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": -1,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Determine if a key exists",
  "since": "1.0.0",
  "group": "generic",
  "complexity": "O(N) where N is the number of keys to check."
 },
 {
  "name": "type",
  "arity": 2,
  "flags": [
   "readonly",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@keyspace",
   "@read",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RO"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Determine the type stored at key",
  "since": "1.0.0",
  "group": "generic",
  "complexity": "O(1)"
 },
 {
  "name": "keys",
  "arity": 2,
  "flags": [
   "readonly"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@keyspace",
   "@read",
   "@slow",
   "@dangerous"
  ],
  "tips": [
   "request_policy:all_shards",
   "nondeterministic_output_order"
  ],
  "keySpecs": [],
  "summary": "Find all keys matching the given pattern",
  "since": "1.0.0",
  "group": "generic",
  "complexity": "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length."
 },
 {
  "name": "scan",
  "arity": -2,
  "flags": [
   "readonly"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@keyspace",
   "@read",
   "@slow"
  ],
  "tips": [
   "nondeterministic_output",
   "request_policy:special"
  ],
  "keySpecs": [],
  "summary": "Incrementally iterate the keys space",
  "since": "2.8.0",
  "group": "generic",
  "complexity": "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection."
 },
 {
  "name": "rename",
  "arity": 3,
  "flags": [
   "write"
  ],
  "firstKey": 1,
  "lastKey": 2,
  "step": 1,
  "categories": [
   "@keyspace",
   "@write",
   "@slow"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "access",
     "delete"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   },
   {
    "flags": [
     "OW",
     "update"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 2
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Rename a key",
  "since": "1.0.0",
  "group": "generic",
  "complexity": "O(1)"
 },
 {
  "name": "expire",
  "arity": -3,
  "flags": [
   "write",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@keyspace",
   "@write",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "update"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Set a key's time to live in seconds",
  "since": "1.0.0",
  "group": "generic",
  "complexity": "O(1)"
 },
 {
  "name": "pexpire",
  "arity": -3,
  "flags": [
   "write",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@keyspace",
   "@write",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "update"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Set a key's time to live in milliseconds",
  "since": "2.6.0",
  "group": "generic",
  "complexity": "O(1)"
 },
 {
  "name": "expireat",
  "arity": -3,
  "flags": [
   "write",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@keyspace",
   "@write",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "update"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Set the expiration for a key as a UNIX timestamp",
  "since": "1.2.0",
  "group": "generic",
  "complexity": "O(1)"
 },
 {
  "name": "pexpireat",
  "arity": -3,
  "flags": [
   "write",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@keyspace",
   "@write",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "update"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
  "since": "2.6.0",
  "group": "generic",
  "complexity": "O(1)"
 },
 {
  "name": "expiretime",
  "arity": 2,
  "flags": [
   "readonly",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@keyspace",
   "@read",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RO",
     "access"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Get the expiration Unix timestamp for a key",
  "since": "7.0.0",
  "group": "generic",
  "complexity": "O(1)"
 },
 {
  "name": "pexpiretime",
  "arity": 2,
  "flags": [
   "readonly",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@keyspace",
   "@read",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RO",
     "access"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Get the expiration Unix timestamp for a key in milliseconds",
  "since": "7.0.0",
  "group": "generic",
  "complexity": "O(1)"
 },
 {
  "name": "ttl",
  "arity": 2,
  "flags": [
   "readonly",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@keyspace",
   "@read",
   "@fast"
  ],
  "tips": [
   "nondeterministic_output"
  ],
  "keySpecs": [
   {
    "flags": [
     "RO",
     "access"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Get the time to live for a key in seconds",
  "since": "1.0.0",
  "group": "generic",
  "complexity": "O(1)"
 },
 {
  "name": "pttl",
  "arity": 2,
  "flags": [
   "readonly",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@keyspace",
   "@read",
   "@fast"
  ],
  "tips": [
   "nondeterministic_output"
  ],
  "keySpecs": [
   {
    "flags": [
     "RO",
     "access"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Get the time to live for a key in milliseconds",
  "since": "2.6.0",
  "group": "generic",
  "complexity": "O(1)"
 },
 {
  "name": "persist",
  "arity": 2,
  "flags": [
   "write",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@keyspace",
   "@write",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "update"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Remove the expiration from a key",
  "since": "2.2.0",
  "group": "generic",
  "complexity": "O(1)"
 },
 {
  "name": "incr",
  "arity": 2,
  "flags": [
   "write",
   "denyoom",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@write",
   "@string",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "access",
     "update"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Increment the integer value of a key by one",
  "since": "1.0.0",
  "group": "string",
  "complexity": "O(1)"
 },
 {
  "name": "incrby",
  "arity": 3,
  "flags": [
   "write",
   "denyoom",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@write",
   "@string",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "access",
     "update"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Increment the integer value of a key by the given amount",
  "since": "1.0.0",
  "group": "string",
  "complexity": "O(1)"
 },
 {
  "name": "decr",
  "arity": 2,
  "flags": [
   "write",
   "denyoom",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@write",
   "@string",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "access",
     "update"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Decrement the integer value of a key by one",
  "since": "1.0.0",
  "group": "string",
  "complexity": "O(1)"
 },
 {
  "name": "decrby",
  "arity": 3,
  "flags": [
   "write",
   "denyoom",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@write",
   "@string",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "access",
     "update"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Decrement the integer value of a key by the given number",
  "since": "1.0.0",
  "group": "string",
  "complexity": "O(1)"
 },
 {
  "name": "incrbyfloat",
  "arity": 3,
  "flags": [
   "write",
   "denyoom",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@write",
   "@string",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "access",
     "update"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Increment the float value of a key by the given amount",
  "since": "2.6.0",
  "group": "string",
  "complexity": "O(1)"
 },
 {
  "name": "hget",
  "arity": 3,
  "flags": [
   "readonly",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@read",
   "@hash",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RO",
     "access"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Get the value of a hash field",
  "since": "2.0.0",
  "group": "hash",
  "complexity": "O(1)"
 },
 {
  "name": "hmget",
  "arity": -3,
  "flags": [
   "readonly",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@read",
   "@hash",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RO",
     "access"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Get the values of all the given hash fields",
  "since": "2.0.0",
  "group": "hash",
  "complexity": "O(N) where N is the number of fields being requested."
 },
 {
  "name": "hgetall",
  "arity": 2,
  "flags": [
   "readonly"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@read",
   "@hash",
   "@slow"
  ],
  "tips": [
   "nondeterministic_output_order"
  ],
  "keySpecs": [
   {
    "flags": [
     "RO",
     "access"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Get all the fields and values in a hash",
  "since": "2.0.0",
  "group": "hash",
  "complexity": "O(N) where N is the size of the hash."
 },
 {
  "name": "hset",
  "arity": -4,
  "flags": [
   "write",
   "denyoom",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@write",
   "@hash",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "update"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Set the string value of a hash field",
  "since": "2.0.0",
  "group": "hash",
  "complexity": "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs."
 },
 {
  "name": "hmset",
  "arity": -4,
  "flags": [
   "write",
   "denyoom",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@write",
   "@hash",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "update"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Set multiple hash fields to multiple values",
  "since": "2.0.0",
  "group": "hash",
  "complexity": "O(N) where N is the number of fields being set."
 },
 {
  "name": "hsetnx",
  "arity": 4,
  "flags": [
   "write",
   "denyoom",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@write",
   "@hash",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "insert"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Set the value of a hash field, only if the field does not exist",
  "since": "2.0.0",
  "group": "hash",
  "complexity": "O(1)"
 },
 {
  "name": "hdel",
  "arity": -3,
  "flags": [
   "write",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@write",
   "@hash",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "delete"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Delete one or more hash fields",
  "since": "2.0.0",
  "group": "hash",
  "complexity": "O(N) where N is the number of fields to be removed."
 },
 {
  "name": "hlen",
  "arity": 2,
  "flags": [
   "readonly",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@read",
   "@hash",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RO"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Get the number of fields in a hash",
  "since": "2.0.0",
  "group": "hash",
  "complexity": "O(1)"
 },
 {
  "name": "hkeys",
  "arity": 2,
  "flags": [
   "readonly"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@read",
   "@hash",
   "@slow"
  ],
  "tips": [
   "nondeterministic_output_order"
  ],
  "keySpecs": [
   {
    "flags": [
     "RO",
     "access"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Get all the fields in a hash",
  "since": "2.0.0",
  "group": "hash",
  "complexity": "O(N) where N is the size of the hash."
 },
 {
  "name": "hvals",
  "arity": 2,
  "flags": [
   "readonly"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@read",
   "@hash",
   "@slow"
  ],
  "tips": [
   "nondeterministic_output_order"
  ],
  "keySpecs": [
   {
    "flags": [
     "RO",
     "access"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Get all the values in a hash",
  "since": "2.0.0",
  "group": "hash",
  "complexity": "O(N) where N is the size of the hash."
 },
 {
  "name": "hexists",
  "arity": 3,
  "flags": [
   "readonly",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@read",
   "@hash",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RO"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Determine if a hash field exists",
  "since": "2.0.0",
  "group": "hash",
  "complexity": "O(1)"
 },
 {
  "name": "hincrby",
  "arity": 4,
  "flags": [
   "write",
   "denyoom",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@write",
   "@hash",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "access",
     "update"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Increment the integer value of a hash field by the given number",
  "since": "2.0.0",
  "group": "hash",
  "complexity": "O(1)"
 },
 {
  "name": "hincrbyfloat",
  "arity": 4,
  "flags": [
   "write",
   "denyoom",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@write",
   "@hash",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "access",
     "update"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Increment the float value of a hash field by the given amount",
  "since": "2.6.0",
  "group": "hash",
  "complexity": "O(1)"
 },
 {
  "name": "hscan",
  "arity": -3,
  "flags": [
   "readonly"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@read",
   "@hash",
   "@slow"
  ],
  "tips": [
   "nondeterministic_output"
  ],
  "keySpecs": [
   {
    "flags": [
     "RO",
     "access"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Incrementally iterate hash fields and associated values",
  "since": "2.8.0",
  "group": "hash",
  "complexity": "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.."
 },
 {
  "name": "sadd",
  "arity": -3,
  "flags": [
   "write",
   "denyoom",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@write",
   "@set",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "insert"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Add one or more members to a set",
  "since": "1.0.0",
  "group": "set",
  "complexity": "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."
 },
 {
  "name": "srem",
  "arity": -3,
  "flags": [
   "write",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@write",
   "@set",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "delete"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Remove one or more members from a set",
  "since": "1.0.0",
  "group": "set",
  "complexity": "O(N) where N is the number of members to be removed."
 },
 {
  "name": "smembers",
  "arity": 2,
  "flags": [
   "readonly"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@read",
   "@set",
   "@slow"
  ],
  "tips": [
   "nondeterministic_output_order"
  ],
  "keySpecs": [
   {
    "flags": [
     "RO",
     "access"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Get all the members in a set",
  "since": "1.0.0",
  "group": "set",
  "complexity": "O(N) where N is the set cardinality."
 },
 {
  "name": "sismember",
  "arity": 3,
  "flags": [
   "readonly",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@read",
   "@set",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RO"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Determine if a given value is a member of a set",
  "since": "1.0.0",
  "group": "set",
  "complexity": "O(1)"
 },
 {
  "name": "scard",
  "arity": 2,
  "flags": [
   "readonly",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@read",
   "@set",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RO"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Get the number of members in a set",
  "since": "1.0.0",
  "group": "set",
  "complexity": "O(1)"
 },
 {
  "name": "sscan",
  "arity": -3,
  "flags": [
   "readonly"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@read",
   "@set",
   "@slow"
  ],
  "tips": [
   "nondeterministic_output"
  ],
  "keySpecs": [
   {
    "flags": [
     "RO",
     "access"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Incrementally iterate Set elements",
  "since": "2.8.0",
  "group": "set",
  "complexity": "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.."
 },
 {
  "name": "zadd",
  "arity": -4,
  "flags": [
   "write",
   "denyoom",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@write",
   "@sortedset",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "update"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Add one or more members to a sorted set, or update its score if it already exists",
  "since": "1.2.0",
  "group": "sorted-set",
  "complexity": "O(log(N)) for each item added, where N is the number of elements in the sorted set."
 },
 {
  "name": "zincrby",
  "arity": 4,
  "flags": [
   "write",
   "denyoom",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@write",
   "@sortedset",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "access",
     "update"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Increment the score of a member in a sorted set",
  "since": "1.2.0",
  "group": "sorted-set",
  "complexity": "O(log(N)) where N is the number of elements in the sorted set."
 },
 {
  "name": "zscore",
  "arity": 3,
  "flags": [
   "readonly",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@read",
   "@sortedset",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RO",
     "access"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Get the score associated with the given member in a sorted set",
  "since": "1.2.0",
  "group": "sorted-set",
  "complexity": "O(1)"
 },
 {
  "name": "zcard",
  "arity": 2,
  "flags": [
   "readonly",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@read",
   "@sortedset",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RO"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Get the number of members in a sorted set",
  "since": "1.2.0",
  "group": "sorted-set",
  "complexity": "O(1)"
 },
 {
  "name": "zrem",
  "arity": -3,
  "flags": [
   "write",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@write",
   "@sortedset",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RW",
     "delete"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Remove one or more members from a sorted set",
  "since": "1.2.0",
  "group": "sorted-set",
  "complexity": "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed."
 },
 {
  "name": "zrank",
  "arity": 3,
  "flags": [
   "readonly",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@read",
   "@sortedset",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RO",
     "access"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Determine the index of a member in a sorted set",
  "since": "2.0.0",
  "group": "sorted-set",
  "complexity": "O(log(N))"
 },
 {
  "name": "zrevrank",
  "arity": 3,
  "flags": [
   "readonly",
   "fast"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@read",
   "@sortedset",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RO",
     "access"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Determine the index of a member in a sorted set, with scores ordered from high to low",
  "since": "2.0.0",
  "group": "sorted-set",
  "complexity": "O(log(N))"
 },
 {
  "name": "zrange",
  "arity": -4,
  "flags": [
   "readonly"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@read",
   "@sortedset",
   "@slow"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RO",
     "access"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Return a range of members in a sorted set",
  "since": "1.2.0",
  "group": "sorted-set",
  "complexity": "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned."
 },
 {
  "name": "zrevrange",
  "arity": -4,
  "flags": [
   "readonly"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@read",
   "@sortedset",
   "@slow"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RO",
     "access"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Return a range of members in a sorted set, by index, with scores ordered from high to low",
  "since": "1.2.0",
  "group": "sorted-set",
  "complexity": "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned."
 },
 {
  "name": "zrangebyscore",
  "arity": -4,
  "flags": [
   "readonly"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@read",
   "@sortedset",
   "@slow"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RO",
     "access"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Return a range of members in a sorted set, by score",
  "since": "1.0.5",
  "group": "sorted-set",
  "complexity": "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))."
 },
 {
  "name": "zrevrangebyscore",
  "arity": -4,
  "flags": [
   "readonly"
  ],
  "firstKey": 1,
  "lastKey": 1,
  "step": 1,
  "categories": [
   "@read",
   "@sortedset",
   "@slow"
  ],
  "tips": [],
  "keySpecs": [
   {
    "flags": [
     "RO",
     "access"
    ],
    "begin_search": {
     "type": "index",
     "spec": {
      "index": 1
     }
    },
    "find_keys": {
     "type": "range",
     "spec": {
      "lastkey": 0,
      "keystep": 1,
      "limit": 0
     }
    }
   }
  ],
  "summary": "Return a range of members in a sorted set, by score, with scores ordered from high to low",
  "since": "2.2.0",
  "group": "sorted-set",
  "complexity": "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))."
 },
 {
  "name": "subscribe",
  "arity": -2,
  "flags": [
   "pubsub",
   "noscript",
   "loading",
   "stale"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@pubsub",
   "@slow"
  ],
  "tips": [],
  "keySpecs": [],
  "summary": "Listen for messages published to the given channels",
  "since": "2.0.0",
  "group": "pubsub",
  "complexity": "O(N) where N is the number of channels to subscribe to."
 },
 {
  "name": "psubscribe",
  "arity": -2,
  "flags": [
   "pubsub",
   "noscript",
   "loading",
   "stale"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@pubsub",
   "@slow"
  ],
  "tips": [],
  "keySpecs": [],
  "summary": "Listen for messages published to channels matching the given patterns",
  "since": "2.0.0",
  "group": "pubsub",
  "complexity": "O(N) where N is the number of patterns the client is already subscribed to."
 },
 {
  "name": "unsubscribe",
  "arity": -1,
  "flags": [
   "pubsub",
   "noscript",
   "loading",
   "stale"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@pubsub",
   "@slow"
  ],
  "tips": [],
  "keySpecs": [],
  "summary": "Stop listening for messages posted to the given channels",
  "since": "2.0.0",
  "group": "pubsub",
  "complexity": "O(N) where N is the number of clients already subscribed to a channel."
 },
 {
  "name": "punsubscribe",
  "arity": -1,
  "flags": [
   "pubsub",
   "noscript",
   "loading",
   "stale"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@pubsub",
   "@slow"
  ],
  "tips": [],
  "keySpecs": [],
  "summary": "Stop listening for messages posted to channels matching the given patterns",
  "since": "2.0.0",
  "group": "pubsub",
  "complexity": "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client)."
 },
 {
  "name": "publish",
  "arity": 3,
  "flags": [
   "pubsub",
   "loading",
   "stale",
   "fast"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@pubsub",
   "@fast"
  ],
  "tips": [],
  "keySpecs": [],
  "summary": "Post a message to a channel",
  "since": "2.0.0",
  "group": "pubsub",
  "complexity": "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client)."
 },
 {
  "name": "pubsub",
  "arity": -2,
  "flags": [],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@slow"
  ],
  "tips": [],
  "keySpecs": [],
  "summary": "A container for Pub/Sub commands",
  "since": "2.8.0",
  "group": "pubsub",
  "complexity": "Depends on subcommand.",
  "subcommands": [
   {
    "name": "pubsub|help",
    "arity": 2,
    "flags": [
     "loading",
     "stale"
    ],
    "firstKey": 0,
    "lastKey": 0,
    "step": 0,
    "categories": [
     "@slow"
    ],
    "tips": [],
    "keySpecs": [],
    "summary": "Show helpful text about the different subcommands",
    "since": "6.2.0",
    "group": "pubsub",
    "complexity": "O(1)"
   },
   {
    "name": "pubsub|numsub",
    "arity": -2,
    "flags": [
     "pubsub",
     "loading",
     "stale"
    ],
    "firstKey": 0,
    "lastKey": 0,
    "step": 0,
    "categories": [
     "@pubsub",
     "@slow"
    ],
    "tips": [],
    "keySpecs": [],
    "summary": "Get the count of subscribers for channels",
    "since": "2.8.0",
    "group": "pubsub",
    "complexity": "O(N) for the NUMSUB subcommand, where N is the number of requested channels"
   },
   {
    "name": "pubsub|numpat",
    "arity": 2,
    "flags": [
     "pubsub",
     "loading",
     "stale"
    ],
    "firstKey": 0,
    "lastKey": 0,
    "step": 0,
    "categories": [
     "@pubsub",
     "@slow"
    ],
    "tips": [],
    "keySpecs": [],
    "summary": "Get the count of unique patterns pattern subscriptions",
    "since": "2.8.0",
    "group": "pubsub",
    "complexity": "O(1)"
   },
   {
    "name": "pubsub|channels",
    "arity": -2,
    "flags": [
     "pubsub",
     "loading",
     "stale"
    ],
    "firstKey": 0,
    "lastKey": 0,
    "step": 0,
    "categories": [
     "@pubsub",
     "@slow"
    ],
    "tips": [],
    "keySpecs": [],
    "summary": "List active channels",
    "since": "2.8.0",
    "group": "pubsub",
    "complexity": "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)"
   }
  ]
 },
 {
  "name": "multi",
  "arity": 1,
  "flags": [
   "noscript",
   "loading",
   "stale",
   "fast",
   "allow_busy"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@fast",
   "@transaction"
  ],
  "tips": [],
  "keySpecs": [],
  "summary": "Mark the start of a transaction block",
  "since": "1.2.0",
  "group": "transactions",
  "complexity": "O(1)"
 },
 {
  "name": "exec",
  "arity": 1,
  "flags": [
   "noscript",
   "loading",
   "stale",
   "skip_slowlog"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@slow",
   "@transaction"
  ],
  "tips": [],
  "keySpecs": [],
  "summary": "Execute all commands issued after MULTI",
  "since": "1.2.0",
  "group": "transactions",
  "complexity": "Depends on commands in the transaction"
 },
 {
  "name": "discard",
  "arity": 1,
  "flags": [
   "noscript",
   "loading",
   "stale",
   "fast",
   "allow_busy"
  ],
  "firstKey": 0,
  "lastKey": 0,
  "step": 0,
  "categories": [
   "@fast",
   "@transaction"
  ],
  "tips": [],
  "keySpecs": [],
  "summary": "Discard all commands issued after MULTI",
  "since": "2.0.0",
  "group": "transactions",
  "complexity": "O(N), when N is the number of queued commands"
 }
];
