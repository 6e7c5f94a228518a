// The sweep core's one error: a one-line reason (a bad spec, a sweep file that cannot be read, a
// run that does not belong to the sweep), so the lab and the CLI can show it as it is.

export class SweepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SweepError';
  }
}
