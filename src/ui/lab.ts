// The composition root of the page: createLab makes every controller once, wires the ones that
// use each other, and hands them to the components (LabProvider in lab-context.tsx). No module of
// src/ui starts anything when imported: workers start on first use, subscriptions and channels
// when their controller is made here. main.tsx calls createLab once; a component test may call it
// too (nothing starts until a method is called) or pass its own.
import { createRunController, type RunController } from './runner.ts';
import { createDataController, type DataController } from './data-client.ts';
import { createWeightsController, type WeightsController } from './weights-client.ts';
import { createInspectController, type InspectController } from './classroom/inspect-client.ts';
import { createClassroomController, type ClassroomController } from './classroom/classroom-controller.ts';
import { createEmbeddingController, type EmbeddingController } from './classroom/embedding-controller.ts';
import { createSweepController, type SweepController } from './sweep/sweep-controller.ts';
import type { RenderClock } from './render-clock.ts';
import { createUrlSync, type UrlSync } from './url-sync.ts';
import { createCompareController, type CompareController } from './compare/compare-controller.ts';

export interface Lab {
  /** The training worker: train, pause, stop, resume, export; its messages into the lab store. */
  run: RunController;
  /** The page's render clock (the run controller's): charts follow its beat. */
  renderClock: RenderClock;
  /** The ingest worker and the dataset cache. */
  data: DataController;
  /** The weights import worker and the weights cache. */
  weights: WeightsController;
  /** The comparison view's runs: reads, follows, renames, deletes and imports them. */
  compare: CompareController;
  /** The inspect worker (the classroom's models). */
  inspect: InspectController;
  classroom: ClassroomController;
  embedding: EmbeddingController;
  /** Sweeps: the user's actions and the driving loop that trains their cells through `run`. */
  sweep: SweepController;
  /** The page's URL and the lab's settings in step (install() once, before the first render). */
  url: UrlSync;
  /** Ends subscriptions, channels and workers (tests). */
  dispose(): void;
}

export function createLab(): Lab {
  const run = createRunController();
  const data = createDataController();
  const weights = createWeightsController();
  const inspect = createInspectController();
  const classroom = createClassroomController(inspect);
  const embedding = createEmbeddingController(inspect);
  const sweep = createSweepController(run);
  return {
    run,
    renderClock: run.renderClock,
    data,
    weights,
    compare: createCompareController(),
    inspect,
    classroom,
    embedding,
    sweep,
    url: createUrlSync(weights),
    dispose() {
      sweep.dispose();
      embedding.cancel();
      inspect.dispose();
      weights.dispose();
      data.dispose();
      run.dispose();
    },
  };
}
