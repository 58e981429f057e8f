// The package imported by its npm name, as in any bundled app. Vite (with vite-plugin-wasm)
// instantiates the .wasm before this module runs: no init() call.
import { Connection, Status, $pres } from 'xmpp-wasm';

const $ = (id) => document.getElementById(id);
const log = (line) => { $('log').textContent += `${line}\n`; };
let conn;

$('login').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  conn = new Connection(String(form.get('service')), { wait: 30 });
  conn.addHandler((msg) => {
    log(`message from ${msg.getAttribute('from')}: ${msg.querySelector('body')?.textContent ?? ''}`);
    return true;
  }, null, 'message');
  $('connect').disabled = true;
  try {
    await conn.connect(String(form.get('jid')), String(form.get('password')), (status, condition) => {
      $('status').textContent = Status[status];
      log(`status ${Status[status]}${condition ? ` (${condition})` : ''}`);
    });
    $('jid').textContent = conn.jid ?? '';
    conn.send($pres());   // available: others see us online
    $('disconnect').disabled = false;
  } catch (e) {
    log(`${e.name}: ${e.message}`);
    $('connect').disabled = false;
  }
});

$('disconnect').addEventListener('click', async () => {
  $('disconnect').disabled = true;
  await conn?.disconnect();
  $('connect').disabled = false;
});
