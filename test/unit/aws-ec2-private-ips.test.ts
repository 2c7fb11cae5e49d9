// AWS is faked here because no AWS endpoint can be reached from this machine: the EC2 client is
// stubbed at the SDK command level with aws-sdk-client-mock. The stub keeps one ENI's state and
// answers like EC2 does, including its eventual consistency (a new address shows in
// DescribeNetworkInterfaces only after a few reads) and its unmodeled errors (name = AWS code).
import { describe, expect, it, beforeEach } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AssignPrivateIpAddressesCommand,
  DescribeNetworkInterfacesCommand,
  EC2Client,
  EC2ServiceException,
  UnassignPrivateIpAddressesCommand,
  type AssignPrivateIpAddressesCommandInput,
  type NetworkInterface,
  type UnassignPrivateIpAddressesCommandInput,
} from '@aws-sdk/client-ec2';
import { createEc2Api } from '../../src/aws/ec2-sdk-api.js';
import { AwsApiError, AwsVerifyError } from '../../src/aws/aws-errors.js';
import type { Clock } from '../../src/core/clock.js';

const REGION = 'ap-northeast-1';
const ENI = 'eni-0a1b2c3d4e5f60718';
const PRIMARY = '10.0.1.15';
const meta = (httpStatusCode = 200) => ({ httpStatusCode, requestId: '5f4e3d2c-1b0a-4987-8654-3210fedcba98', attempts: 1, totalRetryDelay: 0 });
const dns = (ip: string) => `ip-${ip.replace(/\./g, '-')}.ap-northeast-1.compute.internal`;

/** One ENI as EC2 keeps it, with reads that lag writes by `lagReads` describes. */
class FakeEni {
  assigned = new Set<string>();
  /** what DescribeNetworkInterfaces currently shows */
  visible = new Set<string>();
  private pendingReads = 0;
  lagReads = 2;
  /** when true, EC2 answers OK to assign but the address never appears (the seed's outage) */
  dropAssign = false;
  nextFree = 40;

  assign(input: AssignPrivateIpAddressesCommandInput) {
    const addrs = input.PrivateIpAddresses ?? Array.from({ length: input.SecondaryPrivateIpAddressCount ?? 0 }, () => `10.0.1.${this.nextFree++}`);
    if (!this.dropAssign) for (const a of addrs) this.assigned.add(a);
    this.pendingReads = this.lagReads;
    return { $metadata: meta(), NetworkInterfaceId: input.NetworkInterfaceId, AssignedPrivateIpAddresses: addrs.map((a) => ({ PrivateIpAddress: a })), AssignedIpv4Prefixes: [] };
  }

  unassign(input: UnassignPrivateIpAddressesCommandInput) {
    for (const a of input.PrivateIpAddresses ?? []) this.assigned.delete(a);
    this.pendingReads = this.lagReads;
    return { $metadata: meta() };
  }

  describe() {
    if (this.pendingReads > 0) this.pendingReads--;
    else this.visible = new Set(this.assigned);
    const eni: NetworkInterface = {
      Attachment: { AttachTime: new Date('2026-09-01T03:12:44.000Z'), AttachmentId: 'eni-attach-0123456789abcdef0', DeleteOnTermination: true, DeviceIndex: 0, NetworkCardIndex: 0, InstanceId: 'i-0fedcba9876543210', InstanceOwnerId: '123456789012', Status: 'attached' },
      AvailabilityZone: 'ap-northeast-1a',
      Description: '',
      Groups: [{ GroupName: 'db-hosts', GroupId: 'sg-0aa11bb22cc33dd44' }],
      InterfaceType: 'interface',
      Ipv6Addresses: [],
      MacAddress: '06:4f:1a:2b:3c:4d',
      NetworkInterfaceId: ENI,
      OwnerId: '123456789012',
      PrivateDnsName: dns(PRIMARY),
      PrivateIpAddress: PRIMARY,
      PrivateIpAddresses: [
        { Primary: true, PrivateDnsName: dns(PRIMARY), PrivateIpAddress: PRIMARY },
        ...[...this.visible].map((a) => ({ Primary: false, PrivateDnsName: dns(a), PrivateIpAddress: a })),
      ],
      RequesterManaged: false,
      SourceDestCheck: true,
      Status: 'in-use',
      SubnetId: 'subnet-0123456789abcdef0',
      TagSet: [],
      VpcId: 'vpc-0abcdef0123456789',
    };
    return { $metadata: meta(), NetworkInterfaces: [eni] };
  }
}

