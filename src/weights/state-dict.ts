// Where the tensors sit in an unpickled weight file: the top-level dict, or a `state_dict`-like
// entry of it (shared by the pickle and torch.save readers).
import { NdArray, PyDict, PyTuple, TensorRef, type PyValue } from './pickle.ts';
import { quote, WeightFileError } from './tensor.ts';

const WRAPPER_KEYS = ['state_dict', 'model_state_dict', 'model', 'net', 'network', 'weights', 'params'];

/** The dict that holds the tensors: the top level, or a `state_dict`-like entry of it. */
export function findStateDict(value: PyValue): { dict: PyDict; path: string } {
  if (!(value instanceof PyDict))
    throw new WeightFileError(
      `the file holds ${value instanceof PyTuple || Array.isArray(value) ? 'a sequence' : 'a non-dict value'}, not a dict of tensors`,
    );
  const isTensor = (v: PyValue) => v instanceof NdArray || v instanceof TensorRef;
  let best: { dict: PyDict; path: string } = { dict: value, path: '' };
  if (![...value.map.values()].some(isTensor)) {
    for (const k of WRAPPER_KEYS) {
      const inner = value.map.get(k);
      if (inner instanceof PyDict && [...inner.map.values()].some(isTensor)) return { dict: inner, path: k };
    }
    for (const [k, inner] of value.map)
      if (inner instanceof PyDict && [...inner.map.values()].some(isTensor)) {
        best = { dict: inner, path: String(k) };
        break;
      }
  }
  if (![...best.dict.map.values()].some(isTensor))
    throw new WeightFileError(
      `no tensors found (top-level keys: ${
        [...value.map.keys()]
          .slice(0, 8)
          .map((k) => quote(String(k), 40))
          .join(', ') || 'none'
      })`,
    );
  return best;
}
