/**
 * The AWS slice dbfleet uses: everything above src/aws imports from here, in dbfleet's own types
 * (no SDK type crosses this line).
 */
export type { AuroraCluster, AuroraMember, FailoverOutcome, RdsApi, RdsCallOptions } from './rds-api.js';
export { createRdsApi, type RdsApiOptions } from './rds-sdk-api.js';
export type { Ec2Api, Ec2CallOptions, PrivateIp } from './ec2-api.js';
export { createEc2Api, type Ec2ApiOptions } from './ec2-sdk-api.js';
export type { SecondaryIp, SecondaryIpOptions, SecondaryIpProvider } from './secondary-ip-provider.js';
export { checkTag, MAX_LABEL_LENGTH } from './secondary-ip-provider.js';
export { Ec2SecondaryIpProvider, type Ec2SecondaryIpProviderOptions } from './ec2-secondary-ip-provider.js';
export { LoopbackIpProvider, type LoopbackIpProviderOptions } from './loopback-ip-provider.js';
export { AWS_ERROR_CODES, AwsApiError, AwsVerifyError, translateAwsError, type AwsErrorCode, type AwsFailure } from './aws-errors.js';
export { DEFAULT_RETRY_POLICY, type AwsCallContext, type RetryPolicy } from './aws-call.js';
export type { VerifyPolicy } from './verify-read-back.js';
export { DEFAULT_FAILOVER_VERIFY } from './rds-failover.js';
export { DEFAULT_IP_VERIFY } from './ec2-private-ips.js';
