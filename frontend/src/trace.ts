// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` header the site sends
// with every API call, so the platform's logs and traces of one donation attempt line up. A
// donation attempt makes one trace and passes it to each of its calls (the pledge, the payment,
// the polling of that payment); any other call starts a trace of its own. Each request is a new
// span: the same trace id, a new parent id. `baggage` is never sent.

/** A trace that several requests join: the 32 hex digits of its trace id. */
export interface TraceContext {
  readonly traceId: string;
}

/** Lower-case hex of ``bytes`` random bytes, drawn again in the (2^-64) case of all zeros, which
 * the spec forbids. crypto.getRandomValues, like the idempotency keys: it exists in every context. */
function randomHex(bytes: number): string {
  for (;;) {
    const values = crypto.getRandomValues(new Uint8Array(bytes));
    if (values.some((value) => value !== 0)) {
      return Array.from(values, (value) => value.toString(16).padStart(2, "0")).join("");
    }
  }
}

/** A new trace: a random 16-byte trace id. */
export function newTrace(): TraceContext {
  return { traceId: randomHex(16) };
}

/** The `traceparent` of one request in ``trace``: version 00, a new random 8-byte parent (span)
 * id, and the sampled flag (01). */
export function traceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${randomHex(8)}-01`;
}
