// Shared by the Node peers: print "PORT <n>" once listening on an ephemeral
// loopback port (the tests/support/peer_process.hpp convention), and exit on
// SIGTERM or when stdin closes (the test that started the peer went away).
'use strict';

function serveUntilStdinEnds(server, wss) {
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`PORT ${server.address().port}\n`);
  });
  const stop = () => { wss.close(); server.close(); process.exit(0); };
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}

module.exports = { serveUntilStdinEnds };
