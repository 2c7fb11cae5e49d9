import { SafetyRefusal, StateError, errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { Host } from '../host/host.js';
import type { Ec2Api } from './ec2-api.js';
import { checkEniId } from './ec2-validate.js';
import { checkIpv4, compareIpv4 } from './ipv4.js';
import { HostInterfaceAddresses } from './host-interface-addresses.js';
import { checkPrefixLength, tagOfLabel } from './ip-addr-command.js';
import { checkTag, type SecondaryIp, type SecondaryIpOptions, type SecondaryIpProvider } from './secondary-ip-provider.js';

export interface Ec2SecondaryIpProviderOptions {
  ec2: Ec2Api;
  /** The ENI of `device` on this host, e.g. eni-0a1b2c3d4e5f60718. */
  eniId: string;
  host: Host;
  /** The host's interface for that ENI, e.g. eth0 or ens5. */
  device: string;
  /**
   * Prefix length configured on the host. 32 by default: the primary address already owns the
   * subnet route, and a /32 adds no second connected route.
   */
  prefixLength?: number;
  commandTimeoutMs?: number;
  logger?: Logger;
}

/** How long undoing a half-done attach may take; its own deadline, never the caller's signal. */
const UNDO_TIMEOUT_MS = 60_000;

/** Secondary private IPs on an EC2 instance: assigned to the ENI, then configured on the host. */
export class Ec2SecondaryIpProvider implements SecondaryIpProvider {
  readonly kind = 'ec2' as const;
  private readonly ec2: Ec2Api;
  private readonly eniId: string;
  private readonly device: string;
  private readonly prefixLength: number;
  private readonly addrs: HostInterfaceAddresses;
  private readonly log: Logger;

  constructor(options: Ec2SecondaryIpProviderOptions) {
    this.ec2 = options.ec2;
    this.eniId = checkEniId(options.eniId);
    this.device = options.device;
    this.prefixLength = checkPrefixLength(options.prefixLength ?? 32);
    this.addrs = new HostInterfaceAddresses(options.host, options.device, options.commandTimeoutMs);
    this.log = (options.logger ?? silentLogger).child({ host: options.host.name, eni: options.eniId, device: options.device });
  }

  async attach(tag: string, address?: string, options: SecondaryIpOptions = {}): Promise<string> {
    checkTag(tag, this.device);
    if (address !== undefined) checkIpv4(address);
    const { signal } = options;
    const label = `${this.device}:${tag}`;
    const onHost = await this.addrs.list(signal);
    const tagged = onHost.find((a) => a.label === label);
    if (tagged && address !== undefined && tagged.address !== address) {
      throw new StateError('TAG_IN_USE', `tag ${tag} already holds ${tagged.address} on ${this.device}, not ${address}`, { next: 'detach it first, or attach without an address' });
    }
    const other = address !== undefined ? onHost.find((a) => a.address === address && a.label !== label) : undefined;
    if (other) throw new StateError('ADDRESS_IN_USE', `${address} is already on ${this.device} as ${other.label}`);
    if (tagged) {
      // resuming: the host half is done; make sure the cloud half is too (a no-op when it is)
      await this.ec2.assignPrivateIp(this.eniId, tagged.address, { signal });
      return tagged.address;
    }

    const inCloudBefore = address !== undefined && (await this.ec2.listPrivateIps(this.eniId, { signal })).some((p) => p.address === address);
    const assigned = await this.ec2.assignPrivateIp(this.eniId, address, { signal });
    try {
      await this.addrs.add(assigned, this.prefixLength, tag, signal);
    } catch (e) {
      if (!inCloudBefore) await this.undoAssign(assigned, e);
      throw e;
    }
    this.log.info({ address: assigned, tag, label }, 'secondary IP attached: on the ENI and on the host');
    return assigned;
  }

  async detach(address: string, options: SecondaryIpOptions = {}): Promise<void> {
    checkIpv4(address);
    const { signal } = options;
    const inCloud = (await this.ec2.listPrivateIps(this.eniId, { signal })).find((p) => p.address === address);
    if (inCloud?.primary) throw new SafetyRefusal('PRIMARY_IP_REFUSED', `${address} is the primary address of ${this.eniId}; dbfleet only detaches secondary addresses`);
    // the host first: once the address is gone there, nothing on this host serves it
    await this.addrs.remove(address, signal);
    if (inCloud) await this.ec2.unassignPrivateIp(this.eniId, address, { signal });
    this.log.info({ address }, 'secondary IP detached: off the host and the ENI');
  }

  async list(options: SecondaryIpOptions = {}): Promise<SecondaryIp[]> {
    const { signal } = options;
    const [cloud, host] = await Promise.all([this.ec2.listPrivateIps(this.eniId, { signal }), this.addrs.list(signal)]);
    const byAddress = new Map<string, SecondaryIp>();
    for (const p of cloud) if (!p.primary) byAddress.set(p.address, { address: p.address, tag: undefined, complete: false });
    for (const h of host) {
      const tag = tagOfLabel(h.label, this.device);
      if (tag === undefined) continue; // the device's own addresses
      const seen = byAddress.get(h.address);
      byAddress.set(h.address, { address: h.address, tag, complete: seen !== undefined });
    }
    return [...byAddress.values()].sort((a, b) => compareIpv4(a.address, b.address));
  }

  private async undoAssign(address: string, cause: unknown): Promise<void> {
    this.log.warn({ address, err: errorMessage(cause) }, 'host configuration failed; unassigning the address from the ENI again');
    try {
      await this.ec2.unassignPrivateIp(this.eniId, address, { signal: AbortSignal.timeout(UNDO_TIMEOUT_MS) });
    } catch (undoError) {
      this.log.error({ address, err: errorMessage(undoError) }, 'undo failed: the address stays assigned to the ENI; unassign it by hand');
    }
  }
}
