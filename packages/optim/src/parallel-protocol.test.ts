import { describe, expect, it } from 'vitest';
import { COMMAND, CONTROL, ERROR_BYTES, HYPER } from './parallel-protocol.js';

/** The slots of a layout other than `length`: distinct integers in [0, length), covering it. */
function checkLayout(layout: Record<string, number>): void {
  const { length, ...slots } = layout;
  const values = Object.values(slots);
  expect(new Set(values).size).toBe(values.length);
  for (const v of values) {
    expect(Number.isInteger(v)).toBe(true);
    expect(v).toBeGreaterThanOrEqual(0);
    expect(v).toBeLessThan(length);
  }
  expect(values.length).toBe(length);
}

describe('parallel-protocol', () => {
  it('control and hyperparameter layouts have distinct slots that fill their arrays', () => {
    checkLayout(CONTROL);
    checkLayout(HYPER);
  });

  it('commands are distinct and non-zero, so a zeroed control array never reads as a command', () => {
    const values = Object.values(COMMAND);
    expect(new Set(values).size).toBe(values.length);
    for (const v of values) expect(v).not.toBe(0);
    expect(ERROR_BYTES).toBeGreaterThan(0);
  });
});
