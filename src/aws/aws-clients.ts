import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';

/**
 * SDK clients for dbfleet. The SDK's own retries are off (maxAttempts 1): callAws owns retrying,
 * so that one bounded policy with jitter applies and attempts are counted in one place.
 * Credentials come from the SDK's default chain (instance profile, AWS_PROFILE, environment).
 */
export function createRdsClient(region: string): RDSClient {
  return new RDSClient({ region, maxAttempts: 1 });
}

export function createEc2Client(region: string): EC2Client {
  return new EC2Client({ region, maxAttempts: 1 });
}
