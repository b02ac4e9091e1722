/**
 * The records `optkit reproduce` keeps per experiment and per claim, the run summary, the exit
 * code, and the `results.json` document.
 */
import type { Claim, ExperimentResult, PaperRef, Plot, Table } from '@optkit/core';
import type { MachineInfo } from './machine.js';

/** A claim as recorded: `measured` is null when the experiment reported a non-finite number. */
export interface ClaimRecord {
  claim: string;
  measured: number | string | null;
  expected: string;
  pass: boolean;
  gated: boolean;
}

export interface ExperimentRecord {
  id: string;
  /** The package (plugin name) that registered it. */
  plugin: string;
  /** Method card slug. */
  card: string;
  title: string;
  paper: PaperRef;
  /** Wall-clock seconds of the experiment's `run`. */
  seconds: number;
  /** Set when the experiment threw (or returned something malformed): `<code>: <message>` or the message. */
  error?: string;
  /** The thrown error's stack, when there was one (shown with --verbose; not written to results.json). */
  stack?: string;
  claims: ClaimRecord[];
  plots: Plot[];
  tables: Table[];
  notes: string[];
}

export interface RunSummary {
  experiments: number;
  claims: number;
  /** Gated claims that passed. */
  passed: number;
  /** Gated claims that failed. */
  failed: number;
  /** Report-only claims (any outcome). */
  reportOnly: number;
  /** Experiments that threw. */
  errors: number;
  /** No gated claim failed and no experiment threw. */
  ok: boolean;
}

export interface ReproduceReport {
  /** ISO date-time at the start of the run. */
  date: string;
  machine: MachineInfo & { tfBackend?: string };
  /** Versions of the CLI and of every loaded plugin package. */
  versions: Record<string, string>;
  options: { ids: string[]; quick: boolean; seed: number; threads: number };
  experiments: ExperimentRecord[];
  summary: RunSummary;
}

/** Validates what an experiment returned and puts it in canonical form; throws a plain Error when malformed. */
export function normalizeExperimentResult(raw: unknown): { claims: ClaimRecord[]; plots: Plot[]; tables: Table[]; notes: string[] } {
  if (typeof raw !== 'object' || raw === null) throw new Error(`experiment returned ${raw === null ? 'null' : typeof raw}; expected {claims, plots?, tables?, notes?}`);
  const r = raw as Partial<ExperimentResult>;
  if (!Array.isArray(r.claims)) throw new Error('experiment result has no claims array');
  const claims = r.claims.map((c: Claim, i: number): ClaimRecord => {
    if (typeof c !== 'object' || c === null || typeof c.claim !== 'string') throw new Error(`claims[${i}] has no claim text`);
    const m = c.measured;
    return {
      claim: c.claim,
      measured: typeof m === 'number' ? (Number.isFinite(m) ? m : null) : typeof m === 'string' ? m : null,
      expected: typeof c.expected === 'string' ? c.expected : String(c.expected ?? ''),
      pass: c.pass === true,
      // Report-only only when said so explicitly: a forgotten flag must not hide a failure.
      gated: c.gated !== false,
    };
  });
  return {
    claims,
    plots: Array.isArray(r.plots) ? r.plots : [],
    tables: Array.isArray(r.tables) ? r.tables : [],
    notes: Array.isArray(r.notes) ? r.notes.map(String) : [],
  };
}

export function summarize(experiments: readonly ExperimentRecord[]): RunSummary {
  let claims = 0;
  let passed = 0;
  let failed = 0;
  let reportOnly = 0;
  let errors = 0;
  for (const e of experiments) {
    if (e.error !== undefined) errors++;
    for (const c of e.claims) {
      claims++;
      if (!c.gated) reportOnly++;
      else if (c.pass) passed++;
      else failed++;
    }
  }
  return { experiments: experiments.length, claims, passed, failed, reportOnly, errors, ok: failed === 0 && errors === 0 };
}

/** 1 when a gated claim failed or an experiment threw, else 0. */
export function reproduceExitCode(report: Pick<ReproduceReport, 'summary'>): number {
  return report.summary.ok ? 0 : 1;
}

/** The `results.json` document: the report without plot data (plots are listed by title). */
export function resultsJson(report: ReproduceReport): Record<string, unknown> {
  return {
    date: report.date,
    machine: report.machine,
    versions: report.versions,
    options: report.options,
    summary: report.summary,
    experiments: report.experiments.map((e) => ({
      id: e.id,
      plugin: e.plugin,
      card: e.card,
      title: e.title,
      paperTitle: e.paper.title,
      paper: e.paper,
      seconds: e.seconds,
      ...(e.error !== undefined ? { error: e.error } : {}),
      claims: e.claims.map((c) => ({ claim: c.claim, measured: c.measured, expected: c.expected, pass: c.pass, gated: c.gated })),
      tables: e.tables,
      notes: e.notes,
      plots: e.plots.map((p) => p.title),
    })),
  };
}

/** The word shown for a claim's outcome. */
export function claimStatus(c: Pick<ClaimRecord, 'pass' | 'gated'>): 'pass' | 'FAIL' | 'report-only (pass)' | 'report-only (fail)' {
  if (!c.gated) return c.pass ? 'report-only (pass)' : 'report-only (fail)';
  return c.pass ? 'pass' : 'FAIL';
}
