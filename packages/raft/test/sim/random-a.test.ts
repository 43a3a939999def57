import { registerRandomSimulation } from './random-simulation.ts';

registerRandomSimulation(20_251_126);
