import { RemoteError, UsageError } from '../core/errors.js';
import { checkIpv4 } from './ipv4.js';
import { checkTag } from './secondary-ip-provider.js';

/**
 * The `ip` (iproute2) command lines dbfleet runs on a host, as argument vectors (never a shell
 * string), and the parser of `ip -j addr show`. Pure.
 */
export interface HostAddress {
  address: string;
  prefixLength: number;
  /** "eth0" for the primary address, "eth0:<tag>" for one dbfleet added. */
  label: string;
}

const DEVICE = /^[A-Za-z0-9_.-]{1,15}$/;

export function checkDevice(device: string): string {
  if (!DEVICE.test(device)) throw new UsageError(`"${device}" is not a network interface name`);
  return device;
}

export function checkPrefixLength(prefixLength: number): number {
  if (!Number.isInteger(prefixLength) || prefixLength < 1 || prefixLength > 32) throw new UsageError(`prefix length must be 1-32, got ${prefixLength}`);
  return prefixLength;
}

/** `ip addr add <addr>/<prefix> dev <dev> label <dev>:<tag>` */
export function ipAddrAddArgs(address: string, prefixLength: number, device: string, tag: string): string[] {
  checkDevice(device);
  return ['addr', 'add', `${checkIpv4(address)}/${checkPrefixLength(prefixLength)}`, 'dev', device, 'label', `${device}:${checkTag(tag, device)}`];
}

/** `ip addr del <addr>/<prefix> dev <dev>` */
export function ipAddrDelArgs(address: string, prefixLength: number, device: string): string[] {
  return ['addr', 'del', `${checkIpv4(address)}/${checkPrefixLength(prefixLength)}`, 'dev', checkDevice(device)];
}

/** `ip -j -4 addr show dev <dev>`: JSON, so no column layout to guess across iproute2 versions. */
export function ipAddrShowArgs(device: string): string[] {
  return ['-j', '-4', 'addr', 'show', 'dev', checkDevice(device)];
}

interface IpJsonLink {
  ifname?: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number; label?: string }[];
}

/** Parses `ip -j -4 addr show dev <dev>` into the device's IPv4 addresses. */
export function parseIpAddrJson(stdout: string, device: string): HostAddress[] {
  let links: IpJsonLink[];
  try {
    links = JSON.parse(stdout.trim() === '' ? '[]' : stdout) as IpJsonLink[];
  } catch (e) {
    throw new RemoteError('HOST_OUTPUT_UNPARSABLE', `cannot parse the output of ip -j addr show: ${stdout.slice(0, 200)}`, { cause: e });
  }
  const out: HostAddress[] = [];
  for (const link of Array.isArray(links) ? links : []) {
    if (link.ifname !== undefined && link.ifname !== device) continue;
    for (const a of link.addr_info ?? []) {
      if (a.family !== 'inet' || typeof a.local !== 'string') continue;
      out.push({ address: a.local, prefixLength: a.prefixlen ?? 32, label: a.label ?? device });
    }
  }
  return out;
}

/** The tag of a dbfleet label `<dev>:<tag>`; undefined for the device's own label. */
export function tagOfLabel(label: string, device: string): string | undefined {
  return label.startsWith(`${device}:`) ? label.slice(device.length + 1) : undefined;
}
