/** Limits and defaults of the group coordinator, units last. */

/** Kafka's group.min.session.timeout.ms is 6 s; ours is lower so local clusters react fast. */
export const sessionTimeoutMsMinDefault = 1_000;
/** Kafka's group.max.session.timeout.ms. */
export const sessionTimeoutMsMaxDefault = 1_800_000;
/**
 * How long a new group waits for more members before its first generation (Kafka's
 * group.initial.rebalance.delay.ms, 3 s there). 0: the first generation forms at once.
 */
export const initialRebalanceDelayMsDefault = 0;
export const membersPerGroupMaxDefault = 1_000;

if (sessionTimeoutMsMinDefault > sessionTimeoutMsMaxDefault) {
  throw new Error('session timeout bounds inverted');
}
