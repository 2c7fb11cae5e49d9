// No AWS here (none is reachable from this machine, nor the VPC's DNS): a tiny DNS server on
// 127.0.0.1 answers A queries for RDS-style instance endpoints, so the real node:dns resolver
// used by the RDS topology is exercised end to end over UDP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { dnsResolver, resolveTopologyAddresses } from '../../src/failover/topology/endpoint-resolver.js';
import type { ClusterTopology } from '../../src/failover/topology/cluster-topology.js';

const SUFFIX = 'c9akciq32xyz.ap-northeast-1.rds.amazonaws.com';
const records = new Map<string, string>([
  [`aurora-prod-01-instance-1.${SUFFIX}`, '10.0.3.11'],
  [`aurora-prod-01-instance-2.${SUFFIX}`, '10.0.3.12'],
]);

/** Answers A queries from `records` (NXDOMAIN otherwise); question copied back as DNS requires. */
function answer(query: Buffer): Buffer {
  let off = 12;
  const labels: string[] = [];
  while (query[off] !== 0) {
    const len = query[off] as number;
    labels.push(query.subarray(off + 1, off + 1 + len).toString('ascii'));
    off += len + 1;
  }
  const questionEnd = off + 1 + 4;
  const ip = records.get(labels.join('.').toLowerCase());
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // id
  header.writeUInt16BE(ip ? 0x8180 : 0x8183, 2); // response, RD, RA; rcode 0 or NXDOMAIN
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(ip ? 1 : 0, 6);
  const question = query.subarray(12, questionEnd);
  if (!ip) return Buffer.concat([header, question]);
  const rr = Buffer.alloc(16);
  rr.writeUInt16BE(0xc00c, 0); // name: pointer to the question
  rr.writeUInt16BE(1, 2); // A
  rr.writeUInt16BE(1, 4); // IN
  rr.writeUInt32BE(5, 6); // TTL, as Aurora instance endpoints use
  rr.writeUInt16BE(4, 10);
  ip.split('.').forEach((o, k) => rr.writeUInt8(Number(o), 12 + k));
  return Buffer.concat([header, question, rr]);
}

let server: Socket;
let servers: string[];
beforeAll(async () => {
  server = createSocket('udp4');
  server.on('message', (msg, rinfo) => server.send(answer(msg), rinfo.port, rinfo.address));
  await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
  servers = [`127.0.0.1:${server.address().port}`];
});
afterAll(() => server.close());

describe('dnsResolver', () => {
  it('resolves an instance endpoint to its address over real DNS', async () => {
    const resolve = dnsResolver({ servers, timeoutMs: 500 });
    await expect(resolve(`aurora-prod-01-instance-2.${SUFFIX}`)).resolves.toBe('10.0.3.12');
    await expect(resolve(`aurora-gone-instance-9.${SUFFIX}`)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('turns a topology of endpoint names into addresses, keeping the names', async () => {
    const topology: ClusterTopology = {
      cluster: 'aurora-test', source: 'rds', fetchedAt: 1,
      instances: [
        { id: 'aurora-prod-01-instance-1', host: `aurora-prod-01-instance-1.${SUFFIX}`, port: 3306 },
        { id: 'aurora-prod-01-instance-2', host: `aurora-prod-01-instance-2.${SUFFIX}`, port: 3306 },
        { id: 'literal', host: '10.0.9.9', port: 3306 },
        { id: 'aurora-new-instance-3', host: `aurora-new-instance-3.${SUFFIX}`, port: 3306 },
      ],
    };
    const { topology: out, unresolved } = await resolveTopologyAddresses(topology, undefined, dnsResolver({ servers, timeoutMs: 500 }));
    expect(out.instances).toEqual([
      { id: 'aurora-prod-01-instance-1', host: '10.0.3.11', port: 3306, endpoint: `aurora-prod-01-instance-1.${SUFFIX}` },
      { id: 'aurora-prod-01-instance-2', host: '10.0.3.12', port: 3306, endpoint: `aurora-prod-01-instance-2.${SUFFIX}` },
      { id: 'literal', host: '10.0.9.9', port: 3306 },
    ]);
    expect(out.pending).toEqual([{ id: 'aurora-new-instance-3', status: 'unresolved' }]);
    expect(unresolved).toMatchObject([{ id: 'aurora-new-instance-3', keptPrevious: false }]);
  });
});
