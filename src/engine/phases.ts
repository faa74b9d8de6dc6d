import { asDeployError } from '../errors.js';
import type { Reporter } from '../report/reporter.js';
import type { PhaseTiming } from './types.js';

/**
 * The deploy is a visible list of named phases; each is timed, logged as a group, and any error
 * coming out of it names the phase.
 */
export class Phases {
  readonly timings: PhaseTiming[] = [];

  constructor(private readonly reporter: Reporter) {}

  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    this.reporter.startPhase(name);
    try {
      return await fn();
    } catch (err) {
      throw asDeployError(err, undefined, name);
    } finally {
      this.timings.push({ name, ms: Date.now() - started });
      this.reporter.endPhase();
    }
  }
}
