// The sweep core: a grid of runs (methods × noise rates × seeds) as a queue and a table. Pure data
// and functions (no tfjs, no DOM, no Node), shared by the lab's sweep view and `eac sweep`.
//
// - spec.ts      SweepSpec → expandGrid → SweepCell (stable id "eac-noise0.2-seed1", readable name);
//                cellConfig / cellData: what each cell's run is asked for.
// - state.ts     SweepState (JSON-serialisable, versioned): createSweep, sweepCells, sweepCounts.
// - reducer.ts   reduceSweep(state, event): start, progress, checkpoint, finish, interrupt, fail,
//                skip, cancel, requeue, pause, resume, reorder, reloaded, import; nextCell(state);
//                an event that does not apply returns the same state object.
// - eta.ts       sweepEta(state, parallel): seconds left for the whole sweep.
// - table.ts     sweepTable(state): mean and sample std over seeds of testAccLast5, with the paper's.
// - export.ts    tableCsv / tableMarkdown / tableLatex.
// - sweep-json.ts sweepJsonText / parseSweepJson: the sweep file, read strictly.
// - merge.ts     runFromTrainJson, matchRun, importRun: a run made elsewhere joins the table.
// Errors are SweepError with a one-line message.
export * from './errors.ts';
export * from './spec.ts';
export * from './state.ts';
export * from './reducer.ts';
export * from './eta.ts';
export * from './paper.ts';
export * from './table.ts';
export * from './export.ts';
export * from './sweep-json.ts';
export * from './merge.ts';
