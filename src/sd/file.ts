// file_sd_configs (Prometheus's discovery/file): the files matching the configured globs are read as
// JSON or YAML target-group lists; directories are watched (fs.watch) and everything is re-read on any
// change and every refresh_interval. A file that fails to read keeps its last good groups; a file that
// disappears, or shrinks to fewer groups, has the missing groups removed.
import fs from 'node:fs';
import path from 'node:path';
import { glob } from '../config/glob.js';
import type { FileSDConfig } from '../config/types.js';
import type { TargetGroup } from '../model/target-group.js';
import type { Discoverer, DiscovererOptions } from './discoverer.js';
import type { SDMechanismMetrics } from './metrics.js';
import { parseTargetGroups } from './target-group-file.js';

export const FILE_SD_FILEPATH_LABEL = '__meta_filepath';

/**
 * How often files are re-read while a directory cannot be watched (it does not exist yet, or the
 * platform has no watcher), when refresh_interval is longer. Prometheus waits for refresh_interval.
 */
export const FALLBACK_POLL_MS = 5_000;

export interface FileDiscovererOptions extends DiscovererOptions {
  metrics: SDMechanismMetrics;
  /** Overrides FALLBACK_POLL_MS (tests). */
  fallbackPollMs?: number;
}

export class FileDiscoverer implements Discoverer {
  /** Files found by the last refresh and how many groups each had, to remove vanished groups. */
  private lastRefresh = new Map<string, number>();
  private readonly watchers = new Map<string, fs.FSWatcher>();
  /** Directories whose watch failed, logged once until a watch succeeds again. */
  private readonly unwatchable = new Set<string>();
  private readonly dirs: string[];

  constructor(
    private readonly cfg: FileSDConfig,
    private readonly opts: FileDiscovererOptions,
  ) {
    this.dirs = [...new Set(cfg.files.map((p) => path.dirname(p)))];
  }

  async run(
    signal: AbortSignal,
    update: (groups: TargetGroup[]) => void,
    failed: (err: Error) => void,
  ): Promise<void> {
    let pending = true;
    let wake: (() => void) | undefined;
    const trigger = (): void => {
      pending = true;
      wake?.();
    };
    try {
      while (!signal.aborted) {
        if (pending) {
          pending = false;
          await this.refresh(signal, update, failed, trigger);
          continue;
        }
        const watchingAll = this.watchers.size === this.dirs.length;
        const interval = watchingAll
          ? this.cfg.refresh_interval
          : Math.min(this.cfg.refresh_interval, this.opts.fallbackPollMs ?? FALLBACK_POLL_MS);
        await new Promise<void>((resolve) => {
          const finish = (): void => {
            clearTimeout(timer);
            signal.removeEventListener('abort', finish);
            wake = undefined;
            resolve();
          };
          const timer = setTimeout(() => {
            pending = true;
            finish();
          }, interval);
          wake = finish;
          signal.addEventListener('abort', finish, { once: true });
        });
      }
    } finally {
      for (const w of this.watchers.values()) w.close();
      this.watchers.clear();
      for (const file of this.lastRefresh.keys()) this.opts.metrics.fileMtime.remove({ filename: file });
      this.opts.logger.debug('Stopping file discovery...', { paths: this.cfg.files.join(',') });
    }
  }

  private listFiles(): string[] {
    const files: string[] = [];
    for (const pattern of this.cfg.files) {
      try {
        files.push(...glob(pattern));
      } catch (err) {
        this.opts.logger.error('Error expanding glob', { glob: pattern, err: (err as Error).message });
      }
    }
    return [...new Set(files)];
  }

  private async refresh(
    signal: AbortSignal,
    update: (groups: TargetGroup[]) => void,
    failed: (err: Error) => void,
    trigger: () => void,
  ): Promise<void> {
    const { metrics, logger } = this.opts;
    const endScan = metrics.fileScanDuration.startTimer();
    const found = new Map<string, number>();
    const groups: TargetGroup[] = [];
    const errors: Error[] = [];
    for (const file of this.listFiles()) {
      try {
        const read = await readTargetGroupFile(file);
        if (signal.aborted) return;
        groups.push(...read.groups);
        found.set(file, read.groups.length);
        metrics.fileMtime.set({ filename: file }, read.mtimeSeconds);
      } catch (err) {
        if (signal.aborted) return;
        metrics.fileReadErrors.inc();
        const e = err instanceof Error ? err : new Error(String(err));
        logger.error('Error reading file', { path: file, err: e.message });
        errors.push(new Error(`error reading file ${file}: ${e.message}`));
        // keeps the file's groups: nothing is sent for it and nothing is removed below
        found.set(file, this.lastRefresh.get(file) ?? 0);
      }
    }
    // empty groups for sources that disappeared (a deleted file, or a file with fewer groups)
    for (const [file, had] of this.lastRefresh) {
      const now = found.get(file);
      if (now === undefined) metrics.fileMtime.remove({ filename: file });
      if (now === undefined || had > now) {
        logger.debug('file_sd refresh found file that should be removed', { file });
        for (let i = now ?? 0; i < had; i++)
          groups.push({ source: fileSource(file, i), targets: [], labels: {} });
      }
    }
    this.lastRefresh = found;
    endScan();
    update(groups);
    // after the update, so the manager sees the provider as failing until a clean refresh
    for (const e of errors) failed(e);
    this.watchDirectories(trigger);
  }

  /** Watches every configured directory (re-tried on each refresh, like Prometheus's watchFiles). */
  private watchDirectories(trigger: () => void): void {
    for (const dir of this.dirs) {
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = fs.watch(dir, { persistent: false }, () => trigger());
        watcher.on('error', (err) => {
          this.opts.metrics.fileWatcherErrors.inc();
          this.opts.logger.error('Error watching file', { path: dir, err: err.message });
          watcher.close();
          if (this.watchers.get(dir) === watcher) this.watchers.delete(dir);
          trigger();
        });
        this.watchers.set(dir, watcher);
        this.unwatchable.delete(dir);
      } catch (err) {
        if (!this.unwatchable.has(dir)) {
          this.unwatchable.add(dir);
          this.opts.logger.error('Error adding file watch', { path: dir, err: (err as Error).message });
        }
      }
    }
  }
}

/** Source of the i-th group of a file, as Prometheus names it. */
export function fileSource(file: string, i: number): string {
  return `${file}:${i}`;
}

async function readTargetGroupFile(file: string): Promise<{ groups: TargetGroup[]; mtimeSeconds: number }> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const text = await handle.readFile('utf8');
    const info = await handle.stat();
    // Prometheus picks the format by the extension, case-insensitively
    const format = path.extname(file).toLowerCase() === '.json' ? 'json' : 'yaml';
    const groups = parseTargetGroups(format, text).map((spec, i): TargetGroup => ({
      source: fileSource(file, i),
      targets: spec.targets.map((address) => ({ __address__: address })),
      labels: { ...spec.labels, [FILE_SD_FILEPATH_LABEL]: file },
    }));
    return { groups, mtimeSeconds: Math.floor(info.mtimeMs / 1000) };
  } finally {
    await handle.close();
  }
}
