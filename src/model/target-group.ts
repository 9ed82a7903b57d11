// A target group as service discovery hands it to scraping (Prometheus's targetgroup.Group).

export interface TargetGroup {
  /**
   * Identifies the group within its provider (a file and index, a Kubernetes object, a DNS name...).
   * A later group with the same source replaces it; one with no targets removes it.
   */
  source: string;
  /** Per-target labels; each has at least __address__. */
  targets: ReadonlyArray<Readonly<Record<string, string>>>;
  /** Labels common to every target of the group. */
  labels: Readonly<Record<string, string>>;
}
