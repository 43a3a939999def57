import { registerRandomSimulation } from './random-simulation.ts';

registerRandomSimulation(42_424_242);
