// AWS is faked here because no AWS endpoint can be reached from this machine: EC2 is stubbed at
// the SDK command level with aws-sdk-client-mock (one ENI's state, answered like EC2 does). The
// host is a scripted fake that keeps a kernel-like address table for eth0 and answers `ip` the
// way iproute2 6.1 does (JSON for `ip -j addr show`, its exit codes and stderr), so the tests
// assert the resulting addresses, not merely that a command was run.
import { describe, expect, it, beforeEach } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AssignPrivateIpAddressesCommand,
  DescribeNetworkInterfacesCommand,
  EC2Client,
  UnassignPrivateIpAddressesCommand,
  type AssignPrivateIpAddressesCommandInput,
  type UnassignPrivateIpAddressesCommandInput,
} from '@aws-sdk/client-ec2';
import { createEc2Api } from '../../src/aws/ec2-sdk-api.js';
import { Ec2SecondaryIpProvider } from '../../src/aws/ec2-secondary-ip-provider.js';
import { HostCommandError } from '../../src/host/host-errors.js';
import type { Host, RunOptions, RunResult } from '../../src/host/host.js';
import type { Clock } from '../../src/core/clock.js';

const ENI = 'eni-0a1b2c3d4e5f60718';
const PRIMARY = '10.0.1.15';
const meta = { httpStatusCode: 200, requestId: '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d', attempts: 1, totalRetryDelay: 0 };

interface KernelAddr {
  local: string;
  prefixlen: number;
  label: string;
}

/** A host whose eth0 behaves like Linux's under iproute2 6.1; records every command line. */
class ScriptedHost implements Host {
  readonly name = 'db-17 (10.0.1.15)';
  calls: string[][] = [];
  addrs: KernelAddr[] = [{ local: PRIMARY, prefixlen: 24, label: 'eth0' }];
  /** next `ip addr add` fails like this (e.g. no CAP_NET_ADMIN) */
  failNextAdd: RunResult | undefined;
  /** `ip addr add` exits 0 without adding (a lying command) */
  silentAdd = false;

  async run(command: string, args: readonly string[], _options: RunOptions): Promise<RunResult> {
    this.calls.push([command, ...args]);
    if (command !== 'ip') return { exitCode: 127, stdout: '', stderr: `${command}: command not found\n` };
    const a = [...args];
    if (a.join(' ') === '-j -4 addr show dev eth0') return { exitCode: 0, stdout: this.json(), stderr: '' };
    if (a[0] === 'addr' && a[1] === 'add' && a[3] === 'dev' && a[4] === 'eth0' && a[5] === 'label') {
      if (this.failNextAdd) {
        const r = this.failNextAdd;
        this.failNextAdd = undefined;
        return r;
      }
      const [local, prefix] = (a[2] as string).split('/');
      if (this.addrs.some((x) => x.local === local)) return { exitCode: 2, stdout: '', stderr: 'Error: ipv4: Address already assigned.\n' };
      if (!this.silentAdd) this.addrs.push({ local: local as string, prefixlen: Number(prefix), label: a[6] as string });
      return { exitCode: 0, stdout: '', stderr: '' };
    }
    if (a[0] === 'addr' && a[1] === 'del' && a[3] === 'dev' && a[4] === 'eth0' && a.length === 5) {
      const [local, prefix] = (a[2] as string).split('/');
      const i = this.addrs.findIndex((x) => x.local === local && x.prefixlen === Number(prefix));
      if (i < 0) return { exitCode: 2, stdout: '', stderr: 'Error: ipv4: Address not found.\n' };
      this.addrs.splice(i, 1);
      return { exitCode: 0, stdout: '', stderr: '' };
    }
    return { exitCode: 255, stdout: '', stderr: `Command line is not complete. Try option "help"\n` };
  }

  async check(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
    const r = await this.run(command, args, options);
    if (r.exitCode !== 0) throw new HostCommandError(this.name, command, r.exitCode, r.stderr);
    return r;
  }

