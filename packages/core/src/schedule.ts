/**
 * Schedules: hyperparameters that change with the step count (optax `schedules/_schedule.py`).
 *
 * A {@link Schedule} maps a 0-based step count to a value. Every numeric hyperparameter of an
 * optimizer building block accepts a {@link ScalarOrSchedule}; transforms call the schedule with the
 * number of updates they have already applied, so the first update uses `schedule(0)` (optax's
 * convention). Factories validate their options at construction and throw INVALID_OPTION naming the
 * option; the returned functions are cheap, allocation-free and clamp steps outside their range.
 */
import { OptkitError, checkOption, type RangeSpec } from './errors.js';

/** A value as a function of the 0-based step count. */
export type Schedule = (step: number) => number;

/** A fixed number or a {@link Schedule}. */
export type ScalarOrSchedule = number | Schedule;

/**
 * The value of `value` at `step`: the number itself, or the schedule evaluated at `step`.
 * A schedule that returns NaN or ±Infinity throws NOT_FINITE naming `name` (default `'schedule'`),
 * so a bad schedule stops a run instead of silently filling the parameters with NaN.
 */
export function resolve(value: ScalarOrSchedule, step: number, name = 'schedule'): number {
  if (typeof value === 'number') return value;
  const v = value(step);
  if (typeof v !== 'number' || v - v !== 0) {
    throw new OptkitError('NOT_FINITE', `${name} returned ${String(v)} at step ${step}; expected a finite number`, name);
  }
  return v;
}

/**
 * Validates a hyperparameter that may be a number or a schedule. A number must be finite and inside
 * `range` (INVALID_OPTION naming `name`); a function is accepted as is (its values are checked for
 * finiteness by {@link resolve} when used); anything else is INVALID_OPTION. Returns `value`.
 */
export function checkScalarOrSchedule(
  value: ScalarOrSchedule,
  name: string,
  range: RangeSpec = {},
  fn?: string,
): ScalarOrSchedule {
  if (typeof value === 'function') return value;
  if (typeof value !== 'number') {
    throw new OptkitError(
      'INVALID_OPTION',
      `${fn ? `${fn}: ` : ''}option ${name} is ${typeof value}; expected a number or a schedule (step) => number`,
      name,
    );
  }
  return checkOption(value, name, range, fn);
}

const nonNegInt: RangeSpec = { min: 0, integer: true };
const posInt: RangeSpec = { min: 1, integer: true };

/** The same value at every step. */
export function constantSchedule(value: number): Schedule {
  checkOption(value, 'value', {}, 'constantSchedule');
  return () => value;
}

export interface LinearScheduleOptions {
  /** Value at (and before) step `begin`. */
  init: number;
  /** Value at (and after) step `begin + steps`. */
  end: number;
  /** Length of the transition, an integer >= 1. */
  steps: number;
  /** Step at which the transition starts (default 0). */
  begin?: number;
}

/**
 * Linear interpolation from `init` to `end` over `steps` steps starting at `begin`, constant outside
 * (optax `linear_schedule`): value(t) = init + (end − init)·clamp((t − begin)/steps, 0, 1).
 */
export function linearSchedule(options: LinearScheduleOptions): Schedule {
  const fn = 'linearSchedule';
  const init = checkOption(options.init, 'init', {}, fn);
  const end = checkOption(options.end, 'end', {}, fn);
  const steps = checkOption(options.steps, 'steps', posInt, fn);
  const begin = checkOption(options.begin ?? 0, 'begin', nonNegInt, fn);
  return (step) => {
    const t = step - begin;
    if (!(t > 0)) return init;
    if (t >= steps) return end;
    // optax's form (init − end)·(1 − t/steps) + end hits `end` exactly at t = steps.
    return (init - end) * (1 - t / steps) + end;
  };
}

export interface CosineDecayScheduleOptions {
  /** Value at step 0. */
  init: number;
  /** Length of the decay, an integer >= 1; the value stays at `alpha·init` afterwards. */
  steps: number;
  /** Final value as a fraction of `init` (default 0). */
  alpha?: number;
  /** Power applied to the cosine factor (default 1). */
  exponent?: number;
}

/**
 * Cosine decay (Loshchilov & Hutter, SGDR, arXiv 1608.03983; optax `cosine_decay_schedule`):
 * value(t) = init·((1 − alpha)·c(t)^exponent + alpha) with c(t) = ½(1 + cos(π·min(t, steps)/steps)).
 */
export function cosineDecaySchedule(options: CosineDecayScheduleOptions): Schedule {
  const fn = 'cosineDecaySchedule';
  const init = checkOption(options.init, 'init', {}, fn);
  const steps = checkOption(options.steps, 'steps', posInt, fn);
  const alpha = checkOption(options.alpha ?? 0, 'alpha', { min: 0 }, fn);
  const exponent = checkOption(options.exponent ?? 1, 'exponent', { min: 0 }, fn);
  return (step) => {
    const t = step < 0 ? 0 : step > steps ? steps : step;
    const c = 0.5 * (1 + Math.cos((Math.PI * t) / steps));
    return init * ((1 - alpha) * (exponent === 1 ? c : c ** exponent) + alpha);
  };
}

