// ssh2's client and key parser, imported from their own files: ssh2's index also loads its server,
// its HTTP agents (node:http, node:https, node:tls) and its key generator, which php-deploy never uses
// (~15 ms of every start). Typed as what the index exports for them.
declare module 'ssh2/lib/client.js' {
  import type { Client } from 'ssh2';
  const ClientClass: typeof Client;
  export default ClientClass;
}
declare module 'ssh2/lib/protocol/keyParser.js' {
  import type { utils } from 'ssh2';
  export const parseKey: typeof utils.parseKey;
}
