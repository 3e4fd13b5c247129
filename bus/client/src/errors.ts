// The errors the client rejects with or throws.

/** The server answered an action with `Ack` `Status: "Error"`; `message` is the server's `Message`. */
export class AckError extends Error {
  override name = "AckError";
  /** The refused action: `"Subscribe"`, `"Unsubscribe"` or `"Hello"`. */
  readonly action: string;
  /** The rule the action named, if any. */
  readonly rule: string | undefined;
  constructor(message: string, action: string, rule?: string) {
    super(message);
    this.action = action;
    this.rule = rule;
  }
}

/** No Ack arrived within `requestTimeoutMs`. */
export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/** The client was closed (by `close()`, or for good after a lost connection with `reconnect: false`). */
export class ClosedError extends Error {
  override name = "ClosedError";
}

/**
 * A view's pattern is one EventBridge refuses (or not JSON). `message` is the server's wording,
 * `Event pattern is not valid. Reason: <reason>`; `reason` is AWS's reason alone.
 */
export class PatternError extends Error {
  override name = "PatternError";
  readonly reason: string;
  constructor(reason: string) {
    super(`Event pattern is not valid. Reason: ${reason}`);
    this.reason = reason;
  }
}