  private json(): string {
    return JSON.stringify([
      {
        ifindex: 2,
        ifname: 'eth0',
        flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
        mtu: 9001,
        qdisc: 'mq',
        operstate: 'UP',
        group: 'default',
        txqlen: 1000,
        addr_info: this.addrs.map((x) => ({
          family: 'inet',
          local: x.local,
          prefixlen: x.prefixlen,
          ...(x.label === 'eth0' ? { broadcast: '10.0.1.255', dynamic: true } : {}),
          scope: 'global',
          label: x.label,
          valid_life_time: x.label === 'eth0' ? 3540 : 4294967295,
          preferred_life_time: x.label === 'eth0' ? 3540 : 4294967295,
        })),
      },
    ]);
  }

  spawnDetached(): Promise<{ pid: number }> {
    throw new Error('not scripted');
  }
  isAlive(): Promise<boolean> {
    throw new Error('not scripted');
  }
  kill(): Promise<boolean> {
    throw new Error('not scripted');
  }
  readFile(): Promise<string> {
    throw new Error('not scripted');
  }
  writeFile(): Promise<void> {
    throw new Error('not scripted');
  }
  exists(): Promise<boolean> {
    throw new Error('not scripted');
  }
  mkdir(): Promise<void> {
    throw new Error('not scripted');
  }
  remove(): Promise<void> {
    throw new Error('not scripted');
  }
  which(): Promise<string | undefined> {
    throw new Error('not scripted');
  }
}

/** The ENI as EC2 keeps it (reads consistent here; lag is covered in aws-ec2-private-ips). */
const enis = { secondary: new Set<string>(), next: 40 };
const ec2 = mockClient(EC2Client);

function fastClock(): Clock {
  let t = 0;
  return { now: () => t, monotonic: () => t, sleep: async (ms: number) => void (t += ms) };
}

let host: ScriptedHost;
let provider: Ec2SecondaryIpProvider;
beforeEach(() => {
  ec2.reset();
  enis.secondary = new Set();
  enis.next = 40;
  ec2.on(AssignPrivateIpAddressesCommand).callsFake((input: AssignPrivateIpAddressesCommandInput) => {
    const addrs = input.PrivateIpAddresses ?? [`10.0.1.${enis.next++}`];
    for (const a of addrs) enis.secondary.add(a);
    return { $metadata: meta, NetworkInterfaceId: input.NetworkInterfaceId, AssignedPrivateIpAddresses: addrs.map((a) => ({ PrivateIpAddress: a })), AssignedIpv4Prefixes: [] };
  });
  ec2.on(UnassignPrivateIpAddressesCommand).callsFake((input: UnassignPrivateIpAddressesCommandInput) => {
    for (const a of input.PrivateIpAddresses ?? []) enis.secondary.delete(a);
    return { $metadata: meta };
  });
  ec2.on(DescribeNetworkInterfacesCommand).callsFake(() => ({
    $metadata: meta,
    NetworkInterfaces: [
      {
        NetworkInterfaceId: ENI,
        Status: 'in-use',
        InterfaceType: 'interface',
        SubnetId: 'subnet-0123456789abcdef0',
        VpcId: 'vpc-0abcdef0123456789',
        AvailabilityZone: 'ap-northeast-1a',
        PrivateIpAddress: PRIMARY,
        PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: PRIMARY }, ...[...enis.secondary].map((a) => ({ Primary: false, PrivateIpAddress: a }))],
      },
    ],
  }));
  host = new ScriptedHost();
  const api = createEc2Api({ region: 'ap-northeast-1', client: new EC2Client({ region: 'ap-northeast-1' }), context: { clock: fastClock(), random: () => 0.5 }, verify: { timeoutMs: 5_000, intervalMs: 1_000 } });
  provider = new Ec2SecondaryIpProvider({ ec2: api, eniId: ENI, host, device: 'eth0' });
});

const ipWrites = (): string[] => host.calls.filter((c) => c[1] === 'addr').map((c) => c.join(' '));

