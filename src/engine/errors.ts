// Errors the engine throws on purpose, typed so that callers (the training worker, the CLI) sort
// them by class, never by their wording: a bad configuration or resume, unusable data, and a loss
// that stopped being finite.

export type TrainErrorKind = 'config' | 'data' | 'nan';

export class TrainError extends Error {
  constructor(
    readonly kind: TrainErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'TrainError';
  }
}
