// "Copy link" and a QR code of the lab's current settings (data, weights, every run setting that
// differs from the defaults), for sending to someone or putting on a classroom screen.
import { useMemo, useState } from 'react';
import qrcode from 'qrcode-generator';
import { useSettings } from '../settings-store.ts';
import { useData } from '../data-store.ts';
import { useWeights } from '../weights-store.ts';
import { useControllers } from '../lab-context.tsx';
import { urlWithState } from '../url-state.ts';

/** The lab (no view hash) with the current settings. */
function useSettingsLink(): string {
  const { currentUrlState } = useControllers().url;
  const draft = useSettings((s) => s.draft);
  const data = useData((s) => s.selected);
  const weights = useWeights((s) => s.selected);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the stores' values are the inputs of currentUrlState()
  return useMemo(() => {
    const url = new URL(location.href);
    url.hash = '';
    return urlWithState(url.toString(), currentUrlState());
    // The stores' values are the inputs of currentUrlState().
  }, [draft, data, weights]);
}

/** A GIF data URL of the link's QR code (medium error correction), or null if it is too long for one. */
function qrDataUrl(text: string, cell = 4): string | null {
  try {
    const qr = qrcode(0, 'M');
    qr.addData(text, 'Byte');
    qr.make();
    return qr.createDataURL(cell, 2 * cell);
  } catch {
    return null;
  }
}

export function ShareLink() {
  const link = useSettingsLink();
  const [showQr, setShowQr] = useState(false);
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const qr = useMemo(() => (showQr ? qrDataUrl(link) : null), [showQr, link]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };
  return (
    <div className="share-link" data-testid="share-link">
      <div className="share-row">
        <input
          readOnly
          value={link}
          aria-label="Link to the lab with these settings"
          data-testid="settings-link"
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" onClick={() => void copy()} data-testid="copy-link">
          Copy link
        </button>
        <button type="button" onClick={() => setShowQr(!showQr)} aria-pressed={showQr} data-testid="show-qr">
          {showQr ? 'Hide QR code' : 'QR code'}
        </button>
      </div>
      {copied === 'yes' ? (
        <p className="muted">Copied.</p>
      ) : copied === 'failed' ? (
        <p className="muted">The browser refused the clipboard: select the link and copy it.</p>
      ) : null}
      {showQr ? (
        qr ? (
          <img className="share-qr" src={qr} alt="QR code of the link to the lab with these settings" data-testid="settings-qr" />
        ) : (
          <p className="error">The link is too long for a QR code.</p>
        )
      ) : null}
    </div>
  );
}
