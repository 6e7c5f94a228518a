// How the page names a run's checkpoint: by its epoch, or by its step when it was taken within an
// epoch (as often as a checkpoint's cost allows, when the tab is hidden, and where a run was stopped).

export function resumeLabel(epoch: number, step: number | null | undefined, partial: boolean | null | undefined): string {
  return partial && step != null ? `Resume from step ${step} (epoch ${epoch + 1})` : `Resume from epoch ${epoch}`;
}

/**
 * Where an interrupted run stopped, counted as its resume button counts: within epoch `epoch + 1`
 * at a step (a checkpoint taken within an epoch), or after epoch `epoch`.
 */
export function interruptedText(
  epoch: number,
  epochs: number,
  step: number | null | undefined,
  partial: boolean | null | undefined,
): string {
  return partial && step != null
    ? `was interrupted in epoch ${epoch + 1} of ${epochs}, at step ${step}`
    : `was interrupted after epoch ${epoch} of ${epochs}`;
}
