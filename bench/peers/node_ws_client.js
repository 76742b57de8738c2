// Peer client on Node ws (npm; resolved from tests/peers/node/node_modules via NODE_PATH).
// Same CLI, protocol and RESULT line as the C/C++ clients (bench/bench_common.h).
'use strict';
const fs = require('fs');
const tls = require('tls');
const WebSocket = require('ws');

const a = { url: 'ws://127.0.0.1:9001/', mode: 'throughput', size: 64, window: 1, count: 1000,
  conns: 1000, pingMs: 10000, idleMs: 12000, payload: 'pattern', ca: null, deflate: 0,
  resume: 1 };
for (let i = 2; i + 1 < process.argv.length; i += 2) {
  const k = process.argv[i], v = process.argv[i + 1];
  if (k === '--url') a.url = v;
  else if (k === '--mode') a.mode = v;
  else if (k === '--size') a.size = +v;
  else if (k === '--window') a.window = +v;
  else if (k === '--count') a.count = +v;
  else if (k === '--conns') a.conns = +v;
  else if (k === '--ping-ms') a.pingMs = +v;
  else if (k === '--idle-ms') a.idleMs = +v;
  else if (k === '--payload') a.payload = v;
  else if (k === '--ca') a.ca = v;
  else if (k === '--deflate') a.deflate = +v;
  else if (k === '--resume') a.resume = +v;
  else { console.error('unknown option ' + k); process.exit(2); }
}
if (a.mode === 'latency') a.window = 1;

const now = () => process.hrtime.bigint();
function pattern(size) {
  const b = Buffer.alloc(size);
  for (let i = 8; i < size; i++) b[i] = (i * 7 + 13) & 0xff;
  return b;
}
// bench_payload of bench/bench_common.h, byte for byte (xorshift32 from 2463534242).
const WORDS = ['the ', 'quick ', '"brown": ', 'fox, ', '{"id": ', '42, ', 'lazy ', 'dog}\n'];
function payload(size) {
  if (a.payload === 'pattern') return pattern(size);
  const b = Buffer.alloc(size);
  let x = 2463534242, i = 8;
  while (i < size) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    if (a.payload === 'random') b[i++] = x & 0xff;
    else for (const ch of WORDS[x % 8]) { if (i < size) b[i++] = ch.charCodeAt(0); }
  }
  return b;
}
// WebSocket options for --ca (wss), --deflate and --resume: the last TLS session (ticket)
// any connection received is handed to the next tls.connect as its `session`.
let lastSession = null;
function wire(extra) {
  const o = Object.assign({ perMessageDeflate: !!a.deflate }, extra);
  if (a.url.startsWith('wss:')) {
    o.ca = fs.readFileSync(a.ca);
    o.createConnection = (opts) => {
      const s = tls.connect(Object.assign({}, opts, {
        servername: '', session: a.resume && lastSession ? lastSession : undefined }));
      s.on('session', (sess) => { lastSession = sess; });
      return s;
    };
  }
  return o;
}
function pct(v, q) {
  if (!v.length) return 0;
  return Number(v[Math.min(v.length - 1, Math.floor(q * v.length))]) / 1000;
}
function rssKb() {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? +m[1] : -1;
}
function fail(msg) { console.error(msg); process.exit(1); }
function resultMsgs(seconds, samples, verified) {
  samples.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const c = a.mode === 'connect';
  console.log(`RESULT client=node_ws mode=${a.mode} size=${c ? 0 : a.size} window=${c ? 0 : a.window} ` +
    `count=${a.count} seconds=${seconds.toFixed(6)} msgs_per_s=${(a.count / seconds).toFixed(1)} ` +
    `mb_per_s=${(c ? 0 : a.count * a.size / seconds / 1e6).toFixed(3)} p50_us=${pct(samples, 0.5).toFixed(1)} ` +
    `p99_us=${pct(samples, 0.99).toFixed(1)} p999_us=${pct(samples, 0.999).toFixed(1)} verified=${verified}`);
}

