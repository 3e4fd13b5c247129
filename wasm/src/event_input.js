// Copies an event into the module's memory without wasm-bindgen's generic string glue, which
// copies ASCII one `charCodeAt` at a time: for events of a kilobyte that loop cost more than the
// match itself. `TextEncoder.encodeInto` writes UTF-8 straight into linear memory instead, and a
// Uint8Array is copied with one `set`.

const encoder = new TextEncoder();

// A view of all of linear memory. Growing memory detaches the old buffer, whose views then have
// length 0, so a view too short for the write is renewed (without reading `memory.buffer`, a
// getter, on every call).
let memoryView = new Uint8Array(0);

function viewOf(memory, end) {
  if (memoryView.length < end) memoryView = new Uint8Array(memory.buffer);
  return memoryView;
}

/**
 * Writes `input` (a string, as UTF-8, or a Uint8Array, as it is) at `ptr` in `memory`, which has
 * `capacity` bytes free there. Returns the number of bytes written, or, when they do not fit,
 * minus a capacity that is enough (for a string, 3 bytes per UTF-16 unit).
 */
export function write_event(input, memory, ptr, capacity) {
  if (typeof input === "string") {
    if (input.length > capacity) return -3 * input.length;
    const { read, written } = encoder.encodeInto(input, viewOf(memory, ptr + capacity).subarray(ptr, ptr + capacity));
    return read === input.length ? written : -3 * input.length;
  }
  if (input.length > capacity) return -input.length;
  viewOf(memory, ptr + input.length).set(input, ptr);
  return input.length;
}

/** Whether `input` is a Uint8Array (or a Node `Buffer`, which is one). */
export function is_bytes(input) {
  return input instanceof Uint8Array;
}

/** The length of `text` in UTF-8, for the message refusing an event too large to copy. */
export function utf8_length(text) {
  return encoder.encode(text).length;
}
