import { createServer, type Server } from 'node:http';

export interface HttpEndpointOptions {
  address: string;
  port: number;
  metrics: () => string;
  /** Status and body for /healthz: 200 while running, 503 otherwise. */
  health: () => { ok: boolean; body: unknown };
}

/** /metrics (Prometheus text) and /healthz (JSON) on a loopback address. */
export async function startHttpEndpoint(options: HttpEndpointOptions): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  if (!options.address.startsWith('127.')) throw new Error(`metrics endpoint must bind to loopback, got ${options.address}`);
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(options.metrics());
      return;
    }
    if (req.method === 'GET' && req.url === '/healthz') {
      const h = options.health();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(h.body)}\n`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /metrics or /healthz\n');
  });
  server.requestTimeout = 5_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.address, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : options.port;
  return { server, port, close: () => new Promise((r) => server.close(() => r())) };
}
