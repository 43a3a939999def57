/** Bounds of the broker workload client, units last. */

/** Records a reader holds between its consumer and the polls; fetching pauses beyond it. */
export const deliveryQueueRecordsMax = 2000;
/** Records handed out by one poll. */
export const pollRecordsMax = 200;
/** How long a poll waits for a first record before it returns empty. */
export const pollWaitMs = 300;
/** A consumer's long-poll wait at the broker (short, so reads end soon after the end). */
export const fetchMaxWaitMs = 200;
/** Group members: session and rebalance bounds, short so crashed members leave soon. */
export const groupSessionTimeoutMs = 6000;
export const groupHeartbeatIntervalMs = 500;
export const groupRebalanceTimeoutMs = 15_000;
/** Time kept back from an operation's deadline to answer before the harness gives up. */
export const answerMarginMs = 500;
/** Between two looks at a node's metadata while waiting for it to agree with the controller. */
export const metadataSettleIntervalMs = 500;
