// server.js - Menhir's GET /api/v1/ping and GET /api/v1/documents in Express, for bench/run's
// comparison rows: node's cluster module with one worker per core (PEER_WORKERS), each with
// its own node-postgres Pool and revocation table, listening on the unix socket PEER_SOCKET
// behind the stack's nginx. Configuration: config.js. `node server.js --print-sql` prints the
// statements of a list page (bench/peers/check compares them with Menhir's).
import cluster from 'node:cluster';
import { rmSync } from 'node:fs';

import pg from 'pg';

import { createApp } from './app.js';
import { loadConfig } from './config.js';
import { ENTER_SQL, LIST_SQL, PLAN_SQL } from './documents.js';
import { Revocations } from './revocation.js';

function primary(config) {
  let stopping = false;
  let deaths = [];
  rmSync(config.socket, { force: true }); // left by a peer that was killed
  for (let i = 0; i < config.workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers).length === 0) process.exit();
      return;
    }
    // A dead worker is replaced, unless they keep dying (a worker that cannot start).
    const now = Date.now();
    deaths = deaths.filter((t) => now - t < 10000).concat(now);
    console.error(`express peer: worker ${worker.process.pid} died (${signal || code})`);
    if (deaths.length > config.workers) {
      console.error('express peer: workers keep dying; stopping');
      process.exitCode = 1;
      stop();
      return;
    }
    cluster.fork();
  });
  function stop() {
    stopping = true;
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
    if (Object.keys(cluster.workers).length === 0) process.exit();
  }
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function worker(config) {
  const pool = new pg.Pool({
    ...config.database,
    max: config.poolSize,
    application_name: 'express-peer',
    statement_timeout: 5000, // Menhir's db_statement_timeout
  });
  pool.on('error', (e) => console.error(`express peer ${process.pid}: idle client: ${e.message}`));
  const revocations = new Revocations(config.redisUrl);
  revocations.start();
  await revocations.ready;
  const server = createApp(config, pool, revocations).listen(config.socket);
  // Longer than nginx's upstream keepalive_timeout (60 s), so nginx is always the side that
  // closes an idle kept connection and never sends on one we are closing (a 502).
  server.keepAliveTimeout = 65000;
  server.headersTimeout = 66000;
  process.on('SIGTERM', () => {
    // In-flight requests finish; a stuck one does not keep the worker (and the primary) up.
    setTimeout(() => process.exit(0), 5000).unref();
    server.close();
    server.closeIdleConnections();
    revocations.stop();
    pool.end().finally(() => process.exit(0));
  });
}

if (process.argv[2] === '--print-sql') {
  console.log(LIST_SQL);
  console.log(PLAN_SQL);
  console.log(ENTER_SQL);
} else {
  const config = loadConfig();
  if (cluster.isPrimary) primary(config);
  else worker(config);
}
