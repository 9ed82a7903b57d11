// Files the HTTP client reads per request (passwords, tokens, header values), with Go's error wording
// so messages read like Prometheus's ("unable to read file /x: open /x: no such file or directory").
import fs from 'node:fs/promises';

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
};

/** A Node file-system error as Go's *PathError prints it. */
export function fileError(path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (code === 'EISDIR') return `read ${path}: is a directory`;
  const text = ERRNO_TEXT[code];
  return text !== undefined ? `open ${path}: ${text}` : `open ${path}: ${(err as Error).message}`;
}

/** A file's content with surrounding whitespace trimmed; rejects with Go's *PathError text. */
export async function readTrimmed(path: string): Promise<string> {
  try {
    return (await fs.readFile(path, 'utf8')).trim();
  } catch (err) {
    throw new Error(fileError(path, err));
  }
}

/** prometheus/common's FileSecret.Fetch, with its error wording. */
export async function readSecretFile(path: string): Promise<string> {
  try {
    return await readTrimmed(path);
  } catch (err) {
    throw new Error(`unable to read file ${path}: ${(err as Error).message}`);
  }
}
