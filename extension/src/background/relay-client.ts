import {
  type CreateRequestBody,
  DetectionRulesEnvelopeSchema,
  type DeviceAuthorizeResponse,
  DeviceAuthorizeResponseSchema,
  type DeviceTokenResponse,
  DeviceTokenResponseSchema,
  type NoticeList,
  NoticeListSchema,
  type PreviewBody,
  type PreviewResponse,
  PreviewResponseSchema,
  type Problem,
  RequestListSchema,
  type RequestView,
  RequestViewSchema,
} from "@gatehouse/shared";
import type { z } from "zod";

/** A problem+json answer from the relay, or a network failure (`code: "network"`). */
export class RelayError extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  constructor(code: string, status: number, title: string, detail?: string) {
    super(detail ?? title);
    this.code = code;
    this.status = status;
    this.title = title;
  }
}

/** Tries of one create before the panel is told it failed. */
const CREATE_ATTEMPTS = 3;

/** The typed client of the relay API; every response is parsed with the shared schema. */
export class RelayClient {
  readonly baseUrl: string;
  readonly #token: string | undefined;
  constructor(baseUrl: string, token?: string) {
    this.baseUrl = baseUrl.replace(/\/$/, "");
    this.#token = token;
  }

  async #call<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S | null,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<z.output<S>> {
    const headers: Record<string, string> = { accept: "application/json", ...extraHeaders };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/api/v1${path}`, { method, headers, body: body === undefined ? null : JSON.stringify(body) });
    } catch (err) {
      throw new RelayError("network", 0, "Cannot reach the Gatehouse relay", `${this.baseUrl}: ${(err as Error).message}`);
    }
    if (res.status === 304) return null as z.output<S>;
    if (!res.ok) {
      const problem = (await res.json().catch(() => null)) as Partial<Problem> | null;
      throw new RelayError(problem?.code ?? "http_error", res.status, problem?.title ?? `HTTP ${res.status}`, problem?.detail);
    }
    if (!schema) return undefined as z.output<S>;
    return schema.parse(await res.json());
  }

  authorizeDevice(email: string, label: string): Promise<DeviceAuthorizeResponse> {
    return this.#call("POST", "/devices/authorize", DeviceAuthorizeResponseSchema, { email, label });
  }
  pollDeviceToken(deviceCode: string): Promise<DeviceTokenResponse> {
    return this.#call("POST", "/devices/token", DeviceTokenResponseSchema, { deviceCode });
  }
  async signOut(): Promise<void> {
    await this.#call("DELETE", "/devices/current", null);
  }
  preview(body: PreviewBody): Promise<PreviewResponse> {
    return this.#call("POST", "/requests/preview", PreviewResponseSchema, body);
  }
  /**
   * Files a request. A lost answer (the network, a relay restarting, 503
   * while its database fails over) is retried a few times under the same
   * Idempotency-Key, so the relay never makes two requests of one ask.
   */
  async createRequest(body: CreateRequestBody, key: string = crypto.randomUUID()): Promise<RequestView> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#call("POST", "/requests", RequestViewSchema, body, { "idempotency-key": key });
      } catch (err) {
        const transient = err instanceof RelayError && (err.status === 0 || err.status === 502 || err.status === 503 || err.status === 504);
        if (!transient || attempt >= CREATE_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  }
  answer(requestId: string, answer: string): Promise<RequestView> {
    return this.#call("POST", `/requests/${encodeURIComponent(requestId)}/answer`, RequestViewSchema, { answer });
  }
  cancel(requestId: string): Promise<RequestView> {
    return this.#call("POST", `/requests/${encodeURIComponent(requestId)}/cancel`, RequestViewSchema, {});
  }
  /** Starts access that waits for the requester (`awaiting_start`). */
  startGrant(grantId: string): Promise<RequestView> {
    return this.#call("POST", `/grants/${encodeURIComponent(grantId)}/start`, RequestViewSchema, {});
  }
  /** Extends active access, by the flow's extension length unless `by` (shorter) is given. */
  extendGrant(grantId: string, by?: string): Promise<RequestView> {
    return this.#call("POST", `/grants/${encodeURIComponent(grantId)}/extend`, RequestViewSchema, by === undefined ? {} : { by });
  }
  /** Gives access back early. */
  releaseGrant(grantId: string): Promise<RequestView> {
    return this.#call("POST", `/grants/${encodeURIComponent(grantId)}/release`, RequestViewSchema, {});
  }
  async listRequests(): Promise<RequestView[]> {
    return (await this.#call("GET", "/requests", RequestListSchema)).requests;
  }
  notices(after: number): Promise<NoticeList> {
    return this.#call("GET", `/notices?after=${after}`, NoticeListSchema);
  }
  /** The admin's detection rules, or null when `version` is still current (304). */
  detectionRules(version?: string): Promise<z.output<typeof DetectionRulesEnvelopeSchema> | null> {
    return this.#call(
      "GET",
      "/detection-rules",
      DetectionRulesEnvelopeSchema,
      undefined,
      version ? { "if-none-match": `"${version}"` } : {},
    );
  }
  /** Opens the live SSE stream (fetch-based, so the token goes in a header). */
  async openStream(after: number, signal: AbortSignal): Promise<ReadableStream<BufferSource>> {
    const res = await fetch(`${this.baseUrl}/api/v1/notices/stream?after=${after}`, {
      headers: { accept: "text/event-stream", authorization: `Bearer ${this.#token}` },
      signal,
    });
    if (!res.ok || !res.body) throw new RelayError("stream", res.status, `stream failed (${res.status})`);
    return res.body;
  }
}