function fastClock(): { clock: Clock; slept: number[] } {
  let t = 1_790_000_000_000;
  const slept: number[] = [];
  return { slept, clock: { now: () => t, monotonic: () => t, sleep: async (ms: number) => void (slept.push(ms), (t += ms)) } };
}

const ec2 = mockClient(EC2Client);
let eni: FakeEni;
beforeEach(() => {
  ec2.reset();
  eni = new FakeEni();
  ec2.on(AssignPrivateIpAddressesCommand).callsFake((input: AssignPrivateIpAddressesCommandInput) => eni.assign(input));
  ec2.on(UnassignPrivateIpAddressesCommand).callsFake((input: UnassignPrivateIpAddressesCommandInput) => eni.unassign(input));
  ec2.on(DescribeNetworkInterfacesCommand).callsFake(() => eni.describe());
});

function api(clock: Clock = fastClock().clock) {
  return createEc2Api({ region: REGION, client: new EC2Client({ region: REGION }), context: { clock, random: () => 0.5 }, verify: { timeoutMs: 30_000, intervalMs: 1_000 } });
}

describe('EC2 secondary private IPs', () => {
  it('assigns a given address and returns only once DescribeNetworkInterfaces shows it', async () => {
    const { clock, slept } = fastClock();
    const address = await api(clock).assignPrivateIp(ENI, '10.0.1.31');
    expect(address).toBe('10.0.1.31');
    expect(await api().listPrivateIps(ENI)).toEqual([
      { address: PRIMARY, primary: true },
      { address: '10.0.1.31', primary: false },
    ]);
    // EC2 was slow to show it: the read-back waited instead of trusting the OK
    expect(slept).toEqual([1_000, 1_000]);
    expect(ec2.commandCalls(AssignPrivateIpAddressesCommand)[0]?.args[0].input).toEqual({ NetworkInterfaceId: ENI, PrivateIpAddresses: ['10.0.1.31'] });
  });

  it('lets EC2 pick the address when none is given', async () => {
    const address = await api().assignPrivateIp(ENI);
    expect(address).toBe('10.0.1.40');
    expect(ec2.commandCalls(AssignPrivateIpAddressesCommand)[0]?.args[0].input).toEqual({ NetworkInterfaceId: ENI, SecondaryPrivateIpAddressCount: 1 });
    expect((await api().listPrivateIps(ENI)).map((p) => p.address)).toContain('10.0.1.40');
  });

  it('assign answered OK but the address never shows: AWS_VERIFY_FAILED, bounded', async () => {
    eni.dropAssign = true;
    const { clock, slept } = fastClock();
    const err = await api(clock).assignPrivateIp(ENI, '10.0.1.32').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsVerifyError);
    expect(err).toMatchObject({ code: 'AWS_VERIFY_FAILED', details: { observed: `addresses [${PRIMARY}]` } });
    expect(slept.reduce((a, b) => a + b, 0)).toBe(30_000);
    expect(ec2.commandCalls(AssignPrivateIpAddressesCommand)).toHaveLength(1);
  });

  it('an address already on the ENI is not assigned again', async () => {
    eni.assigned.add('10.0.1.33');
    eni.lagReads = 0;
    await expect(api().assignPrivateIp(ENI, '10.0.1.33')).resolves.toBe('10.0.1.33');
    expect(ec2.commandCalls(AssignPrivateIpAddressesCommand)).toHaveLength(0);
  });

  it('unassigns and verifies the address is really gone', async () => {
    eni.assigned.add('10.0.1.34');
    eni.lagReads = 0;
    eni.describe();
    eni.lagReads = 3;
    const { clock, slept } = fastClock();
    await api(clock).unassignPrivateIp(ENI, '10.0.1.34');
    expect(await api().listPrivateIps(ENI)).toEqual([{ address: PRIMARY, primary: true }]);
    expect(slept).toEqual([1_000, 1_000, 1_000]);
  });

  it('unassigning an address that is not there sends nothing; the primary address is refused', async () => {
    eni.lagReads = 0;
    await api().unassignPrivateIp(ENI, '10.0.1.99');
    await expect(api().unassignPrivateIp(ENI, PRIMARY)).rejects.toMatchObject({ code: 'PRIMARY_IP_REFUSED', fault: 'safety' });
    expect(ec2.commandCalls(UnassignPrivateIpAddressesCommand)).toHaveLength(0);
  });

  it('RequestLimitExceeded is backed off and retried, then the assign goes through', async () => {
    const limited = new EC2ServiceException({ name: 'RequestLimitExceeded', $fault: 'server', message: 'Request limit exceeded.', $metadata: meta(503) });
    ec2
      .on(AssignPrivateIpAddressesCommand)
      .rejectsOnce(limited)
      .rejectsOnce(limited)
      .callsFake((input: AssignPrivateIpAddressesCommandInput) => eni.assign(input));
    const { clock, slept } = fastClock();
    await expect(api(clock).assignPrivateIp(ENI, '10.0.1.35')).resolves.toBe('10.0.1.35');
    expect(ec2.commandCalls(AssignPrivateIpAddressesCommand)).toHaveLength(3);
    expect(slept.slice(0, 2)).toEqual([150, 300]);
    expect(eni.assigned.has('10.0.1.35')).toBe(true);
  });

  it('UnauthorizedOperation is AWS_ACCESS_DENIED at once, with no retry and the ENI unchanged', async () => {
    ec2.on(AssignPrivateIpAddressesCommand).rejects(
      new EC2ServiceException({
        name: 'UnauthorizedOperation',
        $fault: 'client',
        message:
          'You are not authorized to perform this operation. User: arn:aws:sts::123456789012:assumed-role/dbfleet-shard/i-0fedcba9876543210 is not authorized to perform: ec2:AssignPrivateIpAddresses on resource: arn:aws:ec2:ap-northeast-1:123456789012:network-interface/eni-0a1b2c3d4e5f60718 because no identity-based policy allows the ec2:AssignPrivateIpAddresses action. Encoded authorization failure message: 3gK9-Zk1b2',
        $metadata: meta(403),
      }),
    );
    const { clock, slept } = fastClock();
    const err = await api(clock).assignPrivateIp(ENI).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsApiError);
    expect(err).toMatchObject({ code: 'AWS_ACCESS_DENIED', retryable: false, aws: { awsCode: 'UnauthorizedOperation', $fault: 'client', httpStatusCode: 403 } });
    expect(ec2.commandCalls(AssignPrivateIpAddressesCommand)).toHaveLength(1);
    expect(slept).toEqual([]);
    expect(eni.assigned.size).toBe(0);
  });

  it('an unknown ENI is AWS_NOT_FOUND; malformed ids and addresses never reach AWS', async () => {
    ec2.on(DescribeNetworkInterfacesCommand).rejects(
      new EC2ServiceException({ name: 'InvalidNetworkInterfaceID.NotFound', $fault: 'client', message: "The networkInterface ID 'eni-0000000000000dead' does not exist", $metadata: meta(400) }),
    );
    await expect(api().listPrivateIps('eni-0000000000000dead')).rejects.toMatchObject({ code: 'AWS_NOT_FOUND' });
    await expect(api().listPrivateIps('eni-; rm -rf /')).rejects.toMatchObject({ code: 'USAGE' });
    await expect(api().assignPrivateIp(ENI, '10.0.1.300')).rejects.toMatchObject({ code: 'USAGE' });
    expect(ec2.commandCalls(DescribeNetworkInterfacesCommand)).toHaveLength(1);
  });
});
