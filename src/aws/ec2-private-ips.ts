import {
  AssignPrivateIpAddressesCommand,
  DescribeNetworkInterfacesCommand,
  UnassignPrivateIpAddressesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { SafetyRefusal } from '../core/errors.js';
import { callAws, type AwsCallContext } from './aws-call.js';
import { AWS_ERROR_CODES, AwsApiError, AwsVerifyError } from './aws-errors.js';
import type { PrivateIp } from './ec2-api.js';
import { checkEniId } from './ec2-validate.js';
import { checkIpv4 } from './ipv4.js';
import { verifyReadBack, type VerifyPolicy } from './verify-read-back.js';

/** EC2's Describe* calls are eventually consistent: a new address may take seconds to show. */
export const DEFAULT_IP_VERIFY: VerifyPolicy = Object.freeze({ timeoutMs: 30_000, intervalMs: 1_000 });

export async function listPrivateIps(client: EC2Client, ctx: AwsCallContext, eniId: string, signal?: AbortSignal): Promise<PrivateIp[]> {
  checkEniId(eniId);
  const what = `DescribeNetworkInterfaces ${eniId}`;
  // One id needs no pagination (and EC2 refuses MaxResults together with NetworkInterfaceIds).
  const out = await callAws(ctx, what, { signal, idempotent: true }, (s) =>
    client.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }), { abortSignal: s }),
  );
  const eni = out.NetworkInterfaces?.find((n) => n.NetworkInterfaceId === eniId);
  if (!eni) {
    throw new AwsApiError(
      AWS_ERROR_CODES.notFound,
      `${what}: the answer does not contain ${eniId}`,
      { awsCode: 'InvalidNetworkInterfaceID.NotFound', $fault: 'client', httpStatusCode: out.$metadata?.httpStatusCode, requestId: out.$metadata?.requestId },
      { next: 'check the network interface id and region' },
    );
  }
  return (eni.PrivateIpAddresses ?? [])
    .filter((p) => p.PrivateIpAddress)
    .map((p) => ({ address: p.PrivateIpAddress as string, primary: p.Primary === true }))
    .sort((a, b) => Number(b.primary) - Number(a.primary));
}

const has = (ips: readonly PrivateIp[], address: string): boolean => ips.some((p) => p.address === address);
const show = (ips: readonly PrivateIp[]): string => `addresses [${ips.map((p) => p.address).join(', ')}]`;

/**
 * Precheck (already there: done), act (AssignPrivateIpAddresses, never AllowReassignment: taking
 * an address from another ENI could take a live database's address), verify (read back).
 * Retried only on throttling: a second "assign one more address" after a lost answer would
 * assign two.
 */
export async function assignPrivateIp(
  client: EC2Client,
  ctx: AwsCallContext,
  verify: VerifyPolicy,
  eniId: string,
  address: string | undefined,
  signal?: AbortSignal,
): Promise<string> {
  checkEniId(eniId);
  if (address !== undefined) {
    checkIpv4(address);
    if (has(await listPrivateIps(client, ctx, eniId, signal), address)) {
      ctx.logger.info({ eni: eniId, address }, 'address already assigned to the ENI; nothing to do');
      return address;
    }
  }
  const what = `AssignPrivateIpAddresses ${eniId} ${address ?? '(EC2 picks)'}`;
  const out = await callAws(ctx, what, { signal, idempotent: false }, (s) =>
    client.send(
      new AssignPrivateIpAddressesCommand(
        address !== undefined ? { NetworkInterfaceId: eniId, PrivateIpAddresses: [address] } : { NetworkInterfaceId: eniId, SecondaryPrivateIpAddressCount: 1 },
      ),
      { abortSignal: s },
    ),
  );
  const assigned = address ?? out.AssignedPrivateIpAddresses?.[0]?.PrivateIpAddress;
  if (assigned === undefined) throw new AwsVerifyError(`${what}: AWS answered OK but named no assigned address`);
  await verifyReadBack(ctx, `${what}: ${assigned}`, verify, signal, () => listPrivateIps(client, ctx, eniId, signal), (ips) => has(ips, assigned), show);
  ctx.logger.info({ eni: eniId, address: assigned }, 'secondary private IP assigned and verified');
  return assigned;
}

/** Precheck (absent: done; primary: refused), act (UnassignPrivateIpAddresses), verify (gone). */
export async function unassignPrivateIp(
  client: EC2Client,
  ctx: AwsCallContext,
  verify: VerifyPolicy,
  eniId: string,
  address: string,
  signal?: AbortSignal,
): Promise<void> {
  checkEniId(eniId);
  checkIpv4(address);
  const current = (await listPrivateIps(client, ctx, eniId, signal)).find((p) => p.address === address);
  if (!current) {
    ctx.logger.info({ eni: eniId, address }, 'address not assigned to the ENI; nothing to do');
    return;
  }
  if (current.primary) {
    throw new SafetyRefusal('PRIMARY_IP_REFUSED', `${address} is the primary address of ${eniId}; dbfleet only removes secondary addresses`);
  }
  const what = `UnassignPrivateIpAddresses ${eniId} ${address}`;
  await callAws(ctx, what, { signal, idempotent: false }, (s) =>
    client.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: eniId, PrivateIpAddresses: [address] }), { abortSignal: s }),
  );
  await verifyReadBack(ctx, what, verify, signal, () => listPrivateIps(client, ctx, eniId, signal), (ips) => !has(ips, address), show);
  ctx.logger.info({ eni: eniId, address }, 'secondary private IP unassigned and verified');
}
