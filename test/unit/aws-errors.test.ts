// AWS is not reachable from this machine, so these errors are built the way the SDK's
// deserializers build them from real error responses: modeled faults through their own classes,
// unmodeled codes as the service's base exception with name = the AWS error code.
import { describe, expect, it } from 'vitest';
import { DBClusterNotFoundFault, InvalidDBClusterStateFault, RDSServiceException } from '@aws-sdk/client-rds';
import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { translateAwsError, AwsApiError } from '../../src/aws/aws-errors.js';
import { AbortedError, TimeoutError } from '../../src/core/errors.js';
import { backoffMs, DEFAULT_RETRY_POLICY } from '../../src/aws/aws-call.js';

const md = (httpStatusCode: number) => ({ httpStatusCode, requestId: '11111111-2222-4333-8444-555555555555', attempts: 1, totalRetryDelay: 0 });
const rdsErr = (name: string, status: number, $fault: 'client' | 'server' = status >= 500 ? 'server' : 'client') => new RDSServiceException({ name, $fault, message: name, $metadata: md(status) });
const ec2Err = (name: string, status: number, $fault: 'client' | 'server' = status >= 500 ? 'server' : 'client') => new EC2ServiceException({ name, $fault, message: name, $metadata: md(status) });

describe('translateAwsError', () => {
  it.each([
    ['RDS Throttling', rdsErr('Throttling', 400), 'AWS_THROTTLED', true],
    ['EC2 RequestLimitExceeded', ec2Err('RequestLimitExceeded', 503), 'AWS_THROTTLED', true],
    ['ThrottlingException', rdsErr('ThrottlingException', 400), 'AWS_THROTTLED', true],
    ['HTTP 429', rdsErr('TooManyRequests', 429), 'AWS_THROTTLED', true],
    ['RDS AccessDenied', rdsErr('AccessDenied', 403), 'AWS_ACCESS_DENIED', false],
    ['EC2 UnauthorizedOperation', ec2Err('UnauthorizedOperation', 403), 'AWS_ACCESS_DENIED', false],
    ['expired credentials', rdsErr('ExpiredToken', 400), 'AWS_ACCESS_DENIED', false],
    ['DBClusterNotFoundFault', new DBClusterNotFoundFault({ message: 'DBCluster x not found.', $metadata: md(404) }), 'AWS_NOT_FOUND', false],
    ['EC2 InvalidNetworkInterfaceID.NotFound', ec2Err('InvalidNetworkInterfaceID.NotFound', 400), 'AWS_NOT_FOUND', false],
    ['InvalidDBClusterStateFault', new InvalidDBClusterStateFault({ message: 'DBCluster x is not in available state.', $metadata: md(400) }), 'AWS_INVALID_STATE', true],
    ['EC2 PrivateIpAddressLimitExceeded', ec2Err('PrivateIpAddressLimitExceeded', 400), 'AWS_LIMIT_EXCEEDED', false],
    ['RDS InternalFailure', rdsErr('InternalFailure', 500), 'AWS_UNAVAILABLE', true],
    ['EC2 Unavailable', ec2Err('Unavailable', 503), 'AWS_UNAVAILABLE', true],
    ['EC2 InvalidParameterValue', ec2Err('InvalidParameterValue', 400), 'AWS_REQUEST_REJECTED', false],
  ])('%s -> %s (retry can help: %s), AWS details kept', (_label, error, code, retryable) => {
    const t = translateAwsError(error, 'SomeCall x');
    expect(t).toBeInstanceOf(AwsApiError);
    expect(t).toMatchObject({ code, retryable, fault: 'remote' });
    const aws = (t as AwsApiError).aws;
    expect(aws.awsCode).toBe((error as { name: string }).name);
    expect(aws.$fault).toBe((error as { $fault: string }).$fault);
    expect(aws.requestId).toBe('11111111-2222-4333-8444-555555555555');
    expect(t.cause).toBe(error);
    expect(t.next).toBeTruthy();
  });

  it('network failures without an HTTP answer are AWS_UNAVAILABLE', () => {
    const e = Object.assign(new Error('connect ETIMEDOUT 52.119.160.10:443'), { code: 'ETIMEDOUT' });
    expect(translateAwsError(e, 'DescribeDBClusters x')).toMatchObject({ code: 'AWS_UNAVAILABLE', retryable: true });
  });

  it('missing credentials say how to provide them', () => {
    const e = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    const t = translateAwsError(e, 'DescribeDBClusters x');
    expect(t).toMatchObject({ code: 'AWS_NO_CREDENTIALS', retryable: false });
    expect(t.next).toMatch(/credentials/);
  });

  it('the SDK abort becomes AbortedError; dbfleet errors pass through unchanged', () => {
    const abort = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    expect(translateAwsError(abort, 'x')).toBeInstanceOf(AbortedError);
    const timeout = new TimeoutError('x: no answer within 10 ms');
    expect(translateAwsError(timeout, 'x')).toBe(timeout);
  });
});

describe('backoffMs', () => {
  it('doubles per attempt, stays within [step/2, step], and is capped', () => {
    const p = DEFAULT_RETRY_POLICY;
    expect([1, 2, 3, 4].map((a) => backoffMs(a, p, () => 0))).toEqual([100, 200, 400, 800]);
    expect([1, 2, 3, 4].map((a) => backoffMs(a, p, () => 0.999999))).toEqual([200, 400, 800, 1600]);
    expect(backoffMs(20, p, () => 1)).toBe(p.maxDelayMs);
  });
});
