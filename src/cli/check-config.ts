// `promethium-tool check config`: what `promtool check config` does — load each file with the
// server's own loader, then check that the files it references exist and parse.
import fs from 'node:fs';
import { glob, loadConfigFile, movedBearerTokenFile, type Config, type TLSConfig } from '../config/index.js';
import { goQuote } from '../model/goquote.js';
import { parseTargetGroupFile } from '../sd/target-group-file.js';
import { checkRuleFiles, DEFAULT_RULES_LINT, rulesExitCode, type RulesLint } from './check-rules.js';
import { errorText } from './server.js';

export interface CheckOutput {
  out(line: string): void;
  err(line: string): void;
}

/** Go's os.Stat error, as promtool prints it: "stat <path>: no such file or directory". */
function checkFileExists(path: string, what: string): void {
  try {
    fs.statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file or directory' : (err as Error).message;
    throw new Error(`${what}: stat ${path}: ${reason}`, { cause: err });
  }
}

/** promtool's checkTLSConfig: the client certificate and key files exist (pairing is the loader's). */
function checkTLSFiles(tls: TLSConfig, field: string): void {
  if (tls.cert_file !== '')
    checkFileExists(
      tls.cert_file,
      `${field}.cert_file: error checking client cert file ${goQuote(tls.cert_file)}`,
    );
  if (tls.key_file !== '')
    checkFileExists(
      tls.key_file,
      `${field}.key_file: error checking client key file ${goQuote(tls.key_file)}`,
    );
}

/**
 * Checks one config file as promtool's checkConfig does (the same files, and only those: rule files
 * named without a wildcard, each job's authorization credentials or bearer token file, TLS client
 * certificates and keys of jobs and of their Kubernetes discovery, file_sd files); returns the rule
 * files found, throws with the reason it fails. Failures name the field as the user wrote it.
 */
function checkOne(file: string, syntaxOnly: boolean, io: CheckOutput): string[] {
  const cfg: Config = loadConfigFile(file);
  if (syntaxOnly) return [];
  const ruleFiles: string[] = [];
  for (const pattern of cfg.rule_files) {
    const files = glob(pattern);
    if (!pattern.includes('*')) {
      if (files.length === 0) throw new Error(`${goQuote(pattern)} does not point to an existing file`);
      checkFileExists(files[0], `error checking rule file ${goQuote(files[0])}`);
    }
    // promtool counts per pattern, so a file matched twice counts twice
    ruleFiles.push(...files);
  }
  cfg.scrape_configs.forEach((job, i) => {
    const at = `scrape_configs[${i}]`;
    const auth = job.authorization;
    if (auth !== undefined && auth.credentials_file !== '') {
      const field = movedBearerTokenFile(auth) ? 'bearer_token_file' : 'authorization.credentials_file';
      checkFileExists(
        auth.credentials_file,
        `${at}.${field}: error checking authorization credentials or bearer token file ${goQuote(auth.credentials_file)}`,
      );
    }
    checkTLSFiles(job.tls_config, `${at}.tls_config`);
    job.kubernetes_sd_configs.forEach((sd, j) =>
      checkTLSFiles(sd.tls_config, `${at}.kubernetes_sd_configs[${j}].tls_config`),
    );
    for (const sd of job.file_sd_configs) {
      for (const pattern of sd.files) {
        const files = glob(pattern);
        if (files.length === 0) {
          io.out(
            `  WARNING: file ${goQuote(pattern)} for file_sd in scrape job ${goQuote(job.job_name)} does not exist`,
          );
          continue;
        }
        for (const f of files) {
          try {
            parseTargetGroupFile(f, fs.readFileSync(f, 'utf8'));
          } catch (err) {
            throw new Error(`checking SD file ${goQuote(pattern)}: ${errorText(err)}`, { cause: err });
          }
        }
      }
    }
  });
  return ruleFiles;
}

/**
 * Runs the check over every file, and then over the rule files each names (their contents, as check
 * rules does); returns promtool's exit code (0 all good, 1 any failed, 3 lint problems with --lint-fatal).
 */
export function checkConfigFiles(
  files: string[],
  syntaxOnly: boolean,
  io: CheckOutput,
  lint: RulesLint = DEFAULT_RULES_LINT,
): number {
  let failed = false;
  let hasErrors = false;
  for (const file of files) {
    io.out(`Checking ${file}`);
    let ruleFiles: string[] = [];
    try {
      ruleFiles = checkOne(file, syntaxOnly, io);
      if (ruleFiles.length > 0) io.out(`  SUCCESS: ${ruleFiles.length} rule files found`);
      io.out(` SUCCESS: ${file} is valid prometheus config file syntax`);
    } catch (err) {
      io.err(`  FAILED: ${errorText(err)}`);
      failed = true;
      hasErrors = true;
    }
    io.out('');
    if (!syntaxOnly) {
      const r = checkRuleFiles(ruleFiles, lint, io);
      failed ||= r.failed;
      hasErrors ||= r.hasErrors;
    }
  }
  return rulesExitCode({ failed, hasErrors }, lint.fatal);
}
