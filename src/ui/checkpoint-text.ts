// How the page names a run's checkpoint: by its epoch, or by its step when it was taken within an
// epoch (every couple of minutes, and where a run was stopped).

export function resumeLabel(epoch: number, step: number | null | undefined, partial: boolean | null | undefined): string {
  return partial && step != null ? `Resume from step ${step} (epoch ${epoch + 1})` : `Resume from epoch ${epoch}`;
}
