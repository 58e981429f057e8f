// `soon(f)`: runs `f` in a later task, from a MessageChannel message. The shell's zero-length timer
// (the long poll deferred one task after CONNECTED, so that the application's reaction leaves
// first and alone): setTimeout(0) is clamped after nesting and throttled in hidden tabs (once a
// second, or a minute), a message is not. The tasks run in the order they were asked for.
let port;
const queue = [];
export function soon(f) {
  if (!port) {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => queue.shift()?.();
    port = channel.port2;
  }
  queue.push(f);
  port.postMessage(0);
}
