import type { Detection } from "@gatehouse/shared";
import { sameDetection } from "./watch.ts";

/**
 * Denials inside embedded apps: a Google Doc in a Notion page, a Looker tile
 * in Confluence. The content script runs in every frame; a frame that finds
 * a denial reports it (through the background, so a page cannot forge one)
 * and the top frame shows the one panel. Pure: what to show, from the top
 * frame's own verdict and its frames' reports.
 */
export interface FrameBoard {
  /** The top frame's own verdict. */
  setOwn(detection: Detection | null): void;
  /** A frame's verdict (null: it no longer shows a denial, or it navigated away). */
  setFrame(frameId: number, detection: Detection | null): void;
  /** Forgets frames whose denial is no longer embedded in the page (after the top page's navigation). */
  prune(embedded: (detection: Detection) => boolean): void;
}

/** The top page's own denial wins; else the first frame that reported one. */
export function frameBoard(show: (detection: Detection | null) => void): FrameBoard {
  let own: Detection | null = null;
  const frames = new Map<number, Detection>();
  let shown: Detection | null = null;
  const update = () => {
    const next = own ?? frames.values().next().value ?? null;
    if (sameDetection(next, shown)) return;
    shown = next;
    show(next);
  };
  return {
    setOwn(detection) {
      own = detection;
      update();
    },
    setFrame(frameId, detection) {
      if (detection) frames.set(frameId, detection);
      else frames.delete(frameId);
      update();
    },
    prune(embedded) {
      for (const [id, d] of frames) if (!embedded(d)) frames.delete(id);
      update();
    },
  };
}

/** Is a frame showing this address still in the document? (Frames of a route the SPA left are gone.) */
export function embeddedIn(doc: Document): (detection: Detection) => boolean {
  return (detection) => {
    let origin: string;
    try {
      origin = new URL(detection.resource.url).origin;
    } catch {
      return false;
    }
    for (const f of doc.querySelectorAll("iframe[src], frame[src]")) {
      try {
        if (new URL((f as HTMLIFrameElement).src, doc.baseURI).origin === origin) return true;
      } catch {
        // an unparsable src is not the frame we look for
      }
    }
    return false;
  };
}
