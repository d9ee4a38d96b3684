import { compileRules } from "./admin-rules.ts";
import { detect, explain } from "./index.ts";

/**
 * What detector.js, the detector's own chunk, gives the content script once
 * loaded: the catalog, the vocabulary and the scoring, which the content
 * script fetches only for pages that pass the first look (screen.ts).
 */
export const detector = { detect, explain, compileRules };
export type DetectorModule = typeof detector;
