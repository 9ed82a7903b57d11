// The server's command line (bundled, and run by promethium.ts). Flags as Prometheus 3.x; see --help.
import { createLogger } from '../log/logger.js';
import { readBuildInfo } from './build-info.js';
import { FlagError, formatHelp, formatMarkdown, parseFlags } from './flags.js';
import { FlagModeError, SERVER_FLAGS, serverOptions } from './server-flags.js';
import { PromethiumServer, errorText } from './server.js';

const SUMMARY = 'The Promethium monitoring server, a Prometheus-compatible server in TypeScript.';

async function main(argv: string[], onReady: () => void): Promise<number> {
  const build = readBuildInfo();
  let server: PromethiumServer;
  try {
    const flags = parseFlags(SERVER_FLAGS, argv);
    if (flags.help) {
      process.stdout.write(formatHelp('promethium', SUMMARY, SERVER_FLAGS));
      return 0;
    }
    if (flags.values.get('write-documentation') === true) {
      process.stdout.write(formatMarkdown('promethium', SUMMARY, SERVER_FLAGS));
      return 0;
    }
    if (flags.version) {
      process.stdout.write(
        `promethium, version ${build.version} (branch: ${build.branch}, revision: ${build.revision})\n` +
          `  build user:       ${build.buildUser}\n  build date:       ${build.buildDate}\n` +
          `  node version:     ${build.runtimeVersion}\n  platform:         ${process.platform}/${process.arch}\n`,
      );
      return 0;
    }
    const opts = serverOptions(flags);
    const log = createLogger({ level: opts.logLevel, format: opts.logFormat });
    server = new PromethiumServer(opts, flags.asText, build, log);
    try {
      await server.start();
    } catch (err) {
      log.error('Error starting Promethium', { err: errorText(err) });
      await server.shutdown('startup failed').catch(() => undefined);
      return 1;
    }
    process.on('SIGHUP', () => void server.reload().catch(() => undefined));
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => void server.shutdown(signal));
    }
    // after the events already due (a /-/ready poll answers first)
    setImmediate(onReady);
    await server.stopped;
    return 0;
  } catch (err) {
    if (err instanceof FlagModeError) {
      process.stderr.write(`${err.message}\n`);
      return 3;
    }
    if (err instanceof FlagError) {
      process.stderr.write(`promethium: error: ${err.message}, try --help\n`);
      return 1;
    }
    throw err;
  }
}

/** Runs the server (or prints help, the version) and exits; `onReady` once the server is ready. */
export function run(argv: string[], onReady: () => void): void {
  main(argv, onReady).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`promethium: error: ${errorText(err)}\n`);
      process.exit(1);
    },
  );
}
