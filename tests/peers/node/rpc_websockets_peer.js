// The npm `rpc-websockets` JSON-RPC 2.0 server, as its users run it, on
// 127.0.0.1 and an ephemeral port printed as "PORT <n>". Methods: sum,
// fail (throws), emit_tick (fires the `tick` event to subscribers).
'use strict';
const { Server } = require('rpc-websockets');

const server = new Server({ host: '127.0.0.1', port: 0 });
server.register('sum', (params) => params.reduce((a, b) => a + b, 0));
server.register('fail', () => { throw new Error('it failed'); });
server.event('tick');
server.register('emit_tick', (params) => { server.emit('tick', { n: params[0] }); return true; });

server.on('listening', () => console.log(`PORT ${server.wss.address().port}`));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
