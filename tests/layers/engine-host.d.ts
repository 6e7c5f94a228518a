// The host API the engine may use: what both a browser worker and Node provide, and nothing of the
// DOM. `tsconfig.engine.json` type-checks src/engine against this file alone (no DOM, no Node
// types), so an engine file that reaches for `document`, `window`, `fetch` or `process` fails the
// type check. Add a name here only if every place the engine runs has it.
declare const performance: { now(): number };
declare function setTimeout(callback: () => void, ms?: number): unknown;
declare const console: { log(...args: unknown[]): void; warn(...args: unknown[]): void; error(...args: unknown[]): void };
interface AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  throwIfAborted(): void;
}
