/**
 * The closed set of situations a cluster's writer can be in, named after what an operator would
 * say (VTOrc style). classifyWriter picks exactly one per tick; decideCluster maps each to its
 * action in one exhaustive switch. Ids are instance ids; addresses are record addresses.
 */
export type ClusterSituation =
  /** The writer record points at the only writable instance. */
  | { kind: 'Healthy'; writer: string }
  /** Exactly one reachable writable instance and the writer record points elsewhere: flip now. */
  | { kind: 'WriterMoved'; from: string; to: string; toId: string; confirmation: 'confirmed' | 'no-evidence' | 'hold-expired' }
  /** A flip is due but comes within writer_flip_min_interval_ms of the previous one. */
  | { kind: 'WriterFlipHeld'; from: string; to: string; toId: string; until: number }
  /** Aurora: the other instances' replica_host_status names another writer; wait for it to agree. */
  | { kind: 'UnconfirmedWriter'; from: string; to: string; toId: string; namedByOthers: string[]; until: number }
  /** No usable writable instance (a failover in progress): keep the writer record where it is. */
  | { kind: 'NoWriter'; writer: string; why: NoWriterWhy }
  /** Two or more instances answered writable: no writer change, page someone. */
  | { kind: 'SplitBrain'; writer: string; writableIds: string[] }
  /** No instance answered its latest probe: most likely the checker's own network. No change. */
  | { kind: 'AllUnreachable'; instanceIds: string[] }
  /** No instance has been probed yet (checker start): nothing to decide on. */
  | { kind: 'NotProbedYet' }
  /** The records or the topology cannot be managed safely (not registered, malformed). No change. */
  | { kind: 'Misconfigured'; problem: string };

export type SituationKind = ClusterSituation['kind'];

/** Why NoWriter: what the writer record's current address is doing. */
export type NoWriterWhy =
  | 'writer-unreachable'
  | 'writer-read-only'
  | 'writer-outside-topology'
  /** The only writable instance answers on its old connection but refuses new ones. */
  | 'candidate-refuses-new-connections';

/**
 * The reader pool after this tick's plan. "Serving" = a non-writer address with weight > 0 on an
 * active record.
 */
export type ReaderSituation =
  | { kind: 'AllReadersServing'; serving: number }
  | { kind: 'ReadersDegraded'; serving: number; outIds: string[] }
  /** No reader serves: the writer's entry carries fallback_weight so reads land somewhere. */
  | { kind: 'NoReaderServing'; outIds: string[] }
  /** The topology has no instance besides the writer; the writer takes the reads. */
  | { kind: 'WriterOnly' };
