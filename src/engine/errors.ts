// Errors the engine throws on purpose, typed so that callers (the training worker, the CLI) sort
// them by class, never by their wording: a bad configuration or resume, unusable data, and a loss
// that stopped being finite, a step too large for the device.

type TrainErrorKind = 'config' | 'data' | 'nan' | 'out-of-memory';

export class TrainError extends Error {
  constructor(
    readonly kind: TrainErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'TrainError';
  }
}

/** A step that cannot fit the device, refused before the run starts; `fitBatch` is the largest batch that fits (null: none). */
export class StepTooLargeError extends TrainError {
  constructor(
    message: string,
    readonly fitBatch: number | null,
  ) {
    super('out-of-memory', message);
    this.name = 'StepTooLargeError';
  }
}
