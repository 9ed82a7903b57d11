// Target-group files as file_sd_configs reads them: a JSON or YAML list of {targets, labels}.
// Strict like Prometheus: unknown fields, bad label names and wrong types are errors.
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface TargetGroupSpec {
  targets: string[];
  labels: Record<string, string>;
}

export class TargetGroupFileError extends Error {}

const FILE_EXTENSIONS = new Set(['.json', '.yml', '.yaml']);

/** Parses the content of a file_sd file; `file` decides the format by its extension. */
export function parseTargetGroupFile(file: string, text: string): TargetGroupSpec[] {
  const ext = path.extname(file);
  if (!FILE_EXTENSIONS.has(ext)) throw new TargetGroupFileError(`invalid file extension: "${ext}"`);
  return parseTargetGroups(ext === '.json' ? 'json' : 'yaml', text);
}

/** Parses a JSON or YAML list of target groups (file_sd files, http_sd responses). */
export function parseTargetGroups(format: 'json' | 'yaml', text: string): TargetGroupSpec[] {
  let doc: unknown;
  try {
    doc = format === 'json' ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    throw new TargetGroupFileError((err as Error).message);
  }
  if (doc === null || doc === undefined) return [];
  if (!Array.isArray(doc)) throw new TargetGroupFileError('expected a list of target groups');
  return doc.map((group: unknown, i) => {
    if (group === null || typeof group !== 'object' || Array.isArray(group)) {
      throw new TargetGroupFileError(`target group ${i}: expected an object with "targets" and "labels"`);
    }
    const g = group as Record<string, unknown>;
    for (const key of Object.keys(g)) {
      if (key !== 'targets' && key !== 'labels')
        throw new TargetGroupFileError(`target group ${i}: unknown field "${key}"`);
    }
    const targets = g.targets ?? [];
    if (!Array.isArray(targets) || targets.some((t) => typeof t !== 'string')) {
      throw new TargetGroupFileError(`target group ${i}: "targets" must be a list of strings`);
    }
    const labels: Record<string, string> = {};
    if (g.labels !== undefined && g.labels !== null) {
      if (typeof g.labels !== 'object' || Array.isArray(g.labels)) {
        throw new TargetGroupFileError(`target group ${i}: "labels" must be a map`);
      }
      for (const [name, value] of Object.entries(g.labels as Record<string, unknown>)) {
        if (name === '' || !isValidUtf8LabelName(name))
          throw new TargetGroupFileError(`target group ${i}: "${name}" is not a valid label name`);
        if (typeof value !== 'string')
          throw new TargetGroupFileError(`target group ${i}: label "${name}" must be a string`);
        labels[name] = value;
      }
    }
    return { targets: targets as string[], labels };
  });
}

// Prometheus 3 validates label names under the UTF-8 scheme: any non-empty valid UTF-8 string.
function isValidUtf8LabelName(name: string): boolean {
  return name.isWellFormed();
}
