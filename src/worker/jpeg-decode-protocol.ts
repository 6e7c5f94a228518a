// The messages between the ingest worker and its JPEG decoder workers
// (workers/jpeg-decode.worker.ts): the compiled decoder once, then one JPEG's bytes per `decode`
// (its ArrayBuffer transferred), answered by its RGB pixels (transferred back) or the reason it is
// skipped.

// ingest worker → decoder

interface DecodeInitMessage {
  type: 'init';
  /** The compiled mozjpeg_dec.wasm, compiled once by the ingest worker. */
  module: WebAssembly.Module;
}

interface DecodeJobMessage {
  type: 'decode';
  id: number;
  bytes: Uint8Array;
}

export type ToDecodeWorker = DecodeInitMessage | DecodeJobMessage;

// decoder → ingest worker

interface DecodedMessage {
  type: 'decoded';
  id: number;
  width: number;
  height: number;
  rgb: Uint8Array;
}

interface DecodeFailedMessage {
  type: 'failed';
  id: number;
  /** JpegError's reason (the file is skipped with it), or another error's message. */
  reason: string;
  jpeg: boolean;
}

export type FromDecodeWorker = DecodedMessage | DecodeFailedMessage;
