/**
 * The shared base of optkit's TensorFlow.js optimizers: `OptkitTfOptimizer`, a `tf.Optimizer`
 * subclass that owns the per-variable state ("slots") so that a method only writes its per-variable
 * math. Used by OptkitLion, OptkitAdamW and the other classes in src/tf/.
 *
 * ## Slots, names and positions
 *
 * A subclass declares its slot names (e.g. `['m']` for Lion, `['m', 'v']` for AdamW). Each variable
 * that appears in `applyGradients` gets one slot variable per name (non-trainable, created once,
 * zeros of `slotShape(...)`, then only `assign`ed). Within a run slots are found by the variable's
 * NAME. After `setWeights` (e.g. `tf.loadLayersModel` of a model saved with its optimizer), the
 * restored slots are bound by POSITION: the k-th new variable name that `applyGradients` meets takes
 * the k-th restored entry. This is what makes resuming work when a reloaded model renames its
 * variables (`dense_Dense1/kernel` → `dense_Dense1/kernel_1`): `model.fit` passes the variables in a
 * fixed order, the same order in which they were first met before saving. A shape mismatch at
 * binding throws SHAPE_MISMATCH instead of silently restarting from zero state.
 *
 * Variables in the gradient list whose gradient is null/undefined are skipped (no math), but their
 * slots are still created in list order, so positions stay stable (tfjs's own Adam does the same).
 *
 * ## Saved weights
 *
 * `getWeights()` returns `[iter, ...slots]`, with the slots ordered SLOT-MAJOR: all variables'
 * first slot (in first-seen order), then all variables' second slot, and so on (tfjs Adam's order);
 * each is named `<variable name>/<slot name>`. `setWeights` expects the same layout: it reads `iter`
 * with `extractIterations`, checks that the rest is a multiple of the number of slot names, and
 * keeps copies of the tensors as the restored entries.
 *
 * ## Writing a subclass
 *
 * ```ts
 * class OptkitSgdm extends OptkitTfOptimizer {
 *   static get className() { return 'optkit.Sgdm'; }
 *   constructor(config: { learningRate?: number; momentum?: number } = {}) { super(['m']); ... }
 *   protected applyToVariable({ variable, gradient, slots: [m] }: VariableStep) {
 *     const mNew = tf.add(tf.mul(m, this.momentum), gradient);
 *     m.assign(mNew);
 *     variable.assign(tf.sub(variable, tf.mul(mNew, this.learningRate)));
 *   }
 *   getConfig() { return { learningRate: this.learningRate, momentum: this.momentum }; }
 * }
 * tf.serialization.registerClass(OptkitSgdm);
 * ```
 *
 * `applyToVariable` runs inside one `tf.tidy` per step (intermediates are freed); it must only
 * `assign` to the variable and its slots. `beforeStep(iteration)` runs once per step before the
 * variables (for per-step scalars such as bias corrections); `afterRestore()` runs after
 * `setWeights` (for state derived from the iteration count).
 */
import * as tf from '@tensorflow/tfjs';
import { OptkitError } from '@optkit/core';

/** tfjs-core's `NamedTensor` (not re-exported by the tfjs umbrella package's types). */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** What {@link OptkitTfOptimizer.applyToVariable} receives for one variable. */
export interface VariableStep {
  /** The model variable to update (assign to it). */
  variable: tf.Variable;
  /** Its gradient (never null here). */
  gradient: tf.Tensor;
  /** The slot variables, in the order of the slot names. */
  slots: tf.Variable[];
  /** The variable's name in this run. */
  name: string;
  /** Its position among the variables this optimizer has seen (first-seen order). */
  index: number;
  /** Steps applied before this one (0 on the first step). */
  iteration: number;
}

/** One variable's state: its slots, and the name it is bound to (null: restored, not yet bound). */
interface SlotEntry {
  name: string | null;
  /** `<variable name>/` prefix used in saved weight names. */
  savedName: string;
  slots: tf.Variable[];
}

function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Validates a numeric tfjs optimizer option: a finite number in the range (INVALID_OPTION naming it).
 */
