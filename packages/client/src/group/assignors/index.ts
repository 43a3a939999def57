export { cooperativeStickyAssignor, targetAssignment } from './cooperative-sticky.ts';
export { rangeAssignor } from './range.ts';
export { roundRobinAssignor } from './round-robin.ts';
export type { Assignor, AssignorInput, AssignorMember, RebalanceProtocol } from './types.ts';
