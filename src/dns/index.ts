/**
 * The DNS layer's public surface: the MyDNS schema and record store, PowerDNS, and the weighted
 * resolver. Callers above src/dns (sandbox, failover, shard, migrate, cli) import from here.
 */
export { initSchema, defaultSoa, type InitOptions, type InitReport, type SoaDefaults } from './schema-init.js';
export { checkSchema, type CheckReport, type SchemaWarning, type SchemaWarningCode } from './schema-check.js';
export {
  applyChangeSet,
  listRecords,
  listAllRecords,
  replaceWriter,
  setWeight,
  addAddress,
  removeAddress,
  setTtl,
  type AppliedChange,
  type StoreOptions,
  type WriteOptions,
} from './record-store.js';
export { registerCluster, planClusterRegistration, type ClusterRecords } from './cluster-records.js';
export { describeChange, describeChangeSet, validateChangeSet, type ChangeSet, type RecordOp } from './change-set.js';
export { planChanges, type ChangePlan, type PlannedStep } from './change-plan.js';
export { readAudit, type AuditContext, type AuditEntry } from './audit-log.js';
export { listDrains, drainAddress, undrainAddress, drainsByName, raisesDrained, type Drain, type DrainRequest, type DrainResult, type UndrainRequest } from './drains.js';
export type { AddressRecord, NameRole, NameState } from './record-types.js';
export { isAnswerable } from './record-types.js';
export { ConflictError, InvalidRecordError, RecordInvariantError, UnknownNameError, UnknownZoneError } from './dns-errors.js';
export { normalizeZone, relativeName, fqdn, parseAddress, checkTtl, checkWeight } from './dns-names.js';
export { parseDsn, formatDsn, type DnsDsn } from './dns-dsn.js';
export { renderPdnsConfig, type PdnsConfigOptions, type PdnsDb } from './pdns-config.js';
export { startPowerDns, stopPowerDns, pdnsFiles, type PowerDnsOptions, type PowerDnsProcess } from './pdns-process.js';
export { directResolver, queryA, serverAddress } from './dns-query.js';
export { WeightedResolver, type Resolution, type WeightedResolverOptions } from './weighted-resolver.js';
export { createTableReader, type NameSource, type TableReaderOptions } from './table-reader.js';
export { pickWeighted, type WeightedEntry, type RandomSource } from './weighted-pick.js';
export { createFollowingPool, type FollowingPool, type FollowingPoolOptions, type FollowedConnection } from './following-pool.js';
