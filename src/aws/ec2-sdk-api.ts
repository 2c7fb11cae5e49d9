import type { EC2Client } from '@aws-sdk/client-ec2';
import { awsCallContext, type AwsCallContext, type RetryPolicy } from './aws-call.js';
import { createEc2Client } from './aws-clients.js';
import type { Ec2Api, Ec2CallOptions, PrivateIp } from './ec2-api.js';
import { assignPrivateIp, DEFAULT_IP_VERIFY, listPrivateIps, unassignPrivateIp } from './ec2-private-ips.js';
import type { VerifyPolicy } from './verify-read-back.js';

/** Ec2Api over @aws-sdk/client-ec2. */
export class SdkEc2Api implements Ec2Api {
  constructor(
    private readonly client: EC2Client,
    private readonly ctx: AwsCallContext,
    private readonly verify: VerifyPolicy = DEFAULT_IP_VERIFY,
  ) {}

  assignPrivateIp(eniId: string, address?: string, options: Ec2CallOptions = {}): Promise<string> {
    return assignPrivateIp(this.client, this.ctx, this.verify, eniId, address, options.signal);
  }

  unassignPrivateIp(eniId: string, address: string, options: Ec2CallOptions = {}): Promise<void> {
    return unassignPrivateIp(this.client, this.ctx, this.verify, eniId, address, options.signal);
  }

  listPrivateIps(eniId: string, options: Ec2CallOptions = {}): Promise<PrivateIp[]> {
    return listPrivateIps(this.client, this.ctx, eniId, options.signal);
  }
}

export interface Ec2ApiOptions {
  region: string;
  /** An existing client (tests pass one stubbed with aws-sdk-client-mock). */
  client?: EC2Client;
  context?: Partial<Omit<AwsCallContext, 'retry'>> & { retry?: Partial<RetryPolicy> };
  verify?: VerifyPolicy;
}

export function createEc2Api(options: Ec2ApiOptions): Ec2Api {
  return new SdkEc2Api(options.client ?? createEc2Client(options.region), awsCallContext(options.context), options.verify);
}
