import { describe, expect, it } from 'vitest';
import { claimStatus, normalizeExperimentResult, reproduceExitCode, summarize, type ExperimentRecord } from './results.js';

const rec = (claims: ExperimentRecord['claims'], error?: string): ExperimentRecord => ({
  id: 'e',
  plugin: 'p',
  card: 'c',
  title: 't',
  paper: { title: 'P' },
  seconds: 0,
  claims,
  plots: [],
  tables: [],
  notes: [],
  ...(error ? { error } : {}),
});

describe('normalizeExperimentResult', () => {
  it('keeps claims, makes gated default to true and non-finite measurements null', () => {
    const r = normalizeExperimentResult({
      claims: [
        { claim: 'a', measured: NaN, expected: '<= 1', pass: true } as never,
        { claim: 'b', measured: '3x', expected: '>= 2x', pass: 'yes' as never, gated: false },
      ],
    });
    expect(r.claims).toEqual([
      { claim: 'a', measured: null, expected: '<= 1', pass: true, gated: true },
      { claim: 'b', measured: '3x', expected: '>= 2x', pass: false, gated: false },
    ]);
    expect(r).toMatchObject({ plots: [], tables: [], notes: [] });
  });

  it('rejects results without a claims array or with a claim lacking text', () => {
    expect(() => normalizeExperimentResult(undefined)).toThrow(/expected \{claims/);
    expect(() => normalizeExperimentResult({ plots: [] })).toThrow(/no claims array/);
    expect(() => normalizeExperimentResult({ claims: [{ measured: 1 }] })).toThrow(/claims\[0\]/);
  });
});

describe('summarize and the exit code', () => {
  it('fails on a gated failure or a thrown experiment, never on a report-only failure', () => {
    const pass = { claim: 'x', measured: 1, expected: '1', pass: true, gated: true };
    const gatedFail = { ...pass, pass: false };
    const reportFail = { ...pass, pass: false, gated: false };
    expect(reproduceExitCode({ summary: summarize([rec([pass, reportFail])]) })).toBe(0);
    expect(reproduceExitCode({ summary: summarize([rec([pass, gatedFail])]) })).toBe(1);
    expect(reproduceExitCode({ summary: summarize([rec([], 'boom')]) })).toBe(1);
    expect(reproduceExitCode({ summary: summarize([]) })).toBe(0);
    expect(summarize([rec([pass, gatedFail, reportFail]), rec([], 'x')])).toEqual({
      experiments: 2,
      claims: 3,
      passed: 1,
      failed: 1,
      reportOnly: 1,
      errors: 1,
      ok: false,
    });
  });

  it('names outcomes', () => {
    expect(claimStatus({ pass: true, gated: true })).toBe('pass');
    expect(claimStatus({ pass: false, gated: true })).toBe('FAIL');
    expect(claimStatus({ pass: false, gated: false })).toBe('report-only (fail)');
    expect(claimStatus({ pass: true, gated: false })).toBe('report-only (pass)');
  });
});
