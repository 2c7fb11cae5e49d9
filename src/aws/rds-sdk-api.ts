import type { RDSClient } from '@aws-sdk/client-rds';
import { awsCallContext, type AwsCallContext, type RetryPolicy } from './aws-call.js';
import { createRdsClient } from './aws-clients.js';
import type { AuroraCluster, FailoverOutcome, RdsApi, RdsCallOptions } from './rds-api.js';
import { describeAuroraCluster } from './rds-describe-cluster.js';
import { DEFAULT_FAILOVER_VERIFY, failoverCluster } from './rds-failover.js';
import type { VerifyPolicy } from './verify-read-back.js';

/** RdsApi over @aws-sdk/client-rds. */
export class SdkRdsApi implements RdsApi {
  constructor(
    private readonly client: RDSClient,
    private readonly ctx: AwsCallContext,
    private readonly failoverVerify: VerifyPolicy = DEFAULT_FAILOVER_VERIFY,
  ) {}

  describeAuroraCluster(clusterId: string, options: RdsCallOptions = {}): Promise<AuroraCluster> {
    return describeAuroraCluster(this.client, this.ctx, clusterId, options.signal);
  }

  failoverCluster(clusterId: string, targetInstanceId?: string, options: RdsCallOptions = {}): Promise<FailoverOutcome> {
    return failoverCluster(this.client, this.ctx, this.failoverVerify, clusterId, targetInstanceId, options.signal);
  }
}

export interface RdsApiOptions {
  region: string;
  /** An existing client (tests pass one stubbed with aws-sdk-client-mock). */
  client?: RDSClient;
  context?: Partial<Omit<AwsCallContext, 'retry'>> & { retry?: Partial<RetryPolicy> };
  failoverVerify?: VerifyPolicy;
}

export function createRdsApi(options: RdsApiOptions): RdsApi {
  return new SdkRdsApi(options.client ?? createRdsClient(options.region), awsCallContext(options.context), options.failoverVerify);
}
