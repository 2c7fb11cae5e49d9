/**
 * The slice of Amazon EC2 that dbfleet needs (secondary private IPv4 addresses on an ENI), in
 * dbfleet's own types. The SDK-backed implementation is ec2-sdk-api.ts.
 */
export interface PrivateIp {
  address: string;
  /** The ENI's primary address: never unassigned by dbfleet. */
  primary: boolean;
}

export interface Ec2CallOptions {
  signal?: AbortSignal | undefined;
}

export interface Ec2Api {
  /**
   * Assigns a secondary private IPv4 address (the given one, or one EC2 picks from the subnet) and
   * returns it once DescribeNetworkInterfaces shows it on the ENI. Already assigned: no call.
   */
  assignPrivateIp(eniId: string, address?: string, options?: Ec2CallOptions): Promise<string>;
  /** Unassigns a secondary address and returns once the ENI no longer shows it. Absent: no call. */
  unassignPrivateIp(eniId: string, address: string, options?: Ec2CallOptions): Promise<void>;
  /** Every private IPv4 address of the ENI, the primary first. */
  listPrivateIps(eniId: string, options?: Ec2CallOptions): Promise<PrivateIp[]>;
}
