import type { ConsolidationHost, ConsolidationSection } from '../../core/config-schema.js';
import type { Logger } from '../../core/logger.js';
import { Mutex } from '../../core/mutex.js';
import { createEc2Api } from '../../aws/ec2-sdk-api.js';
import { Ec2SecondaryIpProvider } from '../../aws/ec2-secondary-ip-provider.js';
import { LoopbackIpProvider } from '../../aws/loopback-ip-provider.js';
import type { SecondaryIpProvider } from '../../aws/secondary-ip-provider.js';
import type { Host } from '../../host/host.js';
import { LocalHost } from '../../host/local-host.js';
import { SshHost } from '../../host/ssh-host.js';
import { MysqldManager } from '../mysqld/mysqld-manager.js';

/**
 * The target hosts of a consolidation, built lazily from the config: nothing connects until a
 * phase needs the host (so --dry-run touches nothing). One SSH connection per host, closed by
 * close().
 */
export class ApplyHosts {
  private readonly hosts = new Map<string, Host>();
  private readonly managers = new Map<string, MysqldManager>();
  private readonly providers = new Map<string, SecondaryIpProvider>();
  private loopback: LoopbackIpProvider | undefined;
  private readonly locks = new Map<string, Mutex>();

  constructor(
    private readonly section: ConsolidationSection,
    private readonly logger: Logger,
  ) {}

  host(h: ConsolidationHost): Host {
    let host = this.hosts.get(h.name);
    if (!host) {
      host = h.ssh
        ? new SshHost({
            name: `${h.name} (${h.ssh.host}:${h.ssh.port})`,
            host: h.ssh.host,
            port: h.ssh.port,
            username: h.ssh.user,
            privateKeyPath: h.ssh.identity_file,
            knownHostsPath: h.ssh.known_hosts,
            trustOnFirstUse: h.ssh.trust_on_first_use,
            connectTimeoutMs: h.ssh.connect_timeout_ms,
            logger: this.logger,
          })
        : new LocalHost();
      this.hosts.set(h.name, host);
    }
    return host;
  }

  mysqld(h: ConsolidationHost): MysqldManager {
    let m = this.managers.get(h.name);
    if (!m) {
      m = new MysqldManager(this.host(h), this.logger.child({ host: h.name }));
      this.managers.set(h.name, m);
    }
    return m;
  }

  /** One per host: work that must not overlap on it (its address changes, making its template datadir). */
  lock(h: ConsolidationHost): Mutex {
    let m = this.locks.get(h.name);
    if (!m) {
      m = new Mutex();
      this.locks.set(h.name, m);
    }
    return m;
  }

  ips(h: ConsolidationHost): SecondaryIpProvider {
    const kind = this.section.ip_provider;
    if (kind.kind === 'loopback') {
      // one pool for the sandbox's whole machine: the allocation file keeps addresses unique
      this.loopback ??= new LoopbackIpProvider({ pool: kind.pool, allocationFile: kind.allocation_file });
      return this.loopback;
    }
    let p = this.providers.get(h.name);
    if (!p) {
      p = new Ec2SecondaryIpProvider({ ec2: createEc2Api({ region: kind.region }), eniId: h.eni_id ?? '', host: this.host(h), device: h.device, logger: this.logger });
      this.providers.set(h.name, p);
    }
    return p;
  }

  async close(): Promise<void> {
    await Promise.all([...this.hosts.values()].map((h) => (h instanceof SshHost ? h.close().catch(() => undefined) : undefined)));
  }
}

