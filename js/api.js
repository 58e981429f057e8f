// The public API of the package, the same in every build target (the entries web.js, bundler.js
// and no-modules.js add the init functions of their target).
export { Connection, Status, LogLevel } from './connection.js';
export { Builder, $build, $msg, $iq, $pres } from './builder.js';
export { getBareJidFromJid, getNodeFromJid, getDomainFromJid, getResourceFromJid, escapeNode, unescapeNode } from './jid.js';
export { ConnectionError, SessionError, StanzaError, PrebindError, TimeoutError, DisconnectedError } from './errors.js';
// The names without `$`, as earlier builds exported them.
export { $build as build, $msg as msg, $iq as iq, $pres as pres } from './builder.js';