export function checkTfOption(
  value: unknown,
  name: string,
  fn: string,
  range: { min?: number; max?: number; maxExclusive?: boolean; minExclusive?: boolean } = {},
): number {
  const v = value as number;
  const ok =
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (range.min === undefined || (range.minExclusive ? v > range.min : v >= range.min)) &&
    (range.max === undefined || (range.maxExclusive ? v < range.max : v <= range.max));
  if (!ok) {
    const lo = range.min === undefined ? '(-inf' : `${range.minExclusive ? '(' : '['}${range.min}`;
    const hi = range.max === undefined ? 'inf)' : `${range.max}${range.maxExclusive ? ')' : ']'}`;
    throw new OptkitError('INVALID_OPTION', `${fn}: option ${name} is ${String(value)}; expected a number in ${lo}, ${hi}`, name);
  }
  return v;
}

/** The abstract base; see the file comment. */
export abstract class OptkitTfOptimizer extends tf.Optimizer {
  /** Slot names, in the order of {@link VariableStep.slots} and of the saved weights. */
  protected readonly slotNames: readonly string[];
  private entries: SlotEntry[] = [];
  private byName = new Map<string, number>();
  /** Index of the next restored-but-unbound entry (entries before it are bound). */
  private nextUnbound = 0;

  protected constructor(slotNames: readonly string[]) {
    super();
    this.slotNames = [...slotNames];
  }

  /** The shape of slot `slot` for `variable` (default: the variable's shape). */
  protected slotShape(_slot: number, variable: tf.Variable): number[] {
    return variable.shape.slice();
  }

  /** Per-step hook, called once per `applyGradients` before the variables, outside any tidy. */
  protected beforeStep(_iteration: number): void {}

  /** Called at the end of `setWeights`, once the iteration count and slots are restored. */
  protected afterRestore(): void {}

  /** The per-variable update (inside tf.tidy): assign the new values to the variable and its slots. */
  protected abstract applyToVariable(step: VariableStep): void;

  /** Number of variables with state. */
  get numTrackedVariables(): number {
    return this.entries.length;
  }

  private entryFor(name: string, variable: tf.Variable): SlotEntry {
    const fn = `${this.getClassName()}.applyGradients`;
    const found = this.byName.get(name);
    if (found !== undefined) return this.entries[found];
    // A restored entry waiting for its variable: bind by position.
    if (this.nextUnbound < this.entries.length) {
      const index = this.nextUnbound++;
      const e = this.entries[index];
      for (let s = 0; s < this.slotNames.length; s++) {
        const want = this.slotShape(s, variable);
        if (!shapesEqual(e.slots[s].shape, want)) {
          throw new OptkitError(
            'SHAPE_MISMATCH',
            `${fn}: restored state ${e.savedName}${this.slotNames[s]} has shape [${e.slots[s].shape}] but variable ${name} (position ${index}) needs [${want}]; the model's variables are not in the order they were saved in`,
            'variableGradients',
          );
        }
      }
      e.name = name;
      this.byName.set(name, index);
      return e;
    }
    const slots = this.slotNames.map((_, s) =>
      tf.tidy(() => tf.zeros(this.slotShape(s, variable), variable.dtype).variable(false)),
    );
    const e: SlotEntry = { name, savedName: `${name}/`, slots };
    this.entries.push(e);
    this.nextUnbound = this.entries.length;
    this.byName.set(name, this.entries.length - 1);
    return e;
  }

