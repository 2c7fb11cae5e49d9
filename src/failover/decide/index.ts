/** The failover checker's pure decision core: observations in, situations and change sets out. */
export type { ProbeObservation, InstanceRole } from './probe-observation.js';
export { probeSucceeded, seenWritable, probeFailureText } from './probe-observation.js';
export type { DecidePolicy } from './decide-policy.js';
export { decidePolicyFrom, DEFAULT_UNCONFIRMED_WRITER_MAX_HOLD_MS } from './decide-policy.js';
export type { InstanceHealth, HealthState } from './instance-health.js';
export { newInstanceHealth, observe, observeUncounted } from './instance-health.js';
export type { HealthById } from './health-round.js';
export { observeRound } from './health-round.js';
export type { ClusterInput, ClusterMemory, ClusterTopology, InstanceRef, WriterHold } from './cluster-input.js';
export type { ClusterSituation, NoWriterWhy, ReaderSituation, SituationKind } from './cluster-situation.js';
export type { Alert, AlertSeverity, Decision } from './decision.js';
export { classifyWriter, type WriterVerdict } from './classify-writer.js';
export { confirmWriter, type WriterConfirmation } from './aurora-confirmation.js';
export { guardFlip, type FlipOutcome, type FlipRequest } from './flip-guard.js';
export { planReaderRecord, type ReaderPlan, type ReaderPlanInput } from './reader-plan.js';
export { decideCluster } from './decide-cluster.js';
export { decideFleet, type FleetDecision } from './decide-fleet.js';
export { TIMELINE_STAGES, buildTimeline, stampStage, type FailoverEvents, type FailoverTimeline, type TimelineStage, type TimelineStep } from './failover-timeline.js';
