/**
 * `optkit cluster ...`: broker, worker, run, status, keygen, local. The commands are thin: the
 * cluster itself lives in @optkit/cluster; the actions are in cluster-serve.ts, cluster-run.ts and
 * cluster-status.ts.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { BACKENDS, isBindEndpoint, isConnectEndpoint, startLocalCluster, waitFor, type WorkerBackend } from '@optkit/cluster';
import { OptkitError } from '@optkit/core';
import { runWithProgress } from './cluster-run.js';
import { brokerCommand, clientCurveKeys, pluginsWithJobs, resolvePluginFiles, startBrokerFromOptions, untilStopped, workerCommand } from './cluster-serve.js';
import { keygenCommand, statusCommand } from './cluster-status.js';
import { err, pluginsFor, setExitCode, type GlobalOptions } from './shared.js';

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), ...value.split(',').map((s) => s.trim()).filter(Boolean)];

function positiveInt(name: string) {
  return (value: string): number => {
    const v = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(v) || v < 1) throw new InvalidArgumentError(`${name} must be an integer >= 1 (got ${value}).`);
    return v;
  };
}

function connectEndpoint(value: string): string {
  if (!isConnectEndpoint(value)) throw new InvalidArgumentError(`expected an endpoint such as tcp://host:5555 (port 1..65535), ipc:///path or inproc://name; got ${JSON.stringify(value)}.`);
  return value;
}

function bindEndpoint(value: string, previous: string[] | undefined): string[] {
  if (!isBindEndpoint(value)) throw new InvalidArgumentError(`expected a bind endpoint such as tcp://*:5555 or tcp://127.0.0.1:0; got ${JSON.stringify(value)}.`);
  return [...(previous ?? []), value];
}

const EXAMPLES = `
Examples:
  $ optkit cluster keygen --out keys --name broker          CURVE key pair (keys/broker.key, keys/broker.key_secret)
  $ optkit cluster broker --bind tcp://*:5555               a broker (add --curve-keys keys --allow allowed/ for CURVE)
  $ optkit cluster worker --connect tcp://host:5555 --threads 2 --plugins @optkit/optim
  $ optkit cluster run bcd --config bcd.json --connect tcp://host:5555
  $ optkit cluster run bcd --config bcd.json --bind tcp://*:5555 --workers 4   host the broker here, wait for 4 workers
  $ optkit cluster status --connect tcp://host:5555
  $ optkit cluster local --workers 2 bcd --config bcd.json  broker + 2 workers on loopback, run, tear down`;

interface RunCommandOptions {
  config: string;
  connect?: string;
  /** Repeatable, as for `cluster broker`. */
  bind?: string[];
  curveKeys?: string;
  allow?: string;
  workers: number;
  waitMs: number;
  heartbeatMs?: number;
  liveness?: number;
  out?: string;
}