  /**
   * Applies one step to every variable in `variableGradients` (a name → gradient map, or a list of
   * `{name, tensor}` in the model's order). Null gradients are skipped. Unknown variable names throw
   * NOT_FOUND; a gradient whose shape differs from its variable's throws SHAPE_MISMATCH.
   */
  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const fn = `${this.getClassName()}.applyGradients`;
    const list: { name: string; tensor: tf.Tensor | null | undefined }[] = Array.isArray(variableGradients)
      ? variableGradients.map((v) => ({ name: v.name, tensor: v.tensor }))
      : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] }));
    const registered = tf.engine().registeredVariables;
    const iteration = this.iterations;
    // Validate everything before changing anything.
    const vars = list.map(({ name, tensor }) => {
      const variable = registered[name];
      if (variable === undefined) {
        throw new OptkitError('NOT_FOUND', `${fn}: no variable named ${name} is registered`, 'variableGradients');
      }
      if (tensor != null && !shapesEqual(tensor.shape, variable.shape)) {
        throw new OptkitError(
          'SHAPE_MISMATCH',
          `${fn}: the gradient of ${name} has shape [${tensor.shape}]; the variable has [${variable.shape}]`,
          'variableGradients',
        );
      }
      return variable;
    });
    const entries = list.map(({ name }, i) => this.entryFor(name, vars[i]));
    this.beforeStep(iteration);
    tf.tidy(() => {
      for (let i = 0; i < list.length; i++) {
        const gradient = list[i].tensor;
        if (gradient == null) continue;
        const index = this.byName.get(list[i].name)!;
        this.applyToVariable({ variable: vars[i], gradient, slots: entries[i].slots, name: list[i].name, index, iteration });
      }
    });
    this.incrementIterations();
  }

  /** `[iter, ...slots]`, slot-major (see the file comment). The slot tensors are the live variables. */
  override async getWeights(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [await this.saveIterations()];
    for (let s = 0; s < this.slotNames.length; s++) {
      for (const e of this.entries) out.push({ name: `${e.savedName}${this.slotNames[s]}`, tensor: e.slots[s] });
    }
    return out;
  }

  /**
   * Restores `[iter, ...slots]` as written by {@link getWeights}. The slots are copied into new
   * variables (the caller may dispose its tensors) and bound to variables by position on the next
   * `applyGradients`. INVALID_ARGUMENT when the count is not 1 + k·(number of slot names).
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const fn = `${this.getClassName()}.setWeights`;
    const k = this.slotNames.length;
    if (!Array.isArray(weightValues) || weightValues.length < 1 || (weightValues.length - 1) % k !== 0) {
      throw new OptkitError(
        'INVALID_ARGUMENT',
        `${fn}: got ${Array.isArray(weightValues) ? weightValues.length : typeof weightValues} weights; expected 1 (iter) + a multiple of ${k} (slots ${this.slotNames.join(', ')})`,
        'weightValues',
      );
    }
    const rest = await this.extractIterations(weightValues);
    const count = rest.length / k;
    this.disposeSlots();
    for (let v = 0; v < count; v++) {
      const first = rest[v].name;
      const suffix = `/${this.slotNames[0]}`;
      const savedName = first.endsWith(suffix) ? first.slice(0, first.length - this.slotNames[0].length) : `${first}/`;
      const slots = this.slotNames.map((_, s) => tf.tidy(() => tf.clone(rest[s * count + v].tensor).variable(false)));
      this.entries.push({ name: null, savedName, slots });
    }
    this.nextUnbound = 0;
    this.afterRestore();
  }

  private disposeSlots(): void {
    for (const e of this.entries) for (const s of e.slots) s.dispose();
    this.entries = [];
    this.byName.clear();
    this.nextUnbound = 0;
  }

  /** Disposes every slot variable. The optimizer can be used again (state restarts at zero). */
  override dispose(): void {
    super.dispose();
    this.disposeSlots();
  }
}

/** Compiles regex sources (INVALID_OPTION naming the option on a bad list or pattern). */
export function compilePatterns(list: unknown, name: string, fn: string): RegExp[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string')) {
    throw new OptkitError('INVALID_OPTION', `${fn}: option ${name} must be an array of regular-expression strings`, name);
  }
  return list.map((s: string) => {
    try {
      return new RegExp(s);
    } catch (e) {
      throw new OptkitError('INVALID_OPTION', `${fn}: option ${name} has an invalid pattern ${JSON.stringify(s)}: ${(e as Error).message}`, name);
    }
  });
}

/** TF-Addons' matching: regex search in the name with a trailing ":0" removed. */
export function matchesAny(patterns: readonly RegExp[], name: string): boolean {
  const n = name.endsWith(':0') ? name.slice(0, -2) : name;
  return patterns.some((p) => p.test(n));
}
