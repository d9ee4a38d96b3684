/**
 * A failed delivery: `permanent` ones are not retried (a Slack user that does
 * not exist, a 404 webhook); others back off, or wait `retryAfterMs` when the
 * far end said so (HTTP 429).
 */
export class DeliveryError extends Error {
  readonly permanent: boolean;
  readonly retryAfterMs: number | null;
  constructor(message: string, permanent: boolean, retryAfterMs: number | null = null) {
    super(message);
    this.permanent = permanent;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Turns a non-2xx HTTP answer into a DeliveryError: 4xx (but 408/429) is permanent. */
export async function httpFailure(res: Response, what: string): Promise<DeliveryError> {
  const retryAfter = Number(res.headers.get("retry-after"));
  const body = (await res.text().catch(() => "")).slice(0, 200);
  const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
  return new DeliveryError(
    `${what}: HTTP ${res.status} ${body}`.trim(),
    permanent,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : null,
  );
}
