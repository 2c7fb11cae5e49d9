import { AbortedError, RemoteError, TimeoutError, isDbfleetError, type DbfleetError, type DbfleetErrorOptions } from '../core/errors.js';

/** Stable codes of every error the AWS adapters raise. */
export const AWS_ERROR_CODES = {
  throttled: 'AWS_THROTTLED',
  unavailable: 'AWS_UNAVAILABLE',
  notFound: 'AWS_NOT_FOUND',
  accessDenied: 'AWS_ACCESS_DENIED',
  noCredentials: 'AWS_NO_CREDENTIALS',
  invalidState: 'AWS_INVALID_STATE',
  limitExceeded: 'AWS_LIMIT_EXCEEDED',
  rejected: 'AWS_REQUEST_REJECTED',
  unexpected: 'AWS_UNEXPECTED',
  verifyFailed: 'AWS_VERIFY_FAILED',
} as const;

export type AwsErrorCode = (typeof AWS_ERROR_CODES)[keyof typeof AWS_ERROR_CODES];

/** What AWS said about a failed call, kept on the typed error for logs and `--json` output. */
export interface AwsFailure {
  /** The AWS error code, e.g. "Throttling", "DBClusterNotFoundFault", "UnauthorizedOperation". */
  awsCode: string;
  /** Whose fault AWS says it is. */
  $fault: 'client' | 'server' | undefined;
  httpStatusCode: number | undefined;
  requestId: string | undefined;
}

/** Thrown when an AWS API call fails; carries AWS's own error code, `$fault` and request id. */
export class AwsApiError extends RemoteError {
  readonly aws: AwsFailure;
  constructor(code: AwsErrorCode, message: string, aws: AwsFailure, options: DbfleetErrorOptions = {}) {
    super(code, message, { ...options, details: { ...aws, ...options.details } });
    this.aws = aws;
  }
}

/** Thrown when AWS accepted a change but reading the resource back never showed it done. */
export class AwsVerifyError extends RemoteError {
  constructor(message: string, options: DbfleetErrorOptions = {}) {
    super(AWS_ERROR_CODES.verifyFailed, message, {
      next: 'look at the resource in the AWS console or CLI before retrying: the change may be half done',
      ...options,
    });
  }
}

// The SDK's own lists (smithy retry), plus RDS's query-protocol "Throttling".
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'EC2ThrottledException',
  'BandwidthLimitExceeded',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'SlowDown',
]);
const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthFailure',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'ExpiredToken',
  'ExpiredTokenException',
  'SignatureDoesNotMatch',
  'OptInRequired',
]);
const UNAVAILABLE = new Set([
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'ServiceUnavailable',
  'Unavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const INVALID_STATE = /^(Invalid\w*State(Fault)?|IncorrectState|IncorrectInstanceState|InvalidNetworkInterface\.InUse)$/;
const NOT_FOUND = /(NotFound(Fault|Exception)?|\.NotFound)$/;
const LIMIT = /(LimitExceeded|QuotaExceeded(Fault)?)$/;

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
}

function failureOf(e: SdkErrorShape): AwsFailure {
  const status = e.$metadata?.httpStatusCode;
  const requestId = e.$metadata?.requestId;
  return {
    awsCode: typeof e.name === 'string' ? e.name : 'Unknown',
    $fault: e.$fault === 'client' || e.$fault === 'server' ? e.$fault : undefined,
    httpStatusCode: typeof status === 'number' ? status : undefined,
    requestId: typeof requestId === 'string' ? requestId : undefined,
  };
}

/**
 * Translates anything an SDK call threw into a dbfleet error: a stable code, whether a retry can
 * help, and what to do next. `what` names the call for the operator ("DescribeDBClusters
 * aurora-prod"). Errors that are already dbfleet errors (deadline, abort) pass through.
 */
export function translateAwsError(e: unknown, what: string): DbfleetError {
  if (isDbfleetError(e)) return e;
  if (typeof e !== 'object' || e === null) {
    return new RemoteError(AWS_ERROR_CODES.unexpected, `${what}: ${String(e)}`, { cause: e });
  }
  const err = e as SdkErrorShape;
  const aws = failureOf(err);
  const name = aws.awsCode;
  const text = `${what}: ${name}: ${typeof err.message === 'string' ? err.message : ''}`.trimEnd();
  const status = aws.httpStatusCode ?? 0;
  const opts = (retryable: boolean, next: string): DbfleetErrorOptions => ({ cause: e, retryable, next });

  if (name === 'AbortError') return new AbortedError(`${what}: cancelled`, { cause: e });
  if (name === 'CredentialsProviderError') {
    return new AwsApiError(AWS_ERROR_CODES.noCredentials, text, aws, opts(false, 'give dbfleet AWS credentials (instance profile, AWS_PROFILE or the standard environment variables)'));
  }
  if (THROTTLING.has(name) || status === 429) {
    return new AwsApiError(AWS_ERROR_CODES.throttled, text, aws, opts(true, 'AWS is rate-limiting this account: retry later, or lower how often dbfleet calls it'));
  }
  if (ACCESS_DENIED.has(name) || status === 403) {
    return new AwsApiError(AWS_ERROR_CODES.accessDenied, text, aws, opts(false, `grant dbfleet's IAM role the permission for ${what.split(' ')[0] ?? what} (or refresh its credentials)`));
  }
  if (NOT_FOUND.test(name) || status === 404) {
    return new AwsApiError(AWS_ERROR_CODES.notFound, text, aws, opts(false, 'check the identifier and region in the config'));
  }
  if (INVALID_STATE.test(name)) {
    return new AwsApiError(AWS_ERROR_CODES.invalidState, text, aws, opts(true, 'wait until the resource is available again, then retry'));
  }
  if (LIMIT.test(name)) {
    return new AwsApiError(AWS_ERROR_CODES.limitExceeded, text, aws, opts(false, 'an AWS limit or quota is reached: free capacity or raise the quota'));
  }
  const network = typeof err.code === 'string' && NETWORK_CODES.has(err.code);
  if (UNAVAILABLE.has(name) || aws.$fault === 'server' || status >= 500 || network) {
    return new AwsApiError(AWS_ERROR_CODES.unavailable, text, aws, opts(true, 'the AWS endpoint failed or is unreachable: retry later'));
  }
  if (aws.$fault === 'client') {
    return new AwsApiError(AWS_ERROR_CODES.rejected, text, aws, opts(false, 'AWS rejected the request as invalid: check the arguments'));
  }
  return new RemoteError(AWS_ERROR_CODES.unexpected, text, { cause: e, details: { ...aws } });
}

/** True for errors that prove AWS did not process the request, so sending it again is safe. */
export function isThrottled(e: DbfleetError): boolean {
  return e.code === AWS_ERROR_CODES.throttled;
}

/** True for errors where the request may or may not have been processed (5xx, network, timeout). */
export function isTransient(e: DbfleetError): boolean {
  return e.code === AWS_ERROR_CODES.unavailable || e instanceof TimeoutError;
}
