import { RemoteError, StateError } from '../core/errors.js';
import type { Host } from '../host/host.js';
import { HostCommandError } from '../host/host-errors.js';
import { checkDevice, ipAddrAddArgs, ipAddrDelArgs, ipAddrShowArgs, parseIpAddrJson, type HostAddress } from './ip-addr-command.js';

/**
 * The IPv4 addresses of one network interface of a host, changed with `ip addr` and always read
 * back afterwards: the exit code of `ip` is not the proof, the kernel's address table is.
 */
export class HostInterfaceAddresses {
  constructor(
    private readonly host: Host,
    readonly device: string,
    private readonly timeoutMs = 5_000,
  ) {
    checkDevice(device);
  }

  async list(signal?: AbortSignal): Promise<HostAddress[]> {
    const r = await this.host.check('ip', ipAddrShowArgs(this.device), { timeoutMs: this.timeoutMs, signal });
    return parseIpAddrJson(r.stdout, this.device);
  }

  /** Adds `address` labelled `<dev>:<tag>`; already there with that label: nothing to do. */
  async add(address: string, prefixLength: number, tag: string, signal?: AbortSignal): Promise<void> {
    const args = ipAddrAddArgs(address, prefixLength, this.device, tag);
    const label = `${this.device}:${tag}`;
    const present = (await this.list(signal)).find((a) => a.address === address);
    if (present && present.label === label) return;
    if (present) {
      throw new StateError('ADDRESS_LABEL_CONFLICT', `${address} is already on ${this.host.name} ${this.device} with label ${present.label}, not ${label}`, {
        next: 'detach it first, or attach with its current tag',
      });
    }
    const r = await this.host.run('ip', args, { timeoutMs: this.timeoutMs, signal });
    const after = (await this.list(signal)).find((a) => a.address === address);
    if (after?.label === label) return;
    if (r.exitCode !== 0) throw new HostCommandError(this.host.name, `ip ${args.join(' ')}`, r.exitCode, r.stderr);
    throw new RemoteError('HOST_ADDR_VERIFY_FAILED', `ip ${args.join(' ')} exited 0 on ${this.host.name}, but ${this.device} does not show ${address} as ${label}`);
  }

  /** Removes `address` from the device; absent: nothing to do. Refuses the device's own address. */
  async remove(address: string, signal?: AbortSignal): Promise<void> {
    const present = (await this.list(signal)).find((a) => a.address === address);
    if (!present) return;
    if (present.label === this.device) {
      throw new StateError('HOST_PRIMARY_ADDRESS', `${address} on ${this.host.name} carries the device's own label ${this.device}: dbfleet did not add it and will not remove it`);
    }
    const args = ipAddrDelArgs(address, present.prefixLength, this.device);
    const r = await this.host.run('ip', args, { timeoutMs: this.timeoutMs, signal });
    const still = (await this.list(signal)).some((a) => a.address === address);
    if (!still) return;
    if (r.exitCode !== 0) throw new HostCommandError(this.host.name, `ip ${args.join(' ')}`, r.exitCode, r.stderr);
    throw new RemoteError('HOST_ADDR_VERIFY_FAILED', `ip ${args.join(' ')} exited 0 on ${this.host.name}, but ${this.device} still shows ${address}`);
  }
}
