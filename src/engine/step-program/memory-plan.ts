// Buffers for every tensor of a step, assigned once from the tensors' lifetimes. A lifetime is an
// inclusive range of dispatch indices: from the dispatch that writes the tensor (or −1: written
// before the step's pass, as inputs are) to its last reader (or `end`: read after the pass, as the
// step's outputs are). Two tensors share a buffer only if their lifetimes are disjoint; a tensor
// that is read and written by the same dispatch is live at both, so WebGPU never sees one buffer
// bound read-only and writable in one dispatch.
//
// Pinned groups (a parameter before and after the update, Adam's moments, the running statistics)
// get a buffer of their own, of exactly their size: it holds the state between steps, and the
// model's variables view it in place. Everything else is placed greedily by size (largest first,
// each into the smallest free buffer it fits, else a new one): TFLite's "greedy by size" for shared
// objects.

export interface PlannedValue {
  id: number;
  bytes: number;
  start: number;
  end: number;
  /** Values with the same pin share one buffer of their own (sized to the largest of them). */
  pin?: string;
  /** Never shares its buffer with another value (constants written once at plan time). */
  exclusive?: boolean;
}

export interface Slot {
  bytes: number;
  /** Value ids placed in this buffer. */
  values: number[];
  pinned: boolean;
}

export interface MemoryPlan {
  slots: Slot[];
  /** Value id → index in `slots`. */
  slotOf: Map<number, number>;
  /** Σ slot sizes: what the planned step holds on the device. */
  totalBytes: number;
  /** The largest Σ of the bytes of the values live at one dispatch (a lower bound for any plan). */
  liveBytes: number;
}

const overlaps = (a: PlannedValue, b: PlannedValue) => a.start <= b.end && b.start <= a.end;

export function planMemory(values: PlannedValue[]): MemoryPlan {
  const slots: Slot[] = [];
  const slotOf = new Map<number, number>();
  const placed: PlannedValue[][] = [];
  const open = (bytes: number, pinned: boolean): number => {
    slots.push({ bytes, values: [], pinned });
    placed.push([]);
    return slots.length - 1;
  };
  const put = (v: PlannedValue, s: number) => {
    slots[s].values.push(v.id);
    placed[s].push(v);
    slotOf.set(v.id, s);
  };
  const pins = new Map<string, PlannedValue[]>();
  const free: PlannedValue[] = [];
  for (const v of values) {
    if (v.pin === undefined) free.push(v);
    else pins.set(v.pin, [...(pins.get(v.pin) ?? []), v]);
  }
  for (const group of pins.values()) {
    const s = open(Math.max(...group.map((v) => v.bytes)), true);
    for (const v of group) put(v, s);
  }
  free.sort((a, b) => b.bytes - a.bytes || a.start - b.start || a.id - b.id);
  const exclusiveSlots = new Set<number>();
  for (const v of free) {
    let best = -1;
    if (!v.exclusive) {
      for (let s = 0; s < slots.length; s++) {
        if (slots[s].pinned || exclusiveSlots.has(s) || slots[s].bytes < v.bytes) continue;
        if (best >= 0 && slots[s].bytes >= slots[best].bytes) continue;
        if (placed[s].some((o) => overlaps(o, v))) continue;
        best = s;
      }
    }
    if (best < 0) {
      best = open(v.bytes, false);
      if (v.exclusive) exclusiveSlots.add(best);
    }
    put(v, best);
  }
  return { slots, slotOf, totalBytes: slots.reduce((a, s) => a + s.bytes, 0), liveBytes: peakLiveBytes(values) };
}

/** The largest Σ bytes of the values live at one point (−1 … end). */
export function peakLiveBytes(values: PlannedValue[]): number {
  const events: [number, number][] = [];
  for (const v of values) events.push([v.start, v.bytes], [v.end + 0.5, -v.bytes]);
  events.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let live = 0;
  let peak = 0;
  for (const [, d] of events) {
    live += d;
    peak = Math.max(peak, live);
  }
  return peak;
}

/**
 * The first two values the plan puts in one buffer while both are live, or a value larger than
 * its buffer; null when the plan is sound.
 */
export function planConflict(plan: MemoryPlan, values: PlannedValue[]): string | null {
  const byId = new Map(values.map((v) => [v.id, v]));
  for (const v of values) if (!plan.slotOf.has(v.id)) return `value ${v.id} has no buffer`;
  for (let s = 0; s < plan.slots.length; s++) {
    const vs = plan.slots[s].values.map((id) => byId.get(id)!).sort((a, b) => a.start - b.start);
    for (let i = 0; i < vs.length; i++) {
      if (vs[i].bytes > plan.slots[s].bytes)
        return `value ${vs[i].id} (${vs[i].bytes} bytes) does not fit buffer ${s} (${plan.slots[s].bytes})`;
      // Sorted by start: if the next value starts after vs[i] ends, so do all later ones.
      const [a, b] = [vs[i], vs[i + 1]];
      if (!b || b.start > a.end) continue;
      if (a.pin !== undefined && a.pin === b.pin)
        return `values ${a.id} and ${b.id} of pinned state ${a.pin} are live at once (dispatches ${b.start}…${Math.min(a.end, b.end)})`;
      return `values ${a.id} [${a.start}, ${a.end}] and ${b.id} [${b.start}, ${b.end}] share buffer ${s}`;
    }
  }
  return null;
}
