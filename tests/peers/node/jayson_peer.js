// JSON-RPC 2.0 peer for the wsc RPC tests: the npm `jayson` server behind
// Node `ws` (jayson's own transports are HTTP/TCP; Server.call takes one
// parsed request or batch and gives the response, as its relay example
// does). On 127.0.0.1 and an ephemeral port, printed as "PORT <n>"; exits
// at EOF on stdin. Methods: add, echo, fail (error 42 "nope" with data
// {why: "asked to"}), slow [ms, value], note (notification, recorded per
// connection) and notes, drop (TCP ends without a Close).
'use strict';
const { WebSocketServer } = require('ws');
const jayson = require('jayson');

const server = new jayson.Server({
  add: ([a, b], context, done) => done(null, a + b),
  echo: (params, context, done) => done(null, params),
  fail: (params, context, done) => done({ code: 42, message: 'nope', data: { why: 'asked to' } }),
  slow: ([ms, value], context, done) => setTimeout(() => done(null, value), ms),
  note: (params, context, done) => { context.notes.push(params); done(); },
  notes: (params, context, done) => done(null, context.notes),
  drop: (params, context, done) => {
    setTimeout(() => context.socket.terminate(), 10);
    done(null, true);
  },
}, { useContext: true });

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 64 << 20 });

wss.on('connection', (socket) => {
  const context = { socket, notes: [] };
  socket.on('message', (data) => {
    // A string is parsed by jayson: a parse error gets its -32700 answer.
    server.call(data.toString(), context, (error, response) => {
      const answer = error || response;  // nothing for notifications
      if (answer !== undefined) socket.send(JSON.stringify(answer));
    });
  });
});

wss.on('listening', () => console.log(`PORT ${wss.address().port}`));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
