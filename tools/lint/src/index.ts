export type { PureArea, PurityViolation } from './purity.ts';
export { checkAreas, checkSource } from './purity.ts';