export interface WarmupCosineScheduleOptions {
  /** Value reached at the end of the warm-up. */
  peak: number;
  /** Length of the linear warm-up from `init` to `peak`, an integer >= 0. */
  warmupSteps: number;
  /** Total length, warm-up included (optax's `decay_steps`), an integer > warmupSteps. */
  steps: number;
  /** Value at step 0 (default 0). */
  init?: number;
  /** Value at step `steps` and after (default 0). */
  end?: number;
  /** Power applied to the cosine factor (default 1). */
  exponent?: number;
}

/**
 * Linear warm-up from `init` to `peak` over `warmupSteps` steps, then cosine decay from `peak` to
 * `end` over the remaining `steps − warmupSteps` steps (optax `warmup_cosine_decay_schedule`; note
 * that `steps` counts the warm-up too). With the default `init = 0` the value at step 0 is 0.
 */
export function warmupCosineSchedule(options: WarmupCosineScheduleOptions): Schedule {
  const fn = 'warmupCosineSchedule';
  const peak = checkOption(options.peak, 'peak', {}, fn);
  const warmupSteps = checkOption(options.warmupSteps, 'warmupSteps', nonNegInt, fn);
  const steps = checkOption(options.steps, 'steps', { min: warmupSteps + 1, integer: true }, fn);
  const init = checkOption(options.init ?? 0, 'init', {}, fn);
  const end = checkOption(options.end ?? 0, 'end', {}, fn);
  const exponent = checkOption(options.exponent ?? 1, 'exponent', { min: 0 }, fn);
  const alpha = peak === 0 ? 0 : end / peak;
  const decay = cosineDecaySchedule({ init: peak, steps: steps - warmupSteps, alpha, exponent });
  if (warmupSteps === 0) return decay;
  const ramp = linearSchedule({ init, end: peak, steps: warmupSteps });
  return (step) => (step < warmupSteps ? ramp(step) : decay(step - warmupSteps));
}

/**
 * Linear warm-up in front of `schedule`: value(t) = schedule(0)·(t + 1)/warmupSteps for
 * t < warmupSteps, then schedule(t − warmupSteps) (the wrapped schedule starts when the warm-up
 * ends). The first step is not wasted at 0, which is the warm-up of Defazio et al. (arXiv 2310.07831,
 * "s(t) = (t+1)/W"); for optax's ramp that starts at 0 use {@link warmupCosineSchedule} or
 * {@link joinSchedules} with a {@link linearSchedule}. `warmupSteps = 0` returns `schedule` unchanged.
 */
export function warmup(schedule: ScalarOrSchedule, warmupSteps: number): Schedule {
  const fn = 'warmup';
  checkScalarOrSchedule(schedule, 'schedule', {}, fn);
  checkOption(warmupSteps, 'warmupSteps', nonNegInt, fn);
  const inner: Schedule = typeof schedule === 'number' ? () => schedule : schedule;
  if (warmupSteps === 0) return inner;
  return (step) => {
    if (step < warmupSteps) {
      const t = step < 0 ? 0 : step;
      return (inner(0) * (t + 1)) / warmupSteps;
    }
    return inner(step - warmupSteps);
  };
}

/**
 * Runs `schedules[i]` between `boundaries[i−1]` and `boundaries[i]`, each restarted from step 0 at
 * its boundary (optax `join_schedules`): value(t) = schedules[i](t − boundaries[i−1]).
 * `boundaries` are strictly increasing integers >= 0, one fewer than the schedules.
 */
export function joinSchedules(schedules: readonly Schedule[], boundaries: readonly number[]): Schedule {
  const fn = 'joinSchedules';
  if (!Array.isArray(schedules) || schedules.length === 0) {
    throw new OptkitError('EMPTY_INPUT', `${fn}: schedules is empty; expected at least one schedule`, 'schedules');
  }
  schedules.forEach((s, i) => {
    if (typeof s !== 'function') {
      throw new OptkitError('INVALID_OPTION', `${fn}: schedules[${i}] is ${typeof s}; expected a function`, `schedules[${i}]`);
    }
  });
  if (!Array.isArray(boundaries) || boundaries.length !== schedules.length - 1) {
    throw new OptkitError(
      'SHAPE_MISMATCH',
      `${fn}: boundaries has length ${boundaries?.length}; expected ${schedules.length - 1} (one fewer than schedules)`,
      'boundaries',
    );
  }
  boundaries.forEach((b, i) => {
    checkOption(b, `boundaries[${i}]`, { min: i === 0 ? 0 : boundaries[i - 1] + 1, integer: true }, fn);
  });
  const s = schedules.slice();
  const bounds = boundaries.slice();
  return (step) => {
    let i = 0;
    while (i < bounds.length && step >= bounds[i]) i++;
    return s[i](i === 0 ? step : step - bounds[i - 1]);
  };
}
