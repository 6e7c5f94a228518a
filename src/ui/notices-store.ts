// What the lab tells the user on its own (zustand): a notice about something it did (resumed after
// a lost GPU device, sized the demo, applied a link), and why the last model export failed.
import { create } from 'zustand';

export interface NoticesState {
  /** Something the lab did on its own that the user should know (e.g. resumed after a lost GPU device). */
  notice: string | null;
  setNotice: (notice: string | null) => void;
  /** Why the last model export failed (null: it did not). */
  exportError: string | null;
  setExportError: (message: string | null) => void;
}

export const useNotices = create<NoticesState>()((set) => ({
  notice: null,
  setNotice: (notice) => set({ notice }),
  exportError: null,
  setExportError: (exportError) => set({ exportError }),
}));
