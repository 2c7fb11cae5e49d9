// AWS is faked here because no AWS endpoint can be reached from this machine: the RDS client is
// stubbed at the SDK command level with aws-sdk-client-mock (answers shaped like the real
// DescribeDBClusters / DescribeDBInstances), and discovery runs on the real SDK-backed RdsApi. The
// instance endpoints are resolved by a scripted resolver (the VPC's DNS is not here).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { stringify } from 'yaml';
import { createRdsApi } from '../../src/aws/rds-sdk-api.js';
import { silentLogger } from '../../src/core/logger.js';
import { migrateEnvFromConfig } from '../../src/migrate/migrate-env-from-config.js';
import { discoverTarget } from '../../src/migrate/target-discovery.js';

const SUFFIX = 'c9akciq32xyz.ap-northeast-1.rds.amazonaws.com';
const ID = 'aurora-main';
const meta = { httpStatusCode: 200, requestId: 'e5d4c3b2-a190-4f8e-8d7c-6b5a49382716', attempts: 1, totalRetryDelay: 0 };
const rds = mockClient(RDSClient);
const api = () => createRdsApi({ region: 'ap-northeast-1', client: new RDSClient({ region: 'ap-northeast-1' }), context: { retry: { maxAttempts: 1 } } });
const zone = new Map([[`${ID}-1.${SUFFIX}`, '10.0.1.10'], [`${ID}-2.${SUFFIX}`, '10.0.1.11'], [`${ID}-3.${SUFFIX}`, '10.0.1.12']]);
const resolve = async (name: string): Promise<string> => {
  const ip = zone.get(name);
  if (!ip) throw new Error(`queryA ENOTFOUND ${name}`);
  return ip;
};

function serve(status: string, members: { id: string; writer?: boolean; status?: string }[]): void {
  rds.on(DescribeDBClustersCommand).resolves({
    $metadata: meta,
    DBClusters: [{ DBClusterIdentifier: ID, Status: status, Engine: 'aurora-mysql', EngineVersion: '8.0.mysql_aurora.3.05.2', Port: 3306, DBClusterMembers: members.map((m) => ({ DBInstanceIdentifier: m.id, IsClusterWriter: m.writer === true, PromotionTier: 1 })) }],
  });
  rds.on(DescribeDBInstancesCommand).resolves({
    $metadata: meta,
    DBInstances: members.map((m) => ({ DBInstanceIdentifier: m.id, DBInstanceStatus: m.status ?? 'available', Engine: 'aurora-mysql', DBClusterIdentifier: ID, Endpoint: { Address: `${m.id}.${SUFFIX}`, Port: 3306 } })),
  });
}

beforeEach(() => rds.reset());

describe('target.discover: the Aurora cluster from RDS', () => {
  it('takes the writer RDS reports and every available reader, as addresses', async () => {
    serve('available', [{ id: `${ID}-1`, writer: true }, { id: `${ID}-2` }, { id: `${ID}-3`, status: 'rebooting' }]);
    expect(await discoverTarget(api(), ID, resolve)).toEqual({ writer: { id: `${ID}-1`, host: '10.0.1.10', port: 3306 }, readers: [{ id: `${ID}-2`, host: '10.0.1.11', port: 3306 }] });
  });

  it('refuses a cluster that is failing over, naming its members', async () => {
    serve('failing-over', [{ id: `${ID}-1` }, { id: `${ID}-2` }]);
    await expect(discoverTarget(api(), ID, resolve)).rejects.toThrow(`RDS cluster ${ID} is failing-over with 0 available writer(s) (${ID}-1:reader/available, ${ID}-2:reader/available)`);
  });

  it('refuses an endpoint that does not resolve', async () => {
    serve('available', [{ id: `${ID}-1`, writer: true }, { id: `${ID}-9` }]);
    await expect(discoverTarget(api(), ID, resolve)).rejects.toThrow(`cannot resolve ${ID}-9's endpoint ${ID}-9.${SUFFIX}`);
  });

  describe('through migrate.yaml', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'dbf-migdisc-'));
    });
    afterEach(async () => rm(dir, { recursive: true, force: true }));

    it('a config with target.discover runs on the discovered instances', async () => {
      serve('available', [{ id: `${ID}-1`, writer: true }, { id: `${ID}-2` }, { id: `${ID}-3` }]);
      const pw = join(dir, 'pw');
      await writeFile(pw, 'secret\n', { mode: 0o600 });
      const file = join(dir, 'migrate.yaml');
      await writeFile(
        file,
        stringify({
          source: { writer: { id: 'db-main', host: '10.0.0.10' } },
          target: { discover: { rds_cluster: ID, region: 'ap-northeast-1' } },
          admin: { user: 'dbfleet', password_file: pw },
          replication: { user: 'repl', password_file: pw },
          write_users: [{ user: 'app' }],
          dns: { dsn: 'mysql://dbfleet@10.0.53.1:3306/mydns', zone: 'db.example.internal.', password_file: pw, writer_record: 'main-w', reader_record: 'main-r' },
        }),
      );
      const { env } = await migrateEnvFromConfig(file, { env: {}, logger: silentLogger, rds: api(), resolve });
      expect(env.sides.target).toEqual({
        role: 'target',
        engine: 'aurora-mysql',
        writer: { id: `${ID}-1`, host: '10.0.1.10', port: 3306 },
        readers: [{ id: `${ID}-2`, host: '10.0.1.11', port: 3306 }, { id: `${ID}-3`, host: '10.0.1.12', port: 3306 }],
      });
    });
  });
});
