// Why a restore was refused, with the HTTP status the API answers for it (the CLI prints the message).
export class RestoreError extends Error {
  constructor(
    readonly status: 400 | 409 | 413 | 422 | 507,
    message: string,
  ) {
    super(message);
  }
}