function messages() {
  const pat = payload(a.size);
  const tSend = new Array(a.count), rtt = new Array(a.count);
  let sent = 0, received = 0, t0 = 0n;
  const ws = new WebSocket(a.url, wire({ maxPayload: 2 * a.size + 1024 }));
  ws.binaryType = 'nodebuffer';
  const sendMore = () => {
    while (sent < a.count && sent - received < a.window) {
      const b = Buffer.allocUnsafe(a.size);
      pat.copy(b);
      b.writeBigUInt64LE(BigInt(sent), 0);
      tSend[sent] = now();
      ws.send(b, { binary: true });
      sent++;
    }
  };
  ws.on('open', () => { t0 = now(); sendMore(); });
  ws.on('message', (data) => {
    const t = now();
    if (data.length !== a.size || data.readBigUInt64LE(0) !== BigInt(received) ||
        data.compare(pat, 8, a.size, 8, a.size) !== 0) fail(`verify: message ${received} differs`);
    rtt[received] = t - tSend[received];
    received++;
    if (received === a.count) {
      resultMsgs(Number(t - t0) / 1e9, rtt, received);
      ws.close(1000);
    } else sendMore();
  });
  ws.on('error', (e) => fail('error: ' + e.message));
  ws.on('close', () => { if (received !== a.count) fail('closed early'); });
}

async function connect() {
  const lat = [];
  let resumed = 0;
  const t0 = now();
  for (let i = 0; i < a.count; i++) {
    const s = now();
    const code = await new Promise((resolve, reject) => {
      const ws = new WebSocket(a.url, wire({}));
      ws.on('open', () => {
        if (ws._socket.isSessionReused && ws._socket.isSessionReused()) resumed++;
        ws.close(1000);
      });
      ws.on('error', reject);
      ws.on('close', (c) => resolve(c));
    });
    if (code !== 1000) fail('close not clean: ' + code);
    lat.push(now() - s);
  }
  // Resumption on, wss: every handshake after the first must have resumed, or the cell lies.
  if (a.resume && a.url.startsWith('wss:') && resumed < a.count - 1)
    fail(`only ${resumed} of ${a.count} handshakes resumed`);
  resultMsgs(Number(now() - t0) / 1e9, lat, a.count);
}

async function scale() {
  const rss0 = rssKb();
  const t0 = now();
  let dropped = 0, idle = false;
  const urls = a.url.split(',');  // spread over several server ports (bench/scale_run)
  const socks = await Promise.all(Array.from({ length: a.conns }, (_, i) => new Promise((resolve, reject) => {
    const ws = new WebSocket(urls[i % urls.length], { perMessageDeflate: false, handshakeTimeout: 60000 });
    ws.on('open', () => resolve(ws));
    ws.on('error', reject);
    ws.on('close', () => { if (!idle) dropped++; });
  })));
  const openS = Number(now() - t0) / 1e9;
  const rss1 = rssKb();
  // Heartbeat: one timer pings every connection each interval.
  const hb = setInterval(() => { for (const s of socks) s.ping(); }, a.pingMs);
  const c0 = process.cpuUsage(), w0 = now();
  await new Promise((r) => setTimeout(r, a.idleMs));
  const cu = process.cpuUsage(c0), wall = Number(now() - w0) / 1e9;
  clearInterval(hb);
  if (dropped) fail(`scale: ${dropped} connections dropped while idle`);
  const cpu = (cu.user + cu.system) / 1e6;
  console.log(`RESULT client=node_ws mode=scale conns=${a.conns} open_s=${openS.toFixed(4)} ` +
    `rss_kb_per_conn=${((rss1 - rss0) / a.conns).toFixed(2)} rss_before_kb=${rss0} rss_after_kb=${rss1} ` +
    `idle_cpu_pct=${(100 * cpu / wall).toFixed(3)} ping_ms=${a.pingMs} idle_ms=${a.idleMs} verified=${socks.length}`);
  idle = true;
  for (const s of socks) s.terminate();
}

if (a.mode === 'connect') connect().catch((e) => fail(String(e)));
else if (a.mode === 'scale') scale().catch((e) => fail(String(e)));
else messages();
