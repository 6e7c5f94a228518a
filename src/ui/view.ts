// Which of the lab's views the page shows, kept in the URL's hash (#compare, #classroom) so a link
// or a reload opens the same view. The default (no hash) is the lab itself.
import { useEffect, useState } from 'react';

export type View = 'lab' | 'compare' | 'classroom';
export const VIEWS: readonly { id: View; label: string }[] = [
  { id: 'lab', label: 'Lab' },
  { id: 'compare', label: 'Compare runs' },
  { id: 'classroom', label: 'Classroom' },
];

function viewOfHash(hash: string): View {
  const h = hash.replace(/^#/, '').split('?')[0];
  return h === 'compare' || h === 'classroom' ? h : 'lab';
}

/** The current view, following hash changes (back/forward, links). */
export function useView(): [View, (v: View) => void] {
  const [view, setView] = useState<View>(() => viewOfHash(location.hash));
  useEffect(() => {
    const onHash = () => setView(viewOfHash(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const go = (v: View) => {
    location.hash = v === 'lab' ? '' : v;
    setView(v);
  };
  return [view, go];
}
