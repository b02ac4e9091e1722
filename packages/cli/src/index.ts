/**
 * @optkit/cli — the `optkit` command, and the same operations for programs: load plugins, run
 * experiments and write the report, run benchmarks, run a method on data files, check the machine.
 */
export { createProgram, main, describeFailure } from './program.js';
export { FIRST_PARTY_PACKAGES, loadPlugins, thirdPartySpecifiers, isPackageInstalled, missingEntryFile, type LoadedPlugin, type LoadedPlugins, type PluginSelection } from './plugins.js';
export { reproduce, selectExperiments, versionsOf, type ReproduceEvent, type ReproduceOptions, type ReproduceRun } from './reproduce.js';
export { renderReport, renderPlot, seriesToVegaLite, vegaLiteToSvg, writeReport, escapeHtml } from './report.js';
export {
  claimStatus,
  normalizeExperimentResult,
  reproduceExitCode,
  resultsJson,
  summarize,
  type ClaimRecord,
  type ExperimentRecord,
  type ReproduceReport,
  type RunSummary,
} from './results.js';
export { runBenchmarks, rowRatio, formatBenchRows, type BenchEvent, type BenchOptions, type BenchRecord } from './commands/bench.js';
export { runMethod, type RunMethodOptions } from './commands/run.js';
export { doctor, formatDoctor, type DoctorReport } from './commands/doctor.js';
export { listEntries, formatListing, type ListedEntry, type Listing } from './commands/list.js';
export { inferFormat, loadAllData, loadData, parseRunConfig, readRunConfig, DATA_FORMATS, type DataSpec, type RunConfig } from './config.js';
export { toJsonValue, stringifyResult, formatJson, nonFiniteNote, type JsonConversion, type JsonValue } from './json.js';
export { machineInfo, type MachineInfo } from './machine.js';
