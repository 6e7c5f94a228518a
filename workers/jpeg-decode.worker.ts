// A JPEG decoder worker of the ingest worker's pool (src/worker/decode-pool.ts): decodes each JPEG
// it is sent with libjpeg-turbo (src/data/jpeg.ts, the same bytes as in the ingest worker or in
// Node) and sends the RGB pixels back. Talks only through src/worker/jpeg-decode-protocol.ts.
import { decodeJpeg, initJpegDecoder, JpegError } from '../src/data/jpeg.ts';
import type { FromDecodeWorker, ToDecodeWorker } from '../src/worker/jpeg-decode-protocol.ts';

interface WorkerScope {
  postMessage(message: FromDecodeWorker, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent<ToDecodeWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

let ready: Promise<void> | null = null;

scope.onmessage = (ev) => {
  const msg = ev.data;
  if (msg.type === 'init') {
    ready = initJpegDecoder(msg.module);
    return;
  }
  // Jobs that arrive while the decoder instantiates wait for it (messages keep their order).
  void (ready ?? Promise.reject(new Error('the JPEG decoder worker was not given the decoder'))).then(
    () => {
      try {
        const img = decodeJpeg(msg.bytes);
        scope.postMessage({ type: 'decoded', id: msg.id, width: img.width, height: img.height, rgb: img.rgb }, [img.rgb.buffer]);
      } catch (e) {
        const jpeg = e instanceof JpegError;
        scope.postMessage({ type: 'failed', id: msg.id, jpeg, reason: jpeg ? e.reason : e instanceof Error ? e.message : String(e) });
      }
    },
    (e: unknown) => scope.postMessage({ type: 'failed', id: msg.id, jpeg: false, reason: e instanceof Error ? e.message : String(e) }),
  );
};
