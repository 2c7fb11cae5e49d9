import type { Endpoint } from './admin.js';

/** How a server is named in logs and errors: "10.0.1.5:3306" or "/run/mysqld.sock (socket)". */
export function describeServer(endpoint: Pick<Endpoint, 'host' | 'port' | 'socketPath'>): string {
  return endpoint.socketPath ? `${endpoint.socketPath} (socket)` : `${endpoint.host}:${endpoint.port}`;
}
