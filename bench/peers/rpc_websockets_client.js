// RPC bench client on the npm `rpc-websockets` Client (resolved from
// tests/peers/node/node_modules via NODE_PATH), as its users call it: await client.call().
// N calls of "echo" with params [seq, "xx...x"] of S bytes as compact JSON, at most W
// outstanding (W async workers), every result checked against its params; the RESULT line of
// bench/bench_common.h (mode throughput). Usage as bench/peers/rpc_bench_common.py.
'use strict';
const { Client } = require('rpc-websockets');

const a = { url: 'ws://127.0.0.1:9001/', mode: 'throughput', size: 64, window: 1, count: 1000 };
for (let i = 2; i + 1 < process.argv.length; i += 2) {
  const k = process.argv[i], v = process.argv[i + 1];
  if (k === '--url') a.url = v;
  else if (k === '--mode') a.mode = v;
  else if (k === '--size') a.size = +v;
  else if (k === '--window') a.window = +v;
  else if (k === '--count') a.count = +v;
  else { console.error('unknown option ' + k); process.exit(2); }
}

const paramsOf = (seq) => {
  const fixed = JSON.stringify([seq, '']).length;
  return [seq, 'x'.repeat(Math.max(0, a.size - fixed))];
};
const pct = (v, q) => (v.length ? Number(v[Math.min(v.length - 1, Math.floor(q * v.length))]) / 1000 : 0);

const client = new Client(a.url, { autoconnect: true, reconnect: false });
client.on('error', (e) => { console.error('error: ' + e.message); process.exit(1); });
client.on('open', async () => {
  const rtt = new Array(a.count);
  let next = 0, verified = 0;
  const worker = async () => {
    while (next < a.count) {
      const seq = next++;
      const params = paramsOf(seq);
      const t = process.hrtime.bigint();
      const result = await client.call('echo', params, 60000);
      rtt[seq] = process.hrtime.bigint() - t;
      if (result[0] === params[0] && result[1] === params[1]) verified++;
    }
  };
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: Math.min(a.window, a.count) }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);  // this process's CPU over the timed section
  rtt.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  console.log(`RESULT client=rpc_websockets mode=${a.mode} size=${a.size} window=${a.window} ` +
    `count=${a.count} seconds=${seconds.toFixed(6)} msgs_per_s=${(a.count / seconds).toFixed(1)} ` +
    `mb_per_s=${(a.count * a.size / seconds / 1e6).toFixed(3)} p50_us=${pct(rtt, 0.5).toFixed(1)} ` +
    `p99_us=${pct(rtt, 0.99).toFixed(1)} p999_us=${pct(rtt, 0.999).toFixed(1)} verified=${verified} cpu_s=${((cpu.user + cpu.system) / 1e6).toFixed(6)}`);
  client.close();
  process.exit(0);
});
