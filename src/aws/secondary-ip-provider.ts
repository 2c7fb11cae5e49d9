import { UsageError } from '../core/errors.js';

/**
 * Secondary IP addresses for consolidated hosts: one mysqld per address. The EC2 implementation
 * assigns the address to the instance's network interface and configures it on the host; the
 * loopback one hands out 127.x addresses for the sandbox. Both are idempotent per tag, so an
 * interrupted phase can simply run again.
 */
export interface SecondaryIp {
  address: string;
  /** The tag it was attached with (the host label `<dev>:<tag>`); undefined when unknown. */
  tag: string | undefined;
  /** False when only half attached (in the cloud but not on the host, or the reverse). */
  complete: boolean;
}

export interface SecondaryIpOptions {
  signal?: AbortSignal | undefined;
}

export interface SecondaryIpProvider {
  readonly kind: 'ec2' | 'loopback';
  /**
   * Attaches an address for `tag` (e.g. a shard name) and returns it: the given address or one
   * the provider chooses. A tag that already holds an address gets that address back.
   */
  attach(tag: string, address?: string, options?: SecondaryIpOptions): Promise<string>;
  /** Detaches an address; an address that is not attached is a no-op. */
  detach(address: string, options?: SecondaryIpOptions): Promise<void>;
  list(options?: SecondaryIpOptions): Promise<SecondaryIp[]>;
}

/** Linux interface names, labels included, are at most 15 characters (IFNAMSIZ - 1). */
export const MAX_LABEL_LENGTH = 15;
const TAG = /^[A-Za-z0-9_-]+$/;

/** Throws UsageError unless `tag` can label an address on `device` (`<device>:<tag>`). */
export function checkTag(tag: string, device: string): string {
  if (!TAG.test(tag)) throw new UsageError(`address tag "${tag}" may hold only letters, digits, "_" and "-"`);
  const label = `${device}:${tag}`;
  if (label.length > MAX_LABEL_LENGTH) {
    throw new UsageError(`address label "${label}" is longer than ${MAX_LABEL_LENGTH} characters (the kernel's limit)`, {
      next: `use a tag of at most ${MAX_LABEL_LENGTH - device.length - 1} characters`,
    });
  }
  return tag;
}
