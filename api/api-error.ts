/** An error the API answers with its own status and message (always phrased for the client to act on). */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    /** Sent with the answer, e.g. Retry-After on a 429 or 503. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new ApiError(400, message);
export const notFound = (message: string) => new ApiError(404, message);
export const conflict = (message: string) => new ApiError(409, message);
export const notImplemented = (message: string) => new ApiError(501, message);
export const unavailable = (message: string) => new ApiError(503, message);
/** A limit of this LM was hit: the client may try again after `retryAfterS`. */
export const tooMany = (message: string, retryAfterS: number) => new ApiError(429, message, { 'Retry-After': String(retryAfterS) });
