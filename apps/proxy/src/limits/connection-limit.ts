/** The proxy-wide bound on open connections (telnet, TLS and HTTP together). */
export class ConnectionLimit {
  readonly max: number;
  open = 0;
  accepted = 0;
  refused = 0;

  constructor(max: number) {
    this.max = max;
  }

  /** True and counted when there is room; false (counted as refused) otherwise. */
  tryAcquire(): boolean {
    if (this.open >= this.max) {
      this.refused++;
      return false;
    }
    this.open++;
    this.accepted++;
    return true;
  }

  release(): void {
    this.open--;
  }
}
