// How components reach the lab's controllers (src/ui/lab.ts): one React context, filled once at
// the root. Importing this file starts nothing and loads no controller (it knows their types only).
import { createContext, useContext, type ReactNode } from 'react';
import type { Lab } from './lab.ts';

const LabContext = createContext<Lab | null>(null);

export function LabProvider({ lab, children }: { lab: Lab; children: ReactNode }) {
  return <LabContext value={lab}>{children}</LabContext>;
}

/** The lab's controllers; throws outside a LabProvider (a component rendered without its lab). */
export function useControllers(): Lab {
  const lab = useContext(LabContext);
  if (!lab) throw new Error('useControllers: render the component inside <LabProvider lab={createLab()}>');
  return lab;
}
