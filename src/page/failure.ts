// A worker's failure, raced against each call to it. Promise.race([call, failure]) would hang
// a reaction on the long-lived failure promise at every call, kept until the worker fails (so
// a handle serving a million requests would hold a million): here each call's rejecter is
// held only while the call is pending.

/** The failure of one worker: fail() rejects every pending race and every later one. */
export class Failure {
  private error: Error | null = null;
  private readonly rejecters = new Set<(e: Error) => void>();

  /** How many races are pending (each held only until it settles). */
  get pending(): number { return this.rejecters.size; }

  /** Reject what is pending and whatever races later with e (the first failure wins). */
  fail(e: Error): void {
    if (this.error) return;
    this.error = e;
    for (const reject of this.rejecters) reject(e);
    this.rejecters.clear();
  }

  /** p, or the failure if it comes first. */
  race<T>(p: Promise<T>): Promise<T> {
    if (this.error) {
      p.catch(() => {});
      return Promise.reject(this.error);
    }
    return new Promise<T>((resolve, reject) => {
      this.rejecters.add(reject);
      p.then(
        (v) => { this.rejecters.delete(reject); resolve(v); },
        (e: unknown) => { this.rejecters.delete(reject); reject(e); },
      );
    });
  }
}