export function registerCluster(program: Command): void {
  const cluster = program
    .command('cluster')
    .description('run optkit jobs on many processes and machines: ZeroMQ broker, workers, drivers')
    .addHelpText('after', EXAMPLES);

  cluster
    .command('broker')
    .description('run a Majordomo (MDP 0.1) broker until SIGINT/SIGTERM')
    .option('--bind <endpoint>', 'endpoint to bind (repeatable; default tcp://*:5555)', bindEndpoint)
    .option('--curve-keys <dir>', 'enable CURVE: folder with broker.key_secret (or the .key_secret file)')
    .option('--allow <dir>', 'with --curve-keys: folder of *.key public certificates allowed to connect')
    .option('--heartbeat-ms <ms>', 'heartbeat interval (default 2500; workers must use the same)', positiveInt('--heartbeat-ms'))
    .option('--liveness <n>', 'missed heartbeats before a worker is dropped (default 3)', positiveInt('--liveness'))
    .action((opts: { bind?: string[]; curveKeys?: string; allow?: string; heartbeatMs?: number; liveness?: number }) =>
      setExitCode(brokerCommand({ ...opts, bind: opts.bind ?? ['tcp://*:5555'] })),
    );

  cluster
    .command('worker')
    .description("serve the loaded plugins' jobs to a broker until SIGINT/SIGTERM (reconnects when the broker restarts)")
    .requiredOption('--connect <endpoint>', 'broker endpoint, e.g. tcp://host:5555', connectEndpoint)
    .option('--threads <n>', 'pool threads = tasks at once (default: the number of cores)', positiveInt('--threads'))
    .option('--prefetch <n>', 'tasks held per thread (default 1; 2 hides the broker round trip between tasks)', positiveInt('--prefetch'))
    .option('--plugins <list>', 'plugin packages or module files whose jobs to serve (repeatable or comma-separated; default: every loaded plugin with jobs)', collect)
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend for jobs that use tensors (falls back, and says so, when unavailable)').choices([...BACKENDS]))
    .option('--server-key <file>', "CURVE: the broker's public certificate (broker.key)")
    .option('--keys <file>', "CURVE: this worker's secret certificate (name.key_secret)")
    .option('--heartbeat-ms <ms>', 'heartbeat interval (default 2500; must match the broker)', positiveInt('--heartbeat-ms'))
    .option('--liveness <n>', 'missed heartbeats before the broker counts as gone (default 3)', positiveInt('--liveness'))
    .option('--task-timeout-ms <ms>', 'deadline for tasks whose request names none', positiveInt('--task-timeout-ms'))
    .action(
      (
        opts: { connect: string; threads?: number; prefetch?: number; plugins?: string[]; backend?: WorkerBackend; serverKey?: string; keys?: string; heartbeatMs?: number; liveness?: number; taskTimeoutMs?: number },
        cmd: Command,
      ) => setExitCode(workerCommand(opts, () => pluginsFor(cmd.optsWithGlobals<GlobalOptions>()))),
    );

  cluster
    .command('run')
    .description('run a distributed driver (e.g. bcd, moe) on a cluster, with a live progress line; prints the result as JSON')
    .argument('<driver>', 'driver id (see optkit list)')
    .requiredOption('--config <file>', 'JSON: {"connect"?, "job": {...driver options}, "timeoutMs"?, "retries"?, "concurrency"?, "curve"?: {"serverKeyFile", "secretKeyFile"}, "directPayloads"?: {"bind", "advertise"?, "minBytes"?}}')
    .option('--connect <endpoint>', 'broker endpoint (overrides the config file)', connectEndpoint)
    .option('--bind <endpoint>', 'host the broker in this process on <endpoint> (repeatable) for the workers to connect to, instead of connecting to one (saves the client-broker hop on every task)', bindEndpoint)
    .option('--curve-keys <dir>', 'with --bind: enable CURVE (folder with broker.key_secret)')
    .option('--allow <dir>', 'with --bind and --curve-keys: folder of *.key public certificates of the workers')
    .option('--workers <n>', 'with --bind: worker processes to wait for before starting (default 1)', positiveInt('--workers'), 1)
    .option('--wait-ms <ms>', 'with --bind: how long to wait for them (default 60000)', positiveInt('--wait-ms'), 60_000)
    .option('--heartbeat-ms <ms>', 'with --bind: heartbeat interval (default 2500; workers must use the same)', positiveInt('--heartbeat-ms'))
    .option('--liveness <n>', 'with --bind: missed heartbeats before a worker is dropped (default 3)', positiveInt('--liveness'))
    .option('--out <file>', 'write the result JSON here instead of stdout')
    .action(async (driver: string, opts: RunCommandOptions, cmd: Command) => {
      await setExitCode(
        (async () => {
          const plugins = await pluginsFor(cmd.optsWithGlobals<GlobalOptions>());
          if (!opts.bind?.length) return runWithProgress({ plugins, driver, config: opts.config, ...(opts.connect ? { connect: opts.connect } : {}) }, opts.out);
          if (opts.connect) throw new OptkitError('INVALID_OPTION', 'cluster run: give --connect (a broker elsewhere) or --bind (host one here), not both', 'bind');
          plugins.registry.get('drivers', driver); // an unknown driver fails before anything is bound
          const broker = await startBrokerFromOptions({
            bind: opts.bind,
            ...(opts.curveKeys ? { curveKeys: opts.curveKeys } : {}),
            ...(opts.allow ? { allow: opts.allow } : {}),
            ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}),
            ...(opts.liveness !== undefined ? { liveness: opts.liveness } : {}),
          });
          try {
            err(`optkit run: waiting for ${opts.workers} worker process${opts.workers === 1 ? '' : 'es'} (optkit cluster worker --connect <this host's address>)`);
            await waitFor(() => broker.stats().processes >= opts.workers, opts.waitMs, `cluster run: ${opts.workers} worker process${opts.workers === 1 ? '' : 'es'} connecting`);
            return await runWithProgress({ plugins, driver, config: opts.config, broker }, opts.out);
          } finally {
            await broker.close();
          }
        })(),
      );
    });

  cluster
    .command('status')
    .description("the broker's workers, services, queue depth and re-queued tasks")
    .requiredOption('--connect <endpoint>', 'broker endpoint', connectEndpoint)
    .option('--json', 'print the raw statistics as JSON')
    .option('--timeout-ms <ms>', 'give up after this long without an answer (default 3000)', positiveInt('--timeout-ms'))
    .option('--server-key <file>', "CURVE: the broker's public certificate")
    .option('--keys <file>', 'CURVE: your secret certificate')
    .action((opts: { connect: string; json?: boolean; timeoutMs?: number; serverKey?: string; keys?: string }) =>
      setExitCode(
        (async () => {
          const curve = clientCurveKeys(opts.serverKey, opts.keys);
          return statusCommand({ connect: opts.connect, ...(opts.json ? { json: true } : {}), ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}), ...(curve ? { curve } : {}) });
        })(),
      ),
    );

  cluster
    .command('keygen')
    .description('write a CURVE key pair: <out>/<name>.key (public) and <out>/<name>.key_secret (mode 0600)')
    .option('--out <dir>', 'folder to write to (created if missing)', '.')
    .option('--name <name>', 'certificate name (broker, worker-1, ...)', 'broker')
    .action((opts: { out: string; name: string }) => setExitCode(Promise.resolve(keygenCommand(opts))));

  cluster
    .command('local')
    .description('start a broker and N worker processes on loopback; run a driver on them (then tear down) or serve until SIGINT')
    .argument('[driver]', 'driver to run (with --config); without one the cluster serves until SIGINT')
    .option('--workers <n>', 'worker processes (default 2)', positiveInt('--workers'), 2)
    .option('--threads <n>', 'threads per worker (default 1)', positiveInt('--threads'), 1)
    .option('--prefetch <n>', 'tasks held per worker thread (default 1)', positiveInt('--prefetch'), 1)
    .option('--plugins <list>', 'plugins whose jobs the workers serve (default: every loaded plugin with jobs)', collect)
    .option('--config <file>', 'the driver config (as for optkit cluster run)')
    .option('--out <file>', 'write the result JSON here instead of stdout')
    .action(async (driver: string | undefined, opts: { workers: number; threads: number; prefetch: number; plugins?: string[]; config?: string; out?: string }, cmd: Command) => {
      await setExitCode(
        (async () => {
          const plugins = await pluginsFor(cmd.optsWithGlobals<GlobalOptions>());
          const specifiers = opts.plugins?.length ? opts.plugins : pluginsWithJobs(plugins);
          if (specifiers.length === 0) throw new OptkitError('NOT_FOUND', 'no loaded plugin registers cluster jobs; name one with --plugins', 'plugins');
          if (driver) {
            plugins.registry.get('drivers', driver);
            // Fail before starting processes: every first-party driver needs its job options (bcd: job.problem, moe: job.steps, ...).
            if (!opts.config) throw new OptkitError('INVALID_ARGUMENT', `optkit cluster local ${driver}: --config <file> is required with a driver (the same file as for optkit cluster run)`, 'config');
          }
          err(`optkit local: starting a broker and ${opts.workers} worker process${opts.workers === 1 ? '' : 'es'} (${opts.threads} thread${opts.threads === 1 ? '' : 's'} each)`);
          const local = await startLocalCluster({
            plugins: resolvePluginFiles(specifiers),
            workers: opts.workers,
            threads: opts.threads,
            ...(opts.prefetch > 1 ? { worker: { prefetch: opts.prefetch } } : {}),
          });
          const st = local.broker.stats();
          err(`optkit local: broker at ${local.endpoint}, ${st.processes} worker process${st.processes === 1 ? '' : 'es'} (${st.workers} connections)`);
          try {
            if (driver) return await runWithProgress({ plugins, driver, config: opts.config!, broker: local.broker }, opts.out);
            err('optkit local: serving until SIGINT (optkit cluster run <driver> --connect ' + local.endpoint + ')');
            await untilStopped();
            return 0;
          } finally {
            await local.close();
            err('optkit local: stopped the broker and the workers');
          }
        })(),
      );
    });
}
