/** An error the API answers with its own status and message (always phrased for the client to act on). */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new ApiError(400, message);
export const notFound = (message: string) => new ApiError(404, message);
export const conflict = (message: string) => new ApiError(409, message);
export const notImplemented = (message: string) => new ApiError(501, message);
export const unavailable = (message: string) => new ApiError(503, message);
