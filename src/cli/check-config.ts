// `promethium-tool check config`: what `promtool check config` does — load each file with the
// server's own loader, then check that the files it references exist and parse.
import fs from 'node:fs';
import { glob, loadConfigFile, referencedFiles, type Config } from '../config/index.js';
import { parseTargetGroupFile } from '../sd/target-group-file.js';
import { errorText } from './server.js';

export interface CheckOutput {
  out(line: string): void;
  err(line: string): void;
}

function checkFileExists(path: string): void {
  try {
    fs.statSync(path);
  } catch (err) {
    // Go's wording, as promtool prints it: "stat <path>: no such file or directory".
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      `stat ${path}: ${code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`,
      { cause: err },
    );
  }
}

/** Checks one config file; returns the rule files it references, throws with the reason it fails. */
function checkOne(file: string, syntaxOnly: boolean, io: CheckOutput): string[] {
  const cfg: Config = loadConfigFile(file);
  if (syntaxOnly) return [];
  const refs = referencedFiles(cfg);
  for (const ref of refs) {
    switch (ref.kind) {
      case 'rule_file':
      case 'scrape_config_file':
        break; // expanded below / already read by the loader
      case 'credentials':
        try {
          checkFileExists(ref.path);
        } catch (err) {
          throw new Error(`${ref.field}: error checking credentials file "${ref.path}": ${errorText(err)}`, {
            cause: err,
          });
        }
        break;
      case 'tls': {
        // cert/key pairing is validated by the loader, as Prometheus's TLSConfig.Validate does
        try {
          checkFileExists(ref.path);
        } catch (err) {
          throw new Error(`${ref.field}: error checking TLS file "${ref.path}": ${errorText(err)}`, {
            cause: err,
          });
        }
        break;
      }
      case 'file_sd': {
        const files = glob(ref.path);
        if (files.length === 0) {
          io.out(`  WARNING: file "${ref.path}" for file_sd (${ref.field}) does not exist`);
          break;
        }
        for (const f of files) {
          try {
            parseTargetGroupFile(f, fs.readFileSync(f, 'utf8'));
          } catch (err) {
            throw new Error(`checking SD file "${ref.path}": ${errorText(err)}`, { cause: err });
          }
        }
        break;
      }
    }
  }
  // As promtool: a rule file named without a wildcard must exist; a pattern may match nothing.
  for (const ref of refs.filter((r) => r.kind === 'rule_file' && !/[*?[]/.test(r.path))) {
    try {
      checkFileExists(ref.path);
    } catch {
      throw new Error(`"${ref.path}" does not point to an existing file`);
    }
  }
  // promtool counts per pattern, so a file matched twice counts twice.
  return refs.filter((r) => r.kind === 'rule_file').flatMap((r) => glob(r.path));
}

/** Runs the check over every file; returns the exit code (0 all good, 1 any failed). */
export function checkConfigFiles(files: string[], syntaxOnly: boolean, io: CheckOutput): number {
  let failed = false;
  for (const file of files) {
    io.out(`Checking ${file}`);
    try {
      const ruleFiles = checkOne(file, syntaxOnly, io);
      if (ruleFiles.length > 0) io.out(`  SUCCESS: ${ruleFiles.length} rule files found`);
      io.out(` SUCCESS: ${file} is valid prometheus config file syntax`);
      for (const rf of ruleFiles) {
        io.out('');
        io.out(`Checking ${rf}`);
        io.out('  WARNING: rule file contents are not checked yet (rule evaluation is not supported yet)');
      }
    } catch (err) {
      io.err(`  FAILED: ${errorText(err)}`);
      failed = true;
    }
    io.out('');
  }
  return failed ? 1 : 0;
}
