/**
 * The slice of Amazon RDS that dbfleet needs, in dbfleet's own types: the rest of the code never
 * imports the SDK. The SDK-backed implementation is rds-sdk-api.ts.
 */

/** One DB instance of an Aurora cluster, as the RDS control plane sees it. */
export interface AuroraMember {
  instanceId: string;
  /** RDS's view of the writer; the checker trusts its own probes over this. */
  isWriter: boolean;
  /** Failover priority, 0 (first) to 15. */
  promotionTier: number | undefined;
  /** The instance endpoint's address; undefined while the instance is still being created. */
  address: string | undefined;
  port: number | undefined;
  /** DBInstanceStatus: "available", "creating", "rebooting", "deleting", … */
  status: string;
  availabilityZone: string | undefined;
}

export interface AuroraCluster {
  clusterId: string;
  engine: string;
  engineVersion: string;
  /** Cluster status: "available", "failing-over", "modifying", … */
  status: string;
  writerEndpoint: string | undefined;
  readerEndpoint: string | undefined;
  port: number | undefined;
  /** Sorted by instance id. */
  members: AuroraMember[];
}

export interface FailoverOutcome {
  clusterId: string;
  previousWriter: string | undefined;
  newWriter: string;
  /** False when the target already was the writer and nothing was sent. */
  changed: boolean;
  /** Time from the FailoverDBCluster answer until RDS reported the new writer. */
  verifiedAfterMs: number;
  polls: number;
}

export interface RdsCallOptions {
  signal?: AbortSignal | undefined;
}

export interface RdsApi {
  /** DescribeDBClusters + DescribeDBInstances (all pages) joined per member. */
  describeAuroraCluster(clusterId: string, options?: RdsCallOptions): Promise<AuroraCluster>;
  /**
   * FailoverDBCluster, then reads the cluster back until RDS reports the target (or, with no
   * target, any other instance) as the writer. Throws AWS_VERIFY_FAILED when it never does.
   */
  failoverCluster(clusterId: string, targetInstanceId?: string, options?: RdsCallOptions): Promise<FailoverOutcome>;
}