describe('Ec2SecondaryIpProvider', () => {
  it('attach assigns the address to the ENI, then adds it to eth0 with the tag as label', async () => {
    const address = await provider.attach('shard017', '10.0.1.31');

    expect(address).toBe('10.0.1.31');
    expect(enis.secondary).toEqual(new Set(['10.0.1.31']));
    expect(host.addrs).toContainEqual({ local: '10.0.1.31', prefixlen: 32, label: 'eth0:shard017' });
    expect(ipWrites()).toEqual(['ip addr add 10.0.1.31/32 dev eth0 label eth0:shard017']);
    expect(await provider.list()).toEqual([{ address: '10.0.1.31', tag: 'shard017', complete: true }]);
  });

  it('attach without an address takes the one EC2 picks', async () => {
    const a = await provider.attach('shard018');
    const b = await provider.attach('shard019');
    expect([a, b]).toEqual(['10.0.1.40', '10.0.1.41']);
    expect((await provider.list()).map((x) => `${x.address}=${x.tag}`)).toEqual(['10.0.1.40=shard018', '10.0.1.41=shard019']);
  });

  it('attach is idempotent per tag: running it again (a resumed phase) changes nothing', async () => {
    const first = await provider.attach('shard020');
    const callsBefore = ec2.commandCalls(AssignPrivateIpAddressesCommand).length;
    const again = await provider.attach('shard020');
    expect(again).toBe(first);
    expect(ec2.commandCalls(AssignPrivateIpAddressesCommand)).toHaveLength(callsBefore);
    expect(host.addrs.filter((x) => x.label === 'eth0:shard020')).toHaveLength(1);
  });

  it('a half-done attach (on the host, lost from the ENI) is completed on resume', async () => {
    host.addrs.push({ local: '10.0.1.36', prefixlen: 32, label: 'eth0:shard021' });
    expect(await provider.list()).toEqual([{ address: '10.0.1.36', tag: 'shard021', complete: false }]);
    await expect(provider.attach('shard021')).resolves.toBe('10.0.1.36');
    expect(enis.secondary.has('10.0.1.36')).toBe(true);
    expect(await provider.list()).toEqual([{ address: '10.0.1.36', tag: 'shard021', complete: true }]);
  });

  it('when the host refuses the address, the ENI assignment is undone', async () => {
    host.failNextAdd = { exitCode: 2, stdout: '', stderr: 'RTNETLINK answers: Operation not permitted\n' };
    const err = await provider.attach('shard022', '10.0.1.37').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostCommandError);
    expect((err as HostCommandError).stderr).toContain('Operation not permitted');
    expect(enis.secondary.size).toBe(0);
    expect(await provider.list()).toEqual([]);
  });

  it('an `ip addr add` that exits 0 without adding is caught by the read-back', async () => {
    host.silentAdd = true;
    await expect(provider.attach('shard023', '10.0.1.38')).rejects.toMatchObject({ code: 'HOST_ADDR_VERIFY_FAILED' });
    expect(enis.secondary.size).toBe(0);
  });

  it('detach removes the address from eth0 first, then from the ENI', async () => {
    await provider.attach('shard024', '10.0.1.39');
    await provider.detach('10.0.1.39');
    expect(ipWrites()).toEqual(['ip addr add 10.0.1.39/32 dev eth0 label eth0:shard024', 'ip addr del 10.0.1.39/32 dev eth0']);
    expect(host.addrs).toEqual([{ local: PRIMARY, prefixlen: 24, label: 'eth0' }]);
    expect(enis.secondary.size).toBe(0);
    expect(await provider.list()).toEqual([]);
    await provider.detach('10.0.1.39'); // again: nothing left to do, nothing fails
  });

  it('never detaches the primary address, and never lets a tag or address be used twice', async () => {
    await expect(provider.detach(PRIMARY)).rejects.toMatchObject({ code: 'PRIMARY_IP_REFUSED' });
    expect(host.addrs).toContainEqual({ local: PRIMARY, prefixlen: 24, label: 'eth0' });
    await provider.attach('shard025', '10.0.1.50');
    await expect(provider.attach('shard025', '10.0.1.51')).rejects.toMatchObject({ code: 'TAG_IN_USE' });
    await expect(provider.attach('shard026', '10.0.1.50')).rejects.toMatchObject({ code: 'ADDRESS_IN_USE' });
  });

  it.each([
    ['shard 1', 'spaces'],
    ['a;reboot', 'shell metacharacters'],
    ['averyveryverylongtag', 'labels longer than 15 characters'],
    ['', 'an empty tag'],
  ])('refuses the tag %j (%s) before touching AWS or the host', async (tag) => {
    await expect(provider.attach(tag)).rejects.toMatchObject({ code: 'USAGE' });
    expect(host.calls).toEqual([]);
    expect(ec2.calls()).toHaveLength(0);
  });
});
